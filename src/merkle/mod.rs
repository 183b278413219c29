//! Hashing and merkleization straight from SSZ bytes.
//!
//! Verifying a checkpoint means `hash_tree_root(BeaconState) == header.state_root`. A mainnet
//! state is ~280 MB with ~2M validators (~19M node hashes); decoding it into typed structs first
//! doubles the memory and is slow. This module reads the SSZ bytes in place, guided by a schema of
//! the BeaconState per fork and preset ([`schema`]), validates every offset and length on the way
//! ([`MerkleError`]), and hashes level by level in large batches through the SHA-256 kernels of
//! [`sha256`]. Memory beyond the borrowed bytes is one work group's scratch (~0.5 MB) plus one
//! 32-byte root per group.
//!
//! Entry points: [`state_root`] (one shot), [`StateRootJob`] (incremental, for yielding to the
//! browser's event loop), [`StateView`]
//! (zero-copy field reads), [`state_proof`] (Merkle branches for light-client checks) and
//! [`stream`] (tasks over byte ranges: hash while the body downloads, and in Web Workers).
//! Gloas's progressive types (EIP-7916 lists and bitlists, EIP-7495 containers) are schema
//! types like any other; [`progressive`] holds their tree shape, shared with the typed structs.

pub use crate::hash::{progressive, sha256, tree};
pub mod schema;
mod ssz;
mod state;
pub mod stream;
mod view;

pub use schema::{ContainerType, SszType};
pub use sha256::{best_kernel, hash_nodes, hash_pair, Kernel};
pub use ssz::SeqPlan;
pub use state::{
    container_field_branch, container_proof, container_root_from_fields, field_gindex, path_gindex,
    state_proof, state_root, Progress, StateProof, StateRootJob,
};
pub use stream::{
    max_state_size, state_head_len, state_size_ceiling, StatePlan, StreamError, StreamingStateRoot,
    Task, TaskHasher, TaskSpec, DEFAULT_TASK_BYTES,
};
pub use view::{
    active_validators, count_active, get_total_active_balance, ActiveValidators, CheckpointView,
    ForkView, HeaderView, KeptState, Registry, StateView, SyncCommitteeView, ValidatorView,
    EFFECTIVE_BALANCE_INCREMENT, VALIDATOR_BYTES,
};

use crate::types::{ForkName, PresetName};
use std::fmt;

/// `hash_tree_root` of any value of a schema type from its SSZ bytes (validated).
pub fn hash_tree_root(ty: &SszType, bytes: &[u8]) -> Result<[u8; 32], MerkleError> {
    ssz::hash_tree_root(
        ty,
        bytes,
        &|| "value".to_string(),
        &mut tree::Reducer::new(),
    )
}

/// The bytes of the field reached by `path` (field names, outermost first) in a value of the
/// container `ty` encoded in `bytes`, and that field's type. Each container on the way has its
/// fixed part and offsets validated; `Ok(None)` when a name is not a field there (the field
/// belongs to another fork). The field's own bytes are not validated: hash or decode them.
pub fn field_at<'b>(
    ty: &SszType,
    bytes: &'b [u8],
    path: &[&str],
) -> Result<Option<(&'b [u8], SszType)>, MerkleError> {
    let (mut ty, mut bytes) = (*ty, bytes);
    for name in path {
        let Some(i) = ty.field_index(name) else {
            return Ok(None);
        };
        let ranges =
            ssz::container_ranges(ty.fields(), bytes, &|| format!("{}.{name}", ty.name()))?;
        bytes = &bytes[ranges[i].clone()];
        ty = ty.fields()[i].1;
    }
    Ok(Some((bytes, ty)))
}

/// The `SignedBeaconBlock` schema of `fork` under `preset` (see [`schema::signed_beacon_block`]).
pub fn signed_beacon_block_schema(fork: ForkName, preset: PresetName) -> &'static SszType {
    schema::signed_beacon_block(fork, preset)
}

/// The BeaconState schema of `fork` under `preset` (see [`schema::beacon_state`]).
pub fn beacon_state_schema(fork: ForkName, preset: PresetName) -> &'static SszType {
    schema::beacon_state(fork, preset)
}

/// Why SSZ bytes could not be merkleized. Every variant means the *data* is not a valid encoding
/// of the expected type (or the caller named something that does not exist): retrying with the
/// same bytes gives the same error; fetch the state again or from another provider, or check
/// the fork/preset it was decoded with. `path` names the value, e.g.
/// `BeaconState.validators[17].slashed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MerkleError {
    /// A fixed-size value does not have its exact size.
    WrongSize {
        /// Where.
        path: String,
        /// Expected size in bytes.
        expected: usize,
        /// Actual size in bytes.
        got: usize,
    },
    /// Fewer bytes than the fixed part of a container.
    TooShort {
        /// Where.
        path: String,
        /// Minimum size in bytes.
        expected_at_least: usize,
        /// Actual size in bytes.
        got: usize,
    },
    /// An offset points before the previous one, outside the data, or (first offset) not right
    /// after the fixed part.
    BadOffset {
        /// Which offset.
        path: String,
        /// Smallest valid value.
        expected_min: usize,
        /// Largest valid value.
        expected_max: usize,
        /// The offset read.
        got: usize,
    },
    /// A list of fixed-size elements is not a whole number of elements.
    NotMultiple {
        /// Where.
        path: String,
        /// Element size in bytes.
        element_size: usize,
        /// Byte length found.
        got: usize,
    },
    /// A list (or bitlist, or byte list) is longer than its limit.
    TooLong {
        /// Where.
        path: String,
        /// The limit (elements, bits or bytes).
        limit: u64,
        /// The length found.
        got: u64,
    },
    /// A boolean byte other than 0 or 1.
    BadBoolean {
        /// Where.
        path: String,
        /// The byte found.
        got: u8,
    },
    /// A bitlist is empty or its last byte is zero, so it has no length delimiter bit.
    MissingBitlistDelimiter {
        /// Where.
        path: String,
    },
    /// Bits above the length of a bitvector are set.
    BitvectorPadding {
        /// Where.
        path: String,
        /// Bitvector length in bits.
        bits: usize,
        /// The last byte found.
        last_byte: u8,
    },
    /// The caller named a field the state of this fork does not have.
    UnknownField {
        /// The name given.
        name: String,
    },
    /// The caller asked to split a field that is not a list/vector of fixed-size elements.
    NotSplittable {
        /// The name given.
        name: String,
    },
    /// [`StatePlan::combine`](stream::StatePlan::combine) got the wrong number of task roots, or a
    /// task index past the last.
    WrongPartCount {
        /// Number of parts of the split.
        expected: usize,
        /// Number of roots given.
        got: usize,
    },
}

impl fmt::Display for MerkleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MerkleError::WrongSize {
                path,
                expected,
                got,
            } => write!(f, "{path}: expected {expected} bytes, got {got}"),
            MerkleError::TooShort {
                path,
                expected_at_least,
                got,
            } => write!(
                f,
                "{path}: expected at least {expected_at_least} bytes, got {got}"
            ),
            MerkleError::BadOffset {
                path,
                expected_min,
                expected_max,
                got,
            } => write!(
                f,
                "{path}: expected an offset in {expected_min}..={expected_max}, got {got}"
            ),
            MerkleError::NotMultiple {
                path,
                element_size,
                got,
            } => write!(
                f,
                "{path}: expected a multiple of {element_size} bytes, got {got}"
            ),
            MerkleError::TooLong { path, limit, got } => {
                write!(f, "{path}: expected at most {limit} items, got {got}")
            }
            MerkleError::BadBoolean { path, got } => {
                write!(f, "{path}: expected a boolean 0 or 1, got {got}")
            }
            MerkleError::MissingBitlistDelimiter { path } => write!(
                f,
                "{path}: expected a bitlist ending in a delimiter bit, got a zero or empty last byte"
            ),
            MerkleError::BitvectorPadding {
                path,
                bits,
                last_byte,
            } => write!(
                f,
                "{path}: expected zero padding bits above bit {bits}, got last byte {last_byte:#04x}"
            ),
            MerkleError::UnknownField { name } => {
                write!(f, "expected a BeaconState field name of this fork, got `{name}`")
            }
            MerkleError::NotSplittable { name } => write!(
                f,
                "expected a list or vector of fixed-size elements to split, got field `{name}`"
            ),
            MerkleError::WrongPartCount { expected, got } => {
                write!(f, "expected {expected} part roots, got {got}")
            }
        }
    }
}

impl std::error::Error for MerkleError {}

/// The fixtures folder for tests (fails the test when missing); see `crate::ssz_io`.
#[cfg(test)]
pub(crate) fn fixtures_dir() -> std::path::PathBuf {
    crate::ssz_io::require_fixtures_dir()
}
