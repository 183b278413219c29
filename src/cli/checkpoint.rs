//! `lightsync checkpoint`: a checkpoint sync against Beacon APIs (or a local state file), printed
//! as one JSON object.
//!
//! Runs the same flow as the browser (`crate::checkpoint`) into an in-memory store, so the
//! command verifies and reports; it keeps nothing. Exit 0 with the anchor on stdout, or exit 1
//! with `CODE: message` on stderr (2 for usage errors).

use std::cell::Cell;

use super::{is_help, run_parsed, Flags, Wording, HELP};
use crate::beacon_api::{BeaconApi, HttpBeaconApi, UreqTransport};
use crate::checkpoint::{
    CheckpointError, CheckpointOptions, CheckpointSync, Hooks, LongRange, Source, SyncEvent,
    Verified,
};
use crate::config::{ConfigError, NetworkConfig};
use crate::store::MemoryStore;
use crate::types::hex0x;
use crate::ws::{Clock, FixedClock, SystemClock, WsCheckpoint};

const USAGE: &str = "usage: lightsync checkpoint --network N
    (--checkpoint ROOT:EPOCH | --trusted-block-root ROOT | --state-id ID | --state-file FILE)
    [--beacon-api URL[,URL...]] [--now UNIX_SECONDS] [--long-range strict|lenient]
    [--quorum K] [--timeout-ms MS]
  N: mainnet | sepolia | hoodi | holesky, or the path of a config.yaml (without a
     GENESIS_VALIDATORS_ROOT key the first provider's genesis is used, with a warning)
  --beacon-api is required except with --state-file.";

struct Args {
    network: String,
    urls: Vec<String>,
    source: Option<SourceArg>,
    now: Option<u64>,
    long_range: LongRange,
    quorum: Option<usize>,
    timeout_ms: u64,
}

enum SourceArg {
    Checkpoint(String),
    Root(String),
    StateId(String),
    File(String),
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut out = Args {
        network: String::new(),
        urls: Vec::new(),
        source: None,
        now: None,
        long_range: LongRange::Strict,
        quorum: None,
        timeout_ms: 10_000,
    };
    let mut flags = Flags::new(args, Wording::GOT_NOTHING);
    while let Some(flag) = flags.next() {
        if is_help(flag) {
            return Err(HELP.into());
        }
        // Every option takes a value, so even an unknown one is first asked for it.
        let value = flags.value()?;
        let mut set_source = |s: SourceArg| {
            if out.source.is_some() {
                return Err(format!(
                    "{flag}: expected one of --checkpoint, --trusted-block-root, --state-id, --state-file, got several"
                ));
            }
            out.source = Some(s);
            Ok(())
        };
        match flag {
            "--network" => out.network = value,
            "--beacon-api" => {
                out.urls = value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            }
            "--checkpoint" => set_source(SourceArg::Checkpoint(value))?,
            "--trusted-block-root" => set_source(SourceArg::Root(value))?,
            "--state-id" => set_source(SourceArg::StateId(value))?,
            "--state-file" => set_source(SourceArg::File(value))?,
            "--now" => out.now = Some(flags.parse_str(&value, "unix seconds")?),
            "--long-range" => out.long_range = value.parse()?,
            "--quorum" => out.quorum = Some(flags.parse_str(&value, "a count")?),
            "--timeout-ms" => out.timeout_ms = flags.parse_str(&value, "milliseconds")?,
            _ => return Err(flags.unknown()),
        }
    }
    if out.network.is_empty() {
        return Err("--network: expected a network name or config.yaml path, got nothing".into());
    }
    match &out.source {
        None => {
            return Err(
                "expected one of --checkpoint, --trusted-block-root, --state-id, --state-file"
                    .into(),
            )
        }
        Some(SourceArg::File(_)) => {}
        Some(_) if out.urls.is_empty() => {
            return Err("--beacon-api: expected at least one URL, got none".into())
        }
        Some(_) => {}
    }
    Ok(out)
}

/// Parses a 0x-hex 32-byte root.
fn parse_root(s: &str) -> Result<[u8; 32], String> {
    let hex_part = s
        .strip_prefix("0x")
        .ok_or_else(|| format!("expected a 0x-prefixed root, got `{s}`"))?;
    let bytes = hex::decode(hex_part).map_err(|e| format!("expected hex, got `{s}` ({e})"))?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("expected 32 bytes, got {}", b.len()))
}

struct Printer {
    warnings: Cell<usize>,
}

impl Hooks for Printer {
    fn emit(&self, event: &SyncEvent) {
        if let SyncEvent::Warning { code, message } = event {
            self.warnings.set(self.warnings.get() + 1);
            eprintln!("warning {code}: {message}");
        }
    }
}

fn fail(code: &str, message: impl std::fmt::Display) -> i32 {
    eprintln!("{code}: {message}");
    1
}

/// The anchor as the JSON object the command prints.
pub fn anchor_json(v: &Verified) -> serde_json::Value {
    let a = &v.anchor;
    serde_json::json!({
        "block_root": hex0x(a.block_root),
        "state_root": hex0x(a.state_root),
        "slot": a.slot,
        "epoch": a.epoch,
        "fork": a.fork,
        "trust": a.trust,
        "linked_through_latest_block_header": a.linked_through_latest_block_header,
        "providers": a.providers,
        "ws_period_epochs": v.ws.period_epochs,
        "ws_expires_epoch": v.ws.expires_epoch,
        "current_epoch": v.ws.current_epoch,
        "stale": v.ws.stale,
        "active_validators": a.active_validators,
        "total_active_balance_gwei": a.total_active_balance,
    })
}

/// Runs the command; returns the exit code.
pub fn run(args: &[String]) -> i32 {
    run_parsed(USAGE, parse_args(args), sync_and_print)
}

/// Syncs as `args` ask and prints the anchor; returns the exit code.
fn sync_and_print(args: Args) -> i32 {
    let timeout = args.timeout_ms;
    let providers: Vec<HttpBeaconApi<UreqTransport>> = args
        .urls
        .iter()
        .map(|u| HttpBeaconApi::new(u, UreqTransport::new(timeout, 8)))
        .collect();
    let source = match &args.source {
        Some(SourceArg::Checkpoint(s)) => match WsCheckpoint::parse(s) {
            Ok(cp) => Source::Checkpoint(cp),
            Err(e) => {
                return fail(
                    "INVALID_CHECKPOINT",
                    CheckpointError::InvalidCheckpointString(e),
                )
            }
        },
        Some(SourceArg::Root(s)) => match parse_root(s) {
            Ok(r) => Source::TrustedBlockRoot(r),
            Err(e) => return fail("INVALID_CHECKPOINT", format!("--trusted-block-root: {e}")),
        },
        Some(SourceArg::StateId(s)) => Source::StateId(s.clone()),
        Some(SourceArg::File(path)) => match crate::ssz_io::read_ssz_file(path) {
            Ok(b) => Source::StateFile(b),
            Err(e) => return fail("READ", e),
        },
        None => return 2,
    };
    let net = match load_network(&args.network, &providers, &source) {
        Ok(n) => n,
        Err((code, msg)) => return fail(code, msg),
    };
    let store = MemoryStore::new(&net.name, net.genesis_validators_root.0);
    let hooks = Printer {
        warnings: Cell::new(0),
    };
    let options = CheckpointOptions {
        long_range: args.long_range,
        quorum: args.quorum,
    };
    let result = match args.now {
        Some(t) => sync(
            &net,
            &providers,
            &store,
            &FixedClock(t),
            &hooks,
            options,
            &source,
        ),
        None => sync(
            &net,
            &providers,
            &store,
            &SystemClock,
            &hooks,
            options,
            &source,
        ),
    };
    match result {
        Ok(v) => {
            println!("{}", anchor_json(&v));
            0
        }
        Err(e) => fail(e.code(), e),
    }
}

fn sync<C: Clock>(
    net: &NetworkConfig,
    providers: &[HttpBeaconApi<UreqTransport>],
    store: &MemoryStore,
    clock: &C,
    hooks: &Printer,
    options: CheckpointOptions,
    source: &Source,
) -> Result<Verified, CheckpointError> {
    let s = CheckpointSync {
        network: net,
        providers,
        store,
        clock,
        hooks,
        options,
    };
    futures::executor::block_on(s.run(source))
}

/// A built-in network by name, or a config.yaml. A config without `GENESIS_VALIDATORS_ROOT`
/// takes it from the state file, else from the first provider (with a warning: that trusts the
/// provider for the network's identity).
fn load_network(
    name: &str,
    providers: &[HttpBeaconApi<UreqTransport>],
    source: &Source,
) -> Result<NetworkConfig, (&'static str, String)> {
    if NetworkConfig::BUILT_IN.contains(&name) {
        return NetworkConfig::by_name(name).map_err(|e| ("CONFIG", e.to_string()));
    }
    let text = std::fs::read_to_string(name).map_err(|e| {
        (
            "CONFIG",
            format!(
                "--network: expected a built-in name or a readable config.yaml, got `{name}` ({e})"
            ),
        )
    })?;
    match NetworkConfig::from_config_yaml(&text, None) {
        Ok(n) => Ok(n),
        Err(ConfigError::MissingGenesisValidatorsRoot) => {
            let gvr = match source {
                Source::StateFile(bytes) if bytes.len() >= 40 => {
                    let mut r = [0u8; 32];
                    r.copy_from_slice(&bytes[8..40]);
                    eprintln!(
                        "warning CONFIG_GVR_FROM_STATE: {name} has no GENESIS_VALIDATORS_ROOT; using the state's 0x{}",
                        hex::encode(r)
                    );
                    r
                }
                _ => {
                    let p = providers.first().ok_or((
                        "CONFIG",
                        format!("{name}: expected GENESIS_VALIDATORS_ROOT, got none"),
                    ))?;
                    let g = futures::executor::block_on(p.genesis())
                        .map_err(|e| (e.code(), e.to_string()))?;
                    eprintln!(
                        "warning CONFIG_GVR_FROM_PROVIDER: {name} has no GENESIS_VALIDATORS_ROOT; using {}'s 0x{}",
                        p.base_url(),
                        hex::encode(g.genesis_validators_root)
                    );
                    g.genesis_validators_root
                }
            };
            NetworkConfig::from_config_yaml(&text, Some(gvr.into()))
                .map_err(|e| ("CONFIG", e.to_string()))
        }
        Err(e) => Err(("CONFIG", e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args;

    #[test]
    fn argument_errors() {
        assert!(parse_args(&args("--checkpoint 0x00:1"))
            .err()
            .unwrap()
            .contains("--network"));
        assert!(parse_args(&args("--network mainnet --checkpoint x"))
            .err()
            .unwrap()
            .contains("--beacon-api"));
        assert!(parse_args(&args(
            "--network mainnet --state-file f --state-id finalized"
        ))
        .err()
        .unwrap()
        .contains("got several"));
        assert!(parse_args(&args("--network mainnet --state-file f")).is_ok());
        assert!(parse_root("0x12").is_err());
        assert_eq!(run(&args("--network mainnet --bogus 1")), 2);
    }
}
