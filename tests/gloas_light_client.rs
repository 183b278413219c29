//! The Gloas light-client header against the spec vectors (v1.7.0-alpha.13, minimal): the
//! `single_merkle_proof` cases (the body's execution block hash, the state's finalized root and
//! sync committees) are reproduced leaf, branch and gindex from the objects' bytes; a header built
//! from the body's proof passes `is_valid_light_client_header` only with its own leaf, branch,
//! body root and fork; and a Fulu header upgraded to Gloas proves the same block hash against the
//! body root its own branch leads to.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::light::branch::is_valid_normalized_merkle_branch;
use beacon_lightsync::light::gloas::{
    is_valid_light_client_header, upgrade_lc_header_to_gloas, CURRENT_SYNC_COMMITTEE_GINDEX_GLOAS,
    EXECUTION_BLOCK_HASH_GINDEX_DENEB, EXECUTION_BLOCK_HASH_GINDEX_GLOAS,
    FINALIZED_ROOT_GINDEX_GLOAS, NEXT_SYNC_COMMITTEE_GINDEX_GLOAS,
};
use beacon_lightsync::merkle::{self, container_proof, state_proof};
use beacon_lightsync::ssz_io::{read_ssz_file, require_fixtures_dir};
use beacon_lightsync::types::light_client::{deneb, gloas as lc};
use beacon_lightsync::types::{
    gloas, Bytes32, FixedVector, ForkName, Hash32, Minimal, PresetName, SszSchema, FAR_FUTURE_EPOCH,
};
use ssz::Decode;
use tree_hash::TreeHash;

fn vectors() -> PathBuf {
    require_fixtures_dir().join("consensus-spec-tests-gloas/tests/minimal")
}

#[derive(serde::Deserialize)]
struct Proof {
    leaf: String,
    leaf_index: u64,
    branch: Vec<String>,
}

fn node(hex: &str) -> [u8; 32] {
    hex::decode(hex.trim_start_matches("0x"))
        .unwrap()
        .try_into()
        .unwrap()
}

fn proof_of(case: &Path) -> (u64, [u8; 32], Vec<[u8; 32]>) {
    let p: Proof =
        serde_yaml::from_str(&std::fs::read_to_string(case.join("proof.yaml")).unwrap()).unwrap();
    (
        p.leaf_index,
        node(&p.leaf),
        p.branch.iter().map(|b| node(b)).collect(),
    )
}

/// The spec's minimal config with Altair..Fulu at genesis and Gloas at `gloas_epoch`.
fn config(gloas_epoch: u64) -> NetworkConfig {
    let text = std::fs::read_to_string(
        require_fixtures_dir().join("consensus-specs-configs/configs/minimal.yaml"),
    )
    .unwrap();
    let mut c = NetworkConfig::from_config_yaml(&text, Some(Default::default())).unwrap();
    for f in &ForkName::ALL[1..] {
        c.forks[*f as usize - 1].epoch = if *f == ForkName::Gloas {
            gloas_epoch
        } else {
            0
        };
    }
    c
}

#[test]
fn single_merkle_proofs_match_the_vectors() {
    let base = vectors().join("gloas/light_client/single_merkle_proof");
    let case = base.join("BeaconBlockBody/execution_block_hash_merkle_proof");
    let body = read_ssz_file(case.join("object.ssz_snappy")).unwrap();
    let (gindex, leaf, branch) = proof_of(&case);
    assert_eq!(gindex, EXECUTION_BLOCK_HASH_GINDEX_GLOAS);
    let p = container_proof(
        &gloas::BeaconBlockBody::<Minimal>::ssz_type(),
        &body,
        &[
            "signed_execution_payload_bid",
            "message",
            "parent_block_hash",
        ],
    )
    .unwrap();
    let typed = gloas::BeaconBlockBody::<Minimal>::from_ssz_bytes(&body).unwrap();
    assert_eq!((p.gindex, p.leaf, &p.branch), (gindex, leaf, &branch));
    assert_eq!(p.root, typed.tree_hash_root().0);
    assert_eq!(
        leaf,
        typed
            .signed_execution_payload_bid
            .message
            .parent_block_hash
            .0
    );

    for (name, path, want_gindex) in [
        (
            "finality_root_merkle_proof",
            &["finalized_checkpoint", "root"][..],
            FINALIZED_ROOT_GINDEX_GLOAS,
        ),
        (
            "current_sync_committee_merkle_proof",
            &["current_sync_committee"][..],
            CURRENT_SYNC_COMMITTEE_GINDEX_GLOAS,
        ),
        (
            "next_sync_committee_merkle_proof",
            &["next_sync_committee"][..],
            NEXT_SYNC_COMMITTEE_GINDEX_GLOAS,
        ),
    ] {
        let case = base.join("BeaconState").join(name);
        let state = read_ssz_file(case.join("object.ssz_snappy")).unwrap();
        let (gindex, leaf, branch) = proof_of(&case);
        assert_eq!(gindex, want_gindex, "{name}");
        let p = state_proof(&state, ForkName::Gloas, PresetName::Minimal, path).unwrap();
        assert_eq!(
            (p.gindex, p.leaf, &p.branch),
            (gindex, leaf, &branch),
            "{name}"
        );
        assert_eq!(
            Ok(p.root),
            merkle::state_root(&state, ForkName::Gloas, PresetName::Minimal)
        );
    }
}

/// A Gloas header built from the body vector's proof.
fn header_from_body_vector(slot: u64) -> lc::LightClientHeader {
    let case = vectors().join(
        "gloas/light_client/single_merkle_proof/BeaconBlockBody/execution_block_hash_merkle_proof",
    );
    let body = gloas::BeaconBlockBody::<Minimal>::from_ssz_bytes(
        &read_ssz_file(case.join("object.ssz_snappy")).unwrap(),
    )
    .unwrap();
    let (_, leaf, branch) = proof_of(&case);
    let mut h = lc::LightClientHeader::default();
    h.beacon.slot = slot;
    h.beacon.body_root = body.tree_hash_root();
    h.execution_block_hash = Hash32::from(leaf);
    h.execution_branch = FixedVector::new(branch.into_iter().map(Bytes32::from).collect()).unwrap();
    h
}

#[test]
fn gloas_headers_are_valid_only_as_proven() {
    let gloas_at_genesis = config(0);
    let h = header_from_body_vector(17);
    assert!(is_valid_light_client_header(&gloas_at_genesis, &h));
    // The same header at a Fulu slot is checked against Deneb's gindex, and fails.
    assert!(!is_valid_light_client_header(&config(FAR_FUTURE_EPOCH), &h));
    let mut bad = h.clone();
    bad.execution_block_hash = Hash32::repeat_byte(1);
    assert!(!is_valid_light_client_header(&gloas_at_genesis, &bad));
    let mut bad = h.clone();
    bad.execution_branch[3] = Bytes32::repeat_byte(2);
    assert!(!is_valid_light_client_header(&gloas_at_genesis, &bad));
    let mut bad = h.clone();
    bad.beacon.body_root = Bytes32::repeat_byte(3);
    assert!(!is_valid_light_client_header(&gloas_at_genesis, &bad));
    // Before Capella only the all-zero execution part is valid.
    let mut pre = config(FAR_FUTURE_EPOCH);
    for f in [
        ForkName::Capella,
        ForkName::Deneb,
        ForkName::Electra,
        ForkName::Fulu,
    ] {
        pre.forks[f as usize - 1].epoch = FAR_FUTURE_EPOCH;
    }
    assert!(!is_valid_light_client_header(&pre, &h));
    assert!(is_valid_light_client_header(
        &pre,
        &lc::LightClientHeader {
            beacon: h.beacon,
            ..Default::default()
        }
    ));
}

/// A Fulu-shaped header's execution branch leads from its payload header to some body root R;
/// upgraded, the block hash must be proven against that same R, at Deneb's gindex in 11 nodes.
#[test]
fn fulu_headers_upgrade_to_gloas_with_a_valid_branch() {
    let fulu = config(FAR_FUTURE_EPOCH);
    let mut n = 0;
    for case in ["case_0", "case_1"] {
        let path = vectors()
            .join("fulu/ssz_static/LightClientHeader/ssz_random")
            .join(case);
        let pre = deneb::LightClientHeader::<Minimal>::from_ssz_bytes(
            &read_ssz_file(path.join("serialized.ssz_snappy")).unwrap(),
        )
        .unwrap();
        // The body root the pre header's branch proves its payload header against (gindex 25).
        let mut root = pre.execution.tree_hash_root().0;
        for (i, sibling) in pre.execution_branch.iter().enumerate() {
            root = if (25u64 >> i) & 1 == 1 {
                merkle::hash_pair(&sibling.0, &root)
            } else {
                merkle::hash_pair(&root, &sibling.0)
            };
        }
        let mut pre = pre;
        pre.beacon.body_root = root.into();
        let up = upgrade_lc_header_to_gloas(&fulu, &pre);
        assert_eq!(up.beacon, pre.beacon);
        assert_eq!(up.execution_block_hash, pre.execution.block_hash);
        assert!(
            up.execution_branch[..2].iter().all(|n| n.is_zero()),
            "padded at the leaf end"
        );
        assert!(is_valid_normalized_merkle_branch(
            &up.execution_block_hash.0,
            &up.execution_branch.iter().map(|n| n.0).collect::<Vec<_>>(),
            EXECUTION_BLOCK_HASH_GINDEX_DENEB,
            &root,
        ));
        assert!(is_valid_light_client_header(&fulu, &up), "{case}");
        // At a Gloas slot the same upgraded header is not a Gloas header.
        assert!(!is_valid_light_client_header(&config(0), &up));
        n += 1;
    }
    assert_eq!(n, 2);
    assert_eq!(
        upgrade_lc_header_to_gloas(
            &fulu,
            &deneb::LightClientHeader::<Minimal> {
                beacon: Default::default(),
                execution: Default::default(),
                execution_branch: Default::default(),
            }
        ),
        lc::LightClientHeader::default()
    );
}
