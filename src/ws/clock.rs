//! Time: the current slot and epoch from a wall clock, as the fork-choice `get_current_slot`.

use super::WsError;

/// A source of wall-clock time, injected so that staleness can be tested without waiting.
///
/// The browser implementation (over `Date.now()`) lives with the JS bindings, since this module
/// stays free of browser APIs.
pub trait Clock {
    /// The current time, in whole seconds since the unix epoch.
    fn now_unix_seconds(&self) -> u64;
}

/// A clock stopped at a given time: for tests and for replaying a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(
    /// The time it always reads, in unix seconds.
    pub u64,
);

impl Clock for FixedClock {
    fn now_unix_seconds(&self) -> u64 {
        self.0
    }
}

/// The operating system's clock (native only: `std::time::SystemTime` panics in
/// `wasm32-unknown-unknown`).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[cfg(not(target_arch = "wasm32"))]
impl Clock for SystemClock {
    fn now_unix_seconds(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            // A system clock set before 1970 reads as 1970, which is before every genesis and
            // so surfaces as `WsError::BeforeGenesis` instead of a panic.
            .unwrap_or(0)
    }
}

/// A chain's timing parameters: enough to turn a wall-clock time into a slot and an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainClock {
    /// `genesis_time` of the chain's genesis state, in unix seconds.
    pub genesis_time: u64,
    /// `SLOT_DURATION_MS`, in milliseconds (12 000 on mainnet; older configs give
    /// `SECONDS_PER_SLOT` instead, see [`ChainClock::from_seconds_per_slot`]).
    pub slot_duration_ms: u64,
    /// `SLOTS_PER_EPOCH`.
    pub slots_per_epoch: u64,
}

impl ChainClock {
    /// The clock of a network: its genesis time, slot duration and preset's slots per epoch.
    pub fn for_network(config: &crate::config::NetworkConfig) -> Self {
        ChainClock::from_seconds_per_slot(
            config.genesis_time,
            config.seconds_per_slot,
            config.slots_per_epoch(),
        )
    }

    /// For configs that still state `SECONDS_PER_SLOT` (mainnet's published config.yaml does).
    pub fn from_seconds_per_slot(
        genesis_time: u64,
        seconds_per_slot: u64,
        slots_per_epoch: u64,
    ) -> Self {
        ChainClock {
            genesis_time,
            slot_duration_ms: seconds_per_slot.saturating_mul(1000),
            slots_per_epoch,
        }
    }

    /// `get_current_slot`: `(time - genesis_time) * 1000 // SLOT_DURATION_MS`.
    pub fn current_slot<C: Clock + ?Sized>(&self, clock: &C) -> Result<u64, WsError> {
        self.slot_at(clock.now_unix_seconds())
    }

    /// The slot at `now` (unix seconds).
    pub fn slot_at(&self, now: u64) -> Result<u64, WsError> {
        if self.slot_duration_ms == 0 {
            return Err(WsError::InvalidTimeParameter {
                name: "SLOT_DURATION_MS",
            });
        }
        let since_genesis = now
            .checked_sub(self.genesis_time)
            .ok_or(WsError::BeforeGenesis {
                now,
                genesis_time: self.genesis_time,
            })?;
        let slot = u128::from(since_genesis) * 1000 / u128::from(self.slot_duration_ms);
        // Beyond u64 only for times around u64::MAX / 1000 seconds after genesis: saturate.
        Ok(u64::try_from(slot).unwrap_or(u64::MAX))
    }

    /// `compute_epoch_at_slot(get_current_slot(store))`.
    pub fn current_epoch<C: Clock + ?Sized>(&self, clock: &C) -> Result<u64, WsError> {
        let slot = self.current_slot(clock)?;
        self.epoch_at_slot(slot)
    }

    /// `compute_epoch_at_slot(slot)`: `slot // SLOTS_PER_EPOCH`.
    pub fn epoch_at_slot(&self, slot: u64) -> Result<u64, WsError> {
        if self.slots_per_epoch == 0 {
            return Err(WsError::InvalidTimeParameter {
                name: "SLOTS_PER_EPOCH",
            });
        }
        Ok(slot / self.slots_per_epoch)
    }
}
