//! The generated chain, fetched over HTTP and checked with the crate's own verification code:
//! SSZ decoding and `tree_hash` of the typed containers, `merkle::state_root` over the state bytes,
//! `light::branch` for Merkle branches and `light::bls` for every signature. Nothing the devnet
//! claims is compared only with itself.
#![cfg(not(target_arch = "wasm32"))]

mod devnet_common;

use beacon_lightsync::config::{compute_domain, compute_signing_root};
use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::{Devnet, DevnetOptions};
use beacon_lightsync::light::bls::{
    aggregate_public_keys, eth_fast_aggregate_verify, PublicKey, Signature,
};
use beacon_lightsync::light::branch::is_valid_merkle_branch;
use beacon_lightsync::types::light_client::electra as lc;
use beacon_lightsync::types::phase0::BeaconBlockHeader;
use beacon_lightsync::types::{
    electra::SignedBeaconBlock, fulu, FixedBytes, FixedVector, ForkName, Minimal, PresetName,
    TreeHash, B256,
};
use devnet_common::*;
use ssz::Decode;

type State = fulu::BeaconState<Minimal>;
const SSZ: &str = "application/octet-stream";
/// Minimal preset: SLOTS_PER_EPOCH, slots per sync-committee period, SLOTS_PER_HISTORICAL_ROOT.
const SPE: u64 = 8;
const SPP: u64 = 64;
const SPHR: u64 = 64;

fn small() -> DevnetOptions {
    DevnetOptions {
        chain: ChainOptions {
            validators: 256,
            slots: 200,
            seed: 42,
            ..ChainOptions::default()
        },
        ..DevnetOptions::default()
    }
}

fn root_hex(r: &[u8]) -> String {
    format!("0x{}", hex::encode(r))
}

fn parse_root(s: &serde_json::Value) -> B256 {
    let b = hex::decode(s.as_str().unwrap().trim_start_matches("0x")).unwrap();
    B256::from_slice(&b)
}

fn header_of(v: &serde_json::Value) -> BeaconBlockHeader {
    devnet_common::from_json(&v["data"]["header"]["message"])
}

fn nodes(v: &[B256]) -> Vec<[u8; 32]> {
    v.iter().map(|b| b.0).collect()
}

fn version(spec: &serde_json::Value, key: &str) -> FixedBytes<4> {
    let b = hex::decode(spec["data"][key].as_str().unwrap().trim_start_matches("0x")).unwrap();
    FixedBytes::from_slice(&b)
}

#[test]
fn checkpoint_state_and_header_chain_verify() {
    let d = Devnet::start(small()).unwrap();
    let base = &d.urls()[0];
    let info = d.info();
    let checkpoint = info["checkpoint"].as_str().unwrap().to_string();
    let (cp_root, cp_epoch) = checkpoint.split_once(':').unwrap();
    let cp_epoch: u64 = cp_epoch.parse().unwrap();
    assert_eq!(
        cp_epoch,
        200 / SPE - 2,
        "finality lags the head by two epochs"
    );

    let genesis = get(base, "/eth/v1/beacon/genesis", None).json();
    let gvr = parse_root(&genesis["data"]["genesis_validators_root"]);
    let spec = get(base, "/eth/v1/config/spec", None).json();
    assert_eq!(spec["data"]["SLOTS_PER_EPOCH"], "8");
    assert_eq!(spec["data"]["PRESET_BASE"], "minimal");
    assert_eq!(spec["data"]["FULU_FORK_EPOCH"], "0");
    let fulu_version = version(&spec, "FULU_FORK_VERSION");

    // Header by checkpoint root: its message hashes to the root, at the epoch's first slot.
    let hv = get(base, &format!("/eth/v1/beacon/headers/{cp_root}"), None).json();
    let header = header_of(&hv);
    assert_eq!(root_hex(&header.tree_hash_root().0), cp_root);
    assert_eq!(header.slot, cp_epoch * SPE);
    assert_eq!(hv["finalized"], true);

    // The state by the header's state root, SSZ, with its fork in the header.
    let r = get(
        base,
        &format!(
            "/eth/v2/debug/beacon/states/{}",
            root_hex(&header.state_root.0)
        ),
        Some(SSZ),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Eth-Consensus-Version"), Some("fulu"));
    assert_eq!(r.header("Content-Type"), Some(SSZ));
    let bytes = r.body;
    let state = State::from_ssz_bytes(&bytes).expect("served state decodes as fulu minimal");
    assert_eq!(
        state.tree_hash_root(),
        header.state_root,
        "tree_hash of the typed state"
    );
    let fast =
        beacon_lightsync::merkle::state_root(&bytes, ForkName::Fulu, PresetName::Minimal).unwrap();
    assert_eq!(
        fast, header.state_root.0,
        "merkle::state_root over the bytes"
    );
    assert_eq!(state.slot, header.slot);
    assert_eq!(state.genesis_validators_root, gvr);
    assert_eq!(
        state.validators.tree_hash_root(),
        gvr,
        "gvr = hash_tree_root(validators)"
    );
    assert_eq!(state.fork.current_version, fulu_version);
    // latest_block_header: the block at this very slot, state root zero (filled = checkpoint).
    assert_eq!(state.latest_block_header.state_root, B256::ZERO);
    let mut filled = state.latest_block_header;
    filled.state_root = header.state_root;
    assert_eq!(root_hex(&filled.tree_hash_root().0), cp_root);
    // Finality as recorded in the state: two epochs behind its own epoch.
    assert_eq!(state.finalized_checkpoint.epoch, cp_epoch - 2);
    // Same state by id `finalized` and by slot.
    let by_slot = get(
        base,
        &format!("/eth/v2/debug/beacon/states/{}", header.slot),
        Some(SSZ),
    );
    assert_eq!(by_slot.body, bytes);
    let by_id = get(base, "/eth/v2/debug/beacon/states/finalized", Some(SSZ));
    assert_eq!(by_id.body, bytes);
    // Balances allow the WS period: every validator active with 32 ETH.
    assert!(state.balances.iter().all(|b| *b == 32_000_000_000));
    assert!(state
        .validators
        .iter()
        .all(|v| v.activation_epoch == 0 && v.exit_epoch == u64::MAX));

    // Sync committees: members are validators, the aggregate is the aggregate of the keys.
    for committee in [&state.current_sync_committee, &state.next_sync_committee] {
        let pks: Vec<PublicKey> = committee
            .pubkeys
            .iter()
            .map(|p| PublicKey::from_bytes(p.as_slice()).unwrap())
            .collect();
        let refs: Vec<&PublicKey> = pks.iter().collect();
        assert_eq!(
            aggregate_public_keys(&refs).unwrap().to_bytes(),
            committee.aggregate_pubkey.0
        );
        for p in committee.pubkeys.iter() {
            assert!(state.validators.iter().any(|v| v.pubkey == *p));
        }
    }

    // Walk the header chain from the head down to genesis over HTTP: each root is the message's
    // root, each parent link holds; record roots by slot for the state's vectors.
    let mut roots_by_slot = std::collections::BTreeMap::new();
    let mut state_roots_by_slot = std::collections::BTreeMap::new();
    let mut h = get(base, "/eth/v1/beacon/headers/head", None).json();
    assert_eq!(header_of(&h).slot, 200);
    let mut blocks = 0;
    loop {
        let msg = header_of(&h);
        let root = msg.tree_hash_root();
        assert_eq!(parse_root(&h["data"]["root"]), root);
        assert_eq!(h["data"]["canonical"], true);
        roots_by_slot.insert(msg.slot, root);
        state_roots_by_slot.insert(msg.slot, msg.state_root);
        blocks += 1;
        if msg.slot == 0 {
            break;
        }
        h = get(
            base,
            &format!("/eth/v1/beacon/headers/{}", root_hex(&msg.parent_root.0)),
            None,
        )
        .json();
        assert!(header_of(&h).slot < msg.slot);
    }
    assert!(blocks < 201, "some slots are empty");
    assert!(
        blocks > 150,
        "about 5% of slots are empty, got {} blocks",
        blocks
    );
    let genesis_root = roots_by_slot[&0];
    assert_eq!(
        parse_root(&get(base, "/eth/v1/beacon/blocks/genesis/root", None).json()["data"]["root"]),
        genesis_root
    );
    // An empty slot answers 404; if it holds an orphan, `?slot=` lists it as non-canonical.
    let empty: Vec<u64> = (1..200)
        .filter(|s| !roots_by_slot.contains_key(s))
        .collect();
    assert!(!empty.is_empty());
    let mut orphans = 0;
    for s in &empty {
        assert_eq!(
            get(base, &format!("/eth/v1/beacon/headers/{s}"), None).status,
            404
        );
        let list = get(base, &format!("/eth/v1/beacon/headers?slot={s}"), None).json();
        for item in list["data"].as_array().unwrap() {
            assert_eq!(item["canonical"], false);
            let m: BeaconBlockHeader = devnet_common::from_json(&item["header"]["message"]);
            assert_eq!(parse_root(&item["root"]), m.tree_hash_root());
            orphans += 1;
        }
    }
    assert!(orphans > 0, "about half the empty slots hold an orphan");

    // block_roots / state_roots vectors match the chain for every slot before the state's.
    let latest = |s: u64| *roots_by_slot.range(..=s).next_back().unwrap().1;
    let lo = state.slot.saturating_sub(SPHR);
    for s in lo..state.slot {
        assert_eq!(
            state.block_roots[(s % SPHR) as usize],
            latest(s),
            "block_roots[{s}]"
        );
        if let Some(sr) = state_roots_by_slot.get(&s) {
            assert_eq!(
                state.state_roots[(s % SPHR) as usize],
                *sr,
                "state_roots[{s}]"
            );
        }
    }
    // historical_summaries: one per completed 64-slot chunk, over the chain's block roots.
    assert_eq!(state.historical_summaries.len() as u64, state.slot / SPHR);
    for (k, summary) in state.historical_summaries.iter().enumerate() {
        let chunk: Vec<B256> = (k as u64 * SPHR..(k as u64 + 1) * SPHR)
            .map(latest)
            .collect();
        let v: FixedVector<B256, typenum::U64> = FixedVector::new(chunk).unwrap();
        assert_eq!(
            summary.block_summary_root,
            v.tree_hash_root(),
            "summary {k}"
        );
    }

    // Blocks: JSON and SSZ agree; the SSZ block hashes to its root and its proposer signed it.
    let proposer_domain = compute_domain(FixedBytes::from([0, 0, 0, 0]), fulu_version, gvr);
    for slot in [header.slot, 200] {
        let r = get(base, &format!("/eth/v2/beacon/blocks/{slot}"), Some(SSZ));
        assert_eq!(r.header("Eth-Consensus-Version"), Some("fulu"));
        let block = SignedBeaconBlock::<Minimal>::from_ssz_bytes(&r.body).unwrap();
        let root = block.message_root();
        assert_eq!(root, roots_by_slot[&slot]);
        let j = get(base, &format!("/eth/v2/beacon/blocks/{slot}"), None).json();
        assert_eq!(j["version"], "fulu");
        let from_json: SignedBeaconBlock<Minimal> = devnet_common::from_json(&j["data"]);
        assert_eq!(from_json, block);
        let pk = &state.validators[block.message.proposer_index as usize].pubkey;
        let pk = PublicKey::from_bytes(pk.as_slice()).unwrap();
        let sig = Signature::from_bytes(block.signature.as_slice()).unwrap();
        let signing_root = compute_signing_root(root, proposer_domain);
        assert!(
            sig.verify(&pk, signing_root.as_slice()),
            "proposer signature of slot {slot}"
        );
        // The headers endpoint carries the same signature.
        let hj = get(base, &format!("/eth/v1/beacon/headers/{slot}"), None).json();
        assert_eq!(
            hj["data"]["header"]["signature"],
            root_hex(block.signature.as_slice())
        );
    }

    // Genesis state: slot 0, its root is the genesis block's state root.
    let g = get(base, "/eth/v2/debug/beacon/states/genesis", Some(SSZ));
    let gs = State::from_ssz_bytes(&g.body).unwrap();
    assert_eq!(gs.slot, 0);
    assert_eq!(gs.tree_hash_root(), state_roots_by_slot[&0]);
    assert_eq!(
        gs.current_sync_committee, gs.next_sync_committee,
        "genesis: current = next"
    );

    // finality_checkpoints of head agree with the checkpoint printed.
    let fc = get(
        base,
        "/eth/v1/beacon/states/head/finality_checkpoints",
        None,
    )
    .json();
    assert_eq!(fc["data"]["finalized"]["root"], cp_root);
    assert_eq!(fc["data"]["finalized"]["epoch"], cp_epoch.to_string());
    let sr = get(base, "/eth/v1/beacon/states/finalized/root", None).json();
    assert_eq!(parse_root(&sr["data"]["root"]), header.state_root);
}

#[test]
fn light_client_data_verifies_period_by_period() {
    let d = Devnet::start(small()).unwrap();
    let base = &d.urls()[0];
    let info = d.info();
    let checkpoint = info["checkpoint"].as_str().unwrap().to_string();
    let (cp_root, _) = checkpoint.split_once(':').unwrap();
    let genesis = get(base, "/eth/v1/beacon/genesis", None).json();
    let gvr = parse_root(&genesis["data"]["genesis_validators_root"]);
    let spec = get(base, "/eth/v1/config/spec", None).json();
    let domain = compute_domain(
        FixedBytes::from([7, 0, 0, 0]),
        version(&spec, "FULU_FORK_VERSION"),
        gvr,
    );

    // Bootstrap of the checkpoint: SSZ and JSON agree, header hashes to the root, and the
    // committee is proven against the state root (Electra+ gindex 86: depth 6, index 22).
    let r = get(
        base,
        &format!("/eth/v1/beacon/light_client/bootstrap/{cp_root}"),
        Some(SSZ),
    );
    assert_eq!(r.header("Eth-Consensus-Version"), Some("fulu"));
    let boot = lc::LightClientBootstrap::<Minimal>::from_ssz_bytes(&r.body).unwrap();
    let j = get(
        base,
        &format!("/eth/v1/beacon/light_client/bootstrap/{cp_root}"),
        None,
    )
    .json();
    let boot_json: lc::LightClientBootstrap<Minimal> = devnet_common::from_json(&j["data"]);
    assert_eq!(boot_json, boot);
    assert_eq!(root_hex(&boot.header.beacon.tree_hash_root().0), cp_root);
    assert!(is_valid_merkle_branch(
        &boot.current_sync_committee.tree_hash_root().0,
        &nodes(&boot.current_sync_committee_branch),
        6,
        22,
        &boot.header.beacon.state_root.0
    ));
    // Execution branch (gindex 25: depth 4, index 9) against the body root.
    assert!(is_valid_merkle_branch(
        &boot.header.execution.tree_hash_root().0,
        &nodes(&boot.header.execution_branch),
        4,
        9,
        &boot.header.beacon.body_root.0
    ));

    // Updates from period 0: the SSZ stream with fork digests, and JSON, agree; starting from
    // the genesis committee, each update's signature verifies with the committee known so far
    // and hands over the next one.
    let genesis_state = fulu::BeaconState::<Minimal>::from_ssz_bytes(
        &get(base, "/eth/v2/debug/beacon/states/genesis", Some(SSZ)).body,
    )
    .unwrap();
    let r = get(
        base,
        "/eth/v1/beacon/light_client/updates?start_period=0&count=10",
        Some(SSZ),
    );
    assert_eq!(r.status, 200);
    let mut updates = Vec::new();
    let mut rest = &r.body[..];
    while !rest.is_empty() {
        let len = u64::from_le_bytes(rest[..8].try_into().unwrap()) as usize;
        let chunk = &rest[8..8 + len];
        let (digest, payload) = chunk.split_at(4);
        updates.push((
            digest.to_vec(),
            lc::LightClientUpdate::<Minimal>::from_ssz_bytes(payload).unwrap(),
        ));
        rest = &rest[8 + len..];
    }
    let periods = 200 / SPP + 1;
    assert_eq!(
        updates.len() as u64,
        periods,
        "one update per period 0..={}",
        periods - 1
    );
    let j = get(
        base,
        "/eth/v1/beacon/light_client/updates?start_period=0&count=10",
        None,
    )
    .json();
    for (i, (_, u)) in updates.iter().enumerate() {
        assert_eq!(j[i]["version"], "fulu");
        let from_json: lc::LightClientUpdate<Minimal> = devnet_common::from_json(&j[i]["data"]);
        assert_eq!(&from_json, u);
    }
    // Fork digest: the light module's Fulu compute_fork_digest for this config.
    let digests: Vec<&Vec<u8>> = updates.iter().map(|(d, _)| d).collect();
    assert!(digests.windows(2).all(|w| w[0] == w[1]));

    for (i, (_, u)) in updates.iter().enumerate() {
        // Period 0 is signed by the genesis committee; each later period by the committee the
        // previous update handed over (periods 0 and 1 share one: genesis sets current = next).
        let committee = if i == 0 {
            genesis_state.current_sync_committee.clone()
        } else {
            updates[i - 1].1.next_sync_committee.clone()
        };
        let att_root = u.attested_header.beacon.tree_hash_root();
        assert_eq!(u.signature_slot / SPP, i as u64);
        assert_eq!(u.attested_header.beacon.slot / SPP, i as u64);
        let pks: Vec<PublicKey> = committee
            .pubkeys
            .iter()
            .map(|p| PublicKey::from_bytes(p.as_slice()).unwrap())
            .collect();
        let refs: Vec<&PublicKey> = pks
            .iter()
            .enumerate()
            .filter(|(k, _)| u.sync_aggregate.sync_committee_bits.get(*k).unwrap())
            .map(|(_, p)| p)
            .collect();
        let sig =
            Signature::from_bytes(u.sync_aggregate.sync_committee_signature.as_slice()).unwrap();
        let signing_root = compute_signing_root(att_root, domain);
        assert!(
            eth_fast_aggregate_verify(&refs, signing_root.as_slice(), &sig),
            "update {i} signature"
        );
        // next committee (gindex 87: depth 6, index 23) and finality (gindex 169: depth 7, index 41)
        assert!(is_valid_merkle_branch(
            &u.next_sync_committee.tree_hash_root().0,
            &nodes(&u.next_sync_committee_branch),
            6,
            23,
            &u.attested_header.beacon.state_root.0
        ));
        assert!(is_valid_merkle_branch(
            &u.finalized_header.beacon.tree_hash_root().0,
            &nodes(&u.finality_branch),
            7,
            41,
            &u.attested_header.beacon.state_root.0
        ));
        assert!(u.finalized_header.beacon.slot < u.attested_header.beacon.slot);
        // The attested and finalized headers are the chain's blocks.
        let served = get(
            base,
            &format!("/eth/v1/beacon/headers/{}", u.attested_header.beacon.slot),
            None,
        )
        .json();
        assert_eq!(header_of(&served), u.attested_header.beacon);
    }

    // Finality and optimistic updates: signed by the current committee over the attested root.
    let r = get(
        base,
        "/eth/v1/beacon/light_client/finality_update",
        Some(SSZ),
    );
    let fu = lc::LightClientFinalityUpdate::<Minimal>::from_ssz_bytes(&r.body).unwrap();
    assert!(is_valid_merkle_branch(
        &fu.finalized_header.beacon.tree_hash_root().0,
        &nodes(&fu.finality_branch),
        7,
        41,
        &fu.attested_header.beacon.state_root.0
    ));
    let last = &updates.last().unwrap().1;
    assert_eq!(fu.attested_header, last.attested_header);
    let r = get(base, "/eth/v1/beacon/light_client/optimistic_update", None).json();
    let ou: lc::LightClientOptimisticUpdate<Minimal> = devnet_common::from_json(&r["data"]);
    assert_eq!(ou.sync_aggregate, fu.sync_aggregate);
}

#[test]
fn same_seed_same_chain_other_seed_other_chain() {
    use beacon_lightsync::devnet::chain::generate;
    let opts = ChainOptions {
        validators: 64,
        slots: 40,
        seed: 9,
        genesis_time: Some(1_700_000_000),
        ..ChainOptions::default()
    };
    let a = generate(&opts).unwrap();
    let b = generate(&opts).unwrap();
    let c = generate(&ChainOptions {
        seed: 10,
        ..opts.clone()
    })
    .unwrap();
    assert_eq!(a.headers, b.headers);
    assert_eq!(a.checkpoints, b.checkpoints);
    assert_eq!(
        a.genesis.as_ref().unwrap().genesis_validators_root,
        b.genesis.as_ref().unwrap().genesis_validators_root
    );
    let sa: Vec<_> = a.states.values().map(|s| s.ssz.clone()).collect();
    assert!(sa.iter().all(|s| b.states.values().any(|t| t.ssz == *s)));
    assert_ne!(a.checkpoints.finalized.root, c.checkpoints.finalized.root);
    assert_ne!(
        a.genesis.as_ref().unwrap().genesis_validators_root,
        c.genesis.as_ref().unwrap().genesis_validators_root
    );
    // The wall clock does not leak in when genesis_time is given.
    assert_eq!(a.genesis.as_ref().unwrap().genesis_time, 1_700_000_000);
}

#[test]
fn electra_and_mainnet_preset_also_verify() {
    use beacon_lightsync::types::{electra, Mainnet};
    let d = Devnet::start(DevnetOptions {
        chain: ChainOptions {
            validators: 600,
            slots: 100,
            preset: "mainnet".into(),
            fork: "electra".into(),
            ..ChainOptions::default()
        },
        ..DevnetOptions::default()
    })
    .unwrap();
    let base = &d.urls()[0];
    let cp = d.checkpoint().unwrap();
    let (root, epoch) = cp.split_once(':').unwrap();
    assert_eq!(epoch, "1");
    let header = header_of(&get(base, &format!("/eth/v1/beacon/headers/{root}"), None).json());
    let r = get(
        base,
        &format!(
            "/eth/v2/debug/beacon/states/{}",
            root_hex(&header.state_root.0)
        ),
        Some(SSZ),
    );
    assert_eq!(r.header("Eth-Consensus-Version"), Some("electra"));
    let s = electra::BeaconState::<Mainnet>::from_ssz_bytes(&r.body).unwrap();
    assert_eq!(s.tree_hash_root(), header.state_root);
    assert_eq!(
        beacon_lightsync::merkle::state_root(&r.body, ForkName::Electra, PresetName::Mainnet)
            .unwrap(),
        header.state_root.0
    );
    assert_eq!(s.current_sync_committee.pubkeys.len(), 512);
    assert!(beacon_lightsync::devnet::chain::generate(&ChainOptions {
        fork: "deneb".into(),
        ..ChainOptions::default()
    })
    .is_err());
}

#[test]
fn empty_checkpoint_slot_links_through_latest_block_header() {
    let d = Devnet::start(DevnetOptions {
        chain: ChainOptions {
            validators: 128,
            slots: 120,
            seed: 3,
            empty_checkpoint_slot: true,
            ..ChainOptions::default()
        },
        ..DevnetOptions::default()
    })
    .unwrap();
    let base = &d.urls()[0];
    let cp = d.checkpoint().unwrap();
    let (cp_root, epoch) = cp.split_once(':').unwrap();
    let epoch: u64 = epoch.parse().unwrap();
    let boundary = epoch * SPE;
    assert_eq!(
        get(base, &format!("/eth/v1/beacon/headers/{boundary}"), None).status,
        404
    );
    let header = header_of(&get(base, &format!("/eth/v1/beacon/headers/{cp_root}"), None).json());
    assert!(
        header.slot < boundary,
        "the checkpoint block precedes the empty boundary slot"
    );
    assert_eq!(header.slot / SPE, epoch - 1);

    // The provider serves the boundary state (by slot and by `finalized`), not the block's.
    let r = get(
        base,
        &format!("/eth/v2/debug/beacon/states/{boundary}"),
        Some(SSZ),
    );
    assert_eq!(r.status, 200);
    let state = State::from_ssz_bytes(&r.body).unwrap();
    assert_eq!(state.slot, boundary);
    let root = state.tree_hash_root();
    let claimed = get(
        base,
        &format!("/eth/v1/beacon/states/{boundary}/root"),
        None,
    )
    .json();
    assert_eq!(parse_root(&claimed["data"]["root"]), root);
    assert_eq!(
        beacon_lightsync::merkle::state_root(&r.body, ForkName::Fulu, PresetName::Minimal).unwrap(),
        root.0
    );
    // latest_block_header: the checkpoint block, state root filled in (= the header's).
    assert_eq!(state.latest_block_header.state_root, header.state_root);
    assert_eq!(
        root_hex(&state.latest_block_header.tree_hash_root().0),
        cp_root
    );
    assert_eq!(
        state.block_roots[((boundary - 1) % SPHR) as usize],
        header.tree_hash_root()
    );
    assert_eq!(
        get(base, "/eth/v2/debug/beacon/states/finalized", Some(SSZ)).body,
        r.body
    );

    // The checkpoint block still has a bootstrap, proven against its own state root.
    let b = get(
        base,
        &format!("/eth/v1/beacon/light_client/bootstrap/{cp_root}"),
        Some(SSZ),
    );
    let boot = lc::LightClientBootstrap::<Minimal>::from_ssz_bytes(&b.body).unwrap();
    assert!(is_valid_merkle_branch(
        &boot.current_sync_committee.tree_hash_root().0,
        &nodes(&boot.current_sync_committee_branch),
        6,
        22,
        &header.state_root.0
    ));
}

/// The way a client would build its `NetworkConfig` from `/eth/v1/config/spec` + genesis.
fn network_config(base: &str) -> (beacon_lightsync::config::NetworkConfig, String) {
    let spec = get(base, "/eth/v1/config/spec", None).json();
    let yaml = serde_yaml::to_string(&spec["data"]).unwrap();
    let genesis = get(base, "/eth/v1/beacon/genesis", None).json();
    let gvr = parse_root(&genesis["data"]["genesis_validators_root"]);
    let config = beacon_lightsync::config::NetworkConfig::from_config_yaml(&yaml, Some(gvr))
        .expect("the spec endpoint is enough to build a NetworkConfig");
    (config, yaml)
}

#[test]
fn the_crate_light_client_follows_the_devnet() {
    use beacon_lightsync::light::fork_digest::{compute_fork_digest, BlobSchedule};
    use beacon_lightsync::light::sync_protocol::{
        initialize_light_client_store, process_light_client_finality_update,
        process_light_client_update,
    };
    use beacon_lightsync::types::light_client::{
        LightClientBootstrap as AnyBootstrap, LightClientFinalityUpdate as AnyFinality,
        LightClientUpdate as AnyUpdate,
    };
    let d = Devnet::start(small()).unwrap();
    let base = &d.urls()[0];
    let (config, yaml) = network_config(base);
    let genesis = get(base, "/eth/v1/beacon/genesis", None).json();
    assert_eq!(
        config.genesis_time.to_string(),
        genesis["data"]["genesis_time"].as_str().unwrap()
    );
    assert_eq!(config.fork_at_epoch(0), ForkName::Fulu);
    let blobs = BlobSchedule::from_config_yaml(&yaml).unwrap();

    // Trust the genesis block; walk every period's update with the crate's sync protocol.
    let genesis_root =
        parse_root(&get(base, "/eth/v1/beacon/blocks/genesis/root", None).json()["data"]["root"]);
    let b = get(
        base,
        &format!(
            "/eth/v1/beacon/light_client/bootstrap/{}",
            root_hex(&genesis_root.0)
        ),
        Some(SSZ),
    );
    assert_eq!(b.status, 200);
    let bootstrap = AnyBootstrap::<Minimal>::from_ssz_bytes(ForkName::Fulu, &b.body).unwrap();
    let mut store = initialize_light_client_store(&config, genesis_root, &bootstrap)
        .expect("bootstrap verifies");
    let head = 200;
    let r = get(
        base,
        "/eth/v1/beacon/light_client/updates?start_period=0&count=10",
        Some(SSZ),
    );
    let mut rest = &r.body[..];
    let mut applied = 0;
    while !rest.is_empty() {
        let len = u64::from_le_bytes(rest[..8].try_into().unwrap()) as usize;
        let (digest, payload) = rest[8..8 + len].split_at(4);
        let update = AnyUpdate::<Minimal>::from_ssz_bytes(ForkName::Fulu, payload).unwrap();
        let epoch = update.attested_beacon().slot / SPE;
        assert_eq!(
            digest,
            compute_fork_digest(&config, &blobs, epoch),
            "fork digest of the chunk"
        );
        let parts = update.parts();
        process_light_client_update(&config, &mut store, &parts, head).expect("update verifies");
        assert_eq!(
            store.finalized_header.beacon(),
            parts.finalized_header.beacon(),
            "finality applied"
        );
        applied += 1;
        rest = &rest[8 + len..];
    }
    assert_eq!(applied, 200 / SPP + 1);
    let f = get(
        base,
        "/eth/v1/beacon/light_client/finality_update",
        Some(SSZ),
    );
    let fu = AnyFinality::<Minimal>::from_ssz_bytes(ForkName::Fulu, &f.body).unwrap();
    process_light_client_finality_update(&config, &mut store, &fu, head)
        .expect("finality update verifies");

    // The faulted forms are rejected by the same code.
    d.add_fault(
        0,
        beacon_lightsync::devnet::faults::FaultRule::parse("bad-lc-signature").unwrap(),
    );
    let f = get(
        base,
        "/eth/v1/beacon/light_client/finality_update",
        Some(SSZ),
    );
    let bad = AnyFinality::<Minimal>::from_ssz_bytes(ForkName::Fulu, &f.body).unwrap();
    let mut fresh = initialize_light_client_store(&config, genesis_root, &bootstrap).unwrap();
    assert!(process_light_client_finality_update(&config, &mut fresh, &bad, head).is_err());
}
