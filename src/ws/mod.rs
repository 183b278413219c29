//! Weak-subjectivity maths: how long a finalized checkpoint stays a safe place to sync from.
//!
//! A node that syncs from a checkpoint instead of from genesis trusts that checkpoint. The
//! consensus specs bound that trust in time: after `compute_weak_subjectivity_period` epochs, enough
//! validators may have exited (and then be free to sign a conflicting history without being
//! slashed) that an old checkpoint no longer protects against a long-range attack. This module
//! computes that period with the formula of the state's fork (phase0's up to Deneb, Electra's for
//! Electra and Fulu, Gloas's once Gloas is enabled), answers the spec's
//! `is_within_weak_subjectivity_period` question against an injectable wall clock, and parses the
//! `block_root:epoch` checkpoint strings users paste (the format Nimbus and the spec's
//! "Weak Subjectivity Sync Procedure" use).
//!
//! Everything here is pure: the caller extracts the few numbers the formulas need from a verified
//! state ([`WsInputs`]) and passes the time source in ([`Clock`]), so every branch is testable
//! without a network, a browser or waiting.

mod checkpoint;
mod clock;
mod error;
mod period;
mod status;

pub use checkpoint::{CheckpointParseError, WsCheckpoint};
#[cfg(not(target_arch = "wasm32"))]
pub use clock::SystemClock;
pub use clock::{ChainClock, Clock, FixedClock};
pub use error::WsError;
pub use period::{
    compute_weak_subjectivity_period, get_balance_churn_limit, get_validator_churn_limit,
    is_within_weak_subjectivity_period, verify_ws_state_block_root, WsConfig, WsFormula, WsInputs,
    ETH_TO_GWEI,
};
pub use status::{LongRange, WsStatus};
