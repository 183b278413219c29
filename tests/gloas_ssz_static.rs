//! consensus-spec-tests `ssz_static` vectors (v1.7.0-alpha.13, minimal and mainnet preset) of the
//! containers Gloas adds (`types::gloas`), from the shared fixtures: every case decodes,
//! re-encodes byte for byte, hashes to `roots.yaml`'s root both typed and from the bytes
//! (`merkle::hash_tree_root` over the derived schema), and parses from `value.yaml` into the same
//! value, which survives the Beacon API JSON round trip.
#![cfg(not(target_arch = "wasm32"))]

use std::fmt::Debug;
use std::path::Path;

use beacon_lightsync::merkle;
use beacon_lightsync::ssz_io::{read_ssz_file, require_fixtures_dir};
use beacon_lightsync::types::gloas::{
    Builder, BuilderDepositRequest, BuilderExitRequest, BuilderPendingPayment,
    BuilderPendingWithdrawal, ExecutionPayloadBid, PayloadAttestationData,
    PayloadAttestationMessage, SignedExecutionPayloadBid,
};
use beacon_lightsync::types::SszSchema;
use serde::de::DeserializeOwned;
use ssz::{Decode, Encode};
use tree_hash::TreeHash;

fn root_of(case: &Path) -> [u8; 32] {
    #[derive(serde::Deserialize)]
    struct Roots {
        root: String,
    }
    let text = std::fs::read_to_string(case.join("roots.yaml")).unwrap();
    let roots: Roots = serde_yaml::from_str(&text).unwrap();
    hex::decode(roots.root.trim_start_matches("0x"))
        .unwrap()
        .try_into()
        .unwrap()
}

/// Every case of `type_name` under `preset`, checked as `T`; returns how many.
fn check<T>(preset: &str, type_name: &str) -> usize
where
    T: Decode
        + Encode
        + TreeHash
        + SszSchema
        + DeserializeOwned
        + serde::Serialize
        + PartialEq
        + Debug,
{
    let dir = require_fixtures_dir()
        .join("consensus-spec-tests-gloas/tests")
        .join(preset)
        .join("gloas/ssz_static")
        .join(type_name)
        .join("ssz_random");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no cases in {}", dir.display());
    for case in &cases {
        let label = case.display();
        let bytes = read_ssz_file(case.join("serialized.ssz_snappy")).unwrap();
        let want = root_of(case);
        let value = T::from_ssz_bytes(&bytes).unwrap_or_else(|e| panic!("{label}: {e:?}"));
        assert!(
            value.as_ssz_bytes() == bytes,
            "{label}: re-encoding differs"
        );
        assert_eq!(value.tree_hash_root().0, want, "{label}: typed root");
        assert_eq!(
            merkle::hash_tree_root(&T::ssz_type(), &bytes),
            Ok(want),
            "{label}: root from the bytes"
        );
        let text = std::fs::read_to_string(case.join("value.yaml")).unwrap();
        let parsed: T =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{label}: value.yaml: {e}"));
        assert_eq!(parsed, value, "{label}: value.yaml");
        let json = serde_json::to_string(&value).unwrap();
        let back: T = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(back, value, "{label}: JSON round trip");
    }
    cases.len()
}

#[test]
fn new_gloas_containers_match_their_spec_roots() {
    let mut n = 0;
    for preset in ["minimal", "mainnet"] {
        n += check::<Builder>(preset, "Builder");
        n += check::<BuilderPendingWithdrawal>(preset, "BuilderPendingWithdrawal");
        n += check::<BuilderPendingPayment>(preset, "BuilderPendingPayment");
        n += check::<PayloadAttestationData>(preset, "PayloadAttestationData");
        n += check::<PayloadAttestationMessage>(preset, "PayloadAttestationMessage");
        n += check::<BuilderDepositRequest>(preset, "BuilderDepositRequest");
        n += check::<BuilderExitRequest>(preset, "BuilderExitRequest");
        n += check::<ExecutionPayloadBid>(preset, "ExecutionPayloadBid");
        n += check::<SignedExecutionPayloadBid>(preset, "SignedExecutionPayloadBid");
    }
    assert_eq!(n, 3 * 2 * 9);
}
