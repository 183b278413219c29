#![cfg(not(target_arch = "wasm32"))]
//! `FastAggregateVerify` for sync committees without per-key `KeyValidate`, and with the
//! committee's `aggregate_pubkey` minus the absent members when fewer than half are absent
//! (`light::sync_protocol::TrustedCommittee`). Every result is compared with the reference path
//! (`bls::fast_aggregate_verify` over keys that each passed `KeyValidate`), on synthetic
//! committees (minimal preset, 32 members, keys we can sign with) and on the real mainnet helios
//! updates; tampered committees must still fail, and a tampered `aggregate_pubkey` must break the
//! Merkle branch that commits to it.

use std::path::{Path, PathBuf};

use beacon_lightsync::config::BlobSchedule;
use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::light::bls::{
    self, PublicKey, PublicKeyPoint, PublicKeySum, SecretKey, Signature,
};
use beacon_lightsync::light::error::{LightClientError, UpdateFailure, UpdateKind};
use beacon_lightsync::light::input::{parse_bootstrap, parse_updates};
use beacon_lightsync::light::sync_protocol::{
    compute_sync_committee_period_at_slot, initialize_light_client_store, process_with_context,
    sync_committee_signing_root, AggregatePath, TrustedCommittee,
};
use beacon_lightsync::ssz_io::require_fixtures_dir;
use beacon_lightsync::types::altair::SyncCommittee;
use beacon_lightsync::types::{
    BitVector, BlsPublicKey, FixedVector, Hash256, Mainnet, Minimal, Preset,
};
use tree_hash::TreeHash;

const N: usize = 32; // minimal preset SYNC_COMMITTEE_SIZE

type Bits = BitVector<<Minimal as Preset>::SyncCommitteeSize>;

struct Keys {
    sks: Vec<SecretKey>,
    pks: Vec<[u8; 48]>,
}

fn keys() -> Keys {
    let sks: Vec<SecretKey> = (0..N as u64)
        .map(|i| SecretKey::from_seed(b"fast-aggregate", i))
        .collect();
    let pks = sks.iter().map(|s| s.public_key().to_bytes()).collect();
    Keys { sks, pks }
}

/// The compressed sum of `pks` (points only, no subgroup check), as `aggregate_pubkey`.
fn sum_bytes(pks: &[[u8; 48]]) -> [u8; 48] {
    let points: Vec<PublicKeyPoint> = pks
        .iter()
        .map(|k| PublicKeyPoint::from_bytes(k).unwrap())
        .collect();
    PublicKeySum::of(&points.iter().collect::<Vec<_>>())
        .unwrap()
        .to_point()
        .to_bytes()
}

/// A compressed G1 encoding that decodes to no point: x = 2^381 - 1 with the compression flag
/// set is not a field element (it exceeds the BLS12-381 modulus).
fn not_a_point() -> [u8; 48] {
    let mut bytes = [0xffu8; 48];
    bytes[0] = 0x9f;
    bytes
}

fn committee(pks: &[[u8; 48]], aggregate: [u8; 48]) -> TrustedCommittee<Minimal> {
    let pubkeys: Vec<BlsPublicKey> = pks.iter().map(|k| BlsPublicKey::from(*k)).collect();
    TrustedCommittee::new(SyncCommittee {
        pubkeys: FixedVector::new(pubkeys).unwrap(),
        aggregate_pubkey: BlsPublicKey::from(aggregate),
    })
}

fn bits(members: &[usize]) -> Bits {
    let mut b = Bits::new();
    for &i in members {
        b.set(i, true).unwrap();
    }
    b
}

fn sign(k: &Keys, members: &[usize], msg: &Hash256) -> [u8; 96] {
    let sigs: Vec<Signature> = members
        .iter()
        .map(|&i| k.sks[i].sign(msg.as_slice()))
        .collect();
    bls::aggregate_signatures(&sigs.iter().collect::<Vec<_>>())
        .unwrap()
        .to_bytes()
}

/// The reference: `FastAggregateVerify` with `KeyValidate` of every participant's key, as the
/// spec's reference implementation computes it.
fn reference(pks: &[[u8; 48]], members: &[usize], msg: &Hash256, sig: &[u8]) -> bool {
    let Ok(sig) = Signature::from_bytes(sig) else {
        return false;
    };
    let mut keys = Vec::new();
    for &i in members {
        match PublicKey::from_bytes(&pks[i]) {
            Ok(k) => keys.push(k),
            Err(_) => return false,
        }
    }
    bls::fast_aggregate_verify(&keys.iter().collect::<Vec<_>>(), msg.as_slice(), &sig)
}

/// A point on the curve y^2 = x^3 + 4 that is not in the G1 subgroup (almost every curve point
/// is not: the cofactor is about 2^126), compressed.
fn non_subgroup_point() -> [u8; 48] {
    for x0 in 1u8..=255 {
        let mut xb = [0u8; 48];
        xb[47] = x0;
        let mut four = [0u8; 48];
        four[47] = 4;
        let mut x = blst::blst_fp::default();
        let mut b = blst::blst_fp::default();
        let mut t = blst::blst_fp::default();
        let mut y = blst::blst_fp::default();
        // SAFETY: all pointers reference live, initialised values of the right types.
        unsafe {
            blst::blst_fp_from_bendian(&mut x, xb.as_ptr());
            blst::blst_fp_from_bendian(&mut b, four.as_ptr());
            blst::blst_fp_sqr(&mut t, &x);
            let t2 = t;
            blst::blst_fp_mul(&mut t, &t2, &x);
            let t3 = t;
            blst::blst_fp_add(&mut t, &t3, &b);
            if !blst::blst_fp_sqrt(&mut y, &t) {
                continue;
            }
            let p = blst::blst_p1_affine { x, y };
            assert!(blst::blst_p1_affine_on_curve(&p));
            if blst::blst_p1_affine_in_g1(&p) {
                continue;
            }
            let mut out = [0u8; 48];
            blst::blst_p1_affine_compress(out.as_mut_ptr(), &p);
            return out;
        }
    }
    unreachable!("some small x gives a curve point outside G1")
}

fn msg() -> Hash256 {
    Hash256::from([9u8; 32])
}

#[test]
fn both_paths_match_the_reference_on_genuine_and_wrong_signatures() {
    let k = keys();
    let c = committee(&k.pks, sum_bytes(&k.pks));
    // Participants: 32 and 31 and 17 (fewer than half absent) take the committee-minus-absent
    // path; 16, 15 and 1 (half or more absent) sum the participants.
    for (count, path) in [
        (32, AggregatePath::CommitteeMinusAbsent),
        (31, AggregatePath::CommitteeMinusAbsent),
        (17, AggregatePath::CommitteeMinusAbsent),
        (16, AggregatePath::SumOfParticipants),
        (15, AggregatePath::SumOfParticipants),
        (1, AggregatePath::SumOfParticipants),
    ] {
        // Spread the participants over the committee, not a prefix.
        let members: Vec<usize> = (0..N).map(|i| (i * 7) % N).take(count).collect();
        let b = bits(&members);
        let sig = sign(&k, &members, &msg());
        assert!(reference(&k.pks, &members, &msg(), &sig));
        assert_eq!(c.verify(&b, &msg(), &sig), Ok(path), "{count} participants");
        assert_eq!(c.verify_sum_of_participants(&b, &msg(), &sig), Ok(()));

        // Another message.
        let other = Hash256::from([8u8; 32]);
        assert!(!reference(&k.pks, &members, &other, &sig));
        assert_eq!(
            c.verify(&b, &other, &sig),
            Err(UpdateFailure::Signature {
                participants: count as u64
            })
        );

        // One claimed participant did not sign (the bits say more than the signature holds).
        if count < N {
            let mut claimed = members.clone();
            let extra = (0..N).find(|i| !members.contains(i)).unwrap();
            claimed.push(extra);
            assert!(!reference(&k.pks, &claimed, &msg(), &sig));
            assert!(matches!(
                c.verify(&bits(&claimed), &msg(), &sig),
                Err(UpdateFailure::Signature { .. })
            ));
        }
    }
    // No participant: FastAggregateVerify over no keys is false.
    let inf = bls::G2_POINT_AT_INFINITY;
    assert_eq!(
        c.verify(&bits(&[]), &msg(), &inf),
        Err(UpdateFailure::Signature { participants: 0 })
    );
}

#[test]
fn non_subgroup_key_is_caught_by_the_aggregate_check() {
    let k = keys();
    let bad = non_subgroup_point();
    // The per-key check that is no longer run would reject it; decompression accepts it.
    assert!(matches!(
        PublicKey::from_bytes(&bad),
        Err(bls::BlsError::InvalidPublicKey { .. })
    ));
    let point = PublicKeyPoint::from_bytes(&bad).unwrap();
    assert!(!point.is_identity());

    let mut pks = k.pks.clone();
    pks[5] = bad;
    // A committee whose aggregate_pubkey is the true sum of its (tampered) keys.
    let c = committee(&pks, sum_bytes(&pks));
    let honest: Vec<usize> = (0..N).filter(|&i| i != 5).collect();

    // Member 5 claimed as a participant, on both paths: the aggregate is outside G1.
    let all: Vec<usize> = (0..N).collect();
    let sig = sign(&k, &honest, &msg());
    assert!(!reference(&pks, &all, &msg(), &sig));
    assert!(matches!(
        c.verify(&bits(&all), &msg(), &sig),
        Err(UpdateFailure::InvalidAggregatePublicKey {
            participants: 32,
            ..
        })
    ));
    let few: Vec<usize> = (0..8).collect();
    let sig_few = sign(&k, &[0, 1, 2, 3, 4, 6, 7], &msg());
    assert!(!reference(&pks, &few, &msg(), &sig_few));
    assert!(matches!(
        c.verify(&bits(&few), &msg(), &sig_few),
        Err(UpdateFailure::InvalidAggregatePublicKey {
            participants: 8,
            ..
        })
    ));
    assert!(matches!(
        c.verify_sum_of_participants(&bits(&all), &msg(), &sig),
        Err(UpdateFailure::InvalidAggregatePublicKey { .. })
    ));

    // Member 5 absent: its key takes no part in the spec's check, and subtracting it from the
    // committee's sum gives the honest participants' sum, so both agree: valid.
    assert!(reference(&pks, &honest, &msg(), &sig));
    assert_eq!(
        c.verify(&bits(&honest), &msg(), &sig),
        Ok(AggregatePath::CommitteeMinusAbsent)
    );
}

#[test]
fn undecodable_and_identity_keys() {
    let k = keys();
    let garbage = not_a_point();
    assert!(PublicKeyPoint::from_bytes(&garbage).is_err());
    let mut pks = k.pks.clone();
    pks[3] = garbage;
    // aggregate_pubkey as the state transition would have had it before the key was spoiled.
    let c = committee(&pks, sum_bytes(&k.pks));

    // A participant's undecodable key: the spec's answer is invalid, and it names the member.
    let few: Vec<usize> = (0..6).collect();
    let sig = sign(&k, &few, &msg());
    assert!(!reference(&pks, &few, &msg(), &sig));
    assert!(matches!(
        c.verify(&bits(&few), &msg(), &sig),
        Err(UpdateFailure::InvalidPublicKey { member: 3, .. })
    ));
    // An absent member's undecodable key: the committee-minus-absent path cannot use it and
    // falls back to the participants' sum, which, like the spec, never looks at it.
    let without3: Vec<usize> = (0..N).filter(|&i| i != 3).collect();
    let sig = sign(&k, &without3, &msg());
    assert!(reference(&pks, &without3, &msg(), &sig));
    assert_eq!(
        c.verify(&bits(&without3), &msg(), &sig),
        Ok(AggregatePath::SumOfParticipants)
    );

    // The identity as a participant's key is rejected (as the spec's reference implementation
    // does), on the participants'-sum path.
    let mut identity = [0u8; 48];
    identity[0] = 0xc0;
    assert!(PublicKeyPoint::from_bytes(&identity).unwrap().is_identity());
    let mut pks = k.pks.clone();
    pks[2] = identity;
    let c = committee(&pks, sum_bytes(&k.pks));
    let sig = sign(&k, &few, &msg());
    assert!(!reference(&pks, &few, &msg(), &sig));
    assert!(matches!(
        c.verify(&bits(&few), &msg(), &sig),
        Err(UpdateFailure::InvalidPublicKey { member: 2, .. })
    ));
}

#[test]
fn a_wrong_aggregate_pubkey_makes_genuine_signatures_fail_not_pass() {
    // A committee whose aggregate_pubkey is not the sum of its keys cannot come out of a valid
    // state transition (and a tampered one breaks its Merkle branch, see below). If one were
    // trusted anyway, the committee-minus-absent path rejects genuine signatures; the
    // participants' sum does not use the field.
    let k = keys();
    let c = committee(&k.pks, k.pks[0]);
    let most: Vec<usize> = (0..30).collect();
    let sig = sign(&k, &most, &msg());
    assert!(matches!(
        c.verify(&bits(&most), &msg(), &sig),
        Err(UpdateFailure::Signature { participants: 30 })
    ));
    let few: Vec<usize> = (0..10).collect();
    let sig = sign(&k, &few, &msg());
    assert_eq!(
        c.verify(&bits(&few), &msg(), &sig),
        Ok(AggregatePath::SumOfParticipants)
    );
    // An undecodable aggregate_pubkey falls back to the participants' sum.
    let garbage = not_a_point();
    let c = committee(&k.pks, garbage);
    let sig = sign(&k, &most, &msg());
    assert_eq!(
        c.verify(&bits(&most), &msg(), &sig),
        Ok(AggregatePath::SumOfParticipants)
    );
}

#[test]
fn decompressed_keys_are_cached_per_committee() {
    let k = keys();
    let c = committee(&k.pks, sum_bytes(&k.pks));
    assert_eq!(c.decompressed_keys(), 0);
    // Two absent: the aggregate and those two keys are decompressed.
    let most: Vec<usize> = (0..30).collect();
    let sig = sign(&k, &most, &msg());
    c.verify(&bits(&most), &msg(), &sig).unwrap();
    assert_eq!(c.decompressed_keys(), 2);
    // The same participation again: nothing new.
    c.verify(&bits(&most), &msg(), &sig).unwrap();
    assert_eq!(c.decompressed_keys(), 2);
    // Eight participants (0..8) on the summing path: eight more keys.
    let few: Vec<usize> = (0..8).collect();
    let sig = sign(&k, &few, &msg());
    c.verify(&bits(&few), &msg(), &sig).unwrap();
    assert_eq!(c.decompressed_keys(), 10);
    // A clone (the store is cloned) keeps the cache.
    assert_eq!(c.clone().decompressed_keys(), 10);
    c.prepare_all();
    assert_eq!(c.decompressed_keys(), N);
}

// Real mainnet data (helios fixtures: Capella bootstrap and six updates, periods 862..867).

fn helios_dir() -> PathBuf {
    require_fixtures_dir().join("helios/ethereum/testdata")
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&read(&helios_dir().join(name))).unwrap()
}

/// Well after the last helios update's signature slot.
const NOW: u64 = 8_000_000;
const HELIOS_CHECKPOINT: [u8; 32] = [
    0x5a, 0xfc, 0x21, 0x2a, 0x79, 0x24, 0x78, 0x9b, 0x2b, 0xc8, 0x6a, 0xca, 0xd3, 0xab, 0x3a, 0x6f,
    0xfb, 0x1f, 0x6e, 0x97, 0x25, 0x3e, 0xa5, 0x0b, 0xee, 0x7f, 0x4f, 0x51, 0x42, 0x2c, 0x92, 0x75,
];

#[test]
fn real_mainnet_updates_agree_with_the_reference_on_both_paths() {
    let config = NetworkConfig::mainnet();
    let bootstrap =
        parse_bootstrap::<Mainnet>(&config, &read(&helios_dir().join("bootstrap.json")), None)
            .unwrap();
    let mut store =
        initialize_light_client_store(&config, Hash256::from(HELIOS_CHECKPOINT), &bootstrap)
            .unwrap();
    let updates = parse_updates::<Mainnet>(
        &config,
        &BlobSchedule::for_network("mainnet"),
        &read(&helios_dir().join("updates.json")),
    )
    .unwrap();
    assert_eq!(updates.len(), 6);
    for (i, u) in updates.iter().enumerate() {
        let parts = u.parts();
        let period = compute_sync_committee_period_at_slot::<Mainnet>(parts.signature_slot);
        let signer = if period == store.period() {
            store.current_sync_committee.clone()
        } else {
            store
                .next_sync_committee
                .clone()
                .expect("next committee known")
        };
        let agg = &parts.sync_aggregate;
        let root = sync_committee_signing_root(&config, &parts);
        let sig = agg.sync_committee_signature.as_slice();
        let members: Vec<usize> = (0..512)
            .filter(|&m| agg.sync_committee_bits.get(m).unwrap())
            .collect();
        let pks: Vec<[u8; 48]> = signer.committee.pubkeys.iter().map(|k| k.0).collect();
        assert!(reference(&pks, &members, &root, sig), "update {i}");
        // Real participation is high: the committee-minus-absent path, with one decompression
        // per absent member only.
        assert!(
            members.len() > 256,
            "update {i}: {} participants",
            members.len()
        );
        let fresh = TrustedCommittee::<Mainnet>::new(signer.committee.clone());
        assert_eq!(
            fresh.verify(&agg.sync_committee_bits, &root, sig),
            Ok(AggregatePath::CommitteeMinusAbsent),
            "update {i}"
        );
        assert_eq!(fresh.decompressed_keys(), 512 - members.len());
        assert_eq!(
            fresh.verify_sum_of_participants(&agg.sync_committee_bits, &root, sig),
            Ok(())
        );
        // The committed aggregate_pubkey is the sum of the committee's keys, as the state
        // transition (eth_aggregate_pubkeys) guarantees.
        assert_eq!(
            sum_bytes(&pks),
            signer.committee.aggregate_pubkey.0,
            "update {i}"
        );
        process_with_context(
            &config,
            &mut store,
            &parts,
            NOW,
            UpdateKind::Update,
            Some(i),
        )
        .unwrap();
    }
}

#[test]
fn tampered_aggregate_pubkey_breaks_the_branch_that_commits_to_it() {
    let config = NetworkConfig::mainnet();
    let original = json("updates.json");
    // Another valid key as the next committee's aggregate_pubkey, everything else unchanged.
    let mut v = original.clone();
    let other = original[0]["data"]["next_sync_committee"]["pubkeys"][0].clone();
    assert_ne!(
        v[0]["data"]["next_sync_committee"]["aggregate_pubkey"],
        other
    );
    v[0]["data"]["next_sync_committee"]["aggregate_pubkey"] = other.clone();
    let updates = parse_updates::<Mainnet>(
        &config,
        &BlobSchedule::for_network("mainnet"),
        &serde_json::to_vec(&v).unwrap(),
    )
    .unwrap();
    let bootstrap =
        parse_bootstrap::<Mainnet>(&config, &read(&helios_dir().join("bootstrap.json")), None)
            .unwrap();
    let mut store =
        initialize_light_client_store(&config, Hash256::from(HELIOS_CHECKPOINT), &bootstrap)
            .unwrap();
    match process_with_context(
        &config,
        &mut store,
        &updates[0].parts(),
        NOW,
        UpdateKind::Update,
        Some(0),
    ) {
        Err(LightClientError::Update {
            failure: UpdateFailure::NextSyncCommitteeBranch { gindex: 55, .. },
            ..
        }) => {}
        other => panic!("expected a next-sync-committee branch failure, got {other:?}"),
    }
    assert!(store.next_sync_committee.is_none(), "nothing was learned");

    // The same for the bootstrap's current committee.
    let mut b = json("bootstrap.json");
    b["data"]["current_sync_committee"]["aggregate_pubkey"] = other;
    let bootstrap =
        parse_bootstrap::<Mainnet>(&config, &serde_json::to_vec(&b).unwrap(), None).unwrap();
    let root = bootstrap.header().beacon().tree_hash_root();
    assert_eq!(root, Hash256::from(HELIOS_CHECKPOINT));
    assert!(matches!(
        initialize_light_client_store(&config, root, &bootstrap),
        Err(LightClientError::CurrentSyncCommitteeBranch { gindex: 54, .. })
    ));
}
