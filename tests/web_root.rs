//! The state-root code runs unchanged in wasm: the real mainnet genesis state, embedded at build
//! time from the shared fixtures, must hash to its published root inside headless Chromium, by the
//! byte-level merkleizer and by `tree_hash` over the decoded containers alike.
#![cfg(target_arch = "wasm32")]

use beacon_lightsync::merkle::state_root;
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

#[wasm_bindgen_test]
fn mainnet_genesis_state_and_block_root_by_tree_hash() {
    let state = AnyBeaconState::<Mainnet>::from_ssz_bytes(ForkName::Phase0, GENESIS).expect("decodes");
    let root = state.tree_hash_root();
    assert_eq!(hex::encode(root), GENESIS_STATE_ROOT);
    let mut header = state.latest_block_header().clone();
    header.state_root = root;
    assert_eq!(hex::encode(tree_hash::TreeHash::tree_hash_root(&header)), GENESIS_BLOCK_ROOT);
}

#[wasm_bindgen_test]
fn truncated_state_is_an_error_not_a_panic() {
    let err = state_root(&GENESIS[..GENESIS.len() - 7], ForkName::Phase0, PresetName::Mainnet);
    assert!(err.is_err(), "a truncated state must not hash");
}
