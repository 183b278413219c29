#![cfg(not(target_arch = "wasm32"))]
//! Following by the node's event stream, natively, against a live devnet (1 s slots, minimal
//! preset: a finality advance every 8 s) over real HTTP and real server-sent events.
//!
//! - Events drive the steps: three finality advances are taken on `finalized_checkpoint` events,
//!   each verified (providers agree, headers link back) and stored with its linking headers; each
//!   reports the latency from the event to the stored tip.
//! - Fallback: a new follower on the same store (a reload) whose providers refuse the event
//!   stream (503) follows by polling, reports the stream down with the status, and goes back to
//!   events once the stream is served again.

mod devnet_common;

use std::time::{Duration, Instant};

use beacon_lightsync::beacon_api::{BeaconApi, HttpBeaconApi, UreqTransport};
use beacon_lightsync::checkpoint::{LongRange, Source};
use beacon_lightsync::ctx::Ctx;
use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::{Devnet, DevnetOptions};
use beacon_lightsync::event::Event;
use beacon_lightsync::longrange::follow::FollowStep;
use beacon_lightsync::longrange::{
    BlockingFollowIo, FollowOptions, FollowState, Followed, Overseer, StepSource, StreamStatus,
};
use beacon_lightsync::store::{MemoryStore, Store};
use beacon_lightsync::ws::SystemClock;
use devnet_common::{apis, checkpoint, checkpoint_sync, control, empty_store, network, Recorder};
use futures::executor::block_on;

/// Longest a phase may take: three advances need ~24 s at 8 s per epoch.
const PHASE_LIMIT: Duration = Duration::from_secs(45);

fn live_devnet() -> Devnet {
    Devnet::start(DevnetOptions {
        providers: 2,
        live: true,
        chain: ChainOptions {
            preset: "minimal".into(),
            validators: 256,
            slots: 40,
            seconds_per_slot: Some(1),
            seed: 7,
            ..ChainOptions::default()
        },
        ..DevnetOptions::default()
    })
    .expect("live devnet starts")
}

fn followed(rec: &Recorder) -> Vec<Followed> {
    rec.events
        .borrow()
        .iter()
        .filter_map(|e| match e {
            Event::Followed(f) => Some(*f),
            _ => None,
        })
        .collect()
}

fn advances(rec: &Recorder, source: StepSource) -> Vec<Followed> {
    followed(rec)
        .into_iter()
        .filter(|f| f.source == source && matches!(f.step, FollowStep::Advanced { .. }))
        .collect()
}

/// Follows until `done` holds or [`PHASE_LIMIT`] passes; returns the state.
fn follow_until(
    overseer: &Overseer<'_, HttpBeaconApi<UreqTransport>, MemoryStore, SystemClock, Recorder>,
    state: &mut FollowState,
    net: &beacon_lightsync::config::NetworkConfig,
    done: &dyn Fn() -> bool,
) {
    let deadline = Instant::now() + PHASE_LIMIT;
    let keep = |_: &FollowState| !done() && Instant::now() < deadline;
    let io = BlockingFollowIo {
        started: Instant::now(),
        idle_timeout_ms: 10_000,
        keep_going: &keep,
    };
    block_on(overseer.follow_events(state, &io, &FollowOptions::for_network(net)));
}

#[test]
fn follows_finality_by_events_and_falls_back_to_polling_when_the_stream_is_refused() {
    let devnet = live_devnet();
    let net = network(&devnet);
    let providers = apis(&devnet, 10_000);
    let store = empty_store(&net);
    checkpoint_sync(
        &net,
        &providers,
        &store,
        &Source::Checkpoint(checkpoint(&devnet)),
    )
    .expect("checkpoint sync on the live chain");

    let rec = Recorder::default();
    let overseer = Overseer {
        ctx: Ctx {
            network: &net,
            providers: &providers,
            store: &store,
            clock: &SystemClock,
        },
        env: &rec,
        long_range: LongRange::Strict,
    };
    let mut state = block_on(overseer.start()).expect("start").following;

    // Phase 1: three advances taken on events.
    follow_until(&overseer, &mut state, &net, &|| {
        advances(&rec, StepSource::Event).len() >= 3
    });
    let by_event = advances(&rec, StepSource::Event);
    assert!(
        by_event.len() >= 3,
        "advances by event: {:?}",
        followed(&rec)
    );
    let opened = rec
        .events
        .borrow()
        .iter()
        .filter(|e| matches!(e, Event::Stream(StreamStatus::Open { .. })))
        .count();
    assert_eq!(opened, 1, "one stream for the whole phase");
    for f in &by_event {
        let ms = f
            .latency_ms
            .expect("an event-triggered advance has a latency");
        assert!((0.0..10_000.0).contains(&ms), "latency {ms} ms");
    }
    // Each advance moved the tip to a finalized block of the live chain, one epoch further.
    let slots: Vec<u64> = by_event.iter().map(|f| f.step.tip().slot).collect();
    assert!(slots.windows(2).all(|w| w[1] > w[0]), "{slots:?}");
    let head = block_on(store.head()).unwrap().expect("stored head");
    assert_eq!(head.block_root, state.tip.root);
    let finalized = block_on(providers[0].finality_checkpoints("head")).unwrap();
    assert!(
        finalized.finalized.epoch * 8 >= head.slot,
        "tip not beyond finality"
    );
    assert_stored_chain_links(&store, &providers[0]);

    // Phase 2: a reload whose providers refuse the stream (503): polling moves the tip.
    for url in devnet.urls() {
        control(
            &url,
            "/_devnet/faults?kind=status&code=503&path=/eth/v1/events",
        );
    }
    let rec2 = Recorder::default();
    let overseer2 = Overseer {
        env: &rec2,
        ..overseer
    };
    let anchor = block_on(store.active_anchor()).unwrap().unwrap();
    let mut state = block_on(overseer2.follow_state(&anchor, None)).unwrap();
    assert_eq!(
        state.tip.root, head.block_root,
        "the reload resumes from the stored tip"
    );
    follow_until(&overseer2, &mut state, &net, &|| {
        !advances(&rec2, StepSource::Poll).is_empty()
    });
    let downs: Vec<String> = rec2
        .events
        .borrow()
        .iter()
        .filter_map(|e| match e {
            Event::Stream(StreamStatus::Down { error, .. }) => Some(error.to_string()),
            _ => None,
        })
        .collect();
    assert!(!downs.is_empty() && downs[0].contains("503"), "{downs:?}");
    let polled = advances(&rec2, StepSource::Poll);
    assert!(!polled.is_empty(), "{:?}", followed(&rec2));
    assert!(advances(&rec2, StepSource::Event).is_empty());

    // Phase 3: the stream is served again; following goes back to events after its backoff.
    for url in devnet.urls() {
        control(&url, "/_devnet/faults/clear");
    }
    follow_until(&overseer2, &mut state, &net, &|| {
        !advances(&rec2, StepSource::Event).is_empty()
    });
    assert!(
        !advances(&rec2, StepSource::Event).is_empty(),
        "{:?}",
        rec2.events.borrow()
    );
    let head = block_on(store.head()).unwrap().expect("stored head");
    assert_eq!(head.block_root, state.tip.root);
    assert_stored_chain_links(&store, &providers[0]);
}

/// Every stored header above the anchor links to the one below it, and the top one is the head.
fn assert_stored_chain_links<A: BeaconApi>(store: &MemoryStore, provider: &A) {
    let dump = block_on(store.dump()).unwrap();
    for pair in dump.headers.windows(2) {
        assert_eq!(pair[1].parent_root(), pair[0].root, "slot {}", pair[1].slot);
    }
    let top = dump.headers.last().expect("headers stored");
    let served = block_on(provider.header_by_slot(top.slot))
        .unwrap()
        .unwrap();
    assert_eq!(served.root, top.root, "the stored top is canonical");
}
