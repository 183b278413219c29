//! `lightsync follow`: establish a verified anchor (the checkpoint flow, with the long-range
//! modes of `checkpoint`), then follow finality forward with the core follow loop
//! ([`crate::longrange::Overseer::follow_events`]: the providers' finality checkpoints, or
//! verified light-client finality updates after a light rebuild; a new finalized block is
//! accepted only when its hash chain reaches the previous tip).
//!
//! Steps are taken on the node's event stream (`/eth/v1/events`: `finalized_checkpoint`, plus
//! `light_client_finality_update` after a light rebuild), with a slower poll as a safety net;
//! when the stream cannot be opened or drops, following polls and reconnects with backoff (to
//! the next provider). `--poll` never subscribes. Events are only hints: every step is verified
//! as a poll's is. Stream changes are reported on standard error.
//!
//! Prints one JSON line per step on stdout: `{"step","slot","root","epoch","advanced",
//! "from_slot","linked","source","latency_ms","verified_by"}` where `source` is what triggered
//! the step (`start`, `event` or `poll`), `latency_ms` the time from the node's event announcing
//! the new tip to the tip being stored (`null` when no event announced it) and `verified_by`
//! `finality_checkpoints` or `finality_update`. A failed step prints
//! `{"step","error":{"code","message"}}` and following goes on (the tip stays). Stops after
//! `--max-steps`, at end of standard input, or on SIGINT (lines already printed are complete).
//! Exit codes: 0 followed; 1 no anchor could be established (one error line); 2 bad usage.

use std::cell::Cell;
use std::io::Read;
#[cfg(not(unix))]
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(not(unix))]
use std::sync::Arc;
use std::time::Instant;

use super::checkpoint::{establish, long_range_name, providers, source_of, Printer, SourceArg};
use super::{is_help, network_of, parse_urls, run_parsed, Flags, Wording, HELP};
use crate::beacon_api::redact_credentials;
use crate::checkpoint::LongRange;
use crate::config::NetworkConfig;
use crate::ctx::{Ctx, Env};
use crate::event::{Event, Failure};
use crate::longrange::follow::FollowStep;
use crate::longrange::{BlockingFollowIo, FollowOptions, FollowState, Overseer, StreamStatus};
use crate::network::NetworkChoice;
use crate::store::{HeadSource, MemoryStore};
use crate::types::hex0x;
use crate::ws::{Clock, FixedClock, SystemClock};

const USAGE: &str = "usage: lightsync follow --network NETWORK --beacon-api URL[,URL...]
    (--anchor-root ROOT | --checkpoint ROOT:EPOCH | --state-id ID)
    [--poll] [--interval-ms MS] [--max-steps K] [--long-range strict|lenient|light]
    [--quorum K] [--now UNIX_SECONDS] [--timeout-ms MS]
  NETWORK: mainnet | sepolia | hoodi | holesky, `spec` or a config.yaml path.
  Follows by the node's event stream (/eth/v1/events), polling while it is down; --poll: poll only.
  One JSON line per follow step on stdout ({\"step\",\"slot\",\"root\",\"epoch\",\"advanced\",
  \"source\":\"start|event|poll\",\"latency_ms\",\"verified_by\",...}); a failed step prints
  {\"step\",\"error\":{\"code\",\"message\"}} and following goes on.
  Stops after --max-steps (default: never), at end of standard input, or on SIGINT.
  --interval-ms: wait between polls [one slot without a stream, one epoch with one].";

struct Args {
    network: NetworkChoice,
    urls: Vec<String>,
    source: SourceArg,
    interval_ms: Option<u64>,
    poll: bool,
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
    let mut interval_ms = None;
    let mut poll = false;
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
        if flag == "--poll" {
            poll = true;
            continue;
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
            "--interval-ms" => interval_ms = Some(flags.parse_str(&value, "milliseconds")?),
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
        poll,
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

/// The line of step `n`: `source` triggered it, `latency_ms` from the announcing event.
fn step_line(
    net: &NetworkConfig,
    n: u64,
    step: &FollowStep,
    verified_by: HeadSource,
    source: &str,
    latency_ms: Option<f64>,
) -> serde_json::Value {
    let tip = step.tip();
    let mut line = serde_json::json!({
        "step": n,
        "slot": tip.slot,
        "root": hex0x(tip.root),
        "epoch": net.compute_epoch_at_slot(tip.slot),
        "advanced": matches!(step, FollowStep::Advanced { .. }),
        "source": source,
        "latency_ms": latency_ms.map(|ms| (ms * 10.0).round() / 10.0),
        "verified_by": match verified_by {
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

/// Standard input's end (or SIGINT, which ends the process) stops following. On Unix it is
/// checked without blocking each time the loop asks whether to go on (before every step), so an
/// input already at its end stops the loop before its second step, however loaded the machine.
#[cfg(unix)]
fn stdin_ended() -> impl Fn() -> bool {
    let ended = Cell::new(false);
    move || {
        if !ended.get() {
            ended.set(stdin_at_end());
        }
        ended.get()
    }
}

/// Drains what standard input holds now; true at its end (or when it cannot be read).
#[cfg(unix)]
fn stdin_at_end() -> bool {
    let mut sink = [0u8; 256];
    loop {
        let mut fd = libc::pollfd {
            fd: libc::STDIN_FILENO,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid `pollfd` and its count; a zero timeout never blocks.
        if unsafe { libc::poll(&mut fd, 1, 0) } <= 0 {
            return false;
        }
        if fd.revents & libc::POLLNVAL != 0 {
            return true;
        }
        // `poll` says a read does not block: it returns data, or 0 at the end.
        match std::io::stdin().read(&mut sink) {
            Ok(0) | Err(_) => return true,
            Ok(_) => {}
        }
    }
}

/// Elsewhere a thread waits for the end of standard input and sets a flag.
#[cfg(not(unix))]
fn stdin_ended() -> impl Fn() -> bool {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::spawn(move || {
        let mut sink = [0u8; 256];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        flag.store(true, Ordering::SeqCst);
    });
    move || stop.load(Ordering::SeqCst)
}

/// The follow loop's env: one stdout line per step, stream changes on stderr, the rest as
/// `checkpoint` reports it.
struct StepPrinter<'a> {
    inner: &'a Printer,
    net: &'a NetworkConfig,
    verified_by: HeadSource,
    /// Lines printed so far (the start's step included).
    steps: Cell<u64>,
}

impl Env for StepPrinter<'_> {
    fn emit(&self, event: &Event) {
        match event {
            Event::Followed(f) => {
                let n = self.steps.get() + 1;
                self.steps.set(n);
                let line = step_line(
                    self.net,
                    n,
                    &f.step,
                    self.verified_by,
                    f.source.as_str(),
                    f.latency_ms,
                );
                println!("{line}");
            }
            Event::FollowFailed(e) => {
                let n = self.steps.get() + 1;
                self.steps.set(n);
                println!("{}", step_error(n, e));
            }
            Event::Execution {
                source,
                slot,
                execution: e,
                ..
            } => eprintln!(
                "execution: {} at slot {slot}: block {} {}",
                source.as_str(),
                e.block_number,
                hex0x(e.block_hash)
            ),
            Event::Stream(StreamStatus::Open { url }) => {
                eprintln!("events: open {}", redact_credentials(url))
            }
            Event::Stream(StreamStatus::Down {
                url,
                error,
                retry_in_ms,
            }) => eprintln!(
                "events: {} down ({}: {}); polling, next attempt in {:.0} ms",
                redact_credentials(url),
                error.code(),
                redact_credentials(&error.to_string()),
                retry_in_ms
            ),
            other => Env::emit(self.inner, other),
        }
    }
}

fn follow<C: Clock>(a: &Args, clock: &C) -> i32 {
    let stdin_ended = stdin_ended();
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
    let hooks = Printer::default();
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
    let ctx = Ctx {
        network: &net,
        providers: &providers,
        store: &store,
        clock,
    };
    let overseer = Overseer {
        ctx,
        env: &hooks,
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
    let printer = StepPrinter {
        inner: &hooks,
        net: &net,
        verified_by: state.source(),
        steps: Cell::new(1),
    };
    println!(
        "{}",
        step_line(&net, 1, &started.follow, printer.verified_by, "start", None)
    );
    let following = Overseer {
        ctx,
        env: &printer,
        long_range: a.long_range,
    };
    let mut options = FollowOptions::for_network(&net);
    if let Some(ms) = a.interval_ms {
        options = options.with_poll_ms(ms as f64);
    }
    options.events = !a.poll;
    let keep_going =
        |_: &FollowState| !stdin_ended() && a.max_steps.is_none_or(|m| printer.steps.get() < m);
    let io = BlockingFollowIo {
        started: Instant::now(),
        idle_timeout_ms: idle_timeout_ms(&net),
        keep_going: &keep_going,
    };
    futures::executor::block_on(following.follow_events(&mut state, &io, &options));
    0
}

/// How long a silent event stream is kept: nodes send keep-alive comments well within an epoch
/// (and the devnet within seconds), so a stream silent for two epochs (at least 30 s) is dead.
fn idle_timeout_ms(net: &NetworkConfig) -> u64 {
    (2 * net.slots_per_epoch() * net.seconds_per_slot * 1000).max(30_000)
}

fn step_error(n: u64, e: &Failure) -> serde_json::Value {
    error_line(Some(n), e.code, &e.message)
}
