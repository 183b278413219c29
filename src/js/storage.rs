//! The store's standing in time and space, at the JS boundary: one writer per database (Web
//! Locks), the writer's events mirrored to the other instances (`BroadcastChannel`), the
//! origin's storage (`navigator.storage.persist()` / `estimate()`), and `verifyStore()`.
//!
//! Why a lock and not only the store's compare-and-set: two tabs backfilling one database would
//! fetch and verify the same slots twice and one of them would lose every batch. The Web Locks
//! API gives one holder per origin and name, across tabs and workers, and releases the lock
//! when its holder's page closes, so a second instance learns at once that another writes
//! (`BUSY`, with the operation that holds it) or queues behind it (`lock: "wait"`). Readers
//! (`status()`, `anchors()`) never take it. The lock is the instance's while any of its writing
//! operations runs (`start`, `backfill`, `follow`, `reset`, a repairing `verifyStore`), so one
//! instance's own operations do not exclude each other.
//!
//! What the writer emits is posted on a `BroadcastChannel` named after the database; the other
//! instances re-emit it as their own events with `remote: true`, so a second tab shows the first
//! one's progress without touching IndexedDB.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::error::{from_store, invalid_options, js_error};
use super::hash::{JsHashPool, PoolHeaderHasher};
use super::{hex0x, nullable, promise, set, Call, Inner, LightSync};
use crate::store::verify::{
    check_anchor_record, repair_store, verify_store_reading, ChainReport, InThread,
    VERIFY_BATCH_SLOTS,
};
use crate::store::{storage_estimate, storage_manager, AnchorRecord, IdbStore, Store};
use crate::types::Preset;

/// What a second writer does when another instance holds the database: fail with `BUSY`
/// (the default) or wait until it is released.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockMode {
    Fail,
    Wait,
}

/// The writer lock, channel and storage standing of one instance.
pub(crate) struct Guard {
    mode: LockMode,
    /// The Web Locks name: the database's name.
    name: String,
    /// Writing operations of this instance in flight (the lock is held while above zero).
    writers: Cell<u32>,
    /// Resolves the promise the held lock's callback returned: calling it releases the lock.
    release: RefCell<Option<Function>>,
    channel: RefCell<Option<web_sys_channel::Channel>>,
    persisted: Cell<Option<bool>>,
    estimate: Cell<Option<(u64, u64)>>,
}

/// `BroadcastChannel` through `Reflect`, so no web-sys feature is needed for it.
mod web_sys_channel {
    use super::*;

    pub(crate) struct Channel {
        pub(crate) object: JsValue,
        pub(crate) _on_message: Closure<dyn FnMut(JsValue)>,
    }

    impl Channel {
        pub(crate) fn open(name: &str, on_message: Closure<dyn FnMut(JsValue)>) -> Option<Channel> {
            let ctor: Function = Reflect::get(&js_sys::global(), &"BroadcastChannel".into())
                .ok()?
                .dyn_into()
                .ok()?;
            let object = Reflect::construct(&ctor, &Array::of1(&name.into())).ok()?;
            Reflect::set(&object, &"onmessage".into(), on_message.as_ref()).ok()?;
            Some(Channel {
                object,
                _on_message: on_message,
            })
        }

        pub(crate) fn post(&self, message: &JsValue) {
            if let Ok(post) = Reflect::get(&self.object, &"postMessage".into())
                .and_then(|f| f.dyn_into::<Function>())
            {
                let _ = post.call1(&self.object, message);
            }
        }
    }

    impl Drop for Channel {
        fn drop(&mut self) {
            let _ = Reflect::set(&self.object, &"onmessage".into(), &JsValue::NULL);
            if let Ok(close) =
                Reflect::get(&self.object, &"close".into()).and_then(|f| f.dyn_into::<Function>())
            {
                let _ = close.call0(&self.object);
            }
        }
    }
}

/// The `lock` option of `LightSync.create()`: `"fail"` (default) or `"wait"`.
pub(crate) fn parse_lock(options: &JsValue) -> Result<LockMode, JsValue> {
    let value = Reflect::get(options, &"lock".into()).unwrap_or(JsValue::UNDEFINED);
    if value.is_undefined() || value.is_null() {
        return Ok(LockMode::Fail);
    }
    match value.as_string().as_deref() {
        Some("fail") => Ok(LockMode::Fail),
        Some("wait") => Ok(LockMode::Wait),
        _ => Err(invalid_options(format!(
            "lock: expected \"fail\" or \"wait\", got {value:?}"
        ))),
    }
}

impl Guard {
    pub(crate) fn new(database: String, mode: LockMode) -> Guard {
        Guard {
            mode,
            name: database,
            writers: Cell::new(0),
            release: RefCell::new(None),
            channel: RefCell::new(None),
            persisted: Cell::new(None),
            estimate: Cell::new(None),
        }
    }

    /// Whether this instance holds the writer lock now.
    pub(crate) fn is_writer(&self) -> bool {
        self.release.borrow().is_some()
    }

    /// Posts an event of this (writing) instance to the others.
    pub(crate) fn broadcast(&self, event: &str, payload: &JsValue) {
        if !self.is_writer() {
            return;
        }
        if let Some(channel) = self.channel.borrow().as_ref() {
            let message = Object::new();
            set(&message, "event", event);
            set(&message, "payload", payload.clone());
            channel.post(&message.into());
        }
    }

    /// The `storage` object of `status()`: `{ persisted, usage, quota }` as last read (`null`
    /// fields before the first read, or where the browser does not say).
    pub(crate) fn status_js(&self) -> JsValue {
        let o = Object::new();
        set(&o, "persisted", nullable(self.persisted.get()));
        let (usage, quota) = match self.estimate.get() {
            Some((u, q)) => (Some(u as f64), Some(q as f64)),
            None => (None, None),
        };
        set(&o, "usage", nullable(usage));
        set(&o, "quota", nullable(quota));
        set(&o, "writer", self.is_writer());
        o.into()
    }

    /// Reads `navigator.storage.persisted()` and `estimate()` into the `status()` snapshot.
    pub(crate) async fn refresh(&self) {
        if let Some(p) = call_storage_bool("persisted").await {
            self.persisted.set(Some(p));
        }
        if let Some(e) = storage_estimate().await {
            self.estimate.set(Some(e));
        }
    }

    /// Asks for persistent storage (once an anchor is stored, losing the database to eviction
    /// would cost a state download and a re-verification).
    async fn persist(&self) {
        if self.persisted.get() == Some(true) {
            return;
        }
        if let Some(p) = call_storage_bool("persist").await {
            self.persisted.set(Some(p));
        }
    }
}

/// `navigator.storage[method]()` resolved to a boolean.
async fn call_storage_bool(method: &str) -> Option<bool> {
    let storage = storage_manager()?;
    let promise: Promise = Reflect::get(&storage, &method.into())
        .ok()?
        .dyn_into::<Function>()
        .ok()?
        .call0(&storage)
        .ok()?
        .dyn_into()
        .ok()?;
    JsFuture::from(promise).await.ok()?.as_bool()
}

/// `navigator.locks`, if this global has the Web Locks API.
fn lock_manager() -> Option<JsValue> {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let locks = Reflect::get(&navigator, &"locks".into()).ok()?;
    (!locks.is_undefined() && !locks.is_null()).then_some(locks)
}

/// The name of the shared marker lock that says which operation the writer runs, read by a
/// refused instance through `navigator.locks.query()`.
fn marker_name(database: &str, operation: &str) -> String {
    format!("{database}#writer:{operation}")
}

/// Requests the lock `name` (`ifAvailable` unless `wait`, in `mode`); resolves with the function
/// that releases it, or `None` when it is held elsewhere and `wait` is false.
async fn request_lock(
    locks: &JsValue,
    name: &str,
    mode: &str,
    wait: bool,
) -> Result<Option<Function>, JsValue> {
    let mut release: Option<Function> = None;
    let held = Promise::new(&mut |resolve, _| release = Some(resolve));
    let release = release.expect("the executor runs at once");
    let granted_slot: Rc<RefCell<Option<Function>>> = Rc::new(RefCell::new(None));
    let granted = {
        let slot = granted_slot.clone();
        Promise::new(&mut |resolve, _| *slot.borrow_mut() = Some(resolve))
    };
    let on_grant = {
        let slot = granted_slot.clone();
        let held = held.clone();
        Closure::once_into_js(move |lock: JsValue| -> JsValue {
            let granted = !lock.is_null() && !lock.is_undefined();
            if let Some(resolve) = slot.borrow_mut().take() {
                let _ = resolve.call1(&JsValue::NULL, &granted.into());
            }
            if granted {
                held.into()
            } else {
                JsValue::UNDEFINED
            }
        })
    };
    let options = Object::new();
    set(&options, "mode", mode);
    if !wait {
        set(&options, "ifAvailable", true);
    }
    let request: Function = Reflect::get(locks, &"request".into())?.dyn_into()?;
    // The request's own promise settles when the lock is released; nothing waits on it.
    let _ = request.call3(locks, &name.into(), &options.into(), &on_grant)?;
    let granted = JsFuture::from(granted).await?.as_bool().unwrap_or(false);
    Ok(granted.then_some(release))
}

/// The operations the holder of `database`'s lock runs, from the marker locks it holds.
async fn holder_operations(locks: &JsValue, database: &str) -> Vec<String> {
    let prefix = marker_name(database, "");
    let query = Reflect::get(locks, &"query".into())
        .and_then(|f| f.dyn_into::<Function>())
        .and_then(|f| f.call0(locks))
        .and_then(|p| p.dyn_into::<Promise>());
    let Ok(query) = query else {
        return Vec::new();
    };
    let Ok(snapshot) = JsFuture::from(query).await else {
        return Vec::new();
    };
    let held = Reflect::get(&snapshot, &"held".into()).unwrap_or(JsValue::UNDEFINED);
    let mut out: Vec<String> = Array::from(&held)
        .iter()
        .filter_map(|l| Reflect::get(&l, &"name".into()).ok()?.as_string())
        .filter_map(|n| n.strip_prefix(&prefix).map(String::from))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Releases this instance's hold of the writer lock when its last writing operation ends.
struct Writing {
    inner: Rc<Inner>,
    marker: Option<Function>,
}

impl Drop for Writing {
    fn drop(&mut self) {
        if let Some(release) = self.marker.take() {
            let _ = release.call0(&JsValue::NULL);
        }
        let guard = &self.inner.guard;
        let left = guard.writers.get().saturating_sub(1);
        guard.writers.set(left);
        if left == 0 {
            if let Some(release) = guard.release.borrow_mut().take() {
                let _ = release.call0(&JsValue::NULL);
            }
        }
    }
}

/// Takes (or joins this instance's hold of) the database's writer lock for `operation`; `BUSY`
/// when another instance holds it and the instance's `lock` option is `"fail"`.
async fn begin_writing(inner: &Rc<Inner>, operation: &str) -> Result<Writing, JsValue> {
    let guard = &inner.guard;
    let Some(locks) = lock_manager() else {
        // No Web Locks (an old browser, an insecure context): the store's compare-and-set
        // still refuses a second writer's batch.
        guard.writers.set(guard.writers.get() + 1);
        return Ok(Writing {
            inner: inner.clone(),
            marker: None,
        });
    };
    if guard.writers.get() == 0 || !guard.is_writer() {
        match request_lock(
            &locks,
            &guard.name,
            "exclusive",
            guard.mode == LockMode::Wait,
        )
        .await?
        {
            Some(release) => {
                // Another operation of this instance may have taken it while this one waited.
                if let Some(previous) = guard.release.borrow_mut().replace(release) {
                    let _ = previous.call0(&JsValue::NULL);
                }
            }
            None => {
                let holders = holder_operations(&locks, &guard.name).await;
                let held_by = if holders.is_empty() {
                    "an unknown operation".to_string()
                } else {
                    holders.join(", ")
                };
                let error = js_error(
                    "BUSY",
                    &format!(
                        "{operation}: expected to be the only writer of {}, got another instance writing ({held_by}); retry when it ends, or create this instance with lock: \"wait\"",
                        guard.name
                    ),
                    Some(("no other writer".into(), held_by.clone())),
                );
                let _ = Reflect::set(&error, &"operation".into(), &held_by.into());
                return Err(error);
            }
        }
    }
    guard.writers.set(guard.writers.get() + 1);
    let marker = request_lock(
        &locks,
        &marker_name(&guard.name, operation),
        "shared",
        false,
    )
    .await
    .ok()
    .flatten();
    Ok(Writing {
        inner: inner.clone(),
        marker,
    })
}

/// Runs a writing operation of `inner` under the database's writer lock (see the module docs),
/// then asks for persistent storage once an anchor is stored and refreshes the storage standing.
pub(crate) fn writing(inner: Rc<Inner>, operation: &'static str, run: Call) -> Promise {
    promise(Box::pin(async move {
        let hold = begin_writing(&inner, operation).await?;
        let result = run.await;
        drop(hold);
        if inner.active_anchor().is_some() {
            inner.guard.persist().await;
        }
        inner.guard.refresh().await;
        result
    }))
}

/// Listens on the database's channel: what the writing instance emits is re-emitted here with
/// `remote: true` (while this instance is not the writer itself).
pub(crate) fn attach(inner: &Rc<Inner>) {
    let weak: Weak<Inner> = Rc::downgrade(inner);
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |message: JsValue| {
        let Some(inner) = weak.upgrade() else {
            return;
        };
        if inner.guard.is_writer() {
            return;
        }
        let data = Reflect::get(&message, &"data".into()).unwrap_or(JsValue::UNDEFINED);
        let Some(event) = Reflect::get(&data, &"event".into())
            .ok()
            .and_then(|e| e.as_string())
        else {
            return;
        };
        let payload = Reflect::get(&data, &"payload".into()).unwrap_or(JsValue::UNDEFINED);
        if payload.is_object() {
            let _ = Reflect::set(&payload, &"remote".into(), &true.into());
        }
        inner.emit(&event, &payload);
    });
    let name = inner.guard.name.clone();
    *inner.guard.channel.borrow_mut() = web_sys_channel::Channel::open(&name, on_message);
}

/// The checks on open (see [`check_anchor_record`]) with the network's preset constants.
pub(crate) async fn check_on_open<S: Store>(
    store: &S,
    network: &crate::config::NetworkConfig,
) -> Result<Option<AnchorRecord>, JsValue> {
    let committee = match network.preset {
        crate::types::PresetName::Mainnet => crate::types::Mainnet::SYNC_COMMITTEE_SIZE,
        crate::types::PresetName::Minimal => crate::types::Minimal::SYNC_COMMITTEE_SIZE,
    };
    check_anchor_record(store, network.slots_per_epoch(), committee as usize)
        .await
        .map_err(|e| from_store(&e))
}

/// The JS object of a chain report.
fn report_js(report: &ChainReport, in_workers: u64, repaired: Option<JsValue>, ms: f64) -> JsValue {
    let o = Object::new();
    set(&o, "ok", report.first_broken.is_none());
    set(&o, "checked", report.checked as f64);
    set(&o, "hashedInWorkers", in_workers as f64);
    let broken = report.first_broken.map(|b| {
        let x = Object::new();
        set(&x, "slot", b.slot.to_string());
        set(&x, "expected", hex0x(b.expected));
        set(&x, "actual", nullable(b.actual.map(hex0x)));
        set(&x, "kind", b.kind.as_str());
        x
    });
    set(&o, "firstBroken", nullable(broken));
    set(&o, "repaired", nullable(repaired));
    set(&o, "ms", ms);
    o.into()
}

/// Whether the page hashes runs of headers beside the workers in `verifyStore()` (see
/// [`PoolHeaderHasher`]).
const PAGE_HASHES_TOO: bool = true;

/// The whole-chain walk of `verifyStore()` over `store`'s packs as stored
/// ([`IdbStore::stored_range`]): the headers re-hashed by `workers` hash workers (the
/// `hashWorkers` option) started for this walk and stopped after it, the page hashing its share
/// too when `page`; on the page alone when `workers` is 0 or no worker can start (with a
/// `HASH_WORKERS_FAILED` warning through `warn`). Also returns how many headers the workers
/// hashed.
pub(super) async fn walk_store(
    store: &IdbStore,
    workers: usize,
    page: bool,
    warn: impl FnOnce(String),
) -> Result<(ChainReport, u64), crate::store::StoreError> {
    let read = |lo: u64, hi: u64| store.stored_range(lo, hi);
    let pool = match workers {
        0 => None,
        w => match JsHashPool::start(w) {
            Ok(pool) => Some(pool),
            Err(reason) => {
                warn(format!(
                    "no hash workers ({reason}); the stored headers are hashed on the main thread"
                ));
                None
            }
        },
    };
    let Some(pool) = pool else {
        let report = verify_store_reading(store, VERIFY_BATCH_SLOTS, &InThread, read).await?;
        return Ok((report, 0));
    };
    let hasher = PoolHeaderHasher::new(&pool, page);
    let report = verify_store_reading(store, VERIFY_BATCH_SLOTS, &hasher, read).await?;
    Ok((report, hasher.hashed_in_workers()))
}

async fn verify(inner: Rc<Inner>, repair: bool) -> Result<JsValue, JsValue> {
    let started = js_sys::Date::now();
    let warn = |m: String| inner.warn("HASH_WORKERS_FAILED", m);
    let (report, in_workers) = walk_store(
        &inner.store.idb(),
        inner.options.hash_workers,
        PAGE_HASHES_TOO,
        warn,
    )
    .await
    .map_err(|e| from_store(&e))?;
    let ms = js_sys::Date::now() - started;
    let Some(broken) = report.first_broken.filter(|_| repair) else {
        return Ok(report_js(&report, in_workers, None, ms));
    };
    let cursor = repair_store(&inner.store, &broken)
        .await
        .map_err(|e| from_store(&e))?;
    let r = Object::new();
    let (message, slot) = match cursor {
        Some(c) => (
            format!(
                "stored header chain broken at slot {} (expected {}, got {}): headers from there down to the cursor were dropped; backfill fetches them again from slot {}",
                broken.slot,
                hex0x(broken.expected),
                broken.actual.map_or("no record".into(), hex0x),
                c.oldest_slot
            ),
            Some(c.oldest_slot.to_string()),
        ),
        None => (
            format!(
                "stored header chain broken at slot {} (expected {}, got {}) at or above the anchor's block: the backfill and followed head were reset",
                broken.slot,
                hex0x(broken.expected),
                broken.actual.map_or("no record".into(), hex0x)
            ),
            None,
        ),
    };
    set(&r, "oldestSlot", nullable(slot));
    set(&r, "reset", cursor.is_none());
    inner.warn("STORE_REPAIRED", message);
    if cursor.is_none() {
        // The followed head went with the headers it hung from.
        inner.session.forget_head();
    }
    Ok(report_js(&report, in_workers, Some(r.into()), ms))
}

#[wasm_bindgen]
impl LightSync {
    /// Re-walks the stored header chain of the active anchor (re-hashing every header, checking
    /// each parent link from the head through the anchor's block down to the backfill cursor) and
    /// resolves with `{ ok, checked, firstBroken, repaired, ms }`. A broken chain is repaired
    /// unless `{ repair: false }`: the damaged range is dropped (a `STORE_REPAIRED` warning) so
    /// backfill fetches it again. Repairing writes, so it takes the writer lock.
    #[wasm_bindgen(js_name = verifyStore, unchecked_return_type = "Promise<StoreReport>")]
    pub fn verify_store(
        &self,
        #[wasm_bindgen(unchecked_param_type = "VerifyStoreOptions | undefined")] options: JsValue,
    ) -> Promise {
        let repair = options.is_object()
            && Reflect::get(&options, &"repair".into())
                .ok()
                .and_then(|v| v.as_bool())
                == Some(false);
        let repair = !repair;
        let inner = self.inner.clone();
        if repair {
            writing(inner.clone(), "verifyStore", Box::pin(verify(inner, true)))
        } else {
            promise(Box::pin(verify(inner, false)))
        }
    }
}
