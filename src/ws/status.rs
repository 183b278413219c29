//! The weak-subjectivity standing of an anchor at a given time (what the overseer decides on,
//! what a new anchor is stored with, and what `status().ws` shows), and what to do with an
//! anchor outside its period ([`LongRange`]).

use super::{ChainClock, Clock, WsError};
use crate::config::NetworkConfig;

/// Weak-subjectivity standing of an anchor at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WsStatus {
    /// `compute_weak_subjectivity_period`, in epochs.
    pub period_epochs: u64,
    /// The last epoch at which the anchor is still safe: `anchor.epoch + period`.
    pub expires_epoch: u64,
    /// The wall clock's epoch.
    pub current_epoch: u64,
    /// `current_epoch > expires_epoch`.
    pub stale: bool,
}

impl WsStatus {
    /// The standing now of an anchor at `anchor_epoch` whose period is `period_epochs`;
    /// [`WsError::BeforeGenesis`] for a clock before the network's genesis.
    pub fn now<C: Clock + ?Sized>(
        network: &NetworkConfig,
        clock: &C,
        anchor_epoch: u64,
        period_epochs: u64,
    ) -> Result<WsStatus, WsError> {
        let current_epoch = ChainClock::for_network(network).current_epoch(clock)?;
        let expires_epoch = anchor_epoch.saturating_add(period_epochs);
        Ok(WsStatus {
            period_epochs,
            expires_epoch,
            current_epoch,
            stale: current_epoch > expires_epoch,
        })
    }
}

/// What to do with a checkpoint that is outside its weak-subjectivity period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LongRange {
    /// Refuse it (`WS_STALE`). The default.
    #[default]
    Strict,
    /// Store it marked `stale`, with a warning event.
    Lenient,
    /// Rebuild trust with light-client updates: a stale checkpoint is stored marked `stale`
    /// (verified against its trust input, never current) and `crate::policy::checkpoint`
    /// rebuilds a `light-client` anchor from it at once, as from a stored anchor gone stale.
    Light,
}

impl std::str::FromStr for LongRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "strict" => Ok(LongRange::Strict),
            "lenient" => Ok(LongRange::Lenient),
            "light" => Ok(LongRange::Light),
            other => Err(format!(
                "expected longRange \"strict\", \"lenient\" or \"light\", got {other:?}"
            )),
        }
    }
}
