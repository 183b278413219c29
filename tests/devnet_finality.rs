#![cfg(not(target_arch = "wasm32"))]
//! One view of finality on the devnet's default shape (minimal preset, 256 slots, so the head
//! is an epoch's first slot): the head state finalizes epoch 30 while the newest light-client
//! finality update, attested in epoch 31, finalizes epoch 29. A real node serves both; so must
//! the devnet. Everything is checked over HTTP with the crate's own code (typed SSZ decoding,
//! `tree_hash`, `merkle::state_root`) and the light rebuild runs end to end.

mod devnet_common;

use std::collections::BTreeMap;

use beacon_lightsync::checkpoint::{LongRange, Source};
use beacon_lightsync::ctx::{Ctx, Quiet};
use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::{Devnet, DevnetOptions};
use beacon_lightsync::longrange::{Mode, Overseer};
use beacon_lightsync::store::Trust;
use beacon_lightsync::types::light_client::electra as lc;
use beacon_lightsync::types::phase0::BeaconBlockHeader;
use beacon_lightsync::types::{fulu, ForkName, Minimal, PresetName, TreeHash, B256};
use beacon_lightsync::ws::FixedClock;
use devnet_common::*;
use futures::executor::block_on;
use ssz::Decode;

type State = fulu::BeaconState<Minimal>;
const SSZ: &str = "application/octet-stream";
/// Minimal preset: SLOTS_PER_EPOCH and SLOTS_PER_HISTORICAL_ROOT.
const SPE: u64 = 8;
const SPHR: u64 = 64;
/// The default devnet's length (`lightsync devnet` without `--slots`).
const SLOTS: u64 = 256;

fn start() -> Devnet {
    Devnet::start(DevnetOptions {
        chain: ChainOptions {
            validators: 512,
            slots: SLOTS,
            seed: 7,
            ..ChainOptions::default()
        },
        ..DevnetOptions::default()
    })
    .expect("devnet starts")
}

fn hex(r: &[u8]) -> String {
    format!("0x{}", hex::encode(r))
}

fn root_of(v: &serde_json::Value) -> [u8; 32] {
    let s = v.as_str().expect("a 0x string");
    hex::decode(s.trim_start_matches("0x"))
        .expect("hex")
        .try_into()
        .expect("32 bytes")
}

fn checkpoint_of(v: &serde_json::Value) -> (u64, [u8; 32]) {
    (
        v["epoch"].as_str().unwrap().parse().unwrap(),
        root_of(&v["root"]),
    )
}

/// The served state with this root, verified: decodes as Fulu minimal, and both the typed
/// `tree_hash` and `merkle::state_root` over the bytes give the root.
fn verified_state(base: &str, state_root: [u8; 32]) -> State {
    let r = get(
        base,
        &format!("/eth/v2/debug/beacon/states/{}", hex(&state_root)),
        Some(SSZ),
    );
    assert_eq!(
        r.status,
        200,
        "state {} is served: {}",
        hex(&state_root),
        String::from_utf8_lossy(&r.body)
    );
    let state = State::from_ssz_bytes(&r.body).expect("state decodes");
    assert_eq!(state.tree_hash_root().0, state_root);
    assert_eq!(
        beacon_lightsync::merkle::state_root(&r.body, ForkName::Fulu, PresetName::Minimal).unwrap(),
        state_root
    );
    state
}

fn header(base: &str, id: &str) -> ([u8; 32], BeaconBlockHeader) {
    let v = get(base, &format!("/eth/v1/beacon/headers/{id}"), None).json();
    let h: BeaconBlockHeader = devnet_common::from_json(&v["data"]["header"]["message"]);
    assert_eq!(root_of(&v["data"]["root"]), h.tree_hash_root().0);
    (h.tree_hash_root().0, h)
}

/// Checks a served state against the chain read over HTTP: its latest block header links to the
/// canonical block at or before its slot, `block_roots`/`state_roots` hold the canonical roots of
/// the last `SPHR` slots, and its historical summaries equal those of every other served state
/// over their common prefix (the chain is one chain).
fn check_consistent(
    state: &State,
    canonical: &BTreeMap<u64, ([u8; 32], [u8; 32])>,
    summaries: &mut Vec<(B256, B256)>,
) {
    let (&slot, &(block_root, post_state)) = canonical.range(..=state.slot).next_back().unwrap();
    let mut latest = state.latest_block_header;
    if latest.state_root == B256::ZERO {
        assert_eq!(
            slot, state.slot,
            "a zero state root only at the block's own slot"
        );
        latest.state_root = B256::from(post_state);
    }
    assert_eq!(latest.tree_hash_root().0, block_root);
    for s in state.slot.saturating_sub(SPHR)..state.slot {
        let (_, &(root, _)) = canonical.range(..=s).next_back().unwrap();
        assert_eq!(
            state.block_roots[(s % SPHR) as usize].0,
            root,
            "block_roots[{s}] of the state at {}",
            state.slot
        );
        if let Some(&(_, sr)) = canonical.get(&s) {
            assert_eq!(state.state_roots[(s % SPHR) as usize].0, sr);
        }
    }
    let mine: Vec<(B256, B256)> = state
        .historical_summaries
        .iter()
        .map(|h| (h.block_summary_root, h.state_summary_root))
        .collect();
    assert_eq!(mine.len() as u64, state.slot / SPHR);
    let common = mine.len().min(summaries.len());
    assert_eq!(mine[..common], summaries[..common]);
    if mine.len() > summaries.len() {
        *summaries = mine;
    }
}

#[test]
fn every_checkpoint_an_endpoint_names_has_its_state() {
    let d = start();
    let base = &d.urls()[0];
    let info = d.info();

    // Canonical chain by slot: (block root, state root), walked down by parent root.
    let mut canonical = BTreeMap::new();
    let (mut root, mut h) = header(base, "head");
    assert_eq!(h.slot, SLOTS);
    loop {
        canonical.insert(h.slot, (root, h.state_root.0));
        if h.slot == 0 {
            break;
        }
        (root, h) = header(base, &hex(&h.parent_root.0));
    }

    // The head state's view: finalized epoch 30, justified 31.
    let head_cp = get(
        base,
        "/eth/v1/beacon/states/head/finality_checkpoints",
        None,
    )
    .json();
    let (fin_epoch, fin_root) = checkpoint_of(&head_cp["data"]["finalized"]);
    let (just_epoch, just_root) = checkpoint_of(&head_cp["data"]["current_justified"]);
    assert_eq!(fin_epoch, SLOTS / SPE - 2);
    assert_eq!(just_epoch, SLOTS / SPE - 1);
    assert_eq!(info["finalized_root"], hex(&fin_root));
    assert_eq!(header(base, "finalized").0, fin_root);
    assert_eq!(header(base, "justified").0, just_root);

    // The `finalized` state is epoch 30's boundary state; its own checkpoints are older, and
    // `states/finalized/finality_checkpoints` reports them, not the head's.
    let fin_state = verified_state(
        base,
        root_of(&get(base, "/eth/v1/beacon/states/finalized/root", None).json()["data"]["root"]),
    );
    assert_eq!(fin_state.slot, fin_epoch * SPE);
    let own = get(
        base,
        "/eth/v1/beacon/states/finalized/finality_checkpoints",
        None,
    )
    .json();
    let (own_epoch, own_root) = checkpoint_of(&own["data"]["finalized"]);
    assert_eq!(own_epoch, fin_state.finalized_checkpoint.epoch);
    assert_eq!(own_root, fin_state.finalized_checkpoint.root.0);
    assert_eq!(
        own_epoch,
        fin_epoch - 2,
        "the finalized state's own finality is older"
    );
    let own_just = checkpoint_of(&own["data"]["current_justified"]);
    assert_eq!(own_just.0, fin_state.current_justified_checkpoint.epoch);

    // The finality update finalizes epoch 29 (attested in epoch 31), and that state is served.
    let fu = get(
        base,
        "/eth/v1/beacon/light_client/finality_update",
        Some(SSZ),
    );
    assert_eq!(fu.status, 200);
    let fu = lc::LightClientFinalityUpdate::<Minimal>::from_ssz_bytes(&fu.body).unwrap();
    assert_eq!(fu.attested_header.beacon.slot / SPE, SLOTS / SPE - 1);
    let lc_fin = &fu.finalized_header.beacon;
    assert_eq!(lc_fin.slot / SPE, fin_epoch - 1);
    assert_eq!(info["light_client_finalized_slot"], lc_fin.slot);
    assert_eq!(
        info["light_client_finalized_root"],
        hex(&lc_fin.tree_hash_root().0)
    );
    let lc_state = verified_state(base, lc_fin.state_root.0);
    assert_eq!(lc_state.slot, lc_fin.slot);

    // Every bootstrap root's state is served, and its committee is the bootstrap's.
    let mut summaries = Vec::new();
    let boots = info["bootstrap_roots"].as_array().unwrap().clone();
    assert!(boots.contains(&serde_json::json!(hex(&fin_root))));
    assert!(boots.contains(&serde_json::json!(hex(&lc_fin.tree_hash_root().0))));
    for b in &boots {
        let (root, h) = header(base, b.as_str().unwrap());
        let r = get(
            base,
            &format!("/eth/v1/beacon/light_client/bootstrap/{}", hex(&root)),
            Some(SSZ),
        );
        let boot = lc::LightClientBootstrap::<Minimal>::from_ssz_bytes(&r.body).unwrap();
        assert_eq!(boot.header.beacon, h);
        if h.slot % SPE == 0 {
            let state = verified_state(base, h.state_root.0);
            check_consistent(&state, &canonical, &mut summaries);
            assert_eq!(boot.current_sync_committee, state.current_sync_committee);
        } else {
            // A checkpoint block before an empty boundary slot: the boundary state is served and
            // links to it through latest_block_header (state root filled in).
            let boundary = h.slot.div_ceil(SPE) * SPE;
            assert!(!canonical.contains_key(&boundary));
            let r = get(
                base,
                &format!("/eth/v2/debug/beacon/states/{boundary}"),
                Some(SSZ),
            );
            assert_eq!(r.status, 200, "boundary state at {boundary}");
            let state = State::from_ssz_bytes(&r.body).unwrap();
            assert_eq!(state.latest_block_header.tree_hash_root().0, root);
            check_consistent(&state, &canonical, &mut summaries);
        }
    }
    // The justified state too, with its finality checkpoints; every served slot is consistent.
    let just_state = get(base, "/eth/v2/debug/beacon/states/justified", Some(SSZ));
    assert_eq!(just_state.status, 200);
    let just_state = State::from_ssz_bytes(&just_state.body).unwrap();
    assert_eq!(just_state.slot, just_epoch * SPE);
    check_consistent(&just_state, &canonical, &mut summaries);
    assert_eq!(
        get(
            base,
            "/eth/v1/beacon/states/justified/finality_checkpoints",
            None
        )
        .status,
        200
    );
    for s in info["served_state_slots"].as_array().unwrap() {
        let slot = s.as_u64().unwrap();
        let r = get(
            base,
            &format!("/eth/v2/debug/beacon/states/{slot}"),
            Some(SSZ),
        );
        assert_eq!(r.status, 200, "served slot {slot}");
        let state = State::from_ssz_bytes(&r.body).unwrap();
        check_consistent(&state, &canonical, &mut summaries);
    }
}

#[test]
fn light_rebuild_on_the_default_devnet_reaches_the_finality_updates_state() {
    let d = start();
    let chain = d.chain();
    let net = network(&d);
    let providers = apis(&d, 10_000);
    let store = empty_store(&net);
    let genesis_root = chain.genesis_block_root.unwrap();
    let old = checkpoint_sync(
        &net,
        &providers,
        &store,
        &Source::TrustedBlockRoot(genesis_root),
    )
    .expect("genesis anchor")
    .anchor;
    let epoch = old.epoch + old.ws_period_epochs + 1;
    let clock = FixedClock(net.genesis_time + epoch * net.slots_per_epoch() * net.seconds_per_slot);
    let started = block_on(
        Overseer {
            ctx: Ctx {
                network: &net,
                providers: &providers,
                store: &store,
                clock: &clock,
            },
            env: &Quiet,
            long_range: LongRange::Light,
        }
        .start(),
    )
    .expect("light rebuild on the default devnet shape");
    assert_eq!(started.decision.mode, Mode::Light);
    assert_eq!(started.anchor.trust, Trust::LightClient);
    let info = d.info();
    assert_eq!(
        hex(&started.anchor.block_root),
        info["light_client_finalized_root"].as_str().unwrap()
    );
    assert_eq!(started.anchor.epoch, SLOTS / SPE - 3);
}
