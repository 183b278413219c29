//! The epoch-boundary case against real HTTP: the finalized epoch's first slot is empty, so the
//! checkpoint block is earlier and the provider serves only the boundary state (advanced through
//! the empty slots). The devnet's `empty_checkpoint_slot` option builds such a chain.
//!
//! Known answers come from the devnet, not from the flow under test: its generated headers
//! (`ChainData::headers`) and the state root it reports for the boundary slot
//! (`/eth/v1/beacon/states/{slot}/root`, computed by `tree_hash` on the typed state).
#![cfg(not(target_arch = "wasm32"))]

mod devnet_common;

use beacon_lightsync::beacon_api::{BeaconApi, HttpBeaconApi, Transport, UreqTransport};
use beacon_lightsync::checkpoint::{CheckpointError, Source, Verified};
use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::faults::FaultRule;
use beacon_lightsync::devnet::{Devnet, DevnetOptions};
use beacon_lightsync::store::{MemoryStore, Store, Trust};
use beacon_lightsync::ws::WsCheckpoint;
use devnet_common::{apis, checkpoint, checkpoint_sync, empty_store, network};
use futures::executor::block_on;

/// Registry size of the test chain (minimal preset, all active).
const VALIDATORS: u64 = 256;
/// Slots of the test chain (minimal preset: 8 slots per epoch).
const SLOTS: u64 = 96;
/// Byte offset of `latest_block_header.parent_root` in a `BeaconState`: genesis_time (8),
/// genesis_validators_root (32), slot (8), fork (16), then the header's slot (8) and
/// proposer_index (8) — the same layout from phase0 to fulu.
const LATEST_HEADER_PARENT_ROOT_OFFSET: u64 = 8 + 32 + 8 + 16 + 8 + 8;

fn start() -> Devnet {
    Devnet::start(DevnetOptions {
        chain: ChainOptions {
            validators: VALIDATORS,
            slots: SLOTS,
            seed: 11,
            empty_checkpoint_slot: true,
            ..ChainOptions::default()
        },
        ..DevnetOptions::default()
    })
    .expect("devnet starts")
}

fn sync(
    net: &NetworkConfig,
    providers: &[HttpBeaconApi<UreqTransport>],
    source: &Source,
) -> (MemoryStore, Result<Verified, CheckpointError>) {
    let store = empty_store(net);
    let result = checkpoint_sync(net, providers, &store, source);
    (store, result)
}

/// The state root the devnet reports for `state_id`.
fn devnet_state_root(url: &str, state_id: &str) -> [u8; 32] {
    let t = UreqTransport::default();
    let r = block_on(t.get(
        &format!("{url}/eth/v1/beacon/states/{state_id}/root"),
        "application/json",
        1 << 20,
    ))
    .expect("state root answer");
    assert_eq!(r.status, 200, "{state_id}");
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON");
    let hex = v["data"]["root"].as_str().expect("data.root");
    hex::decode(&hex[2..]).unwrap().try_into().unwrap()
}

#[test]
fn every_flow_links_the_boundary_state_to_the_earlier_checkpoint_block() {
    let devnet = start();
    let url = devnet.urls()[0].clone();
    let net = network(&devnet);
    let providers = apis(&devnet, 5_000);
    let cp = checkpoint(&devnet);
    let boundary = cp.epoch * net.slots_per_epoch();
    let chain = devnet.chain();
    assert!(
        !chain.headers.contains_key(&boundary),
        "the boundary slot {boundary} must be empty for this test"
    );
    let (&block_slot, block) = chain
        .headers
        .range(..boundary)
        .next_back()
        .expect("a block before the boundary");
    assert_eq!(block.root, cp.root, "the checkpoint names the last block");
    assert_eq!(block_slot / net.slots_per_epoch(), cp.epoch - 1);
    // The provider has no state for the block's own state root (only boundary states).
    let api = &providers[0];
    let state_root_id = format!("0x{}", hex::encode(block.state_root));
    assert_eq!(
        block_on(api.state_ssz(&state_root_id, &mut |_, _| {}))
            .unwrap_err()
            .code(),
        "HTTP_STATUS"
    );
    let boundary_root = devnet_state_root(&url, &boundary.to_string());

    let cases = [
        (Source::Checkpoint(cp), Trust::Checkpoint),
        (Source::TrustedBlockRoot(cp.root), Trust::BlockRoot),
        (Source::StateId("finalized".into()), Trust::Provider),
    ];
    for (source, trust) in cases {
        let (store, result) = sync(&net, &providers, &source);
        let v = result.unwrap_or_else(|e| panic!("{source:?}: {} {e}", e.code()));
        let a = &v.anchor;
        assert_eq!(a.trust, trust);
        assert_eq!(a.block_root, cp.root, "{trust:?}");
        assert_eq!(
            a.slot, boundary,
            "{trust:?}: the anchor is the boundary state"
        );
        assert_eq!(a.epoch, cp.epoch);
        assert_eq!(a.state_root, boundary_root, "{trust:?}");
        assert_ne!(a.state_root, block.state_root);
        assert!(
            a.linked_through_latest_block_header,
            "{trust:?}: the anchor must say it was linked through latest_block_header"
        );
        assert_eq!(a.active_validators, VALIDATORS);
        assert_eq!(block_on(store.active_anchor()).unwrap().as_ref(), Some(a));
    }

    // The block's own epoch is not its checkpoint epoch (it is after that epoch's first slot).
    let (_, result) = sync(
        &net,
        &providers,
        &Source::Checkpoint(WsCheckpoint {
            epoch: cp.epoch - 1,
            ..cp
        }),
    );
    let err = result.unwrap_err();
    if block_slot > (cp.epoch - 1) * net.slots_per_epoch() {
        assert_eq!(err.code(), "INVALID_CHECKPOINT", "{err}");
    } else {
        // A block alone at its epoch's first slot: its state is then not served at all.
        assert_eq!(err.code(), "STATE_NOT_FOUND", "{err}");
    }
}

#[test]
fn a_boundary_state_that_does_not_link_is_refused_and_nothing_is_stored() {
    let devnet = start();
    let net = network(&devnet);
    let providers = apis(&devnet, 5_000);
    let cp = checkpoint(&devnet);

    // The served boundary state's latest_block_header points at another parent: its root is
    // no longer the checkpoint block's.
    let rule = FaultRule::parse(&format!(
        "flip-state,offset={LATEST_HEADER_PARENT_ROOT_OFFSET},path=/eth/v2/debug/beacon/states/*"
    ))
    .unwrap();
    devnet.add_fault(0, rule);
    for source in [Source::Checkpoint(cp), Source::TrustedBlockRoot(cp.root)] {
        let (store, result) = sync(&net, &providers, &source);
        match result.unwrap_err() {
            CheckpointError::StateLinkMismatch { what, expected, .. } => {
                assert!(what.starts_with("latest_block_header root"), "{what}");
                assert_eq!(expected, format!("0x{}", hex::encode(cp.root)));
            }
            other => panic!("{source:?}: expected STATE_LINK_MISMATCH, got {other}"),
        }
        assert!(block_on(store.anchors()).unwrap().is_empty());
        assert_eq!(block_on(store.active_anchor()).unwrap(), None);
    }
    // Trusting the provider, the same state names a block it does not have.
    let (store, result) = sync(&net, &providers, &Source::StateId("finalized".into()));
    let err = result.unwrap_err();
    assert_eq!(err.code(), "HEADER_NOT_FOUND", "{err}");
    assert!(block_on(store.anchors()).unwrap().is_empty());
}
