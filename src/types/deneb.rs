//! Deneb containers: blob KZG commitments in the body, blob gas in the payload.

use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use tree_hash_derive::TreeHash;

pub use super::capella::{
    Attestation, AttestationData, AttesterSlashing, BLSToExecutionChange, BeaconBlockHeader,
    Checkpoint, Deposit, DepositData, Eth1Data, Fork, ForkData, HistoricalBatch, HistoricalSummary,
    IndexedAttestation, ProposerSlashing, SignedBLSToExecutionChange, SignedBeaconBlockHeader,
    SignedVoluntaryExit, SigningData, SyncAggregate, SyncCommittee, Transaction, Validator,
    VoluntaryExit, Withdrawal,
};
#[allow(unused_imports)]
use super::serde_helpers::{
    hex_fixed_vec, hex_var_list, list_of_hex_var_list, quoted_u256, quoted_u64,
    quoted_u64_fixed_vec, quoted_u64_var_list, quoted_u8_var_list,
};
use super::*;

/// Deneb `ExecutionPayload` (also Electra's and Fulu's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct ExecutionPayload<P: Preset> {
    pub parent_hash: Hash32,
    pub fee_recipient: ExecutionAddress,
    pub state_root: Bytes32,
    pub receipts_root: Bytes32,
    #[serde(with = "hex_fixed_vec")]
    pub logs_bloom: FixedVector<u8, P::BytesPerLogsBloom>,
    pub prev_randao: Bytes32,
    #[serde(with = "quoted_u64")]
    pub block_number: u64,
    #[serde(with = "quoted_u64")]
    pub gas_limit: u64,
    #[serde(with = "quoted_u64")]
    pub gas_used: u64,
    #[serde(with = "quoted_u64")]
    pub timestamp: u64,
    #[serde(with = "hex_var_list")]
    pub extra_data: VariableList<u8, P::MaxExtraDataBytes>,
    #[serde(with = "quoted_u256")]
    pub base_fee_per_gas: U256,
    pub block_hash: Hash32,
    #[serde(with = "list_of_hex_var_list")]
    pub transactions: VariableList<Transaction<P>, P::MaxTransactionsPerPayload>,
    pub withdrawals: VariableList<Withdrawal, P::MaxWithdrawalsPerPayload>,
    #[serde(with = "quoted_u64")]
    pub blob_gas_used: u64,
    #[serde(with = "quoted_u64")]
    pub excess_blob_gas: u64,
}

/// Deneb `ExecutionPayloadHeader` (also Electra's and Fulu's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct ExecutionPayloadHeader<P: Preset> {
    pub parent_hash: Hash32,
    pub fee_recipient: ExecutionAddress,
    pub state_root: Bytes32,
    pub receipts_root: Bytes32,
    #[serde(with = "hex_fixed_vec")]
    pub logs_bloom: FixedVector<u8, P::BytesPerLogsBloom>,
    pub prev_randao: Bytes32,
    #[serde(with = "quoted_u64")]
    pub block_number: u64,
    #[serde(with = "quoted_u64")]
    pub gas_limit: u64,
    #[serde(with = "quoted_u64")]
    pub gas_used: u64,
    #[serde(with = "quoted_u64")]
    pub timestamp: u64,
    #[serde(with = "hex_var_list")]
    pub extra_data: VariableList<u8, P::MaxExtraDataBytes>,
    #[serde(with = "quoted_u256")]
    pub base_fee_per_gas: U256,
    pub block_hash: Hash32,
    pub transactions_root: Root,
    pub withdrawals_root: Root,
    #[serde(with = "quoted_u64")]
    pub blob_gas_used: u64,
    #[serde(with = "quoted_u64")]
    pub excess_blob_gas: u64,
}

/// Deneb `BeaconBlockBody`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct BeaconBlockBody<P: Preset> {
    pub randao_reveal: BlsSignature,
    pub eth1_data: Eth1Data,
    pub graffiti: Bytes32,
    pub proposer_slashings: VariableList<ProposerSlashing, P::MaxProposerSlashings>,
    pub attester_slashings: VariableList<AttesterSlashing<P>, P::MaxAttesterSlashings>,
    pub attestations: VariableList<Attestation<P>, P::MaxAttestations>,
    pub deposits: VariableList<Deposit, P::MaxDeposits>,
    pub voluntary_exits: VariableList<SignedVoluntaryExit, P::MaxVoluntaryExits>,
    pub sync_aggregate: SyncAggregate<P>,
    pub execution_payload: ExecutionPayload<P>,
    pub bls_to_execution_changes:
        VariableList<SignedBLSToExecutionChange, P::MaxBlsToExecutionChanges>,
    pub blob_kzg_commitments: VariableList<KzgCommitment, P::MaxBlobCommitmentsPerBlock>,
}

super::phase0::define_block!(BeaconBlockBody);

/// Deneb `BeaconState` (same fields as Capella's, with the Deneb payload header).
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
}
