//! The Gloas devnet (`--fork gloas`) and a Fulu devnet that forks to Gloas (`--gloas-epoch N`),
//! fetched over HTTP and checked with the crate's own verifiers: typed SSZ decoding and
//! `tree_hash`, the byte-level `merkle` hasher, `light::branch` and `light::gloas` for Merkle
//! branches, `light::bls` for every signature, and the Gloas block-processing rules
//! (`process_parent_execution_payload`, `process_execution_payload_bid`,
//! `process_payload_attestation`, `verify_execution_payload_envelope`) replayed over the served
//! blocks and envelopes, so nothing the devnet claims is compared only with itself.
#![cfg(not(target_arch = "wasm32"))]

mod devnet_common;

use std::collections::BTreeMap;

use beacon_lightsync::config::{compute_domain, compute_signing_root, NetworkConfig};
use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::Devnet;
use beacon_lightsync::light::bls::{eth_fast_aggregate_verify, PublicKey, Signature};
use beacon_lightsync::light::branch::is_valid_merkle_branch;
use beacon_lightsync::light::gloas::is_valid_light_client_header;
use beacon_lightsync::types::light_client::{electra as lce, gloas as lcg};
use beacon_lightsync::types::phase0::BeaconBlockHeader;
use beacon_lightsync::types::{
    altair::SyncCommittee, electra, gloas, FixedBytes, ForkName, Mainnet, Minimal, PresetName,
    SszSchema, TreeHash, B256,
};
use devnet_common::*;
use ssz::{Decode, Encode};

const SSZ: &str = "application/octet-stream";
/// Minimal preset: SLOTS_PER_EPOCH, slots per sync-committee period, SLOTS_PER_HISTORICAL_ROOT.
const SPE: u64 = 8;
const SPP: u64 = 64;
const SPHR: u64 = 64;
const HEAD: u64 = 200;
/// `BUILDER_INDEX_SELF_BUILD`.
const SELF_BUILD: u64 = u64::MAX;
/// `DOMAIN_BEACON_PROPOSER`, `DOMAIN_SYNC_COMMITTEE`, `DOMAIN_BEACON_BUILDER`,
/// `DOMAIN_PTC_ATTESTER`.
const PROPOSER: [u8; 4] = [0, 0, 0, 0];
const SYNC: [u8; 4] = [7, 0, 0, 0];
const BUILDER: [u8; 4] = [0x0b, 0, 0, 0];
const PTC: [u8; 4] = [0x0c, 0, 0, 0];

type GState = gloas::BeaconState<Minimal>;

fn options(gloas_epoch: Option<u64>) -> ChainOptions {
    ChainOptions {
        validators: 256,
        slots: HEAD,
        seed: 42,
        fork: if gloas_epoch.is_some() {
            "fulu"
        } else {
            "gloas"
        }
        .into(),
        gloas_epoch,
        seconds_per_slot: Some(1),
        withheld_payload_percent: 20,
        ..ChainOptions::default()
    }
}

fn root_hex(r: &[u8]) -> String {
    format!("0x{}", hex::encode(r))
}

fn parse_root(s: &serde_json::Value) -> B256 {
    let b = hex::decode(s.as_str().unwrap().trim_start_matches("0x")).unwrap();
    B256::from_slice(&b)
}

fn nodes(v: &[B256]) -> Vec<[u8; 32]> {
    v.iter().map(|b| b.0).collect()
}

fn pubkey(bytes: &[u8]) -> PublicKey {
    PublicKey::from_bytes(bytes).unwrap()
}

fn verify(pk: &[u8], object_root: B256, domain: B256, sig: &[u8]) -> bool {
    let signing_root = compute_signing_root(object_root, domain);
    Signature::from_bytes(sig)
        .map(|s| s.verify(&pubkey(pk), signing_root.as_slice()))
        .unwrap_or(false)
}

/// `get_domain` on this devnet at the fork of `slot`.
fn domain(config: &NetworkConfig, gvr: B256, domain_type: [u8; 4], slot: u64) -> B256 {
    let version = config.fork_version_at_epoch(slot / SPE);
    compute_domain(FixedBytes::from(domain_type), version, gvr)
}

fn gvr(base: &str) -> B256 {
    parse_root(&get(base, "/eth/v1/beacon/genesis", None).json()["data"]["genesis_validators_root"])
}

/// The served state by id, as SSZ, checked: `Eth-Consensus-Version`, typed and byte-level root.
fn gloas_state(base: &str, id: &str) -> (GState, B256) {
    let r = get(
        base,
        &format!("/eth/v2/debug/beacon/states/{id}"),
        Some(SSZ),
    );
    assert_eq!(r.status, 200, "state {id}");
    assert_eq!(r.header("Eth-Consensus-Version"), Some("gloas"));
    let state = GState::from_ssz_bytes(&r.body).expect("served state decodes as a Gloas state");
    let root = state.tree_hash_root();
    let bytes_root =
        beacon_lightsync::merkle::state_root(&r.body, ForkName::Gloas, PresetName::Minimal)
            .unwrap();
    assert_eq!(bytes_root, root.0, "merkle::state_root over the bytes");
    let json = get(base, &format!("/eth/v2/debug/beacon/states/{id}"), None).json();
    assert_eq!(json["version"], "gloas");
    let from_json: GState = devnet_common::from_json(&json["data"]);
    assert_eq!(from_json, state, "JSON and SSZ forms are one state");
    (state, root)
}

/// A served block of either shape.
enum Block {
    Fulu(Box<electra::SignedBeaconBlock<Minimal>>),
    Gloas(Box<gloas::SignedBeaconBlock<Minimal>>),
}

impl Block {
    fn header(&self) -> BeaconBlockHeader {
        match self {
            Block::Fulu(b) => b.message.block_header(),
            Block::Gloas(b) => b.message.block_header(),
        }
    }

    fn signature(&self) -> Vec<u8> {
        match self {
            Block::Fulu(b) => b.signature.as_slice().to_vec(),
            Block::Gloas(b) => b.signature.as_slice().to_vec(),
        }
    }
}

/// Every canonical block from the head down to genesis, by slot: each one's root is its
/// header's, its body root is the byte-level hasher's, its parent link holds, and its
/// `Eth-Consensus-Version` is the fork of its slot.
fn canonical_blocks(base: &str, config: &NetworkConfig) -> BTreeMap<u64, (B256, Block)> {
    let mut out = BTreeMap::new();
    let mut id = "head".to_string();
    loop {
        let r = get(base, &format!("/eth/v2/beacon/blocks/{id}"), Some(SSZ));
        assert_eq!(r.status, 200, "block {id}");
        let version = r.header("Eth-Consensus-Version").unwrap().to_string();
        let (block, body_bytes, body_ty) = match version.as_str() {
            "gloas" => {
                let b = gloas::SignedBeaconBlock::<Minimal>::from_ssz_bytes(&r.body).unwrap();
                let body = b.message.body.as_ssz_bytes();
                let ty = gloas::BeaconBlockBody::<Minimal>::ssz_type();
                (Block::Gloas(Box::new(b)), body, ty)
            }
            "fulu" => {
                let b = electra::SignedBeaconBlock::<Minimal>::from_ssz_bytes(&r.body).unwrap();
                let body = b.message.body.as_ssz_bytes();
                let ty = electra::BeaconBlockBody::<Minimal>::ssz_type();
                (Block::Fulu(Box::new(b)), body, ty)
            }
            other => panic!("unexpected block version {other}"),
        };
        let header = block.header();
        let fork = config.fork_at_slot(header.slot);
        assert_eq!(
            version,
            fork.as_str(),
            "version of the block at {}",
            header.slot
        );
        assert_eq!(
            beacon_lightsync::merkle::hash_tree_root(body_ty, &body_bytes).unwrap(),
            header.body_root.0,
            "body root of slot {}",
            header.slot
        );
        let root = header.tree_hash_root();
        let served = get(
            base,
            &format!("/eth/v1/beacon/headers/{}", header.slot),
            None,
        )
        .json();
        assert_eq!(parse_root(&served["data"]["root"]), root);
        if let Some((_, (child_root, child))) = out.iter().next() {
            let _: &B256 = child_root;
            let child: &Block = child;
            assert_eq!(
                child.header().parent_root,
                root,
                "parent link at {}",
                header.slot
            );
        }
        let slot = header.slot;
        out.insert(slot, (root, block));
        if slot == 0 {
            return out;
        }
        id = root_hex(&header.parent_root.0);
    }
}

/// The envelope of `root`: `Some` (SSZ and JSON agree, version `gloas`) or `None` on 404.
fn envelope(base: &str, root: B256) -> Option<gloas::SignedExecutionPayloadEnvelope<Minimal>> {
    let path = format!(
        "/eth/v1/beacon/execution_payload_envelopes/{}",
        root_hex(&root.0)
    );
    let r = get(base, &path, Some(SSZ));
    if r.status == 404 {
        return None;
    }
    assert_eq!(r.status, 200, "envelope of {}", root_hex(&root.0));
    assert_eq!(r.header("Eth-Consensus-Version"), Some("gloas"));
    let e = gloas::SignedExecutionPayloadEnvelope::<Minimal>::from_ssz_bytes(&r.body).unwrap();
    let j = get(base, &path, None).json();
    assert_eq!(j["version"], "gloas");
    let from_json: gloas::SignedExecutionPayloadEnvelope<Minimal> =
        devnet_common::from_json(&j["data"]);
    assert_eq!(from_json, e);
    Some(e)
}

/// What replaying the Gloas rules over the served blocks and envelopes found.
#[derive(Default, Debug)]
struct Replay {
    self_built: usize,
    builder_bids: usize,
    withheld: usize,
    revealed: usize,
    payload_attestations: usize,
    /// Whether each Gloas block's payload was revealed (its envelope served), by slot.
    revealed_at: BTreeMap<u64, bool>,
}

/// Replays `process_parent_execution_payload`, `process_execution_payload_bid`, the payload
/// attestations and `verify_execution_payload_envelope` over every Gloas block, from the first
/// Gloas block on: every signature with the crate's BLS, every link of the bid chain.
/// `state` is a served Gloas state: its registry (proposer, builder and PTC keys) and its
/// `ptc_window` (the committees whose attestations can be checked).
fn replay_gloas(
    base: &str,
    config: &NetworkConfig,
    gvr: B256,
    blocks: &BTreeMap<u64, (B256, Block)>,
    state: &GState,
) -> Replay {
    let mut out = Replay::default();
    let fork_slot = config.fork_schedule(ForkName::Gloas).epoch * SPE;
    // The last pre-Gloas payload (or genesis, which upgrade_to_gloas records as FULL).
    let mut parent_hash = match blocks.range(..fork_slot.max(1)).next_back() {
        Some((_, (_, Block::Fulu(b)))) => b.message.body.execution_payload.block_hash,
        _ => state_at_genesis_hash(base),
    };
    let mut parent_bid_hash = parent_hash;
    let mut parent_revealed = true;
    let requests_root = gloas_empty_requests_root();
    let ptc_lo = (state.slot / SPE).saturating_sub(1) * SPE;
    let mut prev: Option<(u64, B256)> = None;
    for (&slot, (root, block)) in blocks.range(fork_slot.max(1)..) {
        let Block::Gloas(b) = block else {
            panic!("a pre-Gloas block at slot {slot}")
        };
        let body = &b.message.body;
        let bid = &body.signed_execution_payload_bid.message;
        // process_parent_execution_payload
        if parent_revealed {
            assert_eq!(
                bid.parent_block_hash, parent_bid_hash,
                "FULL parent at {slot}"
            );
        } else {
            assert_ne!(
                bid.parent_block_hash, parent_bid_hash,
                "EMPTY parent at {slot}"
            );
            assert_eq!(bid.parent_block_hash, parent_hash, "EMPTY parent at {slot}");
        }
        assert_eq!(
            body.parent_execution_requests.tree_hash_root(),
            requests_root,
            "ExecutionRequests() either way"
        );
        parent_hash = bid.parent_block_hash;
        // process_execution_payload_bid
        assert_eq!(bid.slot, slot);
        assert_eq!(bid.parent_block_root, b.message.parent_root);
        assert_eq!(bid.execution_requests_root, requests_root);
        let mixes = &state.randao_mixes;
        assert_eq!(
            bid.prev_randao,
            mixes[(slot / SPE) as usize % mixes.len()],
            "get_randao_mix"
        );
        assert!(bid.blob_kzg_commitments.is_empty());
        let signature = body.signed_execution_payload_bid.signature.as_slice();
        let builder_domain = domain(config, gvr, BUILDER, slot);
        if bid.builder_index == SELF_BUILD {
            assert_eq!(bid.value, 0);
            let mut infinity = [0u8; 96];
            infinity[0] = 0xc0;
            assert_eq!(signature, infinity, "a self-build is signed by no one");
            out.self_built += 1;
        } else {
            let builder = &state.builders[bid.builder_index as usize];
            assert!(builder.deposit_epoch < state.finalized_checkpoint.epoch);
            assert!(verify(
                builder.pubkey.as_slice(),
                bid.tree_hash_root(),
                builder_domain,
                signature
            ));
            out.builder_bids += 1;
        }
        // Proposer signature.
        let proposer = &state.validators[b.message.proposer_index as usize].pubkey;
        assert!(verify(
            proposer.as_slice(),
            *root,
            domain(config, gvr, PROPOSER, slot),
            &block.signature()
        ));
        // process_payload_attestation: the parent slot's committee, on the parent block.
        match prev {
            Some((p, proot)) if p + 1 == slot => {
                assert_eq!(body.payload_attestations.len(), 1, "slot {slot}");
                let pa = &body.payload_attestations[0];
                assert_eq!(pa.data.slot, p);
                assert_eq!(pa.data.beacon_block_root, proot);
                assert_eq!(pa.data.payload_present, parent_revealed);
                let window = (p >= ptc_lo).then(|| p - ptc_lo).filter(|&i| i < 3 * SPE);
                if let Some(i) = window {
                    let members = &state.ptc_window[i as usize];
                    let pks: Vec<PublicKey> = members
                        .iter()
                        .map(|&m| pubkey(state.validators[m as usize].pubkey.as_slice()))
                        .collect();
                    let refs: Vec<&PublicKey> = pks
                        .iter()
                        .enumerate()
                        .filter(|(k, _)| pa.aggregation_bits.get(*k).unwrap())
                        .map(|(_, pk)| pk)
                        .collect();
                    let sr =
                        compute_signing_root(pa.data.tree_hash_root(), domain(config, gvr, PTC, p));
                    let sig = Signature::from_bytes(pa.signature.as_slice()).unwrap();
                    assert!(
                        eth_fast_aggregate_verify(&refs, sr.as_slice(), &sig),
                        "payload attestation of slot {p}"
                    );
                    out.payload_attestations += 1;
                }
            }
            _ => assert!(body.payload_attestations.is_empty(), "slot {slot}"),
        }
        // verify_execution_payload_envelope
        match envelope(base, *root) {
            Some(e) => {
                let m = &e.message;
                assert_eq!(m.beacon_block_root, *root);
                assert_eq!(m.parent_beacon_block_root, b.message.parent_root);
                assert_eq!(m.builder_index, bid.builder_index);
                assert_eq!(m.payload.block_hash, bid.block_hash);
                assert_eq!(m.payload.parent_hash, bid.parent_block_hash);
                assert_eq!(m.payload.prev_randao, bid.prev_randao);
                assert_eq!(m.payload.gas_limit, bid.gas_limit);
                assert_eq!(m.payload.slot_number, slot);
                assert_eq!(m.payload.timestamp, config.genesis_time + slot);
                assert_eq!(
                    m.execution_requests.tree_hash_root(),
                    bid.execution_requests_root
                );
                let signer = if bid.builder_index == SELF_BUILD {
                    proposer.as_slice()
                } else {
                    state.builders[bid.builder_index as usize].pubkey.as_slice()
                };
                assert!(
                    verify(
                        signer,
                        m.tree_hash_root(),
                        builder_domain,
                        e.signature.as_slice()
                    ),
                    "envelope signature at {slot}"
                );
                out.revealed += 1;
                parent_revealed = true;
                out.revealed_at.insert(slot, true);
            }
            None => {
                out.withheld += 1;
                parent_revealed = false;
                out.revealed_at.insert(slot, false);
            }
        }
        parent_bid_hash = bid.block_hash;
        prev = Some((slot, *root));
    }
    out
}

fn gloas_empty_requests_root() -> B256 {
    let empty: gloas::ExecutionRequests = devnet_common::from_json(&serde_json::json!({
        "deposits": [], "withdrawals": [], "consolidations": [],
        "builder_deposits": [], "builder_exits": []
    }));
    empty.tree_hash_root()
}

/// `latest_block_hash` of the genesis state of a Gloas chain.
fn state_at_genesis_hash(base: &str) -> B256 {
    gloas_state(base, "genesis").0.latest_block_hash
}

/// The state's execution fields against the replay: the latest bid is the state's block's,
/// `latest_block_hash` is the hash it builds on, availability bits as the replay applied them.
fn check_execution_fields(state: &GState, blocks: &BTreeMap<u64, (B256, Block)>, r: &Replay) {
    let (_, (_, Block::Gloas(b))) = blocks.range(..=state.slot).next_back().unwrap() else {
        panic!("the state's block is a Gloas block")
    };
    let bid = &b.message.body.signed_execution_payload_bid.message;
    assert_eq!(&state.latest_execution_payload_bid, bid);
    assert_eq!(state.latest_block_hash, bid.parent_block_hash);
    // A block's post-state: its own payload is not applied yet (EMPTY by the anchor rule).
    assert_ne!(
        state.latest_execution_payload_bid.block_hash,
        state.latest_block_hash
    );
    // process_slot unsets each slot's bit on entering it; a block sets its parent's bit when
    // it applies the parent's revealed payload. So a slot's bit is set iff its payload was
    // revealed and its child is at or before the state's slot.
    for s in state.slot + 1 - SPHR..=state.slot {
        let bit = state
            .execution_payload_availability
            .get((s % SPHR) as usize)
            .unwrap();
        let child_applied = s < state.slot && blocks.range(s + 1..=state.slot).next().is_some();
        let expected = r.revealed_at.get(&s).copied().unwrap_or(false) && child_applied;
        assert_eq!(bit, expected, "availability of slot {s}");
    }
    assert!(state.builder_pending_withdrawals.is_empty());
    assert!(state.payload_expected_withdrawals.is_empty());
}

/// Light-client data of a chain: the bootstrap of `cp_root`, every period's update (walked
/// from the genesis committee), the finality and optimistic updates. Gloas-shaped objects are
/// checked at Gloas's gindices, Fulu ones at Electra's; each header's execution branch with
/// `light::gloas::is_valid_light_client_header` (the gindex of the header's own fork).
fn check_light_client(base: &str, config: &NetworkConfig, gvr: B256, cp_root: &str) -> usize {
    let boot = get(
        base,
        &format!("/eth/v1/beacon/light_client/bootstrap/{cp_root}"),
        Some(SSZ),
    );
    assert_eq!(boot.header("Eth-Consensus-Version"), Some("gloas"));
    let boot = lcg::LightClientBootstrap::<Minimal>::from_ssz_bytes(&boot.body).unwrap();
    assert_eq!(root_hex(&boot.header.beacon.tree_hash_root().0), cp_root);
    assert!(is_valid_merkle_branch(
        &boot.current_sync_committee.tree_hash_root().0,
        &nodes(&boot.current_sync_committee_branch),
        11,
        2945 - 2048,
        &boot.header.beacon.state_root.0
    ));
    assert!(is_valid_light_client_header(config, &boot.header));

    let r = get(
        base,
        "/eth/v1/beacon/light_client/updates?start_period=0&count=10",
        Some(SSZ),
    );
    let j = get(
        base,
        "/eth/v1/beacon/light_client/updates?start_period=0&count=10",
        None,
    )
    .json();
    let mut rest = &r.body[..];
    let mut committee: Option<SyncCommittee<Minimal>> = None;
    let mut i = 0;
    let mut gloas_updates = 0;
    while !rest.is_empty() {
        let len = u64::from_le_bytes(rest[..8].try_into().unwrap()) as usize;
        let (_, payload) = rest[8..8 + len].split_at(4);
        rest = &rest[8 + len..];
        let version = j[i]["version"].as_str().unwrap();
        // (attested header, its root's signature, next committee, finalized ok)
        let (att, sig_slot, agg, next) = if version == "gloas" {
            let u = lcg::LightClientUpdate::<Minimal>::from_ssz_bytes(payload).unwrap();
            let from_json: lcg::LightClientUpdate<Minimal> =
                devnet_common::from_json(&j[i]["data"]);
            assert_eq!(from_json, u);
            let state_root = u.attested_header.beacon.state_root.0;
            assert!(is_valid_merkle_branch(
                &u.next_sync_committee.tree_hash_root().0,
                &nodes(&u.next_sync_committee_branch),
                11,
                2946 - 2048,
                &state_root
            ));
            assert!(is_valid_merkle_branch(
                &u.finalized_header.beacon.tree_hash_root().0,
                &nodes(&u.finality_branch),
                9,
                735 - 512,
                &state_root
            ));
            assert!(is_valid_light_client_header(config, &u.attested_header));
            assert!(is_valid_light_client_header(config, &u.finalized_header));
            gloas_updates += 1;
            (
                u.attested_header.beacon,
                u.signature_slot,
                u.sync_aggregate,
                u.next_sync_committee,
            )
        } else {
            assert_eq!(version, "fulu");
            let u = lce::LightClientUpdate::<Minimal>::from_ssz_bytes(payload).unwrap();
            let state_root = u.attested_header.beacon.state_root.0;
            assert!(is_valid_merkle_branch(
                &u.next_sync_committee.tree_hash_root().0,
                &nodes(&u.next_sync_committee_branch),
                6,
                23,
                &state_root
            ));
            assert!(is_valid_merkle_branch(
                &u.finalized_header.beacon.tree_hash_root().0,
                &nodes(&u.finality_branch),
                7,
                41,
                &state_root
            ));
            (
                u.attested_header.beacon,
                u.signature_slot,
                u.sync_aggregate,
                u.next_sync_committee,
            )
        };
        assert_eq!(version, config.fork_at_slot(att.slot).as_str());
        // Signed by the committee known so far (genesis: the genesis state's current one).
        let current = committee.clone().unwrap_or_else(|| genesis_committee(base));
        let pks: Vec<PublicKey> = current
            .pubkeys
            .iter()
            .map(|p| pubkey(p.as_slice()))
            .collect();
        let refs: Vec<&PublicKey> = pks
            .iter()
            .enumerate()
            .filter(|(k, _)| agg.sync_committee_bits.get(*k).unwrap())
            .map(|(_, p)| p)
            .collect();
        let sr = compute_signing_root(
            att.tree_hash_root(),
            domain(config, gvr, SYNC, sig_slot.max(1) - 1),
        );
        let sig = Signature::from_bytes(agg.sync_committee_signature.as_slice()).unwrap();
        assert!(
            eth_fast_aggregate_verify(&refs, sr.as_slice(), &sig),
            "update {i}"
        );
        committee = Some(next);
        i += 1;
    }
    assert_eq!(i as u64, HEAD / SPP + 1, "one update per period");

    let r = get(
        base,
        "/eth/v1/beacon/light_client/finality_update",
        Some(SSZ),
    );
    assert_eq!(r.header("Eth-Consensus-Version"), Some("gloas"));
    let fu = lcg::LightClientFinalityUpdate::<Minimal>::from_ssz_bytes(&r.body).unwrap();
    assert!(is_valid_merkle_branch(
        &fu.finalized_header.beacon.tree_hash_root().0,
        &nodes(&fu.finality_branch),
        9,
        735 - 512,
        &fu.attested_header.beacon.state_root.0
    ));
    assert!(is_valid_light_client_header(config, &fu.attested_header));
    let r = get(base, "/eth/v1/beacon/light_client/optimistic_update", None).json();
    assert_eq!(r["version"], "gloas");
    let ou: lcg::LightClientOptimisticUpdate<Minimal> = devnet_common::from_json(&r["data"]);
    assert_eq!(ou.attested_header, fu.attested_header);
    gloas_updates
}

fn genesis_committee(base: &str) -> SyncCommittee<Minimal> {
    let r = get(base, "/eth/v2/debug/beacon/states/genesis", Some(SSZ));
    match r.header("Eth-Consensus-Version") {
        Some("gloas") => {
            GState::from_ssz_bytes(&r.body)
                .unwrap()
                .current_sync_committee
        }
        _ => {
            beacon_lightsync::types::fulu::BeaconState::<Minimal>::from_ssz_bytes(&r.body)
                .unwrap()
                .current_sync_committee
        }
    }
}

fn checkpoint_of(d: &Devnet) -> (String, u64) {
    let cp = d.info()["checkpoint"].as_str().unwrap().to_string();
    let (root, epoch) = cp.split_once(':').unwrap();
    (root.to_string(), epoch.parse().unwrap())
}

/// `lightsync checkpoint` against the devnet: the anchor it stores is the checkpoint's.
fn cli_checkpoint(base: &str, checkpoint: &str) -> serde_json::Value {
    let out = lightsync(&[
        "checkpoint",
        "--network",
        "spec",
        "--beacon-api",
        base,
        "--checkpoint",
        checkpoint,
    ]);
    assert_eq!(out.code, 0, "lightsync checkpoint: {}", out.stderr);
    out.json()
}

#[test]
fn gloas_chain_blocks_envelopes_states_and_light_client_verify() {
    let d = start_devnet(1, options(None));
    let base = &d.urls()[0];
    let config = network(&d);
    let gvr = gvr(base);
    let spec = get(base, "/eth/v1/config/spec", None).json();
    assert_eq!(spec["data"]["GLOAS_FORK_EPOCH"], "0");
    let fork = get(base, "/eth/v1/beacon/states/head/fork", None).json();
    assert_eq!(
        fork["data"]["current_version"],
        spec["data"]["GLOAS_FORK_VERSION"]
    );
    assert_eq!(
        fork["data"]["previous_version"],
        spec["data"]["GLOAS_FORK_VERSION"]
    );

    // The finalized state: the checkpoint block's post-state, at its slot.
    let (cp_root, cp_epoch) = checkpoint_of(&d);
    assert_eq!(cp_epoch, HEAD / SPE - 2);
    let (state, state_root) = gloas_state(base, "finalized");
    let header = get(base, &format!("/eth/v1/beacon/headers/{cp_root}"), None).json();
    let header: BeaconBlockHeader = devnet_common::from_json(&header["data"]["header"]["message"]);
    assert_eq!(state_root, header.state_root);
    assert_eq!(
        state.slot,
        cp_epoch * SPE,
        "aligned: the boundary slot has a block"
    );
    assert_eq!(state.genesis_validators_root, gvr);
    assert_eq!(
        state.validators.tree_hash_root(),
        gvr,
        "genesis registry, Gloas-typed"
    );
    assert_eq!(state.builders.len(), 1);
    assert!(state.ptc_window.iter().flatten().all(|&m| m < 256));

    let blocks = canonical_blocks(base, &config);
    assert!(blocks.len() < HEAD as usize, "some slots are empty");
    let replay = replay_gloas(base, &config, gvr, &blocks, &state);
    assert!(
        replay.self_built > 0,
        "self-builds until the builder is active: {replay:?}"
    );
    assert!(
        replay.builder_bids > 0,
        "builder bids once it is: {replay:?}"
    );
    assert!(
        replay.withheld > 0 && replay.revealed > replay.withheld,
        "{replay:?}"
    );
    assert!(replay.payload_attestations > 0, "{replay:?}");
    check_execution_fields(&state, &blocks, &replay);
    // The checkpoint block's payload is revealed (FULL once its child applies it).
    let cp = envelope(base, parse_root(&serde_json::json!(cp_root))).expect("revealed");
    assert_eq!(cp.message.payload.slot_number, state.slot);
    // The genesis block has no envelope; an invalid block id is a 400.
    assert_eq!(envelope(base, blocks[&0].0), None);
    let bad = get(
        base,
        "/eth/v1/beacon/execution_payload_envelopes/current",
        None,
    );
    assert_eq!(bad.status, 400);
    // The `withhold` fault turns a revealed envelope into the 404 of a withheld one.
    let cp_path = format!("/eth/v1/beacon/execution_payload_envelopes/{cp_root}");
    control(
        base,
        &format!("/_devnet/faults?kind=withhold&path={cp_path}"),
    );
    let withheld = get(base, &cp_path, None);
    assert_eq!(withheld.status, 404);
    assert_eq!(
        withheld.json()["message"],
        "Execution payload envelope not found"
    );
    raw_request(
        base,
        "DELETE",
        "/_devnet/faults",
        &[],
        std::time::Duration::from_secs(5),
    );
    assert_eq!(get(base, &cp_path, None).status, 200);

    // Light client: Gloas-shaped on every side.
    let gloas_updates = check_light_client(base, &config, gvr, &cp_root);
    assert_eq!(gloas_updates as u64, HEAD / SPP + 1);

    // Checkpoint sync end to end with the CLI.
    let anchor = cli_checkpoint(base, &format!("{cp_root}:{cp_epoch}"));
    assert_eq!(anchor["fork"], "gloas");
    assert_eq!(anchor["block_root"], cp_root.as_str());
    assert_eq!(anchor["state_root"], root_hex(&state_root.0));
    assert_eq!(anchor["linked_through_latest_block_header"], false);
}

#[test]
fn gloas_finalized_state_is_unaligned_when_the_boundary_slot_is_empty() {
    let d = start_devnet(
        1,
        ChainOptions {
            empty_checkpoint_slot: true,
            withhold_checkpoint_payload: true,
            ..options(None)
        },
    );
    let base = &d.urls()[0];
    let (cp_root, cp_epoch) = checkpoint_of(&d);
    let (state, state_root) = gloas_state(base, "finalized");
    assert!(
        state.slot < cp_epoch * SPE,
        "the checkpoint block is before the boundary"
    );
    assert!(state.slot >= (cp_epoch - 1) * SPE);
    // It is that block's post-state: the header with the state root filled in is the root.
    assert_eq!(state.latest_block_header.slot, state.slot);
    assert_eq!(state.latest_block_header.state_root, B256::ZERO);
    let mut filled = state.latest_block_header;
    filled.state_root = state_root;
    assert_eq!(root_hex(&filled.tree_hash_root().0), cp_root);
    // Served by the block's state root and by its slot; the empty boundary's state is not.
    let by_root = get(
        base,
        &format!("/eth/v2/debug/beacon/states/{}", root_hex(&state_root.0)),
        Some(SSZ),
    );
    assert_eq!(by_root.status, 200);
    assert_eq!(GState::from_ssz_bytes(&by_root.body).unwrap(), state);
    let boundary = get(
        base,
        &format!("/eth/v2/debug/beacon/states/{}", cp_epoch * SPE),
        Some(SSZ),
    );
    assert_eq!(boundary.status, 404);
    let sr = get(base, "/eth/v1/beacon/states/finalized/root", None).json();
    assert_eq!(parse_root(&sr["data"]["root"]), state_root);
    // Its payload is withheld: 404, and its child builds on the execution block it built on.
    let cp = parse_root(&serde_json::json!(cp_root));
    assert_eq!(envelope(base, cp), None);
    let child = get(
        base,
        &format!("/eth/v1/beacon/headers?parent_root={cp_root}"),
        None,
    )
    .json();
    let child = child["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["canonical"] == true)
        .unwrap();
    let child = get(
        base,
        &format!("/eth/v2/beacon/blocks/{}", child["root"].as_str().unwrap()),
        Some(SSZ),
    );
    let child = gloas::SignedBeaconBlock::<Minimal>::from_ssz_bytes(&child.body).unwrap();
    let child_bid = &child.message.body.signed_execution_payload_bid.message;
    assert_eq!(
        child_bid.parent_block_hash, state.latest_block_hash,
        "EMPTY parent"
    );
    assert_ne!(
        child_bid.parent_block_hash,
        state.latest_execution_payload_bid.block_hash
    );
    // Its bootstrap is proven against it.
    let boot = get(
        base,
        &format!("/eth/v1/beacon/light_client/bootstrap/{cp_root}"),
        Some(SSZ),
    );
    let boot = lcg::LightClientBootstrap::<Minimal>::from_ssz_bytes(&boot.body).unwrap();
    assert!(is_valid_merkle_branch(
        &boot.current_sync_committee.tree_hash_root().0,
        &nodes(&boot.current_sync_committee_branch),
        11,
        2945 - 2048,
        &state_root.0
    ));
}

#[test]
fn fulu_chain_forks_to_gloas_at_its_epoch() {
    // Epoch 15: period 1's update is attested in Gloas with a finalized header still in Fulu.
    let fork_epoch = 15;
    let d = start_devnet(1, options(Some(fork_epoch)));
    let base = &d.urls()[0];
    let config = network(&d);
    let gvr = gvr(base);
    assert_eq!(config.fork_at_slot(fork_epoch * SPE - 1), ForkName::Fulu);
    assert_eq!(config.fork_at_slot(fork_epoch * SPE), ForkName::Gloas);
    let spec = get(base, "/eth/v1/config/spec", None).json();
    assert_eq!(spec["data"]["GLOAS_FORK_EPOCH"], fork_epoch.to_string());
    let sched = get(base, "/eth/v1/config/fork_schedule", None).json();
    let last = sched["data"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["epoch"], fork_epoch.to_string());
    assert_eq!(last["previous_version"], spec["data"]["FULU_FORK_VERSION"]);
    // The fork endpoint answers per slot.
    for (slot, current, previous, epoch) in [
        (
            fork_epoch * SPE - 1,
            "FULU_FORK_VERSION",
            "FULU_FORK_VERSION",
            0,
        ),
        (
            fork_epoch * SPE,
            "GLOAS_FORK_VERSION",
            "FULU_FORK_VERSION",
            fork_epoch,
        ),
    ] {
        let f = get(base, &format!("/eth/v1/beacon/states/{slot}/fork"), None).json();
        assert_eq!(
            f["data"]["current_version"], spec["data"][current],
            "slot {slot}"
        );
        assert_eq!(
            f["data"]["previous_version"], spec["data"][previous],
            "slot {slot}"
        );
        assert_eq!(f["data"]["epoch"], epoch.to_string(), "slot {slot}");
    }

    // The Gloas finalized state: upgraded (fork, empty builder registry, Gloas-typed registry
    // whose root is no longer the genesis validators root), and its root is the block's.
    let (cp_root, cp_epoch) = checkpoint_of(&d);
    let (state, state_root) = gloas_state(base, "finalized");
    assert_eq!(
        state.fork.previous_version,
        config.fork_schedule(ForkName::Fulu).version
    );
    assert_eq!(
        state.fork.current_version,
        config.fork_schedule(ForkName::Gloas).version
    );
    assert_eq!(state.fork.epoch, fork_epoch);
    assert!(
        state.builders.is_empty(),
        "upgrade_to_gloas onboards no builder here"
    );
    assert_eq!(state.genesis_validators_root, gvr);
    assert_ne!(
        state.validators.tree_hash_root(),
        gvr,
        "a ProgressiveList since the fork"
    );

    // Blocks on both sides link; the first Gloas bid builds on the last Fulu payload.
    let blocks = canonical_blocks(base, &config);
    let fork_slot = fork_epoch * SPE;
    assert!(blocks
        .range(..fork_slot)
        .all(|(_, (_, b))| matches!(b, Block::Fulu(_))));
    assert!(blocks
        .range(fork_slot..)
        .all(|(_, (_, b))| matches!(b, Block::Gloas(_))));
    for (_, (root, _)) in blocks.range(1..fork_slot) {
        assert_eq!(envelope(base, *root), None, "a Fulu block has no envelope");
    }
    let replay = replay_gloas(base, &config, gvr, &blocks, &state);
    assert_eq!(
        replay.builder_bids, 0,
        "no builder: every Gloas block self-builds"
    );
    assert!(replay.self_built > 0 && replay.withheld > 0, "{replay:?}");
    check_execution_fields(&state, &blocks, &replay);
    // The Fulu-side proposer signatures use Fulu's domain.
    for (&slot, (root, block)) in blocks.range(1..fork_slot).take(3) {
        let fulu_state = genesis_fulu_registry(base);
        let pk = &fulu_state[block.header().proposer_index as usize];
        assert!(verify(
            pk,
            *root,
            domain(&config, gvr, PROPOSER, slot),
            &block.signature()
        ));
    }

    // Light-client data: Fulu-shaped before the fork, Gloas-shaped after (one with a Fulu
    // finalized header upgraded to Gloas's shape).
    let gloas_updates = check_light_client(base, &config, gvr, &cp_root);
    assert_eq!(
        gloas_updates as u64,
        HEAD / SPP,
        "period 0 is Fulu, the others Gloas"
    );
    let u1 = get(
        base,
        "/eth/v1/beacon/light_client/updates?start_period=1&count=1",
        Some(SSZ),
    );
    let len = u64::from_le_bytes(u1.body[..8].try_into().unwrap()) as usize;
    let u1 = lcg::LightClientUpdate::<Minimal>::from_ssz_bytes(&u1.body[12..8 + len]).unwrap();
    assert!(
        u1.finalized_header.beacon.slot < fork_slot,
        "a Fulu finalized header"
    );
    let fin = &blocks[&u1.finalized_header.beacon.slot].1;
    let Block::Fulu(fin) = fin else { panic!() };
    assert_eq!(
        u1.finalized_header.execution_block_hash,
        fin.message.body.execution_payload.block_hash
    );

    // Checkpoint sync natively on each side of the fork.
    let anchor = cli_checkpoint(base, &format!("{cp_root}:{cp_epoch}"));
    assert_eq!(anchor["fork"], "gloas");
    assert_eq!(anchor["state_root"], root_hex(&state_root.0));
    let served = d.info()["served_state_slots"].clone();
    let fulu_slot = served
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .filter(|s| *s > 0 && *s < fork_slot && s % SPE == 0 && blocks.contains_key(s))
        .max()
        .expect("a served Fulu checkpoint state");
    let fulu_root = root_hex(&blocks[&fulu_slot].0 .0);
    let anchor = cli_checkpoint(base, &format!("{fulu_root}:{}", fulu_slot / SPE));
    assert_eq!(anchor["fork"], "fulu");
    assert_eq!(anchor["slot"], fulu_slot);

    // Backfill from the Gloas checkpoint to genesis, across the fork, by hash chain.
    let out = lightsync(&[
        "backfill",
        "--beacon-api",
        base,
        "--network",
        "spec",
        "--anchor-root",
        &cp_root,
        "--to-slot",
        "genesis",
    ]);
    assert_eq!(out.code, 0, "lightsync backfill: {}", out.stderr);
    let out = out.json();
    assert_eq!(out["oldest_slot"], 0);
    assert_eq!(out["oldest_root"], root_hex(&blocks[&0].0 .0));
    assert_eq!(
        out["stored"],
        blocks.range(..=state.slot).count(),
        "the anchor and every block below"
    );
}

/// Validator public keys of the genesis (Fulu) state.
fn genesis_fulu_registry(base: &str) -> Vec<Vec<u8>> {
    let r = get(base, "/eth/v2/debug/beacon/states/genesis", Some(SSZ));
    assert_eq!(r.header("Eth-Consensus-Version"), Some("fulu"));
    beacon_lightsync::types::fulu::BeaconState::<Minimal>::from_ssz_bytes(&r.body)
        .unwrap()
        .validators
        .iter()
        .map(|v| v.pubkey.as_slice().to_vec())
        .collect()
}

#[test]
fn gloas_mainnet_preset_serves_verifiable_states_and_bootstraps() {
    let d = start_devnet(
        1,
        ChainOptions {
            validators: 600,
            slots: 100,
            preset: "mainnet".into(),
            ..options(None)
        },
    );
    let base = &d.urls()[0];
    let config = network(&d);
    let spec = get(base, "/eth/v1/config/spec", None).json();
    assert_eq!(spec["data"]["PRESET_BASE"], "mainnet");
    assert_eq!(spec["data"]["PTC_SIZE"], "512");
    assert_eq!(spec["data"]["DOMAIN_BEACON_BUILDER"], "0x0b000000");
    assert_eq!(spec["data"]["DOMAIN_PTC_ATTESTER"], "0x0c000000");
    let (cp_root, cp_epoch) = checkpoint_of(&d);
    let r = get(base, "/eth/v2/debug/beacon/states/finalized", Some(SSZ));
    assert_eq!(r.header("Eth-Consensus-Version"), Some("gloas"));
    let state = gloas::BeaconState::<Mainnet>::from_ssz_bytes(&r.body).unwrap();
    let root = state.tree_hash_root();
    assert_eq!(
        beacon_lightsync::merkle::state_root(&r.body, ForkName::Gloas, PresetName::Mainnet)
            .unwrap(),
        root.0
    );
    let mut filled = state.latest_block_header;
    filled.state_root = root;
    assert_eq!(root_hex(&filled.tree_hash_root().0), cp_root);
    let boot = get(
        base,
        &format!("/eth/v1/beacon/light_client/bootstrap/{cp_root}"),
        Some(SSZ),
    );
    let boot = lcg::LightClientBootstrap::<Mainnet>::from_ssz_bytes(&boot.body).unwrap();
    assert!(is_valid_merkle_branch(
        &boot.current_sync_committee.tree_hash_root().0,
        &nodes(&boot.current_sync_committee_branch),
        11,
        2945 - 2048,
        &root.0
    ));
    assert!(is_valid_light_client_header(&config, &boot.header));
    let head = get(base, "/eth/v2/beacon/blocks/head", Some(SSZ));
    let head = gloas::SignedBeaconBlock::<Mainnet>::from_ssz_bytes(&head.body).unwrap();
    assert_eq!(
        head.message.body.signed_execution_payload_bid.message.slot,
        head.message.slot
    );
    let anchor = cli_checkpoint(base, &format!("{cp_root}:{cp_epoch}"));
    assert_eq!(anchor["fork"], "gloas");
    assert_eq!(anchor["state_root"], root_hex(&root.0));
}

#[test]
fn gloas_options_are_checked() {
    use beacon_lightsync::devnet::chain::{generate, ChainError};
    let bad = |opts: ChainOptions| match generate(&opts) {
        Err(ChainError::BadOption { name, .. }) => name,
        other => panic!("expected a BadOption, got {:?}", other.map(|c| c.label)),
    };
    assert_eq!(
        bad(ChainOptions {
            fork: "electra".into(),
            ..options(Some(3))
        }),
        "gloas-epoch"
    );
    assert_eq!(bad(options(Some(0))), "gloas-epoch");
    assert_eq!(
        bad(ChainOptions {
            withheld_payload_percent: 51,
            ..options(None)
        }),
        "withheld-payloads"
    );
    // A live chain checks the same options: a Gloas epoch on a chain that is not Fulu is refused
    // by the CLI, which exits.
    let out = lightsync(&[
        "devnet",
        "--fork",
        "electra",
        "--gloas-epoch",
        "2",
        "--live",
        "--port",
        "0",
    ]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("--gloas-epoch: expected an epoch from 1 on, with --fork fulu"),
        "{}",
        out.stderr
    );
}
