//! The verified execution block, from real data with known answers: anchor states of every fork
//! (mainnet genesis is phase0: none; spec-test Bellatrix, Capella, Deneb and Electra states:
//! the fields read from the hashed bytes equal an independent SSZ decode of the same state), and
//! a real mainnet light-client header (Capella, slot 7109344), verified by six sync-committee
//! updates and a finality update, whose execution block is mainnet block 17923026, as the beacon
//! block that carries it (`blocks/7109344.json`) says.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

use beacon_lightsync::beacon_api::{ApiError, RawBody};
use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::execution::{self, ExecutionBlock};
use beacon_lightsync::light::fork_digest::BlobSchedule;
use beacon_lightsync::light::input::{parse_bootstrap, parse_finality_update, parse_updates};
use beacon_lightsync::light::sync_protocol::initialize_light_client_store;
use beacon_lightsync::light::verifier::verify_updates;
use beacon_lightsync::merkle::StateView;
use beacon_lightsync::ssz_io::{read_ssz_file, require_fixtures_dir};
use beacon_lightsync::types::{
    AnyBeaconState, AnyExecutionPayloadHeader, AnySignedBeaconBlock, ForkName, Hash256, Mainnet,
    PresetName,
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

/// A provider's answer for `/eth/v2/beacon/blocks/{root}` carrying `bytes`.
fn served_block(bytes: Vec<u8>, fork: Option<ForkName>) -> RawBody {
    RawBody {
        url: "http://127.0.0.1/eth/v2/beacon/blocks/test".into(),
        consensus_version: fork,
        content_type: Some("application/octet-stream".into()),
        body: bytes,
    }
}

/// A followed tip's execution block comes from its block, taken only when the block hashes to
/// the tip's root: the real mainnet block of slot 4,700,016 (Bellatrix; root confirmed by the
/// historical batch it is in) carries execution block 15,537,397, the number its file is named
/// after; and the real mainnet Deneb block of slot 10,232,841 carries the payload its Beacon API
/// JSON names.
#[test]
fn a_block_that_hashes_to_the_tip_gives_its_payload() {
    let mainnet = NetworkConfig::mainnet();
    let dir = fixtures().join("trin-spec-ssz-static");
    let bellatrix = read_ssz_file(
        dir.join("bellatrix/ValidSignedBeaconBlock/signed_beacon_block_15537397.ssz"),
    )
    .unwrap();
    let root = hex("0x5e6c4fc1204b536b5bf143a1b917dd1446be128f9f08a5c6db7941ef0c533f9d");
    for named in [Some(ForkName::Bellatrix), None] {
        let e = execution::from_signed_block(
            &mainnet,
            &served_block(bellatrix.clone(), named),
            &root,
            4_700_016,
        )
        .unwrap()
        .expect("a merged block");
        assert_eq!(e.block_number, 15_537_397);
    }

    let text = read(&dir.join("deneb/SignedBeaconBlock/json/10232841.json"));
    let mut json: serde_json::Value = serde_json::from_slice(&text).unwrap();
    let payload = json["data"]["message"]["body"]["execution_payload"].clone();
    let block =
        AnySignedBeaconBlock::<Mainnet>::from_json_value(ForkName::Deneb, json["data"].take())
            .unwrap();
    let root = hex("0xf05e17589637a61f623ef196c1d63cb53cfba4eb49d289e43a334e168cff1279");
    let e = execution::from_signed_block(
        &mainnet,
        &served_block(block.as_ssz_bytes(), Some(ForkName::Deneb)),
        &root,
        10_232_841,
    )
    .unwrap()
    .expect("a merged block");
    assert_eq!(e.block_hash, hex(payload["block_hash"].as_str().unwrap()));
    assert_eq!(e.state_root, hex(payload["state_root"].as_str().unwrap()));
    assert_eq!(
        e.receipts_root,
        hex(payload["receipts_root"].as_str().unwrap())
    );
    assert_eq!(
        e.block_number.to_string(),
        payload["block_number"].as_str().unwrap()
    );
    assert_eq!(
        e.timestamp.to_string(),
        payload["timestamp"].as_str().unwrap()
    );
}

/// A phase0 block (mainnet slot 0 is phase0) has no execution payload: absent, not an error.
#[test]
fn a_block_before_bellatrix_has_none() {
    let mainnet = NetworkConfig::mainnet();
    // SignedBeaconBlock { message offset, signature } / BeaconBlock { slot, proposer_index,
    // parent_root, state_root, body offset } / BeaconBlockBody { randao_reveal, eth1_data,
    // graffiti, five empty operation lists }.
    let mut body = vec![0u8; 96 + 72 + 32];
    for _ in 0..5 {
        body.extend_from_slice(&220u32.to_le_bytes());
    }
    let mut message = vec![0u8; 8 + 8 + 32 + 32];
    message.extend_from_slice(&84u32.to_le_bytes());
    message.extend_from_slice(&body);
    let mut bytes = 100u32.to_le_bytes().to_vec();
    bytes.extend_from_slice(&[0u8; 96]);
    bytes.extend_from_slice(&message);
    let block = AnySignedBeaconBlock::<Mainnet>::from_ssz_bytes(ForkName::Phase0, &bytes).unwrap();
    let root = block.message_root().0;
    let e = execution::from_signed_block(
        &mainnet,
        &served_block(bytes, Some(ForkName::Phase0)),
        &root,
        0,
    );
    assert_eq!(e, Ok(None));
}

/// A block of another root, a block of another fork than the tip's slot has, or bytes that do
/// not decode are refused as that provider's fault, never read.
#[test]
fn a_block_that_does_not_hash_to_the_tip_is_refused() {
    let mainnet = NetworkConfig::mainnet();
    let bytes = read_ssz_file(fixtures().join(
        "trin-spec-ssz-static/bellatrix/ValidSignedBeaconBlock/signed_beacon_block_15537397.ssz",
    ))
    .unwrap();
    let root = hex("0x5e6c4fc1204b536b5bf143a1b917dd1446be128f9f08a5c6db7941ef0c533f9d");
    let slot = 4_700_016;
    let check = |bytes: Vec<u8>, fork, root: &[u8; 32], slot| {
        execution::from_signed_block(&mainnet, &served_block(bytes, fork), root, slot)
    };

    // Another root asked for (the bytes are a real block, just not that one).
    let mut other = root;
    other[0] ^= 1;
    match check(bytes.clone(), None, &other, slot) {
        Err(ApiError::HeaderRootMismatch { expected, got, .. }) => {
            assert_eq!((expected, got), (other, root));
        }
        r => panic!("expected HEADER_ROOT_MISMATCH, got {r:?}"),
    }
    // One byte of the payload changed (the block number's low byte, inside the hashed message).
    let mut tampered = bytes.clone();
    let at = tampered.len() - 1;
    tampered[at] ^= 0xff;
    let r = check(tampered, None, &root, slot);
    assert!(
        matches!(
            r,
            Err(ApiError::HeaderRootMismatch { .. }) | Err(ApiError::Decode { .. })
        ),
        "{r:?}"
    );
    // The provider names another fork than the schedule gives the slot.
    let r = check(bytes.clone(), Some(ForkName::Capella), &root, slot);
    assert!(
        matches!(&r, Err(ApiError::Decode { reason, .. }) if reason.contains("capella")),
        "{r:?}"
    );
    // A slot the schedule puts in Capella: the Bellatrix bytes do not decode as Capella's block.
    let capella_slot =
        mainnet.compute_start_slot_at_epoch(mainnet.fork_schedule(ForkName::Capella).epoch);
    let r = check(bytes.clone(), None, &root, capella_slot);
    assert!(
        matches!(
            r,
            Err(ApiError::Decode { .. }) | Err(ApiError::HeaderRootMismatch { .. })
        ),
        "{r:?}"
    );
    // Not a block at all.
    let r = check(b"{\"data\":{}}".to_vec(), None, &root, slot);
    assert!(matches!(r, Err(ApiError::Decode { .. })), "{r:?}");
}
