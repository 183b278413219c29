//! `lightsync checkpoint`: a checkpoint sync against Beacon APIs (or a local state file), printed
//! as one JSON object.
//!
//! Runs the same flow as the browser (`crate::checkpoint`) into an in-memory store, so the
//! command verifies and reports; it keeps nothing. Exit 0 with the anchor on stdout, or exit 1
//! with `CODE: message` on stderr (2 for usage errors).

use std::cell::Cell;

use super::{is_help, network_of, parse_urls, run_parsed, Flags, Wording, HELP};
use crate::beacon_api::{redact_credentials, HttpBeaconApi, UreqTransport};
use crate::checkpoint::{
    CheckpointError, CheckpointOptions, CheckpointSync, Hooks, LongRange, Source, SyncEvent,
    Verified,
};
use crate::config::NetworkConfig;
use crate::network::{NetworkChoice, StateGenesis};
use crate::store::MemoryStore;
use crate::types::hex0x;
use crate::ws::{Clock, FixedClock, SystemClock, WsCheckpoint};

const USAGE: &str = "usage: lightsync checkpoint --network NETWORK
    (--checkpoint ROOT:EPOCH | --trusted-block-root ROOT | --state-id ID | --state-file FILE)
    [--beacon-api URL[,URL...]] [--now UNIX_SECONDS] [--long-range strict|lenient|light]
    [--quorum K] [--timeout-ms MS]
  NETWORK: mainnet | sepolia | hoodi | holesky, `spec` (the config from the first
     provider's /eth/v1/config/spec), or the path of a config.yaml. A config's genesis time and
     validators root come from every provider's /eth/v1/beacon/genesis (which must agree); with
     --state-file and no provider, from the state.
  --beacon-api is required except with --state-file.";

struct Args {
    network: Option<NetworkChoice>,
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
        network: None,
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
            "--network" => out.network = Some(NetworkChoice::from_arg(&value)?),
            "--beacon-api" => out.urls = parse_urls(&value)?,
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
    if out.network.is_none() {
        return Err("--network: expected a network name or config.yaml path, got nothing".into());
    }
    if matches!(out.network, Some(NetworkChoice::Spec)) && out.urls.is_empty() {
        return Err(
            "--network spec: expected --beacon-api to read the config from, got none".into(),
        );
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
    eprintln!("{code}: {}", redact_credentials(&message.to_string()));
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
    let state = match &source {
        Source::StateFile(bytes) => StateGenesis::from_state_ssz(bytes),
        _ => None,
    };
    let Some(choice) = &args.network else {
        return 2;
    };
    let net = match network_of(choice, &providers, state) {
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
