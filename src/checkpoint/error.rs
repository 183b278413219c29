//! The one error type of the checkpoint flows.

use std::fmt;

use crate::beacon_api::ApiError;
use crate::merkle::MerkleError;
use crate::store::StoreError;
use crate::types::hex0x;
use crate::types::TypesError;
use crate::ws::{CheckpointParseError, WsError};

use crate::types::Root;

/// Why a checkpoint sync stopped. Nothing was stored in any case: every check runs before the
/// single store write, and a failed store write leaves the database unchanged.
///
/// `provider` fields name the Beacon API base URL whose data failed (`"state file"` for a local
/// state). Each variant's doc says whether to retry, and with what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointError {
    /// The `block_root:epoch` string does not parse. Fix the string.
    InvalidCheckpointString(CheckpointParseError),
    /// The checkpoint block does not belong to the boundary of the checkpoint's epoch (it is
    /// after the epoch's first slot), so the pair cannot be a weak-subjectivity checkpoint.
    /// Use the checkpoint as published (block root and epoch together).
    InvalidCheckpoint {
        /// What is wrong, as "expected …, got …".
        reason: String,
    },
    /// The provider (or the state) belongs to another network than the one configured. Use a
    /// provider of the right network (or the right network config).
    GenesisMismatch {
        /// Who served it.
        provider: String,
        /// The configured network's `genesis_validators_root`.
        expected: Root,
        /// What the provider or state says.
        actual: Root,
    },
    /// The provider does not know the trusted block. Try another provider, or check the root.
    HeaderNotFound {
        /// Who was asked.
        provider: String,
        /// The block root asked for.
        block_root: Root,
    },
    /// The provider does not serve the state (`404`), neither by state root nor, where that
    /// applies, at the epoch boundary. Try another provider (an archive node).
    StateNotFound {
        /// Who was asked.
        provider: String,
        /// The state id asked for.
        state_id: String,
    },
    /// A header's `hash_tree_root` is not the trusted root. The provider is broken or lying;
    /// use another one.
    HeaderRootMismatch {
        /// Who served it.
        provider: String,
        /// The trusted root.
        expected: Root,
        /// The root of what was served.
        actual: Root,
    },
    /// `hash_tree_root(state)` is not the header's `state_root`. The provider is broken or
    /// lying (or the download was corrupted): retry, or use another provider.
    StateRootMismatch {
        /// Who served it.
        provider: String,
        /// The state root the header commits to.
        expected: Root,
        /// The root of the bytes received.
        actual: Root,
    },
    /// The state hashes correctly but does not link to the trusted block (its slot, its
    /// `latest_block_header`, or its history roots disagree). Use another provider.
    StateLinkMismatch {
        /// Who served it.
        provider: String,
        /// Which link failed.
        what: &'static str,
        /// The expected value.
        expected: String,
        /// The value found in the state.
        actual: String,
    },
    /// The `SignedExecutionPayloadEnvelope` served for a Gloas anchor block fails the spec's
    /// envelope checks against the verified state (its signature, its block root, or a field the
    /// block's bid commits to), or is no envelope at all. Nothing is stored; use another provider.
    EnvelopeMismatch {
        /// Who served it.
        provider: String,
        /// Which check failed.
        what: &'static str,
        /// The expected value.
        expected: String,
        /// The value found in the envelope.
        actual: String,
    },
    /// A local state is not at the first slot of an epoch. Use an epoch-boundary (finalized
    /// checkpoint) state.
    NotEpochAligned {
        /// The first slot of the state's epoch.
        expected_slot: u64,
        /// The state's slot.
        actual_slot: u64,
    },
    /// The fork of the state is inconsistent: `Eth-Consensus-Version` against the version in
    /// the state bytes, or that version against the network's fork schedule at the state's
    /// slot. The provider (or the network config) is wrong.
    ForkMismatch {
        /// Who served it.
        provider: String,
        /// What the first source says (`source` names both sources).
        expected: String,
        /// What the second source says.
        actual: String,
        /// "Eth-Consensus-Version vs state bytes" or "fork schedule vs state bytes".
        source: &'static str,
    },
    /// The checkpoint is outside its weak-subjectivity period (`strict` and `light` modes): a
    /// long-range attack cannot be ruled out. Use a recent checkpoint (or `lenient`).
    WsStale {
        /// The anchor's epoch.
        anchor_epoch: u64,
        /// `compute_weak_subjectivity_period`, in epochs.
        ws_period: u64,
        /// The wall clock's epoch.
        current_epoch: u64,
    },
    /// The providers do not agree on the finalized checkpoint (fewer than `quorum` of them
    /// give the same one). Check the providers; some are on another chain or lying.
    ProviderDisagreement {
        /// How many had to agree.
        quorum: usize,
        /// Each provider and its answer (`epoch:root`, or the error it gave).
        answers: Vec<(String, String)>,
    },
    /// A local state may only start an empty database. Delete the database first (or sync
    /// from a provider).
    DatabaseNotEmpty {
        /// Anchors found.
        anchors: usize,
        /// Whether a backfill is recorded.
        backfill: bool,
    },
    /// No Beacon API URL was given for a flow that needs one. Give at least one.
    NoProviders,
    /// A piece of the local state file could not be read (a `File` deleted or changed on disk
    /// while it was read). Nothing was stored; choose the file again.
    StateFileUnreadable {
        /// Why, as the platform said it.
        reason: String,
    },
    /// A Beacon API call failed (timeout, status, decoding, ...); see [`ApiError`].
    Api(ApiError),
    /// The state bytes are not a valid `BeaconState` of the fork they claim. Use another
    /// provider or file.
    InvalidState {
        /// Who served it.
        provider: String,
        /// Why.
        error: MerkleError,
    },
    /// The state's fork version is unknown to the network, or its bytes are too short to tell.
    UnknownStateFork {
        /// Who served it.
        provider: String,
        /// Why.
        error: TypesError,
    },
    /// The weak-subjectivity maths could not answer (a state without active validators, a
    /// clock before genesis, a broken config); see [`WsError`].
    Ws(WsError),
    /// The store refused or failed the write; see [`StoreError`]. Nothing was written.
    Store(StoreError),
    /// The caller aborted the sync. Nothing was written.
    Aborted,
}

impl CheckpointError {
    /// A stable code per kind of failure (the JS `Error.code` and the CLI's first word).
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidCheckpointString(_) | Self::InvalidCheckpoint { .. } => {
                "INVALID_CHECKPOINT"
            }
            Self::GenesisMismatch { .. } => "WRONG_NETWORK",
            Self::HeaderNotFound { .. } => "HEADER_NOT_FOUND",
            Self::StateNotFound { .. } => "STATE_NOT_FOUND",
            Self::HeaderRootMismatch { .. } => "HEADER_ROOT_MISMATCH",
            Self::StateRootMismatch { .. } => "STATE_ROOT_MISMATCH",
            Self::StateLinkMismatch { .. } => "STATE_LINK_MISMATCH",
            Self::EnvelopeMismatch { .. } => "ENVELOPE_MISMATCH",
            Self::NotEpochAligned { .. } => "NOT_EPOCH_ALIGNED",
            Self::ForkMismatch { .. } => "FORK_MISMATCH",
            Self::WsStale { .. } => "WS_STALE",
            Self::ProviderDisagreement { .. } => "PROVIDER_DISAGREEMENT",
            Self::DatabaseNotEmpty { .. } => "DATABASE_NOT_EMPTY",
            Self::NoProviders => "NO_PROVIDERS",
            Self::StateFileUnreadable { .. } => "STATE_FILE_UNREADABLE",
            Self::Api(e) => e.code(),
            Self::InvalidState { .. } | Self::UnknownStateFork { .. } => "DECODE",
            Self::Ws(e) => e.code(),
            Self::Store(e) => e.code(),
            Self::Aborted => "ABORTED",
        }
    }

    /// `(expected, actual)` as display strings, where the failure compares two values.
    pub fn expected_actual(&self) -> Option<(String, String)> {
        match self {
            Self::GenesisMismatch {
                expected, actual, ..
            }
            | Self::HeaderRootMismatch {
                expected, actual, ..
            }
            | Self::StateRootMismatch {
                expected, actual, ..
            } => Some((hex0x(expected), hex0x(actual))),
            Self::StateLinkMismatch {
                expected, actual, ..
            }
            | Self::EnvelopeMismatch {
                expected, actual, ..
            }
            | Self::ForkMismatch {
                expected, actual, ..
            } => Some((expected.clone(), actual.clone())),
            Self::NotEpochAligned {
                expected_slot,
                actual_slot,
            } => Some((expected_slot.to_string(), actual_slot.to_string())),
            Self::WsStale {
                anchor_epoch,
                ws_period,
                current_epoch,
            } => Some((
                format!(
                    "current epoch at most {}",
                    anchor_epoch.saturating_add(*ws_period)
                ),
                current_epoch.to_string(),
            )),
            Self::Ws(WsError::CheckpointEpochMismatch { expected, got }) => {
                Some((expected.to_string(), got.to_string()))
            }
            Self::Ws(WsError::CheckpointRootMismatch { expected, got }) => {
                Some((hex0x(expected), hex0x(got)))
            }
            Self::Store(e) => e.expected_actual(),
            Self::Api(e) => e.expected_actual(),
            _ => None,
        }
    }

    /// Whether the failure is the provider's (so another provider may succeed).
    pub fn is_provider_fault(&self) -> bool {
        match self {
            Self::GenesisMismatch { provider, .. }
            | Self::HeaderNotFound { provider, .. }
            | Self::StateNotFound { provider, .. }
            | Self::HeaderRootMismatch { provider, .. }
            | Self::StateRootMismatch { provider, .. }
            | Self::StateLinkMismatch { provider, .. }
            | Self::EnvelopeMismatch { provider, .. }
            | Self::ForkMismatch { provider, .. }
            | Self::InvalidState { provider, .. }
            | Self::UnknownStateFork { provider, .. } => provider != super::STATE_FILE,
            Self::Api(e) => !matches!(
                e,
                ApiError::Aborted { .. } | ApiError::InvalidArgument { .. }
            ),
            _ => false,
        }
    }
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidCheckpointString(e) => write!(f, "checkpoint: {e}"),
            Self::InvalidCheckpoint { reason } => write!(f, "checkpoint: {reason}"),
            Self::GenesisMismatch {
                provider,
                expected,
                actual,
            } => write!(
                f,
                "{provider}: expected genesis_validators_root {} (the configured network), got {}",
                hex0x(expected),
                hex0x(actual)
            ),
            Self::HeaderNotFound {
                provider,
                block_root,
            } => write!(
                f,
                "{provider}: expected the header of block {}, got 404 (unknown block)",
                hex0x(block_root)
            ),
            Self::StateNotFound { provider, state_id } => write!(
                f,
                "{provider}: expected the SSZ state {state_id}, got 404 (not retained)"
            ),
            Self::HeaderRootMismatch {
                provider,
                expected,
                actual,
            } => write!(
                f,
                "{provider}: expected a header with hash_tree_root {}, got {}",
                hex0x(expected),
                hex0x(actual)
            ),
            Self::StateRootMismatch {
                provider,
                expected,
                actual,
            } => write!(
                f,
                "{provider}: expected a state with hash_tree_root {} (the header's state_root), got {}",
                hex0x(expected),
                hex0x(actual)
            ),
            Self::StateLinkMismatch {
                provider,
                what,
                expected,
                actual,
            } => write!(f, "{provider}: state {what}: expected {expected}, got {actual}"),
            Self::EnvelopeMismatch {
                provider,
                what,
                expected,
                actual,
            } => write!(
                f,
                "{provider}: execution payload envelope {what}: expected {expected}, got {actual}"
            ),
            Self::NotEpochAligned {
                expected_slot,
                actual_slot,
            } => write!(
                f,
                "state file: expected a state at the first slot of an epoch ({expected_slot}), got slot {actual_slot}"
            ),
            Self::ForkMismatch {
                provider,
                expected,
                actual,
                source,
            } => write!(
                f,
                "{provider}: state fork ({source}): expected {expected}, got {actual}"
            ),
            Self::WsStale {
                anchor_epoch,
                ws_period,
                current_epoch,
            } => write!(
                f,
                "weak subjectivity: expected the current epoch to be at most {} (anchor epoch {anchor_epoch} + period {ws_period} epochs), got {current_epoch}: the checkpoint is stale",
                anchor_epoch.saturating_add(*ws_period)
            ),
            Self::ProviderDisagreement { quorum, answers } => {
                write!(
                    f,
                    "finalized checkpoint: expected at least {quorum} providers to agree, got: "
                )?;
                for (i, (p, a)) in answers.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{p} says {a}")?;
                }
                Ok(())
            }
            Self::DatabaseNotEmpty { anchors, backfill } => write!(
                f,
                "state file: expected an empty database, got {anchors} anchor(s){}",
                if *backfill { " and a backfill" } else { "" }
            ),
            Self::NoProviders => write!(f, "expected at least one Beacon API URL, got none"),
            Self::StateFileUnreadable { reason } => {
                write!(f, "state file: could not be read: {reason}")
            }
            Self::Api(e) => e.fmt(f),
            Self::InvalidState { provider, error } => {
                write!(f, "{provider}: invalid BeaconState SSZ: {error}")
            }
            Self::UnknownStateFork { provider, error } => write!(f, "{provider}: {error}"),
            Self::Ws(e) => e.fmt(f),
            Self::Store(e) => write!(f, "store: {e}"),
            Self::Aborted => write!(f, "checkpoint sync aborted by the caller; nothing stored"),
        }
    }
}

impl std::error::Error for CheckpointError {}

impl From<ApiError> for CheckpointError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Aborted { .. } => CheckpointError::Aborted,
            other => CheckpointError::Api(other),
        }
    }
}

impl From<StoreError> for CheckpointError {
    fn from(e: StoreError) -> Self {
        CheckpointError::Store(e)
    }
}

impl From<WsError> for CheckpointError {
    fn from(e: WsError) -> Self {
        CheckpointError::Ws(e)
    }
}

impl From<crate::ctx::Aborted> for CheckpointError {
    fn from(_: crate::ctx::Aborted) -> Self {
        CheckpointError::Aborted
    }
}
