//! Known-answer roots from real chain data in the shared fixtures: the mainnet genesis state and
//! block, the Electra spec-test pre-state linked to its block 1, real mainnet/Holesky/Sepolia
//! blocks and bodies in Beacon API JSON, and the `lightsync root` command over the same files.
#![cfg(not(target_arch = "wasm32"))]

mod devnet_common;

use std::path::PathBuf;

use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::ssz_io::{read_ssz_file, require_fixtures_dir};
use beacon_lightsync::types::{
    deneb, phase0, AnyBeaconState, AnySignedBeaconBlock, ForkName, Hash256, Mainnet,
};
use tree_hash::TreeHash;

fn fixture(rel: &str) -> PathBuf {
    let path = require_fixtures_dir().join(rel);
    assert!(path.exists(), "fixture {} is missing", path.display());
    path
}

fn root(s: &str) -> Hash256 {
    s.parse().unwrap()
}

fn json(rel: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(fixture(rel)).unwrap()).unwrap()
}

/// A Beacon API `/eth/v2/beacon/blocks` response: fork from `version`, block from `data`.
fn api_block(rel: &str) -> AnySignedBeaconBlock<Mainnet> {
    let mut v = json(rel);
    let fork: ForkName = v["version"].as_str().unwrap().parse().unwrap();
    AnySignedBeaconBlock::from_json_value(fork, v["data"].take())
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

const GENESIS_STATE: &str = "genesis-states/mainnet-genesis.ssz";

#[test]
fn mainnet_genesis_state_and_block_roots() {
    let bytes = read_ssz_file(fixture(GENESIS_STATE)).unwrap();
    let mainnet = NetworkConfig::mainnet();
    assert_eq!(mainnet.fork_of_state_ssz(&bytes).unwrap(), ForkName::Phase0);
    let state = AnyBeaconState::<Mainnet>::from_ssz_bytes(ForkName::Phase0, &bytes).unwrap();
    let state_root = state.tree_hash_root();
    assert_eq!(
        state_root,
        root("0x7e76880eb67bbdc86250aa578958e9d0675e64e714337855204fb5abaaf82c2b")
    );
    let header = state.latest_block_header_filled(Some(state_root));
    assert_eq!(
        header.body_root,
        root("0xccb62460692be0ec813b56be97f68a82cf57abc102e27bf49ebf4190ff22eedd")
    );
    assert_eq!(
        header.tree_hash_root(),
        root("0x4d611d5b93fdab69013a7f0a2f961caca0c853f87cfe9595fe50038163079360")
    );
    assert_eq!(
        state.genesis_validators_root(),
        mainnet.genesis_validators_root
    );
    assert_eq!(state.genesis_time(), mainnet.genesis_time);
    assert_eq!(state.validators().len(), 21063);
    assert_eq!(state.as_ssz_bytes(), bytes);
}

/// consensus-spec-tests electra sanity/blocks (mainnet preset): the block produced by pyspec has
/// parent_root = root of the pre-state's latest header with its state root filled in.
#[test]
fn electra_pre_state_links_to_block_1() {
    let dir = "grandine-electra-sanity-block/";
    let pre = read_ssz_file(fixture(&format!("{dir}pre.ssz_snappy"))).unwrap();
    assert_eq!(
        NetworkConfig::mainnet().fork_of_state_ssz(&pre).unwrap(),
        ForkName::Electra
    );
    let state = AnyBeaconState::<Mainnet>::from_ssz_bytes(ForkName::Electra, &pre).unwrap();
    assert_eq!(state.validators().len(), 256);
    // Derived by two independent SSZ implementations (fixture README).
    assert_eq!(
        state.tree_hash_root(),
        root("0x52cc851569939cfb5d79eff590b02682aa2a458e382a5f8e479fc1afdc0210e9")
    );
    let block_bytes = read_ssz_file(fixture(&format!("{dir}blocks_0.ssz_snappy"))).unwrap();
    let block =
        AnySignedBeaconBlock::<Mainnet>::from_ssz_bytes(ForkName::Electra, &block_bytes).unwrap();
    assert_eq!(block.slot(), 1);
    assert_eq!(
        block.parent_root(),
        state.latest_block_header_filled(None).tree_hash_root()
    );
    assert_eq!(
        block.parent_root(),
        root("0x1664f61ab6018c5296a50b071098b08121f31c18ac3b5c13a136a97f8734618b")
    );
    assert_eq!(
        block.message_root(),
        root("0x3a0294f08377357e3c433185d42915104beb1fa0da3fa776a4c1b7461b8a01bf")
    );
    assert_eq!(block.as_ssz_bytes(), block_bytes);
}

#[test]
fn helios_mainnet_capella_blocks() {
    let cases = [
        (
            "7109344",
            "0xa9bb1965a6288f64374a9425f5ecb90dd81239cc2ae1a8ec8b673c13c9d2586a",
            "0xccd2cb5d2a582e28c2a9c6fe7085c75c010b0607607b07eda50ab41ebe5a81c4",
        ),
        (
            "7109430",
            "0xe1046bffcbea37a18be60692416aa8c107fdc59df597cb3db795ef13da40008b",
            "0x105af543ed1544e69047ebe83ed9ceb62c4e773ea9b360157563675c795ff24f",
        ),
        (
            "7109431",
            "0x7abd2f8f43f4a8676c98442834b3d242b107c7353043989b70fcb1595cb53c6e",
            "0x93adaaa148a7cf5aaadefde74871552ca8558355eb28a96a731c3deecc8ae05e",
        ),
    ];
    let mut roots = vec![];
    for (slot, block_root, state_root) in cases {
        let block = api_block(&format!("helios/ethereum/testdata/blocks/{slot}.json"));
        assert_eq!(block.fork(), ForkName::Capella);
        assert_eq!(block.message_root(), root(block_root), "block {slot}");
        assert_eq!(
            block.block_header().tree_hash_root(),
            root(block_root),
            "header of {slot}"
        );
        assert_eq!(block.state_root(), root(state_root));
        roots.push(block);
    }
    assert_eq!(roots[2].parent_root(), roots[1].message_root());
    assert_eq!(
        roots[1].parent_root(),
        root("0x20ad70e3e61e94e9789107b94b352cf79260a8b354a5267da1fdc291714aeb29")
    );
    // SSZ round trip of a real JSON block.
    let bytes = roots[0].as_ssz_bytes();
    assert_eq!(
        AnySignedBeaconBlock::<Mainnet>::from_ssz_bytes(ForkName::Capella, &bytes).unwrap(),
        roots[0]
    );
}

#[test]
fn trin_real_blocks() {
    let deneb = api_block("trin-spec-ssz-static/deneb/SignedBeaconBlock/json/10232841.json");
    assert_eq!(
        deneb.message_root(),
        root("0xf05e17589637a61f623ef196c1d63cb53cfba4eb49d289e43a334e168cff1279")
    );
    assert_eq!(
        deneb.parent_root(),
        root("0x4cf63f40f8a801178eeca0be7097e633177e86ffd59afec19b31b260b0fb8f37")
    );
    let bytes = read_ssz_file(fixture(
        "trin-spec-ssz-static/bellatrix/ValidSignedBeaconBlock/signed_beacon_block_15537397.ssz",
    ))
    .unwrap();
    let bellatrix =
        AnySignedBeaconBlock::<Mainnet>::from_ssz_bytes(ForkName::Bellatrix, &bytes).unwrap();
    assert_eq!(bellatrix.slot(), 4700016);
    assert_eq!(
        bellatrix.message_root(),
        root("0x5e6c4fc1204b536b5bf143a1b917dd1446be128f9f08a5c6db7941ef0c533f9d")
    );
}

/// Deneb bodies from gear-bridges: body roots from the upstream test, and each execution
/// payload's timestamp = genesis_time + slot * 12, which checks the built-in genesis times.
#[test]
fn gear_bridges_bodies_and_genesis_times() {
    let cases = [
        (
            "sepolia-5_151_035",
            5151035,
            "sepolia",
            "0x1d63bb6d5e875871045cfb7b4776b18bc4bd3c8372950ee92e3e5458c3a187f2",
        ),
        (
            "ethereum-9_230_177",
            9230177,
            "mainnet",
            "0xd0b99a73709763a46384de415ced4e806cb00ea0b54b61ddc69b5e8ac1bd8b4a",
        ),
        (
            "holesky-1_820_966",
            1820966,
            "holesky",
            "0x347b3f6235c17a38859280d909a01b249ef206f2884eeeffb210ad54646a4dac",
        ),
    ];
    for (file, slot, network, body_root) in cases {
        let v = json(&format!(
            "gear-bridges/ethereum-common/src/beacon/chain-data/{file}.json"
        ));
        let body: deneb::BeaconBlockBody<Mainnet> = devnet_common::from_json(&v);
        assert_eq!(body.tree_hash_root(), root(body_root), "{file}");
        let config = NetworkConfig::by_name(network).unwrap();
        assert_eq!(config.fork_at_slot(slot), ForkName::Deneb, "{file}");
        assert_eq!(
            body.execution_payload.timestamp,
            config.slot_start_time(slot),
            "{network} genesis time"
        );
    }
}

#[test]
fn gear_bridges_holesky_block_and_headers() {
    let block =
        api_block("gear-bridges/tests/src/historical_proxy/headers/holesky-block-2_498_456.json");
    let next =
        json("gear-bridges/tests/src/historical_proxy/headers/holesky-header-2_498_457.json");
    let next_parent = root(
        next["data"]["header"]["message"]["parent_root"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(block.message_root(), next_parent);

    let headers = json("gear-bridges/tests/src/checkpoint_light_client/chain-data/headers.json");
    let headers = headers.as_array().unwrap();
    assert_eq!(headers.len(), 1922);
    let mut expected_parent =
        root("0xe5465b2c6f141f5124053ae6a4d63cb7b9cc51991d39306a8dfc64bedb5de26c");
    for h in headers {
        let header: phase0::SignedBeaconBlockHeader =
            devnet_common::from_json(&h["data"]["header"]);
        let r = header.message.tree_hash_root();
        assert_eq!(r, root(h["data"]["root"].as_str().unwrap()));
        assert_eq!(
            header.message.parent_root, expected_parent,
            "slot {}",
            header.message.slot
        );
        expected_parent = r;
    }
}

// ---- `lightsync root` ----

/// `lightsync` with `args`: its exit code, stdout and stderr.
fn lightsync(args: &[&str]) -> (i32, String, String) {
    let out = devnet_common::lightsync(args);
    (out.code, out.stdout, out.stderr)
}

#[test]
fn cli_root_of_genesis_state_detects_fork() {
    let path = fixture(GENESIS_STATE);
    let (code, out, err) = lightsync(&["root", "--type", "BeaconState", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim(),
        "0x7e76880eb67bbdc86250aa578958e9d0675e64e714337855204fb5abaaf82c2b"
    );
}

#[test]
fn cli_root_of_snappy_signed_block_is_the_message_root() {
    let path = fixture("grandine-electra-sanity-block/blocks_0.ssz_snappy");
    let (code, out, err) = lightsync(&[
        "root",
        "--type",
        "SignedBeaconBlock",
        "--fork",
        "electra",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim(),
        "0x3a0294f08377357e3c433185d42915104beb1fa0da3fa776a4c1b7461b8a01bf"
    );
    let case = fixture(
        "trin-spec-ssz-static/bellatrix/BeaconBlockHeader/ssz_random/case_0/serialized.ssz_snappy",
    );
    let (code, out, err) = lightsync(&[
        "root",
        "--type",
        "BeaconBlockHeader",
        case.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim(),
        "0xff8adc3be9b3361ce323cfa4feee71fcb43e2f8d7156fe08a0e2ec0e1f647069"
    );
}

/// Light-client types through the CLI, against `expected_roots.yaml` (one case per type and fork).
#[test]
fn cli_root_of_light_client_cases() {
    let base = fixture("trin-spec-ssz-static");
    let text = std::fs::read_to_string(base.join("expected_roots.yaml")).unwrap();
    let cases: serde_yaml::Mapping = serde_yaml::from_str(&text).unwrap();
    let mut checked = 0;
    for (rel, entry) in &cases {
        let rel = rel.as_str().unwrap();
        let type_name = entry["type"].as_str().unwrap();
        if !type_name.starts_with("LightClient") || !rel.contains("case_0") {
            continue;
        }
        let fork = entry["fork"].as_str().unwrap();
        let path = base.join(rel);
        let (code, out, err) = lightsync(&[
            "root",
            "--type",
            type_name,
            "--fork",
            fork,
            path.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{rel}: {err}");
        assert_eq!(
            out.trim(),
            entry["hash_tree_root"].as_str().unwrap(),
            "{rel}"
        );
        checked += 1;
    }
    assert_eq!(checked, 15, "5 light-client types x 3 forks");
}

#[test]
fn cli_root_rejects_garbage_wrong_fork_and_wrong_type() {
    let dir = std::env::temp_dir().join(format!("lightsync-root-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = dir.join("garbage.ssz");
    std::fs::write(&garbage, b"definitely not ssz").unwrap();
    let snappy_garbage = dir.join("garbage.ssz_snappy");
    std::fs::write(&snappy_garbage, [0xffu8; 7]).unwrap();
    let block = fixture("grandine-electra-sanity-block/blocks_0.ssz_snappy");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["root", "--type", "BeaconState", garbage.to_str().unwrap()],
            "BeaconState",
        ),
        (
            vec![
                "root",
                "--type",
                "BeaconBlockHeader",
                snappy_garbage.to_str().unwrap(),
            ],
            "snappy",
        ),
        (
            vec![
                "root",
                "--type",
                "SignedBeaconBlock",
                "--fork",
                "phase0",
                block.to_str().unwrap(),
            ],
            "phase0",
        ),
        (
            vec!["root", "--type", "NoSuchType", block.to_str().unwrap()],
            "NoSuchType",
        ),
        (
            vec![
                "root",
                "--type",
                "SignedBeaconBlock",
                "--fork",
                "gloas",
                block.to_str().unwrap(),
            ],
            "gloas",
        ),
        (
            vec!["root", "--type", "BeaconState", "no/such/file.ssz"],
            "no/such/file.ssz",
        ),
    ];
    for (args, needle) in cases {
        let (code, out, err) = lightsync(&args);
        assert_ne!(code, 0, "{args:?} succeeded: {out}");
        assert!(out.is_empty(), "{args:?} printed on stdout: {out}");
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?}: expected one line, got {err:?}"
        );
        assert!(
            err.contains(needle),
            "{args:?}: {err:?} does not mention {needle}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
