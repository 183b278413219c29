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

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use super::{
    anchor_js, error::js_error, nullable, progress_js, set, yield_to_event_loop, Inner, JsHooks,
};
use crate::checkpoint::Hooks;
use crate::config::NetworkConfig;
use crate::light::input::{parse_bootstrap, parse_updates_json};
use crate::light::rebuild::{measure_committee_keys, measure_update_chain};
use crate::overseer::{Overseer, OverseerError, OverseerEvent, OverseerHooks};
use crate::store::AnchorRecord;
use crate::types::Mainnet;

/// The overseer's hooks over a `LightSync`'s listeners.
struct LongRangeHooks<'a>(&'a Inner);

impl OverseerHooks for LongRangeHooks<'_> {
    fn emit(&self, event: &OverseerEvent) {
        match event {
            OverseerEvent::Checkpoint(e) => Hooks::emit(&JsHooks(self.0), e),
            OverseerEvent::Warning { code, message } => self.0.warn(code, message),
            OverseerEvent::Rebuild(p) => {
                let phase = format!("light-{}", p.step.as_str());
                let o = progress_js(&phase, p.done, p.total, 0, None, None);
                set(&o, "period", nullable(p.period.map(|v| v.to_string())));
                self.0.emit("progress", &o.into());
            }
            OverseerEvent::Decided(_) | OverseerEvent::Followed(_) => {}
        }
    }

    async fn pause(&self) {
        yield_to_event_loop().await;
    }

    fn aborted(&self) -> bool {
        Hooks::aborted(&JsHooks(self.0))
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
    Ok(anchor_js(&started.anchor))
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
