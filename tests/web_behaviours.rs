//! Browser test: real-node behaviours that only a browser sees. A node whose
//! `Access-Control-Expose-Headers` lists only the response's `Eth-*` headers (`expose=eth`)
//! hides every other non-safelisted header from `fetch` (here `Retry-After`); checkpoint sync
//! and backfill through the JS-facing `LightSync` API into real IndexedDB must still work
//! against it. The devnet is the one scripts/test-browser.sh starts with `--behave 0:expose=eth`
//! (`LIGHTSYNC_DEVNET_BEHAVE_URL`, fixed at compile time).
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use beacon_lightsync::beacon_api::{FetchTransport, Transport};
use beacon_lightsync::js::LightSync;
use beacon_lightsync::store::{IdbStore, Store};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

mod web_common;
use web_common::{devnet_network, get_str, DevnetNetwork};

wasm_bindgen_test_configure!(run_in_browser);

fn behave_url() -> String {
    option_env!("LIGHTSYNC_DEVNET_BEHAVE_URL")
        .expect("LIGHTSYNC_DEVNET_BEHAVE_URL must be set when compiling this test: run scripts/test-browser.sh")
        .to_string()
}

fn set(o: &Object, key: &str, value: impl Into<JsValue>) {
    Reflect::set(o, &key.into(), &value.into()).unwrap();
}

#[wasm_bindgen_test]
async fn expose_eth_only_still_syncs_and_backfills() {
    let url = behave_url();
    let DevnetNetwork {
        info,
        spec,
        config,
        gvr,
    } = devnet_network(&url).await;
    let name = spec["CONFIG_NAME"]
        .as_str()
        .expect("CONFIG_NAME")
        .to_string();
    IdbStore::delete_database(&gvr).await.expect("clean start");

    // The behaviour is in force: `Eth-Consensus-Version` is readable, the devnet's other exposed
    // header (`Retry-After`, sent with a 503) is not.
    let resp = gloo_net::http::Request::get(&format!("{url}/eth/v2/debug/beacon/states/finalized"))
        .header("Accept", "application/octet-stream")
        .send()
        .await
        .expect("state");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("eth-consensus-version").is_some());
    let fault = format!("{url}/_devnet/faults?kind=status&code=503&retry_after=7&count=1");
    let r = gloo_net::http::Request::post(&fault).send().await.unwrap();
    assert_eq!(r.status(), 200, "fault control");
    let refused = FetchTransport::default()
        .get(
            &format!("{url}/eth/v1/beacon/genesis"),
            "application/json",
            1 << 20,
        )
        .await
        .expect("an answer");
    assert_eq!(refused.status, 503);
    assert!(
        !refused
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("retry-after")),
        "Retry-After is hidden: {:?}",
        refused.headers
    );

    let o = Object::new();
    set(&o, "network", config);
    let list: Array = [JsValue::from(url.as_str())].into_iter().collect();
    set(&o, "beaconApiUrls", list);
    let checkpoint = info["checkpoint"].as_str().expect("a finalized checkpoint");
    set(&o, "checkpoint", checkpoint);
    let sync = LightSync::create(o.into()).await.expect("create");
    let progress = Rc::new(RefCell::new(Vec::<JsValue>::new()));
    let log = progress.clone();
    let on_progress = Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| log.borrow_mut().push(e));
    sync.on(
        JsValue::from("progress").unchecked_into(),
        on_progress.as_ref().clone().unchecked_into(),
    )
    .unwrap();
    let anchor = JsFuture::from(sync.start()).await.expect("checkpoint sync");
    let call = Object::new();
    set(&call, "targetSlot", "genesis");
    JsFuture::from(sync.backfill(call.into()))
        .await
        .expect("backfill to genesis");
    assert!(
        checkpoint.starts_with(&get_str(&anchor, "blockRoot")),
        "{anchor:?}"
    );
    let store = IdbStore::open(&name, gvr).await.expect("open");
    let dump = store.dump().await.expect("dump");
    assert_eq!(dump.meta.backfill_cursor.expect("cursor").oldest_slot, 0);
    assert!(progress
        .borrow()
        .iter()
        .any(|e| get_str(e, "phase") == "backfill"));
}
