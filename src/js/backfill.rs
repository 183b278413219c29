//! The JS surface of backfill: `LightSync.backfill()`, `pauseBackfill()`, `resumeBackfill()`,
//! and the exports the benchmark page (`www/bench/backfill.html`) measures with.
//!
//! `backfill(options?)` runs [`crate::backfill::Backfill`] over the instance's IndexedDB store
//! and providers and resolves with a summary; it is resumable (the store keeps the cursor), so
//! calling it again after a reload continues where it stopped. Cancellation: the `signal` given
//! here or in the `LightSync` options, or `stop()`. Events reuse the instance's event names:
//! `progress` with `phase: "backfill"` (`done`/`total` in slots, `headers`, `headersPerSecond`,
//! `etaSeconds`, `oldestSlot`, `providers`: `[{url, healthy, avoided, failures}]`), and `warning`
//! for retries (`BACKFILL_RETRY`), quarantined providers (`PROVIDER_QUARANTINED`: transient
//! failures, backed off), avoided providers (`PROVIDER_AVOIDED`: bad data), resets
//! (`BACKFILL_RESET`) and chunk checks. Each request has the instance's `timeoutMs` deadline, so
//! a silent provider is quarantined after one.
//!
//! The anchor's recorded roots (`anchor_roots`, written with the anchor by the checkpoint flow)
//! are loaded for every run, so a withheld block is caught at its slot and whole chunks are
//! verified against the anchor state's `historical_summaries` in the browser too. Pause is the
//! instance's `backfill_paused` flag, polled between batches.

use std::rc::Rc;

use js_sys::{Object, Promise};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::error::{from_options, js_error};
use super::options::option_value;
use super::{hex0x, nullable, set, Inner, JsClock, JsEnv, LightSync};
use crate::backfill::{
    load_known_roots, Backfill, BackfillError, DEFAULT_BATCH_SIZE, DEFAULT_CONCURRENCY,
};
use crate::beacon_api::{any_signal, FetchTransport, HttpBeaconApi};
use crate::ctx::{boxed, Ctx};
use crate::store::Store;
use crate::warning::Warning;

/// The JS error of a failed run; `BACKFILL_INCOMPLETE` also says where the verified chain stops
/// (`targetSlot`, `oldestSlot`, `lowestSlot` as decimal strings, `expectedRoot` as 0x-hex).
fn from_backfill(e: &BackfillError) -> JsValue {
    match e {
        BackfillError::Api { source, .. } => {
            js_error(source.code(), &e.to_string(), source.expected_actual())
        }
        // QUOTA_EXCEEDED carries the room needed and the estimate as expected/actual.
        BackfillError::Store(source) => {
            js_error(source.code(), &e.to_string(), source.expected_actual())
        }
        BackfillError::Incomplete {
            target_slot,
            oldest_slot,
            expected_root,
            lowest_slot,
        } => {
            let err = js_error(e.code(), &e.to_string(), None);
            let o: &Object = err.unchecked_ref();
            set(o, "targetSlot", target_slot.to_string());
            set(o, "oldestSlot", oldest_slot.to_string());
            set(o, "lowestSlot", lowest_slot.to_string());
            set(o, "expectedRoot", hex0x(expected_root));
            err
        }
        _ => js_error(e.code(), &e.to_string(), None),
    }
}

/// One client per URL whose transport sends one request at a time: the backfill's per-provider
/// lanes are the concurrency (each lane hands its transport one slot per call, the default
/// `slots_per_call`). Requests are cancelled by the call's signal and the instance's, both, and
/// each has the instance's `timeoutMs` deadline.
fn lane_providers(
    inner: &Inner,
    call_signal: Option<AbortSignal>,
) -> Vec<HttpBeaconApi<FetchTransport>> {
    let signals: Vec<AbortSignal> = call_signal
        .into_iter()
        .chain(inner.options.signal.clone())
        .collect();
    inner.providers_with_signal(any_signal(&signals), 1)
}

async fn run(inner: Rc<Inner>, call: JsValue) -> Result<JsValue, JsValue> {
    let options =
        crate::options::backfill_options(&inner.options.core.backfill, &option_value(&call))
            .map_err(|e| from_options(&e))?;
    let signal = super::options::signal(&call, "backfill: ")?;
    inner.session.begin_backfill();
    let providers = lane_providers(&inner, signal.clone());
    let env = JsEnv::new(&inner, None, signal);
    let anchor = inner
        .store
        .active_anchor()
        .await
        .map_err(|e| from_backfill(&e.into()))?
        .ok_or_else(|| from_backfill(&BackfillError::NoAnchor))?;
    let known = load_known_roots(&inner.store, &anchor)
        .await
        .map_err(|e| from_backfill(&e))?;
    if known.is_none() {
        let w = Warning::no_anchor_roots();
        inner.warn(w.code, w.message);
    }
    let clock = JsClock(inner.options.core.now);
    let bf = Backfill {
        ctx: Ctx {
            network: &inner.network,
            providers: &providers,
            store: &inner.store,
            clock: &clock,
        },
        env: &env,
        options,
        known: known.as_ref(),
    };
    let s = boxed(bf.run()).await.map_err(|e| from_backfill(&e))?;
    let o = Object::new();
    set(&o, "stored", s.stored as f64);
    set(&o, "skippedNonLinking", s.skipped_non_linking as f64);
    set(&o, "emptySlots", s.empty_slots as f64);
    set(&o, "oldestSlot", s.oldest_slot.to_string());
    set(&o, "oldestRoot", hex0x(s.oldest_root));
    set(&o, "oldestParentRoot", hex0x(s.oldest_parent_root));
    set(&o, "targetSlot", s.target_slot.to_string());
    set(&o, "headersPerSecond", nullable(s.headers_per_second));
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let providers = s.providers.serialize(&serializer).unwrap_or(JsValue::NULL);
    set(&o, "providers", providers);
    Ok(o.into())
}

#[wasm_bindgen]
impl LightSync {
    /// Backfills verified headers below the active anchor into IndexedDB, resuming from the
    /// stored cursor. `options`: `{ targetSlot?, batchSize?, concurrency?, signal? }` over the
    /// instance's `backfill` option (defaults: horizon, 256, 6). Resolves with a summary;
    /// rejects with a `LightSyncError` (`ABORTED` when cancelled; what was stored is kept).
    // Typed by the overload in typings.d.ts; the generated `(options: any): Promise<any>` would
    // otherwise stand beside it and accept anything.
    #[wasm_bindgen(js_name = backfill, skip_typescript)]
    pub fn backfill(&self, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        super::storage::writing(inner.clone(), "backfill", Box::pin(run(inner, options)))
    }

    /// Pauses a running `backfill()` after its current batch.
    #[wasm_bindgen(js_name = pauseBackfill)]
    pub fn pause_backfill(&self) {
        self.inner.session.set_backfill_paused(true);
    }

    /// Resumes a paused `backfill()`.
    #[wasm_bindgen(js_name = resumeBackfill)]
    pub fn resume_backfill(&self) {
        self.inner.session.set_backfill_paused(false);
    }
}

/// The defaults, for pages that show them: `{ batchSize, concurrency }`.
#[wasm_bindgen(js_name = backfillDefaults, skip_typescript)]
pub fn backfill_defaults() -> JsValue {
    let o = Object::new();
    set(&o, "batchSize", DEFAULT_BATCH_SIZE as f64);
    set(&o, "concurrency", DEFAULT_CONCURRENCY as f64);
    o.into()
}
