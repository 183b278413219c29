//! The weak-subjectivity standing of an anchor at a given time: what the overseer decides on,
//! what a new anchor is stored with, and what `status().ws` shows.

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
