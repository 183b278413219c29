//! Altair containers: sync committees and participation flags replace pending attestations.

use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use tree_hash_derive::TreeHash;

pub use super::phase0::{
    Attestation, AttestationData, AttesterSlashing, BeaconBlockHeader, Checkpoint, Deposit,
    DepositData, Eth1Data, Fork, ForkData, HistoricalBatch, IndexedAttestation, ProposerSlashing,
    SignedBeaconBlockHeader, SignedVoluntaryExit, SigningData, Validator, VoluntaryExit,
};
use super::serde_helpers::{
    quoted_u64, quoted_u64_fixed_vec, quoted_u64_var_list, quoted_u8_var_list,
};
use super::*;

/// `SyncCommittee`: `SYNC_COMMITTEE_SIZE` public keys and their aggregate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct SyncCommittee<P: Preset> {
    pub pubkeys: FixedVector<BlsPublicKey, P::SyncCommitteeSize>,
    pub aggregate_pubkey: BlsPublicKey,
}

/// `SyncAggregate`: which committee members signed, and the aggregate signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct SyncAggregate<P: Preset> {
    pub sync_committee_bits: BitVector<P::SyncCommitteeSize>,
    pub sync_committee_signature: BlsSignature,
}

/// Altair `BeaconBlockBody`.
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
}

super::phase0::define_block!(BeaconBlockBody);

/// Altair `BeaconState`.
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
}
