//! `lightsync checkpoint`: a checkpoint sync against Beacon APIs (or a local state file), printed
//! as one JSON object.
//!
//! Runs the same flow as the browser (`crate::checkpoint`) into an in-memory store, so the
//! command verifies and reports; it keeps nothing. Exit 0 with the anchor on stdout, or exit 1
//! with `CODE: message` on stderr (2 for usage errors).

use futures::executor::block_on;
use std::cell::Cell;

use super::{is_help, network_of, parse_urls, run_parsed, warn, Flags, Wording, HELP};
use crate::beacon_api::{redact_credentials, HttpBeaconApi, UreqTransport};
use crate::checkpoint::{
    CheckpointError, CheckpointOptions, CheckpointSync, LongRange, Source, StateFile, Verified,
};
use crate::config::NetworkConfig;
use crate::ctx::{Ctx, Env};
use crate::event::{Event, Mode};
use crate::longrange::{Overseer, Started};
use crate::network::{NetworkChoice, StateGenesis};
use crate::policy;
use crate::store::MemoryStore;
use crate::types::hex0x;
use crate::warning::Warning;
use crate::ws::{Clock, FixedClock, SystemClock, WsCheckpoint, WsStatus};

const USAGE: &str = "usage: lightsync checkpoint --network NETWORK
    (--checkpoint ROOT:EPOCH | --trusted-block-root ROOT | --state-id ID | --state-file FILE)
    [--beacon-api URL[,URL...]] [--now UNIX_SECONDS] [--long-range strict|lenient|light]
    [--quorum K] [--timeout-ms MS]
  NETWORK: mainnet | sepolia | hoodi | holesky, `spec` (the config from the first
     provider's /eth/v1/config/spec), or the path of a config.yaml. A config's genesis time and
     validators root come from every provider's /eth/v1/beacon/genesis (which must agree); with
     --state-file and no provider, from the state.
  --long-range: what a checkpoint outside its weak-subjectivity period gets: strict refuses it
     (WS_STALE), lenient keeps it marked stale, light rebuilds trust from its sync committees with
     light-client updates (a new `light-client` anchor linked back by hash chain). The output's
     `mode` says what ran: checkpoint, lenient or light.
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

pub(super) enum SourceArg {
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

/// The CLI's env for the checkpoint flow and the overseer: warnings on stderr.
#[derive(Default)]
pub(super) struct Printer {
    pub warnings: Cell<usize>,
}

impl Printer {
    fn warn(&self, w: &Warning) {
        self.warnings.set(self.warnings.get() + 1);
        warn(w.code, &w.message);
    }
}

impl Env for Printer {
    fn emit(&self, event: &Event) {
        if let Some(w) = event.warning() {
            return self.warn(&w);
        }
        // A notice of what runs, not a warning: the user asked for it.
        if let Event::Decided {
            mode: Mode::Light,
            anchor_epoch,
            ws,
        } = event
        {
            eprintln!(
                "light rebuild: anchor epoch {anchor_epoch} is outside its weak subjectivity period ({} epochs) at epoch {}; rebuilding trust with light-client updates",
                ws.period_epochs, ws.current_epoch
            );
        }
    }
}

/// A verified anchor in an in-memory store, and how it was reached.
pub(super) struct Anchored {
    /// The anchor in use (the rebuilt one after a light rebuild) and its standing.
    pub verified: Verified,
    /// `checkpoint` (within its period), `lenient` (stale, kept) or `light` (rebuilt).
    pub mode: &'static str,
    /// The overseer's start, when the light rebuild ran (it also took a first follow step).
    pub started: Option<Started>,
}

/// The checkpoint flow of `source` into `store` under the `longRange` rule of
/// [`crate::policy::checkpoint`] (under `light`, a stale checkpoint is rebuilt at once, as the
/// browser does).
#[allow(clippy::too_many_arguments)]
pub(super) fn establish<C: Clock>(
    net: &NetworkConfig,
    providers: &[HttpBeaconApi<UreqTransport>],
    store: &MemoryStore,
    clock: &C,
    hooks: &Printer,
    long_range: LongRange,
    quorum: Option<usize>,
    source: &Source,
) -> Result<Anchored, (&'static str, String)> {
    let ctx = Ctx {
        network: net,
        providers,
        store,
        clock,
    };
    let sync = CheckpointSync {
        ctx,
        env: hooks,
        options: CheckpointOptions {
            long_range,
            quorum,
            keep_state: false,
        },
    };
    let overseer = Overseer {
        ctx,
        env: hooks,
        long_range,
    };
    let established = futures::executor::block_on(policy::checkpoint(&sync, &overseer, source))
        .map_err(|e| (e.code(), e.to_string()))?;
    let Some(started) = established.started else {
        let stale = established.verified.ws.stale;
        return Ok(Anchored {
            verified: established.verified,
            mode: if stale { "lenient" } else { "checkpoint" },
            started: None,
        });
    };
    let (epoch, period) = (started.anchor.epoch, started.anchor.ws_period_epochs);
    let ws = WsStatus::now(net, clock, epoch, period).map_err(|e| {
        let e = CheckpointError::Ws(e);
        (e.code(), e.to_string())
    })?;
    Ok(Anchored {
        verified: Verified {
            anchor: started.anchor.clone(),
            ws,
        },
        mode: "light",
        started: Some(started),
    })
}

/// The `Source` a source argument names.
pub(super) fn source_of(arg: &SourceArg) -> Result<Source, (&'static str, String)> {
    Ok(match arg {
        SourceArg::Checkpoint(s) => Source::Checkpoint(WsCheckpoint::parse(s).map_err(|e| {
            let e = CheckpointError::InvalidCheckpointString(e);
            (e.code(), e.to_string())
        })?),
        SourceArg::Root(s) => Source::TrustedBlockRoot(
            parse_root(s)
                .map_err(|e| ("INVALID_CHECKPOINT", format!("--trusted-block-root: {e}")))?,
        ),
        SourceArg::StateId(s) => Source::StateId(s.clone()),
        SourceArg::File(path) => Source::StateFile(StateFile::from_bytes(
            crate::ssz_io::read_ssz_file(path).map_err(|e| ("READ", e.to_string()))?,
        )),
    })
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
        "execution": a.execution.map(|e| serde_json::json!({
            "block_hash": hex0x(e.block_hash),
            "block_number": e.block_number,
            "state_root": hex0x(e.state_root),
            "receipts_root": hex0x(e.receipts_root),
            "timestamp": e.timestamp,
        })),
    })
}

/// Runs the command; returns the exit code.
pub fn run(args: &[String]) -> i32 {
    run_parsed(USAGE, parse_args(args), sync_and_print)
}

/// Syncs as `args` ask and prints the anchor; returns the exit code.
fn sync_and_print(args: Args) -> i32 {
    match args.now {
        Some(t) => sync_with_clock(&args, &FixedClock(t)),
        None => sync_with_clock(&args, &SystemClock),
    }
}

fn sync_with_clock<C: Clock>(args: &Args, clock: &C) -> i32 {
    let providers = providers(&args.urls, args.timeout_ms);
    let (Some(source), Some(choice)) = (&args.source, &args.network) else {
        return 2;
    };
    let source = match source_of(source) {
        Ok(s) => s,
        Err((code, m)) => return fail(code, m),
    };
    let state = match &source {
        Source::StateFile(file) => block_on(StateGenesis::from_state_file(file)).ok().flatten(),
        _ => None,
    };
    let net = match network_of(choice, &providers, state) {
        Ok(n) => n,
        Err((code, msg)) => return fail(code, msg),
    };
    let store = MemoryStore::new(&net.name, net.genesis_validators_root.0);
    let hooks = Printer::default();
    match establish(
        &net,
        &providers,
        &store,
        clock,
        &hooks,
        args.long_range,
        args.quorum,
        &source,
    ) {
        Ok(a) => {
            let mut out = anchor_json(&a.verified);
            out["long_range"] = long_range_name(args.long_range).into();
            out["mode"] = a.mode.into();
            if let Some(r) = a.started.as_ref().and_then(|s| s.rebuilt.as_ref()) {
                out["rebuilt_from"] = hex0x(r.old_anchor_root).into();
                out["light_client_updates"] = r.updates.into();
                out["headers_linked"] = r.headers_linked.into();
            }
            println!("{out}");
            0
        }
        Err((code, m)) => fail(code, m),
    }
}

/// One HTTP provider per URL (each with `timeout_ms` and 8 connections).
pub(super) fn providers(urls: &[String], timeout_ms: u64) -> Vec<HttpBeaconApi<UreqTransport>> {
    urls.iter()
        .map(|u| HttpBeaconApi::new(u, UreqTransport::new(timeout_ms, 8)))
        .collect()
}

/// The `--long-range` value as written.
pub(super) fn long_range_name(l: LongRange) -> &'static str {
    match l {
        LongRange::Strict => "strict",
        LongRange::Lenient => "lenient",
        LongRange::Light => "light",
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
