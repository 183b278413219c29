//! Errors of light-client verification. Each names what failed and, for updates, which one
//! (position in the input, sync-committee period, slots), so a user can tell a lying provider
//! from a stale input. None is retryable with the same data: the caller needs other data
//! (another provider, the right bootstrap). The one exception is
//! [`UpdateFailure::SlotOrdering`] when only `current_slot` is too small: a clock behind the
//! chain; the same update passes once the local clock has caught up.

use std::fmt;

use crate::light::bls::BlsError;
use crate::types::{ForkName, Hash256, Slot, TypesError};

/// Which header of an update a check is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderRole {
    Attested,
    Finalized,
    Bootstrap,
}

impl fmt::Display for HeaderRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HeaderRole::Attested => "attested",
            HeaderRole::Finalized => "finalized",
            HeaderRole::Bootstrap => "bootstrap",
        })
    }
}

/// Why `validate_light_client_update` rejected an update (one variant per spec assertion).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpdateFailure {
    /// Fewer sync-committee participants than `MIN_SYNC_COMMITTEE_PARTICIPANTS`.
    Participation { expected_at_least: u64, got: u64 },
    /// `current_slot >= signature_slot > attested_slot >= finalized_slot` does not hold.
    SlotOrdering {
        current_slot: Slot,
        signature_slot: Slot,
        attested_slot: Slot,
        finalized_slot: Slot,
    },
    /// The signature period is neither the store's period nor (if the next committee is known)
    /// the one after.
    SignaturePeriod {
        store_period: u64,
        next_committee_known: bool,
        got: u64,
    },
    /// The update is not newer than the store's finalized header and brings no new committee.
    NotRelevant {
        attested_slot: Slot,
        store_finalized_slot: Slot,
    },
    /// A header's execution payload branch (or pre-Capella emptiness) does not hold.
    InvalidHeader { role: HeaderRole, slot: Slot },
    /// The update has no finality branch but a non-empty finalized header (or a genesis-slot
    /// finalized header that is not empty).
    UnexpectedFinalizedHeader,
    /// The finality branch does not prove the finalized header against the attested state root.
    FinalityBranch { gindex: u64, branch_len: usize },
    /// The update has no next-committee branch but a non-empty next committee.
    UnexpectedNextSyncCommittee,
    /// The next committee differs from the one the store already knows for that period.
    NextSyncCommitteeMismatch,
    /// The next-committee branch does not prove the committee against the attested state root.
    NextSyncCommitteeBranch { gindex: u64, branch_len: usize },
    /// A participating committee member's public key does not decompress to a curve point, or
    /// is the identity.
    InvalidPublicKey { member: usize, reason: BlsError },
    /// The participants' aggregate public key fails `KeyValidate` (it is the identity or outside
    /// the G1 subgroup, e.g. because a participant's key is), the check `CoreVerify` runs.
    InvalidAggregatePublicKey { participants: u64, reason: BlsError },
    /// The aggregate signature bytes are not a G2 subgroup point.
    InvalidSignatureEncoding { reason: BlsError },
    /// `FastAggregateVerify` returned false.
    Signature { participants: u64 },
}

impl UpdateFailure {
    /// A stable code for programs (the CLI exit message, the JS error `code`).
    pub fn code(&self) -> &'static str {
        match self {
            UpdateFailure::Participation { .. } => "LC_PARTICIPATION",
            UpdateFailure::SlotOrdering { .. } => "LC_SLOT_ORDERING",
            UpdateFailure::SignaturePeriod { .. } => "LC_SIGNATURE_PERIOD",
            UpdateFailure::NotRelevant { .. } => "LC_NOT_RELEVANT",
            UpdateFailure::InvalidHeader { .. } => "LC_INVALID_HEADER",
            UpdateFailure::UnexpectedFinalizedHeader => "LC_UNEXPECTED_FINALIZED_HEADER",
            UpdateFailure::FinalityBranch { .. } => "LC_FINALITY_BRANCH",
            UpdateFailure::UnexpectedNextSyncCommittee => "LC_UNEXPECTED_NEXT_SYNC_COMMITTEE",
            UpdateFailure::NextSyncCommitteeMismatch => "LC_NEXT_SYNC_COMMITTEE_MISMATCH",
            UpdateFailure::NextSyncCommitteeBranch { .. } => "LC_NEXT_SYNC_COMMITTEE_BRANCH",
            UpdateFailure::InvalidPublicKey { .. } => "LC_INVALID_PUBLIC_KEY",
            UpdateFailure::InvalidAggregatePublicKey { .. } => "LC_INVALID_AGGREGATE_PUBLIC_KEY",
            UpdateFailure::InvalidSignatureEncoding { .. } => "LC_INVALID_SIGNATURE_ENCODING",
            UpdateFailure::Signature { .. } => "LC_SIGNATURE",
        }
    }
}

impl fmt::Display for UpdateFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpdateFailure::Participation { expected_at_least, got } => write!(
                f,
                "sync committee participation: expected at least {expected_at_least}, got {got}"
            ),
            UpdateFailure::SlotOrdering { current_slot, signature_slot, attested_slot, finalized_slot } => write!(
                f,
                "slot ordering: expected current {current_slot} >= signature > attested >= finalized, got signature {signature_slot}, attested {attested_slot}, finalized {finalized_slot}"
            ),
            UpdateFailure::SignaturePeriod { store_period, next_committee_known, got } => {
                if *next_committee_known {
                    write!(f, "signature period: expected {store_period} or {}, got {got}", store_period + 1)
                } else {
                    write!(f, "signature period: expected {store_period} (next committee unknown), got {got}")
                }
            }
            UpdateFailure::NotRelevant { attested_slot, store_finalized_slot } => write!(
                f,
                "irrelevant update: expected an attested slot after {store_finalized_slot} or a new sync committee, got attested slot {attested_slot}"
            ),
            UpdateFailure::InvalidHeader { role, slot } => write!(
                f,
                "invalid {role} header at slot {slot}: expected its execution branch to prove the payload header against body_root, got a mismatch"
            ),
            UpdateFailure::UnexpectedFinalizedHeader => {
                write!(f, "finalized header: expected an empty header (no finality proof), got a non-empty one")
            }
            UpdateFailure::FinalityBranch { gindex, branch_len } => write!(
                f,
                "finality branch: expected a proof of the finalized root at gindex {gindex} against the attested state root, got a {branch_len}-node branch that does not verify"
            ),
            UpdateFailure::UnexpectedNextSyncCommittee => write!(
                f,
                "next sync committee: expected an empty committee (no branch), got a non-empty one"
            ),
            UpdateFailure::NextSyncCommitteeMismatch => write!(
                f,
                "next sync committee: expected the committee already known for this period, got a different one"
            ),
            UpdateFailure::NextSyncCommitteeBranch { gindex, branch_len } => write!(
                f,
                "next sync committee branch: expected a proof at gindex {gindex} against the attested state root, got a {branch_len}-node branch that does not verify"
            ),
            UpdateFailure::InvalidPublicKey { member, reason } => {
                write!(f, "sync committee member {member}: {reason}")
            }
            UpdateFailure::InvalidAggregatePublicKey { participants, reason } => write!(
                f,
                "aggregate public key of {participants} participants: {reason}"
            ),
            UpdateFailure::InvalidSignatureEncoding { reason } => write!(f, "sync aggregate: {reason}"),
            UpdateFailure::Signature { participants } => write!(
                f,
                "sync aggregate signature: expected a valid FastAggregateVerify over {participants} participants, got an invalid signature"
            ),
        }
    }
}

/// What kind of input an update came in as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateKind {
    Update,
    Finality,
    Optimistic,
}

impl fmt::Display for UpdateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UpdateKind::Update => "update",
            UpdateKind::Finality => "finality update",
            UpdateKind::Optimistic => "optimistic update",
        })
    }
}

/// Errors of the light-client flow: initialising from a bootstrap or a trusted committee,
/// decoding inputs, and processing updates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LightClientError {
    /// The bootstrap header's root is not the trusted block root.
    TrustedRootMismatch { expected: Hash256, got: Hash256 },
    /// The bootstrap's header fails `is_valid_light_client_header`.
    InvalidBootstrapHeader { slot: Slot },
    /// The bootstrap's current-sync-committee branch does not verify.
    CurrentSyncCommitteeBranch { slot: Slot, gindex: u64 },
    /// An update failed validation.
    Update {
        kind: UpdateKind,
        /// Position in the input (0-based), when the update came from a list.
        index: Option<usize>,
        /// Sync-committee period of the signature slot.
        period: u64,
        attested_slot: Slot,
        signature_slot: Slot,
        failure: UpdateFailure,
    },
    /// A chunk of a `light_client/updates` SSZ stream carries a fork digest that does not
    /// match the one its attested header's epoch implies (or none this network knows).
    ForkDigestMismatch {
        index: usize,
        expected: [u8; 4],
        got: [u8; 4],
    },
    /// A `light_client/updates` SSZ stream ends inside a chunk or has a chunk too short to
    /// hold a fork digest.
    TruncatedStream {
        index: usize,
        expected: u64,
        got: u64,
    },
    /// Input that does not decode as the expected light-client type.
    Decode { what: &'static str, reason: String },
    /// A type-level error (unknown fork name, type not in fork).
    Types(TypesError),
    /// The data's fork is not one with light-client types (phase0).
    NoLightClientAtFork { fork: ForkName },
}

impl LightClientError {
    /// A stable code for programs (the CLI prints it; the JS layer maps it to `code`).
    pub fn code(&self) -> &'static str {
        match self {
            LightClientError::TrustedRootMismatch { .. } => "LC_TRUSTED_ROOT_MISMATCH",
            LightClientError::InvalidBootstrapHeader { .. } => "LC_INVALID_HEADER",
            LightClientError::CurrentSyncCommitteeBranch { .. } => {
                "LC_CURRENT_SYNC_COMMITTEE_BRANCH"
            }
            LightClientError::Update { failure, .. } => failure.code(),
            LightClientError::ForkDigestMismatch { .. } => "LC_FORK_DIGEST_MISMATCH",
            LightClientError::TruncatedStream { .. } => "LC_TRUNCATED_STREAM",
            LightClientError::Decode { .. } => "LC_DECODE",
            LightClientError::Types(_) => "LC_TYPES",
            LightClientError::NoLightClientAtFork { .. } => "LC_NO_LIGHT_CLIENT_AT_FORK",
        }
    }
}

impl fmt::Display for LightClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LightClientError::TrustedRootMismatch { expected, got } => write!(
                f,
                "bootstrap header root: expected the trusted root {expected}, got {got}"
            ),
            LightClientError::InvalidBootstrapHeader { slot } => write!(
                f,
                "bootstrap header at slot {slot}: expected a valid execution branch, got a mismatch"
            ),
            LightClientError::CurrentSyncCommitteeBranch { slot, gindex } => write!(
                f,
                "bootstrap at slot {slot}: expected the current sync committee branch (gindex {gindex}) to verify against the state root, got a mismatch"
            ),
            LightClientError::Update { kind, index, period, attested_slot, signature_slot, failure } => {
                match index {
                    Some(i) => write!(f, "{kind} #{i}")?,
                    None => write!(f, "{kind}")?,
                }
                write!(
                    f,
                    " (period {period}, attested slot {attested_slot}, signature slot {signature_slot}) rejected: {failure}"
                )
            }
            LightClientError::ForkDigestMismatch { index, expected, got } => write!(
                f,
                "updates stream chunk #{index}: expected fork digest 0x{}, got 0x{}",
                hex::encode(expected),
                hex::encode(got)
            ),
            LightClientError::TruncatedStream { index, expected, got } => write!(
                f,
                "updates stream chunk #{index}: expected {expected} bytes, got {got}"
            ),
            LightClientError::Decode { what, reason } => write!(f, "invalid {what}: {reason}"),
            LightClientError::Types(e) => e.fmt(f),
            LightClientError::NoLightClientAtFork { fork } => write!(
                f,
                "light-client data: expected a fork from altair on, got {fork}"
            ),
        }
    }
}

impl std::error::Error for LightClientError {}

impl From<TypesError> for LightClientError {
    fn from(e: TypesError) -> Self {
        LightClientError::Types(e)
    }
}
