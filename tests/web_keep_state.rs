//! Browser test: `keepState: true` keeps the verified anchor state in real IndexedDB, in chunks,
//! readable back with `stateBytes()` as bytes whose `hash_tree_root` is the anchor's state root;
//! a state that fails verification leaves no chunk behind and the kept state as it was; and an
//! anchor stored without the option drops it. Against the devnet of scripts/test-browser.sh
//! (three providers), faults set at run time through `/_devnet/faults`.
#![cfg(target_arch = "wasm32")]

use beacon_lightsync::js::{state_root, LightSync};
use beacon_lightsync::store::{IdbStore, Store};
use beacon_lightsync::types::hex0x;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

mod web_common;
use web_common::{devnet_network, get_str, DevnetNetwork};

wasm_bindgen_test_configure!(run_in_browser);

const STATE_PATH: &str = "/eth/v2/debug/beacon/states/*";

fn devnet_urls() -> Vec<String> {
    option_env!("LIGHTSYNC_DEVNET_URLS")
        .expect("LIGHTSYNC_DEVNET_URLS must be set when compiling this test: run scripts/test-browser.sh")
        .split(',')
        .map(str::to_string)
        .collect()
}

/// Sets (`POST`) or clears (`DELETE`) a fault on every provider.
async fn faults_everywhere(method: &str, query: &str) {
    let urls = devnet_urls();
    for provider in 0..urls.len() {
        let url = format!("{}/_devnet/faults?provider={provider}{query}", urls[0]);
        let req = match method {
            "POST" => gloo_net::http::Request::post(&url),
            _ => gloo_net::http::Request::delete(&url),
        };
        let resp = req.send().await.expect("fault control");
        assert_eq!(resp.status(), 200, "{method} {url}");
    }
}

/// A `LightSync` on every provider at the devnet's checkpoint, keeping the state or not.
async fn sync(net: &DevnetNetwork, keep: bool) -> LightSync {
    let o = Object::new();
    Reflect::set(&o, &"network".into(), &net.config).unwrap();
    let list: Array = devnet_urls()
        .iter()
        .map(|u| JsValue::from(u.as_str()))
        .collect();
    Reflect::set(&o, &"beaconApiUrls".into(), &list).unwrap();
    let cp = net.info["checkpoint"].as_str().expect("checkpoint");
    Reflect::set(&o, &"checkpoint".into(), &cp.into()).unwrap();
    Reflect::set(&o, &"keepState".into(), &keep.into()).unwrap();
    LightSync::create(o.into()).await.expect("create")
}

async fn state_bytes(sync: &LightSync) -> JsValue {
    JsFuture::from(sync.state_bytes())
        .await
        .expect("stateBytes")
}

#[wasm_bindgen_test]
async fn keep_state_keeps_the_verified_state_and_nothing_unverified() {
    let net = devnet_network(&devnet_urls()[0]).await;
    let network = get_str(&net.config, "CONFIG_NAME");
    IdbStore::delete_database(&net.gvr)
        .await
        .expect("clean start");
    faults_everywhere("DELETE", "").await;

    // Every provider serves a state that does not hash to its header's root: start() fails,
    // and no chunk of what was downloaded stays.
    faults_everywhere("POST", &format!("&kind=flip-state&path={STATE_PATH}")).await;
    let failing = sync(&net, true).await;
    let err = JsFuture::from(failing.start())
        .await
        .expect_err("a flipped state fails");
    assert_eq!(get_str(&err, "code"), "STATE_ROOT_MISMATCH");
    faults_everywhere("DELETE", "").await;
    {
        let store = IdbStore::open(&network, net.gvr).await.expect("open");
        assert_eq!(store.kept_state().await.unwrap(), None);
        assert_eq!(store.state_chunk(1, 0).await.unwrap(), None);
    }
    assert!(state_bytes(&failing).await.is_null());

    // A verified anchor: its state is kept, and reads back as bytes of the anchor's state root.
    let keeping = sync(&net, true).await;
    let anchor = JsFuture::from(keeping.start()).await.expect("start");
    let bytes: Uint8Array = state_bytes(&keeping)
        .await
        .dyn_into()
        .expect("a Uint8Array");
    let root = state_root(&bytes.to_vec(), &get_str(&anchor, "fork"), "minimal").expect("root");
    assert_eq!(root, get_str(&anchor, "stateRoot"));
    let kept = {
        let store = IdbStore::open(&network, net.gvr).await.expect("open");
        let kept = store.kept_state().await.unwrap().expect("a kept state");
        assert_eq!(kept.length, u64::from(bytes.length()));
        assert_eq!(hex0x(&kept.state_root), get_str(&anchor, "stateRoot"));
        assert_eq!(hex0x(&kept.block_root), get_str(&anchor, "blockRoot"));
        kept
    };

    // A later failure keeps the kept state whole and leaves none of its own chunks.
    faults_everywhere("POST", &format!("&kind=flip-state&path={STATE_PATH}")).await;
    let err = JsFuture::from(sync(&net, true).await.start())
        .await
        .expect_err("a flipped state fails");
    assert_eq!(get_str(&err, "code"), "STATE_ROOT_MISMATCH");
    faults_everywhere("DELETE", "").await;
    {
        let store = IdbStore::open(&network, net.gvr).await.expect("open");
        assert_eq!(store.kept_state().await.unwrap(), Some(kept));
        assert_eq!(store.state_chunk(kept.id + 1, 0).await.unwrap(), None);
    }
    let again: Uint8Array = state_bytes(&keeping)
        .await
        .dyn_into()
        .expect("a Uint8Array");
    assert_eq!(again.to_vec(), bytes.to_vec());

    // The anchor stored again without the option: the kept state is dropped with its chunks.
    JsFuture::from(sync(&net, false).await.start())
        .await
        .expect("start");
    assert!(state_bytes(&keeping).await.is_null());
    let store = IdbStore::open(&network, net.gvr).await.expect("open");
    assert_eq!(store.kept_state().await.unwrap(), None);
    assert_eq!(store.state_chunk(kept.id, 0).await.unwrap(), None);
}
