//! Helpers shared by the browser tests that run against the devnet scripts/test-browser.sh starts:
//! reading fields of JS values, the devnet's network as `LightSync`'s `network` option takes it,
//! the devnet's control endpoint, timers, and recording a `LightSync`'s events. Included with `mod web_common;` by files that are `#![cfg(target_arch = "wasm32")]`.
#![allow(dead_code)] // each test file uses its own subset

use std::cell::RefCell;
use std::rc::Rc;

use beacon_lightsync::beacon_api::{BeaconApi, FetchTransport, HttpBeaconApi, Transport};
use beacon_lightsync::js::LightSync;
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// `v[key]`, `undefined` when absent.
pub fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// `v[key]` as a string; panics, naming the key, when it is not one.
pub fn get_str(v: &JsValue, key: &str) -> String {
    get(v, key)
        .as_string()
        .unwrap_or_else(|| panic!("{key}: expected a string in {v:?}"))
}

/// What a browser test learns from the devnet before it syncs.
pub struct DevnetNetwork {
    /// The devnet's own description (`GET /_devnet/info`): checkpoint, head slot, finalized root…
    pub info: serde_json::Value,
    /// `GET /eth/v1/config/spec` as served.
    pub spec: serde_json::Map<String, serde_json::Value>,
    /// The spec plus `GENESIS_VALIDATORS_ROOT` (from `GET /eth/v1/beacon/genesis`) as a JS
    /// object: the `network` option of `LightSync.create`.
    pub config: JsValue,
    /// The genesis validators root.
    pub gvr: [u8; 32],
}

/// Reads the devnet at `url` (its info, genesis and spec) over the browser's fetch.
pub async fn devnet_network(url: &str) -> DevnetNetwork {
    let info = FetchTransport::default()
        .get(&format!("{url}/_devnet/info"), "application/json", 1 << 20)
        .await
        .expect("devnet info");
    let info: serde_json::Value = serde_json::from_slice(&info.body).expect("info JSON");
    let api = HttpBeaconApi::new(url, FetchTransport::default());
    let gvr = api
        .genesis()
        .await
        .expect("genesis")
        .genesis_validators_root;
    let spec = api.spec().await.expect("spec");
    let mut with_gvr = spec.clone();
    with_gvr.insert(
        "GENESIS_VALIDATORS_ROOT".into(),
        format!("0x{}", hex::encode(gvr)).into(),
    );
    let config = js_sys::JSON::parse(&serde_json::to_string(&with_gvr).unwrap()).unwrap();
    DevnetNetwork {
        info,
        spec,
        config,
        gvr,
    }
}

/// Resolves after `ms` milliseconds.
pub async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout: js_sys::Function = get(&global, "setTimeout").unchecked_into();
        set_timeout
            .call2(&global, &resolve, &JsValue::from(ms))
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

/// Waits (up to 30 s) until `done()`.
pub async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..1500 {
        if done() {
            return;
        }
        sleep_ms(20).await;
    }
    panic!("timed out waiting for {what}");
}

/// POSTs `path_and_query` to the devnet's control endpoint at `url` (a simple request: no
/// preflight) and expects a 200.
pub async fn control(url: &str, path_and_query: &str) {
    let global = js_sys::global();
    let fetch: js_sys::Function = get(&global, "fetch").unchecked_into();
    let init = Object::new();
    Reflect::set(&init, &"method".into(), &"POST".into()).unwrap();
    let target = format!("{url}{path_and_query}");
    let promise: js_sys::Promise = fetch
        .call2(&global, &target.into(), &init)
        .unwrap()
        .unchecked_into();
    let response = JsFuture::from(promise).await.expect("control request");
    assert_eq!(
        get(&response, "status").as_f64(),
        Some(200.0),
        "{url}{path_and_query}"
    );
}

/// A new `AbortController` (through the global constructor).
pub fn abort_controller() -> JsValue {
    let ctor: js_sys::Function = get(&js_sys::global(), "AbortController").unchecked_into();
    Reflect::construct(&ctor, &js_sys::Array::new()).unwrap()
}

/// The events of one kind, in order.
pub type Recorded = Rc<RefCell<Vec<JsValue>>>;

/// Collects the events of one kind (keep the closure alive as long as they are wanted).
pub fn record(sync: &LightSync, event: &str) -> (Recorded, Closure<dyn Fn(JsValue)>) {
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
