//! The long-range room: at every start, which long-range mode runs (the overseer, here), the
//! light rebuild of a stale anchor ([`rebuild`]) and following finality forward ([`follow`]).
//! The light-client verification they rely on (branches, BLS, the sync protocol) is in
//! `crate::light`.
//!
//! The overseer: at every start, which long-range mode runs, and running it.
//!
//! A client that was closed for weeks comes back with an anchor that may have fallen outside its
//! weak-subjectivity period. Following finality from such an anchor is no longer safe, and a
//! half-done backfill hanging from it can no longer be trusted to connect to anything a provider
//! serves. The overseer decides, from the stored anchor, the backfill cursor, the wall clock
//! (injected, so every branch is testable) and the user's `longRange` option, what happens
//! ([`decide`], the decision table of DESIGN.md "Long-range modes"):
//!
//! | anchor within its WS period | backfill pending | `longRange` | outcome |
//! |---|---|---|---|
//! | yes | any | any | [`Mode::Follow`]: follow forward, backfill if needed |
//! | no | yes | any | [`OverseerError::BackfillTooOld`] (Nimbus: "trusted node sync started too long ago") |
//! | no | no | `strict` | [`OverseerError::WsStale`] with anchor epoch, period and current epoch |
//! | no | no | `lenient` | [`Mode::FollowStale`]: warning `WS_STALE_LENIENT`, anchor marked `stale`, follow |
//! | no | no | `light` | [`Mode::Light`]: rebuild trust with light-client updates, then follow |
//!
//! The decision is made before anything is written, so a refusal leaves the store untouched.
//! [`Overseer::start`] then runs the mode: the light rebuild ([`rebuild`]) and one
//! step of following forward ([`follow`]), reporting through the run's [`Env`].
//!
//! Following forward is persistent: the tip lives in the store as a [`HeadRecord`], written in
//! one transaction with the headers that link it to the previous tip ([`Store::commit_head`]),
//! so a reload resumes from the stored tip ([`Overseer::follow_state`]) and the stored headers
//! above the anchor never have a gap. [`Overseer::follow_step`] is one step of that loop (the JS
//! `follow()` calls it on a timer): finality updates when the run holds a light client (after a
//! light rebuild), the providers' finality checkpoints otherwise; a new finalized block that
//! does not link back leaves the tip where it was.
//!
//! Following by events: [`Overseer::follow_events`] is the loop both `follow()` in a page and a
//! native follower run. It subscribes to the first provider's `/eth/v1/events`
//! (`finalized_checkpoint`, plus `light_client_finality_update` when the run holds a light
//! client) and takes a step on each event, but an event is only a hint: the step runs the same
//! checks as a poll (providers agree, or the update verifies; the new block links back by parent
//! roots) before anything is stored, and a finality update carried by the event is verified as
//! one fetched would be. While the stream is open, a poll still runs every
//! `FollowOptions::safety_poll_ms` in case an event was lost; when it cannot be opened (404/501, a
//! CORS failure, a refused connection) or drops, following polls every `FollowOptions::poll_ms`
//! and reopens the stream after an exponential backoff ([`crate::beacon_api::sse::Reconnect`]),
//! trying the next provider each time. Each `Followed` event says what triggered its step and,
//! when a node's event announced the block it reached, the milliseconds from that event to the
//! stored tip.

pub mod follow;
pub mod rebuild;
pub mod session;

use std::fmt;

use self::follow::{AnyLightStore, FollowError, FollowStep, Follower, LinkError, Tip};
use self::rebuild::{LightRebuild, RebuildError, Rebuilt};
use crate::beacon_api::sse::{
    events_url, follow_hint, unsupported, FollowHint, Reconnect, StreamNext, TOPIC_FINALIZED,
    TOPIC_LIGHT_FINALITY,
};
use crate::beacon_api::{first_passing, ApiError, BeaconApi, Next, Rejection};
use crate::config::NetworkConfig;
use crate::ctx::{boxed, Ctx, Env};
use crate::event::Failure;
pub use crate::event::{Event, Followed, Mode, StepSource, StreamStatus};
use crate::store::{AnchorRecord, BackfillCursor, HeadRecord, HeadSource, Store, StoreError};
use crate::ws::{ChainClock, Clock, LongRange, WsError, WsStatus};
pub use session::{Busy, InstanceMode, Session, ShownHead, StartOutcome};

use crate::types::Root;

/// Where backfill stands, from the store's cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackfillState {
    /// No backfill has started (no cursor).
    NotStarted,
    /// Started and not at its target yet: `oldest_slot > target_slot`.
    Pending {
        /// The oldest stored header's slot.
        oldest_slot: u64,
        /// Where backfill stops (inclusive).
        target_slot: u64,
    },
    /// Reached its target.
    Complete {
        /// The oldest stored header's slot.
        oldest_slot: u64,
        /// Where backfill stopped.
        target_slot: u64,
    },
}

impl BackfillState {
    /// The state a cursor describes.
    pub fn from_cursor(cursor: Option<&BackfillCursor>) -> Self {
        match cursor {
            None => BackfillState::NotStarted,
            Some(c) if c.oldest_slot > c.target_slot => BackfillState::Pending {
                oldest_slot: c.oldest_slot,
                target_slot: c.target_slot,
            },
            Some(c) => BackfillState::Complete {
                oldest_slot: c.oldest_slot,
                target_slot: c.target_slot,
            },
        }
    }
}

/// What [`decide`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// The mode that runs.
    pub mode: Mode,
    /// The anchor's weak-subjectivity standing now.
    pub ws: WsStatus,
    /// Where backfill stands.
    pub backfill: BackfillState,
    /// The anchor's block root.
    pub anchor_root: Root,
    /// The anchor's epoch.
    pub anchor_epoch: u64,
}

/// Why the overseer stopped. Nothing was written unless the variant says so.
#[derive(Debug, Clone, PartialEq)]
pub enum OverseerError {
    /// The store has no active anchor: run a checkpoint sync first.
    NoAnchor,
    /// `strict`: the anchor is outside its weak-subjectivity period. Start again from a recent
    /// trusted checkpoint, or choose `light` (or, knowingly, `lenient`).
    WsStale {
        /// The anchor's epoch.
        anchor_epoch: u64,
        /// Its weak-subjectivity period, in epochs.
        ws_period: u64,
        /// The wall clock's epoch.
        current_epoch: u64,
    },
    /// `light`: the anchor is outside its weak-subjectivity period and following cannot start
    /// from it until the light rebuild ran (`start()` runs it; see `crate::policy`).
    RebuildFirst {
        /// The anchor's epoch.
        anchor_epoch: u64,
        /// Its weak-subjectivity period, in epochs.
        ws_period: u64,
        /// The wall clock's epoch.
        current_epoch: u64,
    },
    /// The anchor is stale and a backfill hanging from it is unfinished: that backfill cannot be
    /// completed safely. Reset the backfill and start again from a recent checkpoint.
    BackfillTooOld {
        /// The anchor's epoch.
        anchor_epoch: u64,
        /// Its weak-subjectivity period, in epochs.
        ws_period: u64,
        /// The wall clock's epoch.
        current_epoch: u64,
        /// The backfill's oldest stored slot.
        oldest_slot: u64,
        /// The backfill's target slot.
        target_slot: u64,
    },
    /// The clock or the network's time parameters are unusable.
    Clock(WsError),
    /// The store failed.
    Store(StoreError),
    /// The light rebuild failed (names its step and period); nothing was stored.
    Rebuild(RebuildError),
    /// Following forward failed; the anchor (and, in `light` mode, the rebuilt anchor) stays.
    Follow(FollowError),
}

impl OverseerError {
    /// A stable code (`WS_STALE`, `BACKFILL_TOO_OLD`, or the inner error's).
    pub fn code(&self) -> &'static str {
        match self {
            OverseerError::NoAnchor => "NO_ANCHOR",
            OverseerError::WsStale { .. } | OverseerError::RebuildFirst { .. } => "WS_STALE",
            OverseerError::BackfillTooOld { .. } => "BACKFILL_TOO_OLD",
            OverseerError::Clock(e) => e.code(),
            OverseerError::Store(e) => e.code(),
            OverseerError::Rebuild(e) => e.code(),
            OverseerError::Follow(e) => e.code(),
        }
    }

    /// `(expected, actual)` for errors that compare two values.
    pub fn expected_actual(&self) -> Option<(String, String)> {
        match self {
            OverseerError::WsStale {
                anchor_epoch,
                ws_period,
                current_epoch,
            }
            | OverseerError::RebuildFirst {
                anchor_epoch,
                ws_period,
                current_epoch,
            }
            | OverseerError::BackfillTooOld {
                anchor_epoch,
                ws_period,
                current_epoch,
                ..
            } => Some((
                format!(
                    "current epoch <= {}",
                    anchor_epoch.saturating_add(*ws_period)
                ),
                current_epoch.to_string(),
            )),
            _ => None,
        }
    }
}

impl OverseerError {
    /// The failure as reported without stopping the run.
    pub fn failure(&self) -> Failure {
        Failure {
            code: self.code(),
            message: self.to_string(),
            expected_actual: self.expected_actual(),
        }
    }
}

impl fmt::Display for OverseerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OverseerError::NoAnchor => {
                f.write_str("start: expected a stored active anchor, got none")
            }
            OverseerError::WsStale {
                anchor_epoch,
                ws_period,
                current_epoch,
            } => write!(
                f,
                "anchor outside its weak subjectivity period: expected current epoch <= anchor epoch {anchor_epoch} + period {ws_period} = {}, got current epoch {current_epoch} (strict)",
                anchor_epoch.saturating_add(*ws_period)
            ),
            OverseerError::RebuildFirst {
                anchor_epoch,
                ws_period,
                current_epoch,
            } => write!(
                f,
                "follow: expected an anchor within its weak subjectivity period (current epoch <= anchor epoch {anchor_epoch} + period {ws_period} = {}), got current epoch {current_epoch}; start() rebuilds it first (light)",
                anchor_epoch.saturating_add(*ws_period)
            ),
            OverseerError::BackfillTooOld {
                anchor_epoch,
                ws_period,
                current_epoch,
                oldest_slot,
                target_slot,
            } => write!(
                f,
                "backfill started too long ago: the anchor (epoch {anchor_epoch}, period {ws_period} epochs) is stale at current epoch {current_epoch} while backfill is at slot {oldest_slot} of target {target_slot}; expected a finished backfill or a fresh anchor"
            ),
            OverseerError::Clock(e) => write!(f, "{e}"),
            OverseerError::Store(e) => write!(f, "{e}"),
            OverseerError::Rebuild(e) => write!(f, "{e}"),
            OverseerError::Follow(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for OverseerError {}

impl From<StoreError> for OverseerError {
    fn from(e: StoreError) -> Self {
        OverseerError::Store(e)
    }
}

/// The decision table (see the module docs). Pure: no I/O, the clock is injected.
pub fn decide<C: Clock + ?Sized>(
    network: &NetworkConfig,
    anchor: &AnchorRecord,
    cursor: Option<&BackfillCursor>,
    clock: &C,
    long_range: LongRange,
) -> Result<Decision, OverseerError> {
    let ws = WsStatus::now(network, clock, anchor.epoch, anchor.ws_period_epochs)
        .map_err(OverseerError::Clock)?;
    let backfill = BackfillState::from_cursor(cursor);
    let decision = |mode| Decision {
        mode,
        ws,
        backfill,
        anchor_root: anchor.block_root,
        anchor_epoch: anchor.epoch,
    };
    if !ws.stale {
        return Ok(decision(Mode::Follow));
    }
    if let BackfillState::Pending {
        oldest_slot,
        target_slot,
    } = backfill
    {
        return Err(OverseerError::BackfillTooOld {
            anchor_epoch: anchor.epoch,
            ws_period: ws.period_epochs,
            current_epoch: ws.current_epoch,
            oldest_slot,
            target_slot,
        });
    }
    match long_range {
        LongRange::Strict => Err(OverseerError::WsStale {
            anchor_epoch: anchor.epoch,
            ws_period: ws.period_epochs,
            current_epoch: ws.current_epoch,
        }),
        LongRange::Lenient => Ok(decision(Mode::FollowStale)),
        LongRange::Light => Ok(decision(Mode::Light)),
    }
}

/// How [`Overseer::follow_events`] follows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FollowOptions {
    /// Milliseconds between polls while no event stream is open.
    pub poll_ms: f64,
    /// Milliseconds between polls while the stream is open (a safety net for lost events).
    pub safety_poll_ms: f64,
    /// Whether to subscribe to the event stream at all.
    pub events: bool,
}

impl FollowOptions {
    /// The defaults for `network`: poll every slot without a stream (finality moves at most
    /// once an epoch, so a new finalized block is seen within a slot), every epoch with one.
    pub fn for_network(network: &NetworkConfig) -> Self {
        let slot_ms = network.seconds_per_slot as f64 * 1000.0;
        FollowOptions {
            poll_ms: slot_ms,
            safety_poll_ms: slot_ms * network.slots_per_epoch() as f64,
            events: true,
        }
    }

    /// A poll interval the caller chose (`ms`): kept while the stream is open too, where the
    /// stream then only shortens the wait, unless the safety net is shorter still.
    pub fn with_poll_ms(self, ms: f64) -> Self {
        FollowOptions {
            poll_ms: ms,
            safety_poll_ms: self.safety_poll_ms.min(ms),
            ..self
        }
    }
}

/// The platform under [`Overseer::follow_events`]: the event stream, timers and the stop check.
#[allow(async_fn_in_trait)] // No `Send` bound: wasm futures are not `Send`.
pub trait FollowIo {
    /// An open event stream.
    type Stream;
    /// Opens the event stream at `url`.
    async fn open(&self, url: &str) -> Result<Self::Stream, ApiError>;
    /// The next event on `stream`, or [`StreamNext::Idle`] after at most `wait_ms` (earlier is
    /// fine: the loop checks [`FollowIo::keep_going`] and waits again).
    async fn next(&self, stream: &mut Self::Stream, wait_ms: f64) -> StreamNext;
    /// The `retry:` the stream sent, in milliseconds.
    fn retry_ms(&self, stream: &Self::Stream) -> Option<u64>;
    /// Waits at most `ms` milliseconds (earlier is fine, as for `next`).
    async fn sleep(&self, ms: f64);
    /// A monotonic clock in milliseconds.
    fn now_ms(&self) -> f64;
    /// Whether to go on following from `state` (`false`: stopped, or the anchor changed).
    fn keep_going(&self, state: &FollowState) -> bool;
}

/// A step's trigger, with the hint it carries.
enum Trigger {
    Poll,
    Event { hint: FollowHint, received_ms: f64 },
}

/// What following carries from one step to the next.
#[derive(Debug, Clone)]
pub struct FollowState {
    /// The block root of the anchor the tip descends from.
    pub anchor_root: Root,
    /// The current tip: the stored head, or the anchor's block before the first step.
    pub tip: Tip,
    /// The light client, when this run rebuilt trust with one (`light` mode): steps then use
    /// verified finality updates instead of the providers' finality checkpoints.
    pub light: Option<AnyLightStore>,
    /// The newest block a node's `finalized_checkpoint` event announced above the tip, and when
    /// (milliseconds, [`FollowIo::now_ms`]): the latency of the step that reaches it.
    pub announced: Option<(Root, f64)>,
}

impl FollowState {
    /// How this state's steps verify new finalized blocks.
    pub fn source(&self) -> HeadSource {
        if self.light.is_some() {
            HeadSource::FinalityUpdate
        } else {
            HeadSource::Checkpoints
        }
    }
}

/// The result of a start.
#[derive(Debug, Clone)]
pub struct Started {
    /// What was decided.
    pub decision: Decision,
    /// The anchor in use afterwards (the rebuilt one in `light` mode).
    pub anchor: AnchorRecord,
    /// The light rebuild, in `light` mode.
    pub rebuilt: Option<Rebuilt>,
    /// The first follow step of this start (from the stored head, or the anchor's block).
    pub follow: FollowStep,
    /// Where following stands after it, for further [`Overseer::follow_step`]s.
    pub following: FollowState,
}

/// One overseer run: its run context, its env and the `longRange` option.
pub struct Overseer<'a, A, S, C: ?Sized, E> {
    /// The network, the providers, the store holding the anchor and the wall clock.
    pub ctx: Ctx<'a, A, S, C>,
    /// Events, pauses, abort and the hash pool.
    pub env: &'a E,
    /// The `longRange` option.
    pub long_range: LongRange,
}

impl<'a, A: BeaconApi, S: Store, C: Clock + ?Sized, E: Env> Overseer<'a, A, S, C, E> {
    /// Decides the mode from the stored active anchor without running it (nothing is written).
    pub async fn decide(&self) -> Result<(Decision, AnchorRecord), OverseerError> {
        let anchor = self
            .ctx
            .store
            .active_anchor()
            .await?
            .ok_or(OverseerError::NoAnchor)?;
        let cursor = self.ctx.store.backfill_cursor().await?;
        let d = decide(
            self.ctx.network,
            &anchor,
            cursor.as_ref(),
            self.ctx.clock,
            self.long_range,
        )?;
        Ok((d, anchor))
    }

    /// Decides, reports the decision, runs the mode and takes one follow step.
    pub async fn start(&self) -> Result<Started, OverseerError> {
        let (decision, mut anchor) = self.decide().await?;
        self.env.emit(&Event::Decided {
            mode: decision.mode,
            anchor_epoch: decision.anchor_epoch,
            ws: decision.ws,
        });
        let mut rebuilt = None;
        match decision.mode {
            Mode::Follow => {}
            Mode::FollowStale => {
                self.env.emit(&Event::Warning {
                    code: "WS_STALE_LENIENT",
                    message: format!(
                        "anchor epoch {} + weak subjectivity period {} epochs < current epoch {}; following anyway (lenient), anchor marked stale",
                        anchor.epoch, decision.ws.period_epochs, decision.ws.current_epoch
                    ),
                });
                if !anchor.stale {
                    anchor.stale = true;
                    self.ctx.store.put_anchor(&anchor, true).await?;
                }
            }
            Mode::Light => {
                let rebuild = LightRebuild {
                    ctx: self.ctx,
                    env: self.env,
                };
                let r = boxed(rebuild.run(&anchor))
                    .await
                    .map_err(OverseerError::Rebuild)?;
                anchor = r.anchor.clone();
                rebuilt = Some(r);
            }
        }
        let light = rebuilt.as_ref().map(|r| r.light.clone());
        let mut following = self.follow_state(&anchor, light).await?;
        let follow = self.follow_step(&mut following).await?;
        Ok(Started {
            decision,
            anchor,
            rebuilt,
            follow,
            following,
        })
    }

    /// Where following resumes from `anchor`: the stored head when it descends from that anchor
    /// (a reload resumes from the stored tip), else the anchor's block. `light` is the light
    /// client of a rebuild in this run, if any.
    pub async fn follow_state(
        &self,
        anchor: &AnchorRecord,
        light: Option<AnyLightStore>,
    ) -> Result<FollowState, OverseerError> {
        let tip = match self.ctx.store.head().await? {
            Some(h) if h.anchor_root == anchor.block_root => Tip {
                slot: h.slot,
                root: h.block_root,
            },
            _ => match &light {
                // The rebuilt anchor's block is the light client's finalized header.
                Some(l) => Tip {
                    slot: l.finalized().slot,
                    root: anchor.block_root,
                },
                None => Tip {
                    slot: self.block_slot(anchor).await?,
                    root: anchor.block_root,
                },
            },
        };
        Ok(FollowState {
            anchor_root: anchor.block_root,
            tip,
            light,
            announced: None,
        })
    }

    /// One follow step from `state.tip`: by verified finality update when `state` holds a light
    /// client, by the providers' finality checkpoints otherwise. A newer finalized block is
    /// linked back to the tip by hash chain, then stored with its linking headers as the new
    /// head in one transaction, and only then does `state.tip` move. Emits
    /// [`Event::Followed`] (source: poll). On any error the tip (stored and in `state`) is
    /// unchanged.
    pub async fn follow_step(&self, state: &mut FollowState) -> Result<FollowStep, OverseerError> {
        self.step_on(state, Trigger::Poll, None).await
    }

    /// [`Overseer::follow_step`] for `trigger`: an event's finality update is verified instead of
    /// fetching one; `now_ms` (the clock events' arrival was read with) gives the latency.
    async fn step_on(
        &self,
        state: &mut FollowState,
        trigger: Trigger,
        now_ms: Option<&dyn Fn() -> f64>,
    ) -> Result<FollowStep, OverseerError> {
        let mut follower = Follower::new(self.ctx.network, self.ctx.providers, state.tip);
        let source = state.source();
        let (step_source, carried) = match trigger {
            Trigger::Poll => (StepSource::Poll, None),
            Trigger::Event {
                hint: FollowHint::Finalized { block, .. },
                received_ms,
            } => {
                if block != state.tip.root {
                    state.announced = Some((block, received_ms));
                }
                (StepSource::Event, None)
            }
            Trigger::Event {
                hint: FollowHint::FinalityUpdate(body),
                received_ms,
            } => (StepSource::Event, Some((body, received_ms))),
        };
        let step = match state.light.as_mut() {
            Some(light) => {
                let current_slot = ChainClock::for_network(self.ctx.network)
                    .current_slot(self.ctx.clock)
                    .map_err(OverseerError::Clock)?;
                match &carried {
                    Some((body, _)) => {
                        follower
                            .follow_light_update(light, body, current_slot)
                            .await
                    }
                    None => follower.follow_light(light, current_slot).await,
                }
            }
            None => follower.follow_checkpoints().await,
        }
        .map_err(OverseerError::Follow)?;
        let mut latency_ms = None;
        if let FollowStep::Advanced { to, .. } = step {
            let head = HeadRecord {
                slot: to.slot,
                block_root: to.root,
                state_root: follower.tip_state_root.unwrap_or_default(),
                source,
                anchor_root: state.anchor_root,
                updated_at: self.ctx.clock.now_unix_seconds(),
                execution: follower.tip_execution,
            };
            self.ctx.store.commit_head(&head, &follower.chain).await?;
            state.tip = to;
            let announced_at = match (&carried, state.announced.take()) {
                (Some((_, at)), _) => Some(*at),
                (None, Some((root, at))) if root == to.root => Some(at),
                _ => None,
            };
            latency_ms = announced_at
                .zip(now_ms)
                .map(|(at, now)| (now() - at).max(0.0));
        }
        self.env.emit(&Event::Followed(Followed {
            step,
            source: step_source,
            latency_ms,
        }));
        if let FollowStep::Advanced { to, .. } = step {
            let tip = crate::event::ExecutionSource::Tip;
            if let Some(e) = Event::execution(tip, to.slot, to.root, follower.tip_execution) {
                self.env.emit(&e);
            }
        }
        Ok(step)
    }

    /// Follows from `state` until [`FollowIo::keep_going`] says stop: steps on the event
    /// stream's hints, polls as a safety net, and falls back to polling while the stream is
    /// down (see the module docs). A failed step is reported as [`Event::FollowFailed`]
    /// and following goes on; an aborted one ends the loop. Returns with `state` at the tip.
    pub async fn follow_events<I: FollowIo>(
        &self,
        state: &mut FollowState,
        io: &I,
        options: &FollowOptions,
    ) {
        let now = || io.now_ms();
        let mut stream: Option<(I::Stream, String)> = None;
        let mut reconnect = Reconnect::default();
        let mut provider = 0usize;
        // Providers in a row that answered the stream with "not served here" (404, 405, 501).
        let mut unserved = 0usize;
        let mut next_open = now();
        let mut next_poll = now();
        let events = options.events && !self.ctx.providers.is_empty();
        while io.keep_going(state) {
            if events && stream.is_none() && now() >= next_open {
                let url = events_url(self.ctx.providers[provider].base_url(), &topics(state));
                match io.open(&url).await {
                    Ok(s) => {
                        reconnect.connected();
                        unserved = 0;
                        if let Some(r) = io.retry_ms(&s) {
                            reconnect.set_base_ms(r);
                        }
                        self.env
                            .emit(&Event::Stream(StreamStatus::Open { url: url.clone() }));
                        stream = Some((s, url));
                    }
                    Err(error) => {
                        if matches!(error, ApiError::Aborted { .. }) || !io.keep_going(state) {
                            return;
                        }
                        let mut delay = reconnect.failed(&error);
                        // A node without the endpoint says nothing about the others: the next
                        // provider is asked soon; only when none serves it is the wait longest.
                        unserved = if unsupported(&error) { unserved + 1 } else { 0 };
                        if unserved > 0 && unserved < self.ctx.providers.len() {
                            delay = delay.min(Reconnect::BASE_MS);
                        }
                        next_open = now() + delay;
                        provider = (provider + 1) % self.ctx.providers.len();
                        self.stream_down(url, error, delay);
                    }
                }
            }
            let trigger = if now() >= next_poll {
                Trigger::Poll
            } else {
                let wait = next_poll - now();
                match stream.as_mut() {
                    None => {
                        let wait = if events {
                            wait.min(next_open - now())
                        } else {
                            wait
                        };
                        io.sleep(wait.max(0.0)).await;
                        continue;
                    }
                    Some((s, url)) => match io.next(s, wait).await {
                        StreamNext::Idle => continue,
                        StreamNext::Event(e) => match follow_hint(url, &e) {
                            // The tip itself: nothing to check or store.
                            Ok(Some(FollowHint::Finalized { block, .. }))
                                if block == state.tip.root =>
                            {
                                continue
                            }
                            Ok(Some(hint)) => Trigger::Event {
                                hint,
                                received_ms: now(),
                            },
                            Ok(None) => continue,
                            Err(error) => {
                                // A node that sends malformed events is not listened to for a while.
                                self.drop_stream(
                                    &mut stream,
                                    &mut reconnect,
                                    &mut next_open,
                                    error,
                                    io,
                                );
                                provider = (provider + 1) % self.ctx.providers.len();
                                continue;
                            }
                        },
                        StreamNext::Closed(error) => {
                            if let Some(r) = stream.as_ref().and_then(|(s, _)| io.retry_ms(s)) {
                                reconnect.set_base_ms(r);
                            }
                            self.drop_stream(
                                &mut stream,
                                &mut reconnect,
                                &mut next_open,
                                error,
                                io,
                            );
                            // Events may have been missed while it was dying: poll now.
                            next_poll = now();
                            continue;
                        }
                    },
                }
            };
            let interval = if stream.is_some() {
                options.safety_poll_ms
            } else {
                options.poll_ms
            };
            let result = self.step_on(state, trigger, Some(&now)).await;
            next_poll = now() + interval;
            match result {
                Ok(_) => {}
                Err(OverseerError::Follow(FollowError::Api {
                    error: ApiError::Aborted { .. },
                    ..
                }))
                | Err(OverseerError::Follow(FollowError::Link(LinkError::Api {
                    error: ApiError::Aborted { .. },
                    ..
                }))) => return,
                Err(e) => {
                    if !io.keep_going(state) {
                        return;
                    }
                    self.env.emit(&Event::FollowFailed(e.failure()));
                }
            }
        }
    }

    fn drop_stream<I: FollowIo>(
        &self,
        stream: &mut Option<(I::Stream, String)>,
        reconnect: &mut Reconnect,
        next_open: &mut f64,
        error: ApiError,
        io: &I,
    ) {
        if let Some((_, url)) = stream.take() {
            let delay = reconnect.failed(&error);
            *next_open = io.now_ms() + delay;
            self.stream_down(url, error, delay);
        }
    }

    fn stream_down(&self, url: String, error: ApiError, retry_in_ms: f64) {
        self.env.emit(&Event::Stream(StreamStatus::Down {
            url,
            error,
            retry_in_ms,
        }));
    }

    /// The slot of the anchor's block: the state's slot, or older when the anchor was linked
    /// through `latest_block_header` across empty slots (then read from a provider, checked by
    /// root).
    async fn block_slot(&self, anchor: &AnchorRecord) -> Result<u64, OverseerError> {
        if !anchor.linked_through_latest_block_header {
            return Ok(anchor.slot);
        }
        // A 404 ends the search: the block is then unknown, not withheld by one provider.
        let slot = |p: &'a A| async move {
            match p.header_by_root(&anchor.block_root).await {
                Ok(Some(h)) => Ok(h.header.slot),
                Ok(None) => Err(None),
                Err(e) => Err(Some(e)),
            }
        };
        let stop_on_404 = |r: &Rejection<Option<ApiError>>, _| match r.error {
            None => Next::Stop,
            Some(_) => Next::Try,
        };
        let rejected = match first_passing(self.ctx.providers, slot, stop_on_404).await {
            Ok(slot) => return Ok(slot),
            Err(rejected) => rejected,
        };
        let last = rejected
            .rejections
            .into_iter()
            .filter_map(|r| r.error)
            .next_back();
        Err(OverseerError::Follow(FollowError::Api {
            what: "anchor header by root",
            error: last.unwrap_or(ApiError::InvalidArgument {
                what: "anchor header",
                expected: "a provider that serves the anchor block header",
                got: "404".into(),
            }),
        }))
    }
}

/// [`FollowIo`] natively (CLI, tests): streams read on a thread
/// ([`crate::beacon_api::sse::EventStream`]), the thread's own sleep, and a caller's stop rule.
#[cfg(not(target_arch = "wasm32"))]
pub struct BlockingFollowIo<'s> {
    /// The clock's zero.
    pub started: std::time::Instant,
    /// A stream silent for this long is dropped (nodes send keep-alive comments), milliseconds.
    pub idle_timeout_ms: u64,
    /// Whether to go on (see [`FollowIo::keep_going`]).
    pub keep_going: &'s dyn Fn(&FollowState) -> bool,
}

#[cfg(not(target_arch = "wasm32"))]
impl FollowIo for BlockingFollowIo<'_> {
    type Stream = crate::beacon_api::sse::EventStream;

    async fn open(&self, url: &str) -> Result<Self::Stream, ApiError> {
        crate::beacon_api::sse::EventStream::open(
            url,
            self.idle_timeout_ms,
            crate::beacon_api::sse::DEFAULT_MAX_EVENT_BYTES,
        )
    }

    async fn next(&self, stream: &mut Self::Stream, wait_ms: f64) -> StreamNext {
        stream.next(wait_ms.min(STOP_CHECK_MS)).await
    }

    fn retry_ms(&self, stream: &Self::Stream) -> Option<u64> {
        stream.retry_ms()
    }

    async fn sleep(&self, ms: f64) {
        std::thread::sleep(std::time::Duration::from_millis(
            ms.clamp(0.0, STOP_CHECK_MS) as u64,
        ));
    }

    fn now_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    fn keep_going(&self, state: &FollowState) -> bool {
        (self.keep_going)(state)
    }
}

/// Longest native wait between two checks of [`FollowIo::keep_going`], in milliseconds.
#[cfg(not(target_arch = "wasm32"))]
const STOP_CHECK_MS: f64 = 250.0;

/// The event topics following subscribes to from `state`.
fn topics(state: &FollowState) -> Vec<&'static str> {
    let mut t = vec![TOPIC_FINALIZED];
    if state.light.is_some() {
        t.push(TOPIC_LIGHT_FINALITY);
    }
    t
}

#[cfg(test)]
mod tests {
    //! The decision table with an injectable clock.
    use super::*;
    use crate::store::Trust;
    use crate::types::ForkName;
    use crate::ws::FixedClock;

    /// Mainnet: genesis 1606824023 s, 12 s slots, 32 slots per epoch (384 s per epoch).
    fn network() -> NetworkConfig {
        NetworkConfig::by_name("mainnet").unwrap()
    }

    const EPOCH_SECONDS: u64 = 384;

    #[test]
    fn a_chosen_poll_interval_holds_while_the_stream_is_open_unless_longer_than_an_epoch() {
        let defaults = FollowOptions::for_network(&network());
        assert_eq!(
            (defaults.poll_ms, defaults.safety_poll_ms),
            (12_000.0, 384_000.0)
        );
        let fast = defaults.with_poll_ms(300.0);
        assert_eq!((fast.poll_ms, fast.safety_poll_ms), (300.0, 300.0));
        let slow = defaults.with_poll_ms(600_000.0);
        assert_eq!((slow.poll_ms, slow.safety_poll_ms), (600_000.0, 384_000.0));
        assert!(slow.events);
    }

    fn anchor(epoch: u64, period: u64) -> AnchorRecord {
        AnchorRecord {
            ws_period_epochs: period,
            ..AnchorRecord::new(
                "mainnet",
                epoch * 32,
                epoch,
                [7; 32],
                [8; 32],
                ForkName::Electra,
                Trust::Checkpoint,
            )
        }
    }

    fn at_epoch(net: &NetworkConfig, epoch: u64) -> FixedClock {
        FixedClock(net.genesis_time + epoch * EPOCH_SECONDS)
    }

    fn cursor(oldest: u64, target: u64) -> BackfillCursor {
        BackfillCursor {
            oldest_slot: oldest,
            oldest_root: [1; 32],
            oldest_parent_root: [2; 32],
            target_slot: target,
        }
    }

    const MODES: [LongRange; 3] = [LongRange::Strict, LongRange::Lenient, LongRange::Light];

    #[test]
    fn within_the_period_every_mode_follows() {
        let net = network();
        let a = anchor(1000, 256);
        // The last epoch that is still within: anchor.epoch + period.
        for clock in [at_epoch(&net, 1000), at_epoch(&net, 1256)] {
            for mode in MODES {
                for c in [None, Some(cursor(500, 0)), Some(cursor(0, 0))] {
                    let d = decide(&net, &a, c.as_ref(), &clock, mode).unwrap();
                    assert_eq!(d.mode, Mode::Follow, "{mode:?} {c:?}");
                    assert!(!d.ws.stale);
                    assert_eq!(d.ws.expires_epoch, 1256);
                }
            }
        }
        let d = decide(
            &net,
            &a,
            Some(&cursor(500, 0)),
            &at_epoch(&net, 1100),
            LongRange::Strict,
        )
        .unwrap();
        assert_eq!(
            d.backfill,
            BackfillState::Pending {
                oldest_slot: 500,
                target_slot: 0
            }
        );
        assert_eq!(d.ws.current_epoch, 1100);
    }

    #[test]
    fn stale_with_pending_backfill_is_backfill_too_old_in_every_mode() {
        let net = network();
        let a = anchor(1000, 256);
        let clock = at_epoch(&net, 1257);
        for mode in MODES {
            let e = decide(&net, &a, Some(&cursor(31_000, 64)), &clock, mode).unwrap_err();
            assert_eq!(
                e,
                OverseerError::BackfillTooOld {
                    anchor_epoch: 1000,
                    ws_period: 256,
                    current_epoch: 1257,
                    oldest_slot: 31_000,
                    target_slot: 64
                }
            );
            assert_eq!(e.code(), "BACKFILL_TOO_OLD");
        }
    }

    #[test]
    fn stale_strict_fails_with_the_numbers() {
        let net = network();
        let a = anchor(1000, 256);
        for c in [None, Some(cursor(64, 64))] {
            let e = decide(
                &net,
                &a,
                c.as_ref(),
                &at_epoch(&net, 2000),
                LongRange::Strict,
            )
            .unwrap_err();
            assert_eq!(
                e,
                OverseerError::WsStale {
                    anchor_epoch: 1000,
                    ws_period: 256,
                    current_epoch: 2000
                }
            );
            assert_eq!(e.code(), "WS_STALE");
            let text = e.to_string();
            assert!(
                text.contains("1000") && text.contains("256") && text.contains("2000"),
                "{text}"
            );
            assert_eq!(
                e.expected_actual(),
                Some(("current epoch <= 1256".into(), "2000".into()))
            );
        }
    }

    #[test]
    fn stale_lenient_follows_stale_and_light_rebuilds() {
        let net = network();
        let a = anchor(1000, 256);
        let clock = at_epoch(&net, 1257);
        let d = decide(&net, &a, None, &clock, LongRange::Lenient).unwrap();
        assert_eq!(d.mode, Mode::FollowStale);
        assert!(d.ws.stale);
        let d = decide(&net, &a, Some(&cursor(0, 0)), &clock, LongRange::Light).unwrap();
        assert_eq!(d.mode, Mode::Light);
        assert_eq!(
            d.backfill,
            BackfillState::Complete {
                oldest_slot: 0,
                target_slot: 0
            }
        );
    }

    #[test]
    fn a_clock_before_genesis_is_a_typed_error() {
        let net = network();
        let e = decide(
            &net,
            &anchor(0, 256),
            None,
            &FixedClock(net.genesis_time - 1),
            LongRange::Strict,
        )
        .unwrap_err();
        assert!(
            matches!(e, OverseerError::Clock(WsError::BeforeGenesis { .. })),
            "{e:?}"
        );
    }
}
