//! Gloas (EIP-7732, enshrined proposer-builder separation), as of consensus-specs
//! v1.7.0-alpha.13 `specs/gloas/beacon-chain.md`: the fork's module.
//!
//! The containers that earlier forks have too (`BeaconState`, `BeaconBlockBody`,
//! `ExecutionPayload`, `Attestation`, ...) come from the fork tables (`containers!(Gloas, fulu)`);
//! those Gloas makes `ProgressiveContainer`s (EIP-7688) are declared `progressive [Gloas]` there.
//! The containers below are new in Gloas and never change within it, so they need no fork family:
//! builders and their pending payments, payload-timeliness attestations, the builder's bid and
//! the payload envelope. Those the spec writes as `ProgressiveContainer(active_fields=[1] * n)`
//! are declared with [`progressive_container!`](crate::progressive_container) and
//! `active_fields all`; the others are plain containers.

super::containers::containers!(Gloas, fulu);

/// `BuilderIndex`: index into `BeaconState.builders`.
pub type BuilderIndex = u64;

use super::forks::container;
use super::Uint8;

container! {
    /// A staked builder (`BeaconState.builders`).
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TreeHash)]
    pub struct Builder {
        pubkey: BlsPublicKey,
        version: Uint8,
        execution_address: ExecutionAddress,
        balance: Gwei,
        deposit_epoch: Epoch,
        withdrawable_epoch: Epoch,
    }
}

container! {
    /// A payment owed by a builder, withdrawn once it is due.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TreeHash)]
    pub struct BuilderPendingWithdrawal {
        fee_recipient: ExecutionAddress,
        amount: Gwei,
        builder_index: BuilderIndex,
    }
}

container! {
    /// A bid's payment to the proposer, waiting for the payload-timeliness quorum (`weight`).
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TreeHash)]
    pub struct BuilderPendingPayment {
        weight: Gwei,
        withdrawal: BuilderPendingWithdrawal,
        proposer_index: ValidatorIndex,
    }
}

container! {
    /// What a payload-timeliness committee member attests to.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TreeHash)]
    pub struct PayloadAttestationData {
        beacon_block_root: Hash256,
        slot: Slot,
        payload_present: bool,
        blob_data_available: bool,
    }
}

container! {
    /// One committee member's payload attestation, as gossiped.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TreeHash)]
    pub struct PayloadAttestationMessage {
        validator_index: ValidatorIndex,
        data: PayloadAttestationData,
        signature: BlsSignature,
    }
}

container! {
    /// An execution-layer request to deposit to a builder.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TreeHash)]
    pub struct BuilderDepositRequest {
        pubkey: BlsPublicKey,
        withdrawal_credentials: Bytes32,
        amount: Gwei,
        signature: BlsSignature,
    }
}

container! {
    /// An execution-layer request to exit a builder.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TreeHash)]
    pub struct BuilderExitRequest {
        source_address: ExecutionAddress,
        pubkey: BlsPublicKey,
    }
}

crate::progressive_container! {
    /// A builder's bid for the slot's payload, committed to in the block and kept in the state
    /// (`latest_execution_payload_bid`).
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
    pub struct ExecutionPayloadBid active_fields [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1] {
        parent_block_hash: Hash32,
        parent_block_root: Hash256,
        block_hash: Hash32,
        prev_randao: Bytes32,
        fee_recipient: ExecutionAddress,
        gas_limit: u64,
        builder_index: BuilderIndex,
        slot: Slot,
        value: Gwei,
        execution_payment: Gwei,
        /// `BlobKZGCommitments`: a `ProgressiveList` (EIP-7916) in Gloas; its bound
        /// (`MAX_BLOB_COMMITMENTS_PER_BLOCK`) is a rule of block processing, not of the type.
        blob_kzg_commitments: ProgressiveList<KzgCommitment>,
        execution_requests_root: Hash256,
    }
}

container! {
    /// A bid with the builder's signature.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TreeHash)]
    pub struct SignedExecutionPayloadBid {
        message: ExecutionPayloadBid,
        signature: BlsSignature,
    }
}

crate::progressive_container! {
    /// `IndexedAttestation` (EIP-7688): its indices are a `ProgressiveList`, so unlike earlier
    /// forks' it has no preset parameter.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct IndexedAttestation active_fields all {
        attesting_indices: ProgressiveList<ValidatorIndex>,
        data: AttestationData,
        signature: BlsSignature,
    }
}

container! {
    /// `AttesterSlashing`: two Gloas `IndexedAttestation`s.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
    pub struct AttesterSlashing {
        attestation_1: IndexedAttestation,
        attestation_2: IndexedAttestation,
    }
}

crate::progressive_container! {
    /// `ExecutionRequests` (EIP-7688): every list a `ProgressiveList`, plus the builder requests
    /// (EIP-8282). In the envelope, and in the next block as `parent_execution_requests`.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct ExecutionRequests active_fields all {
        deposits: ProgressiveList<DepositRequest>,
        withdrawals: ProgressiveList<WithdrawalRequest>,
        consolidations: ProgressiveList<ConsolidationRequest>,
        builder_deposits: ProgressiveList<BuilderDepositRequest>,
        builder_exits: ProgressiveList<BuilderExitRequest>,
    }
}

crate::progressive_container! {
    /// The slot's payload-timeliness committee's aggregated attestation, in the next block.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct PayloadAttestation<P> active_fields all {
        aggregation_bits: BitVector<P::PtcSize>,
        data: PayloadAttestationData,
        signature: BlsSignature,
    }
}

crate::progressive_container! {
    /// A payload attestation with its committee bits resolved to validator indices.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct IndexedPayloadAttestation<P> active_fields all {
        attesting_indices: VariableList<ValidatorIndex, P::PtcSize>,
        data: PayloadAttestationData,
        signature: BlsSignature,
    }
}

crate::progressive_container! {
    /// The builder's payload for a beacon block, revealed after the block. It has no state root:
    /// its effects are processed by the next block (`parent_execution_requests`).
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct ExecutionPayloadEnvelope<P> active_fields all {
        payload: ExecutionPayload<P>,
        execution_requests: ExecutionRequests,
        builder_index: BuilderIndex,
        beacon_block_root: Hash256,
        parent_beacon_block_root: Hash256,
    }
}

container! {
    /// An envelope with the builder's signature.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
    pub struct SignedExecutionPayloadEnvelope<P> {
        message: ExecutionPayloadEnvelope<P>,
        signature: BlsSignature,
    }
}
