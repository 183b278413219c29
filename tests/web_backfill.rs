//! Browser test: backfill through the JS-facing `LightSync` API into real IndexedDB, against the
//! devnet that scripts/test-browser.sh starts (`LIGHTSYNC_DEVNET_URL` / `LIGHTSYNC_DEVNET_URLS`,
//! fixed at compile time).
//!
//! One flow, as a page would live it: a checkpoint sync (which records the anchor state's roots);
//! a backfill from one provider that withholds a block inside the anchor's `block_roots` window,
//! caught at its exact slot; a backfill over every provider aborted through its `AbortSignal`
//! after a few batches; the `LightSync` dropped (its IndexedDB connection closed); then a new
//! `LightSync` on the same database, paused and resumed, that finishes at genesis. The truth it
//! is checked against is the devnet's own answer to `GET /eth/v1/beacon/headers?slot=S`, which
//! lists the canonical block and any orphan at each slot: every stored header must be the
//! canonical one at its slot, every canonical block down to the cursor must be stored, and no
//! orphan may be.
#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use beacon_lightsync::backfill::load_known_roots;
use beacon_lightsync::beacon_api::{BeaconApi, FetchTransport, HttpBeaconApi, Transport};
use beacon_lightsync::js::LightSync;
use beacon_lightsync::store::{IdbStore, Store, StoreDump};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

mod web_common;
use web_common::{devnet_network, get, get_str, DevnetNetwork};

wasm_bindgen_test_configure!(run_in_browser);

type Root = [u8; 32];

fn devnet_urls() -> Vec<String> {
    option_env!("LIGHTSYNC_DEVNET_URLS")
        .or(option_env!("LIGHTSYNC_DEVNET_URL"))
        .expect(
            "LIGHTSYNC_DEVNET_URLS (or LIGHTSYNC_DEVNET_URL) must be set when compiling this test: run scripts/test-browser.sh",
        )
        .split(',')
        .map(String::from)
        .collect()
}

fn set(o: &Object, key: &str, value: impl Into<JsValue>) {
    Reflect::set(o, &key.into(), &value.into()).unwrap();
}

fn root_of(s: &str) -> Root {
    let bytes = hex::decode(s.trim_start_matches("0x")).expect("hex root");
    bytes.try_into().expect("32 bytes")
}

struct Net {
    config: JsValue,
    name: String,
    gvr: Root,
    checkpoint: String,
    /// Canonical block root by slot (empty slots absent), from the devnet.
    canonical: BTreeMap<u64, Root>,
    /// Roots of every orphaned block the devnet lists.
    orphans: Vec<Root>,
}

async fn devnet() -> Net {
    let url = devnet_urls()[0].clone();
    let DevnetNetwork {
        info,
        spec,
        config,
        gvr,
    } = devnet_network(&url).await;
    let checkpoint = info["checkpoint"]
        .as_str()
        .expect("the devnet has a finalized checkpoint")
        .to_string();
    let head = info["head_slot"].as_u64().expect("head slot");
    let name = spec["CONFIG_NAME"]
        .as_str()
        .expect("CONFIG_NAME")
        .to_string();
    // The devnet's view of every slot: the canonical block and the orphans.
    let t = FetchTransport::new(10_000, 6);
    let urls: Vec<String> = (0..=head)
        .map(|s| format!("{url}/eth/v1/beacon/headers?slot={s}"))
        .collect();
    let mut canonical = BTreeMap::new();
    let mut orphans = Vec::new();
    for (slot, answer) in (0..=head).zip(t.get_many(&urls, "application/json", 1 << 20).await) {
        let answer = answer.unwrap_or_else(|e| panic!("headers?slot={slot}: {e}"));
        assert_eq!(answer.status, 200, "headers?slot={slot}");
        let v: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
        for h in v["data"].as_array().expect("data array") {
            let root = root_of(h["root"].as_str().unwrap());
            if h["canonical"].as_bool() == Some(true) {
                assert!(canonical.insert(slot, root).is_none(), "slot {slot}");
            } else {
                orphans.push(root);
            }
        }
    }
    Net {
        config,
        name,
        gvr,
        checkpoint,
        canonical,
        orphans,
    }
}

fn options(net: &Net, urls: &[String], checkpoint: bool) -> JsValue {
    let o = Object::new();
    set(&o, "network", net.config.clone());
    let list: Array = urls.iter().map(|u| JsValue::from(u.as_str())).collect();
    set(&o, "beaconApiUrls", list);
    if checkpoint {
        set(&o, "checkpoint", net.checkpoint.as_str());
    }
    // Small batches, so an abort lands mid-way through the devnet's few hundred slots.
    let b = Object::new();
    set(&b, "batchSize", 16);
    set(&b, "concurrency", 4);
    set(&o, "backfill", b);
    o.into()
}

async fn dump(net: &Net) -> StoreDump {
    let store = IdbStore::open(&net.name, net.gvr).await.expect("open");
    store.dump().await.expect("dump")
}

/// The store holds exactly the canonical chain from the anchor block down to its cursor.
fn assert_canonical_prefix(net: &Net, d: &StoreDump, anchor_slot: u64) {
    let cursor = d.meta.backfill_cursor.expect("a backfill cursor");
    let expected: Vec<(u64, Root)> = net
        .canonical
        .range(cursor.oldest_slot..=anchor_slot)
        .map(|(s, r)| (*s, *r))
        .collect();
    let got: Vec<(u64, Root)> = d.headers.iter().map(|h| (h.slot, h.root)).collect();
    assert_eq!(
        got, expected,
        "stored headers = the devnet's canonical chain"
    );
    for h in &d.headers {
        assert!(
            !net.orphans.contains(&h.root),
            "orphan stored at {}",
            h.slot
        );
    }
    let oldest = d.headers.first().expect("headers");
    assert_eq!(cursor.oldest_slot, oldest.slot);
    assert_eq!(cursor.oldest_root, oldest.root);
    assert_eq!(cursor.oldest_parent_root, oldest.parent_root());
}

fn listener(log: &Rc<RefCell<Vec<JsValue>>>) -> Closure<dyn Fn(JsValue)> {
    let log = log.clone();
    Closure::new(move |e: JsValue| log.borrow_mut().push(e))
}

fn on(sync: &LightSync, event: &str, f: &Closure<dyn Fn(JsValue)>) {
    sync.on(
        JsValue::from(event).unchecked_into(),
        f.as_ref().clone().unchecked_into(),
    )
    .unwrap();
}

fn warning_codes(log: &Rc<RefCell<Vec<JsValue>>>) -> Vec<String> {
    log.borrow().iter().map(|w| get_str(w, "code")).collect()
}

async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let f: js_sys::Function = Reflect::get(&global, &"setTimeout".into())
            .unwrap()
            .unchecked_into();
        f.call2(&global, &resolve, &ms.into()).unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

/// `POST`/`DELETE` on the devnet's fault control endpoint of the first provider.
async fn fault_control(method: &str, query: &str) {
    let url = format!("{}/_devnet/faults{query}", devnet_urls()[0]);
    let req = match method {
        "POST" => gloo_net::http::Request::post(&url),
        _ => gloo_net::http::Request::delete(&url),
    };
    let resp = req.send().await.expect("fault control");
    assert_eq!(resp.status(), 200, "{method} {url}");
}

fn new_abort_controller() -> JsValue {
    let ctor = Reflect::get(&js_sys::global(), &"AbortController".into()).unwrap();
    let ctor: js_sys::Function = ctor.unchecked_into();
    Reflect::construct(&ctor, &Array::new()).unwrap()
}

#[wasm_bindgen_test]
async fn backfill_is_exact_interruptible_and_resumes_in_a_new_instance() {
    let urls = devnet_urls();
    assert!(urls.len() >= 2, "the browser devnet runs several providers");
    let net = devnet().await;
    IdbStore::delete_database(&net.gvr)
        .await
        .expect("clean start");
    assert!(
        !net.orphans.is_empty(),
        "the devnet chain has orphans (else 'no orphan stored' proves nothing)"
    );

    // 1. Checkpoint sync from the first provider; the anchor state's roots are kept with it.
    let sync = LightSync::create(options(&net, &urls[..1], true))
        .await
        .expect("create");
    let anchor = JsFuture::from(sync.start()).await.expect("checkpoint sync");
    let anchor_root = root_of(&get_str(&anchor, "blockRoot"));
    let anchor_state_slot: u64 = get_str(&anchor, "slot").parse().unwrap();
    let anchor_slot = *net
        .canonical
        .range(..=anchor_state_slot)
        .next_back()
        .unwrap()
        .0;
    assert_eq!(net.canonical[&anchor_slot], anchor_root);
    let roots = {
        let store = IdbStore::open(&net.name, net.gvr).await.unwrap();
        let a = store.active_anchor().await.unwrap().unwrap();
        load_known_roots(&store, &a)
            .await
            .unwrap()
            .expect("anchor roots in IndexedDB")
    };
    let n = roots.slots_per_historical_root;
    for slot in anchor_state_slot.saturating_sub(n)..anchor_state_slot {
        let latest = net.canonical.range(..=slot).next_back().unwrap().1;
        assert_eq!(roots.get_block_root_at_slot(slot), Some(*latest), "{slot}");
    }

    // 2. The only provider withholds a block inside the roots' window: the run stops at exactly
    // that slot (the recorded roots say the block is there), having stored everything above it.
    let victim = *net
        .canonical
        .range(anchor_state_slot - n / 2..anchor_slot)
        .next()
        .unwrap()
        .0;
    fault_control(
        "POST",
        &format!("?kind=withhold&path=/eth/v1/beacon/headers/*&slots={victim}-{victim}"),
    )
    .await;
    let err = JsFuture::from(sync.backfill(JsValue::UNDEFINED)).await;
    fault_control("DELETE", "").await;
    let err = err.expect_err("a withheld block stops the backfill");
    assert_eq!(get_str(&err, "code"), "BLOCK_WITHHELD", "{err:?}");
    let message = get_str(&err, "message");
    assert!(message.contains(&format!("at slot {victim}")), "{message}");
    let d = dump(&net).await;
    assert_canonical_prefix(&net, &d, anchor_slot);
    assert!(d.meta.backfill_cursor.unwrap().oldest_slot > victim);
    drop(sync);

    // 3. Every provider, aborted through the signal after a few batches.
    let sync = LightSync::create(options(&net, &urls, false))
        .await
        .expect("create");
    let warnings = Rc::new(RefCell::new(Vec::new()));
    let on_warning = listener(&warnings);
    on(&sync, "warning", &on_warning);
    let controller = new_abort_controller();
    let signal = get(&controller, "signal");
    let batches = Rc::new(Cell::new(0u32));
    let b = batches.clone();
    let c = controller.clone();
    let on_progress = Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| {
        if get_str(&e, "phase") == "backfill" {
            b.set(b.get() + 1);
            if b.get() == 3 {
                let abort: js_sys::Function = get(&c, "abort").unchecked_into();
                abort.call0(&c).unwrap();
            }
        }
    });
    on(&sync, "progress", &on_progress);
    let call = Object::new();
    set(&call, "targetSlot", "genesis");
    set(&call, "signal", signal);
    let err = JsFuture::from(sync.backfill(call.into()))
        .await
        .expect_err("aborted");
    assert_eq!(get_str(&err, "code"), "ABORTED", "{err:?}");
    let codes = warning_codes(&warnings);
    assert!(!codes.iter().any(|c| c == "NO_ANCHOR_ROOTS"), "{codes:?}");
    let mid = dump(&net).await;
    assert_canonical_prefix(&net, &mid, anchor_slot);
    let mid_cursor = mid.meta.backfill_cursor.unwrap();
    assert!(mid_cursor.oldest_slot > 0, "aborted before genesis");
    assert!(
        mid.headers.len() > d.headers.len(),
        "the aborted run stored something"
    );
    // The page goes away: the instance and its IndexedDB connection are dropped.
    drop(sync);
    drop(on_progress);

    // 4. A new instance on the same database: paused before it starts, nothing moves; resumed,
    // it finishes at genesis with exactly the canonical chain.
    let sync = LightSync::create(options(&net, &urls, false))
        .await
        .expect("reopen");
    let warnings = Rc::new(RefCell::new(Vec::new()));
    let on_warning2 = listener(&warnings);
    on(&sync, "warning", &on_warning2);
    sync.pause_backfill();
    let call = Object::new();
    set(&call, "targetSlot", "genesis");
    let running = JsFuture::from(sync.backfill(call.into()));
    let done = Rc::new(RefCell::new(None));
    let d2 = done.clone();
    wasm_bindgen_futures::spawn_local(async move {
        *d2.borrow_mut() = Some(running.await);
    });
    sleep(300).await;
    assert!(done.borrow().is_none(), "paused");
    assert_eq!(
        dump(&net).await.headers,
        mid.headers,
        "nothing stored while paused"
    );
    sync.resume_backfill();
    let summary = loop {
        if let Some(r) = done.borrow_mut().take() {
            break r.expect("resumed backfill finishes");
        }
        sleep(20).await;
    };
    let end = dump(&net).await;
    assert_canonical_prefix(&net, &end, anchor_slot);
    let cursor = end.meta.backfill_cursor.unwrap();
    assert_eq!(cursor.oldest_slot, 0, "down to genesis");
    assert_eq!(cursor.target_slot, 0);
    assert_eq!(
        cursor.oldest_parent_root, [0u8; 32],
        "genesis has no parent"
    );
    assert_eq!(
        end.headers.len(),
        net.canonical.range(..=anchor_slot).count(),
        "every canonical block, once"
    );
    let stored: f64 = get(&summary, "stored").as_f64().unwrap();
    assert_eq!(
        stored as usize,
        end.headers.len() - mid.headers.len(),
        "the new instance fetched only what was missing"
    );
    assert_eq!(get_str(&summary, "oldestSlot"), "0");
    let codes = warning_codes(&warnings);
    assert!(
        !codes
            .iter()
            .any(|c| c == "NO_ANCHOR_ROOTS" || c == "CHUNK_UNVERIFIED"),
        "{codes:?}"
    );
    drop(sync);

    IdbStore::delete_database(&net.gvr).await.expect("clean up");
}

/// The browser transport's per-request timeout still fires (its timer is a cleared-on-completion
/// `setTimeout`, not `AbortSignal.timeout`), a body cut short of its `Content-Length` (read with
/// one `arrayBuffer()`) is `TRUNCATED`, and once the faults are spent the same request succeeds.
#[wasm_bindgen_test]
async fn header_requests_time_out_and_truncated_bodies_are_reported() {
    let api = HttpBeaconApi::new(&devnet_urls()[0], FetchTransport::new(400, 1));
    fault_control("DELETE", "").await;
    let rule = "path=/eth/v1/beacon/headers/*&slots=3-3&count=1";
    fault_control("POST", &format!("?kind=no-response&hold_ms=3000&{rule}")).await;
    let t0 = js_sys::Date::now();
    let err = api.header_by_slot(3).await.unwrap_err();
    let ms = js_sys::Date::now() - t0;
    assert_eq!(err.code(), "TIMEOUT", "{err}");
    assert!((350.0..2500.0).contains(&ms), "timed out after {ms} ms");
    fault_control("POST", &format!("?kind=truncate&{rule}")).await;
    let err = api.header_by_slot(3).await.unwrap_err();
    assert_eq!(err.code(), "TRUNCATED", "{err}");
    api.header_by_slot(3).await.expect("the faults are spent");
    fault_control("DELETE", "").await;
}

/// Every provider answers 404 for the headers of slots 0..=100: the backfill to genesis rejects
/// with `BACKFILL_INCOMPLETE`, naming where the verified chain stops and the root it needs next,
/// and keeps exactly the canonical chain above it in IndexedDB.
#[wasm_bindgen_test]
async fn backfill_that_never_finds_genesis_rejects_with_where_it_stops() {
    const LAST: u64 = 100;
    let urls = devnet_urls();
    let net = devnet().await;
    IdbStore::delete_database(&net.gvr)
        .await
        .expect("clean start");
    let sync = LightSync::create(options(&net, &urls, true))
        .await
        .expect("create");
    let anchor = JsFuture::from(sync.start()).await.expect("checkpoint sync");
    let anchor_state_slot: u64 = get_str(&anchor, "slot").parse().unwrap();
    let anchor_slot = *net
        .canonical
        .range(..=anchor_state_slot)
        .next_back()
        .unwrap()
        .0;
    for p in 0..urls.len() {
        fault_control(
            "POST",
            &format!("?provider={p}&kind=withhold&path=/eth/v1/beacon/headers/*&slots=0-{LAST}"),
        )
        .await;
    }
    let call = Object::new();
    set(&call, "targetSlot", "genesis");
    let result = JsFuture::from(sync.backfill(call.into())).await;
    for p in 0..urls.len() {
        fault_control("DELETE", &format!("?provider={p}")).await;
    }
    let err = result.expect_err("genesis is never reached");
    assert_eq!(get_str(&err, "code"), "BACKFILL_INCOMPLETE", "{err:?}");
    let (&stop, _) = net.canonical.range(LAST + 1..).next().unwrap();
    let (_, parent) = net.canonical.range(..=LAST).next_back().unwrap();
    assert_eq!(get_str(&err, "oldestSlot"), stop.to_string());
    assert_eq!(get_str(&err, "targetSlot"), "0");
    assert_eq!(
        get_str(&err, "expectedRoot"),
        format!("0x{}", hex::encode(parent))
    );
    let message = get_str(&err, "message");
    assert!(message.contains(&hex::encode(parent)), "{message}");
    let d = dump(&net).await;
    assert_canonical_prefix(&net, &d, anchor_slot);
    assert_eq!(d.meta.backfill_cursor.unwrap().oldest_slot, stop);
    drop(sync);
    IdbStore::delete_database(&net.gvr).await.expect("clean up");
}
