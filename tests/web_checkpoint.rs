//! Browser test: a checkpoint sync through the JS-facing `LightSync` API into real IndexedDB,
//! against a devnet on 127.0.0.1 whose URL is fixed at compile time (`LIGHTSYNC_DEVNET_URL`, set
//! by scripts/test-browser.sh after starting `lightsync devnet`).
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use beacon_lightsync::js::LightSync;
use beacon_lightsync::store::{IdbStore, Store, StoreDump};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

mod web_common;
use web_common::{devnet_network, get, get_str};

wasm_bindgen_test_configure!(run_in_browser);

fn devnet_url() -> &'static str {
    option_env!("LIGHTSYNC_DEVNET_URL").expect(
        "LIGHTSYNC_DEVNET_URL must be set when compiling this test (a devnet on 127.0.0.1, e.g. `lightsync devnet --port 5052`)",
    )
}

/// The devnet's checkpoint, network config (as a JS object) and genesis validators root.
async fn devnet() -> (String, JsValue, [u8; 32]) {
    let net = devnet_network(devnet_url()).await;
    let checkpoint = net.info["checkpoint"]
        .as_str()
        .expect("devnet has a finalized checkpoint")
        .to_string();
    (checkpoint, net.config, net.gvr)
}

fn options(config: &JsValue, key: &str, value: &str) -> JsValue {
    let o = Object::new();
    Reflect::set(&o, &"network".into(), config).unwrap();
    let urls = js_sys::Array::of1(&devnet_url().into());
    Reflect::set(&o, &"beaconApiUrls".into(), &urls).unwrap();
    if !key.is_empty() {
        Reflect::set(&o, &key.into(), &value.into()).unwrap();
    }
    o.into()
}

async fn dump(network: &str, gvr: [u8; 32]) -> StoreDump {
    let store = IdbStore::open(network, gvr).await.expect("open");
    store.dump().await.expect("dump")
}

async fn start_error(sync: &LightSync) -> String {
    let err = JsFuture::from(sync.start())
        .await
        .expect_err("start must fail");
    assert_eq!(get_str(&err, "name"), "LightSyncError");
    get_str(&err, "code")
}

#[wasm_bindgen_test]
async fn checkpoint_sync_into_indexeddb_and_reopen() {
    let (checkpoint, config, gvr) = devnet().await;
    let network = get_str(&config, "CONFIG_NAME");
    IdbStore::delete_database(&gvr).await.expect("clean start");
    let (root, epoch) = checkpoint.split_once(':').unwrap();

    // A good sync through the JS API, with events.
    let sync = LightSync::create(options(&config, "checkpoint", &checkpoint))
        .await
        .expect("create");
    let progress = Rc::new(RefCell::new(Vec::<JsValue>::new()));
    let statuses = Rc::new(RefCell::new(Vec::<String>::new()));
    let p = progress.clone();
    let on_progress = Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| p.borrow_mut().push(e));
    let s = statuses.clone();
    let on_status =
        Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| s.borrow_mut().push(get_str(&e, "mode")));
    sync.on(
        JsValue::from("progress").unchecked_into(),
        on_progress.as_ref().clone().unchecked_into(),
    )
    .unwrap();
    sync.on(
        JsValue::from("status").unchecked_into(),
        on_status.as_ref().clone().unchecked_into(),
    )
    .unwrap();
    let anchor = JsFuture::from(sync.start()).await.expect("start");
    assert_eq!(get_str(&anchor, "blockRoot"), root);
    assert_eq!(get_str(&anchor, "epoch"), epoch);
    assert_eq!(get_str(&anchor, "trust"), "checkpoint");
    assert_eq!(get(&anchor, "stale").as_bool(), Some(false));
    assert_eq!(*statuses.borrow(), vec!["syncing", "synced"]);
    let phases: Vec<String> = progress
        .borrow()
        .iter()
        .map(|e| get_str(e, "phase"))
        .collect();
    for phase in ["download", "hash", "store"] {
        assert!(phases.iter().any(|p| p == phase), "{phase} in {phases:?}");
    }
    // The state was hashed while it downloaded, and each hash event says by how many workers
    // (here the test runner serves no hash-worker.js, so the main thread takes over if needed).
    let hash_workers: Vec<Option<f64>> = progress
        .borrow()
        .iter()
        .filter(|e| get_str(e, "phase") == "hash")
        .map(|e| get(e, "workers").as_f64())
        .collect();
    assert!(
        !hash_workers.is_empty() && hash_workers.iter().all(Option::is_some),
        "hash events carry workers: {hash_workers:?}"
    );
    let status = sync.status();
    assert_eq!(get_str(&status, "mode"), "synced");
    assert_eq!(get(&get(&status, "ws"), "stale").as_bool(), Some(false));

    // A new LightSync on the same database finds the anchor.
    let again = LightSync::create(options(&config, "", ""))
        .await
        .expect("reopen");
    let status = again.status();
    assert_eq!(get_str(&get(&status, "anchor"), "blockRoot"), root);
    let anchors = JsFuture::from(again.anchors()).await.unwrap();
    assert_eq!(js_sys::Array::from(&anchors).length(), 1);
    let resumed = JsFuture::from(again.start()).await.expect("resume");
    assert_eq!(get_str(&resumed, "blockRoot"), root);

    // Failures leave the database exactly as it was.
    let before = dump(&network, gvr).await;
    let unknown = format!("0x{}", "11".repeat(32));
    let bad = LightSync::create(options(&config, "trustedBlockRoot", &unknown))
        .await
        .unwrap();
    assert_eq!(start_error(&bad).await, "HEADER_NOT_FOUND");
    let early = format!("{root}:{}", epoch.parse::<u64>().unwrap() - 1);
    let bad = LightSync::create(options(&config, "checkpoint", &early))
        .await
        .unwrap();
    assert_eq!(start_error(&bad).await, "INVALID_CHECKPOINT");
    assert_eq!(dump(&network, gvr).await, before);

    // Invalid options are typed errors too.
    let err = LightSync::create(options(&config, "checkpoint", "0x12:3"))
        .await
        .err()
        .expect("bad checkpoint string");
    assert_eq!(get_str(&err, "code"), "INVALID_CHECKPOINT");

    IdbStore::delete_database(&gvr).await.expect("clean up");
}

#[wasm_bindgen_test]
fn state_root_and_version_exports() {
    assert_eq!(beacon_lightsync::js::version(), env!("CARGO_PKG_VERSION"));
    let err = beacon_lightsync::js::state_root(&[0u8; 10], "electra", "mainnet").unwrap_err();
    assert_eq!(get_str(&err, "code"), "DECODE");
    let err = beacon_lightsync::js::state_root(&[], "gloas9", "mainnet").unwrap_err();
    assert_eq!(get_str(&err, "code"), "INVALID_ARGUMENT");
}
