//! Light-client conformance on real data with known answers (shared fixtures):
//! consensus-spec-tests `ssz_static` LightClient* vectors (via trin), the spec `light_client/sync`
//! vectors (minimal preset, deneb and electra, via helios), real mainnet Capella data (helios),
//! real Holesky and Sepolia Deneb data (gear-bridges), and tampered copies of them.
#![cfg(not(target_arch = "wasm32"))]

mod light_vectors;
mod spec_json;

use std::path::PathBuf;

use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::light::error::{LightClientError, UpdateFailure};
use beacon_lightsync::light::fork_digest::{compute_fork_digest, BlobSchedule};
use beacon_lightsync::light::input::{
    encode_updates_ssz, parse_bootstrap, parse_finality_update, parse_optimistic_update,
    parse_updates, parse_updates_ssz,
};
use beacon_lightsync::light::sync_protocol::TrustedCommittee;
use beacon_lightsync::light::sync_protocol::{
    initialize_light_client_store, process_updates, process_updates_batched, process_with_context,
    LightClientStore,
};
use beacon_lightsync::light::verifier::verify_updates;
use beacon_lightsync::ssz_io::{read_ssz_file, require_fixtures_dir};
use beacon_lightsync::types::light_client::{self as lc, LightClientBootstrap, LightClientUpdate};
use beacon_lightsync::types::{ForkName, Hash256, Mainnet, Minimal, SszSchema};
use light_vectors::{lc_kind, read, root, run_sync_case, Meta, Mode};
use ssz::{Decode, Encode};
use tree_hash::TreeHash;

fn fixtures() -> PathBuf {
    require_fixtures_dir()
}

/// A slot far after every fixture (the spec's `current_slot` only has to be >= signature slot).
const NOW: u64 = 50_000_000;

// ---------------------------------------------------------------------------------------------
// ssz_static: decode, re-encode, roots from expected_roots.yaml, value.yaml matches (spec_json).

fn expected_roots() -> serde_yaml::Mapping {
    let text = read(&fixtures().join("trin-spec-ssz-static/expected_roots.yaml"));
    serde_yaml::from_slice(&text).expect("expected_roots.yaml")
}

fn check_static<T>(roots: &serde_yaml::Mapping, fork: &str, type_name: &str) -> usize
where
    T: Decode + Encode + TreeHash + SszSchema + PartialEq + std::fmt::Debug,
{
    let mut checked = 0;
    for case in ["case_0", "case_1"] {
        let rel = format!("{fork}/{type_name}/ssz_random/{case}/serialized.ssz_snappy");
        let dir = fixtures().join("trin-spec-ssz-static");
        let bytes = read_ssz_file(dir.join(&rel)).expect("snappy fixture");
        let value =
            T::from_ssz_bytes(&bytes).unwrap_or_else(|e| panic!("{rel}: decode failed: {e:?}"));
        assert_eq!(value.as_ssz_bytes(), bytes, "{rel}: re-encoding differs");
        let entry = roots
            .get(serde_yaml::Value::from(rel.clone()))
            .unwrap_or_else(|| panic!("{rel}: no expected root"));
        let expected = entry["hash_tree_root"].as_str().expect("root string");
        assert_eq!(
            format!("{:#x}", value.tree_hash_root()),
            expected,
            "{rel}: hash_tree_root"
        );
        let yaml_path = dir.join(format!("{fork}/{type_name}/ssz_random/{case}/value.yaml"));
        let yaml = String::from_utf8(read(&yaml_path)).expect("value.yaml is UTF-8");
        spec_json::check_value_yaml(&rel, &value, &bytes, &yaml);
        checked += 1;
    }
    checked
}

#[test]
fn ssz_static_light_client_types_bellatrix_capella_deneb() {
    let roots = expected_roots();
    let mut n = 0;
    // "bellatrix" LightClient* are the altair types.
    n += check_static::<lc::altair::LightClientHeader>(&roots, "bellatrix", "LightClientHeader");
    n += check_static::<lc::altair::LightClientBootstrap<Mainnet>>(
        &roots,
        "bellatrix",
        "LightClientBootstrap",
    );
    n += check_static::<lc::altair::LightClientUpdate<Mainnet>>(
        &roots,
        "bellatrix",
        "LightClientUpdate",
    );
    n += check_static::<lc::altair::LightClientFinalityUpdate<Mainnet>>(
        &roots,
        "bellatrix",
        "LightClientFinalityUpdate",
    );
    n += check_static::<lc::altair::LightClientOptimisticUpdate<Mainnet>>(
        &roots,
        "bellatrix",
        "LightClientOptimisticUpdate",
    );
    n += check_static::<lc::capella::LightClientHeader<Mainnet>>(
        &roots,
        "capella",
        "LightClientHeader",
    );
    n += check_static::<lc::capella::LightClientBootstrap<Mainnet>>(
        &roots,
        "capella",
        "LightClientBootstrap",
    );
    n += check_static::<lc::capella::LightClientUpdate<Mainnet>>(
        &roots,
        "capella",
        "LightClientUpdate",
    );
    n += check_static::<lc::capella::LightClientFinalityUpdate<Mainnet>>(
        &roots,
        "capella",
        "LightClientFinalityUpdate",
    );
    n += check_static::<lc::capella::LightClientOptimisticUpdate<Mainnet>>(
        &roots,
        "capella",
        "LightClientOptimisticUpdate",
    );
    n +=
        check_static::<lc::deneb::LightClientHeader<Mainnet>>(&roots, "deneb", "LightClientHeader");
    n += check_static::<lc::deneb::LightClientBootstrap<Mainnet>>(
        &roots,
        "deneb",
        "LightClientBootstrap",
    );
    n +=
        check_static::<lc::deneb::LightClientUpdate<Mainnet>>(&roots, "deneb", "LightClientUpdate");
    n += check_static::<lc::deneb::LightClientFinalityUpdate<Mainnet>>(
        &roots,
        "deneb",
        "LightClientFinalityUpdate",
    );
    n += check_static::<lc::deneb::LightClientOptimisticUpdate<Mainnet>>(
        &roots,
        "deneb",
        "LightClientOptimisticUpdate",
    );
    assert_eq!(n, 30);
}

#[test]
fn fork_tagged_enums_decode_like_the_family_types() {
    let dir = fixtures().join("trin-spec-ssz-static");
    let bytes = read_ssz_file(
        dir.join("capella/LightClientUpdate/ssz_random/case_0/serialized.ssz_snappy"),
    )
    .unwrap();
    let any = LightClientUpdate::<Mainnet>::from_ssz_bytes(ForkName::Capella, &bytes).unwrap();
    assert_eq!(any.fork(), ForkName::Capella);
    assert_eq!(any.as_ssz_bytes(), bytes);
    // The same bytes are not a valid Deneb update (the payload header is longer).
    assert!(LightClientUpdate::<Mainnet>::from_ssz_bytes(ForkName::Deneb, &bytes).is_err());
    assert!(matches!(
        LightClientUpdate::<Mainnet>::from_ssz_bytes(ForkName::Phase0, &bytes),
        Err(beacon_lightsync::types::TypesError::TypeNotInFork { .. })
    ));
    // JSON envelope round trip.
    let json = any.to_versioned_json();
    assert_eq!(json["version"], "capella");
    assert_eq!(
        LightClientUpdate::<Mainnet>::from_versioned_json(json).unwrap(),
        any
    );
}

// ---------------------------------------------------------------------------------------------
// Real mainnet Capella data (helios).

fn helios_dir() -> PathBuf {
    fixtures().join("helios/ethereum/testdata")
}

const HELIOS_CHECKPOINT: &str =
    "0x5afc212a7924789b2bc86acad3ab3a6ffb1f6e97253ea50bee7f4f51422c9275";

fn helios_json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&read(&helios_dir().join(name))).expect("fixture JSON")
}

fn mainnet() -> NetworkConfig {
    NetworkConfig::mainnet()
}

/// The schema hasher's committee root (batched SHA-256) is `tree_hash`'s, on the real mainnet
/// bootstrap committee and every update's next committee, and on a committee of distinct keys.
#[test]
fn sync_committee_root_matches_tree_hash() {
    use beacon_lightsync::light::sync_protocol::sync_committee_root;
    let config = mainnet();
    let blobs = BlobSchedule::for_network("mainnet");
    let bootstrap =
        parse_bootstrap::<Mainnet>(&config, &read(&helios_dir().join("bootstrap.json")), None)
            .unwrap();
    let updates =
        parse_updates::<Mainnet>(&config, &blobs, &read(&helios_dir().join("updates.json")))
            .unwrap();
    let mut committees = vec![bootstrap.current_sync_committee().clone()];
    committees.extend(
        updates
            .iter()
            .filter_map(|u| u.parts().next_sync_committee.map(|(c, _)| c)),
    );
    assert_eq!(committees.len(), 7);
    let mut distinct = committees[0].clone();
    for (i, k) in distinct.pubkeys.iter_mut().enumerate() {
        k.0[..8].copy_from_slice(&(i as u64).to_le_bytes());
    }
    committees.push(distinct);
    for c in &committees {
        assert_eq!(sync_committee_root(c), c.tree_hash_root().0);
    }
}

#[test]
fn helios_mainnet_bootstrap_updates_finality_optimistic() {
    let config = mainnet();
    let blobs = BlobSchedule::for_network("mainnet");
    let bootstrap =
        parse_bootstrap::<Mainnet>(&config, &read(&helios_dir().join("bootstrap.json")), None)
            .unwrap();
    assert_eq!(bootstrap.fork(), ForkName::Capella);
    assert_eq!(bootstrap.header().beacon().slot, 7069376);
    let mut store =
        initialize_light_client_store(&config, root(HELIOS_CHECKPOINT), &bootstrap).unwrap();
    let updates =
        parse_updates::<Mainnet>(&config, &blobs, &read(&helios_dir().join("updates.json")))
            .unwrap();
    assert_eq!(updates.len(), 6);
    let attested: Vec<String> = updates
        .iter()
        .map(|u| format!("{:#x}", u.attested_beacon().tree_hash_root()))
        .collect();
    for (got, prefix) in attested.iter().zip([
        "0x28ed914c",
        "0x9784148c",
        "0x7e4956d8",
        "0x4160ec05",
        "0x76e8bb83",
        "0xc74faf23",
    ]) {
        assert!(
            got.starts_with(prefix),
            "attested root {got}, expected {prefix}…"
        );
    }
    let finality =
        parse_finality_update::<Mainnet>(&config, &read(&helios_dir().join("finality.json")), None)
            .unwrap();
    let optimistic = parse_optimistic_update::<Mainnet>(
        &config,
        &read(&helios_dir().join("optimistic.json")),
        None,
    )
    .unwrap();
    let summary = verify_updates(
        &config,
        &mut store,
        &updates,
        Some(&finality),
        Some(&optimistic),
        NOW,
    )
    .unwrap();
    assert_eq!(summary.updates_processed, 6);
    assert_eq!(summary.finalized.slot, 7109344);
    assert_eq!(
        summary.finalized.root,
        root("0xa9bb1965a6288f64374a9425f5ecb90dd81239cc2ae1a8ec8b673c13c9d2586a")
    );
    assert_eq!(summary.optimistic.slot, 7109431);
    assert_eq!(
        summary.optimistic.root,
        root("0x7abd2f8f43f4a8676c98442834b3d242b107c7353043989b70fcb1595cb53c6e")
    );
    // The finalized header is the block in blocks/7109344.json: check its state root too.
    assert_eq!(
        store.finalized_header.beacon().state_root,
        root("0xccd2cb5d2a582e28c2a9c6fe7085c75c010b0607607b07eda50ab41ebe5a81c4")
    );
}

#[test]
fn helios_mainnet_from_trusted_committee_matches_bootstrap_path() {
    let config = mainnet();
    let blobs = BlobSchedule::for_network("mainnet");
    let bootstrap =
        parse_bootstrap::<Mainnet>(&config, &read(&helios_dir().join("bootstrap.json")), None)
            .unwrap();
    // As if the committee came from a verified anchor state at the bootstrap block.
    let mut store = LightClientStore::<Mainnet>::from_trusted_committees(
        *bootstrap.header().beacon(),
        bootstrap.current_sync_committee().clone(),
        None,
    );
    let updates =
        parse_updates::<Mainnet>(&config, &blobs, &read(&helios_dir().join("updates.json")))
            .unwrap();
    let finality =
        parse_finality_update::<Mainnet>(&config, &read(&helios_dir().join("finality.json")), None)
            .unwrap();
    let summary =
        verify_updates(&config, &mut store, &updates, Some(&finality), None, NOW).unwrap();
    assert_eq!(summary.finalized.slot, 7109344);
    assert_eq!(summary.optimistic.slot, 7109430);
}

fn helios_store(config: &NetworkConfig) -> LightClientStore<Mainnet> {
    let bootstrap =
        parse_bootstrap::<Mainnet>(config, &read(&helios_dir().join("bootstrap.json")), None)
            .unwrap();
    initialize_light_client_store(config, root(HELIOS_CHECKPOINT), &bootstrap).unwrap()
}

/// Processes update 0 of a (possibly tampered) helios `updates.json` array and returns the
/// failure.
fn first_update_failure(updates: serde_json::Value) -> UpdateFailure {
    let config = mainnet();
    let mut store = helios_store(&config);
    let bytes = serde_json::to_vec(&updates).unwrap();
    let updates =
        parse_updates::<Mainnet>(&config, &BlobSchedule::for_network("mainnet"), &bytes).unwrap();
    match process_with_context(
        &config,
        &mut store,
        &updates[0].parts(),
        NOW,
        lc_kind(),
        Some(0),
    ) {
        Err(LightClientError::Update {
            failure,
            index: Some(0),
            ..
        }) => failure,
        other => panic!("expected update #0 to fail, got {other:?}"),
    }
}

#[test]
fn tampered_mainnet_updates_fail_with_the_right_error() {
    let original = helios_json("updates.json");

    // A valid G2 point that signs something else: another update's signature.
    let mut v = original.clone();
    v[0]["data"]["sync_aggregate"]["sync_committee_signature"] =
        original[1]["data"]["sync_aggregate"]["sync_committee_signature"].clone();
    assert!(matches!(
        first_update_failure(v),
        UpdateFailure::Signature { .. }
    ));

    // One flipped bit in the compressed signature: not a curve point any more, or a wrong one.
    let mut v = original.clone();
    let sig = v[0]["data"]["sync_aggregate"]["sync_committee_signature"]
        .as_str()
        .unwrap()
        .to_string();
    let mut bytes = hex::decode(&sig[2..]).unwrap();
    bytes[40] ^= 0x01;
    v[0]["data"]["sync_aggregate"]["sync_committee_signature"] =
        format!("0x{}", hex::encode(bytes)).into();
    assert!(matches!(
        first_update_failure(v),
        UpdateFailure::Signature { .. } | UpdateFailure::InvalidSignatureEncoding { .. }
    ));

    // A changed finality branch node.
    let mut v = original.clone();
    v[0]["data"]["finality_branch"][2] = format!("0x{}", "11".repeat(32)).into();
    assert!(matches!(
        first_update_failure(v),
        UpdateFailure::FinalityBranch { gindex: 105, .. }
    ));

    // A changed next-sync-committee branch node.
    let mut v = original.clone();
    v[0]["data"]["next_sync_committee_branch"][0] = format!("0x{}", "22".repeat(32)).into();
    assert!(matches!(
        first_update_failure(v),
        UpdateFailure::NextSyncCommitteeBranch { gindex: 55, .. }
    ));

    // A swapped committee: the next committee of a later update under this update's branch.
    let mut v = original.clone();
    v[0]["data"]["next_sync_committee"] = original[2]["data"]["next_sync_committee"].clone();
    assert!(matches!(
        first_update_failure(v),
        UpdateFailure::NextSyncCommitteeBranch { .. }
    ));

    // A changed attested header: the committee did not sign it.
    let mut v = original.clone();
    v[0]["data"]["attested_header"]["beacon"]["proposer_index"] = "1".into();
    assert!(matches!(
        first_update_failure(v),
        UpdateFailure::Signature { .. }
    ));

    // A changed execution payload in the attested header: its execution branch breaks.
    let mut v = original.clone();
    v[0]["data"]["attested_header"]["execution"]["gas_used"] = "1".into();
    assert!(matches!(
        first_update_failure(v),
        UpdateFailure::InvalidHeader { .. }
    ));

    // Nobody participated.
    let mut v = original.clone();
    v[0]["data"]["sync_aggregate"]["sync_committee_bits"] = format!("0x{}", "00".repeat(64)).into();
    assert!(matches!(
        first_update_failure(v),
        UpdateFailure::Participation {
            expected_at_least: 1,
            got: 0
        }
    ));

    // An update from two periods ahead of the store.
    let v = serde_json::Value::Array(vec![original[3].clone()]);
    assert!(matches!(
        first_update_failure(v),
        UpdateFailure::SignaturePeriod { got: 865, .. }
    ));
}

/// What a walk over updates returns (how many it applied, or its error) and the store it leaves.
type Walked = (Result<usize, LightClientError>, LightClientStore<Mainnet>);

/// The helios mainnet updates (possibly tampered) walked from the bootstrap two ways: batched
/// (`process_updates`) and one by one (`process_with_context` each), with the stores they leave.
fn walk_both_ways(updates: &serde_json::Value) -> (Walked, Walked) {
    let config = mainnet();
    let bytes = serde_json::to_vec(updates).unwrap();
    let list =
        parse_updates::<Mainnet>(&config, &BlobSchedule::for_network("mainnet"), &bytes).unwrap();
    let parts: Vec<_> = list.iter().map(|u| u.parts()).collect();
    let mut batched = helios_store(&config);
    let got = process_updates(&config, &mut batched, &parts, NOW, lc_kind(), |_| false);
    // Whether the batch alone held, and that it leaves the store as it found it when not.
    let mut alone = helios_store(&config);
    let batch_held = process_updates_batched(&config, &mut alone, &parts, NOW, &|_| false);
    match batch_held {
        Some(n) => assert!(got.as_ref().is_ok_and(|&g| g == n) && same_store(&alone, &batched)),
        None => assert!(same_store(&alone, &helios_store(&config))),
    }
    BATCH_HELD.with(|b| b.set(batch_held.is_some()));
    let mut one_by_one = helios_store(&config);
    let mut expected = Ok(0);
    for (i, u) in parts.iter().enumerate() {
        match process_with_context(&config, &mut one_by_one, u, NOW, lc_kind(), Some(i)) {
            Ok(()) => expected = expected.map(|n| n + 1),
            Err(e) => {
                expected = Err(e);
                break;
            }
        }
    }
    ((got, batched), (expected, one_by_one))
}

thread_local! {
    /// Whether the last [`walk_both_ways`] passed by the batch alone.
    static BATCH_HELD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn batch_held() -> bool {
    BATCH_HELD.with(|b| b.get())
}

fn same_store(a: &LightClientStore<Mainnet>, b: &LightClientStore<Mainnet>) -> bool {
    a.finalized_header == b.finalized_header
        && a.optimistic_header == b.optimistic_header
        && a.current_sync_committee == b.current_sync_committee
        && a.next_sync_committee == b.next_sync_committee
        && a.best_valid_update.is_some() == b.best_valid_update.is_some()
        && a.previous_max_active_participants == b.previous_max_active_participants
        && a.current_max_active_participants == b.current_max_active_participants
}

fn signature_of(v: &serde_json::Value, i: usize) -> Vec<u8> {
    let sig = v[i]["data"]["sync_aggregate"]["sync_committee_signature"]
        .as_str()
        .unwrap();
    hex::decode(&sig[2..]).unwrap()
}

fn set_signature(v: &mut serde_json::Value, i: usize, sig: &[u8]) {
    v[i]["data"]["sync_aggregate"]["sync_committee_signature"] =
        format!("0x{}", hex::encode(sig)).into();
}

/// `a + b` (or `a - b`) of two compressed G2 points, compressed.
fn g2_add(a: &[u8], b: &[u8], negate_b: bool) -> Vec<u8> {
    let (mut pa, mut pb) = (
        blst::blst_p2_affine::default(),
        blst::blst_p2_affine::default(),
    );
    let (mut qa, mut qb, mut sum) = (
        blst::blst_p2::default(),
        blst::blst_p2::default(),
        blst::blst_p2::default(),
    );
    let mut out = [0u8; 96];
    // SAFETY: 96-byte compressed inputs of valid points, live outputs.
    unsafe {
        assert_eq!(
            blst::blst_p2_uncompress(&mut pa, a.as_ptr()),
            blst::BLST_ERROR::BLST_SUCCESS
        );
        assert_eq!(
            blst::blst_p2_uncompress(&mut pb, b.as_ptr()),
            blst::BLST_ERROR::BLST_SUCCESS
        );
        blst::blst_p2_from_affine(&mut qa, &pa);
        blst::blst_p2_from_affine(&mut qb, &pb);
        blst::blst_p2_cneg(&mut qb, negate_b);
        blst::blst_p2_add_or_double(&mut sum, &qa, &qb);
        blst::blst_p2_compress(out.as_mut_ptr(), &sum);
    }
    out.to_vec()
}

#[test]
fn batched_walk_matches_one_by_one_on_real_and_forged_updates() {
    let original = helios_json("updates.json");

    // Genuine: all 6 processed, the same store either way.
    let ((got, batched), (expected, one_by_one)) = walk_both_ways(&original);
    assert_eq!(got.unwrap(), 6);
    assert_eq!(expected.unwrap(), 6);
    assert!(batch_held(), "six genuine updates pass as one batch");
    assert!(same_store(&batched, &one_by_one));
    assert!(batched.finalized_header.beacon().slot > 7069376);

    // A forged signature in the middle (update 3 carries update 2's): the batch fails, and the
    // error is the one-by-one walk's: update #3, `Signature`.
    let mut v = original.clone();
    set_signature(&mut v, 3, &signature_of(&original, 2));
    assert!(matches!(failure_at(&v, 3), UpdateFailure::Signature { .. }));

    // Two forged signatures whose errors cancel in an unweighted sum (S1 + D, S2 - D, D a
    // genuine G2 point): each fails alone, so must the batch; the first is named.
    let d = signature_of(&original, 5);
    let mut v = original.clone();
    set_signature(&mut v, 1, &g2_add(&signature_of(&original, 1), &d, false));
    set_signature(&mut v, 2, &g2_add(&signature_of(&original, 2), &d, true));
    assert!(matches!(failure_at(&v, 1), UpdateFailure::Signature { .. }));

    // A failure before the pairing (a broken finality branch in update 4) after valid ones:
    // named as the one-by-one walk names it.
    let mut v = original.clone();
    v[4]["data"]["finality_branch"][2] = format!("0x{}", "11".repeat(32)).into();
    assert!(matches!(
        failure_at(&v, 4),
        UpdateFailure::FinalityBranch { .. }
    ));
}

/// Walks tampered `updates` both ways: the batch alone must fail, the batched walk must fail at
/// update `index` with the one-by-one walk's error; returns that failure.
fn failure_at(updates: &serde_json::Value, index: usize) -> UpdateFailure {
    let ((got, _), (expected, _)) = walk_both_ways(updates);
    assert!(!batch_held());
    let err = got.unwrap_err();
    assert_eq!(err.to_string(), expected.unwrap_err().to_string());
    match err {
        LightClientError::Update {
            index: Some(i),
            failure,
            ..
        } if i == index => failure,
        other => panic!("expected update #{index} to fail, got {other:?}"),
    }
}

#[test]
fn tampered_bootstrap_fails() {
    let config = mainnet();
    let original = helios_json("bootstrap.json");
    let bytes = serde_json::to_vec(&original).unwrap();
    let b = parse_bootstrap::<Mainnet>(&config, &bytes, None).unwrap();
    let wrong = root("0x1111111111111111111111111111111111111111111111111111111111111111");
    assert!(matches!(
        initialize_light_client_store(&config, wrong, &b),
        Err(LightClientError::TrustedRootMismatch { .. })
    ));
    // Swap two committee members: the committee root no longer matches its branch.
    let mut v = original.clone();
    let keys = v["data"]["current_sync_committee"]["pubkeys"]
        .as_array_mut()
        .unwrap();
    keys.swap(0, 1);
    let b = parse_bootstrap::<Mainnet>(&config, &serde_json::to_vec(&v).unwrap(), None).unwrap();
    let err = initialize_light_client_store(&config, root(HELIOS_CHECKPOINT), &b).unwrap_err();
    assert!(
        matches!(
            err,
            LightClientError::CurrentSyncCommitteeBranch { gindex: 54, .. }
        ),
        "{err}"
    );
    assert_eq!(err.code(), "LC_CURRENT_SYNC_COMMITTEE_BRANCH");
}

#[test]
fn updates_ssz_stream_round_trip_and_faults() {
    let config = mainnet();
    let blobs = BlobSchedule::for_network("mainnet");
    let updates =
        parse_updates::<Mainnet>(&config, &blobs, &read(&helios_dir().join("updates.json")))
            .unwrap();
    let stream = encode_updates_ssz(&config, &blobs, &updates);
    assert_eq!(
        parse_updates_ssz::<Mainnet>(&config, &blobs, &stream).unwrap(),
        updates
    );
    // The stream is what a provider serves: verifying from it gives the same result.
    let mut store = helios_store(&config);
    let summary = verify_updates(
        &config,
        &mut store,
        &parse_updates(&config, &blobs, &stream).unwrap(),
        None,
        None,
        NOW,
    )
    .unwrap();
    assert_eq!(summary.updates_processed, 6);

    // Chunk 0 relabelled with the Deneb digest: a known digest, but not the one its attested
    // epoch implies (and the payload does not decode as Deneb either).
    let mut bad = stream.clone();
    let deneb_epoch = config.fork_schedule(ForkName::Deneb).epoch;
    bad[8..12].copy_from_slice(&compute_fork_digest(&config, &blobs, deneb_epoch));
    assert!(parse_updates_ssz::<Mainnet>(&config, &blobs, &bad).is_err());
    // Chunk 1 with a digest of another network.
    let len0 = u64::from_le_bytes(stream[..8].try_into().unwrap()) as usize;
    let mut bad = stream.clone();
    let sepolia = NetworkConfig::sepolia();
    let capella_digest = compute_fork_digest(
        &sepolia,
        &blobs,
        sepolia.fork_schedule(ForkName::Capella).epoch,
    );
    bad[8 + len0 + 8..8 + len0 + 12].copy_from_slice(&capella_digest);
    assert!(matches!(
        parse_updates_ssz::<Mainnet>(&config, &blobs, &bad),
        Err(LightClientError::ForkDigestMismatch { index: 1, .. })
    ));
    // Cut inside the last chunk.
    let cut = &stream[..stream.len() - 10];
    assert!(matches!(
        parse_updates_ssz::<Mainnet>(&config, &blobs, cut),
        Err(LightClientError::TruncatedStream { index: 5, .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Real Holesky and Sepolia Deneb data (gear-bridges).

fn gear(name: &str) -> Vec<u8> {
    read(
        &fixtures()
            .join("gear-bridges/tests/src/checkpoint_light_client/chain-data")
            .join(name),
    )
}

#[test]
fn gear_bridges_holesky_bootstrap_update_finality_updates() {
    let config = NetworkConfig::holesky();
    let blobs = BlobSchedule::for_network("holesky");
    let bootstrap =
        parse_bootstrap::<Mainnet>(&config, &gear("holesky-bootstrap-368.json"), None).unwrap();
    assert_eq!(bootstrap.fork(), ForkName::Deneb);
    let trusted = root("0xe5465b2c6f141f5124053ae6a4d63cb7b9cc51991d39306a8dfc64bedb5de26c");
    let mut store = initialize_light_client_store(&config, trusted, &bootstrap).unwrap();
    assert_eq!(store.finalized_header.beacon().slot, 3014656);
    let updates =
        parse_updates::<Mainnet>(&config, &blobs, &gear("holesky-update-368.json")).unwrap();
    assert_eq!(updates.len(), 1);
    let update = updates[0].parts();
    assert_eq!(
        update.sync_aggregate.sync_committee_bits.num_set_bits(),
        482
    );
    assert_eq!(update.finalized_header.beacon().tree_hash_root(), trusted);
    verify_updates(&config, &mut store, &updates, None, None, NOW).unwrap();
    assert!(
        store.next_sync_committee.is_some(),
        "update 368 brings the next committee"
    );
    for (file, expected) in [
        (
            "holesky-finality-update-3_016_736.json",
            "0x5c34c9ed945653477e313f1b0dcf16a3c5f2819f4086fa40fde1f0837f915b08",
        ),
        (
            "holesky-finality-update-3_016_768.json",
            "0x4d7bf7055d649e031b0088e082f3db8685afcc0ce3d20ed1183ac243f1f690a0",
        ),
        (
            "holesky-finality-update-3_016_799.json",
            "0x9bde92f2b74aaac45f741f2b4044ffe5320ec617f45d02af15616b081a1e44cd",
        ),
    ] {
        let f = parse_finality_update::<Mainnet>(&config, &gear(file), None).unwrap();
        verify_updates(&config, &mut store, &[], Some(&f), None, NOW)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            store.finalized_header.beacon().tree_hash_root(),
            root(expected),
            "{file}"
        );
    }
}

#[test]
fn gear_bridges_sepolia_update_and_out_of_reach_finality() {
    let config = NetworkConfig::sepolia();
    let blobs = BlobSchedule::for_network("sepolia");
    let bootstrap =
        parse_bootstrap::<Mainnet>(&config, &gear("sepolia-bootstrap-640.json"), None).unwrap();
    let trusted = root("0xb8e0e124d11a6f2f4438fae6a01ec3026cc92a89a0a272a8c1ea3cdb1c427861");
    let mut store = initialize_light_client_store(&config, trusted, &bootstrap).unwrap();
    assert_eq!(store.finalized_header.beacon().slot, 5242880);
    let updates =
        parse_updates::<Mainnet>(&config, &blobs, &gear("sepolia-update-640.json")).unwrap();
    assert_eq!(
        updates[0]
            .parts()
            .sync_aggregate
            .sync_committee_bits
            .num_set_bits(),
        512
    );
    verify_updates(&config, &mut store, &updates, None, None, NOW).unwrap();
    // The finality update is signed in period 642; the store knows committees up to 641.
    let f = parse_finality_update::<Mainnet>(
        &config,
        &gear("sepolia-finality-update-5_263_072.json"),
        None,
    )
    .unwrap();
    let err = verify_updates(&config, &mut store, &[], Some(&f), None, NOW).unwrap_err();
    match err {
        LightClientError::Update {
            period: 642,
            failure: UpdateFailure::SignaturePeriod { got: 642, .. },
            ..
        } => {}
        other => panic!("expected a signature-period error for period 642, got {other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// consensus-spec-tests light_client/sync (minimal preset), deneb and electra.

#[test]
fn spec_light_client_sync_vectors_deneb_and_electra() {
    let base = fixtures().join("helios/ethereum/consensus-core/testdata");
    let mut steps = 0;
    let mut cases = 0;
    for (fork, name) in [(ForkName::Deneb, "deneb"), (ForkName::Electra, "electra")] {
        for case in [
            "light_client_sync",
            "advance_finality_without_sync_committee",
            "supply_sync_committee_from_past_update",
        ] {
            steps += run_sync_case(fork, &base.join(name).join(case), Mode::AsServed);
            cases += 1;
        }
    }
    assert_eq!(cases, 6);
    assert_eq!(
        steps, 32,
        "every process_update and force_update step of the six cases"
    );
}

#[test]
fn spec_vector_tampered_update_fails() {
    // Electra light_client_sync, first update: corrupt its next-sync-committee branch (depth 6,
    // gindex 87) and its signature.
    let dir = fixtures().join("helios/ethereum/consensus-core/testdata/electra/light_client_sync");
    let meta: Meta = serde_yaml::from_slice(&read(&dir.join("meta.yaml"))).unwrap();
    let config = NetworkConfig::from_config_yaml(
        std::str::from_utf8(&read(&dir.join("config.yaml"))).unwrap(),
        Some(root(&meta.genesis_validators_root)),
    )
    .unwrap();
    let bootstrap = LightClientBootstrap::<Minimal>::from_ssz_bytes(
        ForkName::Electra,
        &read_ssz_file(dir.join("bootstrap.ssz_snappy")).unwrap(),
    )
    .unwrap();
    let store =
        initialize_light_client_store(&config, root(&meta.trusted_block_root), &bootstrap).unwrap();
    let name =
        "update_0xed3633b21718e0ad4f0eafca7349e20d78c2bd1128e9fb52ce63e60732635ade_sf.ssz_snappy";
    let good = LightClientUpdate::<Minimal>::from_ssz_bytes(
        ForkName::Electra,
        &read_ssz_file(dir.join(name)).unwrap(),
    )
    .unwrap();
    let LightClientUpdate::Electra(inner) = &good else {
        panic!("expected an electra update")
    };
    assert_eq!(inner.next_sync_committee_branch.len(), 6);
    assert_eq!(inner.finality_branch.len(), 7);
    // Processes `update` on a fresh copy of the store at `current_slot`; it must fail.
    let fails = |update: &LightClientUpdate<Minimal>, current_slot: u64| {
        let mut s = store.clone();
        process_with_context(
            &config,
            &mut s,
            &update.parts(),
            current_slot,
            lc_kind(),
            Some(0),
        )
        .unwrap_err()
    };

    let mut bad = inner.clone();
    bad.next_sync_committee_branch[3] = Hash256::repeat_byte(0x33);
    let err = fails(&LightClientUpdate::Electra(bad), 41);
    assert!(
        matches!(
            err,
            LightClientError::Update {
                failure: UpdateFailure::NextSyncCommitteeBranch { gindex: 87, .. },
                ..
            }
        ),
        "{err}"
    );

    let mut bad = inner.clone();
    bad.finality_branch[6] = Hash256::repeat_byte(0x44);
    let err = fails(&LightClientUpdate::Electra(bad), 41);
    assert!(
        matches!(
            err,
            LightClientError::Update {
                failure: UpdateFailure::FinalityBranch { gindex: 169, .. },
                ..
            }
        ),
        "{err}"
    );

    let mut bad = inner.clone();
    bad.signature_slot += 1;
    let err = fails(&LightClientUpdate::Electra(bad), 41);
    // signature_slot 41 still fits current_slot 41; the signing domain is unchanged, so only a
    // slot-ordering or signature failure is possible, never success.
    assert!(
        matches!(
            err,
            LightClientError::Update {
                failure: UpdateFailure::SlotOrdering { .. } | UpdateFailure::Signature { .. },
                ..
            }
        ),
        "{err}"
    );

    // The clock behind the signature slot.
    let err = fails(&good, 5);
    assert_eq!(err.code(), "LC_SLOT_ORDERING");
}

/// Native timings (run with `cargo test --release --test light_client -- --ignored --nocapture`).
#[test]
#[ignore]
fn bench_bls_and_update_verification() {
    use beacon_lightsync::light::bls::{self, PublicKey, SecretKey};
    use std::time::Instant;
    let sks: Vec<SecretKey> = (0..512).map(SecretKey::interop).collect();
    let pks: Vec<PublicKey> = sks.iter().map(|s| s.public_key()).collect();
    let refs: Vec<&PublicKey> = pks.iter().collect();
    let msg = [7u8; 32];
    let sigs: Vec<_> = sks.iter().map(|s| s.sign(&msg)).collect();
    let agg = bls::aggregate_signatures(&sigs.iter().collect::<Vec<_>>()).unwrap();
    let n = 20u32;
    let t = Instant::now();
    for _ in 0..n {
        assert!(bls::fast_aggregate_verify(&refs, &msg, &agg));
    }
    println!("fast_aggregate_verify(512 keys): {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(bls::aggregate_public_keys(&refs).unwrap());
    }
    println!("aggregate 512 public keys: {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(bls::MessagePoint::hash(&msg));
    }
    println!("hash_to_curve (G2): {:?}", t.elapsed() / n);
    let apk = bls::aggregate_public_keys(&refs).unwrap();
    let t = Instant::now();
    for _ in 0..n {
        assert!(agg.verify(&apk, &msg));
    }
    println!(
        "single verify (hash_to_curve + 2-pairing product): {:?}",
        t.elapsed() / n
    );
    let bytes: Vec<[u8; 48]> = pks.iter().map(|p| p.to_bytes()).collect();
    let t = Instant::now();
    for b in &bytes {
        std::hint::black_box(PublicKey::from_bytes(b).unwrap());
    }
    println!("KeyValidate 512 compressed keys: {:?}", t.elapsed());
    let t = Instant::now();
    for b in &bytes {
        std::hint::black_box(bls::PublicKeyPoint::from_bytes(b).unwrap());
    }
    println!(
        "pubkey_to_point 512 compressed keys (no subgroup check): {:?}",
        t.elapsed()
    );

    // One real update (mainnet, 512-member committee), fresh store each time so the committee's
    // aggregate_pubkey and absent keys are decompressed inside the timing (the first update of
    // a period pays that).
    let config = mainnet();
    let blobs = BlobSchedule::for_network("mainnet");
    let updates =
        parse_updates::<Mainnet>(&config, &blobs, &read(&helios_dir().join("updates.json")))
            .unwrap();
    let parts = updates[0].parts();
    let base = helios_store(&config);
    let t = Instant::now();
    for _ in 0..5 {
        let mut s = base.clone();
        s.current_sync_committee =
            TrustedCommittee::new(s.current_sync_committee.committee.clone());
        process_with_context(&config, &mut s, &parts, NOW, lc_kind(), Some(0)).unwrap();
    }
    println!(
        "one mainnet update, cold committee (aggregate_pubkey and absent keys decompressed): {:?}",
        t.elapsed() / 5
    );
    base.current_sync_committee.prepare();
    base.current_sync_committee.prepare_all();
    let t = Instant::now();
    for _ in 0..n {
        let mut s = base.clone();
        process_with_context(&config, &mut s, &parts, NOW, lc_kind(), Some(0)).unwrap();
    }
    println!("one mainnet update, warm committee: {:?}", t.elapsed() / n);
}
