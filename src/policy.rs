//! What a stale anchor leads to, decided once for every front end (the JS API and the CLI).
//!
//! The `longRange` option (DESIGN.md, "Long-range modes") applies the same way to a checkpoint
//! that is already stale when it is given and to a stored anchor that went stale later:
//! - `strict`: refused, `WS_STALE`, nothing stored;
//! - `lenient`: stored (or kept) marked `stale`, with a `WS_STALE_LENIENT` warning;
//! - `light`: stored marked `stale` and rebuilt at once into a `light-client` anchor through
//!   sync-committee signatures, which becomes the active anchor. The stale one was verified
//!   against the trust input it came from and is recorded as stale, never as current, so nothing
//!   unverified is trusted; when the rebuild fails it stays, stale, and the next start retries.
//!
//! A stored anchor is decided by the overseer's table ([`crate::longrange::decide`]); the checkpoint
//! flow applies the same modes ([`checkpoint`] adds the rebuild). `follow()` without a `start()`
//! does not rebuild: a `light` anchor that went stale is refused there ([`follow_state`]).

use std::fmt;

use crate::beacon_api::BeaconApi;
use crate::checkpoint::{CheckpointError, CheckpointSync, LongRange, Source, Verified};
use crate::ctx::Env;
use crate::event::Mode;
use crate::longrange::{FollowState, Overseer, OverseerError, Started};
use crate::store::{AnchorRecord, Store};
use crate::ws::Clock;

/// A checkpoint sync under the `longRange` rule.
#[derive(Debug)]
pub struct Established {
    /// The anchor the checkpoint flow verified and stored (stale under `lenient` or `light`).
    pub verified: Verified,
    /// The overseer's start, when `light` rebuilt trust from a stale checkpoint (its new anchor
    /// is the active one, and it took a first follow step).
    pub started: Option<Started>,
}

impl Established {
    /// The anchor in use: the rebuilt one after a light rebuild, else the verified one.
    pub fn anchor(&self) -> &AnchorRecord {
        self.started
            .as_ref()
            .map_or(&self.verified.anchor, |s| &s.anchor)
    }
}

/// Why [`checkpoint`] failed.
#[derive(Debug)]
pub enum EstablishError {
    /// The checkpoint flow refused or failed (nothing stored).
    Checkpoint(CheckpointError),
    /// The light rebuild of a stale checkpoint failed; the stale anchor stays stored (and
    /// active), marked stale, for the next start to rebuild.
    Rebuild {
        /// Why the rebuild failed.
        error: OverseerError,
        /// The stale checkpoint as stored.
        kept: Box<Verified>,
    },
}

impl EstablishError {
    /// The inner error's stable code.
    pub fn code(&self) -> &'static str {
        match self {
            EstablishError::Checkpoint(e) => e.code(),
            EstablishError::Rebuild { error, .. } => error.code(),
        }
    }

    /// `(expected, actual)` where the inner error compares two values.
    pub fn expected_actual(&self) -> Option<(String, String)> {
        match self {
            EstablishError::Checkpoint(e) => e.expected_actual(),
            EstablishError::Rebuild { error, .. } => error.expected_actual(),
        }
    }
}

impl fmt::Display for EstablishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EstablishError::Checkpoint(e) => write!(f, "{e}"),
            EstablishError::Rebuild { error, .. } => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for EstablishError {}

/// Runs the checkpoint flow of `source`, then, under `light` with a stale result, the overseer's
/// start (the light rebuild and a first follow step). `sync` and `overseer` share one run
/// context and env, and must carry the same `longRange`.
pub async fn checkpoint<A, S, C, E>(
    sync: &CheckpointSync<'_, A, S, C, E>,
    overseer: &Overseer<'_, A, S, C, E>,
    source: &Source,
) -> Result<Established, EstablishError>
where
    A: BeaconApi,
    S: Store,
    C: Clock + ?Sized,
    E: Env,
{
    debug_assert_eq!(sync.options.long_range, overseer.long_range);
    let verified = sync.run(source).await.map_err(EstablishError::Checkpoint)?;
    if !(verified.ws.stale && overseer.long_range == LongRange::Light) {
        return Ok(Established {
            verified,
            started: None,
        });
    }
    match overseer.start().await {
        Ok(started) => Ok(Established {
            verified,
            started: Some(started),
        }),
        Err(error) => Err(EstablishError::Rebuild {
            error,
            kept: Box::new(verified),
        }),
    }
}

/// Where following resumes from the stored active anchor when no start ran in this session: the
/// overseer's decision without running it (`strict` refuses a stale anchor, `lenient` follows
/// it), and under `light` a stale anchor is refused with [`OverseerError::RebuildFirst`]: the
/// rebuild belongs to the start, not to a follow loop.
pub async fn follow_state<A, S, C, E>(
    overseer: &Overseer<'_, A, S, C, E>,
) -> Result<FollowState, OverseerError>
where
    A: BeaconApi,
    S: Store,
    C: Clock + ?Sized,
    E: Env,
{
    let (decision, anchor) = overseer.decide().await?;
    if decision.mode == Mode::Light {
        return Err(OverseerError::RebuildFirst {
            anchor_epoch: anchor.epoch,
            ws_period: decision.ws.period_epochs,
            current_epoch: decision.ws.current_epoch,
        });
    }
    overseer.follow_state(&anchor, None).await
}
