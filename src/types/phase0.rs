//! Phase0 containers (the beacon chain at genesis).
//!
//! Field order and types follow `specs/phase0/beacon-chain.md`; SSZ layout and hash tree roots
//! depend on both, so nothing here is reordered for convenience.

use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use tree_hash_derive::TreeHash;

use super::serde_helpers::{quoted_u64, quoted_u64_fixed_vec, quoted_u64_var_list};
use super::*;

/// `Fork`: the fork a state is on, and when it started (epoch).
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct Fork {
    pub previous_version: Version,
    pub current_version: Version,
    #[serde(with = "quoted_u64")]
    pub epoch: Epoch,
}

/// `ForkData`: hashed into the fork digest and signing domains.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct ForkData {
    pub current_version: Version,
    pub genesis_validators_root: Root,
}

/// `Checkpoint`: an epoch and the root of the block at its first slot (or earlier, if empty).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Encode,
    Decode,
    TreeHash,
)]
pub struct Checkpoint {
    #[serde(with = "quoted_u64")]
    pub epoch: Epoch,
    pub root: Root,
}

/// `Validator`: one registry entry; balances are in Gwei, epochs may be `FAR_FUTURE_EPOCH`.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct Validator {
    pub pubkey: BlsPublicKey,
    pub withdrawal_credentials: Bytes32,
    #[serde(with = "quoted_u64")]
    pub effective_balance: Gwei,
    pub slashed: bool,
    #[serde(with = "quoted_u64")]
    pub activation_eligibility_epoch: Epoch,
    #[serde(with = "quoted_u64")]
    pub activation_epoch: Epoch,
    #[serde(with = "quoted_u64")]
    pub exit_epoch: Epoch,
    #[serde(with = "quoted_u64")]
    pub withdrawable_epoch: Epoch,
}

/// `AttestationData`.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct AttestationData {
    #[serde(with = "quoted_u64")]
    pub slot: Slot,
    #[serde(with = "quoted_u64")]
    pub index: CommitteeIndex,
    pub beacon_block_root: Root,
    pub source: Checkpoint,
    pub target: Checkpoint,
}

/// `IndexedAttestation` (phase0..deneb).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct IndexedAttestation<P: Preset> {
    #[serde(with = "quoted_u64_var_list")]
    pub attesting_indices: VariableList<ValidatorIndex, P::MaxValidatorsPerCommittee>,
    pub data: AttestationData,
    pub signature: BlsSignature,
}

/// `PendingAttestation` (phase0 state only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct PendingAttestation<P: Preset> {
    pub aggregation_bits: BitList<P::MaxValidatorsPerCommittee>,
    pub data: AttestationData,
    #[serde(with = "quoted_u64")]
    pub inclusion_delay: Slot,
    #[serde(with = "quoted_u64")]
    pub proposer_index: ValidatorIndex,
}

/// `Eth1Data`.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct Eth1Data {
    pub deposit_root: Root,
    #[serde(with = "quoted_u64")]
    pub deposit_count: u64,
    pub block_hash: Hash32,
}

/// `HistoricalBatch`: the pre-Capella unit accumulated into `historical_roots`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct HistoricalBatch<P: Preset> {
    pub block_roots: FixedVector<Root, P::SlotsPerHistoricalRoot>,
    pub state_roots: FixedVector<Root, P::SlotsPerHistoricalRoot>,
}

/// `DepositMessage`: what a deposit signature signs.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct DepositMessage {
    pub pubkey: BlsPublicKey,
    pub withdrawal_credentials: Bytes32,
    #[serde(with = "quoted_u64")]
    pub amount: Gwei,
}

/// `DepositData`.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct DepositData {
    pub pubkey: BlsPublicKey,
    pub withdrawal_credentials: Bytes32,
    #[serde(with = "quoted_u64")]
    pub amount: Gwei,
    pub signature: BlsSignature,
}

/// `BeaconBlockHeader`: a block with its body replaced by the body root; hashes to the block root.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Encode,
    Decode,
    TreeHash,
)]
pub struct BeaconBlockHeader {
    #[serde(with = "quoted_u64")]
    pub slot: Slot,
    #[serde(with = "quoted_u64")]
    pub proposer_index: ValidatorIndex,
    pub parent_root: Root,
    pub state_root: Root,
    pub body_root: Root,
}

/// `SigningData`: `hash_tree_root(SigningData(object_root, domain))` is what BLS signs.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Encode,
    Decode,
    TreeHash,
)]
pub struct SigningData {
    pub object_root: Root,
    pub domain: Domain,
}

/// `SignedBeaconBlockHeader`.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct SignedBeaconBlockHeader {
    pub message: BeaconBlockHeader,
    pub signature: BlsSignature,
}

/// `ProposerSlashing`.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct ProposerSlashing {
    pub signed_header_1: SignedBeaconBlockHeader,
    pub signed_header_2: SignedBeaconBlockHeader,
}

/// `AttesterSlashing` (phase0..deneb).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct AttesterSlashing<P: Preset> {
    pub attestation_1: IndexedAttestation<P>,
    pub attestation_2: IndexedAttestation<P>,
}

/// `Attestation` (phase0..deneb).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "P: Preset")]
pub struct Attestation<P: Preset> {
    pub aggregation_bits: BitList<P::MaxValidatorsPerCommittee>,
    pub data: AttestationData,
    pub signature: BlsSignature,
}

/// `Deposit`: deposit data with its Merkle proof against the deposit contract root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
pub struct Deposit {
    pub proof: FixedVector<Bytes32, DepositProofLength>,
    pub data: DepositData,
}

/// `VoluntaryExit`.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct VoluntaryExit {
    #[serde(with = "quoted_u64")]
    pub epoch: Epoch,
    #[serde(with = "quoted_u64")]
    pub validator_index: ValidatorIndex,
}

/// `SignedVoluntaryExit`.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
pub struct SignedVoluntaryExit {
    pub message: VoluntaryExit,
    pub signature: BlsSignature,
}

/// Phase0 `BeaconBlockBody`.
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
}

/// Defines `BeaconBlock<P>` and `SignedBeaconBlock<P>` over a fork's body type. Every fork's
/// block has the same five fields; only the body changes.
macro_rules! define_block {
    ($body:ident) => {
        /// `BeaconBlock` of this fork.
        #[derive(
            Clone,
            Debug,
            PartialEq,
            Eq,
            serde::Serialize,
            serde::Deserialize,
            ssz_derive::Encode,
            ssz_derive::Decode,
            tree_hash_derive::TreeHash,
        )]
        #[serde(bound = "P: Preset")]
        pub struct BeaconBlock<P: Preset> {
            #[serde(with = "serde_utils::quoted_u64")]
            pub slot: Slot,
            #[serde(with = "serde_utils::quoted_u64")]
            pub proposer_index: ValidatorIndex,
            pub parent_root: Root,
            pub state_root: Root,
            pub body: $body<P>,
        }

        impl<P: Preset> BeaconBlock<P> {
            /// The header of this block (`body_root` = `hash_tree_root(body)`); it hashes to the
            /// same root as the block.
            pub fn block_header(&self) -> BeaconBlockHeader {
                BeaconBlockHeader {
                    slot: self.slot,
                    proposer_index: self.proposer_index,
                    parent_root: self.parent_root,
                    state_root: self.state_root,
                    body_root: tree_hash::TreeHash::tree_hash_root(&self.body),
                }
            }
        }

        /// `SignedBeaconBlock` of this fork.
        #[derive(
            Clone,
            Debug,
            PartialEq,
            Eq,
            serde::Serialize,
            serde::Deserialize,
            ssz_derive::Encode,
            ssz_derive::Decode,
            tree_hash_derive::TreeHash,
        )]
        #[serde(bound = "P: Preset")]
        pub struct SignedBeaconBlock<P: Preset> {
            pub message: BeaconBlock<P>,
            pub signature: BlsSignature,
        }

        impl<P: Preset> SignedBeaconBlock<P> {
            /// The block root: `hash_tree_root(message)`.
            pub fn message_root(&self) -> Root {
                tree_hash::TreeHash::tree_hash_root(&self.message)
            }

            /// The signed header of this block.
            pub fn signed_block_header(&self) -> SignedBeaconBlockHeader {
                SignedBeaconBlockHeader {
                    message: self.message.block_header(),
                    signature: self.signature,
                }
            }
        }
    };
}
pub(crate) use define_block;

define_block!(BeaconBlockBody);

/// Phase0 `BeaconState`.
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
    pub previous_epoch_attestations: VariableList<PendingAttestation<P>, P::MaxPendingAttestations>,
    pub current_epoch_attestations: VariableList<PendingAttestation<P>, P::MaxPendingAttestations>,
    pub justification_bits: BitVector<JustificationBitsLength>,
    pub previous_justified_checkpoint: Checkpoint,
    pub current_justified_checkpoint: Checkpoint,
    pub finalized_checkpoint: Checkpoint,
}
