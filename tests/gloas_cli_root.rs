//! `lightsync root --fork gloas --type T` for every Gloas `ssz_static` type of the spec vectors
//! (v1.7.0-alpha.13, minimal and mainnet presets), the light-client family included: the printed
//! root is `roots.yaml`'s, or for a `Signed*` type the root of its message (as for every other
//! signed type). Types that do not exist at Gloas fail with a typed message.
#![cfg(not(target_arch = "wasm32"))]

mod devnet_common;

use std::path::Path;

use beacon_lightsync::ssz_io::{read_ssz_file, require_fixtures_dir};
use beacon_lightsync::types::gloas::{SignedExecutionPayloadBid, SignedExecutionPayloadEnvelope};
use beacon_lightsync::types::{Mainnet, Minimal};
use ssz::Decode;
use tree_hash::TreeHash;

/// `lightsync` with `args`: its exit code, stdout and stderr.
fn lightsync(args: &[&str]) -> (i32, String, String) {
    let out = devnet_common::lightsync(args);
    (out.code, out.stdout, out.stderr)
}

fn case_dir(preset: &str, type_name: &str) -> std::path::PathBuf {
    require_fixtures_dir()
        .join("consensus-spec-tests-gloas/tests")
        .join(preset)
        .join("gloas/ssz_static")
        .join(type_name)
        .join("ssz_random/case_0")
}

fn roots_yaml(case: &Path) -> String {
    let text = std::fs::read_to_string(case.join("roots.yaml")).unwrap();
    text.split('\'').nth(1).expect("root: '0x…'").to_string()
}

/// The root of the message of a signed case, from the typed decode.
fn message_root(preset: &str, type_name: &str, bytes: &[u8]) -> String {
    let root = match (preset, type_name) {
        (_, "SignedExecutionPayloadBid") => SignedExecutionPayloadBid::from_ssz_bytes(bytes)
            .unwrap()
            .message
            .tree_hash_root(),
        ("minimal", "SignedExecutionPayloadEnvelope") => {
            SignedExecutionPayloadEnvelope::<Minimal>::from_ssz_bytes(bytes)
                .unwrap()
                .message
                .tree_hash_root()
        }
        ("mainnet", "SignedExecutionPayloadEnvelope") => {
            SignedExecutionPayloadEnvelope::<Mainnet>::from_ssz_bytes(bytes)
                .unwrap()
                .message
                .tree_hash_root()
        }
        ("minimal", "SignedBeaconBlock") => {
            beacon_lightsync::types::gloas::SignedBeaconBlock::<Minimal>::from_ssz_bytes(bytes)
                .unwrap()
                .message_root()
        }
        ("mainnet", "SignedBeaconBlock") => {
            beacon_lightsync::types::gloas::SignedBeaconBlock::<Mainnet>::from_ssz_bytes(bytes)
                .unwrap()
                .message_root()
        }
        other => panic!("not a signed case: {other:?}"),
    };
    format!("{root:#x}")
}

const TYPES: &[&str] = &[
    "BeaconState",
    "BeaconBlockBody",
    "BeaconBlock",
    "SignedBeaconBlock",
    "BeaconBlockHeader",
    "ExecutionPayload",
    "ExecutionPayloadEnvelope",
    "SignedExecutionPayloadEnvelope",
    "ExecutionPayloadBid",
    "SignedExecutionPayloadBid",
    "ExecutionRequests",
    "Attestation",
    "IndexedAttestation",
    "PayloadAttestation",
    "IndexedPayloadAttestation",
    "PayloadAttestationData",
    "PayloadAttestationMessage",
    "Builder",
    "BuilderPendingPayment",
    "BuilderPendingWithdrawal",
    "BuilderDepositRequest",
    "BuilderExitRequest",
    "SyncCommittee",
    "Validator",
    "LightClientHeader",
    "LightClientBootstrap",
    "LightClientUpdate",
    "LightClientFinalityUpdate",
    "LightClientOptimisticUpdate",
];

#[test]
fn cli_root_of_every_gloas_type() {
    let mut n = 0;
    for preset in ["minimal", "mainnet"] {
        for type_name in TYPES {
            let case = case_dir(preset, type_name);
            let file = case.join("serialized.ssz_snappy");
            let (code, out, err) = lightsync(&[
                "root",
                "--type",
                type_name,
                "--fork",
                "gloas",
                "--preset",
                preset,
                file.to_str().unwrap(),
            ]);
            assert_eq!(code, 0, "{preset} {type_name}: {err}");
            let want = if type_name.starts_with("Signed") {
                message_root(preset, type_name, &read_ssz_file(&file).unwrap())
            } else {
                roots_yaml(&case)
            };
            assert_eq!(out.trim(), want, "{preset} {type_name}");
            n += 1;
        }
    }
    assert_eq!(n, 2 * TYPES.len());
}

#[test]
fn cli_root_refuses_what_gloas_does_not_have() {
    let file = case_dir("minimal", "ExecutionPayloadBid").join("serialized.ssz_snappy");
    let file = file.to_str().unwrap();
    let (code, _, err) = lightsync(&[
        "root",
        "--type",
        "ExecutionPayloadHeader",
        "--fork",
        "gloas",
        "--preset",
        "minimal",
        file,
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("ExecutionPayloadHeader does not exist at fork gloas"),
        "{err}"
    );
    // A Gloas light-client header is 496 bytes; a bid is not one.
    let (code, _, err) = lightsync(&[
        "root",
        "--type",
        "LightClientHeader",
        "--fork",
        "gloas",
        "--preset",
        "minimal",
        file,
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("LightClientHeader"), "{err}");
    let (code, _, err) = lightsync(&[
        "root",
        "--type",
        "ExecutionPayloadBid",
        "--fork",
        "fulu",
        "--preset",
        "minimal",
        file,
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("ExecutionPayloadBid does not exist at fork fulu"),
        "{err}"
    );
}
