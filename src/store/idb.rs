//! The IndexedDB [`Store`] (wasm only): the browser's persistent, transactional storage.
//!
//! Layout (schema 5): object stores `anchors` (key: block root as a binary key), `header_packs`
//! (key: `slot / PACK_SLOTS` as a number, value: the pack's bytes, see [`super::pack`]), `meta`
//! (string keys `schema_version`, `identity`, `active_anchor`, `backfill_cursor`,
//! `header_count`), `states` (created by schema 1 and never written: a kept state lives in
//! `state_chunks`), `anchor_roots` (key: the anchor's block root as a binary key; since schema 2) and `head` (one
//! record under the key `"tip"`: the followed head; since schema 3). Schemas 1 to 3 kept one
//! record per header in `headers` (key: slot); schema 4 moves them into packs. Schema 5 adds
//! `state_chunks` (key: `id * 2^20 + index` as a number, value: up to 1 MiB of a kept state's
//! SSZ) and the `meta` key `kept_state` naming the id whose chunks are the kept state.
//! The IndexedDB database version is the schema version, so the browser itself refuses to open
//! a newer database at our version (a `VersionError`), before anything is read or written.
//!
//! Every logical write is one IndexedDB transaction. Requests inside it are not awaited one by
//! one; the transaction's `complete` or `abort` event is the only outcome that counts, so a
//! failing request (or a closed tab) aborts the whole write.

mod read;

use std::cell::RefCell;
use std::future::IntoFuture;
use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use idb::{Database, Factory, KeyRange, ObjectStoreParams, Query, Request, TransactionMode};

use super::pack::{
    check_pack_len, decode_pack, encode_pack, group_by_pack, headers_in, merge_pack, pack_index,
};
use super::records::{bytes32, ByteSlice};
use super::verify::StoredRange;
use super::{
    check_continues, check_head_base, check_head_chain, check_network, check_rebuilt, check_slot,
    check_state_chunk, check_truncate, database_name, new_headers, state_chunk_key, validate_batch,
    validate_roots, AnchorRecord, AnchorRootsRecord, BackfillCursor, HeadRecord, HeaderRecord,
    KeptStateRecord, MetaRecord, RebuiltBackfill, Root, Store, StoreDump, StoreError,
    SCHEMA_VERSION, STATE_CHUNK_LAST,
};
use read::{field, object, Bad, FromJs};

const ANCHORS: &str = "anchors";
/// The one-record-per-header store of schemas 1 to 3, migrated into `header_packs`.
const HEADERS: &str = "headers";
const HEADER_PACKS: &str = "header_packs";
const META: &str = "meta";
const STATES: &str = "states";
const ANCHOR_ROOTS: &str = "anchor_roots";
const HEAD: &str = "head";
const STATE_CHUNKS: &str = "state_chunks";

const KEY_TIP: &str = "tip";

const KEY_SCHEMA: &str = "schema_version";
const KEY_IDENTITY: &str = "identity";
const KEY_ACTIVE: &str = "active_anchor";
const KEY_CURSOR: &str = "backfill_cursor";
/// The kept state's record ([`KeptStateRecord`]; since schema 5).
const KEY_KEPT_STATE: &str = "kept_state";
/// How many headers the packs hold, kept in the transaction of every write that changes it, so
/// `status()` can report it without reading the packs.
const KEY_COUNT: &str = "header_count";

/// Which network a database belongs to, written once when it is created.
#[derive(Serialize)]
struct Identity {
    network: String,
    #[serde(with = "bytes32")]
    genesis_validators_root: Root,
}

impl FromJs for Identity {
    fn from_js(value: &JsValue) -> Result<Self, Bad> {
        let value = object(value)?;
        Ok(Identity {
            network: field(value, "network")?,
            genesis_validators_root: field(value, "genesis_validators_root")?,
        })
    }
}

/// A [`Store`] in the browser's IndexedDB, one database per network.
pub struct IdbStore {
    network: String,
    genesis_validators_root: Root,
    name: String,
    db: web_sys::IdbDatabase,
    // Closes this connection when another one (another tab, or a delete) needs a version change,
    // so that it is never blocked by a page that merely has the database open.
    _on_version_change: Closure<dyn FnMut(web_sys::Event)>,
}

impl std::fmt::Debug for IdbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdbStore")
            .field("network", &self.network)
            .field("name", &self.name)
            .finish()
    }
}

fn backend(operation: &'static str) -> impl Fn(idb::Error) -> StoreError {
    move |error| match dom_name(&error).as_deref() {
        Some(QUOTA_EXCEEDED) => StoreError::QuotaExceeded {
            operation,
            needed: None,
            usage: None,
            quota: None,
        },
        _ => StoreError::Backend {
            operation,
            message: describe(&error),
        },
    }
}

fn describe(error: &idb::Error) -> String {
    match error {
        idb::Error::DomException(e) => format!("{}: {}", e.name(), e.message()),
        other => other.to_string(),
    }
}

fn dom_name(error: &idb::Error) -> Option<String> {
    match error {
        idb::Error::DomException(e) => Some(e.name()),
        _ => None,
    }
}

fn to_js<T: Serialize + ?Sized>(value: &T, operation: &'static str) -> Result<JsValue, StoreError> {
    let serializer =
        serde_wasm_bindgen::Serializer::new().serialize_large_number_types_as_bigints(true);
    value
        .serialize(&serializer)
        .map_err(|e| StoreError::Backend {
            operation,
            message: format!("encoding the record: {e}"),
        })
}

/// A record of `store` read back (see [`read`]); a value of the wrong shape is
/// [`StoreError::CorruptRecord`] naming the field.
fn from_js<T: FromJs>(value: JsValue, store: &'static str) -> Result<T, StoreError> {
    T::from_js(&value).map_err(|e| corrupt(store, e))
}

/// The value of the `meta` key `key` read back, as [`from_js`] with the key as the outermost
/// field name (`backfill_cursor.oldest_slot: …`).
fn meta_from_js<T: FromJs>(value: JsValue, key: &'static str) -> Result<T, StoreError> {
    T::from_js(&value).map_err(|e| corrupt(META, e.within(key)))
}

fn corrupt(store: &'static str, bad: Bad) -> StoreError {
    StoreError::CorruptRecord {
        store,
        reason: bad.to_string(),
    }
}

fn root_key(root: &Root) -> JsValue {
    js_sys::Uint8Array::from(&root[..]).into()
}

/// Resolves when the transaction commits; an abort (a failed request, an explicit abort, the page
/// closing) becomes the transaction's error. Must be called before yielding to the event loop
/// after the last request is issued, which `finish(tx, ..).await` does.
async fn finish(tx: web_sys::IdbTransaction, operation: &'static str) -> Result<(), StoreError> {
    finish_sized(tx, operation, None).await
}

/// [`finish`] for a write of about `needed` bytes: an abort because the origin's quota is full
/// (`QuotaExceededError`, which IndexedDB reports as the aborted transaction's error) becomes
/// [`StoreError::QuotaExceeded`] with that size and the storage estimate.
async fn finish_sized(
    tx: web_sys::IdbTransaction,
    operation: &'static str,
    needed: Option<u64>,
) -> Result<(), StoreError> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        tx.set_oncomplete(Some(&resolve));
        tx.set_onabort(Some(&reject));
    });
    let outcome = JsFuture::from(promise).await;
    tx.set_oncomplete(None);
    tx.set_onabort(None);
    if outcome.is_ok() {
        return Ok(());
    }
    match tx.error() {
        Some(e) if e.name() == QUOTA_EXCEEDED => Err(quota_exceeded(operation, needed).await),
        Some(e) => Err(StoreError::Backend {
            operation,
            message: format!("transaction aborted: {}: {}", e.name(), e.message()),
        }),
        None => Err(StoreError::Backend {
            operation,
            message: "transaction aborted".to_string(),
        }),
    }
}

/// The `DOMException` name of a full origin quota.
const QUOTA_EXCEEDED: &str = "QuotaExceededError";

/// `navigator.storage.estimate()` as `(usage, quota)` in bytes, where the browser offers it
/// (windows and workers of a secure context).
pub async fn storage_estimate() -> Option<(u64, u64)> {
    let storage = storage_manager()?;
    let estimate = js_sys::Reflect::get(&storage, &"estimate".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?
        .call0(&storage)
        .ok()?
        .dyn_into::<js_sys::Promise>()
        .ok()?;
    let estimate = JsFuture::from(estimate).await.ok()?;
    let field = |name: &str| {
        js_sys::Reflect::get(&estimate, &name.into())
            .ok()
            .and_then(|v| v.as_f64())
            .map(|v| v.max(0.0) as u64)
    };
    Some((field("usage")?, field("quota")?))
}

/// `navigator.storage` (a `StorageManager`), if this global has one.
pub fn storage_manager() -> Option<JsValue> {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let storage = js_sys::Reflect::get(&navigator, &"storage".into()).ok()?;
    (!storage.is_undefined() && !storage.is_null()).then_some(storage)
}

async fn quota_exceeded(operation: &'static str, needed: Option<u64>) -> StoreError {
    let estimate = storage_estimate().await;
    StoreError::QuotaExceeded {
        operation,
        needed,
        usage: estimate.map(|e| e.0),
        quota: estimate.map(|e| e.1),
    }
}

/// Reads the stored backfill cursor inside a transaction that includes `meta`.
async fn read_cursor(
    meta: &idb::ObjectStore,
    operation: &'static str,
) -> Result<Option<BackfillCursor>, StoreError> {
    meta.get(Query::Key(JsValue::from_str(KEY_CURSOR)))
        .map_err(backend(operation))?
        .await
        .map_err(backend(operation))?
        .map(|v| meta_from_js(v, KEY_CURSOR))
        .transpose()
}

/// Reads the stored header count inside a transaction that includes `meta` (issued now).
fn read_count(
    meta: &idb::ObjectStore,
    operation: &'static str,
) -> Result<impl std::future::Future<Output = Result<u64, StoreError>>, StoreError> {
    let request = meta
        .get(Query::Key(JsValue::from_str(KEY_COUNT)))
        .map_err(backend(operation))?
        .into_future();
    Ok(async move {
        match request.await.map_err(backend(operation))? {
            None => Ok(0),
            Some(v) => v
                .as_f64()
                .filter(|n| *n >= 0.0 && n.fract() == 0.0)
                .map(|n| n as u64)
                .ok_or_else(|| StoreError::CorruptRecord {
                    store: META,
                    reason: format!("header_count: expected a whole number, got {v:?}"),
                }),
        }
    })
}

fn put_count(meta: &idb::ObjectStore, count: u64) -> Result<(), idb::Error> {
    meta.put(
        &JsValue::from_f64(count as f64),
        Some(&JsValue::from_str(KEY_COUNT)),
    )?;
    Ok(())
}

/// The key of a kept-state chunk: [`state_chunk_key`] as a JS number (exact: below 2^52).
fn chunk_key(id: u32, index: u32) -> JsValue {
    JsValue::from_f64(state_chunk_key(id, index) as f64)
}

fn pack_key(index: u64) -> JsValue {
    JsValue::from_f64(index as f64)
}

/// Decoded packs: `(index, headers ascending)`.
type Packs = Vec<(u64, Vec<HeaderRecord>)>;

/// The packs with indices `lo..=hi` of `store`, as `(index, headers)` ascending by index. The
/// requests are issued now (so they belong to the caller's transaction) and decoded when the
/// returned future is awaited.
fn read_packs(
    store: &idb::ObjectStore,
    lo: u64,
    hi: u64,
    operation: &'static str,
) -> Result<impl std::future::Future<Output = Result<Packs, StoreError>>, StoreError> {
    let records = request_packs(store, lo, hi, operation)?;
    Ok(async move {
        let (keys, values) = records.await?;
        keys.into_iter()
            .zip(values)
            .map(|(key, value)| decode_pack_record(key, value))
            .collect()
    })
}

/// Raw pack records as read: their keys and values, in the same order.
type PackRecords = (Vec<JsValue>, Vec<JsValue>);

/// The keys and values of the packs with indices `lo..=hi` of `store`, ascending by index, as
/// read (see [`read_packs`]).
fn request_packs(
    store: &idb::ObjectStore,
    lo: u64,
    hi: u64,
    operation: &'static str,
) -> Result<impl std::future::Future<Output = Result<PackRecords, StoreError>>, StoreError> {
    let range = || {
        KeyRange::bound(&pack_key(lo), &pack_key(hi), Some(false), Some(false))
            .map_err(backend(operation))
    };
    let keys = store
        .get_all_keys(Some(Query::KeyRange(range()?)), None)
        .map_err(backend(operation))?
        .into_future();
    let values = store
        .get_all(Some(Query::KeyRange(range()?)), None)
        .map_err(backend(operation))?
        .into_future();
    Ok(async move {
        let keys = keys.await.map_err(backend(operation))?;
        let values = values.await.map_err(backend(operation))?;
        Ok((keys, values))
    })
}

/// One `header_packs` record: its key (a pack index) and its bytes.
fn decode_pack_record(
    key: JsValue,
    value: JsValue,
) -> Result<(u64, Vec<HeaderRecord>), StoreError> {
    let (index, bytes) = pack_record_view(key, value)?;
    let headers = decode_pack(index, &bytes.to_vec()).map_err(corrupt_pack)?;
    Ok((index, headers))
}

fn corrupt_pack(reason: String) -> StoreError {
    StoreError::CorruptRecord {
        store: HEADER_PACKS,
        reason,
    }
}

/// One `header_packs` record as read, not decoded: its key (a pack index) and a view of its
/// bytes, refused as [`decode_pack_record`] refuses it.
fn pack_record_view(key: JsValue, value: JsValue) -> Result<(u64, js_sys::Uint8Array), StoreError> {
    let index = key
        .as_f64()
        .filter(|n| *n >= 0.0 && n.fract() == 0.0)
        .ok_or_else(|| corrupt_pack(format!("expected a pack index as key, got {key:?}")))?
        as u64;
    Ok((index, record_view(value, HEADER_PACKS)?))
}

/// The slot → root of every header in `packs`.
fn stored_roots(packs: &[(u64, Vec<HeaderRecord>)]) -> std::collections::HashMap<u64, Root> {
    packs
        .iter()
        .flat_map(|(_, hs)| hs.iter().map(|h| (h.slot, h.root)))
        .collect()
}

/// Writes `new` (headers none of which is stored) into their packs inside the caller's
/// transaction: each touched pack is `stored`'s copy of it (read in the same transaction) with
/// the new headers merged in, put back whole. Returns the bytes put (the `needed` of a
/// [`StoreError::QuotaExceeded`]).
fn put_packs(
    store: &idb::ObjectStore,
    stored: &[(u64, Vec<HeaderRecord>)],
    new: &[&HeaderRecord],
) -> Result<u64, idb::Error> {
    let mut written = 0u64;
    let mut groups: std::collections::BTreeMap<u64, Vec<&HeaderRecord>> = Default::default();
    for h in new {
        groups.entry(pack_index(h.slot)).or_default().push(h);
    }
    for (index, group) in groups {
        let before = stored
            .iter()
            .find(|(i, _)| *i == index)
            .map_or(&[][..], |(_, hs)| &hs[..]);
        let bytes = encode_pack(&merge_pack(before, &group));
        store.put(
            &js_sys::Uint8Array::from(&bytes[..]).into(),
            Some(&pack_key(index)),
        )?;
        written += bytes.len() as u64;
    }
    Ok(written)
}

/// Issues the requests that discard the backfill (every header, the cursor, the head) inside
/// `tx`, which must include `header_packs`, `meta` and `head`.
fn clear_backfill(tx: &idb::Transaction, operation: &'static str) -> Result<(), StoreError> {
    tx.object_store(HEADER_PACKS)
        .map_err(backend(operation))?
        .clear()
        .map_err(backend(operation))?;
    let meta = tx.object_store(META).map_err(backend(operation))?;
    meta.delete(Query::Key(JsValue::from_str(KEY_CURSOR)))
        .map_err(backend(operation))?;
    put_count(&meta, 0).map_err(backend(operation))?;
    tx.object_store(HEAD)
        .map_err(backend(operation))?
        .clear()
        .map_err(backend(operation))?;
    Ok(())
}

/// Creates or upgrades the schema inside the `upgradeneeded` version-change transaction.
/// Each step moves the database from one schema version to the next, inside that one
/// transaction: a failure (reported into `failed`, for steps that finish asynchronously) or a
/// closed tab aborts it, and the database stays at its old version with every record as it was.
fn migrate(
    event: &idb::event::VersionChangeEvent,
    identity: &Identity,
    failed: Rc<RefCell<Option<String>>>,
) -> Result<(), String> {
    use idb::event::{DatabaseEvent, Event};
    let old = event.old_version().map_err(|e| describe(&e))?;
    let db = event.database().map_err(|e| describe(&e))?;
    let tx = event
        .target()
        .map_err(|e| describe(&e))?
        .transaction()
        .ok_or("no version-change transaction")?;
    if old < 1 {
        for name in [ANCHORS, HEADERS, META, STATES] {
            db.create_object_store(name, ObjectStoreParams::new())
                .map_err(|e| describe(&e))?;
        }
        let meta = tx.object_store(META).map_err(|e| describe(&e))?;
        let value = to_js(identity, "migrate").map_err(|e| e.to_string())?;
        meta.put(&value, Some(&JsValue::from_str(KEY_IDENTITY)))
            .map_err(|e| describe(&e))?;
    }
    // Stores added by later schemas, each created empty, every existing record kept.
    // Schema 2: the roots of each anchor's verified state (anchors stored under schema 1 have
    // none, their states are gone; backfill walks their chain by hash alone). Schema 3: the
    // followed head (following resumes from the active anchor's block). Schema 5: kept-state
    // chunks (option `keepState`), created before the schema-4 step, which takes the database.
    for (schema, name) in [(2, ANCHOR_ROOTS), (3, HEAD), (5, STATE_CHUNKS)] {
        if old < schema {
            db.create_object_store(name, ObjectStoreParams::new())
                .map_err(|e| describe(&e))?;
        }
    }
    if old < 4 {
        // Schema 4: headers in packs (see `super::pack`). Every per-header record moves into
        // its pack, then `headers` is deleted.
        db.create_object_store(HEADER_PACKS, ObjectStoreParams::new())
            .map_err(|e| describe(&e))?;
        let raw_db: web_sys::IdbDatabase = db.into();
        let raw_tx: web_sys::IdbTransaction = tx.into();
        migrate_headers(raw_db, raw_tx.clone(), failed)?;
        let tx = idb::Transaction::from(raw_tx);
        return put_schema_version(&tx);
    }
    // Later schema versions add their steps above the schema-4 step.
    put_schema_version(&tx)
}

fn put_schema_version(tx: &idb::Transaction) -> Result<(), String> {
    let meta = tx.object_store(META).map_err(|e| describe(&e))?;
    meta.put(
        &JsValue::from_f64(f64::from(SCHEMA_VERSION)),
        Some(&JsValue::from_str(KEY_SCHEMA)),
    )
    .map_err(|e| describe(&e))?;
    Ok(())
}

/// Per-header records moved per step of the schema-4 migration (a bounded amount in memory).
const MIGRATE_CHUNK: u32 = 65_536;

/// Starts moving the per-header records of `headers` into `header_packs`, in slot order, a
/// chunk at a time, inside the version-change transaction `tx` (whose first request is issued
/// before returning, so the transaction stays alive until the move ends). A record that does not
/// decode as a header of its own slot is damaged and is not moved: the chain walk of
/// `verifyStore()` then reports the gap, and the repair fetches that range again.
fn migrate_headers(
    db: web_sys::IdbDatabase,
    tx: web_sys::IdbTransaction,
    failed: Rc<RefCell<Option<String>>>,
) -> Result<(), String> {
    let chunk = read_chunk(&tx, None).map_err(|e| describe(&e))?;
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(reason) = move_headers(&db, &tx, chunk).await {
            *failed.borrow_mut() = Some(reason);
            let _ = tx.abort();
        }
    });
    Ok(())
}

type Chunk = (
    idb::request::futures::GetAllKeysStoreRequestFuture,
    idb::request::futures::GetAllStoreRequestFuture,
);

/// Issues the reads of the next chunk of `headers`: keys above `after` (all without one).
fn read_chunk(tx: &web_sys::IdbTransaction, after: Option<&JsValue>) -> Result<Chunk, idb::Error> {
    let old = idb::Transaction::from(tx.clone()).object_store(HEADERS)?;
    let query = || -> Result<Option<Query>, idb::Error> {
        Ok(match after {
            Some(key) => Some(Query::KeyRange(KeyRange::lower_bound(key, Some(true))?)),
            None => None,
        })
    };
    Ok((
        old.get_all_keys(query()?, Some(MIGRATE_CHUNK))?
            .into_future(),
        old.get_all(query()?, Some(MIGRATE_CHUNK))?.into_future(),
    ))
}

async fn move_headers(
    db: &web_sys::IdbDatabase,
    tx: &web_sys::IdbTransaction,
    chunk: Chunk,
) -> Result<(), String> {
    let itx = idb::Transaction::from(tx.clone());
    let packs = itx.object_store(HEADER_PACKS).map_err(|e| describe(&e))?;
    let meta = itx.object_store(META).map_err(|e| describe(&e))?;
    // The last pack of a full chunk may continue in the next one: it is written with it.
    let mut carry: Vec<HeaderRecord> = Vec::new();
    let mut count = 0u64;
    let mut next = Some(chunk);
    while let Some((keys, values)) = next.take() {
        let keys = keys.await.map_err(|e| describe(&e))?;
        let values = values.await.map_err(|e| describe(&e))?;
        let more = keys.len() == MIGRATE_CHUNK as usize;
        if more {
            next = Some(read_chunk(tx, keys.last()).map_err(|e| describe(&e))?);
        }
        let mut records = std::mem::take(&mut carry);
        for (key, value) in keys.iter().zip(values) {
            if let Ok(h) = from_js::<HeaderRecord>(value, HEADERS) {
                if key.as_f64() == Some(h.slot as f64) && h.encoded_slot() == h.slot {
                    records.push(h);
                }
            }
        }
        let mut groups = group_by_pack(records);
        if more {
            if let Some((_, last)) = groups.pop() {
                carry = last;
            }
        }
        for (index, group) in &groups {
            count += group.len() as u64;
            let bytes = encode_pack(group);
            packs
                .put(
                    &js_sys::Uint8Array::from(&bytes[..]).into(),
                    Some(&pack_key(*index)),
                )
                .map_err(|e| describe(&e))?;
        }
    }
    put_count(&meta, count).map_err(|e| describe(&e))?;
    db.delete_object_store(HEADERS)
        .map_err(|e| format!("deleting the per-header store: {e:?}"))
}

impl IdbStore {
    /// What [`Store::headers_range`] returns, as the walk of `verifyStore()` reads it: the packs'
    /// bytes copied once into one buffer of entries, never decoded into records. When a damaged
    /// slot leaves the entries out of order, the range is decoded and sorted as
    /// `headers_range` does, so the walk sees the same headers either way.
    pub async fn stored_range(
        &self,
        start_slot: u64,
        end_slot: u64,
    ) -> Result<StoredRange, StoreError> {
        if start_slot >= end_slot || start_slot > super::MAX_SLOT {
            return Ok(StoredRange::default());
        }
        let end_slot = end_slot.min(super::MAX_SLOT + 1);
        let operation = "read headers";
        let tx = self.transaction(&[HEADER_PACKS], TransactionMode::ReadOnly, operation)?;
        let store = tx.object_store(HEADER_PACKS).map_err(backend(operation))?;
        let (keys, values) = request_packs(
            &store,
            pack_index(start_slot),
            pack_index(end_slot - 1),
            operation,
        )?
        .await?;
        let mut packs = Vec::with_capacity(keys.len());
        for (key, value) in keys.into_iter().zip(values) {
            let (index, bytes) = pack_record_view(key, value)?;
            check_pack_len(index, bytes.length() as usize).map_err(corrupt_pack)?;
            packs.push((index, bytes));
        }
        let total = packs.iter().map(|(_, b)| b.length() as usize).sum();
        let mut entries = vec![0u8; total];
        let mut at = 0;
        for (_, bytes) in &packs {
            let len = bytes.length() as usize;
            bytes.copy_to(&mut entries[at..at + len]);
            at += len;
        }
        let lens: Vec<(u64, usize)> = packs
            .iter()
            .map(|(index, bytes)| (*index, bytes.length() as usize))
            .collect();
        StoredRange::from_packs(entries, &lens, start_slot, end_slot).map_err(corrupt_pack)
    }

    fn database(&self) -> Database {
        Database::from(self.db.clone())
    }

    fn transaction(
        &self,
        stores: &[&str],
        mode: TransactionMode,
        operation: &'static str,
    ) -> Result<idb::Transaction, StoreError> {
        self.database()
            .transaction(stores, mode)
            .map_err(backend(operation))
    }

    /// The value under `key` in object store `name`, read in a transaction of its own.
    async fn get_one(
        &self,
        name: &str,
        key: JsValue,
        operation: &'static str,
    ) -> Result<Option<JsValue>, StoreError> {
        let tx = self.transaction(&[name], TransactionMode::ReadOnly, operation)?;
        tx.object_store(name)
            .map_err(backend(operation))?
            .get(Query::Key(key))
            .map_err(backend(operation))?
            .await
            .map_err(backend(operation))
    }

    /// Deletes the database of a network without opening it (for example when it cannot be
    /// opened because its schema is too new).
    pub async fn delete_database(genesis_validators_root: &Root) -> Result<(), StoreError> {
        let factory = Factory::new().map_err(backend("delete"))?;
        factory
            .delete(&database_name(genesis_validators_root))
            .map_err(backend("delete"))?
            .await
            .map_err(backend("delete"))
    }

    /// Counts the stored headers of a network: the count kept in `meta` (a database of schema 3 or
    /// older: one IndexedDB `count()` of its per-header records), over a short-lived connection
    /// of its own (the [`Store`] trait has no count, and reading every header to count them
    /// would load up to the whole chain). Opened without a version, so it never triggers an
    /// upgrade, and closed before returning, so it never blocks a later delete.
    pub async fn count_headers(genesis_validators_root: &Root) -> Result<u64, StoreError> {
        let operation = "count headers";
        let factory = Factory::new().map_err(backend(operation))?;
        let db = factory
            .open(&database_name(genesis_validators_root), None)
            .map_err(backend(operation))?
            .await
            .map_err(backend(operation))?;
        let count = async {
            let names = db.store_names();
            if names.iter().any(|n| n == HEADER_PACKS) {
                let tx = db
                    .transaction(&[META], TransactionMode::ReadOnly)
                    .map_err(backend(operation))?;
                let meta = tx.object_store(META).map_err(backend(operation))?;
                return read_count(&meta, operation)?.await;
            }
            if !names.iter().any(|n| n == HEADERS) {
                return Ok(0);
            }
            let tx = db
                .transaction(&[HEADERS], TransactionMode::ReadOnly)
                .map_err(backend(operation))?;
            let n = tx
                .object_store(HEADERS)
                .map_err(backend(operation))?
                .count(None)
                .map_err(backend(operation))?
                .await
                .map_err(backend(operation))?;
            Ok(u64::from(n))
        }
        .await;
        db.close();
        count
    }

    /// The IndexedDB database name (see [`database_name`]).
    pub fn name(&self) -> &str {
        &self.name
    }

    async fn read_meta(&self, tx: &idb::Transaction) -> Result<MetaRecord, StoreError> {
        let meta = tx.object_store(META).map_err(backend("read meta"))?;
        let get = |key: &str| -> Result<_, StoreError> {
            meta.get(Query::Key(JsValue::from_str(key)))
                .map_err(backend("read meta"))
        };
        let schema = get(KEY_SCHEMA)?.into_future();
        let identity = get(KEY_IDENTITY)?.into_future();
        let active = get(KEY_ACTIVE)?.into_future();
        let cursor = get(KEY_CURSOR)?.into_future();
        let schema = schema.await.map_err(backend("read meta"))?;
        let identity = identity.await.map_err(backend("read meta"))?;
        let active = active.await.map_err(backend("read meta"))?;
        let cursor = cursor.await.map_err(backend("read meta"))?;

        let schema_version: u32 = match schema {
            Some(v) => meta_from_js(v, KEY_SCHEMA)?,
            None => {
                return Err(StoreError::CorruptRecord {
                    store: META,
                    reason: "no schema_version".into(),
                })
            }
        };
        let identity: Identity = match identity {
            Some(v) => meta_from_js(v, KEY_IDENTITY)?,
            None => {
                return Err(StoreError::CorruptRecord {
                    store: META,
                    reason: "no identity".into(),
                })
            }
        };
        let active_anchor = match active {
            Some(v) => Some(meta_from_js::<Root>(v, KEY_ACTIVE)?),
            None => None,
        };
        let backfill_cursor = match cursor {
            Some(v) => Some(meta_from_js::<BackfillCursor>(v, KEY_CURSOR)?),
            None => None,
        };
        Ok(MetaRecord {
            schema_version,
            network: identity.network,
            genesis_validators_root: identity.genesis_validators_root,
            active_anchor,
            backfill_cursor,
        })
    }

    async fn one_meta(&self) -> Result<MetaRecord, StoreError> {
        let tx = self.transaction(&[META], TransactionMode::ReadOnly, "read meta")?;
        self.read_meta(&tx).await
    }

    /// Stores an anchor (with its roots when given) and, if `make_active`, makes it the active
    /// one, in one transaction: a failed request aborts every write of it.
    /// Writes `anchor` in one transaction; with `roots`, also its roots and the kept state it
    /// settles (see [`Store::put_anchor_with_roots`]).
    async fn write_anchor(
        &self,
        anchor: &AnchorRecord,
        roots: Option<(&AnchorRootsRecord, Option<&KeptStateRecord>)>,
        make_active: bool,
        operation: &'static str,
    ) -> Result<(), StoreError> {
        check_network(&self.network, anchor)?;
        if let Some((roots, _)) = roots {
            validate_roots(anchor, roots)?;
        }
        let value = to_js(anchor, operation)?;
        let roots_value = roots.map(|(r, _)| to_js(r, operation)).transpose()?;
        let kept = roots.map(|(_, kept)| kept);
        let kept_value = kept.flatten().map(|k| to_js(k, operation)).transpose()?;
        let active = to_js(&ByteSlice(&anchor.block_root), operation)?;
        let stores: &[&str] = if roots.is_some() {
            &[ANCHORS, ANCHOR_ROOTS, META, STATE_CHUNKS]
        } else {
            &[ANCHORS, META]
        };
        let tx = self.transaction(stores, TransactionMode::ReadWrite, operation)?;
        let anchors = tx.object_store(ANCHORS).map_err(backend(operation))?;
        let anchor_roots = match roots_value {
            Some(v) => Some((
                tx.object_store(ANCHOR_ROOTS).map_err(backend(operation))?,
                v,
                tx.object_store(STATE_CHUNKS).map_err(backend(operation))?,
            )),
            None => None,
        };
        let meta = tx.object_store(META).map_err(backend(operation))?;
        let raw_tx: web_sys::IdbTransaction = tx.into();
        let write = || -> Result<(), idb::Error> {
            let key = root_key(&anchor.block_root);
            anchors.put(&value, Some(&key))?;
            if let Some((store, roots_value, chunks)) = &anchor_roots {
                store.put(roots_value, Some(&key))?;
                settle_kept_state(chunks, &meta, kept.flatten().zip(kept_value.as_ref()))?;
            }
            if make_active {
                meta.put(&active, Some(&JsValue::from_str(KEY_ACTIVE)))?;
            }
            Ok(())
        };
        if let Err(error) = write() {
            let _ = raw_tx.abort();
            return Err(backend(operation)(error));
        }
        finish(raw_tx, operation).await
    }

    /// The shared write of [`Store::commit_head`] and [`Store::commit_rebuilt_anchor`]: inside one
    /// transaction, reads the stored head, the anchor's presence and the stored headers of the
    /// chain's slot range, checks them, then writes the new headers, the head and (for a
    /// rebuild) the anchor, active anchor and cursor. Any refusal aborts the transaction.
    async fn write_head_chain(
        &self,
        head: &HeadRecord,
        headers: &[HeaderRecord],
        rebuilt: Option<(&AnchorRecord, RebuiltBackfill<'_>)>,
        operation: &'static str,
    ) -> Result<u64, StoreError> {
        let sorted = check_head_chain(head, headers)?;
        for h in &sorted {
            check_slot(h.slot)?;
        }
        let head_value = to_js(head, operation)?;
        let rebuilt_values = match rebuilt {
            Some((anchor, backfill)) => Some((
                to_js(anchor, operation)?,
                to_js(&ByteSlice(&anchor.block_root), operation)?,
                backfill.cursor().map(|c| to_js(c, operation)).transpose()?,
            )),
            None => None,
        };
        let tx = self.transaction(
            &[ANCHORS, HEADER_PACKS, HEAD, META],
            TransactionMode::ReadWrite,
            operation,
        )?;
        let anchors = tx.object_store(ANCHORS).map_err(backend(operation))?;
        let header_store = tx.object_store(HEADER_PACKS).map_err(backend(operation))?;
        let head_store = tx.object_store(HEAD).map_err(backend(operation))?;
        let meta = tx.object_store(META).map_err(backend(operation))?;
        if rebuilt.is_some_and(|(_, b)| b.resets()) {
            // The backfill the rebuild cannot join goes in this transaction: the reads below see
            // the cleared stores, and an abort restores them with everything else.
            clear_backfill(&tx, operation)?;
        }
        let anchor_present = anchors
            .get_key(Query::Key(root_key(&head.anchor_root)))
            .map_err(backend(operation))?
            .into_future();
        let stored_head = head_store
            .get(Query::Key(JsValue::from_str(KEY_TIP)))
            .map_err(backend(operation))?
            .into_future();
        let packs = match (sorted.first(), sorted.last()) {
            (Some(lo), Some(hi)) => Some(read_packs(
                &header_store,
                pack_index(lo.slot),
                pack_index(hi.slot),
                operation,
            )?),
            _ => None,
        };
        let count = read_count(&meta, operation)?;
        let anchor_present = anchor_present.await.map_err(backend(operation))?.is_some();
        let stored_head = stored_head.await.map_err(backend(operation))?;
        let packs = match packs {
            Some(f) => f.await,
            None => Ok(Vec::new()),
        };
        let count = count.await;
        let raw_tx: web_sys::IdbTransaction = tx.into();
        let checked = (|| -> Result<_, StoreError> {
            let (packs, count) = (packs?, count?);
            let stored_head: Option<HeadRecord> =
                stored_head.map(|v| from_js(v, HEAD)).transpose()?;
            let stored = stored_roots(&packs);
            if rebuilt.is_none() {
                if !anchor_present {
                    return Err(StoreError::AnchorNotFound {
                        block_root: head.anchor_root,
                    });
                }
                check_head_base(head, &sorted, stored_head.as_ref())?;
            }
            let fresh = new_headers(&sorted, |slot| stored.get(&slot).copied())?;
            Ok((fresh, packs, count))
        })();
        let (fresh, packs, count) = match checked {
            Ok(f) => f,
            Err(e) => {
                let _ = raw_tx.abort();
                return Err(e);
            }
        };
        let write = || -> Result<u64, idb::Error> {
            let written = put_packs(&header_store, &packs, &fresh)?;
            put_count(&meta, count + fresh.len() as u64)?;
            head_store.put(&head_value, Some(&JsValue::from_str(KEY_TIP)))?;
            if let (Some((anchor, _)), Some((anchor_value, active, cursor_value))) =
                (rebuilt, &rebuilt_values)
            {
                anchors.put(anchor_value, Some(&root_key(&anchor.block_root)))?;
                meta.put(active, Some(&JsValue::from_str(KEY_ACTIVE)))?;
                if let Some(c) = cursor_value {
                    meta.put(c, Some(&JsValue::from_str(KEY_CURSOR)))?;
                }
            }
            Ok(written)
        };
        let needed = match write() {
            Ok(written) => written,
            Err(error) => {
                let _ = raw_tx.abort();
                return Err(backend(operation)(error));
            }
        };
        finish_sized(raw_tx, operation, Some(needed)).await?;
        Ok(fresh.len() as u64)
    }
}

/// Reads the version of an existing database without changing it (opening without a version
/// never upgrades).
async fn current_version(factory: &Factory, name: &str) -> Result<u32, StoreError> {
    let db = factory
        .open(name, None)
        .map_err(backend("open"))?
        .await
        .map_err(backend("open"))?;
    let version = db.version().map_err(backend("open"));
    db.close();
    version
}

impl Store for IdbStore {
    async fn open(network: &str, genesis_validators_root: Root) -> Result<Self, StoreError> {
        let name = database_name(&genesis_validators_root);
        let factory = Factory::new().map_err(backend("open"))?;
        let mut request = factory
            .open(&name, Some(SCHEMA_VERSION))
            .map_err(backend("open"))?;
        let identity = Identity {
            network: network.to_string(),
            genesis_validators_root,
        };
        let migration_error = std::rc::Rc::new(std::cell::RefCell::new(None::<String>));
        let seen = migration_error.clone();
        request.on_upgrade_needed(move |event| {
            if let Err(reason) = migrate(&event, &identity, seen.clone()) {
                *seen.borrow_mut() = Some(reason);
                // Throwing is not possible from here; aborting the version-change transaction
                // makes the open fail and rolls the migration back.
                use idb::event::Event;
                if let Some(tx) = event.target().ok().and_then(|r| r.transaction()) {
                    let _ = tx.abort();
                }
            }
        });
        let db = match request.await {
            Ok(db) => db,
            Err(error) => {
                if dom_name(&error).as_deref() == Some("VersionError") {
                    let found = current_version(&factory, &name).await?;
                    return Err(StoreError::SchemaTooNew {
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
                let message = match migration_error.borrow().clone() {
                    Some(reason) => format!("migration failed: {reason}"),
                    None => describe(&error),
                };
                return Err(StoreError::Backend {
                    operation: "open",
                    message,
                });
            }
        };
        let raw: web_sys::IdbDatabase = db.into();
        let closer = raw.clone();
        let on_version_change = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| closer.close());
        raw.set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
        let store = IdbStore {
            network: network.to_string(),
            genesis_validators_root,
            name,
            db: raw,
            _on_version_change: on_version_change,
        };
        let meta = match store.one_meta().await {
            Ok(meta) => meta,
            Err(e) => {
                store.db.close();
                return Err(e);
            }
        };
        let refusal = if meta.schema_version > SCHEMA_VERSION {
            Some(StoreError::SchemaTooNew {
                found: meta.schema_version,
                supported: SCHEMA_VERSION,
            })
        } else if meta.network != network {
            Some(StoreError::NetworkMismatch {
                expected: network.to_string(),
                got: meta.network,
            })
        } else {
            None
        };
        if let Some(error) = refusal {
            store.db.close();
            return Err(error);
        }
        Ok(store)
    }

    fn network(&self) -> &str {
        &self.network
    }

    async fn meta(&self) -> Result<MetaRecord, StoreError> {
        self.one_meta().await
    }

    async fn put_anchor(&self, anchor: &AnchorRecord, make_active: bool) -> Result<(), StoreError> {
        self.write_anchor(anchor, None, make_active, "put anchor")
            .await
    }

    async fn put_anchor_with_roots(
        &self,
        anchor: &AnchorRecord,
        roots: &AnchorRootsRecord,
        kept: Option<&KeptStateRecord>,
    ) -> Result<(), StoreError> {
        self.write_anchor(anchor, Some((roots, kept)), true, "put anchor with roots")
            .await
    }

    async fn anchor_roots(
        &self,
        block_root: &Root,
    ) -> Result<Option<AnchorRootsRecord>, StoreError> {
        let value = self
            .get_one(ANCHOR_ROOTS, root_key(block_root), "read anchor roots")
            .await?;
        value.map(|v| from_js(v, ANCHOR_ROOTS)).transpose()
    }

    async fn anchors(&self) -> Result<Vec<AnchorRecord>, StoreError> {
        let tx = self.transaction(&[ANCHORS], TransactionMode::ReadOnly, "read anchors")?;
        let store = tx.object_store(ANCHORS).map_err(backend("read anchors"))?;
        let values = store
            .get_all(None, None)
            .map_err(backend("read anchors"))?
            .await
            .map_err(backend("read anchors"))?;
        values.into_iter().map(|v| from_js(v, ANCHORS)).collect()
    }

    async fn anchor(&self, block_root: &Root) -> Result<Option<AnchorRecord>, StoreError> {
        let value = self
            .get_one(ANCHORS, root_key(block_root), "read anchor")
            .await?;
        value.map(|v| from_js(v, ANCHORS)).transpose()
    }

    async fn active_anchor(&self) -> Result<Option<AnchorRecord>, StoreError> {
        match self.one_meta().await?.active_anchor {
            Some(root) => self.anchor(&root).await,
            None => Ok(None),
        }
    }

    async fn set_active_anchor(&self, block_root: &Root) -> Result<(), StoreError> {
        let operation = "set active anchor";
        let active = to_js(&ByteSlice(block_root), operation)?;
        let tx = self.transaction(&[ANCHORS, META], TransactionMode::ReadWrite, operation)?;
        let anchors = tx.object_store(ANCHORS).map_err(backend(operation))?;
        let meta = tx.object_store(META).map_err(backend(operation))?;
        // Checked inside the same transaction, so the anchor cannot vanish in between.
        let exists = anchors
            .get_key(Query::Key(root_key(block_root)))
            .map_err(backend(operation))?
            .await
            .map_err(backend(operation))?
            .is_some();
        if !exists {
            let _ = tx.abort();
            return Err(StoreError::AnchorNotFound {
                block_root: *block_root,
            });
        }
        meta.put(&active, Some(&JsValue::from_str(KEY_ACTIVE)))
            .map_err(backend(operation))?;
        finish(tx.into(), operation).await
    }

    async fn header(&self, slot: u64) -> Result<Option<HeaderRecord>, StoreError> {
        check_slot(slot)?;
        let operation = "read header";
        let index = pack_index(slot);
        let tx = self.transaction(&[HEADER_PACKS], TransactionMode::ReadOnly, operation)?;
        let store = tx.object_store(HEADER_PACKS).map_err(backend(operation))?;
        let packs = read_packs(&store, index, index, operation)?.await?;
        Ok(packs
            .into_iter()
            .flat_map(|(_, hs)| hs)
            .find(|h| h.slot == slot))
    }

    async fn headers_range(
        &self,
        start_slot: u64,
        end_slot: u64,
    ) -> Result<Vec<HeaderRecord>, StoreError> {
        if start_slot >= end_slot || start_slot > super::MAX_SLOT {
            return Ok(Vec::new());
        }
        let end_slot = end_slot.min(super::MAX_SLOT + 1);
        let operation = "read headers";
        let tx = self.transaction(&[HEADER_PACKS], TransactionMode::ReadOnly, operation)?;
        let store = tx.object_store(HEADER_PACKS).map_err(backend(operation))?;
        let packs = read_packs(
            &store,
            pack_index(start_slot),
            pack_index(end_slot - 1),
            operation,
        )?
        .await?;
        Ok(headers_in(packs, start_slot, end_slot))
    }

    async fn backfill_cursor(&self) -> Result<Option<BackfillCursor>, StoreError> {
        Ok(self.one_meta().await?.backfill_cursor)
    }

    async fn commit_backfill_batch(
        &self,
        headers: &[HeaderRecord],
        cursor: &BackfillCursor,
    ) -> Result<(), StoreError> {
        let operation = "commit backfill batch";
        validate_batch(headers, cursor)?;
        let cursor_value = to_js(cursor, operation)?;
        let tx = self.transaction(&[HEADER_PACKS, META], TransactionMode::ReadWrite, operation)?;
        let store = tx.object_store(HEADER_PACKS).map_err(backend(operation))?;
        let meta = tx.object_store(META).map_err(backend(operation))?;
        // The packs the batch falls into, read in the transaction that rewrites them.
        let slots = headers.iter().map(|h| h.slot);
        let packs = match (slots.clone().min(), slots.max()) {
            (Some(lo), Some(hi)) => Some(read_packs(
                &store,
                pack_index(lo),
                pack_index(hi),
                operation,
            )?),
            _ => None,
        };
        let count = read_count(&meta, operation)?;
        // Compare-and-set: the cursor this batch continues is read inside the transaction that
        // replaces it, so no other writer can move it in between.
        let stored = read_cursor(&meta, operation).await;
        let packs = match packs {
            Some(p) => p.await,
            None => Ok(Vec::new()),
        };
        let count = count.await;
        let raw_tx: web_sys::IdbTransaction = tx.into();
        let checked = (|| {
            let (stored, packs, count) = (stored?, packs?, count?);
            check_continues(stored.as_ref(), headers, cursor)?;
            // A stored header is never overwritten: the whole batch is refused.
            let roots = stored_roots(&packs);
            if let Some(h) = headers.iter().find(|h| roots.contains_key(&h.slot)) {
                return Err(StoreError::HeaderAlreadyStored { slot: h.slot });
            }
            Ok((packs, count))
        })();
        let (packs, count) = match checked {
            Ok(c) => c,
            Err(error) => {
                let _ = raw_tx.abort();
                return Err(error);
            }
        };
        let write = || -> Result<u64, idb::Error> {
            let new: Vec<&HeaderRecord> = headers.iter().collect();
            let written = put_packs(&store, &packs, &new)?;
            meta.put(&cursor_value, Some(&JsValue::from_str(KEY_CURSOR)))?;
            put_count(&meta, count + headers.len() as u64)?;
            Ok(written)
        };
        let needed = match write() {
            Ok(written) => written,
            Err(error) => {
                let _ = raw_tx.abort();
                return Err(backend(operation)(error));
            }
        };
        finish_sized(raw_tx, operation, Some(needed)).await
    }

    async fn truncate_backfill(
        &self,
        expected: &BackfillCursor,
        cursor: &BackfillCursor,
    ) -> Result<(), StoreError> {
        let operation = "truncate backfill";
        let value = to_js(cursor, operation)?;
        let cut = cursor.oldest_slot;
        check_slot(cut)?;
        let index = pack_index(cut);
        let tx = self.transaction(&[HEADER_PACKS, META], TransactionMode::ReadWrite, operation)?;
        let headers = tx.object_store(HEADER_PACKS).map_err(backend(operation))?;
        let meta = tx.object_store(META).map_err(backend(operation))?;
        // Every pack up to the cut's: the ones below go whole, the cut's keeps its upper part,
        // and the count drops by what they held.
        let packs = read_packs(&headers, 0, index, operation)?;
        let count = read_count(&meta, operation)?;
        let stored = read_cursor(&meta, operation).await;
        let packs = packs.await;
        let count = count.await;
        let raw_tx: web_sys::IdbTransaction = tx.into();
        let checked = (|| {
            let (packs, count) = (packs?, count?);
            let at = packs.iter().flat_map(|(_, hs)| hs).find(|h| h.slot == cut);
            check_truncate(stored?.as_ref(), expected, cursor, at)?;
            let kept: Vec<HeaderRecord> = packs
                .iter()
                .filter(|(i, _)| *i == index)
                .flat_map(|(_, hs)| hs.iter().filter(|h| h.slot >= cut).cloned())
                .collect();
            let held: usize = packs.iter().map(|(_, hs)| hs.len()).sum();
            let dropped = (held - kept.len()) as u64;
            Ok((kept, count.saturating_sub(dropped)))
        })();
        let (kept, count) = match checked {
            Ok(c) => c,
            Err(error) => {
                let _ = raw_tx.abort();
                return Err(error);
            }
        };
        let write = || -> Result<(), idb::Error> {
            let below = KeyRange::upper_bound(&pack_key(index), Some(false))?;
            headers.delete(Query::KeyRange(below))?;
            let bytes = encode_pack(&kept);
            headers.put(
                &js_sys::Uint8Array::from(&bytes[..]).into(),
                Some(&pack_key(index)),
            )?;
            meta.put(&value, Some(&JsValue::from_str(KEY_CURSOR)))?;
            put_count(&meta, count)
        };
        if let Err(error) = write() {
            let _ = raw_tx.abort();
            return Err(backend(operation)(error));
        }
        finish(raw_tx, operation).await
    }

    async fn reset_backfill(&self) -> Result<(), StoreError> {
        let operation = "reset backfill";
        let tx = self.transaction(
            &[HEADER_PACKS, META, HEAD],
            TransactionMode::ReadWrite,
            operation,
        )?;
        clear_backfill(&tx, operation)?;
        finish(tx.into(), operation).await
    }

    async fn head(&self) -> Result<Option<HeadRecord>, StoreError> {
        let value = self
            .get_one(HEAD, JsValue::from_str(KEY_TIP), "read head")
            .await?;
        value.map(|v| from_js(v, HEAD)).transpose()
    }

    async fn commit_head(
        &self,
        head: &HeadRecord,
        headers: &[HeaderRecord],
    ) -> Result<u64, StoreError> {
        self.write_head_chain(head, headers, None, "commit head")
            .await
    }

    async fn commit_rebuilt_anchor(
        &self,
        anchor: &AnchorRecord,
        headers: &[HeaderRecord],
        backfill: RebuiltBackfill<'_>,
        head: &HeadRecord,
    ) -> Result<u64, StoreError> {
        check_network(&self.network, anchor)?;
        check_rebuilt(anchor, headers, backfill, head)?;
        self.write_head_chain(
            head,
            headers,
            Some((anchor, backfill)),
            "commit rebuilt anchor",
        )
        .await
    }

    async fn put_state_chunk(&self, id: u32, index: u32, bytes: &[u8]) -> Result<(), StoreError> {
        check_state_chunk(index, bytes)?;
        let operation = "put state chunk";
        let value: JsValue = js_sys::Uint8Array::from(bytes).into();
        let tx = self.transaction(&[STATE_CHUNKS], TransactionMode::ReadWrite, operation)?;
        tx.object_store(STATE_CHUNKS)
            .map_err(backend(operation))?
            .put(&value, Some(&chunk_key(id, index)))
            .map_err(backend(operation))?;
        finish_sized(tx.into(), operation, Some(bytes.len() as u64)).await
    }

    async fn discard_state_chunks(&self, id: u32) -> Result<(), StoreError> {
        let operation = "discard state chunks";
        let tx = self.transaction(&[STATE_CHUNKS], TransactionMode::ReadWrite, operation)?;
        let range = KeyRange::bound(
            &chunk_key(id, 0),
            &chunk_key(id, STATE_CHUNK_LAST),
            Some(false),
            Some(false),
        )
        .map_err(backend(operation))?;
        tx.object_store(STATE_CHUNKS)
            .map_err(backend(operation))?
            .delete(Query::KeyRange(range))
            .map_err(backend(operation))?;
        finish(tx.into(), operation).await
    }

    async fn kept_state(&self) -> Result<Option<KeptStateRecord>, StoreError> {
        let key = JsValue::from_str(KEY_KEPT_STATE);
        let value = self.get_one(META, key, "read kept state").await?;
        value.map(|v| meta_from_js(v, KEY_KEPT_STATE)).transpose()
    }

    async fn state_chunk(&self, id: u32, index: u32) -> Result<Option<Vec<u8>>, StoreError> {
        let value = self
            .get_one(STATE_CHUNKS, chunk_key(id, index), "read state chunk")
            .await?;
        value.map(|v| record_bytes(v, STATE_CHUNKS)).transpose()
    }

    async fn dump(&self) -> Result<StoreDump, StoreError> {
        let operation = "dump";
        let tx = self.transaction(
            &[ANCHORS, ANCHOR_ROOTS, HEADER_PACKS, META, HEAD],
            TransactionMode::ReadOnly,
            operation,
        )?;
        let store = |name: &str| tx.object_store(name).map_err(backend(operation));
        let anchors = store(ANCHORS)?
            .get_all(None, None)
            .map_err(backend(operation))?
            .into_future();
        let headers = read_packs(&store(HEADER_PACKS)?, 0, super::MAX_SLOT, operation)?;
        let anchor_roots = store(ANCHOR_ROOTS)?
            .get_all(None, None)
            .map_err(backend(operation))?
            .into_future();
        let head = store(HEAD)?
            .get(Query::Key(JsValue::from_str(KEY_TIP)))
            .map_err(backend(operation))?
            .into_future();
        let meta = self.read_meta(&tx).await?;
        let head = head.await.map_err(backend(operation))?;
        let anchors = anchors.await.map_err(backend(operation))?;
        let anchor_roots = anchor_roots.await.map_err(backend(operation))?;
        let mut headers: Vec<HeaderRecord> =
            headers.await?.into_iter().flat_map(|(_, hs)| hs).collect();
        super::pack::sort_by_slot(&mut headers);
        Ok(StoreDump {
            meta,
            anchors: anchors
                .into_iter()
                .map(|v| from_js(v, ANCHORS))
                .collect::<Result<_, _>>()?,
            headers,
            anchor_roots: anchor_roots
                .into_iter()
                .map(|v| from_js(v, ANCHOR_ROOTS))
                .collect::<Result<_, _>>()?,
            head: head.map(|v| from_js(v, HEAD)).transpose()?,
        })
    }

    async fn delete(self) -> Result<(), StoreError> {
        self.db.close();
        IdbStore::delete_database(&self.genesis_validators_root).await
    }
}

impl Drop for IdbStore {
    /// Closes the connection, so that a later open, upgrade or delete is not blocked by it.
    fn drop(&mut self) {
        self.db.set_onversionchange(None);
        self.db.close();
    }
}

/// Inside a transaction over `state_chunks` and `meta`: makes `kept` (with its record as a JS
/// value) the kept state and deletes every chunk of another id, or with `None` keeps none.
fn settle_kept_state(
    chunks: &idb::ObjectStore,
    meta: &idb::ObjectStore,
    kept: Option<(&KeptStateRecord, &JsValue)>,
) -> Result<(), idb::Error> {
    let key = JsValue::from_str(KEY_KEPT_STATE);
    match kept {
        Some((k, value)) => {
            // Every chunk below and above the kept id's range goes.
            let below = KeyRange::upper_bound(&chunk_key(k.id, 0), Some(true))?;
            let above = KeyRange::lower_bound(&chunk_key(k.id, STATE_CHUNK_LAST), Some(true))?;
            for range in [below, above] {
                chunks.delete(Query::KeyRange(range))?;
            }
            meta.put(value, Some(&key))?;
        }
        None => {
            chunks.clear()?;
            meta.delete(Query::Key(key))?;
        }
    }
    Ok(())
}

/// Bytes stored in `store` as a `Uint8Array` (or returned as an `ArrayBuffer` binary key).
fn record_bytes(value: JsValue, store: &'static str) -> Result<Vec<u8>, StoreError> {
    Ok(record_view(value, store)?.to_vec())
}

/// A view of the bytes stored in `store` as a `Uint8Array` (or returned as an `ArrayBuffer`
/// binary key), not yet copied into wasm memory.
fn record_view(value: JsValue, store: &'static str) -> Result<js_sys::Uint8Array, StoreError> {
    if let Some(array) = value.dyn_ref::<js_sys::Uint8Array>() {
        return Ok(array.clone());
    }
    if let Some(buffer) = value.dyn_ref::<js_sys::ArrayBuffer>() {
        return Ok(js_sys::Uint8Array::new(buffer));
    }
    Err(StoreError::CorruptRecord {
        store,
        reason: format!("expected bytes, got {value:?}"),
    })
}
