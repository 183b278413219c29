#![cfg(not(target_arch = "wasm32"))]
//! A live Gloas chain, and a live Fulu chain that forks to Gloas, over real HTTP on 127.0.0.1
//! (1 s slots, minimal preset, a finality advance every 8 s): finality advances across the fork;
//! each new finalized checkpoint's served state is, from Gloas on, the checkpoint block's own
//! post-state (its root is the block's `state_root`, by the byte-level merkleizer), and a fresh
//! checkpoint sync on it passes every check of the crate (state root, link to the block, the
//! block's envelope verified or 404 for EMPTY); the light-client finality updates verify across
//! the fork; and a client that checkpoint-synced follows the moving chain (by the providers'
//! finality checkpoints, each new head linked back by hash chain and stored).

mod devnet_common;

use std::time::{Duration, Instant};

use beacon_lightsync::checkpoint::{LongRange, Source};
use beacon_lightsync::ctx::Ctx;
use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::{Devnet, DevnetOptions};
use beacon_lightsync::light::input::{parse_bootstrap, parse_finality_update};
use beacon_lightsync::light::sync_protocol::initialize_light_client_store;
use beacon_lightsync::light::verifier::verify_updates;
use beacon_lightsync::longrange::{BlockingFollowIo, FollowOptions, FollowState, Overseer};
use beacon_lightsync::store::verify::verify_store;
use beacon_lightsync::store::{PayloadStatus, Store};
use beacon_lightsync::types::phase0::BeaconBlockHeader;
use beacon_lightsync::types::{ForkName, Minimal, PresetName, TreeHash};
use beacon_lightsync::ws::{SystemClock, WsCheckpoint};
use devnet_common::*;
use futures::executor::block_on;

const SPE: u64 = 8;
const SSZ: &str = "application/octet-stream";

fn live(chain: ChainOptions) -> Devnet {
    Devnet::start(DevnetOptions {
        live: true,
        chain: ChainOptions {
            validators: 64,
            slots: 3 * SPE,
            seconds_per_slot: Some(1),
            preset: "minimal".into(),
            ..chain
        },
        ..DevnetOptions::default()
    })
    .expect("live devnet starts")
}

fn hex(r: &[u8]) -> String {
    format!("0x{}", hex::encode(r))
}

fn header(base: &str, id: &str) -> (BeaconBlockHeader, [u8; 32]) {
    let r = get(base, &format!("/eth/v1/beacon/headers/{id}"), None);
    assert_eq!(r.status, 200, "header {id}");
    let data = r.json()["data"].clone();
    let h: BeaconBlockHeader = devnet_common::from_json(&data["header"]["message"]);
    let root = h.tree_hash_root().0;
    assert_eq!(
        hex(&root),
        data["root"].as_str().unwrap(),
        "header {id} root"
    );
    (h, root)
}

/// The finalized checkpoint the head state names now.
fn finalized(base: &str) -> (u64, [u8; 32]) {
    let fc = get(
        base,
        "/eth/v1/beacon/states/head/finality_checkpoints",
        None,
    )
    .json();
    let f = &fc["data"]["finalized"];
    let epoch: u64 = f["epoch"].as_str().unwrap().parse().unwrap();
    let root = hex::decode(f["root"].as_str().unwrap().trim_start_matches("0x")).unwrap();
    (epoch, root.try_into().unwrap())
}

/// Waits (up to `limit`) until the finalized epoch reaches `epoch`.
fn wait_finalized(base: &str, epoch: u64, limit: Duration) -> (u64, [u8; 32]) {
    let deadline = Instant::now() + limit;
    loop {
        let f = finalized(base);
        if f.0 >= epoch {
            return f;
        }
        assert!(
            Instant::now() < deadline,
            "finalized epoch {} < {epoch}",
            f.0
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The served finalized state of checkpoint `(epoch, root)`, checked as a node of `gloas_epoch`
/// serves it: from Gloas on the block's own post-state (root = the header's `state_root`, the
/// state at the block's slot), before it the epoch-boundary state. Its root is recomputed from
/// the bytes. Returns the block's header.
fn check_served_state(
    base: &str,
    (epoch, root): (u64, [u8; 32]),
    gloas_epoch: u64,
) -> BeaconBlockHeader {
    let (h, _) = header(base, &hex(&root));
    assert!(h.slot <= epoch * SPE && h.slot + SPE > epoch * SPE, "{h:?}");
    let gloas = epoch >= gloas_epoch;
    let slot = if gloas { h.slot } else { epoch * SPE };
    let state_root: [u8; 32] = {
        let r = get(base, &format!("/eth/v1/beacon/states/{slot}/root"), None).json();
        let s = r["data"]["root"].as_str().unwrap().trim_start_matches("0x");
        hex::decode(s).unwrap().try_into().unwrap()
    };
    if gloas || h.slot == epoch * SPE {
        assert_eq!(state_root, h.state_root.0, "the block's own post-state");
    }
    let s = get(
        base,
        &format!("/eth/v2/debug/beacon/states/{}", hex(&state_root)),
        Some(SSZ),
    );
    assert_eq!(s.status, 200, "state of checkpoint {epoch}");
    let fork = if h.slot / SPE >= gloas_epoch {
        ForkName::Gloas
    } else {
        ForkName::Fulu
    };
    assert_eq!(s.header("Eth-Consensus-Version"), Some(fork.as_str()));
    let got = beacon_lightsync::merkle::state_root(&s.body, fork, PresetName::Minimal).unwrap();
    assert_eq!(got, state_root, "hash_tree_root of the served bytes");
    h
}

/// A fresh checkpoint sync on `(epoch, root)`: every check of the crate's flow passes; returns
/// the anchor's payload status (`None` before Gloas).
fn sync_on(devnet: &Devnet, (epoch, root): (u64, [u8; 32])) -> Option<PayloadStatus> {
    let net = network(devnet);
    let providers = apis(devnet, 10_000);
    let store = empty_store(&net);
    let cp = WsCheckpoint::parse(&format!("{}:{epoch}", hex(&root))).unwrap();
    let v = checkpoint_sync(&net, &providers, &store, &Source::Checkpoint(cp))
        .unwrap_or_else(|e| panic!("checkpoint sync on epoch {epoch}: {e}"));
    assert_eq!(v.anchor.block_root, root);
    v.anchor.payload.and_then(|p| p.status)
}

/// The envelope answer for `root`: 200 (SSZ, version gloas) or 404.
fn envelope_status(base: &str, root: &[u8; 32]) -> u16 {
    let path = format!("/eth/v1/beacon/execution_payload_envelopes/{}", hex(root));
    let r = get(base, &path, Some(SSZ));
    if r.status == 200 {
        assert_eq!(r.header("Eth-Consensus-Version"), Some("gloas"));
    }
    r.status
}

/// Checkpoint-syncs on the devnet's finalized checkpoint, then follows (strict: the providers'
/// finality checkpoints, linked by hash chain) until the stored head is at or above
/// `until_slot`. Returns the store.
fn sync_and_follow(devnet: &Devnet, until_slot: u64) -> beacon_lightsync::store::MemoryStore {
    let net = network(devnet);
    let providers = apis(devnet, 10_000);
    let store = empty_store(&net);
    checkpoint_sync(
        &net,
        &providers,
        &store,
        &Source::Checkpoint(checkpoint(devnet)),
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
    let deadline = Instant::now() + Duration::from_secs(60);
    let keep = |s: &FollowState| s.tip.slot < until_slot && Instant::now() < deadline;
    let io = BlockingFollowIo {
        started: Instant::now(),
        idle_timeout_ms: 10_000,
        keep_going: &keep,
    };
    block_on(overseer.follow_events(&mut state, &io, &FollowOptions::for_network(&net)));
    assert!(state.tip.slot >= until_slot, "followed to {:?}", state.tip);
    let head = block_on(store.head()).unwrap().expect("a stored head");
    assert_eq!(
        (head.slot, head.block_root),
        (state.tip.slot, state.tip.root)
    );
    // The stored head is the providers' finalized block, and the stored chain links down to
    // the anchor's block.
    let (_, fin_root) = finalized(&devnet.urls()[0]);
    let (fin, _) = header(&devnet.urls()[0], &hex(&fin_root));
    assert!(head.slot <= fin.slot, "head beyond finality");
    let (served, _) = header(&devnet.urls()[0], &hex(&head.block_root));
    assert_eq!(served.state_root.0, head.state_root);
    let report = block_on(verify_store(&store, 64)).unwrap();
    assert!(report.first_broken.is_none(), "{report:?}");
    assert!(report.checked >= head.slot / 2, "{report:?}");
    store
}

#[test]
fn live_gloas_chain_serves_block_states_verifies_and_is_followed() {
    let devnet = live(ChainOptions {
        fork: "gloas".into(),
        withheld_payload_percent: 30,
        seed: 11,
        ..ChainOptions::default()
    });
    let base = &devnet.urls()[0];
    let start = finalized(base);
    assert_eq!(start.0, 1);
    check_served_state(base, start, 0);
    assert_eq!(sync_on(&devnet, start), Some(PayloadStatus::Full));

    // The client follows the moving chain for two finality advances (the checkpoint block of
    // epoch e is above the boundary of epoch e - 1).
    let until = (start.0 + 1) * SPE + 1;
    let store = sync_and_follow(&devnet, until);
    let head = block_on(store.head()).unwrap().unwrap();
    let anchor = block_on(store.active_anchor()).unwrap().unwrap();
    assert_eq!(anchor.fork, "gloas");
    assert!(head.slot > anchor.slot);

    // Every checkpoint finalized meanwhile: the block's own post-state, a verifying sync with
    // its revealed payload (FULL), and envelopes either served or 404 along the chain.
    let now = finalized(base);
    assert!(now.0 >= start.0 + 2, "finality advanced: {now:?}");
    let h = check_served_state(base, now, 0);
    assert_eq!(sync_on(&devnet, now), Some(PayloadStatus::Full));
    let (mut withheld, mut revealed) = (0, 0);
    let mut cursor = h;
    while cursor.slot > SPE {
        match envelope_status(base, &cursor.tree_hash_root().0) {
            200 => revealed += 1,
            404 => withheld += 1,
            other => panic!("envelope status {other}"),
        }
        cursor = header(base, &hex(&cursor.parent_root.0)).0;
    }
    assert!(
        revealed > 0 && withheld > 0,
        "{revealed} revealed, {withheld} withheld"
    );
}

#[test]
fn live_fulu_chain_forks_to_gloas_finalizes_across_and_is_followed() {
    let gloas_epoch = 4;
    let devnet = live(ChainOptions {
        fork: "fulu".into(),
        gloas_epoch: Some(gloas_epoch),
        withhold_checkpoint_payload: true,
        seed: 5,
        ..ChainOptions::default()
    });
    let base = &devnet.urls()[0];
    let net = network(&devnet);
    let start = finalized(base);
    assert_eq!(start.0, 1);
    check_served_state(base, start, gloas_epoch);
    assert_eq!(
        sync_on(&devnet, start),
        None,
        "a Fulu anchor has no payload"
    );

    // A light client bootstrapped before the fork, for the finality updates after it.
    let b = get(
        base,
        &format!("/eth/v1/beacon/light_client/bootstrap/{}", hex(&start.1)),
        None,
    );
    assert_eq!(b.status, 200);
    let bootstrap = parse_bootstrap::<Minimal>(&net, &b.body, None).unwrap();
    let mut lc = initialize_light_client_store(&net, start.1.into(), &bootstrap).unwrap();

    // Checkpoint sync before the fork, then follow until the head is a Gloas block.
    let store = sync_and_follow(&devnet, gloas_epoch * SPE);
    let head = block_on(store.head()).unwrap().unwrap();
    let anchor = block_on(store.active_anchor()).unwrap().unwrap();
    assert_eq!(anchor.fork, "fulu");
    assert!(head.slot >= gloas_epoch * SPE, "a Gloas head: {head:?}");

    // Each checkpoint finalized on the way is served as its fork's node serves it.
    let now = wait_finalized(base, gloas_epoch, Duration::from_secs(30));
    // The canonical chain from the newest checkpoint block down to the first one; each
    // epoch's checkpoint block is its latest block at or before the boundary.
    let mut chain = vec![header(base, &hex(&now.1))];
    while chain.last().unwrap().1 != start.1 {
        let parent = chain.last().unwrap().0.parent_root.0;
        chain.push(header(base, &hex(&parent)));
    }
    for epoch in start.0 + 1..=now.0 {
        let (_, root) = chain.iter().find(|(h, _)| h.slot <= epoch * SPE).unwrap();
        check_served_state(base, (epoch, *root), gloas_epoch);
    }
    // The Gloas checkpoint's payload was withheld: 404, and a sync on it records EMPTY.
    assert_eq!(envelope_status(base, &now.1), 404);
    assert_eq!(sync_on(&devnet, now), Some(PayloadStatus::Empty));

    // The light client moves across the fork on the served finality update.
    let f = get(base, "/eth/v1/beacon/light_client/finality_update", None);
    assert_eq!(f.json()["version"], "gloas");
    let f = parse_finality_update::<Minimal>(&net, &f.body, None).unwrap();
    let genesis = devnet.chain().genesis.as_ref().unwrap().genesis_time;
    let current_slot = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - genesis;
    let s = verify_updates(&net, &mut lc, &[], Some(&f), None, current_slot).unwrap();
    assert!(
        s.finalized.slot >= (gloas_epoch - 1) * SPE,
        "light-client finality across the fork: {:?}",
        s.finalized
    );
}
