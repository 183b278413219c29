#![cfg(not(target_arch = "wasm32"))]
//! The long-range modes against the devnet over real HTTP: an anchor made stale by moving the
//! (injected) clock past its weak-subjectivity period; `strict` refuses and changes nothing,
//! `lenient` warns and follows, `light` rebuilds a new light-client anchor linked by hash chain to
//! the old one; tampered light-client data fails naming the step and the period.
//!
//! The chain: minimal preset (8 slots per epoch, 64-slot sync-committee periods), 255 slots, so
//! the newest light-client update (period 3) finalizes the same epoch-29 block whose state the
//! devnet serves as its finalized state. The old anchor is the genesis state.

mod devnet_common;

use beacon_lightsync::checkpoint::LongRange;
use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::ctx::Ctx;
use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::faults::FaultRule;
use beacon_lightsync::devnet::Devnet;
use beacon_lightsync::event::Event;
use beacon_lightsync::longrange::follow::FollowStep;
use beacon_lightsync::longrange::rebuild::{RebuildError, Step};
use beacon_lightsync::longrange::{Mode, Overseer, OverseerError};
use beacon_lightsync::store::{AnchorRecord, MemoryStore, Store, Trust};
use beacon_lightsync::ws::FixedClock;
use devnet_common::{apis, epoch_clock, genesis_anchor, network, start_devnet, Recorder};
use futures::executor::block_on;

const VALIDATORS: u64 = 512;
/// 4 sync-committee periods of the minimal preset, minus one slot (see the module docs).
const SLOTS: u64 = 255;
/// Per-request timeout of the HTTP providers.
const PROVIDER_TIMEOUT_MS: u64 = 10_000;

fn start(providers: usize) -> Devnet {
    start_devnet(
        providers,
        ChainOptions {
            validators: VALIDATORS,
            slots: SLOTS,
            seed: 7,
            ..ChainOptions::default()
        },
    )
}

/// A clock `epochs_past` epochs after the anchor's weak-subjectivity expiry.
fn stale_clock(net: &NetworkConfig, anchor: &AnchorRecord, epochs_past: u64) -> FixedClock {
    epoch_clock(net, anchor.epoch + anchor.ws_period_epochs + epochs_past)
}

/// Starts the overseer against every provider of `devnet`.
fn run(
    devnet: &Devnet,
    net: &NetworkConfig,
    store: &MemoryStore,
    clock: &FixedClock,
    hooks: &Recorder,
    long_range: LongRange,
) -> Result<beacon_lightsync::longrange::Started, OverseerError> {
    block_on(
        Overseer {
            ctx: Ctx {
                network: net,
                providers: &apis(devnet, PROVIDER_TIMEOUT_MS),
                store,
                clock,
            },
            env: hooks,
            long_range,
        }
        .start(),
    )
}

/// Walks the devnet's own canonical headers by parent root from `from` down to `to`.
fn linked_in_devnet(devnet: &Devnet, from: [u8; 32], to: [u8; 32]) -> bool {
    let chain = devnet.chain();
    let mut root = from;
    for _ in 0..=SLOTS {
        if root == to {
            return true;
        }
        let Some((h, true)) = chain.header_by_root(&root) else {
            return false;
        };
        root = h.parent_root;
    }
    false
}

#[test]
fn strict_refuses_a_stale_anchor_and_changes_nothing() {
    let devnet = start(1);
    let net = network(&devnet);
    let (store, anchor) = genesis_anchor(&devnet, &net, PROVIDER_TIMEOUT_MS);
    let before = block_on(store.dump()).unwrap();
    let clock = stale_clock(&net, &anchor, 1);
    let hooks = Recorder::default();
    let err = run(&devnet, &net, &store, &clock, &hooks, LongRange::Strict).unwrap_err();
    assert_eq!(
        err,
        OverseerError::WsStale {
            anchor_epoch: 0,
            ws_period: anchor.ws_period_epochs,
            current_epoch: anchor.ws_period_epochs + 1,
        }
    );
    assert_eq!(err.code(), "WS_STALE");
    assert_eq!(block_on(store.dump()).unwrap(), before);
    assert!(hooks.events.borrow().is_empty());
}

#[test]
fn within_the_period_follows_forward_by_hash_chain() {
    let devnet = start(2);
    let net = network(&devnet);
    let (store, anchor) = genesis_anchor(&devnet, &net, PROVIDER_TIMEOUT_MS);
    // One epoch before expiry: still within.
    let clock = epoch_clock(&net, anchor.ws_period_epochs);
    let hooks = Recorder::default();
    let started = run(&devnet, &net, &store, &clock, &hooks, LongRange::Strict).unwrap();
    assert_eq!(started.decision.mode, Mode::Follow);
    let finalized = devnet.chain().checkpoints.finalized;
    match started.follow {
        FollowStep::Advanced { from, to, linked } => {
            assert_eq!(from.root, anchor.block_root);
            assert_eq!(to.root, finalized.root);
            assert!(linked > 0);
        }
        other => panic!("expected the tip to advance, got {other:?}"),
    }
}

#[test]
fn lenient_warns_marks_the_anchor_stale_and_follows() {
    let devnet = start(1);
    let net = network(&devnet);
    let (store, anchor) = genesis_anchor(&devnet, &net, PROVIDER_TIMEOUT_MS);
    let clock = stale_clock(&net, &anchor, 5);
    let hooks = Recorder::default();
    let started = run(&devnet, &net, &store, &clock, &hooks, LongRange::Lenient).unwrap();
    assert_eq!(started.decision.mode, Mode::FollowStale);
    assert!(started.decision.ws.stale);
    let warned = hooks.events.borrow().iter().any(|e| {
        matches!(
            e,
            Event::Warning {
                code: "WS_STALE_LENIENT",
                ..
            }
        )
    });
    assert!(warned, "expected a WS_STALE_LENIENT warning");
    let stored = block_on(store.active_anchor()).unwrap().unwrap();
    assert!(stored.stale);
    assert_eq!(stored.block_root, anchor.block_root);
    let finalized = devnet.chain().checkpoints.finalized;
    assert_eq!(started.follow.tip().root, finalized.root);
    assert!(linked_in_devnet(&devnet, finalized.root, anchor.block_root));
}

#[test]
fn light_rebuilds_a_light_client_anchor_linked_to_the_old_one() {
    let devnet = start(3);
    let net = network(&devnet);
    let (store, old) = genesis_anchor(&devnet, &net, PROVIDER_TIMEOUT_MS);
    let clock = stale_clock(&net, &old, 1);
    let hooks = Recorder::default();
    let started = run(&devnet, &net, &store, &clock, &hooks, LongRange::Light).unwrap();
    assert_eq!(started.decision.mode, Mode::Light);
    let new = &started.anchor;
    assert_eq!(new.trust, Trust::LightClient);
    assert!(!new.stale);
    // The new anchor is the devnet's finalized checkpoint (the state it serves), a descendant of
    // the old anchor by the devnet's own parent links.
    let chain = devnet.chain();
    assert_eq!(new.block_root, chain.checkpoints.finalized.root);
    assert_eq!(new.epoch, chain.checkpoints.finalized.epoch);
    assert!(linked_in_devnet(&devnet, new.block_root, old.block_root));
    let rebuilt = started.rebuilt.as_ref().expect("rebuilt");
    assert_eq!(rebuilt.old_anchor_root, old.block_root);
    assert_eq!(rebuilt.periods.0, 0);
    assert_eq!(rebuilt.periods.1, new.slot / 64);
    // Canonical blocks from the old anchor (exclusive) to the new one's parent (inclusive)...
    let canonical = chain.headers.range(1..new.slot).count() as u64;
    // ...plus the old anchor's own block.
    assert_eq!(rebuilt.headers_linked, canonical + 1);
    // Stored, active, with a WS period recomputed from the new state; the old anchor is kept.
    assert_eq!(block_on(store.active_anchor()).unwrap().as_ref(), Some(new));
    assert!(block_on(store.anchor(&old.block_root)).unwrap().is_some());
    assert!(new.ws_period_epochs > 0 && !rebuilt.ws.stale);
    // Every step reported progress, in order.
    let steps: Vec<Step> = hooks
        .events
        .borrow()
        .iter()
        .filter_map(|e| match e {
            Event::Rebuild(p) => Some(p.step),
            _ => None,
        })
        .collect();
    let mut seen = steps.clone();
    seen.dedup();
    // The chain's four periods (0-3) came in one `light_client/updates` answer, the finished
    // periods being asked up to `UPDATES_PER_REQUEST` at a time: one progress report for them.
    let updates: Vec<(u64, Option<u64>)> = hooks
        .events
        .borrow()
        .iter()
        .filter_map(|e| match e {
            Event::Rebuild(p) if p.step == Step::Updates => Some((p.done, p.period)),
            _ => None,
        })
        .collect();
    assert_eq!(updates, vec![(4, Some(3))]);
    assert_eq!(
        seen,
        vec![
            Step::Committees,
            Step::AnchorHeader,
            Step::Updates,
            Step::Finality,
            Step::Headers,
            Step::State,
            Step::Store
        ]
    );
    // A second start is within the period of the new anchor: plain follow.
    let again = run(
        &devnet,
        &net,
        &store,
        &clock,
        &Recorder::default(),
        LongRange::Light,
    )
    .unwrap();
    assert_eq!(again.decision.mode, Mode::Follow);
}

/// Runs `light` with `fault` on the only provider and returns the rebuild error it fails with;
/// the store is unchanged.
fn rebuild_error_with_fault(fault: &str) -> RebuildError {
    let devnet = start(1);
    let net = network(&devnet);
    let (store, old) = genesis_anchor(&devnet, &net, PROVIDER_TIMEOUT_MS);
    let before = block_on(store.dump()).unwrap();
    devnet.add_fault(0, FaultRule::parse(fault).expect("fault parses"));
    let clock = stale_clock(&net, &old, 1);
    let err = run(
        &devnet,
        &net,
        &store,
        &clock,
        &Recorder::default(),
        LongRange::Light,
    )
    .unwrap_err();
    assert_eq!(block_on(store.dump()).unwrap(), before, "{fault}");
    match err {
        OverseerError::Rebuild(e) => e,
        other => panic!("expected a rebuild error, got {other:?}"),
    }
}

#[test]
fn a_forged_update_signature_fails_naming_the_period() {
    let e = rebuild_error_with_fault("bad-lc-signature,path=/eth/v1/beacon/light_client/updates");
    assert_eq!(e.step(), Step::Updates);
    assert_eq!(e.period(), Some(0));
    assert_eq!(e.code(), "LC_SIGNATURE");
    let text = e.to_string();
    assert!(
        text.contains("step updates") && text.contains("period 0"),
        "{text}"
    );
}

#[test]
fn a_tampered_finality_branch_fails_naming_the_period() {
    let e =
        rebuild_error_with_fault("bad-lc-branch,path=/eth/v1/beacon/light_client/finality_update");
    assert_eq!(e.step(), Step::Finality);
    // The light client reached the period of the last update (slot 255 is in period 3).
    assert_eq!(e.period(), Some(3));
    assert_eq!(e.code(), "LC_FINALITY_BRANCH");
}

#[test]
fn a_tampered_update_branch_fails_at_the_first_period() {
    let e = rebuild_error_with_fault("bad-lc-branch,path=/eth/v1/beacon/light_client/updates");
    assert_eq!((e.step(), e.period()), (Step::Updates, Some(0)));
    assert_eq!(e.code(), "LC_FINALITY_BRANCH");
}

#[test]
fn a_broken_header_chain_is_refused_before_anything_is_stored() {
    let e = rebuild_error_with_fault("broken-parent,path=/eth/v1/beacon/headers/*,slots=100-120");
    assert_eq!(e.step(), Step::Headers);
    assert_eq!(e.code(), "HASH_CHAIN_BROKEN");
}

/// One rule for a checkpoint that is stale when given and an anchor that went stale: under
/// `light` the checkpoint is stored marked stale (verified against its root, never current) and
/// rebuilt at once into the active light-client anchor; under `strict` nothing is stored.
#[test]
fn light_rebuilds_a_checkpoint_that_is_stale_when_given() {
    use beacon_lightsync::checkpoint::{CheckpointOptions, CheckpointSync, Source};
    use beacon_lightsync::policy;
    let devnet = start(1);
    let net = network(&devnet);
    // The genesis anchor's period, from a store that synced it while the chain was young.
    let (_, young) = genesis_anchor(&devnet, &net, PROVIDER_TIMEOUT_MS);
    let clock = stale_clock(&net, &young, 1);
    let providers = apis(&devnet, PROVIDER_TIMEOUT_MS);
    let source = Source::TrustedBlockRoot(young.block_root);
    let establish = |store: &MemoryStore, env: &Recorder, long_range| {
        let ctx = Ctx {
            network: &net,
            providers: &providers,
            store,
            clock: &clock,
        };
        let sync = CheckpointSync {
            ctx,
            env,
            options: CheckpointOptions {
                long_range,
                ..CheckpointOptions::default()
            },
        };
        let overseer = Overseer {
            ctx,
            env,
            long_range,
        };
        // The code alone: the error's inner values are large and checked elsewhere.
        block_on(policy::checkpoint(&sync, &overseer, &source)).map_err(|e| e.code())
    };

    let strict = devnet_common::empty_store(&net);
    let err = establish(&strict, &Recorder::default(), LongRange::Strict).unwrap_err();
    assert_eq!(err, "WS_STALE");
    assert!(block_on(strict.dump()).unwrap().anchors.is_empty());

    let store = devnet_common::empty_store(&net);
    let recorder = Recorder::default();
    let done = establish(&store, &recorder, LongRange::Light).unwrap();
    assert!(done.verified.anchor.stale && done.verified.ws.stale);
    assert_eq!(done.verified.anchor.block_root, young.block_root);
    let new = done.anchor();
    assert_eq!(new.trust, Trust::LightClient);
    assert!(!new.stale);
    assert_eq!(new.block_root, devnet.chain().checkpoints.finalized.root);
    assert_eq!(block_on(store.active_anchor()).unwrap().as_ref(), Some(new));
    let kept = block_on(store.anchor(&young.block_root))
        .unwrap()
        .expect("kept");
    assert!(
        kept.stale,
        "the stale checkpoint is never recorded as current"
    );
    // No lenient notice (nor any other warning): the rebuild is what runs, and says so.
    let events = recorder.events.borrow();
    let warnings: Vec<_> = events.iter().filter_map(Event::warning).collect();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Decided {
            mode: Mode::Light,
            ..
        }
    )));
}

/// `follow()` without a start takes the overseer's decision but never rebuilds: a stale anchor
/// under `light` is refused (`WS_STALE`, rebuild first), under `lenient` followed, and the store
/// is unchanged either way.
#[test]
fn following_without_a_start_refuses_a_stale_light_anchor() {
    use beacon_lightsync::policy;
    let devnet = start(1);
    let net = network(&devnet);
    let (store, anchor) = genesis_anchor(&devnet, &net, PROVIDER_TIMEOUT_MS);
    let before = block_on(store.dump()).unwrap();
    let clock = stale_clock(&net, &anchor, 1);
    let providers = apis(&devnet, PROVIDER_TIMEOUT_MS);
    let hooks = Recorder::default();
    let overseer = |long_range| Overseer {
        ctx: Ctx {
            network: &net,
            providers: &providers,
            store: &store,
            clock: &clock,
        },
        env: &hooks,
        long_range,
    };
    let light = overseer(LongRange::Light);
    let err = block_on(policy::follow_state(&light)).unwrap_err();
    assert_eq!(
        err,
        OverseerError::RebuildFirst {
            anchor_epoch: 0,
            ws_period: anchor.ws_period_epochs,
            current_epoch: anchor.ws_period_epochs + 1,
        }
    );
    assert_eq!(err.code(), "WS_STALE");
    assert!(
        err.to_string().contains("start() rebuilds it first"),
        "{err}"
    );
    let lenient = overseer(LongRange::Lenient);
    let state = block_on(policy::follow_state(&lenient)).expect("lenient follows");
    assert_eq!(state.anchor_root, anchor.block_root);
    assert_eq!(block_on(store.dump()).unwrap(), before);
}
