//! The JavaScript API (wasm only): `LightSync`, its options, events and errors.
//!
//! This is the one place that speaks `wasm_bindgen`; everything it calls is the plain-Rust core
//! (`checkpoint`, `beacon_api`, `store`, `ws`). Shape, as in the design: an async factory
//! (`LightSync.create(options)`), `start()` returning a Promise of the stored anchor, `stop()`,
//! a `status()` snapshot, `anchors()`, `on`/`off` for typed events (`progress`, `warning`,
//! `status`), and errors that are `Error` objects with a stable `code` (see [`error`]).
//!
//! Conventions at the boundary: roots are `0x`-hex strings; chain quantities that are `uint64`
//! in the spec (slots, epochs, Gwei, counts) are **decimal strings**, so no value above 2^53 is
//! ever rounded and JSON logging works; byte counters and rates in progress events are plain
//! numbers (they never approach 2^53).
//!
//! Rules kept here (known wasm-bindgen traps): no exported `async fn(&mut self)`; state lives in
//! an `Rc<Inner>` cloned into each Promise, and no `RefCell` borrow is held across an `.await`.
//! Hashing yields to the event loop between slices (a `setTimeout(0)` macrotask), so no main-
//! thread task runs much longer than one slice (see `checkpoint::HASH_NODES_PER_SLICE`).
//!
//! Extension point for backfill: the backfill engineer owns `src/js/backfill.rs`, declared by a
//! `mod backfill;` line below (marked). It adds `#[wasm_bindgen] impl LightSync { backfill(),
//! pause(), resume() }` and uses [`Inner`]'s crate-visible parts: `network`, `store`,
//! `providers()`, `options.backfill`, `emit()`, `set_mode()` and `active_anchor()`.

mod error;
mod hash;
mod longrange;
mod options;
// Backfill engineer: add `mod backfill;` here (src/js/backfill.rs).
mod backfill;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::beacon_api::{BeaconApi, FetchTransport, HttpBeaconApi};
use crate::checkpoint::{
    network_from_spec, ws_status, CheckpointOptions, CheckpointSync, Hooks, SyncEvent, WsStatus,
};
use crate::config::NetworkConfig;
use crate::store::{AnchorRecord, IdbStore, Store};
use crate::types::{ForkName, PresetName};
use crate::ws::Clock;

pub use error::js_error;
use options::{NetworkOption, Options};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A built-in network, or a config with `config.yaml` keys (e.g. the `data` of
 * `/eth/v1/config/spec`) plus `GENESIS_VALIDATORS_ROOT` (else taken from the first provider). */
export type NetworkOption = "mainnet" | "sepolia" | "hoodi" | "holesky" | Record<string, string | number>;

export interface LightSyncOptions {
  network: NetworkOption;
  /** Beacon API base URLs, in order of preference. Required unless `stateFile` is given. */
  beaconApiUrls?: string[];
  /** `0x<64 hex>:<epoch>` weak-subjectivity checkpoint. */
  checkpoint?: string;
  /** A trusted block root (0x-hex). */
  trustedBlockRoot?: string;
  /** Trust the provider(s): "finalized", a slot, or a 0x state root. Overrides trustedBlockRoot (with a warning). */
  stateId?: string;
  /** A local SSZ BeaconState at an epoch's first slot; only into an empty database. */
  stateFile?: ArrayBuffer | Uint8Array;
  /** What to do with a checkpoint outside its weak-subjectivity period (default "strict"). */
  longRange?: "strict" | "lenient" | "light";
  /** Providers that must agree on the finalized checkpoint with `stateId` (default: all). */
  quorum?: number;
  /** Backfill settings, used by `backfill()`. */
  backfill?: { targetSlot?: number; batchSize?: number; concurrency?: number };
  /** Cancels `start()`; nothing is stored when aborted. */
  signal?: AbortSignal;
  /** Wall-clock override in unix seconds (tests). */
  now?: number;
  /** Per-request timeout in milliseconds (default 10000). */
  timeoutMs?: number;
}

export type Trust = "checkpoint" | "block-root" | "provider" | "file" | "light-client";

/** A verified anchor. uint64 values are decimal strings; roots are 0x-hex. */
export interface Anchor {
  network: string;
  blockRoot: string;
  stateRoot: string;
  slot: string;
  epoch: string;
  fork: string;
  trust: Trust;
  linkedThroughLatestBlockHeader: boolean;
  providers: string[];
  wsPeriodEpochs: string;
  wsExpiresEpoch: string;
  totalActiveBalanceGwei: string;
  activeValidators: string;
  createdAt: string;
  stale: boolean;
}

export interface WsInfo { periodEpochs: string; expiresEpoch: string; currentEpoch: string; stale: boolean; }

export type Mode = "idle" | "syncing" | "synced" | "stopped" | "error";

export interface Status { mode: Mode; anchor: Anchor | null; ws: WsInfo | null; }

export interface ProgressEvent {
  phase: "download" | "hash" | "store";
  done: number;
  total: number | null;
  bytes: number;
  /** Bytes per second since the phase began. */
  rate: number | null;
  provider: string | null;
}

export type WarningCode = "STATE_ID_OVERRIDES_ROOT" | "FORK_FROM_STATE_BYTES" | "PROVIDER_FAILED"
  | "PROVIDER_DISSENT" | "WS_STALE_LENIENT" | "CONFIG_GVR_FROM_PROVIDER";
export interface WarningEvent { code: WarningCode; message: string; }

export type StatusEvent =
  | { mode: "idle" | "syncing" | "stopped"; anchor: Anchor | null }
  | { mode: "synced"; anchor: Anchor }
  | { mode: "error"; anchor: Anchor | null; error: { code: ErrorCode; message: string } };

export interface LightSyncEvents { progress: ProgressEvent; warning: WarningEvent; status: StatusEvent; }
export type LightSyncEventName = keyof LightSyncEvents;

export type ErrorCode = "INVALID_OPTIONS" | "INVALID_CHECKPOINT" | "GENESIS_MISMATCH" | "HEADER_NOT_FOUND"
  | "STATE_NOT_FOUND" | "HEADER_ROOT_MISMATCH" | "STATE_ROOT_MISMATCH" | "STATE_LINK_MISMATCH"
  | "NOT_EPOCH_ALIGNED" | "FORK_MISMATCH" | "WS_STALE" | "PROVIDER_DISAGREEMENT" | "DATABASE_NOT_EMPTY"
  | "NO_PROVIDERS" | "NO_SOURCE" | "ALREADY_RUNNING" | "HTTP_STATUS" | "TIMEOUT" | "NETWORK" | "BODY_TOO_LARGE"
  | "TRUNCATED" | "DECODE" | "INVALID_ARGUMENT" | "WS_UNAVAILABLE" | "CLOCK_BEFORE_GENESIS" | "CONFIG"
  | "STORE" | "SCHEMA_TOO_NEW" | "ABORTED";

/** Every rejection and throw of this API is a LightSyncError. */
export interface LightSyncError extends Error {
  name: "LightSyncError";
  code: ErrorCode;
  expected?: string;
  actual?: string;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "LightSyncEventName")]
    pub type EventName;
    #[wasm_bindgen(typescript_type = "(event: LightSyncEvents[LightSyncEventName]) => void")]
    pub type EventCallback;
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
    let fork: ForkName = fork.parse().map_err(|e: crate::types::TypesError| {
        error::js_error("INVALID_ARGUMENT", &e.to_string(), None)
    })?;
    let preset: PresetName = preset.parse().map_err(|e: crate::types::TypesError| {
        error::js_error("INVALID_ARGUMENT", &e.to_string(), None)
    })?;
    let root = crate::merkle::state_root(bytes, fork, preset)
        .map_err(|e| error::js_error("DECODE", &e.to_string(), None))?;
    Ok(format!("0x{}", hex::encode(root)))
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

/// The `mode` of `status()` and `status` events.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Idle,
    Syncing,
    Synced,
    Stopped,
    Error,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Idle => "idle",
            Mode::Syncing => "syncing",
            Mode::Synced => "synced",
            Mode::Stopped => "stopped",
            Mode::Error => "error",
        }
    }
}

fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(obj, &key.into(), &value.into());
}

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// The plain JS object of an anchor (see the `Anchor` typing).
fn anchor_js(a: &AnchorRecord) -> JsValue {
    let o = Object::new();
    set(&o, "network", a.network.as_str());
    set(&o, "blockRoot", hex0x(&a.block_root));
    set(&o, "stateRoot", hex0x(&a.state_root));
    set(&o, "slot", a.slot.to_string());
    set(&o, "epoch", a.epoch.to_string());
    set(&o, "fork", a.fork.as_str());
    let trust = serde_json::to_value(a.trust)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    set(&o, "trust", trust);
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
    o.into()
}

fn ws_js(ws: &WsStatus) -> JsValue {
    let o = Object::new();
    set(&o, "periodEpochs", ws.period_epochs.to_string());
    set(&o, "expiresEpoch", ws.expires_epoch.to_string());
    set(&o, "currentEpoch", ws.current_epoch.to_string());
    set(&o, "stale", ws.stale);
    o.into()
}

/// The shared state of one `LightSync`; cloned (`Rc`) into every Promise.
pub(crate) struct Inner {
    /// The network.
    pub(crate) network: NetworkConfig,
    /// The IndexedDB store of that network.
    pub(crate) store: IdbStore,
    /// The parsed options (immutable after `create`).
    pub(crate) options: Options,
    listeners: RefCell<Vec<(String, Function)>>,
    mode: Cell<Mode>,
    anchor: RefCell<Option<AnchorRecord>>,
    stop_requested: Cell<bool>,
    running: Cell<bool>,
    /// Set by `pauseBackfill()`, cleared by `resumeBackfill()`: a running `backfill()` waits
    /// between batches while it is set.
    pub(crate) backfill_paused: Cell<bool>,
}

/// The sync hooks of a running `start()`: events to listeners, yields, abort.
struct JsHooks<'a>(&'a Inner);

impl Hooks for JsHooks<'_> {
    fn emit(&self, event: &SyncEvent) {
        match event {
            SyncEvent::Progress(p) => {
                let o = Object::new();
                set(&o, "phase", p.phase.as_str());
                set(&o, "done", p.done as f64);
                set(
                    &o,
                    "total",
                    p.total
                        .map(|t| JsValue::from(t as f64))
                        .unwrap_or(JsValue::NULL),
                );
                set(&o, "bytes", p.bytes as f64);
                set(
                    &o,
                    "rate",
                    p.rate.map(JsValue::from).unwrap_or(JsValue::NULL),
                );
                set(
                    &o,
                    "provider",
                    p.provider
                        .as_deref()
                        .map(JsValue::from)
                        .unwrap_or(JsValue::NULL),
                );
                self.0.emit("progress", &o.into());
            }
            SyncEvent::Warning { code, message } => self.0.warn(code, message),
        }
    }

    async fn pause(&self) {
        yield_to_event_loop().await;
    }

    fn aborted(&self) -> bool {
        self.0.stop_requested.get() || self.0.options.signal.as_ref().is_some_and(|s| s.aborted())
    }

    fn now_ms(&self) -> Option<f64> {
        Some(js_sys::Date::now())
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
    }

    fn warn(&self, code: &str, message: &str) {
        let o = Object::new();
        set(&o, "code", code);
        set(&o, "message", message);
        self.emit("warning", &o.into());
    }

    /// Sets the mode and emits a `status` event (`error` adds `{ code, message }`).
    pub(crate) fn set_mode_with(&self, mode: Mode, error: Option<&JsValue>) {
        self.mode.set(mode);
        let o = Object::new();
        set(&o, "mode", mode.as_str());
        let anchor = self.anchor.borrow().as_ref().map(anchor_js);
        set(&o, "anchor", anchor.unwrap_or(JsValue::NULL));
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
        self.anchor.borrow().clone()
    }

    /// One Beacon API client per URL, sharing the options' timeout and abort signal.
    pub(crate) fn providers(&self) -> Vec<HttpBeaconApi<FetchTransport>> {
        self.options
            .urls
            .iter()
            .map(|u| {
                let mut t = FetchTransport::default().with_signal(self.options.signal.clone());
                if let Some(ms) = self.options.timeout_ms {
                    t = t.with_timeout_ms(ms);
                }
                HttpBeaconApi::new(u, t)
            })
            .collect()
    }

    fn clock(&self) -> JsClock {
        JsClock(self.options.now)
    }

    async fn start(self: Rc<Self>) -> Result<JsValue, JsValue> {
        if self.running.replace(true) {
            return Err(js_error(
                "ALREADY_RUNNING",
                "start: expected no sync in progress, got one running",
                None,
            ));
        }
        self.stop_requested.set(false);
        let result = self.run_start().await;
        self.running.set(false);
        match &result {
            Ok(_) => self.set_mode_with(Mode::Synced, None),
            Err(e) => {
                let aborted = Reflect::get(e, &"code".into())
                    .ok()
                    .and_then(|c| c.as_string())
                    .is_some_and(|c| c == "ABORTED");
                if aborted && self.stop_requested.get() {
                    self.set_mode_with(Mode::Stopped, None)
                } else {
                    self.set_mode_with(Mode::Error, Some(e))
                }
            }
        }
        result
    }

    async fn run_start(&self) -> Result<JsValue, JsValue> {
        self.set_mode_with(Mode::Syncing, None);
        for (code, message) in &self.options.warnings {
            self.warn(code, message);
        }
        let clock = self.clock();
        let Some(source) = &self.options.source else {
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
            return longrange::resume(self, anchor).await;
        };
        let providers = self.providers();
        let hooks = JsHooks(self);
        let sync = CheckpointSync {
            network: &self.network,
            providers: &providers,
            store: &self.store,
            clock: &clock,
            hooks: &hooks,
            options: CheckpointOptions {
                long_range: self.options.long_range,
                quorum: self.options.quorum,
            },
        };
        let verified = sync
            .run(source)
            .await
            .map_err(|e| error::from_checkpoint(&e))?;
        *self.anchor.borrow_mut() = Some(verified.anchor.clone());
        Ok(anchor_js(&verified.anchor))
    }
}

/// A checkpoint-synced, persistent view of one network's beacon chain.
#[wasm_bindgen]
pub struct LightSync {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl LightSync {
    /// Reads the options, resolves the network (fetching the genesis validators root from the
    /// first provider when a config object lacks it), and opens the network's IndexedDB
    /// database, loading its active anchor. Rejects with a `LightSyncError`.
    pub async fn create(
        #[wasm_bindgen(unchecked_param_type = "LightSyncOptions")] options: JsValue,
    ) -> Result<LightSync, JsValue> {
        let mut opts = options::parse(&options)?;
        let network = match &opts.network {
            NetworkOption::Name(name) => NetworkConfig::by_name(name)
                .map_err(|e| js_error("CONFIG", &e.to_string(), None))?,
            NetworkOption::Config(map) => {
                let mut gvr = None;
                if !map.contains_key("GENESIS_VALIDATORS_ROOT") {
                    let url = opts.urls.first().ok_or_else(|| {
                        js_error(
                            "CONFIG",
                            "network: expected GENESIS_VALIDATORS_ROOT in the config object (or a beaconApiUrl to read it from), got neither",
                            None,
                        )
                    })?;
                    let api = HttpBeaconApi::new(url, FetchTransport::default());
                    let g = api
                        .genesis()
                        .await
                        .map_err(|e| error::from_checkpoint(&e.into()))?;
                    opts.warnings.push((
                        "CONFIG_GVR_FROM_PROVIDER",
                        format!(
                            "the network config has no GENESIS_VALIDATORS_ROOT; using {url}'s {}",
                            hex0x(&g.genesis_validators_root)
                        ),
                    ));
                    gvr = Some(g.genesis_validators_root);
                }
                network_from_spec(map, gvr).map_err(|e| js_error("CONFIG", &e.to_string(), None))?
            }
        };
        let store = IdbStore::open(&network.name, network.genesis_validators_root.0)
            .await
            .map_err(|e| error::from_store(&e))?;
        let anchor = store
            .active_anchor()
            .await
            .map_err(|e| error::from_store(&e))?;
        Ok(LightSync {
            inner: Rc::new(Inner {
                network,
                store,
                options: opts,
                listeners: RefCell::new(Vec::new()),
                mode: Cell::new(Mode::Idle),
                anchor: RefCell::new(anchor),
                stop_requested: Cell::new(false),
                running: Cell::new(false),
                backfill_paused: Cell::new(false),
            }),
        })
    }

    /// Runs the checkpoint flow of the options (or, without a trust source, resumes from the
    /// stored active anchor) and resolves with the verified, stored anchor.
    #[wasm_bindgen(unchecked_return_type = "Promise<Anchor>")]
    pub fn start(&self) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(inner.start())
    }

    /// Asks a running `start()` to stop at its next check; it then rejects with `ABORTED` and
    /// nothing is stored.
    pub fn stop(&self) {
        self.inner.stop_requested.set(true);
        if !self.inner.running.get() {
            self.inner.set_mode_with(Mode::Stopped, None);
        }
    }

    /// A snapshot: mode, the anchor in use, and its weak-subjectivity standing now.
    #[wasm_bindgen(unchecked_return_type = "Status")]
    pub fn status(&self) -> JsValue {
        let o = Object::new();
        set(&o, "mode", self.inner.mode.get().as_str());
        let anchor = self.inner.active_anchor();
        set(
            &o,
            "anchor",
            anchor.as_ref().map(anchor_js).unwrap_or(JsValue::NULL),
        );
        let ws = anchor
            .as_ref()
            .and_then(|a| ws_status(&self.inner.network, &self.inner.clock(), a).ok());
        set(&o, "ws", ws.as_ref().map(ws_js).unwrap_or(JsValue::NULL));
        o.into()
    }

    /// Every stored anchor of this network.
    #[wasm_bindgen(unchecked_return_type = "Promise<Anchor[]>")]
    pub fn anchors(&self) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let anchors = inner
                .store
                .anchors()
                .await
                .map_err(|e| error::from_store(&e))?;
            Ok(anchors.iter().map(anchor_js).collect::<Array>().into())
        })
    }

    /// Adds a listener for `event` (`progress`, `warning` or `status`).
    pub fn on(&self, event: EventName, callback: EventCallback) -> Result<(), JsValue> {
        let name = event_name(event)?;
        let f: Function = JsValue::from(callback)
            .dyn_into()
            .map_err(|_| error::invalid_options("on: expected a function"))?;
        self.inner.listeners.borrow_mut().push((name, f));
        Ok(())
    }

    /// Removes a listener added with `on`.
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

fn event_name(event: EventName) -> Result<String, JsValue> {
    let name = JsValue::from(event).as_string().unwrap_or_default();
    match name.as_str() {
        "progress" | "warning" | "status" => Ok(name),
        other => Err(error::invalid_options(format!(
            "event: expected \"progress\", \"warning\" or \"status\", got {other:?}"
        ))),
    }
}
