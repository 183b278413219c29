//! The Gloas light-client header against the spec vectors (v1.7.0-alpha.13, minimal): the
//! `single_merkle_proof` cases (the body's execution block hash, the state's finalized root and
//! sync committees) are reproduced leaf, branch and gindex from the objects' bytes; a header built
//! from the body's proof passes `is_valid_light_client_header` only with its own leaf, branch,
//! body root and fork; and a Fulu header upgraded to Gloas proves the same block hash against the
//! body root its own branch leads to.
//!
//! Sync across the boundary: every Gloas `light_client/sync` case runs as served; the Electra
//! cases run through a Gloas store (Gloas scheduled, store and updates upgraded with the
//! `light-client/fork.md` functions) with the same checks; `update_ranking` orders the 57
//! updates as the vectors do; tampered Gloas updates fail with the Gloas gindices.
//! (`data_collection` vectors describe what a full node serves; this client serves nothing.)
#![cfg(not(target_arch = "wasm32"))]

mod light_vectors;

use std::path::{Path, PathBuf};

use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::light::branch::is_valid_normalized_merkle_branch;
use beacon_lightsync::light::error::{LightClientError, UpdateFailure};
use beacon_lightsync::light::gloas::{
    is_valid_light_client_header, upgrade_lc_header_to_gloas, CURRENT_SYNC_COMMITTEE_GINDEX_GLOAS,
    EXECUTION_BLOCK_HASH_GINDEX_DENEB, EXECUTION_BLOCK_HASH_GINDEX_GLOAS,
    FINALIZED_ROOT_GINDEX_GLOAS, NEXT_SYNC_COMMITTEE_GINDEX_GLOAS,
};
use beacon_lightsync::light::input::parse_bootstrap;
use beacon_lightsync::light::sync_protocol::{
    self as sp, initialize_light_client_store, is_better_update, process_with_context,
};
use beacon_lightsync::merkle::{self, container_proof, state_proof};
use beacon_lightsync::ssz_io::{read_ssz_file, require_fixtures_dir};
use beacon_lightsync::types::light_client::{
    deneb, gloas as lc, LightClientBootstrap, LightClientHeader, LightClientUpdate,
};
use beacon_lightsync::types::{
    gloas, Bytes32, FixedVector, ForkName, Hash32, Mainnet, Minimal, Preset, PresetName, SszSchema,
    FAR_FUTURE_EPOCH,
};
use light_vectors::{lc_kind, read, root, run_sync_case, Meta, Mode};
use ssz::Decode;
use tree_hash::TreeHash;

fn vectors() -> PathBuf {
    vectors_of("minimal")
}

fn vectors_of(preset: &str) -> PathBuf {
    require_fixtures_dir()
        .join("consensus-spec-tests-gloas/tests")
        .join(preset)
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
    assert_eq!(
        single_merkle_proofs::<Minimal>("minimal", PresetName::Minimal),
        4
    );
    assert_eq!(
        single_merkle_proofs::<Mainnet>("mainnet", PresetName::Mainnet),
        4
    );
}

/// Checks the four `single_merkle_proof` cases of `preset`; returns how many.
fn single_merkle_proofs<P: Preset>(preset: &str, name: PresetName) -> usize {
    let base = vectors_of(preset).join("gloas/light_client/single_merkle_proof");
    let case = base.join("BeaconBlockBody/execution_block_hash_merkle_proof");
    let body = read_ssz_file(case.join("object.ssz_snappy")).unwrap();
    let (gindex, leaf, branch) = proof_of(&case);
    assert_eq!(gindex, EXECUTION_BLOCK_HASH_GINDEX_GLOAS);
    let p = container_proof(
        gloas::BeaconBlockBody::<P>::ssz_type(),
        &body,
        &[
            "signed_execution_payload_bid",
            "message",
            "parent_block_hash",
        ],
    )
    .unwrap();
    let typed = gloas::BeaconBlockBody::<P>::from_ssz_bytes(&body).unwrap();
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

    let mut n = 1;
    for (case_name, path, want_gindex) in [
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
        let case = base.join("BeaconState").join(case_name);
        let state = read_ssz_file(case.join("object.ssz_snappy")).unwrap();
        let (gindex, leaf, branch) = proof_of(&case);
        assert_eq!(gindex, want_gindex, "{preset} {case_name}");
        let p = state_proof(&state, ForkName::Gloas, name, path).unwrap();
        assert_eq!(
            (p.gindex, p.leaf, &p.branch),
            (gindex, leaf, &branch),
            "{preset} {case_name}"
        );
        assert_eq!(
            Ok(p.root),
            merkle::state_root(&state, ForkName::Gloas, name)
        );
        n += 1;
    }
    n
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

fn sync_cases(fork: &str) -> PathBuf {
    vectors().join(fork).join("light_client/sync/pyspec_tests")
}

#[test]
fn spec_light_client_sync_vectors_gloas() {
    let mut steps = 0;
    let mut cases = 0;
    for case in [
        "light_client_sync",
        "light_client_sync_no_force_update",
        "advance_finality_without_sync_committee",
        "supply_sync_committee_from_past_update",
    ] {
        steps += run_sync_case(
            ForkName::Gloas,
            &sync_cases("gloas").join(case),
            Mode::AsServed,
        );
        cases += 1;
    }
    assert_eq!(cases, 4);
    assert_eq!(steps, 19, "every step of the four cases");
}

/// The Electra cases (the last pre-Gloas light-client shape, Fulu's too) through a Gloas store:
/// upgraded from the bootstrap on, and upgraded in the middle of the run.
#[test]
fn electra_sync_vectors_through_an_upgraded_gloas_store() {
    let base = require_fixtures_dir().join("helios/ethereum/consensus-core/testdata/electra");
    for from_step in [0, 2] {
        let mut steps = 0;
        for case in [
            "light_client_sync",
            "advance_finality_without_sync_committee",
            "supply_sync_committee_from_past_update",
        ] {
            steps += run_sync_case(
                ForkName::Electra,
                &base.join(case),
                Mode::UpgradedToGloas { from_step },
            );
        }
        assert_eq!(steps, 16, "from step {from_step}");
    }
}

#[test]
fn update_ranking_matches_the_vectors() {
    let dir = vectors().join("gloas/light_client/update_ranking/pyspec_tests/update_ranking");
    #[derive(serde::Deserialize)]
    struct RankingMeta {
        updates_count: usize,
    }
    let meta: RankingMeta = serde_yaml::from_slice(&read(&dir.join("meta.yaml"))).unwrap();
    assert_eq!(meta.updates_count, 57);
    let updates: Vec<_> = (0..meta.updates_count)
        .map(|i| {
            let bytes = read_ssz_file(dir.join(format!("updates_{i}.ssz_snappy"))).unwrap();
            LightClientUpdate::<Minimal>::from_ssz_bytes(ForkName::Gloas, &bytes)
                .unwrap()
                .parts()
        })
        .collect();
    // Best first: no later update ranks above an earlier one, and the order is strict wherever
    // the spec's criteria tell two updates apart.
    let mut strict = 0;
    for i in 0..updates.len() {
        for j in i + 1..updates.len() {
            assert!(
                !is_better_update(&updates[j], &updates[i]),
                "update {j} ranks above update {i}"
            );
            strict += usize::from(is_better_update(&updates[i], &updates[j]));
        }
    }
    assert!(strict > 57 * 56 / 4, "only {strict} strictly ordered pairs");
}

/// The first update of the Gloas `light_client_sync` case, its store and config.
fn gloas_case_start() -> (
    beacon_lightsync::config::NetworkConfig,
    sp::LightClientStore<Minimal>,
    lc::LightClientUpdate<Minimal>,
) {
    let dir = sync_cases("gloas").join("light_client_sync");
    let meta: Meta = serde_yaml::from_slice(&read(&dir.join("meta.yaml"))).unwrap();
    let config = NetworkConfig::from_config_yaml(
        std::str::from_utf8(&read(&dir.join("config.yaml"))).unwrap(),
        Some(root(&meta.genesis_validators_root)),
    )
    .unwrap();
    let bytes = read_ssz_file(dir.join("bootstrap.ssz_snappy")).unwrap();
    // Without a fork tag the bootstrap is recognised by its shape and slot.
    let bootstrap = parse_bootstrap::<Minimal>(&config, &bytes, None).unwrap();
    assert!(matches!(bootstrap, LightClientBootstrap::Gloas(_)));
    let store =
        initialize_light_client_store(&config, root(&meta.trusted_block_root), &bootstrap).unwrap();
    let name =
        "update_0x04f9c415a3b545e2a196fa9c96bacb344f58942f5c2df721364e8866678a895b_sf.ssz_snappy";
    let update = LightClientUpdate::<Minimal>::from_ssz_bytes(
        ForkName::Gloas,
        &read_ssz_file(dir.join(name)).unwrap(),
    )
    .unwrap();
    let LightClientUpdate::Gloas(inner) = update else {
        panic!("expected a gloas update")
    };
    (config, store, inner)
}

#[test]
fn tampered_gloas_updates_fail_at_the_gloas_gindices() {
    let (config, store, good) = gloas_case_start();
    assert_eq!(good.next_sync_committee_branch.len(), 11);
    assert_eq!(good.finality_branch.len(), 9);
    let fails = |u: lc::LightClientUpdate<Minimal>| {
        let mut s = store.clone();
        process_with_context(
            &config,
            &mut s,
            &LightClientUpdate::Gloas(u).parts(),
            41,
            lc_kind(),
            Some(0),
        )
        .unwrap_err()
    };
    let failure = |e: LightClientError| match e {
        LightClientError::Update { failure, .. } => failure,
        other => panic!("expected an update failure, got {other}"),
    };
    // The unchanged update passes.
    let mut s = store.clone();
    process_with_context(
        &config,
        &mut s,
        &LightClientUpdate::Gloas(good.clone()).parts(),
        41,
        lc_kind(),
        Some(0),
    )
    .unwrap();

    let mut bad = good.clone();
    bad.next_sync_committee_branch[10] = Bytes32::repeat_byte(0x33);
    assert!(matches!(
        failure(fails(bad)),
        UpdateFailure::NextSyncCommitteeBranch { gindex: 2946, .. }
    ));
    let mut bad = good.clone();
    bad.finality_branch[8] = Bytes32::repeat_byte(0x44);
    assert!(matches!(
        failure(fails(bad)),
        UpdateFailure::FinalityBranch { gindex: 735, .. }
    ));
    let mut bad = good.clone();
    bad.attested_header.execution_block_hash = Hash32::repeat_byte(0x55);
    assert!(matches!(
        failure(fails(bad)),
        UpdateFailure::InvalidHeader { .. }
    ));
    let mut bad = good.clone();
    bad.finalized_header.execution_branch[0] = Bytes32::repeat_byte(0x66);
    assert!(matches!(
        failure(fails(bad)),
        UpdateFailure::InvalidHeader { .. }
    ));
}

/// A pre-Gloas header shape at a Gloas slot is never valid (a Gloas body has no payload header),
/// and the execution root of a Gloas header is its block hash.
#[test]
fn old_shapes_at_gloas_slots_are_invalid() {
    let (config, store, good) = gloas_case_start();
    let h = LightClientHeader::<Minimal>::Gloas(good.attested_header.clone());
    assert!(sp::is_valid_light_client_header(&config, &h));
    assert_eq!(
        sp::get_lc_execution_root(&config, &h),
        good.attested_header.execution_block_hash
    );
    let fulu_shaped = LightClientHeader::<Minimal>::Deneb(deneb::LightClientHeader {
        beacon: good.attested_header.beacon,
        execution: Default::default(),
        execution_branch: Default::default(),
    });
    assert!(!sp::is_valid_light_client_header(&config, &fulu_shaped));
    let altair_shaped = LightClientHeader::<Minimal>::Altair(
        beacon_lightsync::types::light_client::altair::LightClientHeader {
            beacon: good.attested_header.beacon,
        },
    );
    assert!(!sp::is_valid_light_client_header(&config, &altair_shaped));
    assert!(matches!(
        store.finalized_header,
        LightClientHeader::Gloas(_)
    ));
}

#[test]
fn gloas_light_client_json_round_trips() {
    let (_, _, good) = gloas_case_start();
    let u = LightClientUpdate::<Minimal>::Gloas(good);
    let json = u.to_versioned_json();
    assert_eq!(json["version"], "gloas");
    assert_eq!(LightClientUpdate::from_versioned_json(json).unwrap(), u);
}

/// A sync committee of interop keys (minimal preset: 32 members) and its secret keys.
fn interop_committee() -> (
    Vec<beacon_lightsync::light::bls::SecretKey>,
    beacon_lightsync::types::light_client::SyncCommittee<Minimal>,
) {
    use beacon_lightsync::light::bls::{aggregate_public_keys, SecretKey};
    let keys: Vec<SecretKey> = (0..32).map(SecretKey::interop).collect();
    let pubs: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
    let aggregate = aggregate_public_keys(&pubs.iter().collect::<Vec<_>>()).unwrap();
    let committee = beacon_lightsync::types::light_client::SyncCommittee::<Minimal> {
        pubkeys: FixedVector::new(pubs.iter().map(|p| p.to_bytes().into()).collect()).unwrap(),
        aggregate_pubkey: aggregate.to_bytes().into(),
    };
    (keys, committee)
}

/// A Gloas attested header at `slot` (body: the proof vector's) whose state finalizes
/// `finalized` and names `next` as the next committee, with both branches from that state.
fn gloas_attested(
    slot: u64,
    finalized: &lc::LightClientHeader,
    next: &beacon_lightsync::types::light_client::SyncCommittee<Minimal>,
) -> (lc::LightClientHeader, Vec<Bytes32>, Vec<Bytes32>) {
    let mut state = gloas::BeaconState::<Minimal>::from_ssz_bytes(
        &read_ssz_file(
            vectors().join("gloas/ssz_static/BeaconState/ssz_random/case_0/serialized.ssz_snappy"),
        )
        .unwrap(),
    )
    .unwrap();
    state.slot = slot;
    state.finalized_checkpoint.root = finalized.beacon.tree_hash_root();
    state.next_sync_committee = next.clone();
    let bytes = ssz::Encode::as_ssz_bytes(&state);
    let branch = |path: &[&str]| -> Vec<Bytes32> {
        state_proof(&bytes, ForkName::Gloas, PresetName::Minimal, path)
            .unwrap()
            .branch
            .into_iter()
            .map(Bytes32::from)
            .collect()
    };
    let mut h = header_from_body_vector(slot);
    h.beacon.state_root = state.tree_hash_root();
    (
        h,
        branch(&["finalized_checkpoint", "root"]),
        branch(&["next_sync_committee"]),
    )
}

/// A Fulu light-client header at `slot`, as served, with the body root its branch proves.
fn fulu_header(slot: u64) -> deneb::LightClientHeader<Minimal> {
    let path = vectors().join("fulu/ssz_static/LightClientHeader/ssz_random/case_0");
    let mut pre = deneb::LightClientHeader::<Minimal>::from_ssz_bytes(
        &read_ssz_file(path.join("serialized.ssz_snappy")).unwrap(),
    )
    .unwrap();
    let mut root = pre.execution.tree_hash_root().0;
    for (i, sibling) in pre.execution_branch.iter().enumerate() {
        root = if (25u64 >> i) & 1 == 1 {
            merkle::hash_pair(&sibling.0, &root)
        } else {
            merkle::hash_pair(&root, &sibling.0)
        };
    }
    pre.beacon.slot = slot;
    pre.beacon.body_root = root.into();
    pre
}

/// A Gloas update signed by every member of `keys` at `signature_slot`.
fn signed_update(
    config: &NetworkConfig,
    keys: &[beacon_lightsync::light::bls::SecretKey],
    attested: lc::LightClientHeader,
    finalized: lc::LightClientHeader,
    finality_branch: Vec<Bytes32>,
    next: (
        beacon_lightsync::types::light_client::SyncCommittee<Minimal>,
        Vec<Bytes32>,
    ),
    signature_slot: u64,
) -> beacon_lightsync::types::light_client::UpdateParts<Minimal> {
    use beacon_lightsync::light::bls::{aggregate_signatures, Signature};
    let mut bits = ssz_types::BitVector::new();
    for i in 0..32 {
        bits.set(i, true).unwrap();
    }
    let mut parts = LightClientUpdate::<Minimal>::Gloas(lc::LightClientUpdate {
        attested_header: attested,
        next_sync_committee: next.0,
        next_sync_committee_branch: FixedVector::new(next.1).unwrap(),
        finalized_header: finalized,
        finality_branch: FixedVector::new(finality_branch).unwrap(),
        sync_aggregate: beacon_lightsync::types::light_client::SyncAggregate {
            sync_committee_bits: bits,
            sync_committee_signature: Default::default(),
        },
        signature_slot,
    })
    .parts();
    let root = sp::sync_committee_signing_root(config, &parts);
    let sigs: Vec<Signature> = keys.iter().map(|k| k.sign(root.as_slice())).collect();
    let aggregate = aggregate_signatures(&sigs.iter().collect::<Vec<_>>()).unwrap();
    parts.sync_aggregate.sync_committee_signature = aggregate.to_bytes().into();
    parts
}

/// A store started from a Fulu anchor (its block header and committees, as the light rebuild
/// starts) follows signed Gloas updates across the fork: first one whose finalized header is a
/// Fulu block upgraded to the Gloas shape, then one finalizing a Gloas block. Gloas at epoch 2
/// (slot 16), one sync-committee period (64 slots) throughout.
#[test]
fn a_store_from_a_fulu_anchor_follows_signed_gloas_updates() {
    let config = config(2);
    let (keys, committee) = interop_committee();
    let anchor = fulu_header(8).beacon;
    let mut store = sp::LightClientStore::<Minimal>::from_trusted_committees(
        anchor,
        committee.clone(),
        Some(committee.clone()),
    );

    let finalized = upgrade_lc_header_to_gloas(&config, &fulu_header(12));
    let (attested, finality, next) = gloas_attested(24, &finalized, &committee);
    let update = signed_update(
        &config,
        &keys,
        attested.clone(),
        finalized.clone(),
        finality,
        (committee.clone(), next),
        25,
    );
    process_with_context(&config, &mut store, &update, 30, lc_kind(), Some(0)).unwrap();
    assert_eq!(store.finalized_header, LightClientHeader::Gloas(finalized));
    assert_eq!(
        store.optimistic_header,
        LightClientHeader::Gloas(attested.clone())
    );
    // The Fulu block's execution root is its payload header's, read back from the upgraded branch.
    assert_eq!(
        sp::get_lc_execution_root(&config, &store.finalized_header),
        fulu_header(12).execution.tree_hash_root()
    );

    // A forged signature (one member's key swapped) fails and leaves the store as it was.
    let (attested2, finality2, next2) = gloas_attested(40, &attested, &committee);
    let mut forged_keys = keys.clone();
    forged_keys[3] = beacon_lightsync::light::bls::SecretKey::interop(99);
    let forged = signed_update(
        &config,
        &forged_keys,
        attested2.clone(),
        attested.clone(),
        finality2.clone(),
        (committee.clone(), next2.clone()),
        41,
    );
    let before = store.finalized_header.clone();
    let err =
        process_with_context(&config, &mut store, &forged, 45, lc_kind(), Some(1)).unwrap_err();
    assert!(
        matches!(
            err,
            LightClientError::Update {
                failure: UpdateFailure::Signature { participants: 32 },
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(store.finalized_header, before);

    // Finalizing the Gloas block of the first update.
    let update = signed_update(
        &config,
        &keys,
        attested2.clone(),
        attested.clone(),
        finality2,
        (committee, next2),
        41,
    );
    process_with_context(&config, &mut store, &update, 45, lc_kind(), Some(1)).unwrap();
    assert_eq!(
        store.finalized_header,
        LightClientHeader::Gloas(attested.clone())
    );
    assert_eq!(store.optimistic_header, LightClientHeader::Gloas(attested2));
    assert_eq!(
        sp::get_lc_execution_root(&config, &store.finalized_header),
        attested.execution_block_hash
    );
}
