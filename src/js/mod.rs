//! The JavaScript API (wasm only): `LightSync`, its options, events and errors.
//!
//! This is the one place that speaks `wasm_bindgen`; everything it calls is the plain-Rust core
//! (`checkpoint`, `beacon_api`, `store`, `ws`). Shape, as in the design: an async factory
//! (`LightSync.create(options)`), `start()` returning a Promise of the stored anchor, `stop()`,
//! a `status()` snapshot, `anchors()`, `reset()`, `on`/`off` for typed events (`progress`,
//! `warning`, `status`), and errors that are `Error` objects with a stable `code` (see [`error`]).
//! Every long operation takes an `AbortSignal` (`create`'s `signal` option covers the instance;
//! `start({ signal })` and `backfill({ signal })` cover one call). The TypeScript types live in
//! `typings.d.ts`: `on`/`off` are typed there (generic over the event name), so the generated
//! signatures are skipped.
//!
//! Conventions at the boundary: roots are `0x`-hex strings; chain quantities that are `uint64`
//! in the spec (slots, epochs, Gwei, counts) are **decimal strings**, so no value above 2^53 is
//! ever rounded and JSON logging works; byte counters and rates in progress events are plain
//! numbers (they never approach 2^53).
//!
//! Rules kept here (known wasm-bindgen traps): no exported `async fn(&mut self)`; state lives in
//! an `Rc<Inner>` cloned into each Promise (so the number of clones beyond the instance's own is
//! the number of operations in flight, which `reset()` relies on), and no `RefCell` borrow is
//! held across an `.await`.
//! Hashing yields to the event loop between slices (a `setTimeout(0)` macrotask), so no main-
//! thread task runs much longer than one slice (see `checkpoint::HASH_NODES_PER_SLICE`).
//!
//! Backfill lives in `backfill.rs`: `#[wasm_bindgen] impl LightSync { backfill(),
//! pauseBackfill(), resumeBackfill() }` over [`Inner`]'s crate-visible parts: `network`, `store`,
//! `providers()`, `options.core.backfill`, `emit()`, `set_mode()` and `active_anchor()`.

mod backfill;
#[cfg(feature = "bench")]
mod bench;
mod error;
mod guard;
mod hash;
mod longrange;
mod options;
mod reads;
mod storage;
mod store;

use std::cell::RefCell;
use std::rc::Rc;

use futures::future::LocalBoxFuture;
use js_sys::{Array, Function, Object, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::AbortSignal;

use crate::beacon_api::{any_signal, FetchTransport, HttpBeaconApi, DEFAULT_CONCURRENCY};
use crate::checkpoint::{CheckpointOptions, CheckpointSync};
use crate::config::NetworkConfig;
use crate::ctx::{boxed, Ctx, Env, HashPool};
use crate::event::Event;
use crate::longrange::{InstanceMode, Session, StartOutcome};
use crate::store::{AnchorPayload, AnchorRecord, ExecutionBlock, PayloadStatus, Store};
use crate::types::hex0x;
use crate::ws::{Clock, WsStatus};

pub use error::js_error;
use error::{busy, error_code};
use options::Options;
use store::JsStore;

/// The API's types (options, anchor, status, events, error codes), added to the generated
/// typings. Kept in its own file so a native test (`tests/js_typings.rs`) can check that every
/// error and warning code the Rust side produces is in the `ErrorCode`/`WarningCode` unions.
#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = include_str!("typings.d.ts");

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "LightSyncEventName")]
    pub type EventName;
    #[wasm_bindgen(typescript_type = "(event: LightSyncEvents[LightSyncEventName]) => void")]
    pub type EventCallback;
    #[wasm_bindgen(typescript_type = "StartOptions")]
    pub type StartOptions;
}

/// Whether `error` is a `LightSyncError` (typed in `typings.d.ts` as a type guard).
#[wasm_bindgen(js_name = isLightSyncError, skip_typescript)]
pub fn is_light_sync_error(error: &JsValue) -> bool {
    error.is_instance_of::<js_sys::Error>()
        && Reflect::get(error, &"name".into())
            .ok()
            .and_then(|n| n.as_string())
            .is_some_and(|n| n == "LightSyncError")
        && Reflect::get(error, &"code".into())
            .ok()
            .is_some_and(|c| c.is_string())
}

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// `hash_tree_root` of a `BeaconState` from its SSZ bytes, as 0x-hex (`fork`: "phase0".."fulu",
/// `preset`: "mainnet" | "minimal"). Runs in one go; the benchmark page uses it.
#[wasm_bindgen(js_name = stateRoot)]
pub fn state_root(bytes: &[u8], fork: &str, preset: &str) -> Result<String, JsValue> {
    let (fork, preset) = hash::parse_fork_preset(fork, preset)?;
    let root = crate::merkle::state_root(bytes, fork, preset)
        .map_err(|e| error::js_error("DECODE", &e.to_string(), None))?;
    Ok(hex0x(root))
}

/// What every exported async method runs: one boxed future type, so `future_to_promise` and the
/// task it spawns are compiled once for all of them (see [`promise`]) rather than once per
/// method, each copy holding that method's whole flow inlined.
pub(crate) type Call = LocalBoxFuture<'static, Result<JsValue, JsValue>>;

/// The Promise of an exported async method: resolves with the call's value, rejects with its
/// error.
pub(crate) fn promise(call: Call) -> Promise {
    future_to_promise(call)
}

/// `Date.now()` or the `now` option, in unix seconds.
struct JsClock(Option<u64>);

impl Clock for JsClock {
    fn now_unix_seconds(&self) -> u64 {
        self.0
            .unwrap_or_else(|| (js_sys::Date::now() / 1000.0).max(0.0) as u64)
    }
}

/// Resolves on the next macrotask (`setTimeout(fn, 0)`), letting the page render and handle
/// input between hashing slices; works in windows and workers.
async fn yield_to_event_loop() {
    let promise = Promise::new(&mut |resolve, _reject| {
        let global = js_sys::global();
        let set_timeout = Reflect::get(&global, &"setTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok());
        match set_timeout {
            Some(f) => {
                let _ = f.call2(&global, &resolve, &JsValue::from(0));
            }
            None => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Waits `ms` milliseconds, or less when one of `signals` aborts.
pub(crate) async fn sleep(ms: f64, signals: &[AbortSignal]) {
    let resolver: Rc<RefCell<Option<Function>>> = Rc::new(RefCell::new(None));
    let keep = resolver.clone();
    let promise = Promise::new(&mut |resolve, _reject| {
        let global = js_sys::global();
        if let Some(f) = Reflect::get(&global, &"setTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
        {
            let _ = f.call2(&global, &resolve, &JsValue::from(ms));
        }
        for s in signals {
            if let Some(add) = Reflect::get(s, &"addEventListener".into())
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok())
            {
                let _ = add.call2(s, &"abort".into(), &resolve);
            }
        }
        *keep.borrow_mut() = Some(resolve);
    });
    let _ = JsFuture::from(promise).await;
    // The listeners would otherwise pile up on a long-lived signal, one per step.
    let resolve = resolver.borrow_mut().take();
    if let Some(resolve) = resolve {
        for s in signals {
            if let Some(remove) = Reflect::get(s, &"removeEventListener".into())
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok())
            {
                let _ = remove.call2(s, &"abort".into(), &resolve);
            }
        }
    }
}

fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(obj, &key.into(), &value.into());
}

/// `value`, or `null` when there is none.
fn nullable<T: Into<JsValue>>(value: Option<T>) -> JsValue {
    value.map(Into::into).unwrap_or(JsValue::NULL)
}

/// The plain JS object of an anchor (see the `Anchor` typing).
fn anchor_js(a: &AnchorRecord) -> JsValue {
    let o = Object::new();
    set(&o, "network", a.network.as_str());
    set(&o, "blockRoot", hex0x(a.block_root));
    set(&o, "stateRoot", hex0x(a.state_root));
    set(&o, "slot", a.slot.to_string());
    set(&o, "epoch", a.epoch.to_string());
    set(&o, "fork", a.fork.as_str());
    set(&o, "trust", a.trust.as_str());
    set(
        &o,
        "linkedThroughLatestBlockHeader",
        a.linked_through_latest_block_header,
    );
    let providers: Array = a
        .providers
        .iter()
        .map(|p| JsValue::from(p.as_str()))
        .collect();
    set(&o, "providers", providers);
    set(&o, "wsPeriodEpochs", a.ws_period_epochs.to_string());
    set(
        &o,
        "wsExpiresEpoch",
        a.epoch.saturating_add(a.ws_period_epochs).to_string(),
    );
    set(
        &o,
        "totalActiveBalanceGwei",
        a.total_active_balance.to_string(),
    );
    set(&o, "activeValidators", a.active_validators.to_string());
    set(&o, "createdAt", a.created_at.to_string());
    set(&o, "stale", a.stale);
    set(
        &o,
        "execution",
        nullable(a.execution.as_ref().map(execution_js)),
    );
    set(&o, "payload", nullable(a.payload.as_ref().map(payload_js)));
    o.into()
}

/// The `AnchorPayload` object (see the typing): `status` `"full"`, `"empty"` or null, hashes as
/// `0x`-hex.
fn payload_js(p: &AnchorPayload) -> JsValue {
    let o = Object::new();
    let status = match p.status {
        Some(PayloadStatus::Full) => JsValue::from("full"),
        Some(PayloadStatus::Empty) => JsValue::from("empty"),
        None => JsValue::NULL,
    };
    set(&o, "status", status);
    set(&o, "blockHash", hex0x(p.block_hash));
    set(&o, "latestBlockHash", hex0x(p.latest_block_hash));
    o.into()
}

/// The `ExecutionBlock` object (see the typing): hashes as `0x`-hex, numbers as decimal strings.
fn execution_js(e: &ExecutionBlock) -> JsValue {
    let o = Object::new();
    set(&o, "blockHash", hex0x(e.block_hash));
    set(&o, "blockNumber", e.block_number.to_string());
    set(&o, "stateRoot", hex0x(e.state_root));
    set(&o, "receiptsRoot", hex0x(e.receipts_root));
    set(&o, "timestamp", e.timestamp.to_string());
    o.into()
}

/// `SECONDS_PER_SLOT * SLOTS_PER_EPOCH`, in seconds.
fn seconds_per_epoch(network: &NetworkConfig) -> u128 {
    u128::from(network.seconds_per_slot) * u128::from(network.slots_per_epoch())
}

/// The `ws` object of `status()`. `expiresAt` is when the anchor goes stale: it is safe through
/// epoch `expires_epoch`, so stale from the first second of `expires_epoch + 1` (unix seconds,
/// `genesis_time + epoch * SECONDS_PER_SLOT * SLOTS_PER_EPOCH`; in u128, so it cannot overflow).
fn ws_js(network: &NetworkConfig, ws: &WsStatus) -> JsValue {
    let epoch_seconds = seconds_per_epoch(network);
    let expires_at =
        u128::from(network.genesis_time) + (u128::from(ws.expires_epoch) + 1) * epoch_seconds;
    let o = Object::new();
    set(&o, "periodEpochs", ws.period_epochs.to_string());
    set(&o, "expiresEpoch", ws.expires_epoch.to_string());
    set(&o, "currentEpoch", ws.current_epoch.to_string());
    set(&o, "expiresAt", expires_at.to_string());
    set(&o, "secondsPerEpoch", epoch_seconds as f64);
    set(&o, "stale", ws.stale);
    o.into()
}

/// The `network` object of `status()`.
fn network_js(network: &NetworkConfig, database: &str) -> JsValue {
    let o = Object::new();
    set(&o, "name", network.name.as_str());
    set(
        &o,
        "genesisValidatorsRoot",
        hex0x(network.genesis_validators_root.0),
    );
    set(&o, "genesisTime", network.genesis_time.to_string());
    set(&o, "secondsPerSlot", network.seconds_per_slot as f64);
    set(&o, "slotsPerEpoch", network.slots_per_epoch() as f64);
    set(&o, "database", database);
    o.into()
}

/// The shared state of one `LightSync`; cloned (`Rc`) into every Promise.
pub(crate) struct Inner {
    /// The network.
    pub(crate) network: NetworkConfig,
    /// The IndexedDB store of that network (replaced with an empty one by `reset()`).
    pub(crate) store: JsStore,
    /// The parsed options (immutable after `create`).
    pub(crate) options: Options,
    listeners: RefCell<Vec<(String, Function)>>,
    /// Runs, modes, the anchor in use and the followed head: the rules are the core's.
    pub(crate) session: Session,
    /// The `signal` of the running `start()`, if it was given one.
    call_signal: RefCell<Option<AbortSignal>>,
    /// The hash workers of the running `start()` (started with it, stopped when it ends).
    hash_pool: RefCell<Option<Rc<hash::JsHashPool>>>,
    /// The writer lock, the channel to other instances and the storage standing.
    pub(crate) guard: storage::Guard,
}

/// The one [`Env`] of every operation of a `LightSync`: events to the listeners (converted by
/// [`Inner::emit_event`]), yields to the event loop, sleeps and aborts on the operation's
/// signals, `pauseBackfill()`, and the hash workers of a `start()`.
pub(crate) struct JsEnv<'a> {
    inner: &'a Inner,
    /// The `start()` run this env belongs to: a run superseded after a trap is aborted. `None`
    /// for `backfill()` and `follow()`.
    run: Option<u64>,
    /// What cancels the operation: its own signal and the instance's `signal` option.
    signals: Vec<AbortSignal>,
}

impl<'a> JsEnv<'a> {
    /// The env of an operation of `inner` (the `start()` run `run`, if it is one) that `call`
    /// (its own signal) and the instance's signal cancel.
    pub(crate) fn new(inner: &'a Inner, run: Option<u64>, call: Option<AbortSignal>) -> Self {
        let signals = call
            .into_iter()
            .chain(inner.options.signal.clone())
            .collect();
        JsEnv {
            inner,
            run,
            signals,
        }
    }

    /// The signals that cancel the operation.
    pub(crate) fn signals(&self) -> &[AbortSignal] {
        &self.signals
    }
}

impl Env for JsEnv<'_> {
    fn emit(&self, event: &Event) {
        self.inner.emit_event(event);
    }

    async fn pause(&self) {
        yield_to_event_loop().await;
    }

    async fn sleep_ms(&self, ms: u64) {
        // A Retry-After or backoff wait ends as soon as one of the signals aborts.
        sleep(ms as f64, &self.signals).await;
    }

    fn aborted(&self) -> bool {
        self.inner.session.aborted(self.run) || self.signals.iter().any(|s| s.aborted())
    }

    fn paused(&self) -> bool {
        self.inner.session.backfill_paused()
    }

    fn now_ms(&self) -> Option<f64> {
        Some(js_sys::Date::now())
    }

    fn hash_pool(&self) -> Option<Rc<dyn HashPool>> {
        self.run?;
        let pool = self.inner.hash_workers()?;
        Some(pool as Rc<dyn HashPool>)
    }
}

impl Inner {
    /// Calls every listener of `event` with `payload`. Listeners are cloned out first, so a
    /// listener may call `on`/`off` without a borrow conflict.
    pub(crate) fn emit(&self, event: &str, payload: &JsValue) {
        let targets: Vec<Function> = self
            .listeners
            .borrow()
            .iter()
            .filter(|(name, _)| name == event)
            .map(|(_, f)| f.clone())
            .collect();
        for f in targets {
            let _ = f.call1(&JsValue::NULL, payload);
        }
        self.guard.broadcast(event, payload);
    }

    /// The one conversion of a core [`Event`] to the JS event it documents (`typings.d.ts`):
    /// the payload is the event's own serialisation, a failed follow step is a
    /// `LightSyncError`, and a follow step moves `status().head`.
    pub(crate) fn emit_event(&self, event: &Event) {
        let Some(name) = event.js_name() else {
            return;
        };
        self.session.on_event(event);
        let payload = match event {
            Event::FollowFailed(f) => js_error(f.code, &f.message, f.expected_actual.clone()),
            _ => event
                .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
                .unwrap_or(JsValue::NULL),
        };
        self.emit(name, &payload);
    }

    pub(crate) fn warn(&self, code: &'static str, message: impl Into<String>) {
        self.emit_event(&Event::Warning {
            code,
            message: message.into(),
        });
    }

    /// The hash workers of the running `start()`, started on first use (a state download of
    /// the checkpoint flow, or of a light rebuild) and stopped when the run ends. `None` when
    /// the options ask for none or no worker can start (then with a `HASH_WORKERS_FAILED`
    /// warning, and the state is hashed on the main thread).
    fn hash_workers(&self) -> Option<Rc<hash::JsHashPool>> {
        if self.options.hash_workers == 0 {
            return None;
        }
        if let Some(pool) = self.hash_pool.borrow().clone() {
            return Some(pool);
        }
        match hash::JsHashPool::start(self.options.hash_workers) {
            Ok(pool) => {
                let pool = Rc::new(pool);
                *self.hash_pool.borrow_mut() = Some(pool.clone());
                Some(pool)
            }
            Err(reason) => {
                let w = crate::warning::Warning::hash_workers_failed(&reason);
                self.warn(w.code, w.message);
                None
            }
        }
    }

    /// Sets the mode and emits a `status` event (`error` adds `{ code, message }`).
    pub(crate) fn set_mode_with(&self, mode: InstanceMode, error: Option<&JsValue>) {
        self.session.set_mode(mode);
        let o = Object::new();
        set(&o, "mode", mode.as_str());
        let anchor = self.session.anchor().as_ref().map(anchor_js);
        set(&o, "anchor", nullable(anchor));
        if let Some(e) = error {
            let err = Object::new();
            set(
                &err,
                "code",
                Reflect::get(e, &"code".into()).unwrap_or(JsValue::NULL),
            );
            set(
                &err,
                "message",
                Reflect::get(e, &"message".into()).unwrap_or(JsValue::NULL),
            );
            set(&o, "error", err);
        }
        self.emit("status", &o.into());
    }

    /// The anchor in use, as last loaded or stored.
    pub(crate) fn active_anchor(&self) -> Option<AnchorRecord> {
        self.session.anchor()
    }

    /// The signal that cancels the running operation's requests: the running `start()`'s own
    /// signal and the instance's `signal` option, whichever fires first (`AbortSignal.any`
    /// where the browser has it, Chrome 116, Firefox 124, Safari 17.4; else the call's signal,
    /// and the instance's is still honoured at every abort check).
    fn signal(&self) -> Option<AbortSignal> {
        let call = self.call_signal.borrow().clone();
        let signals: Vec<AbortSignal> = call
            .into_iter()
            .chain(self.options.signal.clone())
            .collect();
        any_signal(&signals)
    }

    /// Operations of this instance in flight: every exported async method moves one clone of
    /// the `Rc<Inner>` into its Promise and drops it when the Promise settles.
    fn operations_in_flight(self: &Rc<Self>) -> usize {
        Rc::strong_count(self) - 1
    }

    /// One Beacon API client per URL, sharing the options' timeout and the abort signal.
    pub(crate) fn providers(&self) -> Vec<HttpBeaconApi<FetchTransport>> {
        self.providers_with_signal(self.signal(), DEFAULT_CONCURRENCY)
    }

    /// One HTTP provider per configured URL whose requests end when `signal` aborts (each with
    /// the `timeoutMs` option), sending at most `concurrency` requests of a batch at once.
    pub(crate) fn providers_with_signal(
        &self,
        signal: Option<AbortSignal>,
        concurrency: usize,
    ) -> Vec<HttpBeaconApi<FetchTransport>> {
        self.options
            .core
            .urls
            .iter()
            .map(|u| {
                let mut t = FetchTransport::default()
                    .with_concurrency(concurrency)
                    .with_signal(signal.clone())
                    .with_stream_pace(self.options.core.stream_pace);
                if let Some(ms) = self.options.core.timeout_ms {
                    t = t.with_timeout_ms(ms);
                }
                HttpBeaconApi::new(u, t).with_preset(self.network.preset)
            })
            .collect()
    }

    fn clock(&self) -> JsClock {
        JsClock(self.options.core.now)
    }

    /// Marks the running `start()` as abandoned by a panic or trap (called from [`guard`], so
    /// it only sets `Cell`s): mode `error`, the run told to stop, a new `start()` accepted.
    pub(crate) fn mark_trapped(&self) {
        self.session.mark_trapped();
    }

    async fn start(self: Rc<Self>, signal: Option<AbortSignal>) -> Result<JsValue, JsValue> {
        let run = self.session.begin_start().map_err(|b| busy(&b))?;
        *self.call_signal.borrow_mut() = signal;
        let result = self.run_start(run).await;
        if self.session.is_current(run) {
            // The run's hash workers stop with it.
            self.hash_pool.borrow_mut().take();
        }
        let outcome = match &result {
            Ok(_) => StartOutcome::Anchored,
            Err(e) if error_code(e).as_deref() == Some("ABORTED") => StartOutcome::Aborted,
            Err(_) => StartOutcome::Failed,
        };
        // `None`: superseded or trapped, and the guard settled this call and set the mode.
        if let Some(mode) = self.session.finish_start(run, outcome) {
            *self.call_signal.borrow_mut() = None;
            let error = result
                .as_ref()
                .err()
                .filter(|_| mode == InstanceMode::Error);
            self.set_mode_with(mode, error);
        }
        result
    }

    async fn run_start(&self, run: u64) -> Result<JsValue, JsValue> {
        self.set_mode_with(InstanceMode::Syncing, None);
        for w in &self.options.core.warnings {
            self.warn(w.code, &w.message);
        }
        let clock = self.clock();
        let providers = self.providers();
        let ctx = Ctx {
            network: &self.network,
            providers: &providers,
            store: &self.store,
            clock: &clock,
        };
        let env = JsEnv::new(self, Some(run), self.call_signal.borrow().clone());
        let Some(source) = &self.options.core.source else {
            // No trust source: resume from the stored active anchor.
            let anchor = self
                .store
                .active_anchor()
                .await
                .map_err(|e| error::from_store(&e))?
                .ok_or_else(|| {
                    js_error(
                        "NO_SOURCE",
                        "start: expected checkpoint, trustedBlockRoot, stateId or stateFile, or a stored anchor, got none",
                        None,
                    )
                })?;
            // The long-range decision (strict / lenient / light) and one follow step.
            return boxed(longrange::resume(self, ctx, &env, anchor)).await;
        };
        let sync = CheckpointSync {
            ctx,
            env: &env,
            options: CheckpointOptions {
                long_range: self.options.core.long_range,
                quorum: self.options.core.quorum,
                keep_state: self.options.core.keep_state,
            },
        };
        // The long-range rule (a light rebuild of a stale checkpoint) is the core's.
        boxed(longrange::checkpoint(self, &sync, source)).await
    }

    /// Deletes the network's database and opens an empty one; the instance is then as freshly
    /// created on an empty database (`idle`, no anchor).
    async fn reset(self: Rc<Self>) -> Result<JsValue, JsValue> {
        let result = self.store.wipe().await.map_err(|e| error::from_store(&e));
        if let Some(mode) = self.session.finish_reset(result.is_ok()) {
            self.set_mode_with(mode, None);
        }
        result.map(|_| JsValue::UNDEFINED)
    }

    /// The `head` object of `status()`: the followed tip, else the anchor's block (whose slot is
    /// the state's unless the anchor was linked through `latest_block_header` across empty slots).
    fn head_js(&self) -> JsValue {
        let Some(h) = self.session.shown_head() else {
            return JsValue::NULL;
        };
        let o = Object::new();
        set(&o, "root", hex0x(h.root));
        set(&o, "slot", nullable(h.slot.map(|s| s.to_string())));
        set(&o, "followed", h.followed);
        set(
            &o,
            "execution",
            nullable(h.execution.as_ref().map(execution_js)),
        );
        o.into()
    }
}

/// A checkpoint-synced, persistent view of one network's beacon chain.
#[wasm_bindgen]
pub struct LightSync {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl LightSync {
    /// Reads the options, resolves the network (a config object's or `"spec"`'s genesis time and
    /// validators root from every provider's `/eth/v1/beacon/genesis`, which must agree), and
    /// opens the network's IndexedDB database, loading its active anchor. Rejects with a
    /// `LightSyncError`.
    pub async fn create(
        #[wasm_bindgen(unchecked_param_type = "LightSyncOptions")] options: JsValue,
    ) -> Result<LightSync, JsValue> {
        let mut opts = options::parse(&options)?;
        let lock = storage::parse_lock(&options)?;
        // A config's genesis comes from every provider's /eth/v1/beacon/genesis (see
        // `crate::network`); a state file stands in when there is no provider.
        let providers: Vec<_> = opts
            .core
            .urls
            .iter()
            .map(|u| {
                HttpBeaconApi::new(
                    u,
                    FetchTransport::default().with_signal(opts.signal.clone()),
                )
            })
            .collect();
        let state = match &opts.core.source {
            Some(crate::checkpoint::Source::StateFile(file)) => {
                crate::network::StateGenesis::from_state_file(file)
                    .await
                    .map_err(|e| error::from_checkpoint(&e))?
            }
            _ => None,
        };
        let resolved = crate::network::resolve(&opts.core.network, &providers, state)
            .await
            .map_err(|e| error::from_network(&e))?;
        opts.core
            .warnings
            .extend(resolved.warnings.into_iter().map(Into::into));
        let network = resolved.network;
        let store = JsStore::open(&network.name, network.genesis_validators_root.0)
            .await
            .map_err(|e| error::from_store(&e))?;
        let anchor = storage::check_on_open(&store, &network).await?;
        // The stored followed tip, shown by `status().head` until a step moves it.
        let stored_head = match &anchor {
            Some(_) => store.head().await.map_err(|e| error::from_store(&e))?,
            None => None,
        };
        let guard = storage::Guard::new(store.name(), lock);
        guard.refresh().await;
        let sync = LightSync {
            inner: Rc::new(Inner {
                network,
                store,
                options: opts,
                listeners: RefCell::new(Vec::new()),
                session: Session::open(anchor, stored_head),
                call_signal: RefCell::new(None),
                hash_pool: RefCell::new(None),
                guard,
            }),
        };
        storage::attach(&sync.inner);
        Ok(sync)
    }

    /// Runs the checkpoint flow of the options (or, without a trust source, resumes from the
    /// stored active anchor) and resolves with the verified, stored anchor. `options.signal`
    /// cancels this call (rejecting with `ABORTED`; nothing is stored), as does `stop()`.
    ///
    /// (Exported to JS as `start`; Rust callers, such as the browser tests, call
    /// [`LightSync::start`] without options.)
    #[wasm_bindgen(js_name = start, unchecked_return_type = "Promise<Anchor>")]
    pub fn start_with(&self, options: Option<StartOptions>) -> Promise {
        let signal = match start_signal(options) {
            Ok(s) => s,
            Err(e) => return Promise::reject(&e),
        };
        let inner = self.inner.clone();
        // The guard settles the call with INTERNAL after a trap, so the writer lock is released too.
        let guarded = guard::guarded(&self.inner, Box::pin(inner.clone().start(signal)));
        storage::writing(inner, "start", Box::pin(JsFuture::from(guarded)))
    }

    /// Deletes this network's database (anchors, headers, backfill progress, kept states) and
    /// opens an empty one, so the instance can `start()` again from its options. Refused with
    /// `ALREADY_RUNNING` while any operation of this instance is in flight (`stop()` it, or
    /// abort it, and await its Promise first). Other tabs' connections close themselves.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn reset(&self) -> Promise {
        let in_flight = self.inner.operations_in_flight();
        if let Err(b) = self.inner.session.begin_reset(in_flight) {
            return Promise::reject(&busy(&b));
        }
        let inner = self.inner.clone();
        storage::writing(inner.clone(), "reset", Box::pin(inner.reset()))
    }

    /// Asks a running `start()` to stop at its next check; it then rejects with `ABORTED` and
    /// nothing is stored.
    pub fn stop(&self) {
        if let Some(mode) = self.inner.session.stop() {
            self.inner.set_mode_with(mode, None);
        }
    }

    /// A snapshot, without touching IndexedDB: mode, network, the anchor in use and its
    /// weak-subjectivity standing now, stored headers, the backfill tail and the newest verified
    /// block.
    #[wasm_bindgen(unchecked_return_type = "Status")]
    pub fn status(&self) -> JsValue {
        let inner = &self.inner;
        let o = Object::new();
        set(&o, "mode", inner.session.mode().as_str());
        set(
            &o,
            "network",
            network_js(&inner.network, &inner.store.name()),
        );
        let anchor = inner.active_anchor();
        set(&o, "anchor", nullable(anchor.as_ref().map(anchor_js)));
        let ws = anchor.as_ref().and_then(|a| {
            WsStatus::now(&inner.network, &inner.clock(), a.epoch, a.ws_period_epochs).ok()
        });
        set(
            &o,
            "ws",
            nullable(ws.as_ref().map(|w| ws_js(&inner.network, w))),
        );
        set(&o, "headers", inner.store.header_count() as f64);
        let tail = inner.store.cursor().map(|c| {
            let t = Object::new();
            set(&t, "oldestSlot", c.oldest_slot.to_string());
            set(&t, "oldestRoot", hex0x(c.oldest_root));
            set(&t, "oldestParentRoot", hex0x(c.oldest_parent_root));
            set(&t, "targetSlot", c.target_slot.to_string());
            t
        });
        set(&o, "tail", nullable(tail));
        set(&o, "head", inner.head_js());
        set(&o, "storage", inner.guard.status_js());
        o.into()
    }

    /// Every stored anchor of this network.
    #[wasm_bindgen(unchecked_return_type = "Promise<Anchor[]>")]
    pub fn anchors(&self) -> Promise {
        let inner = self.inner.clone();
        promise(Box::pin(async move {
            let anchors = inner
                .store
                .anchors()
                .await
                .map_err(|e| error::from_store(&e))?;
            Ok(anchors.iter().map(anchor_js).collect::<Array>().into())
        }))
    }

    /// Adds a listener for `event` (`progress`, `warning` or `status`).
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: EventName, callback: EventCallback) -> Result<(), JsValue> {
        let name = event_name(event)?;
        let f: Function = JsValue::from(callback)
            .dyn_into()
            .map_err(|_| error::invalid_options("on: expected a function"))?;
        self.inner.listeners.borrow_mut().push((name, f));
        Ok(())
    }

    /// Removes a listener added with `on`.
    #[wasm_bindgen(skip_typescript)]
    pub fn off(&self, event: EventName, callback: EventCallback) -> Result<(), JsValue> {
        let name = event_name(event)?;
        let target = JsValue::from(callback);
        self.inner
            .listeners
            .borrow_mut()
            .retain(|(n, f)| !(n == &name && JsValue::from(f.clone()) == target));
        Ok(())
    }
}

/// The `signal` of `start(options)`, checked.
fn start_signal(options: Option<StartOptions>) -> Result<Option<AbortSignal>, JsValue> {
    let Some(options) = options.map(JsValue::from) else {
        return Ok(None);
    };
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    if !options.is_object() {
        return Err(error::invalid_options(format!(
            "start: expected an options object, got {options:?}"
        )));
    }
    match Reflect::get(&options, &"signal".into()) {
        Ok(s) if s.is_undefined() || s.is_null() => Ok(None),
        Ok(s) => s.dyn_into::<AbortSignal>().map(Some).map_err(|s| {
            error::invalid_options(format!("start: signal: expected an AbortSignal, got {s:?}"))
        }),
        Err(_) => Ok(None),
    }
}

impl LightSync {
    /// `start()` without options, for Rust callers (the JS `start` is [`LightSync::start_with`]).
    pub fn start(&self) -> Promise {
        self.start_with(None)
    }
}

fn event_name(event: EventName) -> Result<String, JsValue> {
    let name = JsValue::from(event).as_string().unwrap_or_default();
    match name.as_str() {
        "progress" | "warning" | "status" | "followed" | "followError" | "followSource"
        | "execution" => Ok(name),
        other => Err(error::invalid_options(format!(
            "event: expected \"progress\", \"warning\", \"status\", \"followed\", \"followError\", \"followSource\" or \"execution\", got {other:?}"
        ))),
    }
}
