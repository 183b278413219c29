//! The long-range modes at the JS boundary: resuming from a stored anchor through the overseer,
//! and following the chain.
//!
//! `start()` without a trust source resumes from the stored active anchor. That is where the
//! long-range decision belongs (DESIGN.md, "Long-range modes"): [`resume`] runs
//! [`crate::longrange::Overseer`] with the page's IndexedDB store, providers and clock, so a stale
//! anchor is refused (`strict`: `WS_STALE`; pending backfill: `BACKFILL_TOO_OLD`), kept with a
//! `WS_STALE_LENIENT` warning (`lenient`), or rebuilt into a `light-client` anchor (`light`).
//! `start()` with a trust source applies the same rule to a checkpoint that is stale when given
//! ([`checkpoint`], through `crate::policy`).
//!
//! Events: the rebuild's steps arrive as `progress` events whose `phase` is `light-<step>`
//! (`light-committees`, `light-anchor-header`, `light-updates`, `light-finality`, `light-headers`,
//! `light-state`, `light-store`) with a decimal-string `period` where the step is at one; the
//! new anchor's state download and hashing arrive as the usual `download`/`hash`/`store` progress.
//! A provider whose answer fails a rebuild step is reported as a `REBUILD_PROVIDER_REJECTED`
//! warning and the next provider is tried.
//!
//! Following: every follow step (the one `start()` takes, and each of `follow()`) emits a
//! `followed` event and moves `status().head` (`followed: true`); the tip is persisted by the
//! overseer, and `create()` loads it, so a reload shows and resumes from the stored tip.
//! `follow({ intervalMs, signal })` keeps stepping until its signal (or the instance's) aborts;
//! a step that fails (providers down, a new finalized block that does not link back) emits a
//! `followError` event with the error's `code` and leaves the tip where it was.

use std::rc::Rc;

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::options::option_value;
use super::store::JsStore;
use super::{anchor_js, error::from_options, error::js_error, sleep, Inner, JsEnv, LightSync};
use crate::beacon_api::sse::{EventStream, StreamNext, DEFAULT_MAX_EVENT_BYTES};
use crate::beacon_api::ApiError;
use crate::beacon_api::{any_signal, FetchTransport, HttpBeaconApi, DEFAULT_CONCURRENCY};
use crate::checkpoint::{CheckpointSync, Source};
use crate::config::NetworkConfig;
use crate::ctx::{Ctx, Env};
use crate::longrange::{FollowIo, FollowOptions, FollowState, Overseer, OverseerError, Started};
use crate::policy;
use crate::store::AnchorRecord;
use crate::ws::Clock;

/// The JS error of an overseer failure (`code` as [`OverseerError::code`]).
fn overseer_error(e: &OverseerError) -> JsValue {
    js_error(e.code(), &e.to_string(), e.expected_actual())
}

/// Resumes from the stored active `anchor`: decides the long-range mode, runs it (a light
/// rebuild stores and activates a new anchor) and takes one follow step. Resolves with the anchor
/// in use afterwards.
pub(super) async fn resume<C: Clock>(
    inner: &Inner,
    ctx: Ctx<'_, HttpBeaconApi<FetchTransport>, JsStore, C>,
    env: &JsEnv<'_>,
    anchor: AnchorRecord,
) -> Result<JsValue, JsValue> {
    let overseer = Overseer {
        ctx,
        env,
        long_range: inner.options.core.long_range,
    };
    // Shown while the decision runs; replaced by what the overseer settles on.
    inner.session.show_anchor(anchor);
    let started = overseer.start().await.map_err(|e| overseer_error(&e))?;
    Ok(record_start(inner, started))
}

/// Makes a start's anchor the one in use; `follow()` continues from where it stands (with the
/// light client of a rebuild, if there was one). Resolves `start()` with that anchor.
pub(super) fn record_start(inner: &Inner, started: Started) -> JsValue {
    let shown = anchor_js(&started.anchor);
    inner
        .session
        .use_anchor(started.anchor, Some(started.following));
    shown
}

/// Runs the checkpoint flow of `source` under the `longRange` rule ([`policy::checkpoint`]: under
/// `light`, a stale checkpoint is rebuilt at once). Resolves `start()` with the anchor in use.
pub(super) async fn checkpoint<C: Clock>(
    inner: &Inner,
    sync: &CheckpointSync<'_, HttpBeaconApi<FetchTransport>, JsStore, C, JsEnv<'_>>,
    source: &Source,
) -> Result<JsValue, JsValue> {
    let overseer = Overseer {
        ctx: sync.ctx,
        env: sync.env,
        long_range: inner.options.core.long_range,
    };
    let established = policy::checkpoint(sync, &overseer, source).await;
    let established = established.map_err(|e| {
        if let policy::EstablishError::Rebuild { kept, .. } = &e {
            // Stored and active, marked stale: the next start() rebuilds it.
            inner.session.replace_anchor(kept.anchor.clone());
        }
        js_error(e.code(), &e.to_string(), e.expected_actual())
    })?;
    match established.started {
        Some(started) => {
            let tip = started.follow.tip();
            let shown = record_start(inner, started);
            // The rebuild's first follow step reached this tip.
            inner.session.set_head(tip);
            Ok(shown)
        }
        None => {
            let shown = anchor_js(&established.verified.anchor);
            inner.session.replace_anchor(established.verified.anchor);
            Ok(shown)
        }
    }
}

/// `follow(options)`: the core's [`crate::options::follow_options`] and the call's `signal`.
fn follow_options(
    options: &JsValue,
    network: &NetworkConfig,
) -> Result<(FollowOptions, Option<AbortSignal>), JsValue> {
    let out = crate::options::follow_options(&option_value(options), network)
        .map_err(|e| from_options(&e))?;
    Ok((out, super::options::signal(options, "follow: ")?))
}

/// [`FollowIo`] in a page or worker: the event stream on `fetch`, timers that end at an abort
/// and within [`STOP_CHECK_MS`] (so `stop()`, which has no signal, takes effect), and a stop when
/// another anchor became active.
struct PageFollowIo<'a> {
    inner: &'a Inner,
    env: &'a JsEnv<'a>,
}

impl PageFollowIo<'_> {
    fn stopped(&self) -> bool {
        self.env.aborted()
    }
}

impl FollowIo for PageFollowIo<'_> {
    type Stream = EventStream;

    async fn open(&self, url: &str) -> Result<EventStream, ApiError> {
        EventStream::open(url, self.env.signals(), DEFAULT_MAX_EVENT_BYTES).await
    }

    async fn next(&self, stream: &mut EventStream, wait_ms: f64) -> StreamNext {
        let timer = sleep(wait_ms.clamp(0.0, STOP_CHECK_MS), self.env.signals());
        let next = stream.recv();
        futures::pin_mut!(timer, next);
        match futures::future::select(next, timer).await {
            futures::future::Either::Left((n, _)) => n,
            futures::future::Either::Right(_) => StreamNext::Idle,
        }
    }

    fn retry_ms(&self, stream: &EventStream) -> Option<u64> {
        stream.retry_ms()
    }

    async fn sleep(&self, ms: f64) {
        sleep(ms.clamp(0.0, STOP_CHECK_MS), self.env.signals()).await
    }

    fn now_ms(&self) -> f64 {
        now_ms()
    }

    fn keep_going(&self, state: &FollowState) -> bool {
        !self.stopped()
            && self.inner.active_anchor().map(|a| a.block_root) == Some(state.anchor_root)
    }
}

/// The `follow()` loop (see the module docs). Resolves with `status().head` once aborted.
async fn follow_loop(inner: Rc<Inner>, options: JsValue) -> Result<JsValue, JsValue> {
    let (options, signal) = follow_options(&options, &inner.network)?;
    // `stop()` ends this loop too (at its next check, within `STOP_CHECK_MS` while it waits).
    inner
        .session
        .begin_follow()
        .map_err(|b| super::error::busy(&b))?;
    let env = JsEnv::new(&inner, None, signal);
    let result = follow_steps(&inner, &options, &env).await;
    inner.session.finish_follow();
    result
}

async fn follow_steps(
    inner: &Inner,
    options: &FollowOptions,
    env: &JsEnv<'_>,
) -> Result<JsValue, JsValue> {
    let providers = inner.providers_with_signal(any_signal(env.signals()), DEFAULT_CONCURRENCY);
    let clock = inner.clock();
    let overseer = Overseer {
        ctx: Ctx {
            network: &inner.network,
            providers: &providers,
            store: &inner.store,
            clock: &clock,
        },
        env,
        long_range: inner.options.core.long_range,
    };
    let io = PageFollowIo { inner, env };
    loop {
        if io.stopped() {
            return Ok(inner.head_js());
        }
        let anchor_root = inner.active_anchor().map(|a| a.block_root);
        let kept = inner.session.take_following();
        let state = match kept {
            Some(s) if Some(s.anchor_root) == anchor_root => Ok(s),
            // No start() in this session (or another anchor since): the long-range decision
            // first, exactly as start() makes it, without running a rebuild.
            _ => policy::follow_state(&overseer)
                .await
                .map_err(|e| overseer_error(&e)),
        };
        // Nothing to follow from, or a stale anchor the options refuse: stop with the error.
        let mut state = state?;
        // Returns when stopped, or when another anchor became active (then followed from it).
        overseer.follow_events(&mut state, &io, options).await;
        inner.session.put_following(state);
    }
}

/// Longest wait between two checks of `stop()` while `follow()` waits for its next step, in
/// milliseconds.
const STOP_CHECK_MS: f64 = 250.0;

#[wasm_bindgen]
impl LightSync {
    /// Keeps following the chain forward from the stored tip (or the anchor's block): every
    /// `intervalMs` (default: one slot) a follow step polls the providers' finality checkpoints
    /// (or, after a light rebuild in this session, verified finality updates), links a newer
    /// finalized block back to the tip by hash chain and stores it as the new tip with its
    /// linking headers. Emits `followed` after each step and `followError` (tip unchanged) when a
    /// step fails. Resolves with `status().head` when `signal` (or the instance's signal) aborts
    /// or `stop()` is called;
    /// rejects at once when there is no anchor to follow from or the anchor is stale and the
    /// `longRange` option refuses it (`WS_STALE`, `BACKFILL_TOO_OLD`), or with `ALREADY_RUNNING`.
    #[wasm_bindgen(js_name = follow, skip_typescript)]
    pub fn follow(&self, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        super::storage::writing(
            inner.clone(),
            "follow",
            Box::pin(follow_loop(inner, options)),
        )
    }
}

/// `performance.now()` where there is one, else `Date.now()`, in milliseconds.
pub(super) fn now_ms() -> f64 {
    let global = js_sys::global();
    Reflect::get(&global, &"performance".into())
        .ok()
        .filter(|p| !p.is_undefined())
        .and_then(|p| {
            let f = Reflect::get(&p, &"now".into()).ok()?;
            let f: js_sys::Function = f.dyn_into().ok()?;
            f.call0(&p).ok()?.as_f64()
        })
        .unwrap_or_else(js_sys::Date::now)
}
