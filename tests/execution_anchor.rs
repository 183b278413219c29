//! The verified execution block, from real data with known answers: anchor states of every fork
//! (mainnet genesis is phase0: none; spec-test Bellatrix, Capella, Deneb and Electra states:
//! the fields read from the hashed bytes equal an independent SSZ decode of the same state), and
//! a real mainnet light-client header (Capella, slot 7109344), verified by six sync-committee
//! updates and a finality update, whose execution block is mainnet block 17923026, as the beacon
//! block that carries it (`blocks/7109344.json`) says.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::execution::{self, ExecutionBlock};
use beacon_lightsync::light::fork_digest::BlobSchedule;
use beacon_lightsync::light::input::{parse_bootstrap, parse_finality_update, parse_updates};
use beacon_lightsync::light::sync_protocol::initialize_light_client_store;
use beacon_lightsync::light::verifier::verify_updates;
use beacon_lightsync::merkle::StateView;
use beacon_lightsync::ssz_io::{read_ssz_file, require_fixtures_dir};
use beacon_lightsync::types::{
    AnyBeaconState, AnyExecutionPayloadHeader, ForkName, Hash256, Mainnet, PresetName,
};

fn fixtures() -> PathBuf {
    require_fixtures_dir()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

fn hex(s: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s.trim_start_matches("0x"), &mut out).expect("hex root");
    out
}

/// The execution block of a typed payload header (the independent decode).
fn typed(h: &AnyExecutionPayloadHeader<Mainnet>) -> ExecutionBlock {
    macro_rules! of {
        ($e:expr) => {
            ExecutionBlock {
                block_hash: $e.block_hash.0,
                block_number: $e.block_number,
                state_root: $e.state_root.0,
                receipts_root: $e.receipts_root.0,
                timestamp: $e.timestamp,
            }
        };
    }
    match h {
        AnyExecutionPayloadHeader::Bellatrix(e) => of!(e),
        AnyExecutionPayloadHeader::Capella(e) => of!(e),
        AnyExecutionPayloadHeader::Deneb(e)
        | AnyExecutionPayloadHeader::Electra(e)
        | AnyExecutionPayloadHeader::Fulu(e) => of!(e),
    }
}

/// The state's execution block read from its bytes, checked against the typed decode.
fn check_state(bytes: &[u8], fork: ForkName) -> ExecutionBlock {
    let view = StateView::new(bytes, fork, PresetName::Mainnet).expect("a BeaconState");
    let got = execution::from_state_view(&view).expect("a merged state has an execution block");
    let state = AnyBeaconState::<Mainnet>::from_ssz_bytes(fork, bytes).expect("typed decode");
    let header = state
        .latest_execution_payload_header()
        .expect("Bellatrix on");
    assert_eq!(got, typed(&header), "{fork}: offsets vs typed decode");
    got
}

#[test]
fn a_phase0_state_has_no_execution_block() {
    let bytes = read(&fixtures().join("genesis-states/mainnet-genesis.ssz"));
    let view = StateView::new(&bytes, ForkName::Phase0, PresetName::Mainnet).unwrap();
    assert_eq!(execution::from_state_view(&view), None);
}

#[test]
fn merged_states_of_every_fork_give_their_payload_header() {
    for (dir, fork) in [
        ("bellatrix", ForkName::Bellatrix),
        ("capella", ForkName::Capella),
        ("deneb", ForkName::Deneb),
    ] {
        let rel = format!(
            "trin-spec-ssz-static/{dir}/BeaconState/ssz_random/case_0/serialized.ssz_snappy"
        );
        let bytes = read_ssz_file(fixtures().join(rel)).expect("snappy fixture");
        check_state(&bytes, fork);
    }
    let pre = fixtures().join("grandine-electra-sanity-block/pre.ssz_snappy");
    let bytes = read_ssz_file(pre).expect("snappy fixture");
    let e = check_state(&bytes, ForkName::Electra);
    // The spec tests' genesis payload header (`get_sample_genesis_execution_payload_header`).
    assert_eq!(e.block_number, 0);
}

#[test]
fn a_pre_merge_state_has_none() {
    let rel = "trin-spec-ssz-static/bellatrix/BeaconState/ssz_random/case_0/serialized.ssz_snappy";
    let mut bytes = read_ssz_file(fixtures().join(rel)).expect("snappy fixture");
    let view = StateView::new(&bytes, ForkName::Bellatrix, PresetName::Mainnet).unwrap();
    let field = view.field_bytes("latest_execution_payload_header").unwrap();
    let start = field.as_ptr() as usize - bytes.as_ptr() as usize;
    // `ExecutionPayloadHeader()`: the all-zero header of a state before the merge.
    let fixed = 536;
    bytes[start..start + fixed].fill(0);
    let view = StateView::new(&bytes, ForkName::Bellatrix, PresetName::Mainnet).unwrap();
    assert_eq!(execution::from_state_view(&view), None);
}

#[test]
fn a_verified_mainnet_light_client_header_gives_mainnet_block_17923026() {
    let config = NetworkConfig::mainnet();
    let dir = fixtures().join("helios/ethereum/testdata");
    let checkpoint = hex("0x5afc212a7924789b2bc86acad3ab3a6ffb1f6e97253ea50bee7f4f51422c9275");
    let bootstrap =
        parse_bootstrap::<Mainnet>(&config, &read(&dir.join("bootstrap.json")), None).unwrap();
    let mut store =
        initialize_light_client_store(&config, Hash256::from(checkpoint), &bootstrap).unwrap();
    let blobs = BlobSchedule::for_network("mainnet");
    let updates =
        parse_updates::<Mainnet>(&config, &blobs, &read(&dir.join("updates.json"))).unwrap();
    let finality =
        parse_finality_update::<Mainnet>(&config, &read(&dir.join("finality.json")), None).unwrap();
    let summary = verify_updates(
        &config,
        &mut store,
        &updates,
        Some(&finality),
        None,
        50_000_000,
    )
    .unwrap();
    assert_eq!(summary.finalized.slot, 7109344);
    let got = execution::from_light_client_header(&store.finalized_header).unwrap();
    // The beacon block at slot 7109344 carries this execution payload.
    let block: serde_json::Value =
        serde_json::from_slice(&read(&dir.join("blocks/7109344.json"))).unwrap();
    let payload = &block["data"]["message"]["body"]["execution_payload"];
    assert_eq!(got.block_number, 17923026);
    assert_eq!(payload["block_number"], "17923026");
    assert_eq!(got.block_hash, hex(payload["block_hash"].as_str().unwrap()));
    assert_eq!(got.state_root, hex(payload["state_root"].as_str().unwrap()));
    assert_eq!(
        got.receipts_root,
        hex(payload["receipts_root"].as_str().unwrap())
    );
    assert_eq!(
        got.timestamp.to_string(),
        payload["timestamp"].as_str().unwrap()
    );
}
