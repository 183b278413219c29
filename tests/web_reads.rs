//! Browser test: the anchor's verified execution block and the verified reads (`header`,
//! `headers`, `blockRootAt`) through the JS-facing `LightSync`, on real IndexedDB, against the
//! devnet scripts/test-browser.sh starts. The truth is the devnet's own answers: its blocks'
//! execution payloads (`GET /eth/v2/beacon/blocks/{root}`) and its canonical block at each slot
//! (`GET /eth/v1/beacon/headers?slot=S`).
#![cfg(target_arch = "wasm32")]

use std::collections::BTreeMap;

use beacon_lightsync::beacon_api::{FetchTransport, Transport};
use beacon_lightsync::js::LightSync;
use beacon_lightsync::store::{database_name, IdbStore};
use idb::{Factory, Query, TransactionMode};
use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

mod web_common;
use web_common::{devnet_network, get, get_str, record};

wasm_bindgen_test_configure!(run_in_browser);

type Root = [u8; 32];

fn devnet_url() -> String {
    option_env!("LIGHTSYNC_DEVNET_URL")
        .expect("LIGHTSYNC_DEVNET_URL must be set when compiling this test: run scripts/test-browser.sh")
        .to_string()
}

fn hex0x(b: &[u8]) -> String {
    format!("0x{}", hex::encode(b))
}

fn root_of(s: &str) -> Root {
    let bytes = hex::decode(s.trim_start_matches("0x")).expect("hex root");
    bytes.try_into().expect("32 bytes")
}

async fn get_json(url: &str) -> serde_json::Value {
    let answer = FetchTransport::default()
        .get(url, "application/json", 1 << 22)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    assert_eq!(answer.status, 200, "{url}");
    serde_json::from_slice(&answer.body).expect("JSON")
}

/// The devnet's canonical block root at every slot up to `head` (empty slots absent).
async fn canonical(url: &str, head: u64) -> BTreeMap<u64, Root> {
    let t = FetchTransport::new(10_000, 6);
    let urls: Vec<String> = (0..=head)
        .map(|s| format!("{url}/eth/v1/beacon/headers?slot={s}"))
        .collect();
    let mut out = BTreeMap::new();
    for (slot, answer) in (0..=head).zip(t.get_many(&urls, "application/json", 1 << 20).await) {
        let answer = answer.unwrap_or_else(|e| panic!("headers?slot={slot}: {e}"));
        let v: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
        for h in v["data"].as_array().expect("data array") {
            if h["canonical"].as_bool() == Some(true) {
                out.insert(slot, root_of(h["root"].as_str().unwrap()));
            }
        }
    }
    out
}

async fn call(promise: js_sys::Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(promise).await
}

/// Every value of `for await (const h of sync.headers(range))`.
async fn collect_headers(sync: &LightSync, range: JsValue) -> Result<Vec<JsValue>, JsValue> {
    let iterable = sync.headers(range)?;
    let make: Function = Reflect::get(&iterable, &js_sys::Symbol::async_iterator())
        .unwrap()
        .unchecked_into();
    let iterator = make.call0(&iterable).unwrap();
    let next: Function = get(&iterator, "next").unchecked_into();
    let mut out = Vec::new();
    loop {
        let step = JsFuture::from(js_sys::Promise::from(next.call0(&iterator).unwrap())).await?;
        if get(&step, "done").as_bool() == Some(true) {
            return Ok(out);
        }
        out.push(get(&step, "value"));
    }
}

fn range(from: u64, to: u64) -> JsValue {
    let o = Object::new();
    Reflect::set(&o, &"fromSlot".into(), &JsValue::from_f64(from as f64)).unwrap();
    Reflect::set(&o, &"toSlot".into(), &js_sys::BigInt::from(to).into()).unwrap();
    o.into()
}

/// Flips bit 0 of byte `at` of the stored header at `slot`, through raw IndexedDB.
async fn flip_header_byte(gvr: &Root, slot: u64, at: usize) {
    use beacon_lightsync::store::pack::{decode_pack, pack_index, PACK_ENTRY_LEN};
    let db = Factory::new()
        .unwrap()
        .open(&database_name(gvr), None)
        .unwrap()
        .await
        .unwrap();
    let tx = db
        .transaction(&["header_packs"], TransactionMode::ReadWrite)
        .unwrap();
    let os = tx.object_store("header_packs").unwrap();
    let key = JsValue::from_f64(pack_index(slot) as f64);
    let pack = os
        .get(Query::Key(key.clone()))
        .unwrap()
        .await
        .unwrap()
        .unwrap();
    let bytes: js_sys::Uint8Array = pack.clone().unchecked_into();
    let entries = decode_pack(0, &bytes.to_vec()).unwrap();
    let i = entries.iter().position(|h| h.slot == slot).unwrap();
    let index = (i * PACK_ENTRY_LEN + at) as u32;
    bytes.set_index(index, bytes.get_index(index) ^ 1);
    os.put(&pack, Some(&key)).unwrap().await.unwrap();
    tx.commit().unwrap().await.unwrap();
    db.close();
}

/// Removes the `execution` and `payload` keys of the stored anchor, as a record written before
/// they existed.
async fn strip_execution(gvr: &Root, anchor_root: &Root) {
    let db = Factory::new()
        .unwrap()
        .open(&database_name(gvr), None)
        .unwrap()
        .await
        .unwrap();
    let tx = db
        .transaction(&["anchors"], TransactionMode::ReadWrite)
        .unwrap();
    let os = tx.object_store("anchors").unwrap();
    let key: JsValue = js_sys::Uint8Array::from(&anchor_root[..]).into();
    let record = os
        .get(Query::Key(key.clone()))
        .unwrap()
        .await
        .unwrap()
        .unwrap();
    assert!(
        Reflect::has(&record, &"execution".into()).unwrap(),
        "{record:?}"
    );
    Reflect::delete_property(record.unchecked_ref::<Object>(), &"execution".into()).unwrap();
    Reflect::delete_property(record.unchecked_ref::<Object>(), &"payload".into()).unwrap();
    assert!(!Reflect::has(&record, &"payload".into()).unwrap());
    os.put(&record, Some(&key)).unwrap().await.unwrap();
    tx.commit().unwrap().await.unwrap();
    db.close();
}

#[wasm_bindgen_test]
async fn anchor_execution_and_verified_reads() {
    let url = devnet_url();
    let net = devnet_network(&url).await;
    IdbStore::delete_database(&net.gvr).await.unwrap();
    let checkpoint = net.info["checkpoint"].as_str().expect("checkpoint");
    let head = net.info["head_slot"].as_u64().expect("head slot");
    let chain = canonical(&url, head).await;
    let options = |with_checkpoint: bool| {
        let o = Object::new();
        Reflect::set(&o, &"network".into(), &net.config).unwrap();
        let urls: Array = [JsValue::from(url.as_str())].into_iter().collect();
        Reflect::set(&o, &"beaconApiUrls".into(), &urls).unwrap();
        if with_checkpoint {
            Reflect::set(&o, &"checkpoint".into(), &checkpoint.into()).unwrap();
        }
        let backfill = Object::new();
        Reflect::set(&backfill, &"targetSlot".into(), &JsValue::from(0)).unwrap();
        Reflect::set(&o, &"backfill".into(), &backfill).unwrap();
        JsValue::from(o)
    };

    // 1. The anchor carries the execution block of its verified state: the anchor block's own
    // payload, as the devnet serves the block.
    let sync = LightSync::create(options(true)).await.unwrap();
    let (executions, _keep) = record(&sync, "execution");
    let anchor = call(sync.start()).await.expect("checkpoint sync");
    let anchor_root = get_str(&anchor, "blockRoot");
    let block = get_json(&format!("{url}/eth/v2/beacon/blocks/{anchor_root}")).await;
    let payload = &block["data"]["message"]["body"]["execution_payload"];
    let execution = get(&anchor, "execution");
    // A pre-Gloas anchor block carries its payload itself: no Gloas payload status.
    assert!(get(&anchor, "payload").is_null(), "{anchor:?}");
    assert_eq!(
        get_str(&execution, "blockHash"),
        payload["block_hash"].as_str().unwrap()
    );
    assert_eq!(
        get_str(&execution, "blockNumber"),
        payload["block_number"].as_str().unwrap()
    );
    assert_eq!(
        get_str(&execution, "stateRoot"),
        payload["state_root"].as_str().unwrap()
    );
    assert_eq!(
        get_str(&execution, "receiptsRoot"),
        payload["receipts_root"].as_str().unwrap()
    );
    assert_eq!(
        get_str(&execution, "timestamp"),
        payload["timestamp"].as_str().unwrap()
    );
    {
        let seen = executions.borrow();
        assert_eq!(seen.len(), 1, "one execution event for the stored anchor");
        assert_eq!(get_str(&seen[0], "source"), "anchor");
        assert_eq!(get_str(&seen[0], "blockRoot"), anchor_root);
        let e = get(&seen[0], "execution");
        assert_eq!(get_str(&e, "blockHash"), get_str(&execution, "blockHash"));
    }
    let status = sync.status();
    let shown = get(&get(&status, "head"), "execution");
    assert_eq!(
        get_str(&shown, "blockHash"),
        get_str(&execution, "blockHash")
    );
    let listed = call(sync.anchors()).await.unwrap();
    let listed = Array::from(&listed).get(0);
    assert_eq!(
        get_str(&get(&listed, "execution"), "blockNumber"),
        get_str(&execution, "blockNumber")
    );

    // 2. Before any backfill: a slot below the anchor is answered from the anchor state's
    // block_roots, with get_block_root_at_slot's meaning (an empty slot: the block before it).
    let anchor_state_slot: u64 = get_str(&anchor, "slot").parse().unwrap();
    // The highest empty slot below the anchor whose slot before holds a block (inside the
    // anchor state's window: 64 slots in the minimal preset).
    let empty = (anchor_state_slot.saturating_sub(63)..anchor_state_slot)
        .rev()
        .find(|s| !chain.contains_key(s) && chain.contains_key(&(s - 1)))
        .expect("the devnet chain has an empty slot just below the anchor");
    let before = *chain.range(..empty).next_back().unwrap().0;
    let answer = call(sync.block_root_at(JsValue::from_f64(empty as f64)))
        .await
        .unwrap();
    assert_eq!(get_str(&answer, "root"), hex0x(&chain[&before]));
    assert_eq!(get_str(&answer, "source"), "anchor-block-roots");
    assert!(get(&answer, "blockSlot").is_null());
    let above = call(sync.block_root_at(JsValue::from(format!("{}", head + 1000))))
        .await
        .unwrap();
    assert!(
        above.is_null(),
        "a slot above the head is unknown, not guessed: {above:?}"
    );

    // 3. After a backfill to genesis: headers read back, each verified.
    call(sync.backfill(JsValue::UNDEFINED))
        .await
        .expect("backfill");
    let at = call(sync.header(JsValue::from_f64(before as f64)))
        .await
        .unwrap();
    assert_eq!(get_str(&at, "slot"), before.to_string());
    assert_eq!(get_str(&at, "root"), hex0x(&chain[&before]));
    assert_eq!(get_str(&get(&at, "header"), "slot"), before.to_string());
    let none = call(sync.header(JsValue::from(empty.to_string())))
        .await
        .unwrap();
    assert!(none.is_null(), "an empty slot has no header");
    let by_root = call(sync.header(JsValue::from(hex0x(&chain[&before]))))
        .await
        .unwrap();
    assert_eq!(get_str(&by_root, "slot"), before.to_string());
    let answer = call(sync.block_root_at(js_sys::BigInt::from(empty).into()))
        .await
        .unwrap();
    assert_eq!(get_str(&answer, "root"), hex0x(&chain[&before]));
    assert_eq!(get_str(&answer, "blockSlot"), before.to_string());
    assert_eq!(get_str(&answer, "source"), "headers");
    let (lo, hi) = (
        before.saturating_sub(20),
        (before + 20).min(anchor_state_slot),
    );
    let listed = collect_headers(&sync, range(lo, hi)).await.unwrap();
    let got: Vec<(u64, String)> = listed
        .iter()
        .map(|h| (get_str(h, "slot").parse().unwrap(), get_str(h, "root")))
        .collect();
    let anchor_block_slot = *chain.range(..=anchor_state_slot).next_back().unwrap().0;
    let expected: Vec<(u64, String)> = chain
        .range(lo..=hi.min(anchor_block_slot))
        .map(|(s, r)| (*s, hex0x(r)))
        .collect();
    assert_eq!(
        got, expected,
        "headers() = the devnet's canonical chain in the range"
    );
    let bad = call(sync.header(JsValue::from("0x12"))).await.unwrap_err();
    assert_eq!(get_str(&bad, "code"), "INVALID_ARGUMENT");
    let bad = call(sync.block_root_at(JsValue::from(-1)))
        .await
        .unwrap_err();
    assert_eq!(get_str(&bad, "code"), "INVALID_ARGUMENT");

    // 4. A header altered in IndexedDB is an error on every read that meets it, not a value.
    flip_header_byte(&net.gvr, before, 100).await;
    let err = call(sync.header(JsValue::from_f64(before as f64)))
        .await
        .unwrap_err();
    assert_eq!(get_str(&err, "code"), "CORRUPT_RECORD", "{err:?}");
    let err = collect_headers(&sync, range(lo, hi)).await.unwrap_err();
    assert_eq!(get_str(&err, "code"), "CORRUPT_RECORD", "{err:?}");
    let err = call(sync.block_root_at(JsValue::from_f64(empty as f64)))
        .await
        .unwrap_err();
    assert_eq!(get_str(&err, "code"), "CORRUPT_RECORD", "{err:?}");

    // 5. An anchor stored before `execution` and `payload` existed still loads, without them.
    drop(sync);
    strip_execution(&net.gvr, &root_of(&anchor_root)).await;
    let reopened = LightSync::create(options(false))
        .await
        .expect("old record loads");
    let status = reopened.status();
    assert_eq!(get_str(&get(&status, "anchor"), "blockRoot"), anchor_root);
    assert!(get(&get(&status, "anchor"), "execution").is_null());
    assert!(get(&get(&status, "anchor"), "payload").is_null());
    drop(reopened);
    IdbStore::delete_database(&net.gvr).await.unwrap();
}
