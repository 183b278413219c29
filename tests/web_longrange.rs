//! Browser test: the long-range modes through the JS `LightSync` API with real IndexedDB. A
//! genesis anchor is stored while the wall clock says the chain is young; then the `now` option
//! moves the clock past its weak-subjectivity period: `strict` refuses and leaves the database
//! byte-for-byte as it was, `lenient` warns and keeps the anchor marked stale, `light` rebuilds a
//! `light-client` anchor that the devnet's own headers link back to the old one.
//!
//! The devnet: `LIGHTSYNC_DEVNET_LIGHT_URL` (else `LIGHTSYNC_DEVNET_URL`), fixed at compile time.
//! The rebuild ends at the newest light-client update's finalized block, whose state the devnet
//! serves only when that block is its finalized checkpoint: a chain whose last slot closes a
//! sync-committee period, e.g. `lightsync devnet --port 0 --providers 1 --validators 512
//! --slots 255 --preset minimal --seed 7`.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use beacon_lightsync::beacon_api::{BeaconApi, FetchTransport, HttpBeaconApi, Transport};
use beacon_lightsync::checkpoint::network_from_spec;
use beacon_lightsync::js::LightSync;
use beacon_lightsync::store::{IdbStore, Store, StoreDump};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn devnet_url() -> &'static str {
    option_env!("LIGHTSYNC_DEVNET_LIGHT_URL")
        .or(option_env!("LIGHTSYNC_DEVNET_URL"))
        .expect(
            "LIGHTSYNC_DEVNET_LIGHT_URL or LIGHTSYNC_DEVNET_URL must be set when compiling this test (a devnet on 127.0.0.1)",
        )
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn get_str(v: &JsValue, key: &str) -> String {
    get(v, key)
        .as_string()
        .unwrap_or_else(|| panic!("{key}: expected a string in {v:?}"))
}

fn hex0x(b: &[u8]) -> String {
    format!("0x{}", hex::encode(b))
}

struct Net {
    config: JsValue,
    name: String,
    gvr: [u8; 32],
    genesis_time: u64,
    slots_per_epoch: u64,
    seconds_per_slot: u64,
    genesis_root: [u8; 32],
    finalized_root: String,
}

async fn devnet() -> Net {
    let url = devnet_url();
    let info = FetchTransport::default()
        .get(&format!("{url}/_devnet/info"), "application/json")
        .await
        .expect("devnet info");
    let info: serde_json::Value = serde_json::from_slice(&info.body).expect("info JSON");
    let api = HttpBeaconApi::new(url, FetchTransport::default());
    let genesis = api.genesis().await.expect("genesis");
    let mut spec = api.spec().await.expect("spec");
    let network = network_from_spec(&spec, Some(genesis.genesis_validators_root)).expect("spec");
    spec.insert(
        "GENESIS_VALIDATORS_ROOT".into(),
        hex0x(&genesis.genesis_validators_root).into(),
    );
    let genesis_header = api
        .header("genesis")
        .await
        .expect("genesis header")
        .expect("genesis block");
    Net {
        config: js_sys::JSON::parse(&serde_json::to_string(&spec).unwrap()).unwrap(),
        name: network.name.clone(),
        gvr: genesis.genesis_validators_root,
        genesis_time: network.genesis_time,
        slots_per_epoch: network.slots_per_epoch(),
        seconds_per_slot: network.seconds_per_slot,
        genesis_root: genesis_header.root,
        finalized_root: info["finalized_root"]
            .as_str()
            .expect("finalized")
            .to_string(),
    }
}

fn options(net: &Net, pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    Reflect::set(&o, &"network".into(), &net.config).unwrap();
    let urls = js_sys::Array::of1(&devnet_url().into());
    Reflect::set(&o, &"beaconApiUrls".into(), &urls).unwrap();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

async fn dump(net: &Net) -> StoreDump {
    let store = IdbStore::open(&net.name, net.gvr).await.expect("open");
    store.dump().await.expect("dump")
}

/// Collects the events of one kind.
fn record(sync: &LightSync, event: &str) -> (Rc<RefCell<Vec<JsValue>>>, Closure<dyn Fn(JsValue)>) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    let cb = Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| s.borrow_mut().push(e));
    sync.on(
        JsValue::from(event).unchecked_into(),
        cb.as_ref().clone().unchecked_into(),
    )
    .unwrap();
    (seen, cb)
}

#[wasm_bindgen_test]
async fn stale_anchor_strict_lenient_and_light() {
    let net = devnet().await;
    IdbStore::delete_database(&net.gvr)
        .await
        .expect("clean start");

    // The old anchor: the genesis block, stored while the chain is young.
    let genesis_root = hex0x(&net.genesis_root);
    let sync = LightSync::create(options(
        &net,
        &[("trustedBlockRoot", genesis_root.clone().into())],
    ))
    .await
    .expect("create");
    let old = JsFuture::from(sync.start()).await.expect("genesis anchor");
    assert_eq!(get_str(&old, "blockRoot"), genesis_root);
    let period: u64 = get_str(&old, "wsPeriodEpochs").parse().unwrap();
    let stale_epoch = period + 1;
    let now = net.genesis_time + stale_epoch * net.slots_per_epoch * net.seconds_per_slot;
    let stale_now = || JsValue::from(now as f64);

    // strict (the default): WS_STALE with the numbers, database unchanged.
    let before = dump(&net).await;
    let strict = LightSync::create(options(&net, &[("now", stale_now())]))
        .await
        .unwrap();
    let err = JsFuture::from(strict.start())
        .await
        .expect_err("strict refuses");
    assert_eq!(get_str(&err, "code"), "WS_STALE");
    assert_eq!(get_str(&err, "actual"), stale_epoch.to_string());
    assert_eq!(
        get_str(&err, "expected"),
        format!("current epoch <= {period}")
    );
    assert_eq!(dump(&net).await, before);

    // lenient: a warning, the anchor kept and marked stale.
    let lenient = LightSync::create(options(
        &net,
        &[("now", stale_now()), ("longRange", "lenient".into())],
    ))
    .await
    .unwrap();
    let (warnings, _w) = record(&lenient, "warning");
    let kept = JsFuture::from(lenient.start())
        .await
        .expect("lenient follows");
    assert_eq!(get_str(&kept, "blockRoot"), genesis_root);
    assert_eq!(get(&kept, "stale").as_bool(), Some(true));
    let codes: Vec<String> = warnings
        .borrow()
        .iter()
        .map(|w| get_str(w, "code"))
        .collect();
    assert!(codes.iter().any(|c| c == "WS_STALE_LENIENT"), "{codes:?}");

    // light: a new light-client anchor at the devnet's finalized block, with progress per step.
    let light = LightSync::create(options(
        &net,
        &[("now", stale_now()), ("longRange", "light".into())],
    ))
    .await
    .unwrap();
    let (progress, _p) = record(&light, "progress");
    let new = JsFuture::from(light.start()).await.expect("light rebuilds");
    assert_eq!(get_str(&new, "trust"), "light-client");
    assert_eq!(get_str(&new, "blockRoot"), net.finalized_root);
    assert_eq!(get(&new, "stale").as_bool(), Some(false));
    let phases: Vec<String> = progress
        .borrow()
        .iter()
        .map(|e| get_str(e, "phase"))
        .collect();
    for phase in [
        "light-committees",
        "light-updates",
        "light-finality",
        "light-headers",
        "light-state",
        "light-store",
        "download",
        "hash",
    ] {
        assert!(phases.iter().any(|p| p == phase), "{phase} in {phases:?}");
    }

    // Stored in IndexedDB: the new anchor active, the old one kept.
    let after = dump(&net).await;
    let active = after.meta.active_anchor.expect("active anchor");
    assert_eq!(hex0x(&active), net.finalized_root);
    assert_eq!(after.anchors.len(), 2);
    assert!(after
        .anchors
        .iter()
        .any(|a| a.block_root == net.genesis_root));

    // The provider's own headers link the new anchor back to the old one by parent roots.
    let api = HttpBeaconApi::new(devnet_url(), FetchTransport::default());
    let mut root = active;
    let mut steps = 0;
    while root != net.genesis_root {
        let h = api
            .header_by_root(&root)
            .await
            .expect("header")
            .expect("known header");
        assert!(h.header.slot > 0, "walked past genesis without meeting it");
        root = h.header.parent_root.0;
        steps += 1;
    }
    assert!(steps > 0);

    IdbStore::delete_database(&net.gvr).await.expect("clean up");
}
