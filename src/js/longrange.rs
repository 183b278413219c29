//! The long-range modes at the JS boundary: resuming from a stored anchor through the overseer,
//! and the light-client benchmark exports.
//!
//! `start()` without a trust source resumes from the stored active anchor. That is where the
//! long-range decision belongs (DESIGN.md, "Long-range modes"): [`resume`] runs
//! [`crate::overseer::Overseer`] with the page's IndexedDB store, providers and clock, so a stale
//! anchor is refused (`strict`: `WS_STALE`; pending backfill: `BACKFILL_TOO_OLD`), kept with a
//! `WS_STALE_LENIENT` warning (`lenient`), or rebuilt into a `light-client` anchor (`light`).
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

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::{
    anchor_js, error::invalid_options, error::js_error, hex0x, nullable, progress_js, set, sleep,
    yield_to_event_loop, Inner, JsHooks, LightSync,
};
use crate::beacon_api::{any_signal, DEFAULT_CONCURRENCY};
use crate::checkpoint::Hooks;
use crate::config::NetworkConfig;
use crate::light::follow::{FollowStep, Tip};
use crate::light::input::{parse_bootstrap, parse_updates_json};
use crate::light::rebuild::{measure_committee_keys, measure_update_chain};
use crate::overseer::{Mode, Overseer, OverseerError, OverseerEvent, OverseerHooks};
use crate::store::AnchorRecord;
use crate::types::Mainnet;

/// The overseer's hooks over a `LightSync`'s listeners.
struct LongRangeHooks<'a>(&'a Inner);

impl OverseerHooks for LongRangeHooks<'_> {
    fn emit(&self, event: &OverseerEvent) {
        match event {
            OverseerEvent::Checkpoint(e) => Hooks::emit(&JsHooks(self.0, self.0.run_id.get()), e),
            OverseerEvent::Warning { code, message } => self.0.warn(code, message),
            OverseerEvent::Rebuild(p) => {
                let phase = format!("light-{}", p.step.as_str());
                let o = progress_js(&phase, p.done, p.total, 0, None, None);
                set(&o, "period", nullable(p.period.map(|v| v.to_string())));
                self.0.emit("progress", &o.into());
            }
            OverseerEvent::ProviderRejected {
                step,
                period,
                provider,
                code,
                message,
            } => {
                let at = period.map(|p| format!(", period {p}")).unwrap_or_default();
                self.0.warn(
                    "REBUILD_PROVIDER_REJECTED",
                    format!(
                        "light rebuild, step {step}{at}: provider {provider} failed ({code}), trying the next one: {message}"
                    ),
                );
            }
            OverseerEvent::Followed(step) => {
                self.0.set_head(step.tip());
                self.0.emit("followed", &followed_js(step));
            }
            OverseerEvent::Decided(_) => {}
        }
    }

    async fn pause(&self) {
        yield_to_event_loop().await;
    }

    fn aborted(&self) -> bool {
        Hooks::aborted(&JsHooks(self.0, self.0.run_id.get()))
    }

    fn now_ms(&self) -> Option<f64> {
        Some(js_sys::Date::now())
    }
}

/// The JS error of an overseer failure (`code` as [`OverseerError::code`]).
fn overseer_error(e: &OverseerError) -> JsValue {
    js_error(e.code(), &e.to_string(), e.expected_actual())
}

/// Resumes from the stored active `anchor`: decides the long-range mode, runs it (a light
/// rebuild stores and activates a new anchor) and takes one follow step. Resolves with the anchor
/// in use afterwards.
pub(super) async fn resume(inner: &Inner, anchor: AnchorRecord) -> Result<JsValue, JsValue> {
    let providers = inner.providers();
    let clock = inner.clock();
    let hooks = LongRangeHooks(inner);
    let overseer = Overseer {
        network: &inner.network,
        providers: &providers,
        store: &inner.store,
        clock: &clock,
        hooks: &hooks,
        long_range: inner.options.long_range,
    };
    // Shown while the decision runs; replaced by what the overseer settles on.
    *inner.anchor.borrow_mut() = Some(anchor);
    let started = overseer.start().await.map_err(|e| overseer_error(&e))?;
    *inner.anchor.borrow_mut() = Some(started.anchor.clone());
    // `follow()` continues from here (with the light client of a rebuild, if there was one).
    *inner.following.borrow_mut() = Some(started.following);
    Ok(anchor_js(&started.anchor))
}

fn tip_js(tip: &Tip) -> JsValue {
    let o = Object::new();
    set(&o, "root", hex0x(&tip.root));
    set(&o, "slot", tip.slot.to_string());
    o.into()
}

/// The `followed` event: `{ advanced, from, tip, linked }`.
fn followed_js(step: &FollowStep) -> JsValue {
    let o = Object::new();
    let (from, linked) = match step {
        FollowStep::Unchanged { tip } => (*tip, 0),
        FollowStep::Advanced { from, linked, .. } => (*from, *linked),
    };
    set(&o, "advanced", matches!(step, FollowStep::Advanced { .. }));
    set(&o, "from", tip_js(&from));
    set(&o, "tip", tip_js(&step.tip()));
    set(&o, "linked", linked as f64);
    o.into()
}

/// The default pause between follow steps: one slot (`SECONDS_PER_SLOT`, 12 s on mainnet), in
/// milliseconds. Finality moves at most once per epoch (32 slots), so polling every slot sees a
/// new finalized block within a slot of it at the cost of one `finality_checkpoints` request
/// per provider per slot.
fn default_interval_ms(network: &NetworkConfig) -> f64 {
    network.seconds_per_slot as f64 * 1000.0
}

/// The shortest accepted `intervalMs`, in milliseconds: a floor against a busy loop that would
/// hammer the providers.
const MIN_INTERVAL_MS: f64 = 10.0;

/// `follow(options)`: `{ intervalMs?, signal? }`, checked.
fn follow_options(
    options: &JsValue,
    network: &NetworkConfig,
) -> Result<(f64, Option<AbortSignal>), JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok((default_interval_ms(network), None));
    }
    if !options.is_object() {
        return Err(invalid_options(format!(
            "follow: expected an options object, got {options:?}"
        )));
    }
    let get = |k: &str| Reflect::get(options, &k.into()).unwrap_or(JsValue::UNDEFINED);
    let interval = get("intervalMs");
    let interval = if interval.is_undefined() || interval.is_null() {
        default_interval_ms(network)
    } else {
        match interval.as_f64() {
            Some(ms) if ms.is_finite() && ms >= MIN_INTERVAL_MS => ms,
            _ => {
                return Err(invalid_options(format!(
                    "follow: intervalMs: expected a number of milliseconds >= {MIN_INTERVAL_MS}, got {interval:?}"
                )))
            }
        }
    };
    let signal = get("signal");
    let signal = if signal.is_undefined() || signal.is_null() {
        None
    } else {
        Some(signal.dyn_into::<AbortSignal>().map_err(|s| {
            invalid_options(format!(
                "follow: signal: expected an AbortSignal, got {s:?}"
            ))
        })?)
    };
    Ok((interval, signal))
}

/// The hooks of `follow()`: events to the listeners, aborted by its own or the instance's signal.
struct FollowHooks<'a> {
    inner: &'a Inner,
    signals: &'a [AbortSignal],
}

impl OverseerHooks for FollowHooks<'_> {
    fn emit(&self, event: &OverseerEvent) {
        LongRangeHooks(self.inner).emit(event)
    }

    async fn pause(&self) {
        yield_to_event_loop().await;
    }

    fn aborted(&self) -> bool {
        self.signals.iter().any(|s| s.aborted())
    }
}

/// The `follow()` loop (see the module docs). Resolves with `status().head` once aborted.
async fn follow_loop(inner: Rc<Inner>, options: JsValue) -> Result<JsValue, JsValue> {
    let (interval_ms, signal) = follow_options(&options, &inner.network)?;
    if inner.following_running.replace(true) {
        return Err(js_error(
            "ALREADY_RUNNING",
            "follow: expected no follow() in progress, got one running",
            None,
        ));
    }
    let signals: Vec<AbortSignal> = signal
        .into_iter()
        .chain(inner.options.signal.clone())
        .collect();
    // `stop()` ends this loop too (at its next check, within `STOP_CHECK_MS` while it waits).
    inner.stop_requested.set(false);
    let result = follow_steps(&inner, interval_ms, &signals).await;
    inner.following_running.set(false);
    result
}

async fn follow_steps(
    inner: &Inner,
    interval_ms: f64,
    signals: &[AbortSignal],
) -> Result<JsValue, JsValue> {
    let providers = inner.providers_with_signal(any_signal(signals), DEFAULT_CONCURRENCY);
    let clock = inner.clock();
    let hooks = FollowHooks { inner, signals };
    let overseer = Overseer {
        network: &inner.network,
        providers: &providers,
        store: &inner.store,
        clock: &clock,
        hooks: &hooks,
        long_range: inner.options.long_range,
    };
    let aborted = || inner.stop_requested.get() || signals.iter().any(|s| s.aborted());
    let done = || {
        let anchor = inner.active_anchor();
        Ok(inner.head_js(anchor.as_ref()))
    };
    loop {
        if aborted() {
            return done();
        }
        let anchor_root = inner.active_anchor().map(|a| a.block_root);
        let kept = inner.following.borrow_mut().take();
        let state = match kept {
            Some(s) if Some(s.anchor_root) == anchor_root => Ok(s),
            // No start() in this session (or another anchor since): the long-range decision
            // first, exactly as start() makes it, without running a rebuild.
            _ => async {
                let (decision, anchor) = overseer.decide().await.map_err(|e| overseer_error(&e))?;
                if decision.mode == Mode::Light {
                    return Err(js_error(
                        "WS_STALE",
                        &format!(
                            "follow: expected an anchor within its weak subjectivity period, got epoch {} + period {} < current epoch {}; start() rebuilds it first (longRange: light)",
                            anchor.epoch, decision.ws.period_epochs, decision.ws.current_epoch
                        ),
                        None,
                    ));
                }
                overseer
                    .follow_state(&anchor, None)
                    .await
                    .map_err(|e| overseer_error(&e))
            }
            .await,
        };
        // Nothing to follow from, or a stale anchor the options refuse: stop with the error.
        let mut state = state?;
        let step = overseer.follow_step(&mut state).await;
        *inner.following.borrow_mut() = Some(state);
        if let Err(e) = step {
            if e.code() == "ABORTED" || aborted() {
                return done();
            }
            inner.emit("followError", &overseer_error(&e));
        }
        // Waits out the interval in slices, so `stop()` (which has no signal to wake a timer)
        // takes effect within one slice.
        let mut left = interval_ms;
        while left > 0.0 && !aborted() {
            let slice = left.min(STOP_CHECK_MS);
            sleep(slice, signals).await;
            left -= slice;
        }
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
        super::storage::writing(inner.clone(), "follow", follow_loop(inner, options))
    }
}

/// `performance.now()` where there is one, else `Date.now()`, in milliseconds.
fn now_ms() -> f64 {
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

/// Benchmark: verifies a mainnet bootstrap (Beacon API JSON) and a chain of updates (JSON array)
/// `rounds` times, each round from scratch (fresh committees, so every committee is prepared
/// again), and times the bootstrap committee's keys three ways. Returns `{ rounds: [{ prepareMs:
/// number[], verifyMs: number[], decompressedKeys: number[], totalMs, keyValidateAllMs,
/// decompressAllMs, decompressAggregateMs }], updates }` (milliseconds).
#[wasm_bindgen(js_name = benchLightVerify)]
pub fn bench_light_verify(
    bootstrap_json: &[u8],
    updates_json: &[u8],
    rounds: u32,
) -> Result<JsValue, JsValue> {
    let network =
        NetworkConfig::by_name("mainnet").map_err(|e| js_error("CONFIG", &e.to_string(), None))?;
    let bootstrap = parse_bootstrap::<Mainnet>(&network, bootstrap_json, None)
        .map_err(|e| js_error(e.code(), &e.to_string(), None))?;
    let updates = parse_updates_json::<Mainnet>(updates_json)
        .map_err(|e| js_error(e.code(), &e.to_string(), None))?;
    let out = js_sys::Array::new();
    for _ in 0..rounds.max(1) {
        let t = measure_update_chain(&network, &bootstrap, &updates, &now_ms)
            .map_err(|e| js_error(e.code(), &e.to_string(), None))?;
        let o = Object::new();
        let list = |v: &[f64]| {
            v.iter()
                .map(|x| JsValue::from(*x))
                .collect::<js_sys::Array>()
        };
        set(&o, "prepareMs", list(&t.prepare_ms));
        set(&o, "verifyMs", list(&t.verify_ms));
        let keys: Vec<f64> = t.decompressed_keys.iter().map(|k| *k as f64).collect();
        set(&o, "decompressedKeys", list(&keys));
        set(&o, "totalMs", t.total_ms);
        let k = measure_committee_keys(bootstrap.current_sync_committee(), &now_ms)
            .map_err(|e| js_error("BLS", &e.to_string(), None))?;
        set(&o, "keyValidateAllMs", k.key_validate_all_ms);
        set(&o, "decompressAllMs", k.decompress_all_ms);
        set(&o, "decompressAggregateMs", k.decompress_aggregate_ms);
        out.push(&o);
    }
    let r = Object::new();
    set(&r, "rounds", out);
    set(&r, "updates", updates.len() as f64);
    Ok(r.into())
}
