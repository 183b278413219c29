//! consensus-spec-tests `ssz_static` vectors (v1.7.0-alpha.13, minimal and mainnet preset) of the
//! Gloas containers (`types::gloas`), from the shared fixtures: every case decodes, re-encodes
//! byte for byte, hashes to `roots.yaml`'s root both typed and from the bytes
//! (`merkle::hash_tree_root` over the derived schema), and matches `value.yaml` in the Beacon API
//! JSON form both ways (`spec_json`). (The fixtures leave out `value.yaml`
//! where it is over 200 KB: mainnet `BeaconState`; those cases check bytes and roots only.)
#![cfg(not(target_arch = "wasm32"))]

use std::fmt::Debug;
use std::path::Path;

mod spec_json;

use beacon_lightsync::merkle;
use beacon_lightsync::ssz_io::{read_ssz_file, require_fixtures_dir};
use beacon_lightsync::types::gloas::{
    Attestation, AttesterSlashing, BeaconBlock, BeaconBlockBody, BeaconBlockHeader, BeaconState,
    Builder, BuilderDepositRequest, BuilderExitRequest, BuilderPendingPayment,
    BuilderPendingWithdrawal, ExecutionPayload, ExecutionPayloadBid, ExecutionPayloadEnvelope,
    ExecutionRequests, IndexedAttestation, IndexedPayloadAttestation, PayloadAttestation,
    PayloadAttestationData, PayloadAttestationMessage, SignedBeaconBlock,
    SignedExecutionPayloadBid, SignedExecutionPayloadEnvelope, SyncCommittee, Validator,
};
use beacon_lightsync::types::light_client::gloas as lc;
use beacon_lightsync::types::{Mainnet, Minimal, Preset, SszSchema, SszType};
use sha2::Digest;
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
    T: Decode + Encode + TreeHash + SszSchema + PartialEq + Debug,
{
    check_with::<T>(preset, type_name, Some(T::ssz_type()))
}

/// As [`check`]; `schema` (when the type has one) also hashes the bytes with the merkleizer.
fn check_with<T>(preset: &str, type_name: &str, schema: Option<&SszType>) -> usize
where
    T: Decode + Encode + TreeHash + SszSchema + PartialEq + Debug,
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
        if let Some(schema) = schema {
            assert_eq!(
                merkle::hash_tree_root(schema, &bytes),
                Ok(want),
                "{label}: root from the bytes"
            );
        }
        let value_file = case.join("value.yaml");
        if !value_file.exists() && preset == "mainnet" && type_name == "BeaconState" {
            continue;
        }
        let text = std::fs::read_to_string(value_file).unwrap();
        spec_json::check_value_yaml(label, &value, &bytes, &text);
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

/// The containers sized by the preset, those Gloas turned into `ProgressiveContainer`s, and the
/// Gloas light-client family.
fn check_preset<P: Preset>(preset: &str) -> usize {
    let mut n = 0;
    n += check::<BeaconState<P>>(preset, "BeaconState");
    n += check::<BeaconBlockBody<P>>(preset, "BeaconBlockBody");
    n += check::<BeaconBlock<P>>(preset, "BeaconBlock");
    n += check::<SignedBeaconBlock<P>>(preset, "SignedBeaconBlock");
    n += check::<BeaconBlockHeader>(preset, "BeaconBlockHeader");
    n += check::<ExecutionPayload<P>>(preset, "ExecutionPayload");
    n += check::<ExecutionPayloadEnvelope<P>>(preset, "ExecutionPayloadEnvelope");
    n += check::<SignedExecutionPayloadEnvelope<P>>(preset, "SignedExecutionPayloadEnvelope");
    n += check::<ExecutionRequests>(preset, "ExecutionRequests");
    n += check::<Attestation<P>>(preset, "Attestation");
    n += check::<IndexedAttestation>(preset, "IndexedAttestation");
    n += check::<PayloadAttestation<P>>(preset, "PayloadAttestation");
    n += check::<IndexedPayloadAttestation<P>>(preset, "IndexedPayloadAttestation");
    n += check::<SyncCommittee<P>>(preset, "SyncCommittee");
    n += check::<Validator>(preset, "Validator");
    n += check_with::<lc::LightClientHeader>(preset, "LightClientHeader", None);
    n += check_with::<lc::LightClientBootstrap<P>>(preset, "LightClientBootstrap", None);
    n += check_with::<lc::LightClientUpdate<P>>(preset, "LightClientUpdate", None);
    n += check_with::<lc::LightClientFinalityUpdate<P>>(preset, "LightClientFinalityUpdate", None);
    n += check_with::<lc::LightClientOptimisticUpdate<P>>(
        preset,
        "LightClientOptimisticUpdate",
        None,
    );
    n
}

#[test]
fn gloas_fork_containers_match_their_spec_roots() {
    let n = check_preset::<Minimal>("minimal") + check_preset::<Mainnet>("mainnet");
    assert_eq!(n, 3 * 2 * 20);
}

/// `AttesterSlashing` has no vectors in the fixtures; its Gloas version holds two Gloas
/// `IndexedAttestation`s, so its root is a plain container's over theirs.
#[test]
fn gloas_attester_slashing_is_a_container_of_two_indexed_attestations() {
    let dir = require_fixtures_dir().join(
        "consensus-spec-tests-gloas/tests/minimal/gloas/ssz_static/IndexedAttestation/ssz_random",
    );
    let a = IndexedAttestation::from_ssz_bytes(
        &read_ssz_file(dir.join("case_0/serialized.ssz_snappy")).unwrap(),
    )
    .unwrap();
    let b = IndexedAttestation::from_ssz_bytes(
        &read_ssz_file(dir.join("case_1/serialized.ssz_snappy")).unwrap(),
    )
    .unwrap();
    let slashing = AttesterSlashing {
        attestation_1: a.clone(),
        attestation_2: b.clone(),
    };
    let mut pair = [0u8; 64];
    pair[..32].copy_from_slice(a.tree_hash_root().as_slice());
    pair[32..].copy_from_slice(b.tree_hash_root().as_slice());
    let want: [u8; 32] = sha2::Sha256::digest(pair).into();
    assert_eq!(slashing.tree_hash_root().0, want);
    let bytes = slashing.as_ssz_bytes();
    assert_eq!(AttesterSlashing::from_ssz_bytes(&bytes).unwrap(), slashing);
    assert_eq!(
        merkle::hash_tree_root(AttesterSlashing::ssz_type(), &bytes),
        Ok(want)
    );
}
