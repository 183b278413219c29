//! The one error type of the weak-subjectivity maths.

use std::fmt;

/// Why a weak-subjectivity computation or check could not give an answer.
///
/// Each variant says what the caller should do about it. None of them is transient: retrying with
/// the same inputs gives the same error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsError {
    /// The phase0 formula divides by the active validator count, and the state had none. A state
    /// like that is not a real beacon state: use another checkpoint.
    NoActiveValidators,
    /// A denominator of the formula is zero, which only happens with a broken configuration (for
    /// example `MIN_PER_EPOCH_CHURN_LIMIT = 0`). Fix the network configuration.
    ZeroDenominator {
        /// Which term of the formula was zero, named as in the spec.
        term: &'static str,
    },
    /// An intermediate value does not fit in the integer width the spec uses (`uint64`); the
    /// inputs are outside anything a real chain produces. Check the inputs.
    Overflow {
        /// What was being computed.
        what: &'static str,
    },
    /// The fork name is not one this crate knows a formula for. Use a newer version of the crate,
    /// or pass a known fork name.
    UnknownFork {
        /// The name that was given.
        got: String,
    },
    /// The spec asserts `compute_epoch_at_slot(ws_state.slot) == ws_checkpoint.epoch`: the state
    /// must be the checkpoint epoch's state. Fetch the state of the checkpoint's epoch.
    CheckpointEpochMismatch {
        /// The checkpoint's epoch.
        expected: u64,
        /// The epoch of the state's slot.
        got: u64,
    },
    /// The spec asserts `get_block_root(ws_state, ws_checkpoint.epoch) == ws_checkpoint.root`: the
    /// state does not descend from the checkpoint block. The state or the checkpoint is wrong; do
    /// not use either.
    CheckpointRootMismatch {
        /// The checkpoint's block root.
        expected: [u8; 32],
        /// The state's block root at the checkpoint epoch's first slot.
        got: [u8; 32],
    },
    /// The wall clock is before the chain's genesis, so there is no current slot yet. Check the
    /// clock or the network's genesis time.
    BeforeGenesis {
        /// The clock's reading, in unix seconds.
        now: u64,
        /// The chain's genesis time, in unix seconds.
        genesis_time: u64,
    },
    /// A time parameter is zero (slot duration or slots per epoch); fix the network configuration.
    InvalidTimeParameter {
        /// The parameter's spec name.
        name: &'static str,
    },
}

impl WsError {
    /// The stable code of this error wherever it surfaces (checkpoint sync, backfill, the
    /// overseer, the light rebuild): the checkpoint's own mismatches are `INVALID_CHECKPOINT`, a
    /// wall clock before genesis is `CLOCK_BEFORE_GENESIS`, and everything else means the period
    /// cannot be computed for this network or state (`WS_UNAVAILABLE`).
    pub fn code(&self) -> &'static str {
        match self {
            WsError::CheckpointEpochMismatch { .. } | WsError::CheckpointRootMismatch { .. } => {
                "INVALID_CHECKPOINT"
            }
            WsError::BeforeGenesis { .. } => "CLOCK_BEFORE_GENESIS",
            _ => "WS_UNAVAILABLE",
        }
    }
}

impl fmt::Display for WsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WsError::NoActiveValidators => write!(
                f,
                "weak subjectivity period: expected at least one active validator, got 0"
            ),
            WsError::ZeroDenominator { term } => write!(
                f,
                "weak subjectivity period: expected a non-zero {term}, got 0 (check the network configuration)"
            ),
            WsError::Overflow { what } => {
                write!(f, "weak subjectivity period: {what} overflows uint64")
            }
            WsError::UnknownFork { got } => write!(
                f,
                "expected a fork name (phase0, altair, bellatrix, capella, deneb, electra, fulu, gloas), got {got:?}"
            ),
            WsError::CheckpointEpochMismatch { expected, got } => write!(
                f,
                "weak subjectivity state: expected a state in the checkpoint epoch {expected}, got a state in epoch {got}"
            ),
            WsError::CheckpointRootMismatch { expected, got } => write!(
                f,
                "weak subjectivity state: expected block root 0x{} at the checkpoint epoch, got 0x{}",
                hex::encode(expected),
                hex::encode(got)
            ),
            WsError::BeforeGenesis { now, genesis_time } => write!(
                f,
                "current time: expected a time at or after genesis ({genesis_time} s), got {now} s"
            ),
            WsError::InvalidTimeParameter { name } => {
                write!(f, "chain time: expected a non-zero {name}, got 0")
            }
        }
    }
}

impl std::error::Error for WsError {}
