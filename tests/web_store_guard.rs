//! Browser test: the store guarded in time (one writer per database through Web Locks, the
//! writer's events mirrored through a `BroadcastChannel`) and against rotten records (raw
//! IndexedDB edits found by `verifyStore()`, repaired, fetched again; a damaged anchor record
//! refused on open with `CORRUPT_RECORD`), against the devnet scripts/test-browser.sh starts.
//!
//! Web Locks are per origin, so three `LightSync` instances on one database in one page behave
//! as three tabs would: the first writer holds the lock, a second gets `BUSY` naming the
//! operation that holds it, a third created with `lock: "wait"` runs once the first is done.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use beacon_lightsync::js::LightSync;
use beacon_lightsync::store::{database_name, IdbStore, Store};
use idb::{Factory, Query, TransactionMode};
use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

mod web_common;
use web_common::{devnet_network, get, get_str, DevnetNetwork};

wasm_bindgen_test_configure!(run_in_browser);

fn devnet_url() -> String {
    option_env!("LIGHTSYNC_DEVNET_URL")
        .expect("LIGHTSYNC_DEVNET_URL must be set when compiling this test: run scripts/test-browser.sh")
        .to_string()
}

fn set(o: &Object, key: &str, value: impl Into<JsValue>) {
    Reflect::set(o, &key.into(), &value.into()).unwrap();
}

fn options(net: &DevnetNetwork, checkpoint: bool, lock: Option<&str>) -> JsValue {
    let o = Object::new();
    set(&o, "network", net.config.clone());
    set(&o, "beaconApiUrls", Array::of1(&devnet_url().into()));
    if checkpoint {
        set(
            &o,
            "checkpoint",
            net.info["checkpoint"].as_str().expect("checkpoint"),
        );
    }
    if let Some(lock) = lock {
        set(&o, "lock", lock);
    }
    let b = Object::new();
    set(&b, "targetSlot", "genesis");
    set(&b, "batchSize", 8);
    set(&b, "concurrency", 1);
    set(&o, "backfill", b);
    o.into()
}

async fn create(options: JsValue) -> Result<LightSync, JsValue> {
    LightSync::create(options).await
}

fn on(sync: &LightSync, event: &str, log: &Rc<RefCell<Vec<JsValue>>>) {
    let log = log.clone();
    let f = Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| log.borrow_mut().push(e));
    sync.on(
        JsValue::from(event).unchecked_into(),
        f.as_ref().clone().unchecked_into(),
    )
    .unwrap();
    f.forget();
}

/// Resolves `promise` and records `name` in `order` when it settles.
async fn settle(
    promise: Promise,
    name: &'static str,
    order: Rc<RefCell<Vec<&'static str>>>,
) -> Result<JsValue, JsValue> {
    let r = JsFuture::from(promise).await;
    order.borrow_mut().push(name);
    r
}

/// Edits one record of the network's database in place, through raw IndexedDB.
async fn edit_record(gvr: &[u8; 32], store: &str, key: JsValue, edit: impl FnOnce(&JsValue)) {
    let db = Factory::new()
        .unwrap()
        .open(&database_name(gvr), None)
        .unwrap()
        .await
        .unwrap();
    let tx = db
        .transaction(&[store], TransactionMode::ReadWrite)
        .unwrap();
    let os = tx.object_store(store).unwrap();
    let value = os
        .get(Query::Key(key.clone()))
        .unwrap()
        .await
        .unwrap()
        .expect("the record exists");
    edit(&value);
    os.put(&value, Some(&key)).unwrap().await.unwrap();
    tx.commit().unwrap().await.unwrap();
    db.close();
}

/// Flips bit 0 of byte `at` of the header at `slot` inside a `header_packs` record.
fn flip_pack_byte(pack: &JsValue, slot: u64, at: u32) {
    use beacon_lightsync::store::pack::{decode_pack, PACK_ENTRY_LEN};
    let bytes: js_sys::Uint8Array = pack.clone().unchecked_into();
    let entries = decode_pack(0, &bytes.to_vec()).unwrap();
    let i = entries
        .iter()
        .position(|h| h.slot == slot)
        .expect("the header is in its pack");
    let index = (i * PACK_ENTRY_LEN) as u32 + at;
    bytes.set_index(index, bytes.get_index(index) ^ 0x01);
}

#[wasm_bindgen_test]
async fn one_writer_per_database_and_rotten_records_are_found_and_refetched() {
    let net = devnet_network(&devnet_url()).await;
    IdbStore::delete_database(&net.gvr).await.unwrap();

    let a = create(options(&net, true, None)).await.unwrap();
    JsFuture::from(a.start()).await.unwrap();
    let b = create(options(&net, false, None)).await.unwrap();
    let c = create(options(&net, false, Some("wait"))).await.unwrap();
    let remote = Rc::new(RefCell::new(Vec::new()));
    on(&b, "progress", &remote);

    // A backfills; B wants to write at the same time and is refused, naming the operation.
    let order = Rc::new(RefCell::new(Vec::new()));
    let pa = settle(a.backfill(JsValue::UNDEFINED), "a", order.clone());
    let pb = settle(b.backfill(JsValue::UNDEFINED), "b", order.clone());
    let pc = settle(c.backfill(JsValue::UNDEFINED), "c", order.clone());
    let (ra, rb, rc) = futures::join!(pa, pb, pc);
    let summary = ra.expect("the writer's backfill");
    let busy = rb.expect_err("a second writer is refused");
    assert_eq!(get_str(&busy, "code"), "BUSY", "{busy:?}");
    assert!(get_str(&busy, "operation").contains("backfill"), "{busy:?}");
    // C waited for A's lock and ran after it (nothing left to fetch: A reached genesis).
    let waited = rc.expect("the waiting writer's backfill");
    assert_eq!(*order.borrow(), vec!["b", "a", "c"]);
    assert_eq!(get(&waited, "stored").as_f64(), Some(0.0));
    assert!(get(&summary, "stored").as_f64().unwrap() > 10.0);
    // B saw A's progress through the channel, marked remote.
    let remote = remote.borrow();
    assert!(!remote.is_empty(), "B saw A's progress");
    assert!(remote
        .iter()
        .all(|e| get(e, "remote").as_bool() == Some(true) && get_str(e, "phase") == "backfill"));
    // Readers are never blocked, and the storage standing is reported.
    let status = a.status();
    let storage = get(&status, "storage");
    assert!(get(&storage, "usage").as_f64().is_some(), "{storage:?}");
    assert!(
        get(&storage, "persisted").as_bool().is_some(),
        "{storage:?}"
    );

    // A clean store verifies whole.
    let report = JsFuture::from(a.verify_store(JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(get(&report, "ok").as_bool(), Some(true), "{report:?}");
    let total = get(&report, "checked").as_f64().unwrap();
    assert!(total > 10.0);

    // A header below the anchor is damaged through raw IndexedDB (one bit of its body_root).
    let headers = IdbStore::open(net.spec["CONFIG_NAME"].as_str().unwrap(), net.gvr)
        .await
        .unwrap();
    let stored = headers.headers_range(0, u64::MAX).await.unwrap();
    drop(headers);
    let victim = stored[stored.len() / 2].clone();
    let index = beacon_lightsync::store::pack::pack_index(victim.slot);
    edit_record(
        &net.gvr,
        "header_packs",
        JsValue::from_f64(index as f64),
        |r| flip_pack_byte(r, victim.slot, 100),
    )
    .await;
    let report_only = Object::new();
    set(&report_only, "repair", false);
    let report = JsFuture::from(a.verify_store(report_only.into()))
        .await
        .unwrap();
    assert_eq!(get(&report, "ok").as_bool(), Some(false));
    let broken = get(&report, "firstBroken");
    assert_eq!(get_str(&broken, "slot"), victim.slot.to_string());
    assert_eq!(
        get_str(&broken, "expected"),
        format!("0x{}", hex::encode(victim.root))
    );
    assert_eq!(get_str(&broken, "kind"), "root");
    assert!(get(&report, "repaired").is_null());

    // Repaired: the damaged range is dropped (a warning says so), the store verifies again, and a
    // backfill fetches the dropped headers back.
    let warnings = Rc::new(RefCell::new(Vec::new()));
    on(&a, "warning", &warnings);
    let report = JsFuture::from(a.verify_store(JsValue::UNDEFINED))
        .await
        .unwrap();
    let repaired = get(&report, "repaired");
    assert!(!repaired.is_null(), "{report:?}");
    assert!(warnings
        .borrow()
        .iter()
        .any(|w| get_str(w, "code") == "STORE_REPAIRED"));
    let after = JsFuture::from(a.verify_store(JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(get(&after, "ok").as_bool(), Some(true), "{after:?}");
    assert!(get(&after, "checked").as_f64().unwrap() < total);
    JsFuture::from(a.backfill(JsValue::UNDEFINED))
        .await
        .unwrap();
    let refetched = JsFuture::from(a.verify_store(JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(get(&refetched, "ok").as_bool(), Some(true));
    assert_eq!(get(&refetched, "checked").as_f64(), Some(total));

    // The active anchor's record is damaged (its epoch no longer re-derives from its slot):
    // opening the database says CORRUPT_RECORD, not STORE.
    drop((a, b, c));
    let anchor_root = get_str(&get(&status, "anchor"), "blockRoot");
    let key = js_sys::Uint8Array::from(&hex::decode(&anchor_root[2..]).unwrap()[..]);
    edit_record(&net.gvr, "anchors", key.into(), |r| {
        let epoch: js_sys::BigInt = get(r, "epoch").unchecked_into();
        let next = epoch + js_sys::BigInt::from(1u32);
        Reflect::set(r, &"epoch".into(), &next.into()).unwrap();
    })
    .await;
    let refused = create(options(&net, false, None))
        .await
        .err()
        .expect("refused");
    assert_eq!(get_str(&refused, "code"), "CORRUPT_RECORD", "{refused:?}");
    assert!(get_str(&refused, "message").contains("compute_epoch_at_slot"));
    IdbStore::delete_database(&net.gvr).await.unwrap();
}

/// Not a timed assertion: prints how long `verify_store` takes over a chain in real IndexedDB
/// (reads in `getAll` ranges, decoding, hashing) so its cost per header can be read off the test
/// log; the chain is kept small so the test stays seconds long. The correctness of the walk is
/// asserted.
#[wasm_bindgen_test]
async fn verify_store_over_indexeddb_prints_its_time() {
    use beacon_lightsync::store::verify::{
        commit_chain_below, linked_headers, verify_store, VERIFY_BATCH_SLOTS,
    };
    use beacon_lightsync::store::{AnchorRecord, Trust};
    use beacon_lightsync::types::ForkName;
    const N: u64 = 65_536;
    let gvr = [0xb7; 32];
    IdbStore::delete_database(&gvr).await.unwrap();
    let store = IdbStore::open("bench", gvr).await.unwrap();
    let chain = linked_headers(N);
    let top = chain.last().unwrap();
    let anchor = AnchorRecord {
        ws_period_epochs: 256,
        ..AnchorRecord::new(
            "bench",
            top.slot,
            top.slot / 32,
            top.root,
            top.state_root(),
            ForkName::Deneb,
            Trust::Checkpoint,
        )
    };
    store.put_anchor(&anchor, true).await.unwrap();
    commit_chain_below(&store, &chain, 8192).await.unwrap();
    let started = js_sys::Date::now();
    let report = verify_store(&store, VERIFY_BATCH_SLOTS).await.unwrap();
    let ms = js_sys::Date::now() - started;
    assert_eq!((report.checked, report.first_broken), (N, None));
    console_log!(
        "verify_store over IndexedDB: {N} headers in {ms:.0} ms ({:.0} ms per million)",
        ms * 1e6 / N as f64
    );
    store.delete().await.unwrap();
}
