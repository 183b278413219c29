//! The containers Gloas (EIP-7732, enshrined proposer-builder separation) adds, as of
//! consensus-specs v1.7.0-alpha.13 `specs/gloas/beacon-chain.md`: builders and their pending
//! payments, payload-timeliness attestations, and the builder's bid.
//!
//! Why a module of its own: these containers are new in Gloas and never change within it, so
//! they need no fork family (`fork_container!`). The Gloas containers that replace earlier forks'
//! (`BeaconState`, `BeaconBlockBody`, `ExecutionPayload`, ...) belong to the fork tables, with
//! `ForkName::Gloas`; that fork's module will re-export these. `ExecutionPayloadBid` is a
//! `ProgressiveContainer` (EIP-7495); the others are plain containers. The containers sized by
//! `PTC_SIZE` (`PayloadAttestation`, `IndexedPayloadAttestation`) wait for the preset to have it;
//! none of the containers here depends on the preset.

use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use tree_hash_derive::TreeHash;

use super::serde_helpers::quoted_u64;
use super::{
    BlsPublicKey, BlsSignature, Bytes32, Epoch, ExecutionAddress, Gwei, Hash256, Hash32,
    KzgCommitment, ProgressiveList, Slot, ValidatorIndex,
};

/// `BuilderIndex`: index into `BeaconState.builders`.
pub type BuilderIndex = u64;

/// A plain container declared here: the struct and its [`SszSchema`](super::SszSchema), as
/// `fork_container!` emits them.
macro_rules! container {
    (
        $(#[$attr:meta])*
        pub struct $name:ident $(<$p:ident>)? { $($(#[$m:meta])* $field:ident : $ty:ty,)+ }
    ) => {
        $crate::types::forks::fork_container! { @emit { $(#[$attr])* }; $name $(<$p>)?; {};
            $({ $(#[$m])* $field: $ty })+ }
    };
}

container! {
    /// A staked builder (`BeaconState.builders`).
    #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
    pub struct Builder {
        pubkey: BlsPublicKey,
        #[serde(with = "serde_utils::quoted_u8")]
        version: u8,
        execution_address: ExecutionAddress,
        #[serde(with = "quoted_u64")]
        balance: Gwei,
        #[serde(with = "quoted_u64")]
        deposit_epoch: Epoch,
        #[serde(with = "quoted_u64")]
        withdrawable_epoch: Epoch,
    }
}

container! {
    /// A payment owed by a builder, withdrawn once it is due.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
    pub struct BuilderPendingWithdrawal {
        fee_recipient: ExecutionAddress,
        #[serde(with = "quoted_u64")]
        amount: Gwei,
        #[serde(with = "quoted_u64")]
        builder_index: BuilderIndex,
    }
}

container! {
    /// A bid's payment to the proposer, waiting for the payload-timeliness quorum (`weight`).
    #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
    pub struct BuilderPendingPayment {
        #[serde(with = "quoted_u64")]
        weight: Gwei,
        withdrawal: BuilderPendingWithdrawal,
        #[serde(with = "quoted_u64")]
        proposer_index: ValidatorIndex,
    }
}

container! {
    /// What a payload-timeliness committee member attests to.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
    pub struct PayloadAttestationData {
        beacon_block_root: Hash256,
        #[serde(with = "quoted_u64")]
        slot: Slot,
        payload_present: bool,
        blob_data_available: bool,
    }
}

container! {
    /// One committee member's payload attestation, as gossiped.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
    pub struct PayloadAttestationMessage {
        #[serde(with = "quoted_u64")]
        validator_index: ValidatorIndex,
        data: PayloadAttestationData,
        signature: BlsSignature,
    }
}

container! {
    /// An execution-layer request to deposit to a builder.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
    pub struct BuilderDepositRequest {
        pubkey: BlsPublicKey,
        withdrawal_credentials: Bytes32,
        #[serde(with = "quoted_u64")]
        amount: Gwei,
        signature: BlsSignature,
    }
}

container! {
    /// An execution-layer request to exit a builder.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
    pub struct BuilderExitRequest {
        source_address: ExecutionAddress,
        pubkey: BlsPublicKey,
    }
}

crate::progressive_container! {
    /// A builder's bid for the slot's payload, committed to in the block and kept in the state
    /// (`latest_execution_payload_bid`).
    #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Encode, Decode)]
    pub struct ExecutionPayloadBid active_fields [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1] {
        parent_block_hash: Hash32,
        parent_block_root: Hash256,
        block_hash: Hash32,
        prev_randao: Bytes32,
        fee_recipient: ExecutionAddress,
        #[serde(with = "quoted_u64")]
        gas_limit: u64,
        #[serde(with = "quoted_u64")]
        builder_index: BuilderIndex,
        #[serde(with = "quoted_u64")]
        slot: Slot,
        #[serde(with = "quoted_u64")]
        value: Gwei,
        #[serde(with = "quoted_u64")]
        execution_payment: Gwei,
        /// `BlobKZGCommitments`: a `ProgressiveList` (EIP-7916) in Gloas; its bound
        /// (`MAX_BLOB_COMMITMENTS_PER_BLOCK`) is a rule of block processing, not of the type.
        blob_kzg_commitments: ProgressiveList<KzgCommitment>,
        execution_requests_root: Hash256,
    }
}

container! {
    /// A bid with the builder's signature.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
    pub struct SignedExecutionPayloadBid {
        message: ExecutionPayloadBid,
        signature: BlsSignature,
    }
}
