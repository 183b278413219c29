//! `lightsync light-verify`: verify a light-client bootstrap against a trusted block root, then
//! walk updates (files as the Beacon API serves them: JSON or SSZ, the `light_client/updates`
//! SSZ stream included) and optional finality / optimistic updates, and print one JSON object:
//! the last verified finalized header, the optimistic header, how many updates were processed.
//!
//! `--network` is resolved as by every command ([`crate::network`]): offline it takes a built-in
//! name or a config.yaml with `GENESIS_TIME` and `GENESIS_VALIDATORS_ROOT`; with `--beacon-api`
//! it also takes `spec` or a config without them (the genesis from the providers). The config's
//! preset (mainnet or minimal) decides the container sizes; its `BLOB_SCHEDULE` the Fulu digests.
//!
//! Exit codes: 0 verified; 1 a check failed (stderr names the error code and the update), or the
//! network could not be resolved from the providers; 2 bad usage or unreadable input.

use super::{is_help, parse_urls, resolve_network, run_parsed, Flags, Wording, HELP};
use crate::beacon_api::{redact_credentials, HttpBeaconApi, UreqTransport};
use crate::config::BlobSchedule;
use crate::config::NetworkConfig;
use crate::light::error::LightClientError;
use crate::light::input::{
    parse_bootstrap, parse_finality_update, parse_optimistic_update, parse_updates,
};
use crate::light::sync_protocol::initialize_light_client_store;
use crate::light::verifier::verify_updates;
use crate::network::NetworkChoice;
use crate::types::{parse_hex0x, ForkName, Hash256, Mainnet, Minimal, Preset, PresetName};

const USAGE: &str = "usage: lightsync light-verify --network NETWORK --trusted-block-root 0xROOT \
--bootstrap FILE [--updates FILE ...] [--finality-update FILE] [--optimistic-update FILE] \
[--fork FORK] [--current-slot SLOT] [--beacon-api URL[,URL...]] [--timeout-ms MS]\n\
  NETWORK: mainnet | sepolia | hoodi | holesky, `spec` (needs --beacon-api) or a config.yaml\n\
  path (offline it must hold GENESIS_TIME and GENESIS_VALIDATORS_ROOT);\n\
  FILE is JSON ({\"version\",\"data\"} or an array of them) or SSZ as the Beacon API serves it;\n\
  --fork names the fork of single-object SSZ files when their slot cannot tell it;\n\
  --current-slot overrides the wall-clock slot used for the spec's `current_slot`.";

struct Args {
    network: NetworkChoice,
    urls: Vec<String>,
    timeout_ms: u64,
    trusted_root: Hash256,
    bootstrap: String,
    updates: Vec<String>,
    finality: Option<String>,
    optimistic: Option<String>,
    fork: Option<ForkName>,
    current_slot: Option<u64>,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    // `--help` anywhere, even in a value's place, asks for the usage.
    if args.iter().any(|a| is_help(a)) {
        return Err(HELP.into());
    }
    let mut network = None;
    let mut trusted_root = None;
    let mut bootstrap = None;
    let mut updates = Vec::new();
    let mut finality = None;
    let mut optimistic = None;
    let mut fork = None;
    let mut current_slot = None;
    let mut urls = Vec::new();
    let mut timeout_ms = 10_000;
    let mut flags = Flags::new(args, Wording::GOT_NONE);
    while let Some(flag) = flags.next() {
        match flag {
            "--network" => network = Some(NetworkChoice::from_arg(&flags.value()?)?),
            "--beacon-api" => urls = parse_urls(&flags.value()?)?,
            "--timeout-ms" => timeout_ms = flags.parse("milliseconds")?,
            "--trusted-block-root" => {
                trusted_root = Some(
                    flags
                        .parse_with("0x + 64 hex digits", |v| parse_hex0x(v).map(Hash256::from))?,
                )
            }
            "--bootstrap" => bootstrap = Some(flags.value()?),
            "--updates" => updates.push(flags.value()?),
            "--finality-update" => finality = Some(flags.value()?),
            "--optimistic-update" => optimistic = Some(flags.value()?),
            "--fork" => {
                fork = Some(
                    flags
                        .value()?
                        .parse::<ForkName>()
                        .map_err(|e| e.to_string())?,
                )
            }
            "--current-slot" => current_slot = Some(flags.parse("a slot number")?),
            _ => return Err(flags.unknown()),
        }
    }
    let network = network.ok_or("--network: expected a network name, got none")?;
    if network == NetworkChoice::Spec && urls.is_empty() {
        return Err(
            "--network spec: expected --beacon-api to read the config from, got none".into(),
        );
    }
    Ok(Args {
        network,
        urls,
        timeout_ms,
        trusted_root: trusted_root.ok_or("--trusted-block-root: expected a root, got none")?,
        bootstrap: bootstrap.ok_or("--bootstrap: expected a file, got none")?,
        updates,
        finality,
        optimistic,
        fork,
        current_slot,
    })
}

fn read(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))
}

enum Failure {
    Usage(String),
    /// The network could not be resolved against the providers: `(code, message)`.
    Network(&'static str, String),
    Check(LightClientError),
}

fn wall_clock_slot(config: &NetworkConfig) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    now.saturating_sub(config.genesis_time) / config.seconds_per_slot.max(1)
}

fn verify(a: &Args) -> Result<serde_json::Value, Failure> {
    let providers: Vec<_> = a
        .urls
        .iter()
        .map(|u| HttpBeaconApi::new(u, UreqTransport::new(a.timeout_ms, 1)))
        .collect();
    let resolved = resolve_network(&a.network, &providers, None).map_err(|(code, m)| {
        if code == "CONFIG" {
            Failure::Usage(m)
        } else {
            Failure::Network(code, m)
        }
    })?;
    let config = resolved.network;
    let blobs = &config.blob_schedule;
    match config.preset {
        PresetName::Mainnet => verify_with::<Mainnet>(a, &config, blobs),
        PresetName::Minimal => verify_with::<Minimal>(a, &config, blobs),
    }
}

/// The verification under the network's preset `P`.
fn verify_with<P: Preset>(
    a: &Args,
    config: &NetworkConfig,
    blobs: &BlobSchedule,
) -> Result<serde_json::Value, Failure> {
    let current_slot = a.current_slot.unwrap_or_else(|| wall_clock_slot(config));
    let bootstrap =
        parse_bootstrap::<P>(config, &read(&a.bootstrap).map_err(Failure::Usage)?, a.fork)
            .map_err(Failure::Check)?;
    let mut store = initialize_light_client_store(config, a.trusted_root, &bootstrap)
        .map_err(Failure::Check)?;
    let mut updates = Vec::new();
    for file in &a.updates {
        updates.extend(
            parse_updates::<P>(config, blobs, &read(file).map_err(Failure::Usage)?)
                .map_err(Failure::Check)?,
        );
    }
    let finality = match &a.finality {
        Some(f) => Some(
            parse_finality_update::<P>(config, &read(f).map_err(Failure::Usage)?, a.fork)
                .map_err(Failure::Check)?,
        ),
        None => None,
    };
    let optimistic = match &a.optimistic {
        Some(f) => Some(
            parse_optimistic_update::<P>(config, &read(f).map_err(Failure::Usage)?, a.fork)
                .map_err(Failure::Check)?,
        ),
        None => None,
    };
    let summary = verify_updates(
        config,
        &mut store,
        &updates,
        finality.as_ref(),
        optimistic.as_ref(),
        current_slot,
    )
    .map_err(Failure::Check)?;
    let mut out = serde_json::json!({
        "network": config.name,
        "trusted_block_root": a.trusted_root,
        "finalized": summary.finalized,
        "updates_applied": summary.updates_processed,
        "period": summary.period.to_string(),
        "next_sync_committee_known": summary.next_sync_committee_known,
    });
    if a.optimistic.is_some() || !updates.is_empty() || a.finality.is_some() {
        out["optimistic"] = serde_json::to_value(summary.optimistic).unwrap_or_default();
    }
    Ok(out)
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: &[String]) -> i32 {
    run_parsed(USAGE, parse_args(args), |parsed| match verify(&parsed) {
        Ok(out) => {
            println!("{out}");
            0
        }
        Err(Failure::Usage(e)) => {
            eprintln!("error: {}", redact_credentials(&e));
            2
        }
        Err(Failure::Network(code, e)) => {
            eprintln!("error [{code}]: {}", redact_credentials(&e));
            1
        }
        Err(Failure::Check(e)) => {
            eprintln!("error [{}]: {e}", e.code());
            1
        }
    })
}
