//! Browser test: hostile providers cannot hang `start()`. A first provider that claims a 2 GiB
//! state or trickles it is dropped with a typed error and the anchor comes from an honest one;
//! with hostile providers only, `start()` settles with `BODY_TOO_LARGE` / `TOO_SLOW` and the
//! instance is not left `syncing`; and a panic inside a running `start()` settles it with
//! `INTERNAL`, after which the same instance starts again. Against the devnet of
//! scripts/test-browser.sh (three providers), faults set at run time through `/_devnet/faults`.
#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use beacon_lightsync::js::LightSync;
use beacon_lightsync::store::IdbStore;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

mod web_common;
use web_common::{devnet_network, get, get_str};

wasm_bindgen_test_configure!(run_in_browser);

const STATE_PATH: &str = "/eth/v2/debug/beacon/states/*";

fn devnet_urls() -> Vec<String> {
    option_env!("LIGHTSYNC_DEVNET_URLS")
        .expect("LIGHTSYNC_DEVNET_URLS must be set when compiling this test: run scripts/test-browser.sh")
        .split(',')
        .map(str::to_string)
        .collect()
}

/// `method` on provider `provider`'s fault control endpoint (`query` without the provider).
async fn faults(method: &str, provider: usize, query: &str) {
    let url = format!(
        "{}/_devnet/faults?provider={provider}{query}",
        devnet_urls()[0]
    );
    let req = match method {
        "POST" => gloo_net::http::Request::post(&url),
        _ => gloo_net::http::Request::delete(&url),
    };
    let resp = req.send().await.expect("fault control");
    assert_eq!(resp.status(), 200, "{method} {url}");
}

async fn clear_faults() {
    for i in 0..3 {
        faults("DELETE", i, "").await;
    }
}

/// A `LightSync` on the devnet's three providers at its checkpoint, on an empty database, with
/// a state-download pace that ends a trickle within about a second, hashing on this thread.
async fn fresh_sync() -> (LightSync, Rc<RefCell<Vec<JsValue>>>) {
    let urls = devnet_urls();
    let net = devnet_network(&urls[0]).await;
    IdbStore::delete_database(&net.gvr)
        .await
        .expect("clean start");
    let o = Object::new();
    Reflect::set(&o, &"network".into(), &net.config).unwrap();
    let list: Array = urls.iter().map(|u| JsValue::from(u.as_str())).collect();
    Reflect::set(&o, &"beaconApiUrls".into(), &list).unwrap();
    let cp = net.info["checkpoint"].as_str().expect("checkpoint");
    Reflect::set(&o, &"checkpoint".into(), &cp.into()).unwrap();
    Reflect::set(&o, &"hashWorkers".into(), &0.into()).unwrap();
    let pace = Object::new();
    for (k, v) in [
        ("deadlineMs", 5_000),
        ("minBytesPerSecond", 64 << 10),
        ("windowMs", 500),
        ("graceMs", 500),
    ] {
        Reflect::set(&pace, &k.into(), &v.into()).unwrap();
    }
    Reflect::set(&o, &"stateDownload".into(), &pace).unwrap();
    let sync = LightSync::create(o.into()).await.expect("create");
    let warnings = Rc::new(RefCell::new(Vec::new()));
    let w = warnings.clone();
    let on_warning = Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| w.borrow_mut().push(e));
    sync.on(
        JsValue::from("warning").unchecked_into(),
        on_warning.as_ref().clone().unchecked_into(),
    )
    .unwrap();
    on_warning.forget();
    (sync, warnings)
}

fn mode(sync: &LightSync) -> String {
    get_str(&sync.status(), "mode")
}

#[wasm_bindgen_test]
async fn a_hostile_first_provider_is_dropped_and_an_honest_one_serves() {
    let urls = devnet_urls();
    for (fault, code) in [
        (
            "kind=claim-length&length=2147483648&hold_ms=60000",
            "BODY_TOO_LARGE",
        ),
        (
            "kind=claim-length&length=4294967296&hold_ms=60000",
            "BODY_TOO_LARGE",
        ),
        ("kind=trickle&chunk=64&delay_ms=20", "TOO_SLOW"),
    ] {
        clear_faults().await;
        faults("POST", 0, &format!("&{fault}&path={STATE_PATH}")).await;
        let (sync, warnings) = fresh_sync().await;
        let anchor = JsFuture::from(sync.start())
            .await
            .unwrap_or_else(|e| panic!("{fault}: start failed: {}", get_str(&e, "message")));
        let providers: Vec<String> = Array::from(&get(&anchor, "providers"))
            .iter()
            .map(|p| p.as_string().unwrap())
            .collect();
        assert_eq!(providers, vec![urls[1].clone()], "{fault}");
        let failed = warnings
            .borrow()
            .iter()
            .map(|w| get_str(w, "message"))
            .find(|m| m.starts_with(&urls[0]))
            .unwrap_or_else(|| panic!("{fault}: no warning about the first provider"));
        assert!(failed.contains(code), "{fault}: {failed}");
        assert_eq!(mode(&sync), "synced");
    }
    clear_faults().await;
}

#[wasm_bindgen_test]
async fn hostile_providers_only_settle_with_a_typed_error_and_the_instance_starts_again() {
    for (fault, code) in [
        ("kind=claim-length&hold_ms=60000", "BODY_TOO_LARGE"),
        ("kind=trickle&chunk=64&delay_ms=20", "TOO_SLOW"),
    ] {
        clear_faults().await;
        for i in 0..3 {
            faults("POST", i, &format!("&{fault}&path={STATE_PATH}")).await;
        }
        let (sync, _) = fresh_sync().await;
        let err = JsFuture::from(sync.start())
            .await
            .expect_err("hostile providers only");
        assert_eq!(get_str(&err, "name"), "LightSyncError");
        assert_eq!(get_str(&err, "code"), code, "{}", get_str(&err, "message"));
        assert_eq!(mode(&sync), "error");
        // Not stuck: once the providers behave, the same instance syncs.
        clear_faults().await;
        JsFuture::from(sync.start()).await.expect("second start");
        assert_eq!(mode(&sync), "synced");
    }
}

#[wasm_bindgen_test]
async fn a_panic_inside_start_settles_it_with_internal_and_start_works_again() {
    clear_faults().await;
    let (sync, _) = fresh_sync().await;
    // A progress listener that panics once: the panic happens inside the running start().
    let armed = Rc::new(Cell::new(true));
    let a = armed.clone();
    let on_progress = Closure::<dyn Fn(JsValue)>::new(move |_e: JsValue| {
        if a.replace(false) {
            panic!("injected panic inside start()");
        }
    });
    sync.on(
        JsValue::from("progress").unchecked_into(),
        on_progress.as_ref().clone().unchecked_into(),
    )
    .unwrap();
    let err = JsFuture::from(sync.start())
        .await
        .expect_err("the panic settles start()");
    assert!(!armed.get(), "the listener ran");
    assert_eq!(
        get_str(&err, "code"),
        "INTERNAL",
        "{}",
        get_str(&err, "message")
    );
    assert!(get_str(&err, "message").contains("injected panic"));
    assert_eq!(mode(&sync), "error");
    // The same instance starts again and stores the anchor.
    let anchor = JsFuture::from(sync.start())
        .await
        .expect("start after the panic");
    assert_eq!(get_str(&anchor, "trust"), "checkpoint");
    assert_eq!(mode(&sync), "synced");
    on_progress.forget();
}
