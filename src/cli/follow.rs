//! `lightsync follow`: establish a verified anchor (the checkpoint flow, with the long-range
//! modes of `checkpoint`), then follow finality forward with the core follow loop
//! ([`crate::overseer::Overseer::follow_step`]: the providers' finality checkpoints, or verified
//! light-client finality updates after a light rebuild; a new finalized block is accepted only when
//! its hash chain reaches the previous tip).
//!
//! Prints one JSON line per step on stdout: `{"step","slot","root","epoch","advanced",
//! "from_slot","linked","source"}`; a failed step prints `{"step","error":{"code","message"}}` and
//! following goes on (the tip stays). Stops after `--max-steps`, at end of standard input, or on
//! SIGINT (lines already printed are complete). Exit codes: 0 followed; 1 no anchor could be
//! established (one error line); 2 bad usage.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::checkpoint::{establish, long_range_name, providers, source_of, Printer, SourceArg};
use super::{is_help, network_of, parse_urls, run_parsed, Flags, Wording, HELP};
use crate::beacon_api::redact_credentials;
use crate::checkpoint::LongRange;
use crate::config::NetworkConfig;
use crate::light::follow::FollowStep;
use crate::network::NetworkChoice;
use crate::overseer::{FollowState, Overseer, OverseerError};
use crate::store::{HeadSource, MemoryStore};
use crate::types::hex0x;
use crate::ws::{Clock, FixedClock, SystemClock};

const USAGE: &str = "usage: lightsync follow --network NETWORK --beacon-api URL[,URL...]
    (--anchor-root ROOT | --checkpoint ROOT:EPOCH | --state-id ID)
    [--interval-ms MS] [--max-steps K] [--long-range strict|lenient|light] [--quorum K]
    [--now UNIX_SECONDS] [--timeout-ms MS]
  NETWORK: mainnet | sepolia | hoodi | holesky, `spec` or a config.yaml path.
  One JSON line per follow step on stdout ({\"step\",\"slot\",\"root\",\"epoch\",\"advanced\",...});
  a failed step prints {\"step\",\"error\":{\"code\",\"message\"}} and following goes on.
  Stops after --max-steps (default: never), at end of standard input, or on SIGINT.
  --interval-ms: wait between steps [12000].";

struct Args {
    network: NetworkChoice,
    urls: Vec<String>,
    source: SourceArg,
    interval_ms: u64,
    max_steps: Option<u64>,
    long_range: LongRange,
    quorum: Option<usize>,
    now: Option<u64>,
    timeout_ms: u64,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut network = None;
    let mut urls = Vec::new();
    let mut source = None;
    let mut interval_ms = 12_000;
    let mut max_steps = None;
    let mut long_range = LongRange::Strict;
    let mut quorum = None;
    let mut now = None;
    let mut timeout_ms = 10_000;
    let mut flags = Flags::new(args, Wording::GOT_NOTHING);
    while let Some(flag) = flags.next() {
        if is_help(flag) {
            return Err(HELP.into());
        }
        let value = flags.value()?;
        let mut set_source = |s: SourceArg| {
            if source.replace(s).is_some() {
                return Err(format!(
                    "{flag}: expected one of --anchor-root, --checkpoint, --state-id, got several"
                ));
            }
            Ok(())
        };
        match flag {
            "--network" => network = Some(NetworkChoice::from_arg(&value)?),
            "--beacon-api" => urls = parse_urls(&value)?,
            "--anchor-root" => set_source(SourceArg::Root(value))?,
            "--checkpoint" => set_source(SourceArg::Checkpoint(value))?,
            "--state-id" => set_source(SourceArg::StateId(value))?,
            "--interval-ms" => interval_ms = flags.parse_str(&value, "milliseconds")?,
            "--max-steps" => {
                max_steps = Some(flags.parse_str(&value, "a positive step count")?);
                if max_steps == Some(0) {
                    return Err("--max-steps: expected a positive step count, got `0`".into());
                }
            }
            "--long-range" => long_range = value.parse()?,
            "--quorum" => quorum = Some(flags.parse_str(&value, "a count")?),
            "--now" => now = Some(flags.parse_str(&value, "unix seconds")?),
            "--timeout-ms" => timeout_ms = flags.parse_str(&value, "milliseconds")?,
            _ => return Err(flags.unknown()),
        }
    }
    if urls.is_empty() {
        return Err("--beacon-api: expected at least one URL, got none".into());
    }
    Ok(Args {
        network: network
            .ok_or("--network: expected a network name or config.yaml path, got nothing")?,
        urls,
        source: source
            .ok_or("expected one of --anchor-root, --checkpoint, --state-id, got none")?,
        interval_ms,
        max_steps,
        long_range,
        quorum,
        now,
        timeout_ms,
    })
}

/// Runs the command; returns the exit code.
pub fn run(args: &[String]) -> i32 {
    run_parsed(USAGE, parse_args(args), |a| match a.now {
        Some(t) => follow(&a, &FixedClock(t)),
        None => follow(&a, &SystemClock),
    })
}

fn error_line(step: Option<u64>, code: &str, message: &str) -> serde_json::Value {
    let mut line = serde_json::json!({
        "error": { "code": code, "message": redact_credentials(message) }
    });
    if let Some(s) = step {
        line["step"] = s.into();
    }
    line
}

/// The line of one follow step.
fn step_line(
    net: &NetworkConfig,
    n: u64,
    step: &FollowStep,
    state: &FollowState,
) -> serde_json::Value {
    let tip = step.tip();
    let mut line = serde_json::json!({
        "step": n,
        "slot": tip.slot,
        "root": hex0x(tip.root),
        "epoch": net.compute_epoch_at_slot(tip.slot),
        "advanced": matches!(step, FollowStep::Advanced { .. }),
        "source": match state.source() {
            HeadSource::FinalityUpdate => "finality_update",
            HeadSource::Checkpoints => "finality_checkpoints",
        },
    });
    if let FollowStep::Advanced { from, linked, .. } = step {
        line["from_slot"] = from.slot.into();
        line["linked"] = (*linked).into();
    }
    line
}

/// When the next step may run. Today a timer (`--interval-ms`); an event stream of new
/// finalized checkpoints can replace [`Pacer::wait`] without touching the loop.
struct Pacer {
    interval: Duration,
    stop: Arc<AtomicBool>,
}

impl Pacer {
    /// Watches standard input: its end asks the loop to stop.
    fn new(interval_ms: u64) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            let mut sink = [0u8; 256];
            let mut stdin = std::io::stdin();
            while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
            flag.store(true, Ordering::SeqCst);
        });
        Pacer {
            interval: Duration::from_millis(interval_ms),
            stop,
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Waits until the next step is due; `false` when asked to stop meanwhile.
    fn wait(&self) -> bool {
        let until = Instant::now() + self.interval;
        while Instant::now() < until {
            if self.stopped() {
                return false;
            }
            std::thread::sleep((until - Instant::now()).min(Duration::from_millis(50)));
        }
        !self.stopped()
    }
}

fn follow<C: Clock>(a: &Args, clock: &C) -> i32 {
    let pacer = Pacer::new(a.interval_ms);
    let providers = providers(&a.urls, a.timeout_ms);
    let fail = |code: &str, message: &str| {
        println!("{}", error_line(None, code, message));
        eprintln!("error: {code}: {}", redact_credentials(message));
        1
    };
    let net = match network_of(&a.network, &providers, None) {
        Ok(n) => n,
        Err((code, m)) => return fail(code, &m),
    };
    let source = match source_of(&a.source) {
        Ok(s) => s,
        Err((code, m)) => return fail(code, &m),
    };
    let store = MemoryStore::new(&net.name, net.genesis_validators_root.0);
    let hooks = Printer::new(a.long_range);
    let anchored = match establish(
        &net,
        &providers,
        &store,
        clock,
        &hooks,
        a.long_range,
        a.quorum,
        &source,
    ) {
        Ok(x) => x,
        Err((code, m)) => return fail(code, &m),
    };
    eprintln!(
        "anchor: slot {} root {} ({}, long range {})",
        anchored.verified.anchor.slot,
        hex0x(anchored.verified.anchor.block_root),
        anchored.mode,
        long_range_name(a.long_range)
    );
    let overseer = Overseer {
        network: &net,
        providers: &providers,
        store: &store,
        clock,
        hooks: &hooks,
        long_range: a.long_range,
    };
    // The overseer's start decides the mode again (a lenient anchor follows as stale) and takes
    // the first step; after a light rebuild that step was already taken.
    let started = match anchored.started {
        Some(s) => s,
        None => match futures::executor::block_on(overseer.start()) {
            Ok(s) => s,
            Err(e) => return fail(e.code(), &e.to_string()),
        },
    };
    let mut state = started.following;
    println!("{}", step_line(&net, 1, &started.follow, &state));
    let mut n = 1;
    while a.max_steps.map_or(true, |m| n < m) && pacer.wait() {
        n += 1;
        match futures::executor::block_on(overseer.follow_step(&mut state)) {
            Ok(step) => println!("{}", step_line(&net, n, &step, &state)),
            Err(e) => println!("{}", step_error(n, &e)),
        }
    }
    0
}

fn step_error(n: u64, e: &OverseerError) -> serde_json::Value {
    error_line(Some(n), e.code(), &e.to_string())
}
