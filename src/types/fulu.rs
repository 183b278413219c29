//! Fulu containers: the block is Electra's; the state gains `proposer_lookahead` (EIP-7917).

use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use tree_hash_derive::TreeHash;

pub use super::electra::{
    Attestation, AttestationData, AttesterSlashing, BLSToExecutionChange, BeaconBlock,
    BeaconBlockBody, BeaconBlockHeader, Checkpoint, ConsolidationRequest, Deposit, DepositData,
    DepositRequest, Eth1Data, ExecutionPayload, ExecutionPayloadHeader, ExecutionRequests, Fork,
    ForkData, HistoricalBatch, HistoricalSummary, IndexedAttestation, PendingConsolidation,
    PendingDeposit, PendingPartialWithdrawal, ProposerSlashing, SignedBLSToExecutionChange,
    SignedBeaconBlock, SignedBeaconBlockHeader, SignedVoluntaryExit, SigningData, SyncAggregate,
    SyncCommittee, Transaction, Validator, VoluntaryExit, Withdrawal, WithdrawalRequest,
};
#[allow(unused_imports)]
use super::serde_helpers::{
    hex_fixed_vec, hex_var_list, list_of_hex_var_list, quoted_u256, quoted_u64,
    quoted_u64_fixed_vec, quoted_u64_var_list, quoted_u8_var_list,
};
use super::*;

/// Fulu `BeaconState`.
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
    /// Proposer indices for the current and next `MIN_SEED_LOOKAHEAD` epochs, one per slot.
    #[serde(with = "quoted_u64_fixed_vec")]
    pub proposer_lookahead: FixedVector<ValidatorIndex, P::ProposerLookaheadSlots>,
}
