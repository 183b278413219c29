//! The state-root code runs unchanged in wasm: the real mainnet genesis state, embedded at build
//! time from the shared fixtures, must hash to its published root inside headless Chromium, by the
//! byte-level merkleizer and by `tree_hash` over the decoded containers alike.
#![cfg(target_arch = "wasm32")]

use beacon_lightsync::merkle::{state_root, StateView};
use beacon_lightsync::types::phase0::BeaconBlockHeader;
use beacon_lightsync::types::{AnyBeaconState, ForkName, Mainnet, PresetName};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const GENESIS: &[u8] = include_bytes!(concat!(
    env!("LIGHTSYNC_FIXTURES_AT_BUILD"),
    "/genesis-states/mainnet-genesis.ssz"
));
/// Published mainnet genesis state root (see the fixture's README).
const GENESIS_STATE_ROOT: &str = "7e76880eb67bbdc86250aa578958e9d0675e64e714337855204fb5abaaf82c2b";
/// Mainnet genesis block root: the state's latest header with its state root filled in.
const GENESIS_BLOCK_ROOT: &str = "4d611d5b93fdab69013a7f0a2f961caca0c853f87cfe9595fe50038163079360";

#[wasm_bindgen_test]
fn mainnet_genesis_state_root_by_merkleizer() {
    let root = state_root(GENESIS, ForkName::Phase0, PresetName::Mainnet).expect("valid state");
    assert_eq!(hex::encode(root), GENESIS_STATE_ROOT);
}

/// The genesis block root through the zero-copy view and the typed header's `tree_hash`.
///
/// The typed `BeaconState` cannot be the reference here: on wasm32 `usize` is 32 bits, so
/// `VALIDATOR_REGISTRY_LIMIT` (2^40) does not fit the list types' `usize` bound and they refuse
/// any validator. Every wasm path therefore reads states through `StateView` and the
/// byte-level merkleizer; this test pins the one typed piece that does fit, the header.
#[wasm_bindgen_test]
fn mainnet_genesis_block_root_from_view_and_typed_header() {
    let root = state_root(GENESIS, ForkName::Phase0, PresetName::Mainnet).expect("valid state");
    let view = StateView::new(GENESIS, ForkName::Phase0, PresetName::Mainnet).expect("view");
    let h = view.latest_block_header();
    let header = BeaconBlockHeader {
        slot: h.slot,
        proposer_index: h.proposer_index,
        parent_root: h.parent_root.into(),
        state_root: root.into(),
        body_root: h.body_root.into(),
    };
    assert_eq!(
        hex::encode(tree_hash::TreeHash::tree_hash_root(&header)),
        GENESIS_BLOCK_ROOT
    );
    assert_eq!(
        view.validators_len(),
        21063,
        "published genesis validator count"
    );
}

/// Documents the wasm32 limit above: if ssz_types ever accepts 2^40-item lists on 32-bit
/// targets, this fails and the typed state can become a second reference in the browser.
#[wasm_bindgen_test]
fn typed_state_decoding_is_refused_on_32_bit_targets() {
    let err = AnyBeaconState::<Mainnet>::from_ssz_bytes(ForkName::Phase0, GENESIS)
        .expect_err("the 2^40 registry limit cannot be a 32-bit usize");
    assert!(format!("{err:?}").contains("exceeds maximum"), "{err:?}");
}

#[wasm_bindgen_test]
fn truncated_state_is_an_error_not_a_panic() {
    let err = state_root(
        &GENESIS[..GENESIS.len() - 7],
        ForkName::Phase0,
        PresetName::Mainnet,
    );
    assert!(err.is_err(), "a truncated state must not hash");
}
