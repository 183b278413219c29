//! Hostile providers over real HTTP: a state body whose `Content-Length` claims 2 GiB or more,
//! a body without `Content-Length` that never ends, a state trickled a few bytes at a time, and
//! a claim within the ceiling followed by silence. Each costs the client a bounded amount of
//! memory and time, ends with a typed error naming the provider (`BODY_TOO_LARGE`, `TOO_SLOW`,
//! `TIMEOUT`), and the next provider is tried; with hostile providers only, the sync fails with
//! the first one's error and stores nothing.
//!
//! The pacing knobs are set small here (half-second windows, a few seconds of deadline) so every
//! case ends in about a second; the devnet's hostile answers would hold the connection for a
//! minute, so finishing at all shows that the client did not wait for them.
#![cfg(not(target_arch = "wasm32"))]

mod devnet_common;

use std::cell::RefCell;
use std::time::{Duration, Instant};

use beacon_lightsync::beacon_api::limits::state_max_bytes;
use beacon_lightsync::beacon_api::{BeaconApi, HttpBeaconApi, Pace, UreqTransport};
use beacon_lightsync::checkpoint::{
    CheckpointError, CheckpointOptions, CheckpointSync, Source, Verified,
};
use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::ctx::{Ctx, Env};
use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::faults::FaultRule;
use beacon_lightsync::devnet::Devnet;
use beacon_lightsync::event::Event;
use beacon_lightsync::store::{MemoryStore, Store};
use beacon_lightsync::types::PresetName;
use beacon_lightsync::ws::SystemClock;
use devnet_common::{checkpoint, empty_store, network, start_devnet};
use futures::executor::block_on;

/// Where a state is served: the faults below apply to state bodies only.
const STATE_PATH: &str = "/eth/v2/debug/beacon/states/*";

/// A pace that ends a trickle within about a second: 64 KiB/s over 500 ms windows after 500 ms,
/// and 5 s in all (the devnet's state is ~100 KB, so an honest local provider needs ~1 ms).
const TEST_PACE: Pace = Pace {
    deadline_ms: 5_000,
    min_bytes_per_sec: 64 << 10,
    window_ms: 500,
    grace_ms: 500,
};

/// A transport cap on streamed bodies small enough that an endless body reaches it at once.
const TEST_STREAM_CAP: u64 = 8 << 20;

fn devnet() -> Devnet {
    start_devnet(
        3,
        ChainOptions {
            validators: 512,
            slots: 96,
            ..ChainOptions::default()
        },
    )
}

/// The devnet's providers with the test's pace, 2 s of silence allowed, and the state cap.
fn providers(devnet: &Devnet, net: &NetworkConfig) -> Vec<HttpBeaconApi<UreqTransport>> {
    devnet
        .urls()
        .iter()
        .map(|u| {
            let t = UreqTransport::new(2_000, 4)
                .with_stream_pace(TEST_PACE)
                .with_limits(1 << 20, TEST_STREAM_CAP);
            HttpBeaconApi::new(u, t).with_preset(net.preset)
        })
        .collect()
}

#[derive(Default)]
struct Warnings(RefCell<Vec<(&'static str, String)>>);

impl Env for Warnings {
    fn emit(&self, event: &Event) {
        if let Event::Warning { code, message } = event {
            self.0.borrow_mut().push((code, message.clone()));
        }
    }
}

impl Warnings {
    /// The `PROVIDER_FAILED` warning about `url`, which must name `code`.
    fn provider_failed(&self, url: &str, code: &str) {
        let all = self.0.borrow();
        let found = all
            .iter()
            .find(|(c, m)| *c == "PROVIDER_FAILED" && m.starts_with(url));
        let (_, message) = found.unwrap_or_else(|| panic!("no PROVIDER_FAILED for {url}: {all:?}"));
        assert!(message.contains(code), "{message}");
    }
}

fn sync(
    net: &NetworkConfig,
    providers: &[HttpBeaconApi<UreqTransport>],
    store: &MemoryStore,
    hooks: &Warnings,
    devnet: &Devnet,
) -> Result<Verified, CheckpointError> {
    let sync = CheckpointSync {
        ctx: Ctx {
            network: net,
            providers,
            store,
            clock: &SystemClock,
        },
        env: hooks,
        options: CheckpointOptions::default(),
    };
    block_on(sync.run(&Source::Checkpoint(checkpoint(devnet))))
}

/// Runs a sync whose first provider has `fault` on its state; the anchor must come from the
/// second provider, with a warning naming the first and `code`.
fn first_provider_hostile(fault: &str, code: &str) {
    let devnet = devnet();
    let net = network(&devnet);
    devnet.add_fault(
        0,
        FaultRule::parse(&format!("{fault},path={STATE_PATH}")).unwrap(),
    );
    let store = empty_store(&net);
    let hooks = Warnings::default();
    let started = Instant::now();
    let v = sync(&net, &providers(&devnet, &net), &store, &hooks, &devnet)
        .unwrap_or_else(|e| panic!("{fault}: expected the honest provider's anchor, got {e}"));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{fault}: took {:?}, the hostile answer was waited for",
        started.elapsed()
    );
    let urls = devnet.urls();
    assert_eq!(v.anchor.providers, vec![urls[1].clone()], "{fault}");
    hooks.provider_failed(&urls[0], code);
    assert_eq!(
        block_on(store.active_anchor())
            .unwrap()
            .map(|a| a.block_root),
        Some(v.anchor.block_root)
    );
}

#[test]
fn a_claimed_length_of_2_gib_or_more_is_refused_before_any_byte() {
    // Exactly 2 GiB (the old limit let it through), then silence for a minute.
    first_provider_hostile(
        "claim-length,length=2147483648,hold_ms=60000",
        "BODY_TOO_LARGE",
    );
    first_provider_hostile(
        "claim-length,length=4294967296,hold_ms=60000",
        "BODY_TOO_LARGE",
    );
}

#[test]
fn the_state_ceiling_comes_from_the_preset() {
    let devnet = devnet();
    let net = network(&devnet);
    assert_eq!(net.preset, PresetName::Minimal);
    let ceiling = state_max_bytes(PresetName::Minimal);
    // Far above a real state, below what a wasm32 Vec can address.
    assert!(ceiling > 1 << 30 && ceiling < (2 << 30) - 1, "{ceiling}");
    // One byte over the ceiling: refused with the ceiling named, before the body is read
    // (an uncapped transport, so the preset's ceiling is the one that acts).
    let claim = ceiling + 1;
    devnet.add_fault(
        0,
        FaultRule::parse(&format!(
            "claim-length,length={claim},hold_ms=60000,path={STATE_PATH}"
        ))
        .unwrap(),
    );
    let api =
        HttpBeaconApi::new(&devnet.urls()[0], UreqTransport::new(2_000, 1)).with_preset(net.preset);
    let err = block_on(api.state_ssz("finalized", &mut |_, _| {})).unwrap_err();
    assert_eq!(err.code(), "BODY_TOO_LARGE", "{err}");
    assert_eq!(
        err.expected_actual(),
        Some((format!("at most {ceiling} bytes"), format!("{claim} bytes")))
    );
}

#[test]
fn a_stall_after_a_valid_prefix_times_out_and_the_next_provider_serves() {
    // The honest Content-Length, the first 4 KB of the state, then a minute of silence: the
    // silence between reads (1 s here) ends the request.
    let devnet = devnet();
    let net = network(&devnet);
    let honest = HttpBeaconApi::new(&devnet.urls()[1], UreqTransport::new(2_000, 1));
    let len = block_on(honest.state_ssz("finalized", &mut |_, _| {}))
        .unwrap()
        .bytes
        .len();
    devnet.add_fault(
        0,
        FaultRule::parse(&format!(
            "claim-length,length={len},send=4096,hold_ms=60000,path={STATE_PATH}"
        ))
        .unwrap(),
    );
    let providers: Vec<_> = devnet
        .urls()
        .iter()
        .map(|u| {
            let t = UreqTransport::new(1_000, 4).with_stream_pace(TEST_PACE);
            HttpBeaconApi::new(u, t).with_preset(net.preset)
        })
        .collect();
    let store = empty_store(&net);
    let hooks = Warnings::default();
    let v = sync(&net, &providers, &store, &hooks, &devnet).unwrap();
    assert_eq!(v.anchor.providers, vec![devnet.urls()[1].clone()]);
    hooks.provider_failed(&devnet.urls()[0], "TIMEOUT");
}

#[test]
fn a_body_without_length_is_bounded_and_an_honest_one_still_accepted() {
    // Endless: refused once the cap is passed, mid-stream.
    first_provider_hostile("no-length", "BODY_TOO_LARGE");
    // The honest state without Content-Length (close-delimited): accepted from provider 0.
    let devnet = devnet();
    let net = network(&devnet);
    devnet.add_fault(
        0,
        FaultRule::parse(&format!("no-length,extra=0,path={STATE_PATH}")).unwrap(),
    );
    let store = empty_store(&net);
    let v = sync(
        &net,
        &providers(&devnet, &net),
        &store,
        &Warnings::default(),
        &devnet,
    )
    .unwrap();
    assert_eq!(v.anchor.providers, vec![devnet.urls()[0].clone()]);
}

#[test]
fn a_trickle_is_dropped_by_the_rate_rule_and_a_slow_body_by_the_deadline() {
    // 64 bytes every 20 ms: 3.2 KB/s, far below 64 KiB/s.
    first_provider_hostile("trickle,chunk=64,delay_ms=20", "TOO_SLOW");
    // ~50 KB/s passes a rule of 16 KiB/s but not a 1 s deadline for ~100 KB.
    let devnet = devnet();
    let net = network(&devnet);
    devnet.add_fault(
        0,
        FaultRule::parse(&format!("trickle,chunk=1024,delay_ms=20,path={STATE_PATH}")).unwrap(),
    );
    let pace = Pace {
        deadline_ms: 1_000,
        min_bytes_per_sec: 16 << 10,
        ..TEST_PACE
    };
    let providers: Vec<_> = devnet
        .urls()
        .iter()
        .map(|u| HttpBeaconApi::new(u, UreqTransport::new(2_000, 4).with_stream_pace(pace)))
        .collect();
    let store = empty_store(&net);
    let hooks = Warnings::default();
    let v = sync(&net, &providers, &store, &hooks, &devnet).unwrap();
    assert_eq!(v.anchor.providers, vec![devnet.urls()[1].clone()]);
    hooks.provider_failed(&devnet.urls()[0], "TIMEOUT");
}

#[test]
fn hostile_providers_only_fail_with_the_first_ones_error_and_store_nothing() {
    let devnet = devnet();
    let net = network(&devnet);
    let faults = [
        "claim-length,hold_ms=60000",
        "trickle,chunk=64,delay_ms=20",
        "no-length",
    ];
    for (i, f) in faults.iter().enumerate() {
        devnet.add_fault(
            i,
            FaultRule::parse(&format!("{f},path={STATE_PATH}")).unwrap(),
        );
    }
    let store = empty_store(&net);
    let hooks = Warnings::default();
    let err = sync(&net, &providers(&devnet, &net), &store, &hooks, &devnet).unwrap_err();
    assert_eq!(err.code(), "BODY_TOO_LARGE", "{err}");
    let urls = devnet.urls();
    hooks.provider_failed(&urls[0], "BODY_TOO_LARGE");
    hooks.provider_failed(&urls[1], "TOO_SLOW");
    assert!(block_on(store.anchors()).unwrap().is_empty());
    assert!(block_on(store.active_anchor()).unwrap().is_none());
}
