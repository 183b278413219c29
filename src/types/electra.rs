//! Electra containers: execution-layer requests, balance-based churn queues, and attestations that
//! span all committees of a slot (EIP-7549).

use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use tree_hash_derive::TreeHash;

pub use super::deneb::{
    AttestationData, BLSToExecutionChange, BeaconBlockHeader, Checkpoint, Deposit, DepositData,
    Eth1Data, ExecutionPayload, ExecutionPayloadHeader, Fork, ForkData, HistoricalBatch,
    HistoricalSummary, ProposerSlashing, SignedBLSToExecutionChange, SignedBeaconBlockHeader,
    SignedVoluntaryExit, SigningData, SyncAggregate, SyncCommittee, Transaction, Validator,
    VoluntaryExit, Withdrawal,
};
#[allow(unused_imports)]
use super::serde_helpers::{
    hex_fixed_vec, hex_var_list, list_of_hex_var_list, quoted_u256, quoted_u64,
    quoted_u64_fixed_vec, quoted_u64_var_list, quoted_u8_var_list,
};
use super::*;

/// `DepositRequest` (EIP-6110): a deposit seen by the execution layer.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct DepositRequest {
    pub pubkey: BlsPublicKey,
    pub withdrawal_credentials: Bytes32,
    #[serde(with = "quoted_u64")]
    pub amount: Gwei,
    pub signature: BlsSignature,
    #[serde(with = "quoted_u64")]
    pub index: u64,
}

/// `WithdrawalRequest` (EIP-7002): an execution-triggered exit or partial withdrawal.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct WithdrawalRequest {
    pub source_address: ExecutionAddress,
    pub validator_pubkey: BlsPublicKey,
    #[serde(with = "quoted_u64")]
    pub amount: Gwei,
}

/// `ConsolidationRequest` (EIP-7251).
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct ConsolidationRequest {
    pub source_address: ExecutionAddress,
    pub source_pubkey: BlsPublicKey,
    pub target_pubkey: BlsPublicKey,
}

/// `ExecutionRequests`: the requests of one payload, carried in the block body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct ExecutionRequests<P: Preset> {
    pub deposits: VariableList<DepositRequest, P::MaxDepositRequestsPerPayload>,
    pub withdrawals: VariableList<WithdrawalRequest, P::MaxWithdrawalRequestsPerPayload>,
    pub consolidations: VariableList<ConsolidationRequest, P::MaxConsolidationRequestsPerPayload>,
}

/// `PendingDeposit`: a deposit waiting for churn (amount in Gwei).
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct PendingDeposit {
    pub pubkey: BlsPublicKey,
    pub withdrawal_credentials: Bytes32,
    #[serde(with = "quoted_u64")]
    pub amount: Gwei,
    pub signature: BlsSignature,
    #[serde(with = "quoted_u64")]
    pub slot: Slot,
}

/// `PendingPartialWithdrawal`.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct PendingPartialWithdrawal {
    #[serde(with = "quoted_u64")]
    pub validator_index: ValidatorIndex,
    #[serde(with = "quoted_u64")]
    pub amount: Gwei,
    #[serde(with = "quoted_u64")]
    pub withdrawable_epoch: Epoch,
}

/// `PendingConsolidation`.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct PendingConsolidation {
    #[serde(with = "quoted_u64")]
    pub source_index: ValidatorIndex,
    #[serde(with = "quoted_u64")]
    pub target_index: ValidatorIndex,
}

/// Electra `Attestation`: aggregation bits over every committee of the slot, selected by
/// `committee_bits`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct Attestation<P: Preset> {
    pub aggregation_bits: BitList<P::MaxValidatorsPerSlot>,
    pub data: AttestationData,
    pub signature: BlsSignature,
    pub committee_bits: BitVector<P::MaxCommitteesPerSlot>,
}

/// Electra `IndexedAttestation`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct IndexedAttestation<P: Preset> {
    #[serde(with = "quoted_u64_var_list")]
    pub attesting_indices: VariableList<ValidatorIndex, P::MaxValidatorsPerSlot>,
    pub data: AttestationData,
    pub signature: BlsSignature,
}

/// Electra `AttesterSlashing`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct AttesterSlashing<P: Preset> {
    pub attestation_1: IndexedAttestation<P>,
    pub attestation_2: IndexedAttestation<P>,
}

/// Electra `BeaconBlockBody` (also Fulu's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct BeaconBlockBody<P: Preset> {
    pub randao_reveal: BlsSignature,
    pub eth1_data: Eth1Data,
    pub graffiti: Bytes32,
    pub proposer_slashings: VariableList<ProposerSlashing, P::MaxProposerSlashings>,
    pub attester_slashings: VariableList<AttesterSlashing<P>, P::MaxAttesterSlashingsElectra>,
    pub attestations: VariableList<Attestation<P>, P::MaxAttestationsElectra>,
    pub deposits: VariableList<Deposit, P::MaxDeposits>,
    pub voluntary_exits: VariableList<SignedVoluntaryExit, P::MaxVoluntaryExits>,
    pub sync_aggregate: SyncAggregate<P>,
    pub execution_payload: ExecutionPayload<P>,
    pub bls_to_execution_changes:
        VariableList<SignedBLSToExecutionChange, P::MaxBlsToExecutionChanges>,
    pub blob_kzg_commitments: VariableList<KzgCommitment, P::MaxBlobCommitmentsPerBlock>,
    pub execution_requests: ExecutionRequests<P>,
}

super::phase0::define_block!(BeaconBlockBody);

/// Electra `BeaconState`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct BeaconState<P: Preset> {
    #[serde(with = "quoted_u64")]
    pub genesis_time: u64,
    pub genesis_validators_root: Root,
    #[serde(with = "quoted_u64")]
    pub slot: Slot,
    pub fork: Fork,
    pub latest_block_header: BeaconBlockHeader,
    pub block_roots: FixedVector<Root, P::SlotsPerHistoricalRoot>,
    pub state_roots: FixedVector<Root, P::SlotsPerHistoricalRoot>,
    pub historical_roots: VariableList<Root, P::HistoricalRootsLimit>,
    pub eth1_data: Eth1Data,
    pub eth1_data_votes: VariableList<Eth1Data, P::SlotsPerEth1VotingPeriod>,
    #[serde(with = "quoted_u64")]
    pub eth1_deposit_index: u64,
    pub validators: VariableList<Validator, P::ValidatorRegistryLimit>,
    #[serde(with = "quoted_u64_var_list")]
    pub balances: VariableList<Gwei, P::ValidatorRegistryLimit>,
    pub randao_mixes: FixedVector<Bytes32, P::EpochsPerHistoricalVector>,
    #[serde(with = "quoted_u64_fixed_vec")]
    pub slashings: FixedVector<Gwei, P::EpochsPerSlashingsVector>,
    #[serde(with = "quoted_u8_var_list")]
    pub previous_epoch_participation: VariableList<ParticipationFlags, P::ValidatorRegistryLimit>,
    #[serde(with = "quoted_u8_var_list")]
    pub current_epoch_participation: VariableList<ParticipationFlags, P::ValidatorRegistryLimit>,
    pub justification_bits: BitVector<JustificationBitsLength>,
    pub previous_justified_checkpoint: Checkpoint,
    pub current_justified_checkpoint: Checkpoint,
    pub finalized_checkpoint: Checkpoint,
    #[serde(with = "quoted_u64_var_list")]
    pub inactivity_scores: VariableList<u64, P::ValidatorRegistryLimit>,
    pub current_sync_committee: SyncCommittee<P>,
    pub next_sync_committee: SyncCommittee<P>,
    pub latest_execution_payload_header: ExecutionPayloadHeader<P>,
    #[serde(with = "quoted_u64")]
    pub next_withdrawal_index: WithdrawalIndex,
    #[serde(with = "quoted_u64")]
    pub next_withdrawal_validator_index: ValidatorIndex,
    pub historical_summaries: VariableList<HistoricalSummary, P::HistoricalRootsLimit>,
    #[serde(with = "quoted_u64")]
    pub deposit_requests_start_index: u64,
    #[serde(with = "quoted_u64")]
    pub deposit_balance_to_consume: Gwei,
    #[serde(with = "quoted_u64")]
    pub exit_balance_to_consume: Gwei,
    #[serde(with = "quoted_u64")]
    pub earliest_exit_epoch: Epoch,
    #[serde(with = "quoted_u64")]
    pub consolidation_balance_to_consume: Gwei,
    #[serde(with = "quoted_u64")]
    pub earliest_consolidation_epoch: Epoch,
    pub pending_deposits: VariableList<PendingDeposit, P::PendingDepositsLimit>,
    pub pending_partial_withdrawals:
        VariableList<PendingPartialWithdrawal, P::PendingPartialWithdrawalsLimit>,
    pub pending_consolidations: VariableList<PendingConsolidation, P::PendingConsolidationsLimit>,
}
