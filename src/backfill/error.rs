//! The one error type of a backfill run.

use std::fmt;

use crate::beacon_api::ApiError;
use crate::store::StoreError;
use crate::types::hex0x;
use crate::ws::WsError;

use super::{Root, WalkError};

/// Why a backfill stopped. Every variant leaves the store consistent: only headers that linked
/// to the anchor were ever committed, each batch together with its cursor, so a later run
/// resumes from the stored cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackfillError {
    /// No active anchor is stored. Run a checkpoint sync first; retrying will not help.
    NoAnchor,
    /// The walk searched `lowest_slot..=highest_slot` (and every provider, and the block by its
    /// root) without finding the block whose root is `expected_root`: the providers withhold it
    /// or serve another chain. Retry later or with other providers.
    LinkNotFound {
        /// The root the next older header must have (the oldest stored header's `parent_root`).
        expected_root: Root,
        /// The highest slot searched.
        highest_slot: u64,
        /// The lowest slot searched.
        lowest_slot: u64,
        /// Non-linking headers met in that range.
        non_linking: u64,
    },
    /// The walk ended without reaching its target: no provider served, at any slot down to
    /// `lowest_slot`, the block the chain needs next (or the oldest header is not a genesis
    /// block where genesis was the target). Everything verified above `oldest_slot` is stored;
    /// retry later or with other providers to resume from there.
    Incomplete {
        /// The slot the run had to reach (0: genesis).
        target_slot: u64,
        /// The oldest stored header's slot: the chain is verified from the anchor down to here.
        oldest_slot: u64,
        /// The root the next older block must have (that header's `parent_root`; zero when
        /// the header names no parent).
        expected_root: Root,
        /// The lowest slot examined for it.
        lowest_slot: u64,
    },
    /// The anchor state's `block_roots`/`historical_summaries` say the block `expected_root` is at
    /// `slot`, but no provider served it there. Retry later or with other providers.
    Withheld {
        /// The slot the block is known to occupy.
        slot: u64,
        /// Its root, from the anchor state.
        expected_root: Root,
        /// What the providers served instead (`None`: 404 or an error).
        got: Option<Root>,
    },
    /// A request failed on every provider and retry. `source.code()` says why; retry later.
    Api {
        /// The slot being fetched.
        slot: u64,
        /// The last failure.
        source: ApiError,
    },
    /// Every provider was found serving bad data and is being avoided. Add honest providers.
    NoHealthyProvider {
        /// The providers given.
        providers: usize,
    },
    /// The stored backfill hung from an anchor that is now outside its weak-subjectivity period;
    /// it was reset (see the `Reset` event). Refresh the anchor (checkpoint or light sync) first.
    BackfillTooOld {
        /// The anchor's epoch.
        anchor_epoch: u64,
        /// Its weak-subjectivity period, in epochs.
        ws_period_epochs: u64,
        /// The wall clock's epoch.
        current_epoch: u64,
    },
    /// An option is out of range. Fix the option.
    InvalidOption {
        /// The option's name.
        name: &'static str,
        /// What is accepted.
        expected: &'static str,
        /// What was given.
        got: String,
    },
    /// The wall clock is before genesis or the network's timing is invalid. Fix the clock/config.
    Clock(WsError),
    /// The store failed; nothing of the failed batch was written. Retry later.
    Store(StoreError),
    /// The caller aborted. Everything committed so far is kept; start again to resume.
    Aborted,
}

impl BackfillError {
    /// A stable code per kind (the JS `Error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            BackfillError::NoAnchor => "NO_ANCHOR",
            BackfillError::LinkNotFound { .. } => "LINK_NOT_FOUND",
            BackfillError::Incomplete { .. } => "BACKFILL_INCOMPLETE",
            BackfillError::Withheld { .. } => "BLOCK_WITHHELD",
            BackfillError::Api { .. } => "API",
            BackfillError::NoHealthyProvider { .. } => "NO_HEALTHY_PROVIDER",
            BackfillError::BackfillTooOld { .. } => "BACKFILL_TOO_OLD",
            BackfillError::InvalidOption { .. } => "INVALID_OPTIONS",
            BackfillError::Clock(e) => e.code(),
            BackfillError::Store(e) => e.code(),
            BackfillError::Aborted => "ABORTED",
        }
    }
}

impl fmt::Display for BackfillError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackfillError::NoAnchor => {
                write!(f, "backfill: expected an active anchor in the store, got none")
            }
            BackfillError::LinkNotFound {
                expected_root,
                highest_slot,
                lowest_slot,
                non_linking,
            } => write!(
                f,
                "backfill: expected a header with root {} in slots {lowest_slot}..={highest_slot}, got none \
                 ({non_linking} non-linking headers; the block is withheld or the providers serve another chain)",
                hex0x(expected_root)
            ),
            BackfillError::Incomplete {
                target_slot,
                oldest_slot,
                expected_root,
                lowest_slot,
            } => {
                let target = match target_slot {
                    0 => "genesis (slot 0)".to_string(),
                    t => format!("slot {t}"),
                };
                write!(f, "backfill: expected the verified chain to reach {target}, got it stopping at slot {oldest_slot}: ")?;
                if *expected_root == [0u8; 32] {
                    write!(f, "its header names no parent, so no older block links")
                } else if *oldest_slot == 0 {
                    write!(
                        f,
                        "the header at slot 0 names parent {}, so it is no genesis block",
                        hex0x(expected_root)
                    )
                } else {
                    write!(
                        f,
                        "expected its parent block {} in slots {lowest_slot}..={}, got no provider serving it",
                        hex0x(expected_root),
                        oldest_slot - 1
                    )
                }
            }
            BackfillError::Withheld {
                slot,
                expected_root,
                got,
            } => write!(
                f,
                "backfill: expected block {} at slot {slot} (anchor state's block roots), got {}",
                hex0x(expected_root),
                match got {
                    Some(r) => format!("a header with root {}", hex0x(r)),
                    None => "no block from any provider".to_string(),
                }
            ),
            BackfillError::Api { slot, source } => {
                write!(f, "backfill: slot {slot}: {source}")
            }
            BackfillError::NoHealthyProvider { providers } => write!(
                f,
                "backfill: expected at least one provider serving valid data, got {providers} all avoided"
            ),
            BackfillError::BackfillTooOld {
                anchor_epoch,
                ws_period_epochs,
                current_epoch,
            } => write!(
                f,
                "backfill: expected the anchor (epoch {anchor_epoch}, weak-subjectivity period {ws_period_epochs} epochs) \
                 to be valid until epoch {}, got current epoch {current_epoch}; the stored backfill was reset",
                anchor_epoch.saturating_add(*ws_period_epochs)
            ),
            BackfillError::InvalidOption {
                name,
                expected,
                got,
            } => write!(f, "backfill option {name}: expected {expected}, got {got}"),
            BackfillError::Clock(e) => write!(f, "backfill: clock: {e}"),
            BackfillError::Store(e) => write!(f, "backfill: {e}"),
            BackfillError::Aborted => write!(f, "backfill: aborted by the caller"),
        }
    }
}

impl std::error::Error for BackfillError {}

impl From<StoreError> for BackfillError {
    fn from(e: StoreError) -> Self {
        BackfillError::Store(e)
    }
}

impl From<WalkError> for BackfillError {
    fn from(e: WalkError) -> Self {
        match e {
            WalkError::LinkNotFound {
                expected_root,
                highest_slot,
                lowest_slot,
                non_linking,
            } => BackfillError::LinkNotFound {
                expected_root,
                highest_slot,
                lowest_slot,
                non_linking,
            },
            WalkError::Exhausted {
                expected_root,
                oldest_slot,
                target_slot,
            } => BackfillError::Incomplete {
                target_slot,
                oldest_slot,
                expected_root,
                lowest_slot: 0,
            },
            WalkError::Withheld {
                slot,
                expected_root,
                got,
            } => BackfillError::Withheld {
                slot,
                expected_root,
                got,
            },
        }
    }
}
