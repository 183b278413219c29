//! Helpers shared by the browser tests that run against the devnet scripts/test-browser.sh starts:
//! reading fields of JS values, and the devnet's network as `LightSync`'s `network` option takes
//! it. Included with `mod web_common;` by files that are `#![cfg(target_arch = "wasm32")]`.
#![allow(dead_code)] // each test file uses its own subset

use beacon_lightsync::beacon_api::{BeaconApi, FetchTransport, HttpBeaconApi, Transport};
use js_sys::Reflect;
use wasm_bindgen::JsValue;

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
