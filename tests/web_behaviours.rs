//! Browser tests: real-node behaviours (`src/devnet/behave.rs`) met through the JS-facing
//! `LightSync` API with real IndexedDB.
//!
//! - A node whose `Access-Control-Expose-Headers` lists only the response's `Eth-*` headers
//!   (`expose=eth`) hides every other non-safelisted header from `fetch` (here `Retry-After`);
//!   checkpoint sync and backfill must still work against it. Its devnet is the one
//!   scripts/test-browser.sh starts with `--behave 0:expose=eth` (`LIGHTSYNC_DEVNET_BEHAVE_URL`).
//! - A node that is syncing (503 on data endpoints) is skipped with a `PROVIDER_FAILED` warning
//!   naming it, and checkpoint sync completes from the next provider.
//! - A light-client server that fails (500) on the first provider and a running period's update
//!   refused (500) on the second: the light rebuild still reaches the newest finalized block.
//! - `follow()`'s event stream dropped, then refused (`events=off`, 501): `followSource` reports
//!   polling (with the reason) and polls keep stepping meanwhile; the stream is reopened on a
//!   provider that serves it again.
//!
//! The other behaviours are set at run time (`POST /_devnet/behave`) on the devnets
//! scripts/test-browser.sh starts (`LIGHTSYNC_DEVNET_URLS`, `LIGHTSYNC_DEVNET_LIGHT_URLS`, fixed
//! at compile time), and restored as soon as the step that needs them is over, so the other
//! browser tests meet the devnets' defaults.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use beacon_lightsync::beacon_api::{BeaconApi, HttpBeaconApi};

use beacon_lightsync::beacon_api::{FetchTransport, Transport};
use beacon_lightsync::js::LightSync;
use beacon_lightsync::store::{IdbStore, Store};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

mod web_common;
use web_common::{
    abort_controller, control, devnet_network, get, get_str, record, until, DevnetNetwork,
};

wasm_bindgen_test_configure!(run_in_browser);

fn behave_url() -> String {
    match option_env!("LIGHTSYNC_DEVNET_BEHAVE_URL") {
        Some(url) => url.to_string(),
        None => panic!(
            "LIGHTSYNC_DEVNET_BEHAVE_URL must be set when compiling this test: run scripts/test-browser.sh"
        ),
    }
}

/// The comma-separated URLs of a variable fixed at compile time.
fn urls(list: Option<&'static str>, name: &str) -> Vec<String> {
    list.unwrap_or_else(|| {
        panic!("{name} must be set when compiling this test: run scripts/test-browser.sh")
    })
    .split(',')
    .map(String::from)
    .collect()
}

fn devnet_urls() -> Vec<String> {
    urls(
        option_env!("LIGHTSYNC_DEVNET_URLS"),
        "LIGHTSYNC_DEVNET_URLS",
    )
}

fn light_urls() -> Vec<String> {
    urls(
        option_env!("LIGHTSYNC_DEVNET_LIGHT_URLS"),
        "LIGHTSYNC_DEVNET_LIGHT_URLS",
    )
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

/// `LightSync.create` options: the network, these providers, and `pairs`.
fn options(config: &JsValue, providers: &[String], pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    set(&o, "network", config.clone());
    let list: Array = providers
        .iter()
        .map(|u| JsValue::from(u.as_str()))
        .collect();
    set(&o, "beaconApiUrls", list);
    for (k, v) in pairs {
        set(&o, k, v.clone());
    }
    o.into()
}

/// The `code` and `message` of each warning.
fn warnings(seen: &[JsValue]) -> Vec<(String, String)> {
    seen.iter()
        .map(|w| (get_str(w, "code"), get_str(w, "message")))
        .collect()
}

#[wasm_bindgen_test]
async fn a_syncing_provider_is_skipped_and_checkpoint_sync_uses_the_next() {
    let urls = devnet_urls();
    let (syncing, next) = (&urls[0], &urls[1]);
    let DevnetNetwork {
        info, config, gvr, ..
    } = devnet_network(syncing).await;
    IdbStore::delete_database(&gvr).await.expect("clean start");
    let checkpoint = info["checkpoint"].as_str().expect("a finalized checkpoint");

    control(syncing, "/_devnet/behave?syncing=true").await;
    let sync = LightSync::create(options(
        &config,
        &[syncing.clone(), next.clone()],
        &[("checkpoint", checkpoint.into())],
    ))
    .await
    .expect("create");
    let (warned, _w) = record(&sync, "warning");
    let anchor = JsFuture::from(sync.start()).await;
    control(syncing, "/_devnet/behave?syncing=false").await;

    let anchor = anchor.expect("checkpoint sync from the provider that is not syncing");
    assert!(
        checkpoint.starts_with(&get_str(&anchor, "blockRoot")),
        "{anchor:?}"
    );
    let providers: Vec<String> = Array::from(&get(&anchor, "providers"))
        .iter()
        .map(|p| p.as_string().expect("a URL"))
        .collect();
    assert_eq!(providers, vec![next.clone()]);
    let warned = warnings(&warned.borrow());
    assert!(
        warned
            .iter()
            .any(|(code, message)| code == "PROVIDER_FAILED"
                && message.contains(syncing.as_str())
                && message.contains("503")),
        "{warned:?}"
    );
    let dump = IdbStore::open(&get_str(&config, "CONFIG_NAME"), gvr)
        .await
        .expect("open")
        .dump()
        .await
        .expect("dump");
    assert_eq!(dump.anchors.len(), 1);
    IdbStore::delete_database(&gvr).await.expect("clean up");
}

#[wasm_bindgen_test]
async fn light_rebuild_past_a_failing_light_client_server_and_a_refused_running_update() {
    let urls = light_urls();
    let DevnetNetwork {
        info, config, gvr, ..
    } = devnet_network(&urls[0]).await;
    IdbStore::delete_database(&gvr).await.expect("clean start");
    let finalized_root = info["finalized_root"].as_str().expect("finalized root");
    let api = HttpBeaconApi::new(&urls[0], FetchTransport::default());
    let genesis_root = format!(
        "0x{}",
        hex::encode(
            api.header("genesis")
                .await
                .expect("header")
                .expect("genesis")
                .root
        )
    );
    let genesis_time = api.genesis().await.expect("genesis").genesis_time;

    // The old anchor: the genesis block, stored while the chain is young.
    let young = LightSync::create(options(
        &config,
        &urls,
        &[("trustedBlockRoot", genesis_root.clone().into())],
    ))
    .await
    .expect("create");
    let old = JsFuture::from(young.start()).await.expect("genesis anchor");
    let period: u64 = get_str(&old, "wsPeriodEpochs").parse().unwrap();
    let spec = |k: &str| -> u64 { get_str(&config, k).parse().unwrap() };
    let now = genesis_time + (period + 1) * spec("SLOTS_PER_EPOCH") * spec("SECONDS_PER_SLOT");

    control(&urls[0], "/_devnet/behave?light-client=500").await;
    control(&urls[1], "/_devnet/behave?running-update=500").await;
    let light = LightSync::create(options(
        &config,
        &urls,
        &[
            ("now", JsValue::from(now as f64)),
            ("longRange", "light".into()),
        ],
    ))
    .await
    .expect("create");
    let (warned, _w) = record(&light, "warning");
    let rebuilt = JsFuture::from(light.start()).await;
    control(&urls[0], "/_devnet/behave?reset").await;
    control(&urls[1], "/_devnet/behave?reset").await;

    let rebuilt = rebuilt.expect("the light rebuild succeeds");
    assert_eq!(get_str(&rebuilt, "trust"), "light-client");
    assert_eq!(get_str(&rebuilt, "blockRoot"), finalized_root);
    let warned = warnings(&warned.borrow());
    assert!(
        warned
            .iter()
            .any(|(code, message)| code == "REBUILD_PROVIDER_REJECTED"
                && message.contains(urls[0].as_str())
                && message.contains("HTTP_STATUS")),
        "{warned:?}"
    );
    let dump = IdbStore::open(&get_str(&config, "CONFIG_NAME"), gvr)
        .await
        .expect("open")
        .dump()
        .await
        .expect("dump");
    assert_eq!(dump.anchors.len(), 2);
    assert_eq!(
        format!(
            "0x{}",
            hex::encode(dump.meta.active_anchor.expect("active"))
        ),
        finalized_root
    );
    IdbStore::delete_database(&gvr).await.expect("clean up");
}

/// Events of several kinds, as `(kind, event)` in the order they came.
type Journal = Rc<RefCell<Vec<(String, JsValue)>>>;

/// Listeners that must outlive the events they record.
type Listeners = Vec<Closure<dyn Fn(JsValue)>>;

/// Every `followSource` and `followed` event of `sync` (keep the closures alive as long as they
/// are wanted).
fn journal(sync: &LightSync) -> (Journal, Listeners) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let keep = ["followSource", "followed"]
        .into_iter()
        .map(|name| {
            let s = seen.clone();
            let cb = Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| {
                s.borrow_mut().push((name.to_string(), e))
            });
            sync.on(
                JsValue::from(name).unchecked_into(),
                cb.as_ref().clone().unchecked_into(),
            )
            .unwrap();
            cb
        })
        .collect();
    (seen, keep)
}

/// One `followSource` event: `source`, `url`, and when polling, `code` and `message`.
#[derive(Debug)]
struct Source {
    source: String,
    url: String,
    code: Option<String>,
    message: Option<String>,
}

/// The `followSource` events from the log's entry `from` on.
fn sources(log: &[(String, JsValue)], from: usize) -> Vec<Source> {
    log[from..]
        .iter()
        .filter(|(name, _)| name == "followSource")
        .map(|(_, e)| Source {
            source: get_str(e, "source"),
            url: get_str(e, "url"),
            code: get(e, "code").as_string(),
            message: get(e, "message").as_string(),
        })
        .collect()
}

/// Whether `s` says polling took over because the stream at `url` answered 501.
fn refused_501(s: &Source, url: &str) -> bool {
    s.source == "polling"
        && s.url.starts_with(url)
        && s.code.as_deref() == Some("HTTP_STATUS")
        && s.message.as_deref().is_some_and(|m| m.contains("501"))
}

#[wasm_bindgen_test]
async fn follow_polls_while_the_event_stream_is_dropped_or_refused_and_reopens_it() {
    let urls = devnet_urls();
    let providers = [urls[0].clone(), urls[1].clone()];
    let DevnetNetwork {
        info, config, gvr, ..
    } = devnet_network(&providers[0]).await;
    IdbStore::delete_database(&gvr).await.expect("clean start");
    let checkpoint = info["checkpoint"].as_str().expect("a finalized checkpoint");
    let sync = LightSync::create(options(
        &config,
        &providers,
        &[("checkpoint", checkpoint.into())],
    ))
    .await
    .expect("create");
    JsFuture::from(sync.start()).await.expect("checkpoint sync");

    let follower = LightSync::create(options(&config, &providers, &[]))
        .await
        .expect("create");
    let (log, _keep) = journal(&follower);
    let controller = abort_controller();
    let follow_options = Object::new();
    set(&follow_options, "intervalMs", 300);
    set(&follow_options, "signal", get(&controller, "signal"));
    let running = follower.follow(follow_options.into());
    // Whether a stream at `url` opened since the log's entry `from`.
    let opened_on = |url: &str, from: usize| {
        sources(&log.borrow(), from)
            .iter()
            .any(|s| s.source == "events" && s.url.starts_with(url))
    };
    let (p0, p1) = (providers[0].as_str(), providers[1].as_str());
    until("the first provider's event stream", || opened_on(p0, 0)).await;

    // Dropped (as by a node restart): reported, polled at once, and reopened on the same node.
    let mark = log.borrow().len();
    control(p0, "/_devnet/behave?events=drop").await;
    until("the stream reopened after the drop", || opened_on(p0, mark)).await;
    let after_drop = log.borrow()[mark..].to_vec();
    let down = after_drop
        .iter()
        .position(|(name, e)| name == "followSource" && get_str(e, "source") == "polling")
        .expect("a polling followSource after the drop");
    assert!(get_str(&after_drop[down].1, "url").starts_with(p0));
    assert!(get(&after_drop[down].1, "retryInMs").as_f64().unwrap() > 0.0);
    let reopened = down
        + after_drop[down..]
            .iter()
            .position(|(name, e)| name == "followSource" && get_str(e, "source") == "events")
            .expect("reopened");
    let polled: Vec<&JsValue> = after_drop[down..reopened]
        .iter()
        .filter(|(name, _)| name == "followed")
        .map(|(_, e)| e)
        .collect();
    assert!(!polled.is_empty(), "polls step while the stream is down");
    assert!(polled.iter().all(|e| get_str(e, "source") == "poll"));

    // Refused from now on (a node without the event stream: 501), and the open stream cut:
    // polling, with the refusal's reason, until the next provider's stream opens.
    let mark = log.borrow().len();
    control(p0, "/_devnet/behave?events=off&events=drop").await;
    until("the next provider's event stream", || opened_on(p1, mark)).await;
    let refused = sources(&log.borrow(), mark);
    assert!(refused.iter().any(|s| refused_501(s, p0)), "{refused:?}");

    // The first provider serves events again and the second's stream is cut and refused: the
    // stream returns to the first.
    let mark = log.borrow().len();
    control(p0, "/_devnet/behave?events=on").await;
    control(p1, "/_devnet/behave?events=off&events=drop").await;
    until("the first provider's stream again", || opened_on(p0, mark)).await;
    control(p1, "/_devnet/behave?events=on").await;
    let back = sources(&log.borrow(), mark);
    assert!(back.iter().any(|s| refused_501(s, p1)), "{back:?}");
    assert_eq!(back.last().map(|s| s.source.as_str()), Some("events"));

    let abort: js_sys::Function = get(&controller, "abort").unchecked_into();
    abort.call0(&controller).unwrap();
    JsFuture::from(running)
        .await
        .expect("follow resolves on abort");
    IdbStore::delete_database(&gvr).await.expect("clean up");
}
