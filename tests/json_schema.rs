//! The schema-driven JSON reader (`types::json`) against known answers: every consensus-spec-tests
//! `ssz_static` case with a `value.yaml` among the shared fixtures (bellatrix, capella and deneb
//! under the mainnet preset; Fulu light-client headers and every Gloas container under both
//! presets) reads into exactly the bytes of its `serialized.ssz_snappy`, once with the integers
//! as the YAML writes them and once as the Beacon API's decimal strings; the fork-tagged enums
//! read the same cases through `from_json_value`; real mainnet blocks and light-client data in
//! Beacon API JSON read into the values that hash to the chain's roots; and bad values get
//! `TypesError::Json` with the type, the fork and the JSON path.
#![cfg(not(target_arch = "wasm32"))]

mod spec_json;

use std::path::{Path, PathBuf};

use beacon_lightsync::ssz_io::{read_ssz_file, require_fixtures_dir};
use beacon_lightsync::types::json::json_to_ssz;
use beacon_lightsync::types::light_client::{
    self as lc, LightClientBootstrap, LightClientFinalityUpdate, LightClientOptimisticUpdate,
    LightClientUpdate,
};
use beacon_lightsync::types::{
    bellatrix, capella, deneb, gloas, AnyBeaconBlock, AnyBeaconBlockBody, AnyExecutionPayload,
    AnyExecutionPayloadHeader, AnySignedBeaconBlock, ForkName, Mainnet, Minimal, Preset, SszSchema,
    SszType, TypesError,
};
use serde_json::{json, Value};
use spec_json::quote_numbers;

/// The schema of `type_name` at `fork` (a spec-test folder name) under `P`.
fn schema<P: Preset>(fork: &str, type_name: &str) -> Option<&'static SszType> {
    macro_rules! table {
        ($($f:literal, $t:literal => $ty:ty;)+) => {
            match (fork, type_name) {
                $(($f, $t) => Some(<$ty as SszSchema>::ssz_type()),)+
                _ => None,
            }
        };
    }
    table!(
        "bellatrix", "BeaconBlock" => bellatrix::BeaconBlock<P>;
        "bellatrix", "BeaconBlockBody" => bellatrix::BeaconBlockBody<P>;
        "bellatrix", "BeaconBlockHeader" => bellatrix::BeaconBlockHeader;
        "bellatrix", "ExecutionPayload" => bellatrix::ExecutionPayload<P>;
        "bellatrix", "ExecutionPayloadHeader" => bellatrix::ExecutionPayloadHeader<P>;
        "bellatrix", "HistoricalBatch" => bellatrix::HistoricalBatch<P>;
        "bellatrix", "SignedBeaconBlock" => bellatrix::SignedBeaconBlock<P>;
        "bellatrix", "LightClientHeader" => lc::altair::LightClientHeader;
        "bellatrix", "LightClientBootstrap" => lc::altair::LightClientBootstrap<P>;
        "bellatrix", "LightClientUpdate" => lc::altair::LightClientUpdate<P>;
        "bellatrix", "LightClientFinalityUpdate" => lc::altair::LightClientFinalityUpdate<P>;
        "bellatrix", "LightClientOptimisticUpdate" => lc::altair::LightClientOptimisticUpdate<P>;
        "capella", "ExecutionPayloadHeader" => capella::ExecutionPayloadHeader<P>;
        "capella", "SignedBeaconBlock" => capella::SignedBeaconBlock<P>;
        "capella", "LightClientHeader" => lc::capella::LightClientHeader<P>;
        "capella", "LightClientBootstrap" => lc::capella::LightClientBootstrap<P>;
        "capella", "LightClientUpdate" => lc::capella::LightClientUpdate<P>;
        "capella", "LightClientFinalityUpdate" => lc::capella::LightClientFinalityUpdate<P>;
        "capella", "LightClientOptimisticUpdate" => lc::capella::LightClientOptimisticUpdate<P>;
        "deneb", "ExecutionPayloadHeader" => deneb::ExecutionPayloadHeader<P>;
        "deneb", "SignedBeaconBlock" => deneb::SignedBeaconBlock<P>;
        "deneb", "LightClientHeader" => lc::deneb::LightClientHeader<P>;
        "deneb", "LightClientBootstrap" => lc::deneb::LightClientBootstrap<P>;
        "deneb", "LightClientUpdate" => lc::deneb::LightClientUpdate<P>;
        "deneb", "LightClientFinalityUpdate" => lc::deneb::LightClientFinalityUpdate<P>;
        "deneb", "LightClientOptimisticUpdate" => lc::deneb::LightClientOptimisticUpdate<P>;
        "fulu", "BeaconState" => beacon_lightsync::types::fulu::BeaconState<P>;
        "fulu", "LightClientHeader" => lc::deneb::LightClientHeader<P>;
        "gloas", "Attestation" => gloas::Attestation<P>;
        "gloas", "BeaconBlock" => gloas::BeaconBlock<P>;
        "gloas", "BeaconBlockBody" => gloas::BeaconBlockBody<P>;
        "gloas", "BeaconBlockHeader" => gloas::BeaconBlockHeader;
        "gloas", "BeaconState" => gloas::BeaconState<P>;
        "gloas", "Builder" => gloas::Builder;
        "gloas", "BuilderDepositRequest" => gloas::BuilderDepositRequest;
        "gloas", "BuilderExitRequest" => gloas::BuilderExitRequest;
        "gloas", "BuilderPendingPayment" => gloas::BuilderPendingPayment;
        "gloas", "BuilderPendingWithdrawal" => gloas::BuilderPendingWithdrawal;
        "gloas", "ExecutionPayload" => gloas::ExecutionPayload<P>;
        "gloas", "ExecutionPayloadBid" => gloas::ExecutionPayloadBid;
        "gloas", "ExecutionPayloadEnvelope" => gloas::ExecutionPayloadEnvelope<P>;
        "gloas", "ExecutionRequests" => gloas::ExecutionRequests;
        "gloas", "IndexedAttestation" => gloas::IndexedAttestation;
        "gloas", "IndexedPayloadAttestation" => gloas::IndexedPayloadAttestation<P>;
        "gloas", "PayloadAttestation" => gloas::PayloadAttestation<P>;
        "gloas", "PayloadAttestationData" => gloas::PayloadAttestationData;
        "gloas", "PayloadAttestationMessage" => gloas::PayloadAttestationMessage;
        "gloas", "SignedBeaconBlock" => gloas::SignedBeaconBlock<P>;
        "gloas", "SignedExecutionPayloadBid" => gloas::SignedExecutionPayloadBid;
        "gloas", "SignedExecutionPayloadEnvelope" => gloas::SignedExecutionPayloadEnvelope<P>;
        "gloas", "SyncCommittee" => gloas::SyncCommittee<P>;
        "gloas", "Validator" => gloas::Validator;
        "gloas", "LightClientHeader" => lc::gloas::LightClientHeader;
        "gloas", "LightClientBootstrap" => lc::gloas::LightClientBootstrap<P>;
        "gloas", "LightClientUpdate" => lc::gloas::LightClientUpdate<P>;
        "gloas", "LightClientFinalityUpdate" => lc::gloas::LightClientFinalityUpdate<P>;
        "gloas", "LightClientOptimisticUpdate" => lc::gloas::LightClientOptimisticUpdate<P>;
    )
}

/// The SSZ bytes the fork-tagged enum reads from `value`, for the types that have one.
fn via_enum<P: Preset>(fork: ForkName, type_name: &str, value: &Value) -> Option<Vec<u8>> {
    let v = value.clone();
    let bytes = match type_name {
        "SignedBeaconBlock" => {
            AnySignedBeaconBlock::<P>::from_json_value(fork, v).map(|x| x.as_ssz_bytes())
        }
        "BeaconBlock" => AnyBeaconBlock::<P>::from_json_value(fork, v).map(|x| x.as_ssz_bytes()),
        "BeaconBlockBody" => {
            AnyBeaconBlockBody::<P>::from_json_value(fork, v).map(|x| x.as_ssz_bytes())
        }
        "ExecutionPayload" => {
            AnyExecutionPayload::<P>::from_json_value(fork, v).map(|x| x.as_ssz_bytes())
        }
        "ExecutionPayloadHeader" => {
            AnyExecutionPayloadHeader::<P>::from_json_value(fork, v).map(|x| x.as_ssz_bytes())
        }
        "LightClientBootstrap" => {
            LightClientBootstrap::<P>::from_json_value(fork, v).map(|x| x.as_ssz_bytes())
        }
        "LightClientUpdate" => {
            LightClientUpdate::<P>::from_json_value(fork, v).map(|x| x.as_ssz_bytes())
        }
        "LightClientFinalityUpdate" => {
            LightClientFinalityUpdate::<P>::from_json_value(fork, v).map(|x| x.as_ssz_bytes())
        }
        "LightClientOptimisticUpdate" => {
            LightClientOptimisticUpdate::<P>::from_json_value(fork, v).map(|x| x.as_ssz_bytes())
        }
        _ => return None,
    };
    Some(bytes.unwrap_or_else(|e| panic!("{fork} {type_name}: {e}")))
}

fn yaml_value(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `ssz_random` case with a `value.yaml` under `root/<Type>/`: the reader's bytes equal
/// the vector's, for both number forms and through the enum where there is one. Returns the
/// number of cases; a type the table lacks fails.
fn check_folder<P: Preset>(root: &Path, fork: &str) -> usize {
    let fork_name: ForkName = fork.parse().unwrap();
    let mut types: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .collect();
    types.sort();
    let mut cases = 0;
    for type_dir in types {
        let type_name = type_dir.file_name().unwrap().to_str().unwrap().to_string();
        let Ok(entries) = std::fs::read_dir(type_dir.join("ssz_random")) else {
            continue;
        };
        for case in entries.map(|e| e.unwrap().path()) {
            let yaml = case.join("value.yaml");
            if !yaml.exists() {
                continue;
            }
            let label = case.display();
            let ty = schema::<P>(fork, &type_name)
                .unwrap_or_else(|| panic!("{label}: no schema for {fork} {type_name}"));
            let want = read_ssz_file(case.join("serialized.ssz_snappy")).unwrap();
            let value = yaml_value(&yaml);
            let got = json_to_ssz(ty, &value).unwrap_or_else(|e| panic!("{label}: {e}"));
            assert!(got == want, "{label}: the bytes differ from the vector's");
            let quoted = quote_numbers(&value);
            let got = json_to_ssz(ty, &quoted).unwrap_or_else(|e| panic!("{label}: {e}"));
            assert!(
                got == want,
                "{label}: the bytes (strings) differ from the vector's"
            );
            if let Some(got) = via_enum::<P>(fork_name, &type_name, &quoted) {
                assert!(
                    got == want,
                    "{label}: the enum's bytes differ from the vector's"
                );
            }
            cases += 1;
        }
    }
    cases
}

#[test]
fn spec_vectors_bellatrix_capella_deneb() {
    let root = require_fixtures_dir().join("trin-spec-ssz-static");
    let n: usize = ["bellatrix", "capella", "deneb"]
        .iter()
        .map(|fork| check_folder::<Mainnet>(&root.join(fork), fork))
        .sum();
    assert_eq!(n, 51, "value.yaml cases read");
}

#[test]
fn spec_vectors_fulu_and_gloas_both_presets() {
    let tests = require_fixtures_dir().join("consensus-spec-tests-gloas/tests");
    let mut n = 0;
    for fork in ["fulu", "gloas"] {
        let dir = |preset: &str| tests.join(preset).join(fork).join("ssz_static");
        n += check_folder::<Mainnet>(&dir("mainnet"), fork);
        n += check_folder::<Minimal>(&dir("minimal"), fork);
    }
    assert_eq!(n, 177, "value.yaml cases read");
}

fn helios(name: &str) -> Value {
    let path = require_fixtures_dir()
        .join("helios/ethereum/testdata")
        .join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// Real mainnet Capella blocks as a Beacon API serves them: the block of slot 7109430 read by
/// the reader has the root that the next block (7109431) names as its parent, and the schema
/// writes it back as served.
#[test]
fn real_mainnet_blocks_read_to_their_roots() {
    let parent = helios("blocks/7109430.json");
    let child = helios("blocks/7109431.json");
    let block =
        AnySignedBeaconBlock::<Mainnet>::from_json_value(ForkName::Capella, parent["data"].clone())
            .unwrap();
    let want = child["data"]["message"]["parent_root"].as_str().unwrap();
    assert_eq!(block.message_root().to_string(), want);
    assert_eq!(block.to_json(), parent["data"]);
}

#[test]
fn real_light_client_data_reads_as_before() {
    for file in ["finality.json", "bootstrap.json"] {
        let v = helios(file);
        let data = v["data"].clone();
        let (bytes, written) = if file == "finality.json" {
            let u = LightClientFinalityUpdate::<Mainnet>::from_versioned_json(v).unwrap();
            assert!(matches!(u, LightClientFinalityUpdate::Capella(_)));
            (u.as_ssz_bytes(), u.to_json())
        } else {
            let b = LightClientBootstrap::<Mainnet>::from_versioned_json(v).unwrap();
            assert!(matches!(b, LightClientBootstrap::Capella(_)));
            (b.as_ssz_bytes(), b.to_json())
        };
        assert_eq!(written, data, "{file}: the schema writes it back as served");
        assert!(!bytes.is_empty(), "{file}");
    }
}

/// The `TypesError::Json` of a real finality update with one value spoiled at `pointer`.
fn spoiled_finality(pointer: &str, bad: Value) -> TypesError {
    let mut v = helios("finality.json");
    *v.pointer_mut(pointer).unwrap() = bad;
    LightClientFinalityUpdate::<Mainnet>::from_versioned_json(v).unwrap_err()
}

fn json_error(e: &TypesError) -> (&str, ForkName, &str, &str) {
    match e {
        TypesError::Json {
            type_name,
            fork,
            path,
            reason,
        } => (type_name, *fork, path, reason),
        other => panic!("expected TypesError::Json, got {other:?}"),
    }
}

#[test]
fn typed_errors_name_type_fork_and_path() {
    let sig = "/data/sync_aggregate/sync_committee_signature";
    let short = format!("0x{}", "ab".repeat(95));
    let e = spoiled_finality(sig, json!(short));
    assert_eq!(
        json_error(&e),
        (
            "LightClientFinalityUpdate",
            ForkName::Capella,
            "$.sync_aggregate.sync_committee_signature",
            "expected 96 bytes of 0x-hex, got 95 bytes"
        )
    );
    assert_eq!(
        e.to_string(),
        "invalid JSON for a capella LightClientFinalityUpdate at \
         $.sync_aggregate.sync_committee_signature: expected 96 bytes of 0x-hex, got 95 bytes"
    );

    let e = spoiled_finality(
        "/data/finality_branch/2",
        json!(format!("0x{}", "zz".repeat(32))),
    );
    let (_, _, path, reason) = json_error(&e);
    assert_eq!(path, "$.finality_branch[2]");
    assert!(
        reason.starts_with("expected a 0x-hex string, got \"0xzzzz"),
        "{reason}"
    );

    // A uint64 as a JSON integer is read (Lighthouse and Lodestar accept it too); anything else
    // that is not a decimal string is refused.
    let mut v = helios("finality.json");
    v["data"]["signature_slot"] = json!(7109431u64);
    let as_number = LightClientFinalityUpdate::<Mainnet>::from_versioned_json(v).unwrap();
    assert_eq!(as_number.parts().signature_slot, 7109431);
    let e = spoiled_finality("/data/signature_slot", json!(7109431.5));
    assert_eq!(
        json_error(&e).3,
        "expected a uint64 as a decimal string, got the number 7109431.5"
    );
    // A root as a number: roots are hex strings only.
    let e = spoiled_finality("/data/attested_header/beacon/state_root", json!(12));
    assert_eq!(json_error(&e).2, "$.attested_header.beacon.state_root");
    assert_eq!(
        json_error(&e).3,
        "expected a 0x-hex string, got the number 12"
    );

    let mut v = helios("finality.json");
    v["data"]["attested_header"]["execution"]
        .as_object_mut()
        .unwrap()
        .remove("withdrawals_root");
    let e = LightClientFinalityUpdate::<Mainnet>::from_versioned_json(v).unwrap_err();
    let (_, _, path, reason) = json_error(&e);
    assert_eq!(
        (path, reason),
        (
            "$.attested_header.execution",
            "expected the field `withdrawals_root`, got none"
        )
    );
}

#[test]
fn a_list_beyond_its_limit_is_refused() {
    // A real block whose `voluntary_exits` (List[SignedVoluntaryExit, 16]) gets 17 entries.
    let mut data = helios("blocks/7109430.json")["data"].clone();
    let exit = json!({
        "message": {"epoch": "1", "validator_index": "2"},
        "signature": format!("0x{}", "00".repeat(96)),
    });
    data["message"]["body"]["voluntary_exits"] = Value::Array(vec![exit.clone(); 16]);
    assert!(
        AnySignedBeaconBlock::<Mainnet>::from_json_value(ForkName::Capella, data.clone()).is_ok()
    );
    data["message"]["body"]["voluntary_exits"] = Value::Array(vec![exit; 17]);
    let e = AnySignedBeaconBlock::<Mainnet>::from_json_value(ForkName::Capella, data).unwrap_err();
    assert_eq!(
        json_error(&e),
        (
            "SignedBeaconBlock",
            ForkName::Capella,
            "$.message.body.voluntary_exits",
            "expected at most 16 elements, got 17 elements"
        )
    );
}
