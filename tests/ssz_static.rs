//! consensus-spec-tests `ssz_static` vectors (mainnet preset; bellatrix, capella, deneb) from the
//! shared fixtures: every case decodes, re-encodes byte for byte, hashes to the root recorded in
//! `expected_roots.yaml`, and, where `value.yaml` exists, matches it in the Beacon API JSON form
//! both ways (`spec_json`). LightClient* cases belong to the light-client tests and are skipped here; any
//! other type that this file cannot dispatch fails the test rather than being skipped.
//!
//! The Fulu `BeaconState` vectors of consensus-spec-tests (mainnet and minimal preset) check the
//! typed state and the byte-level merkleizer, whose schema is derived from the same declaration,
//! against the published roots.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::Path;

mod spec_json;

use beacon_lightsync::merkle::state_root;
use beacon_lightsync::ssz_io::{read_ssz_file, require_fixtures_dir};
use beacon_lightsync::types::{
    bellatrix, capella, deneb, fulu, ForkName, Hash256, Mainnet, Minimal, Preset, PresetName,
    SszSchema,
};
use ssz::{Decode, Encode};
use tree_hash::TreeHash;

#[derive(serde::Deserialize)]
struct Expected {
    fork: String,
    #[serde(rename = "type")]
    type_name: String,
    ssz_len: usize,
    hash_tree_root: Hash256,
}

/// The check every case goes through, for one concrete type.
fn check_case<T>(case_dir: &Path, expected: &Expected)
where
    T: Decode + Encode + TreeHash + SszSchema + PartialEq + Debug,
{
    let label = case_dir.display();
    let bytes = read_ssz_file(case_dir.join("serialized.ssz_snappy"))
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    assert_eq!(
        bytes.len(),
        expected.ssz_len,
        "{label}: decompressed length"
    );
    let value = T::from_ssz_bytes(&bytes).unwrap_or_else(|e| panic!("{label}: decode: {e:?}"));
    assert!(
        value.as_ssz_bytes() == bytes,
        "{label}: re-encoding differs"
    );
    assert_eq!(
        value.tree_hash_root(),
        expected.hash_tree_root,
        "{label}: hash_tree_root"
    );
    let yaml_path = case_dir.join("value.yaml");
    if yaml_path.exists() {
        let text = std::fs::read_to_string(&yaml_path).unwrap();
        spec_json::check_value_yaml(label, &value, &bytes, &text);
    }
}

/// One macro for every (fork, type) pair: expands to a dispatch over the fixture's labels.
macro_rules! dispatch {
    ($fork:expr, $ty:expr, $dir:expr, $exp:expr; $($f:literal, $t:literal => $rust:ty;)+) => {
        match ($fork, $ty) {
            $(($f, $t) => { check_case::<$rust>($dir, $exp); true })+
            _ => false,
        }
    };
}

#[test]
fn ssz_static_vectors() {
    let root = require_fixtures_dir().join("trin-spec-ssz-static");
    let text =
        std::fs::read_to_string(root.join("expected_roots.yaml")).expect("expected_roots.yaml");
    let cases: BTreeMap<String, Expected> =
        serde_yaml::from_str(&text).expect("expected_roots.yaml parses");
    assert!(!cases.is_empty());
    let (mut checked, mut with_yaml, mut light_client) = (0, 0, 0);
    for (rel, expected) in &cases {
        if expected.type_name.starts_with("LightClient") {
            light_client += 1;
            continue;
        }
        let file = root.join(rel);
        let dir = file.parent().unwrap();
        let handled = dispatch!(expected.fork.as_str(), expected.type_name.as_str(), dir, expected;
            "bellatrix", "BeaconBlock" => bellatrix::BeaconBlock<Mainnet>;
            "bellatrix", "BeaconBlockBody" => bellatrix::BeaconBlockBody<Mainnet>;
            "bellatrix", "BeaconBlockHeader" => bellatrix::BeaconBlockHeader;
            "bellatrix", "BeaconState" => bellatrix::BeaconState<Mainnet>;
            "bellatrix", "ExecutionPayload" => bellatrix::ExecutionPayload<Mainnet>;
            "bellatrix", "ExecutionPayloadHeader" => bellatrix::ExecutionPayloadHeader<Mainnet>;
            "bellatrix", "HistoricalBatch" => bellatrix::HistoricalBatch<Mainnet>;
            "bellatrix", "SignedBeaconBlock" => bellatrix::SignedBeaconBlock<Mainnet>;
            "capella", "BeaconState" => capella::BeaconState<Mainnet>;
            "capella", "ExecutionPayloadHeader" => capella::ExecutionPayloadHeader<Mainnet>;
            "capella", "SignedBeaconBlock" => capella::SignedBeaconBlock<Mainnet>;
            "deneb", "BeaconState" => deneb::BeaconState<Mainnet>;
            "deneb", "ExecutionPayloadHeader" => deneb::ExecutionPayloadHeader<Mainnet>;
            "deneb", "SignedBeaconBlock" => deneb::SignedBeaconBlock<Mainnet>;
        );
        assert!(
            handled,
            "{rel}: no Rust type for {} {}",
            expected.fork, expected.type_name
        );
        checked += 1;
        if dir.join("value.yaml").exists() {
            with_yaml += 1;
        }
    }
    eprintln!("ssz_static: {checked} cases checked ({with_yaml} with value.yaml), {light_client} light-client cases left to the light-client tests");
    // Every non-light-client case in the fixture folder is listed in expected_roots.yaml.
    assert!(checked >= 20, "only {checked} cases found");
}

#[derive(serde::Deserialize)]
struct Roots {
    root: Hash256,
}

/// Every `ssz_random` case of the Fulu `BeaconState` under preset `P`: the typed state decodes,
/// re-encodes byte for byte and hashes to the published root, and so do the raw bytes through
/// the byte-level merkleizer; where `value.yaml` exists it matches the state (`spec_json`).
fn fulu_states<P: Preset>(preset: PresetName) -> usize {
    let dir = require_fixtures_dir().join(format!(
        "consensus-spec-tests-gloas/tests/{preset}/fulu/ssz_static/BeaconState/ssz_random"
    ));
    let mut cases = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let case = entry.unwrap().path();
        let label = case.display();
        let want: Roots =
            serde_yaml::from_str(&std::fs::read_to_string(case.join("roots.yaml")).unwrap())
                .unwrap();
        let bytes = read_ssz_file(case.join("serialized.ssz_snappy")).unwrap();
        let state = fulu::BeaconState::<P>::from_ssz_bytes(&bytes)
            .unwrap_or_else(|e| panic!("{label}: decode: {e:?}"));
        assert!(
            state.as_ssz_bytes() == bytes,
            "{label}: re-encoding differs"
        );
        assert_eq!(state.tree_hash_root(), want.root, "{label}: typed root");
        let streamed = state_root(&bytes, ForkName::Fulu, preset).unwrap();
        assert_eq!(
            Hash256::from(streamed),
            want.root,
            "{label}: byte-level root"
        );
        let yaml = case.join("value.yaml");
        if yaml.exists() {
            let text = std::fs::read_to_string(&yaml).unwrap();
            spec_json::check_value_yaml(&label, &state, &bytes, &text);
        }
        cases += 1;
    }
    cases
}

#[test]
fn fulu_state_vectors_both_presets() {
    assert_eq!(fulu_states::<Mainnet>(PresetName::Mainnet), 2);
    assert_eq!(fulu_states::<Minimal>(PresetName::Minimal), 2);
}
