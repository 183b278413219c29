#![cfg(not(target_arch = "wasm32"))]
//! Custom networks through the `lightsync` binary, against a devnet whose genesis time is NOT
//! `MIN_GENESIS_TIME + GENESIS_DELAY` (as on every real network): `--network spec` and a
//! config.yaml without genesis take it from the providers' `/eth/v1/beacon/genesis`; providers
//! that disagree, or a config that names another chain, stop with a typed error; bad URLs are
//! usage errors and credentials never come back in a message.

use std::path::PathBuf;
use std::process::Command;

mod devnet_common;
use devnet_common::{lightsync, run_cli, CliOut};

use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::faults::FaultRule;
use beacon_lightsync::devnet::{Devnet, DevnetOptions};
use beacon_lightsync::light::fork_digest::BlobParameters;

/// ~3 years: the served spec's `MIN_GENESIS_TIME + GENESIS_DELAY` precedes the real genesis by
/// that much, so reading it as the genesis time puts the clock ~2.6 million epochs ahead.
const LAG: u64 = 100_000_000;

fn chain() -> ChainOptions {
    ChainOptions {
        validators: 256,
        slots: 100,
        seed: 11,
        ..ChainOptions::default()
    }
}

fn lagged(providers: usize, faults: Vec<(usize, FaultRule)>) -> Devnet {
    Devnet::start(DevnetOptions {
        providers,
        chain: chain(),
        faults,
        genesis_lag: LAG,
        ..DevnetOptions::default()
    })
    .expect("devnet starts")
}

/// A scratch file, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str, bytes: &[u8]) -> Self {
        let path = std::env::temp_dir().join(format!(
            "lightsync-cli-networks-{}-{name}",
            std::process::id()
        ));
        std::fs::write(&path, bytes).unwrap();
        Scratch(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The devnet's served spec as a config.yaml (scalar keys only), plus `extra` lines.
fn config_yaml(devnet: &Devnet, extra: &str) -> String {
    let mut yaml = String::new();
    for (k, v) in &devnet.chain().spec {
        if let Some(s) = v.as_str() {
            yaml.push_str(&format!("{k}: '{s}'\n"));
        }
    }
    yaml + extra
}

fn genesis_root(devnet: &Devnet) -> String {
    let g = devnet.chain().genesis.clone().expect("genesis");
    format!("0x{}", hex::encode(g.genesis_validators_root))
}

fn genesis_time(devnet: &Devnet) -> u64 {
    devnet
        .chain()
        .genesis
        .as_ref()
        .expect("genesis")
        .genesis_time
}

#[test]
fn the_devnet_serves_a_spec_whose_minimum_genesis_is_not_the_genesis() {
    let devnet = lagged(1, Vec::new());
    let spec = &devnet.chain().spec;
    let num = |k: &str| -> u64 { spec[k].as_str().unwrap().parse().unwrap() };
    assert_eq!(
        num("MIN_GENESIS_TIME") + num("GENESIS_DELAY") + LAG,
        genesis_time(&devnet)
    );
}

#[test]
fn checkpoint_with_network_spec_takes_the_genesis_from_the_providers() {
    let devnet = lagged(2, Vec::new());
    let urls = devnet.urls().join(",");
    let out = lightsync(&[
        "checkpoint",
        "--network",
        "spec",
        "--beacon-api",
        &urls,
        "--state-id",
        "finalized",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let anchor = out.json();
    assert_eq!(anchor["stale"], false, "{anchor}");
    assert_eq!(anchor["trust"], "provider");
    assert_eq!(
        anchor["epoch"].as_u64().unwrap(),
        devnet.chain().checkpoints.finalized.epoch
    );
    assert!(
        out.stderr.contains("warning CONFIG_FROM_PROVIDER"),
        "{}",
        out.stderr
    );
}

#[test]
fn checkpoint_with_a_config_without_genesis_warns_and_syncs() {
    let devnet = lagged(1, Vec::new());
    let yaml = Scratch::new("no-genesis.yaml", config_yaml(&devnet, "").as_bytes());
    let out = lightsync(&[
        "checkpoint",
        "--network",
        yaml.path(),
        "--beacon-api",
        &devnet.urls()[0],
        "--checkpoint",
        &devnet.checkpoint().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["stale"], false);
    assert!(
        out.stderr.contains("warning CONFIG_GENESIS_FROM_PROVIDER")
            && out.stderr.contains(&genesis_time(&devnet).to_string()),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("warning CONFIG_GVR_FROM_PROVIDER"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_config_whose_genesis_disagrees_with_the_providers_is_the_wrong_network() {
    let devnet = lagged(1, Vec::new());
    let wrong_time = genesis_time(&devnet) - LAG;
    let yaml = Scratch::new(
        "wrong-time.yaml",
        config_yaml(&devnet, &format!("GENESIS_TIME: {wrong_time}\n")).as_bytes(),
    );
    let out = lightsync(&[
        "checkpoint",
        "--network",
        yaml.path(),
        "--beacon-api",
        &devnet.urls()[0],
        "--state-id",
        "finalized",
    ]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.starts_with("WRONG_NETWORK:"), "{}", out.stderr);
    assert!(
        out.stderr.contains("GENESIS_TIME")
            && out.stderr.contains(&wrong_time.to_string())
            && out.stderr.contains(&genesis_time(&devnet).to_string()),
        "{}",
        out.stderr
    );
}

#[test]
fn providers_that_disagree_on_genesis_are_named_with_their_answers() {
    let devnet = lagged(
        2,
        vec![(1, FaultRule::parse("wrong-gvr").expect("fault rule"))],
    );
    let urls = devnet.urls();
    let out = lightsync(&[
        "checkpoint",
        "--network",
        "spec",
        "--beacon-api",
        &urls.join(","),
        "--state-id",
        "finalized",
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr.starts_with("PROVIDER_DISAGREEMENT:"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&urls[0]) && out.stderr.contains(&urls[1]),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&genesis_root(&devnet)),
        "{}",
        out.stderr
    );
}

#[test]
fn backfill_start_up_asks_every_provider_not_only_the_first() {
    // The first provider fails every start-up request (spec, genesis, the anchor header) but
    // serves headers by slot: the second answers for the start-up, and the backfill completes.
    let fault = |path: &str| {
        (
            0,
            FaultRule::parse(&format!("status,code=503,path={path}")).expect("fault rule"),
        )
    };
    let devnet = lagged(
        2,
        vec![
            fault("/eth/v1/config/spec"),
            fault("/eth/v1/beacon/genesis"),
            fault("/eth/v1/beacon/headers/0x*"),
        ],
    );
    let anchor = devnet.chain().checkpoints.finalized.root;
    let urls = devnet.urls();
    let out = lightsync(&[
        "backfill",
        "--network",
        "spec",
        "--beacon-api",
        &urls.join(","),
        "--anchor-root",
        &format!("0x{}", hex::encode(anchor)),
        "--to-slot",
        "genesis",
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let summary = out.json();
    assert_eq!(summary["oldest_slot"], 0, "{summary}");
    let failed = format!(
        "warning PROVIDER_FAILED: {} did not answer (HTTP_STATUS)",
        urls[0]
    );
    assert_eq!(out.stderr.matches(&failed).count(), 3, "{}", out.stderr);
}

#[test]
fn backfill_checks_the_configured_genesis_root_against_the_providers() {
    let devnet = lagged(1, Vec::new());
    let anchor = devnet.chain().checkpoints.finalized.root;
    let other = format!("GENESIS_VALIDATORS_ROOT: 0x{}\n", "ab".repeat(32));
    let yaml = Scratch::new("wrong-gvr.yaml", config_yaml(&devnet, &other).as_bytes());
    let out = lightsync(&[
        "backfill",
        "--network",
        yaml.path(),
        "--beacon-api",
        &devnet.urls()[0],
        "--anchor-root",
        &format!("0x{}", hex::encode(anchor)),
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(
        out.json()["error"]["code"],
        "WRONG_NETWORK",
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains(&genesis_root(&devnet)),
        "{}",
        out.stderr
    );
}

/// The devnet's newest bootstrap and its updates, as files the light-verify command reads.
fn light_client_files(devnet: &Devnet) -> (String, Scratch, Scratch) {
    let info = devnet.info();
    let root = info["bootstrap_roots"][0].as_str().unwrap().to_string();
    let base = &devnet.urls()[0];
    let get = |path: &str| {
        ureq::get(&format!("{base}{path}"))
            .set("Accept", "application/json")
            .call()
            .unwrap()
            .into_string()
            .unwrap()
    };
    let bootstrap = get(&format!("/eth/v1/beacon/light_client/bootstrap/{root}"));
    let updates = get("/eth/v1/beacon/light_client/updates?start_period=0&count=8");
    (
        root,
        Scratch::new("bootstrap.json", bootstrap.as_bytes()),
        Scratch::new("updates.json", updates.as_bytes()),
    )
}

#[test]
fn light_verify_takes_spec_from_providers_and_a_full_config_offline() {
    let devnet = lagged(1, Vec::new());
    let (root, bootstrap, updates) = light_client_files(&devnet);
    let args = |network: &str| {
        vec![
            "light-verify".to_string(),
            "--network".into(),
            network.into(),
            "--trusted-block-root".into(),
            root.clone(),
            "--bootstrap".into(),
            bootstrap.path().into(),
            "--updates".into(),
            updates.path().into(),
        ]
    };
    let mut with_api = args("spec");
    with_api.extend(["--beacon-api".to_string(), devnet.urls()[0].clone()]);
    let out = lightsync(&with_api.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let online = out.json();
    assert!(online["updates_applied"].as_u64().unwrap() > 0, "{online}");

    // Offline: a minimal-preset config that says its genesis itself.
    let full = config_yaml(
        &devnet,
        &format!(
            "GENESIS_TIME: {}\nGENESIS_VALIDATORS_ROOT: {}\n",
            genesis_time(&devnet),
            genesis_root(&devnet)
        ),
    );
    let yaml = Scratch::new("full.yaml", full.as_bytes());
    let out = lightsync(
        &args(yaml.path())
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["finalized"], online["finalized"]);

    // `spec` offline is a usage error.
    let out = lightsync(&args("spec").iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--beacon-api"), "{}", out.stderr);
}

#[test]
fn non_http_urls_are_usage_errors_and_credentials_are_redacted() {
    for cmd in ["checkpoint", "backfill"] {
        let out = lightsync(&[
            cmd,
            "--network",
            "mainnet",
            "--beacon-api",
            "ftp://node.example",
            "--anchor-root",
            &format!("0x{}", "11".repeat(32)),
        ]);
        assert_eq!(out.code, 2, "{cmd}: {}", out.stderr);
        assert!(
            out.stderr.starts_with(
                "error: --beacon-api: invalid Beacon API URL: expected an http:// or https:// URL"
            ),
            "{}",
            out.stderr
        );
    }
    let out = lightsync(&[
        "checkpoint",
        "--network",
        "spec",
        "--beacon-api",
        "http://alice:hunter2@127.0.0.1:1",
        "--state-id",
        "finalized",
        "--timeout-ms",
        "2000",
    ]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("http://***@127.0.0.1:1"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
}

/// Runs `lightsync` with standard input held open until it exits (so only `--max-steps` or a
/// failure ends a `follow`).
fn lightsync_stdin_open(args: &[&str]) -> CliOut {
    run_cli(
        Command::new(env!("CARGO_BIN_EXE_lightsync")).args(args),
        true,
    )
}

fn lines(out: &CliOut) -> Vec<serde_json::Value> {
    out.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn follow_prints_one_json_line_per_step_and_stops() {
    let devnet = lagged(1, Vec::new());
    let url = devnet.urls()[0].clone();
    let fin = devnet.chain().checkpoints.finalized;
    let spe = devnet.chain().slots_per_epoch;
    let base = [
        "follow",
        "--network",
        "spec",
        "--beacon-api",
        &url,
        "--state-id",
        "finalized",
        "--interval-ms",
        "100",
    ];
    let mut args = base.to_vec();
    args.extend(["--max-steps", "2"]);
    let out = lightsync_stdin_open(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let steps = lines(&out);
    assert_eq!(steps.len(), 2, "{}", out.stdout);
    for (i, s) in steps.iter().enumerate() {
        // The devnet's chain does not grow: each step finds the anchor's block still finalized.
        assert_eq!(s["step"], i as u64 + 1);
        assert_eq!(s["advanced"], false, "{s}");
        assert_eq!(s["root"], format!("0x{}", hex::encode(fin.root)));
        assert_eq!(s["epoch"], fin.epoch);
        assert_eq!(s["slot"].as_u64().unwrap() / spe, fin.epoch);
        assert_eq!(s["verified_by"], "finality_checkpoints");
        assert_eq!(s["source"], if i == 0 { "start" } else { "poll" }, "{s}");
        assert!(s["latency_ms"].is_null(), "{s}");
    }

    // Standard input at its end: the first step, then stop.
    let out = lightsync(&base);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(lines(&out).len(), 1, "{:?} {:?}", out.stdout, out.stderr);
}

#[test]
fn follow_from_an_unknown_anchor_prints_a_typed_error_line() {
    let devnet = lagged(1, Vec::new());
    let out = lightsync_stdin_open(&[
        "follow",
        "--network",
        "spec",
        "--beacon-api",
        &devnet.urls()[0],
        "--anchor-root",
        &format!("0x{}", "11".repeat(32)),
        "--max-steps",
        "1",
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let l = lines(&out);
    assert_eq!(l.len(), 1, "{}", out.stdout);
    assert_eq!(l[0]["error"]["code"], "HEADER_NOT_FOUND", "{}", out.stdout);
}

#[test]
fn checkpoint_long_range_light_rebuilds_a_stale_anchor() {
    let anchor = long_range_light_rebuild(ChainOptions::default());
    assert_eq!(anchor["fork"], "fulu", "{anchor}");
}

/// The same rebuild across the Fulu→Gloas fork (Fulu light-client updates, then Gloas-shaped
/// ones), and on a chain that is Gloas from genesis: the rebuilt anchor is a Gloas block.
#[test]
fn checkpoint_long_range_light_rebuilds_across_the_gloas_fork() {
    for chain in [
        ChainOptions {
            fork: "fulu".into(),
            gloas_epoch: Some(3),
            ..ChainOptions::default()
        },
        ChainOptions {
            fork: "gloas".into(),
            ..ChainOptions::default()
        },
    ] {
        let what = format!("{} (Gloas at {:?})", chain.fork, chain.gloas_epoch);
        let anchor = long_range_light_rebuild(chain);
        assert_eq!(anchor["fork"], "gloas", "{what}: {anchor}");
    }
}

/// A stale genesis anchor of a devnet on `chain` (its validators, slots and seed set here),
/// refused under `strict` and rebuilt under `light`; returns the rebuilt anchor.
fn long_range_light_rebuild(chain: ChainOptions) -> serde_json::Value {
    // Four sync-committee periods of the minimal preset (as the overseer tests use), so the
    // rebuild walks light-client updates from the genesis anchor to the newest finalized block.
    let devnet = Devnet::start(DevnetOptions {
        chain: ChainOptions {
            validators: 512,
            slots: 255,
            seed: 7,
            ..chain
        },
        genesis_lag: LAG,
        ..DevnetOptions::default()
    })
    .expect("devnet starts");
    let url = devnet.urls()[0].clone();
    let genesis_block = format!(
        "0x{}",
        hex::encode(devnet.chain().genesis_block_root.expect("genesis block"))
    );
    let run = |long_range: &str, now: Option<u64>| {
        let now = now.map(|t| t.to_string());
        let mut args = vec![
            "checkpoint",
            "--network",
            "spec",
            "--beacon-api",
            &url,
            "--trusted-block-root",
            &genesis_block,
            "--long-range",
            long_range,
        ];
        if let Some(t) = &now {
            args.extend(["--now", t]);
        }
        lightsync(&args)
    };
    let fresh = run("strict", None);
    assert_eq!(fresh.code, 0, "{}", fresh.stderr);
    let fresh = fresh.json();
    assert_eq!(fresh["mode"], "checkpoint");
    assert_eq!(fresh["long_range"], "strict");
    // One epoch past the genesis anchor's weak-subjectivity expiry (minimal: 8 slots of 6 s).
    let period = fresh["ws_period_epochs"].as_u64().unwrap();
    let stale_now = genesis_time(&devnet) + (period + 1) * 8 * 6;

    let strict = run("strict", Some(stale_now));
    assert_eq!(strict.code, 1);
    assert!(
        strict.stderr.lines().any(|l| l.starts_with("WS_STALE:")),
        "{}",
        strict.stderr
    );

    let light = run("light", Some(stale_now));
    assert_eq!(light.code, 0, "{}", light.stderr);
    let anchor = light.json();
    assert_eq!(anchor["mode"], "light", "{anchor}");
    assert_eq!(anchor["long_range"], "light");
    assert_eq!(anchor["trust"], "light-client");
    assert_eq!(anchor["rebuilt_from"], genesis_block);
    assert!(anchor["epoch"].as_u64().unwrap() > 0, "{anchor}");
    assert!(
        anchor["light_client_updates"].as_u64().unwrap() > 0,
        "{anchor}"
    );
    assert!(
        light.stderr.contains("light rebuild: anchor epoch 0"),
        "{}",
        light.stderr
    );
    assert!(
        !light.stderr.contains("WS_STALE_LENIENT"),
        "{}",
        light.stderr
    );
    anchor
}

/// A dev node's config schedules blob-parameter-only forks from Fulu at epoch 0 on. Fulu fork
/// digests (which tag each chunk of the `light_client/updates` SSZ stream) must come from the
/// network's own `BLOB_SCHEDULE` (served spec or config.yaml), not from a built-in table keyed
/// by the network's name; the light rebuild runs on such a network from both.
#[test]
fn a_custom_networks_blob_schedule_sets_its_fulu_fork_digests() {
    // Entries before and inside the walked periods (minimal: 8-slot epochs, 8-epoch periods).
    let schedule = [(0, 6), (10, 12), (20, 18)].map(|(epoch, max)| BlobParameters {
        epoch,
        max_blobs_per_block: max,
    });
    let devnet = Devnet::start(DevnetOptions {
        chain: ChainOptions {
            validators: 512,
            slots: 255,
            seed: 7,
            blob_schedule: schedule.to_vec(),
            ..ChainOptions::default()
        },
        genesis_lag: LAG,
        ..DevnetOptions::default()
    })
    .expect("devnet starts");
    assert_eq!(
        devnet.chain().spec["BLOB_SCHEDULE"][1],
        serde_json::json!({"EPOCH": "10", "MAX_BLOBS_PER_BLOCK": "12"})
    );
    let url = devnet.urls()[0].clone();
    let schedule_yaml = "BLOB_SCHEDULE:\n  - EPOCH: 0\n    MAX_BLOBS_PER_BLOCK: 6\n  - EPOCH: 10\n    MAX_BLOBS_PER_BLOCK: 12\n  - EPOCH: 20\n    MAX_BLOBS_PER_BLOCK: 18\n";
    let with = Scratch::new("blobs.yaml", config_yaml(&devnet, schedule_yaml).as_bytes());
    let without = Scratch::new("no-blobs.yaml", config_yaml(&devnet, "").as_bytes());

    // The SSZ updates stream of every period, verified from the first bootstrap.
    let root = devnet.info()["bootstrap_roots"][0]
        .as_str()
        .unwrap()
        .to_string();
    let get = |path: &str, accept: &str| {
        let mut body = Vec::new();
        std::io::Read::read_to_end(
            &mut ureq::get(&format!("{url}{path}"))
                .set("Accept", accept)
                .call()
                .unwrap()
                .into_reader(),
            &mut body,
        )
        .unwrap();
        body
    };
    let bootstrap = Scratch::new(
        "bootstrap-blobs.json",
        &get(
            &format!("/eth/v1/beacon/light_client/bootstrap/{root}"),
            "application/json",
        ),
    );
    let updates = Scratch::new(
        "updates-blobs.ssz",
        &get(
            "/eth/v1/beacon/light_client/updates?start_period=0&count=8",
            "application/octet-stream",
        ),
    );
    let verify = |network: &str| {
        lightsync(&[
            "light-verify",
            "--network",
            network,
            "--beacon-api",
            &url,
            "--trusted-block-root",
            &root,
            "--bootstrap",
            bootstrap.path(),
            "--updates",
            updates.path(),
        ])
    };
    for network in ["spec", with.path()] {
        let out = verify(network);
        assert_eq!(out.code, 0, "{network}: {}", out.stderr);
        assert!(
            out.json()["updates_applied"].as_u64().unwrap() > 1,
            "{}",
            out.stdout
        );
    }
    // The same network without its schedule computes other Fulu digests: the stream's chunks
    // are refused with a typed error instead of being read as some fork.
    let out = verify(without.path());
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stderr.contains("LC_FORK_DIGEST_MISMATCH")
            || out.stdout.contains("LC_FORK_DIGEST_MISMATCH"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );

    // The light rebuild of a stale genesis anchor on that network (one epoch past the anchor's
    // weak-subjectivity period of 257 epochs; minimal: 8 slots of 6 s).
    let genesis_block = format!(
        "0x{}",
        hex::encode(devnet.chain().genesis_block_root.expect("genesis block"))
    );
    let stale_now = (genesis_time(&devnet) + 260 * 8 * 6).to_string();
    for network in ["spec", with.path()] {
        let out = lightsync(&[
            "checkpoint",
            "--network",
            network,
            "--beacon-api",
            &url,
            "--trusted-block-root",
            &genesis_block,
            "--long-range",
            "light",
            "--now",
            &stale_now,
        ]);
        assert_eq!(out.code, 0, "{network}: {}", out.stderr);
        let anchor = out.json();
        assert_eq!(anchor["trust"], "light-client", "{anchor}");
        assert!(anchor["epoch"].as_u64().unwrap() > 20, "{anchor}");
    }
}

/// `root` maps a state's fork version through the network: the devnet's versions are in its
/// served spec (or a config.yaml of it), not in any built-in network.
#[test]
fn root_takes_the_network_from_spec_or_a_config() {
    let devnet = lagged(1, Vec::new());
    let url = devnet.urls()[0].clone();
    let get = |path: &str, accept: &str| {
        let mut body = Vec::new();
        std::io::Read::read_to_end(
            &mut ureq::get(&format!("{url}{path}"))
                .set("Accept", accept)
                .call()
                .unwrap()
                .into_reader(),
            &mut body,
        )
        .unwrap();
        body
    };
    let state = Scratch::new(
        "finalized.ssz",
        &get(
            "/eth/v2/debug/beacon/states/finalized",
            "application/octet-stream",
        ),
    );
    let expected: serde_json::Value = serde_json::from_slice(&get(
        "/eth/v1/beacon/states/finalized/root",
        "application/json",
    ))
    .unwrap();
    let expected = expected["data"]["root"].as_str().unwrap().to_string();
    let config = Scratch::new("root.yaml", config_yaml(&devnet, "").as_bytes());
    let root = |extra: &[&str]| {
        let mut args = vec!["root", "--type", "BeaconState"];
        args.extend(extra);
        args.push(state.path());
        lightsync(&args)
    };
    for extra in [
        &["--network", "spec", "--beacon-api", url.as_str()][..],
        &["--network", config.path()][..],
        &["--network", config.path(), "--beacon-api", url.as_str()][..],
    ] {
        let out = root(extra);
        assert_eq!(out.code, 0, "{extra:?}: {}", out.stderr);
        assert_eq!(out.stdout.trim(), expected, "{extra:?}");
    }
    // A built-in network does not know the devnet's fork versions.
    let out = root(&["--network", "mainnet"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    // `spec` needs a provider to read it from.
    let out = root(&["--network", "spec"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("--beacon-api"), "{}", out.stderr);
}
