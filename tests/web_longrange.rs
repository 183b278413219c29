//! Browser test: the long-range modes through the JS `LightSync` API with real IndexedDB. A
//! genesis anchor is stored while the wall clock says the chain is young; then the `now` option
//! moves the clock past its weak-subjectivity period: `strict` refuses and leaves the database
//! byte-for-byte as it was, `lenient` warns and keeps the anchor marked stale, `light` rebuilds a
//! `light-client` anchor that the devnet's own headers link back to the old one.
//!
//! Before the clock moves, `follow()` runs against the young anchor: with a `broken-parent`
//! fault on the devnet the finalized block does not link back (a `followError`, head unchanged);
//! once the fault is cleared it moves to the finalized block (stored with its headers, so a new
//! instance loads it), then finds nothing new, and stops on its `AbortSignal`. After the light
//! rebuild the database holds every header from the old anchor's block to the new anchor's.
//!
//! The devnet: `LIGHTSYNC_DEVNET_LIGHT_URL` (else `LIGHTSYNC_DEVNET_URL`), fixed at compile time.
//! The rebuild ends at the newest light-client update's finalized block, whose state the devnet
//! serves only when that block is its finalized checkpoint: a chain whose last slot closes a
//! sync-committee period, e.g. `lightsync devnet --port 0 --providers 1 --validators 512
//! --slots 255 --preset minimal --seed 7`.
#![cfg(target_arch = "wasm32")]

use beacon_lightsync::beacon_api::{BeaconApi, FetchTransport, HttpBeaconApi};
use beacon_lightsync::config::network_from_spec;
use beacon_lightsync::js::LightSync;
use beacon_lightsync::store::{IdbStore, Store, StoreDump};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

mod web_common;
use web_common::{
    abort_controller, control, devnet_network, get, get_str, record, until, DevnetNetwork,
};

wasm_bindgen_test_configure!(run_in_browser);

fn devnet_url() -> &'static str {
    option_env!("LIGHTSYNC_DEVNET_LIGHT_URL")
        .or(option_env!("LIGHTSYNC_DEVNET_URL"))
        .expect(
            "LIGHTSYNC_DEVNET_LIGHT_URL or LIGHTSYNC_DEVNET_URL must be set when compiling this test (a devnet on 127.0.0.1)",
        )
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
    let DevnetNetwork {
        info,
        spec,
        config,
        gvr,
    } = devnet_network(url).await;
    let network = network_from_spec(&spec, Some(gvr)).expect("spec");
    let api = HttpBeaconApi::new(url, FetchTransport::default());
    let genesis_header = api
        .header("genesis")
        .await
        .expect("genesis header")
        .expect("genesis block");
    Net {
        config,
        name: network.name.clone(),
        gvr,
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

/// Walks the stored headers by parent root from `top` down to `bottom`; the number of steps.
fn stored_chain_length(dump: &StoreDump, top: [u8; 32], bottom: [u8; 32]) -> usize {
    let mut root = top;
    let mut steps = 0;
    while root != bottom {
        let h = dump
            .headers
            .iter()
            .find(|h| h.root == root)
            .unwrap_or_else(|| panic!("stored header {} (gap in the stored chain)", hex0x(&root)));
        root = h.parent_root();
        steps += 1;
    }
    steps
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

    // follow() from the young anchor. First the devnet breaks the header chain: the finalized
    // block does not link back, a `followError` is emitted and the head stays the anchor's.
    control(
        devnet_url(),
        "/_devnet/faults?kind=broken-parent&path=/eth/v1/beacon/headers/*&slots=20-40",
    )
    .await;
    let follower = LightSync::create(options(&net, &[])).await.expect("create");
    let (followed, _f) = record(&follower, "followed");
    let (follow_errors, _e) = record(&follower, "followError");
    let controller = abort_controller();
    let follow_options = Object::new();
    Reflect::set(&follow_options, &"intervalMs".into(), &JsValue::from(300)).unwrap();
    Reflect::set(
        &follow_options,
        &"signal".into(),
        &get(&controller, "signal"),
    )
    .unwrap();
    let running = follower.follow(follow_options.into());
    until("a followError", || !follow_errors.borrow().is_empty()).await;
    control(devnet_url(), "/_devnet/faults/clear").await;
    assert_eq!(
        get_str(&follow_errors.borrow()[0], "code"),
        "HASH_CHAIN_BROKEN"
    );
    assert!(followed.borrow().is_empty());
    let head = get(&follower.status(), "head");
    assert_eq!(get_str(&head, "root"), genesis_root);
    assert_eq!(get(&head, "followed").as_bool(), Some(false));
    // Then it moves to the finalized block, and then finds nothing new.
    until("two followed events", || followed.borrow().len() >= 2).await;
    let moved = followed.borrow()[0].clone();
    assert_eq!(get(&moved, "advanced").as_bool(), Some(true));
    assert_eq!(get_str(&get(&moved, "from"), "root"), genesis_root);
    assert_eq!(get_str(&get(&moved, "tip"), "root"), net.finalized_root);
    assert!(get(&moved, "linked").as_f64().unwrap() > 0.0);
    let still = followed.borrow()[1].clone();
    assert_eq!(get(&still, "advanced").as_bool(), Some(false));
    assert_eq!(get_str(&get(&still, "tip"), "root"), net.finalized_root);
    // Aborting stops the loop; it resolves with the head.
    let abort: js_sys::Function = get(&controller, "abort").unchecked_into();
    abort.call0(&controller).unwrap();
    let last = JsFuture::from(running)
        .await
        .expect("follow resolves on abort");
    assert_eq!(get_str(&last, "root"), net.finalized_root);
    assert_eq!(get(&last, "followed").as_bool(), Some(true));
    // Stored: the head and every header between it and the anchor; a new instance loads it.
    let followed_dump = dump(&net).await;
    let stored_head = followed_dump.head.expect("stored head");
    assert_eq!(hex0x(&stored_head.block_root), net.finalized_root);
    assert_eq!(stored_head.anchor_root, net.genesis_root);
    assert!(stored_chain_length(&followed_dump, stored_head.block_root, net.genesis_root) > 0);
    let reloaded = LightSync::create(options(&net, &[])).await.expect("create");
    let head = get(&reloaded.status(), "head");
    assert_eq!(get_str(&head, "root"), net.finalized_root);
    assert_eq!(get(&head, "followed").as_bool(), Some(true));
    // stop() ends a follow() that has no signal, even mid-way through a long interval.
    let (reloaded_followed, _rf) = record(&reloaded, "followed");
    let long_interval = Object::new();
    Reflect::set(
        &long_interval,
        &"intervalMs".into(),
        &JsValue::from(600_000),
    )
    .unwrap();
    let running = reloaded.follow(long_interval.into());
    until("a followed event", || {
        !reloaded_followed.borrow().is_empty()
    })
    .await;
    reloaded.stop();
    let timeout = js_sys::Promise::new(&mut |_resolve, reject| {
        let global = js_sys::global();
        let set_timeout: js_sys::Function = get(&global, "setTimeout").unchecked_into();
        set_timeout
            .call2(&global, &reject, &JsValue::from(5_000))
            .unwrap();
    });
    let last = JsFuture::from(js_sys::Promise::race(&js_sys::Array::of2(
        &running, &timeout,
    )))
    .await
    .expect("follow() resolves within 5 s of stop()");
    assert_eq!(get_str(&last, "root"), net.finalized_root);
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
    let head = get(&light.status(), "head");
    assert_eq!(get(&head, "followed").as_bool(), Some(true));
    assert_eq!(get_str(&head, "root"), net.finalized_root);
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
    // And the database holds that whole chain, from the new anchor's block to the old one's,
    // with the backfill cursor at the old anchor's block.
    assert_eq!(stored_chain_length(&after, active, net.genesis_root), steps);
    let cursor = after.meta.backfill_cursor.expect("cursor");
    assert_eq!(cursor.oldest_root, net.genesis_root);
    let head = after.head.expect("head");
    assert_eq!((head.block_root, head.anchor_root), (active, active));

    IdbStore::delete_database(&net.gvr).await.expect("clean up");
}

/// A checkpoint that is already stale when given follows the same rule as a stored anchor that
/// went stale: `strict` refuses it (nothing stored), `light` stores it marked stale and rebuilds
/// the active `light-client` anchor from it in the same `start()`.
#[wasm_bindgen_test]
async fn a_checkpoint_stale_when_given_is_rebuilt_under_light() {
    let net = devnet().await;
    IdbStore::delete_database(&net.gvr)
        .await
        .expect("clean start");
    let genesis_root = hex0x(&net.genesis_root);
    let trusted = || ("trustedBlockRoot", JsValue::from(genesis_root.clone()));
    // The genesis anchor's period, from a young sync; then an empty database again.
    let young = LightSync::create(options(&net, &[trusted()]))
        .await
        .expect("create");
    let anchor = JsFuture::from(young.start()).await.expect("genesis anchor");
    let period: u64 = get_str(&anchor, "wsPeriodEpochs").parse().unwrap();
    JsFuture::from(young.reset()).await.expect("reset");
    let now = net.genesis_time + (period + 1) * net.slots_per_epoch * net.seconds_per_slot;
    let stale_now = || ("now", JsValue::from(now as f64));

    let strict = LightSync::create(options(&net, &[trusted(), stale_now()]))
        .await
        .expect("create");
    let err = JsFuture::from(strict.start())
        .await
        .expect_err("strict refuses");
    assert_eq!(get_str(&err, "code"), "WS_STALE");
    assert!(dump(&net).await.anchors.is_empty());

    let light = LightSync::create(options(
        &net,
        &[trusted(), stale_now(), ("longRange", "light".into())],
    ))
    .await
    .expect("create");
    let (warnings, _w) = record(&light, "warning");
    let rebuilt = JsFuture::from(light.start()).await.expect("light rebuilds");
    assert_eq!(get_str(&rebuilt, "trust"), "light-client");
    assert_eq!(get_str(&rebuilt, "blockRoot"), net.finalized_root);
    let head = get(&light.status(), "head");
    assert_eq!(get_str(&head, "root"), net.finalized_root);
    assert_eq!(get(&head, "followed").as_bool(), Some(true));
    let codes: Vec<String> = warnings
        .borrow()
        .iter()
        .map(|w| get_str(w, "code"))
        .collect();
    assert!(!codes.iter().any(|c| c == "WS_STALE_LENIENT"), "{codes:?}");
    let after = dump(&net).await;
    assert_eq!(
        hex0x(&after.meta.active_anchor.expect("active")),
        net.finalized_root
    );
    let kept = after
        .anchors
        .iter()
        .find(|a| a.block_root == net.genesis_root)
        .expect("the stale checkpoint is kept");
    assert!(kept.stale, "recorded as stale, never as current");
    IdbStore::delete_database(&net.gvr).await.expect("clean up");
}
