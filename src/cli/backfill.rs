//! `lightsync backfill`: verified header backfill from a trusted block root, over the same core
//! as the browser ([`crate::backfill`]), into an in-memory store.
//!
//! Prints one JSON object on success: `stored`, `skipped_non_linking`, `empty_slots`,
//! `oldest_slot`, `oldest_root`, `oldest_parent_root`, `target_slot`, `headers_per_second`, and
//! `providers`: `[{url, healthy, avoided, failures}]` (transient failures; a failing provider is
//! quarantined with backoff and its requests go to the others).
//! On failure prints `{"error":{"code","message"}}` on stdout and the message on stderr; a run
//! that did not reach its target (`BACKFILL_INCOMPLETE`) adds where the verified chain stops:
//! `target_slot`, `oldest_slot`, `expected_root` (the block it needs next), `lowest_slot`.
//! Exit codes: 0 done; 1 the backfill failed (the code says why); 2 bad usage.
//!
//! `--network` takes a built-in name (mainnet, sepolia, hoodi, holesky), a path to a
//! `config.yaml`, or `spec` (the config from the first answering provider's
//! `/eth/v1/config/spec`); see [`crate::network`]. Every provider is asked for its genesis: those
//! that answer must serve the network's genesis validators root (`WRONG_NETWORK` otherwise), and
//! the anchor header comes from any provider that serves it, so one provider that is down does not
//! stop the start. The root given by `--anchor-root` is trusted as given (no state is fetched, so
//! the weak-subjectivity rule, which needs the anchor state, does not apply here).

use super::{network_of, parse_urls, run_parsed, warn, Flags, Wording, HELP};
use crate::backfill::{
    Backfill, BackfillError, BackfillOptions, Target, DEFAULT_BATCH_SIZE, DEFAULT_CONCURRENCY,
};
use crate::beacon_api::{
    first_passing, redact_credentials, ApiError, BeaconApi, HeaderInfo, HttpBeaconApi, Next,
    Rejection, UreqTransport,
};
use crate::ctx::{Ctx, Env};
use crate::event::Event;
use crate::network::{check_providers_genesis, NetworkChoice};
use crate::store::{AnchorRecord, MemoryStore, Store, Trust};
use crate::types::{hex0x, parse_hex0x};
use crate::ws::SystemClock;
use futures::executor::block_on;

const USAGE: &str = "usage: lightsync backfill --beacon-api URL[,URL...] --network NETWORK \
--anchor-root 0xROOT [--to-slot SLOT|genesis] [--concurrency C] [--batch-size B] [--timeout-ms MS] [--progress]\n\
  NETWORK: mainnet | sepolia | hoodi | holesky, `spec` or a config.yaml path;\n\
  default target: the MIN_EPOCHS_FOR_BLOCK_REQUESTS horizon; --progress prints events on stderr";

/// Per-request timeout of the CLI, in milliseconds.
const DEFAULT_TIMEOUT_MS: u64 = 10_000;

struct Args {
    urls: Vec<String>,
    network: NetworkChoice,
    anchor_root: [u8; 32],
    target: Target,
    concurrency: usize,
    batch_size: u64,
    timeout_ms: u64,
    progress: bool,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut urls = None;
    let mut network = None;
    let mut anchor_root = None;
    let mut target = Target::Horizon;
    let mut concurrency = DEFAULT_CONCURRENCY;
    let mut batch_size = DEFAULT_BATCH_SIZE;
    let mut timeout_ms = DEFAULT_TIMEOUT_MS;
    let mut progress = false;
    let mut flags = Flags::new(args, Wording::GOT_NONE);
    while let Some(flag) = flags.next() {
        match flag {
            "-h" | "--help" => return Err(HELP.into()),
            "--beacon-api" => urls = Some(parse_urls(&flags.value()?)?),
            "--network" => network = Some(NetworkChoice::from_arg(&flags.value()?)?),
            "--anchor-root" => {
                anchor_root = Some(flags.parse_with("0x + 64 hex digits", parse_hex0x)?)
            }
            "--to-slot" => {
                target = flags.parse_with("a slot number or `genesis`", |v| match v {
                    "genesis" => Some(Target::Genesis),
                    slot => slot.parse().ok().map(Target::Slot),
                })?
            }
            "--concurrency" => concurrency = flags.parse("a request count")?,
            "--batch-size" => batch_size = flags.parse("a slot count")?,
            "--timeout-ms" => timeout_ms = flags.parse("milliseconds")?,
            "--progress" => progress = true,
            _ => return Err(flags.unknown()),
        }
    }
    let urls = urls
        .filter(|u| !u.is_empty())
        .ok_or("--beacon-api: expected at least one URL, got none")?;
    Ok(Args {
        urls,
        network: network.ok_or("--network: expected a value, got none")?,
        anchor_root: anchor_root.ok_or("--anchor-root: expected a value, got none")?,
        target,
        concurrency,
        batch_size,
        timeout_ms,
        progress,
    })
}

struct CliHooks {
    progress: bool,
    started: std::time::Instant,
}

impl Env for CliHooks {
    fn emit(&self, event: &Event) {
        if self.progress {
            eprintln!("{event:?}");
        }
    }
    fn now_ms(&self) -> Option<f64> {
        Some(self.started.elapsed().as_secs_f64() * 1000.0)
    }
}

fn fail(code: &str, message: &str) -> i32 {
    fail_with(code, message, serde_json::Map::new())
}

/// Prints `{"error":{"code","message",…fields}}` and the message on stderr; returns 1.
fn fail_with(code: &str, message: &str, fields: serde_json::Map<String, serde_json::Value>) -> i32 {
    let message = &redact_credentials(message);
    let mut error = serde_json::json!({ "code": code, "message": message });
    error.as_object_mut().expect("an object").extend(fields);
    println!("{}", serde_json::json!({ "error": error }));
    eprintln!("error: {code}: {message}");
    1
}

/// A failed run: its code and message, and where the verified chain stops when the target was
/// not reached (`target_slot`, `oldest_slot`, `expected_root`, `lowest_slot`).
fn fail_backfill(e: &BackfillError) -> i32 {
    let mut fields = serde_json::Map::new();
    if let BackfillError::Incomplete {
        target_slot,
        oldest_slot,
        expected_root,
        lowest_slot,
    } = e
    {
        fields.insert("target_slot".into(), (*target_slot).into());
        fields.insert("oldest_slot".into(), (*oldest_slot).into());
        fields.insert("expected_root".into(), hex0x(expected_root).into());
        fields.insert("lowest_slot".into(), (*lowest_slot).into());
    }
    fail_with(e.code(), &e.to_string(), fields)
}

/// Runs `lightsync backfill` and returns the exit code.
pub fn run(args: &[String]) -> i32 {
    run_parsed(USAGE, parse_args(args), backfill_and_print)
}

/// Backfills as `a` asks and prints the summary; returns the exit code.
fn backfill_and_print(a: Args) -> i32 {
    // Each provider's batches run `concurrency` requests at a time (blocking threads natively).
    let providers: Vec<_> = a
        .urls
        .iter()
        .map(|u| HttpBeaconApi::new(u, UreqTransport::new(a.timeout_ms, a.concurrency)))
        .collect();
    let network = match network_of(&a.network, &providers, None) {
        Ok(n) => n,
        Err((code, m)) => return fail(code, &m),
    };
    // A config's genesis was already taken from (and agreed by) every provider; a built-in
    // network's root is checked against each of them here.
    if matches!(a.network, NetworkChoice::BuiltIn(_)) {
        match block_on(check_providers_genesis(&network, &providers)) {
            Ok(failed) => {
                for (p, e) in failed {
                    warn(
                        "PROVIDER_FAILED",
                        &format!("{p} did not answer ({}): {e}", e.code()),
                    );
                }
            }
            Err(e) => return fail(e.code(), &e.to_string()),
        }
    }
    let top = match anchor_header(&providers, &a.anchor_root) {
        Ok(h) => h,
        Err((code, m)) => return fail(code, &m),
    };
    let store = MemoryStore::new(&network.name, network.genesis_validators_root.0);
    let slot = top.header.slot;
    let anchor = AnchorRecord {
        providers: providers.iter().map(|p| p.base_url().to_string()).collect(),
        // No state here: the root is trusted as given, so no weak-subjectivity expiry applies.
        ws_period_epochs: u64::MAX / 2,
        ..AnchorRecord::new(
            network.name.clone(),
            slot,
            network.compute_epoch_at_slot(slot),
            a.anchor_root,
            top.header.state_root.0,
            network.fork_at_slot(slot),
            Trust::BlockRoot,
        )
    };
    if let Err(e) = block_on(store.put_anchor(&anchor, true)) {
        return fail("STORE", &e.to_string());
    }
    let hooks = CliHooks {
        progress: a.progress,
        started: std::time::Instant::now(),
    };
    let bf = Backfill {
        ctx: Ctx {
            network: &network,
            providers: &providers,
            store: &store,
            clock: &SystemClock,
        },
        env: &hooks,
        options: BackfillOptions {
            target: a.target,
            batch_size: a.batch_size,
            // Natively each lane blocks until its call is done: one lane per provider, whose
            // calls of `concurrency` slots keep the transport's threads busy (and a silent
            // provider costs one timeout per call before it is quarantined).
            concurrency: 1,
            slots_per_call: a.concurrency.max(1),
            ..BackfillOptions::default()
        },
        known: None,
    };
    match block_on(bf.run()) {
        Ok(s) => {
            println!(
                "{}",
                serde_json::json!({
                    "stored": s.stored,
                    "skipped_non_linking": s.skipped_non_linking,
                    "empty_slots": s.empty_slots,
                    "oldest_slot": s.oldest_slot,
                    "oldest_root": hex0x(s.oldest_root),
                    "oldest_parent_root": hex0x(s.oldest_parent_root),
                    "target_slot": s.target_slot,
                    "headers_per_second": s.headers_per_second,
                    "providers": s.providers.iter().map(|p| serde_json::json!({
                        "url": p.url,
                        "healthy": p.healthy,
                        "avoided": p.avoided,
                        "failures": p.failures,
                    })).collect::<Vec<_>>(),
                })
            );
            0
        }
        Err(e) => fail_backfill(&e),
    }
}

/// The anchor's header from the first provider that serves it (its root is checked by the
/// client). Providers that fail are reported; 404 everywhere is `ANCHOR_NOT_FOUND`.
fn anchor_header<'p, A: BeaconApi>(
    providers: &'p [A],
    root: &[u8; 32],
) -> Result<HeaderInfo, (&'static str, String)> {
    // `Err(None)`: the provider answered 404.
    let header = |p: &'p A| async move {
        match p.header_by_root(root).await {
            Ok(Some(h)) => Ok(h),
            Ok(None) => Err(None),
            Err(e) => Err(Some(e)),
        }
    };
    let mut failures = Vec::new();
    let judge = |r: &Rejection<Option<ApiError>>, _| {
        if let Some(e) = &r.error {
            failures.push(format!("{} did not answer ({}): {e}", r.provider, e.code()));
        }
        Next::Try
    };
    let rejected = match block_on(first_passing(providers, header, judge)) {
        Ok(h) => {
            for failure in &failures {
                warn("PROVIDER_FAILED", failure);
            }
            return Ok(h);
        }
        Err(rejected) => rejected,
    };
    let (missing, failed): (Vec<Rejection<Option<ApiError>>>, _) = rejected
        .rejections
        .into_iter()
        .partition(|r| r.error.is_none());
    if missing.is_empty() {
        if let Some(e) = failed.into_iter().find_map(|r| r.error) {
            return Err((e.code(), e.to_string()));
        }
    }
    let missing: Vec<String> = missing.into_iter().map(|r| r.provider).collect();
    Err((
        "ANCHOR_NOT_FOUND",
        format!(
            "expected a provider to serve the header {}, got 404 from {}",
            hex0x(root),
            missing.join(", ")
        ),
    ))
}
