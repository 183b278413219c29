//! Every fault visibly changes what is served, and only where, when and as often as its rule
//! says; the checks use the crate's own verification code so "visibly" means "a client's check
//! would fail".
#![cfg(not(target_arch = "wasm32"))]

mod devnet_common;

use std::time::{Duration, Instant};

use beacon_lightsync::config::{compute_domain, compute_signing_root};
use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::faults::FaultRule;
use beacon_lightsync::devnet::{Devnet, DevnetOptions};
use beacon_lightsync::light::bls::{eth_fast_aggregate_verify, PublicKey, Signature};
use beacon_lightsync::light::branch::is_valid_merkle_branch;
use beacon_lightsync::types::light_client::electra as lc;
use beacon_lightsync::types::phase0::BeaconBlockHeader;
use beacon_lightsync::types::{fulu, FixedBytes, ForkName, Minimal, PresetName, TreeHash, B256};
use devnet_common::*;
use ssz::Decode;

const SSZ: &str = "application/octet-stream";

fn opts(providers: usize) -> DevnetOptions {
    DevnetOptions {
        providers,
        chain: ChainOptions {
            validators: 128,
            slots: 80,
            seed: 5,
            ..ChainOptions::default()
        },
        ..DevnetOptions::default()
    }
}

fn fault(d: &Devnet, text: &str) {
    d.clear_faults(0);
    d.add_fault(0, FaultRule::parse(text).unwrap());
}

fn header_of(v: &serde_json::Value) -> BeaconBlockHeader {
    devnet_common::from_json(&v["data"]["header"]["message"])
}

fn claimed_root(v: &serde_json::Value) -> B256 {
    let b = hex::decode(v["data"]["root"].as_str().unwrap().trim_start_matches("0x")).unwrap();
    B256::from_slice(&b)
}

fn state_path(base: &str) -> (String, [u8; 32]) {
    let v = get(base, "/eth/v1/beacon/states/finalized/root", None).json();
    let root = v["data"]["root"].as_str().unwrap().to_string();
    let b: [u8; 32] = hex::decode(root.trim_start_matches("0x"))
        .unwrap()
        .try_into()
        .unwrap();
    (format!("/eth/v2/debug/beacon/states/{root}"), b)
}

#[test]
fn data_faults_break_the_checks_a_client_makes() {
    let d = Devnet::start(opts(1)).unwrap();
    let base = &d.urls()[0];
    let (spath, sroot) = state_path(base);
    let honest_state = get(base, &spath, Some(SSZ)).body;
    assert_eq!(
        beacon_lightsync::merkle::state_root(&honest_state, ForkName::Fulu, PresetName::Minimal)
            .unwrap(),
        sroot
    );

    // flip-state: same length, one byte differs, root no longer matches.
    fault(&d, "flip-state,offset=100");
    let flipped = get(base, &spath, Some(SSZ)).body;
    assert_eq!(flipped.len(), honest_state.len());
    let diffs: Vec<usize> = (0..flipped.len())
        .filter(|&i| flipped[i] != honest_state[i])
        .collect();
    assert_eq!(diffs, vec![100]);
    let r = beacon_lightsync::merkle::state_root(&flipped, ForkName::Fulu, PresetName::Minimal);
    assert!(r != Ok(sroot));

    // bad-header-root: the message no longer hashes to the claimed root.
    let honest = get(base, "/eth/v1/beacon/headers/40", None).json();
    fault(&d, "bad-header-root");
    let v = get(base, "/eth/v1/beacon/headers/40", None).json();
    assert_eq!(claimed_root(&v), claimed_root(&honest));
    assert_ne!(header_of(&v).tree_hash_root(), claimed_root(&v));

    // broken-parent: self-consistent, but the parent link is gone.
    fault(&d, "broken-parent");
    let v = get(base, "/eth/v1/beacon/headers/40", None).json();
    assert_eq!(header_of(&v).tree_hash_root(), claimed_root(&v));
    assert_ne!(header_of(&v).parent_root, header_of(&honest).parent_root);

    // non-canonical: another block for the slot, claimed canonical.
    fault(&d, "non-canonical");
    let v = get(base, "/eth/v1/beacon/headers/40", None).json();
    assert_eq!(v["data"]["canonical"], true);
    assert_eq!(header_of(&v).tree_hash_root(), claimed_root(&v));
    assert_ne!(claimed_root(&v), claimed_root(&honest));

    // withhold: 404 where a block exists, for headers, blocks and states.
    fault(&d, "withhold");
    assert_eq!(get(base, "/eth/v1/beacon/headers/40", None).status, 404);
    assert_eq!(get(base, "/eth/v2/beacon/blocks/40", None).status, 404);
    assert_eq!(
        get(base, "/eth/v2/debug/beacon/states/finalized", Some(SSZ)).status,
        404
    );

    // wrong-gvr.
    let gvr =
        get(base, "/eth/v1/beacon/genesis", None).json()["data"]["genesis_validators_root"].clone();
    fault(&d, "wrong-gvr");
    let bad =
        get(base, "/eth/v1/beacon/genesis", None).json()["data"]["genesis_validators_root"].clone();
    assert_ne!(gvr, bad);

    // bad-ssz: still framed correctly, no longer a state.
    fault(&d, "bad-ssz");
    let r = get(base, &spath, Some(SSZ));
    assert!(!r.short);
    assert!(fulu::BeaconState::<Minimal>::from_ssz_bytes(&r.body).is_err());
    assert!(
        beacon_lightsync::merkle::state_root(&r.body, ForkName::Fulu, PresetName::Minimal).is_err()
    );

    // bad-json.
    fault(&d, "bad-json");
    let r = get(base, "/eth/v1/beacon/headers/40", None);
    assert!(!r.short);
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());

    d.clear_faults(0);
    assert_eq!(get(base, "/eth/v1/beacon/headers/40", None).json(), honest);
}

#[test]
fn light_client_faults_fail_verification() {
    let d = Devnet::start(opts(1)).unwrap();
    let base = &d.urls()[0];
    let gvr = {
        let v = get(base, "/eth/v1/beacon/genesis", None).json();
        let b = hex::decode(
            v["data"]["genesis_validators_root"]
                .as_str()
                .unwrap()
                .trim_start_matches("0x"),
        )
        .unwrap();
        B256::from_slice(&b)
    };
    let spec = get(base, "/eth/v1/config/spec", None).json();
    let fv = hex::decode(
        spec["data"]["FULU_FORK_VERSION"]
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
    )
    .unwrap();
    let domain = compute_domain(
        FixedBytes::from([7, 0, 0, 0]),
        FixedBytes::from_slice(&fv),
        gvr,
    );
    let genesis = fulu::BeaconState::<Minimal>::from_ssz_bytes(
        &get(base, "/eth/v2/debug/beacon/states/genesis", Some(SSZ)).body,
    )
    .unwrap();
    let path = "/eth/v1/beacon/light_client/updates?start_period=0&count=1";
    let decode = |body: &[u8]| {
        let len = u64::from_le_bytes(body[..8].try_into().unwrap()) as usize;
        lc::LightClientUpdate::<Minimal>::from_ssz_bytes(&body[12..8 + len]).unwrap()
    };
    let sig_ok = |u: &lc::LightClientUpdate<Minimal>| {
        let pks: Vec<PublicKey> = genesis
            .current_sync_committee
            .pubkeys
            .iter()
            .map(|p| PublicKey::from_bytes(p.as_slice()).unwrap())
            .collect();
        let refs: Vec<&PublicKey> = pks.iter().collect();
        let Ok(sig) = Signature::from_bytes(u.sync_aggregate.sync_committee_signature.as_slice())
        else {
            return false;
        };
        let signing_root = compute_signing_root(u.attested_header.beacon.tree_hash_root(), domain);
        eth_fast_aggregate_verify(&refs, signing_root.as_slice(), &sig)
    };
    let branch_ok = |u: &lc::LightClientUpdate<Minimal>| {
        let nodes: Vec<[u8; 32]> = u.finality_branch.iter().map(|b| b.0).collect();
        is_valid_merkle_branch(
            &u.finalized_header.beacon.tree_hash_root().0,
            &nodes,
            7,
            41,
            &u.attested_header.beacon.state_root.0,
        )
    };
    let honest = decode(&get(base, path, Some(SSZ)).body);
    assert!(sig_ok(&honest) && branch_ok(&honest));

    fault(&d, "bad-lc-signature");
    let u = decode(&get(base, path, Some(SSZ)).body);
    assert!(!sig_ok(&u), "faulted signature must not verify");
    assert!(branch_ok(&u));
    let j = get(base, path, None).json();
    let uj: lc::LightClientUpdate<Minimal> = devnet_common::from_json(&j[0]["data"]);
    assert!(!sig_ok(&uj));

    fault(&d, "bad-lc-branch");
    let u = decode(&get(base, path, Some(SSZ)).body);
    assert!(sig_ok(&u));
    assert!(!branch_ok(&u), "faulted branch must not verify");

    // Bootstrap branch.
    let cp = d.checkpoint().unwrap();
    let (root, _) = cp.split_once(':').unwrap();
    let bpath = format!("/eth/v1/beacon/light_client/bootstrap/{root}");
    let b = lc::LightClientBootstrap::<Minimal>::from_ssz_bytes(&get(base, &bpath, Some(SSZ)).body)
        .unwrap();
    let nodes: Vec<[u8; 32]> = b
        .current_sync_committee_branch
        .iter()
        .map(|x| x.0)
        .collect();
    assert!(!is_valid_merkle_branch(
        &b.current_sync_committee.tree_hash_root().0,
        &nodes,
        6,
        22,
        &b.header.beacon.state_root.0
    ));
}

#[test]
fn transport_faults_change_the_wire() {
    let d = Devnet::start(opts(1)).unwrap();
    let base = &d.urls()[0];
    let path = "/eth/v1/beacon/genesis";
    let honest = get(base, path, None);
    let n = honest.body.len();

    fault(&d, "truncate,bytes=10");
    let r = get(base, path, None);
    assert!(r.short, "truncated body must arrive short");
    assert_eq!(r.body.len(), 10);
    assert_eq!(
        r.header("Content-Length")
            .unwrap()
            .parse::<usize>()
            .unwrap(),
        n
    );

    fault(&d, "oversize,extra=5000");
    let r = get(base, path, None);
    assert_eq!(r.body.len(), n + 5000);
    assert_eq!(
        r.header("Content-Length")
            .unwrap()
            .parse::<usize>()
            .unwrap(),
        n + 5000
    );
    assert_eq!(&r.body[..n], &honest.body[..]);

    fault(&d, &format!("trickle,chunk={},delay_ms=40", n / 4 + 1));
    let t = Instant::now();
    let r = get(base, path, None);
    assert!(
        t.elapsed() >= Duration::from_millis(120),
        "trickled body came in {:?}",
        t.elapsed()
    );
    assert_eq!(r.body, honest.body);

    for (code, retry) in [(500u16, false), (503, true), (429, true)] {
        fault(&d, &format!("status,code={code}"));
        let r = get(base, path, None);
        assert_eq!(r.status, code);
        assert_eq!(r.json()["code"], code);
        assert_eq!(r.header("Retry-After").is_some(), retry, "{code}");
        assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"));
    }
    fault(&d, "status,code=429,retry_after=7");
    assert_eq!(get(base, path, None).header("Retry-After"), Some("7"));

    fault(&d, "no-response,hold_ms=3000");
    let t = Instant::now();
    let r = raw_request(base, "GET", path, &[], Duration::from_millis(800));
    assert!(r.is_none(), "no byte may arrive");
    assert!(t.elapsed() >= Duration::from_millis(700));

    d.clear_faults(0);
    let honest_v = get(base, "/eth/v1/beacon/light_client/finality_update", None);
    fault(&d, "wrong-version");
    let r = get(base, "/eth/v1/beacon/light_client/finality_update", None);
    assert_eq!(honest_v.header("Eth-Consensus-Version"), Some("fulu"));
    assert_eq!(r.header("Eth-Consensus-Version"), Some("electra"));
    fault(&d, "wrong-version,version=deneb");
    let r = get(base, "/eth/v2/debug/beacon/states/genesis", Some(SSZ));
    assert_eq!(r.header("Eth-Consensus-Version"), Some("deneb"));

    fault(&d, "no-expose");
    let r = get(base, "/eth/v2/debug/beacon/states/genesis", Some(SSZ));
    assert_eq!(r.header("Access-Control-Expose-Headers"), None);
    assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"));
    assert_eq!(r.header("Eth-Consensus-Version"), Some("fulu"));
}

#[test]
fn rules_respect_paths_slots_and_counts() {
    let d = Devnet::start(opts(1)).unwrap();
    let base = &d.urls()[0];
    // A slot range: only those slots' headers are withheld (others, and other paths, are not).
    fault(&d, "withhold,slots=30-35");
    let existing: Vec<u64> = (25..40)
        .filter(|s| d.chain().headers.contains_key(s))
        .collect();
    for s in existing {
        let status = get(base, &format!("/eth/v1/beacon/headers/{s}"), None).status;
        assert_eq!(status == 404, (30..=35).contains(&s), "slot {s}");
    }
    // A count: the next 2 matching requests fail, then service resumes.
    fault(&d, "status,code=503,count=2,path=/eth/v1/beacon/genesis");
    assert_eq!(
        get(base, "/eth/v1/node/version", None).status,
        200,
        "other path untouched"
    );
    assert_eq!(get(base, "/eth/v1/beacon/genesis", None).status, 503);
    assert_eq!(get(base, "/eth/v1/beacon/genesis", None).status, 503);
    assert_eq!(get(base, "/eth/v1/beacon/genesis", None).status, 200);
}

#[test]
fn control_endpoint_over_http() {
    let d = Devnet::start(opts(2)).unwrap();
    let (a, b) = (&d.urls()[0], &d.urls()[1]);
    // Set on provider 1 through provider 0's endpoint, list it, see it act only on provider 1.
    let v = control(a, "/_devnet/faults?kind=status&code=429&count=1&provider=1");
    assert_eq!(v["provider"], 1);
    assert_eq!(v["faults"][0]["kind"], "status");
    assert_eq!(get(a, "/eth/v1/beacon/genesis", None).status, 200);
    let r = get(b, "/eth/v1/beacon/genesis", None);
    assert_eq!(r.status, 429);
    assert_eq!(
        get(b, "/eth/v1/beacon/genesis", None).status,
        200,
        "count=1 used up"
    );
    // Text body form, GET to list, DELETE to clear.
    let resp = ureq::post(&format!("{b}/_devnet/faults"))
        .send_string("withhold,path=/eth/v1/beacon/headers/*")
        .unwrap();
    assert_eq!(resp.status(), 200);
    let listed = get(b, "/_devnet/faults", None).json();
    assert_eq!(listed["faults"][0]["kind"], "withhold");
    assert_eq!(get(b, "/eth/v1/beacon/headers/head", None).status, 404);
    let del = raw_request(b, "DELETE", "/_devnet/faults", &[], Duration::from_secs(5)).unwrap();
    assert_eq!(del.status, 200);
    assert_eq!(get(b, "/eth/v1/beacon/headers/head", None).status, 200);
    // A bad rule is a 400 with an "expected …, got …" message.
    let r = raw_request(
        a,
        "POST",
        "/_devnet/faults?kind=explode",
        &[],
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(r.status, 400);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("got `explode`"));
    let r = raw_request(
        a,
        "POST",
        "/_devnet/faults?kind=withhold&provider=9",
        &[],
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(r.status, 400);
}

#[test]
fn a_lying_provider_is_consistent_but_different() {
    let mut o = opts(3);
    o.liars = vec![(2, 77)];
    let d = Devnet::start(o).unwrap();
    let urls = d.urls();
    let fc: Vec<serde_json::Value> = urls
        .iter()
        .map(|u| get(u, "/eth/v1/beacon/states/head/finality_checkpoints", None).json())
        .collect();
    assert_eq!(fc[0], fc[1]);
    assert_ne!(
        fc[0]["data"]["finalized"]["root"],
        fc[2]["data"]["finalized"]["root"]
    );
    // The liar's own checkpoint verifies against its own state (a consistent lie).
    let liar = &urls[2];
    let root = fc[2]["data"]["finalized"]["root"].as_str().unwrap();
    let h = header_of(&get(liar, &format!("/eth/v1/beacon/headers/{root}"), None).json());
    assert_eq!(format!("0x{}", hex::encode(h.tree_hash_root().0)), root);
    let s = get(
        liar,
        &format!(
            "/eth/v2/debug/beacon/states/0x{}",
            hex::encode(h.state_root.0)
        ),
        Some(SSZ),
    );
    assert_eq!(
        beacon_lightsync::merkle::state_root(&s.body, ForkName::Fulu, PresetName::Minimal).unwrap(),
        h.state_root.0
    );
    // The honest providers do not know the liar's block.
    assert_eq!(
        get(&urls[0], &format!("/eth/v1/beacon/headers/{root}"), None).status,
        404
    );

    // At run time: provider 0 switches to another seed, then back.
    let honest_fc = fc[0].clone();
    control(&urls[0], "/_devnet/chain?seed=1234");
    let now = get(
        &urls[0],
        "/eth/v1/beacon/states/head/finality_checkpoints",
        None,
    )
    .json();
    assert_ne!(now, honest_fc);
    control(&urls[0], "/_devnet/chain?seed=honest");
    let back = get(
        &urls[0],
        "/eth/v1/beacon/states/head/finality_checkpoints",
        None,
    )
    .json();
    assert_eq!(back, honest_fc);
}
