//! `lightsync bench`: native speed of the SHA-256 node kernels and of the state merkleizer.
//!
//! Prints two tables: ns per 64-byte node for each kernel available on this CPU, one node per
//! call ("single") and 4096 nodes per call ("batched"); and MB/s of `hash_tree_root(state)` for
//! the fast path (SSZ bytes in place) against the typed path (SSZ decode into
//! `types::AnyBeaconState`, then `tree_hash`). The state is the mainnet genesis state from the
//! fixtures (`--state FILE` to choose another phase0 mainnet state), and optionally the same state
//! with its registry inflated to `--validators N` records, to see mainnet scale (~2M).

use super::{quote_backtick, Flags, Wording};
use crate::config::NetworkConfig;
use crate::light::bench as light_bench;
use crate::light::input::{parse_bootstrap, parse_updates_json};
use crate::merkle::{self, Kernel, StateView};
use crate::types::hex0x;
use crate::types::light_client::{LightClientBootstrap, LightClientUpdate};
use crate::types::{AnyBeaconState, ForkName, Mainnet, PresetName};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: lightsync bench [--state FILE] [--validators N] [--seconds S]\n\
  --state FILE      phase0 mainnet BeaconState SSZ (default: $LIGHTSYNC_FIXTURES or\n\
                    ../shared/fixtures, genesis-states/mainnet-genesis.ssz)\n\
  --validators N    also time the state re-encoded with N validators (e.g. 2000000)\n\
  --seconds S       time budget per measurement (default 0.5)";

const ROOT_USAGE: &str =
    "usage: lightsync bench root [--json] [--runs N] [--threads T] [--fork F] [--preset P] FILE\n\
  times hash_tree_root(BeaconState) of an SSZ file: best and median of N runs (default 5),\n\
  on T threads (default 1; tasks of merkle::StatePlan spread over the threads);\n\
  --json prints one JSON line {root, bytes, bestMs, medianMs, bestMBps, nodes, kernel, threads}";

/// The flags of a bench command whose usage is `$usage`: a flag without its value prints
/// `expected a value after FLAG` and the usage; rejected values are quoted in backticks.
macro_rules! bench_flags {
    ($args:expr, $usage:ident) => {
        Flags::new(
            $args,
            Wording {
                missing: |flag| format!("expected a value after {flag}\n{}", $usage),
                quote: quote_backtick,
            },
        )
    };
}

/// Runs the benchmark with `args` (after `bench`); returns the exit code.
pub fn run(args: &[String]) -> i32 {
    let result = match args.first().map(String::as_str) {
        Some("root") => run_root(&args[1..]),
        Some("verify") => run_verify(&args[1..]),
        Some("progressive") => run_progressive(&args[1..]),
        Some("light") => run_light(&args[1..]),
        _ => run_inner(args),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

/// `hash_tree_root` of a state on `threads` threads: the plan's tasks are dealt round-robin,
/// each thread hashes its share with its own [`merkle::TaskHasher`], and the roots are combined.
fn threaded_root(
    bytes: &[u8],
    fork: ForkName,
    preset: PresetName,
    threads: usize,
) -> Result<[u8; 32], String> {
    let plan = merkle::StatePlan::new(bytes, bytes.len(), fork, preset, merkle::DEFAULT_TASK_BYTES)
        .map_err(|e| e.to_string())?;
    let n = plan.tasks().len();
    let mut roots = vec![[0u8; 32]; n];
    type TaskRoots = Result<Vec<(usize, [u8; 32])>, String>;
    let results: Vec<TaskRoots> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|t| {
                let plan = &plan;
                s.spawn(move || {
                    let mut h = merkle::TaskHasher::new(fork, preset);
                    let mut out = Vec::new();
                    for i in (t..n).step_by(threads.max(1)) {
                        let task = &plan.tasks()[i];
                        let r = h
                            .hash(&task.spec, &bytes[task.range.clone()])
                            .map_err(|e| e.to_string())?;
                        out.push((i, r));
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a hashing thread panicked".into()))
            })
            .collect()
    });
    for r in results {
        for (i, root) in r? {
            roots[i] = root;
        }
    }
    plan.combine(&roots, &mut merkle::tree::Reducer::new())
        .map_err(|e| e.to_string())
}

fn run_root(args: &[String]) -> Result<(), String> {
    let (mut json, mut runs, mut threads) = (false, 5usize, 1usize);
    let (mut fork, mut preset) = (ForkName::Phase0, PresetName::Mainnet);
    let mut file = None;
    let mut flags = bench_flags!(args, ROOT_USAGE);
    while let Some(a) = flags.next() {
        match a {
            "--json" => json = true,
            "--runs" => runs = flags.positive_count()?,
            "--threads" => threads = flags.positive_count()?,
            "--fork" => fork = flags.value()?.parse().map_err(|e| format!("--fork: {e}"))?,
            "--preset" => {
                preset = flags
                    .value()?
                    .parse()
                    .map_err(|e| format!("--preset: {e}"))?
            }
            "-h" | "--help" => {
                println!("{ROOT_USAGE}");
                return Ok(());
            }
            f if !f.starts_with("--") && file.is_none() => file = Some(PathBuf::from(f)),
            other => return Err(format!("unexpected argument `{other}`\n{ROOT_USAGE}")),
        }
    }
    let file = file.ok_or_else(|| format!("expected a FILE\n{ROOT_USAGE}"))?;
    let bytes =
        std::fs::read(&file).map_err(|e| format!("reading state {}: {e}", file.display()))?;
    let mut job = merkle::StateRootJob::new(&bytes, fork, preset).map_err(|e| e.to_string())?;
    let root = loop {
        if let merkle::Progress::Done(r) = job.step(u64::MAX).map_err(|e| e.to_string())? {
            break r;
        }
    };
    let nodes = job.nodes_hashed();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let r = if threads == 1 {
            merkle::state_root(&bytes, fork, preset).map_err(|e| e.to_string())?
        } else {
            threaded_root(&bytes, fork, preset, threads)?
        };
        times.push(t.elapsed().as_secs_f64() * 1e3);
        if r != root {
            return Err(format!(
                "root changed between runs: 0x{} then 0x{}",
                hex::encode(root),
                hex::encode(r)
            ));
        }
    }
    times.sort_by(f64::total_cmp);
    let (best, median) = (times[0], times[times.len() / 2]);
    let mb = bytes.len() as f64 / 1e6;
    let kernel = merkle::best_kernel().name();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "root": hex0x(root),
                "bytes": bytes.len(),
                "bestMs": best,
                "medianMs": median,
                "bestMBps": mb / (best / 1e3),
                "nodes": nodes,
                "nsPerNode": best * 1e6 / nodes.max(1) as f64,
                "kernel": kernel,
                "threads": threads,
            })
        );
    } else {
        println!(
            "0x{}  {:.1} MB  best {best:.1} ms  median {median:.1} ms  {:.0} MB/s  {nodes} nodes  kernel {kernel}  threads {threads}",
            hex::encode(root),
            mb,
            mb / (best / 1e3)
        );
    }
    Ok(())
}

const PROGRESSIVE_USAGE: &str = "usage: lightsync bench progressive [--items N] [--seconds S]\n\
  times hash_tree_root of N items (default 1000000) as ProgressiveList[T] (EIP-7916) against\n\
  List[T, 2**40], for T = uint64 and T = Checkpoint (a 40-byte container): from the SSZ bytes\n\
  (merkle::hash_tree_root) and typed (tree_hash); --seconds is the budget per row (default 0.5)";

/// `bench progressive`: a progressive list's root against a limited list's over the same items,
/// from bytes and typed. They should cost the same order: the progressive tree hashes the same
/// leaves, a spine of one hash per subtree, and no zero padding up to the limit.
fn run_progressive(args: &[String]) -> Result<(), String> {
    use crate::types::{phase0::Checkpoint, ProgressiveList, SszSchema, VariableList};
    use ssz::Encode;
    use ssz_types::typenum::U1099511627776 as Limit;
    use tree_hash::TreeHash;

    let (mut items, mut seconds) = (1_000_000usize, 0.5f64);
    let mut flags = bench_flags!(args, PROGRESSIVE_USAGE);
    while let Some(a) = flags.next() {
        match a {
            "--items" => items = flags.positive_count()?,
            "--seconds" => {
                seconds = flags.parse_with("a positive number of seconds", |v| {
                    v.parse().ok().filter(|&s: &f64| s > 0.0 && s.is_finite())
                })?
            }
            "-h" | "--help" => {
                println!("{PROGRESSIVE_USAGE}");
                return Ok(());
            }
            other => {
                return Err(format!(
                    "unexpected argument `{other}`\n{PROGRESSIVE_USAGE}"
                ))
            }
        }
    }
    let budget = Duration::from_secs_f64(seconds);
    let n = items as u64;
    let row = |label: &str, list_ns: f64, prog_ns: f64| {
        println!(
            "{label:<26} {list_ns:>12.1} {prog_ns:>14.1} {:>8.2}",
            prog_ns / list_ns
        );
    };
    println!(
        "{items} items, ns per item, kernel {}",
        merkle::best_kernel().name()
    );
    println!(
        "{:<26} {:>12} {:>14} {:>8}",
        "", "List[T,2^40]", "ProgressiveList", "ratio"
    );

    /// The two rows of element type `T` (`name`): `List[T, 2^40]` and `ProgressiveList[T]` over
    /// `items`, hashed from their SSZ bytes and typed, once both ways agree on both roots.
    fn rows<T: Clone + Encode + ssz::Decode + TreeHash + SszSchema>(
        name: &str,
        items: Vec<T>,
        budget: Duration,
        row: impl Fn(&str, f64, f64),
    ) -> Result<(), String> {
        let n = items.len() as u64;
        let list = VariableList::<T, Limit>::new(items.clone()).map_err(|e| format!("{e:?}"))?;
        let prog = ProgressiveList::new(items);
        let bytes = prog.as_ssz_bytes();
        let (list_ty, prog_ty) = (
            VariableList::<T, Limit>::ssz_type(),
            ProgressiveList::<T>::ssz_type(),
        );
        if merkle::hash_tree_root(list_ty, &bytes) != Ok(list.tree_hash_root().0)
            || merkle::hash_tree_root(prog_ty, &bytes) != Ok(prog.tree_hash_root().0)
        {
            return Err(format!(
                "expected the typed and byte-level roots of the {name} lists to agree"
            ));
        }
        row(
            &format!("{name}, from bytes"),
            time_per(budget, n, || {
                let _ = std::hint::black_box(merkle::hash_tree_root(list_ty, &bytes));
            }),
            time_per(budget, n, || {
                let _ = std::hint::black_box(merkle::hash_tree_root(prog_ty, &bytes));
            }),
        );
        row(
            &format!("{name}, typed"),
            time_per(budget, n, || {
                let _ = std::hint::black_box(list.tree_hash_root());
            }),
            time_per(budget, n, || {
                let _ = std::hint::black_box(prog.tree_hash_root());
            }),
        );
        Ok(())
    }

    let words: Vec<u64> = (0..n)
        .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .collect();
    rows("uint64", words, budget, row)?;
    let checkpoints: Vec<Checkpoint> = (0..n)
        .map(|i| Checkpoint {
            epoch: i,
            root: crate::types::Hash256::repeat_byte(i as u8),
        })
        .collect();
    rows("Checkpoint", checkpoints, budget, row)?;
    Ok(())
}

const VERIFY_USAGE: &str = "usage: lightsync bench verify [--headers N] [--runs R]\n\
  times store::verify::verify_store over a stored chain of N headers (default 1000000): every\n\
  header re-hashed (hash_tree_root, 6 compressions) and linked to its child; best, median and\n\
  max of R runs (3)";

/// `bench verify`: the whole-chain re-walk of `verifyStore()`, natively, over an in-memory store.
fn run_verify(args: &[String]) -> Result<(), String> {
    let (mut headers, mut runs) = (1_000_000u64, 3usize);
    let mut flags = bench_flags!(args, VERIFY_USAGE);
    while let Some(a) = flags.next() {
        match a {
            "--headers" => headers = flags.positive_count()?,
            "--runs" => runs = flags.positive_count()?,
            "-h" | "--help" => {
                println!("{VERIFY_USAGE}");
                return Ok(());
            }
            other => return Err(format!("unexpected argument `{other}`\n{VERIFY_USAGE}")),
        }
    }
    let store = crate::store::verify::bench_store(headers);
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let report = futures::executor::block_on(crate::store::verify::verify_store(
            &store,
            crate::store::verify::VERIFY_BATCH_SLOTS,
        ))
        .map_err(|e| e.to_string())?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        if report.checked != headers || report.first_broken.is_some() {
            return Err(format!(
                "expected {headers} headers verified, got {} (broken: {:?})",
                report.checked, report.first_broken
            ));
        }
    }
    times.sort_by(f64::total_cmp);
    let (best, median, worst) = (times[0], times[times.len() / 2], times[times.len() - 1]);
    println!(
        "verify_store: {headers} headers  best {best:.1} ms  median {median:.1} ms  max {worst:.1} ms  \
         {:.2} M headers/s  kernel {}",
        headers as f64 / (best / 1e3) / 1e6,
        merkle::best_kernel().name()
    );
    Ok(())
}

fn run_inner(args: &[String]) -> Result<(), String> {
    let mut state_path: Option<PathBuf> = None;
    let mut validators: Option<usize> = None;
    let mut seconds = 0.5f64;
    let mut flags = bench_flags!(args, USAGE);
    while let Some(a) = flags.next() {
        match a {
            "--state" => state_path = Some(PathBuf::from(flags.value()?)),
            "--validators" => {
                let v = flags.value()?;
                validators = Some(
                    v.parse()
                        .map_err(|_| format!("expected a count for --validators, got `{v}`"))?,
                );
            }
            "--seconds" => {
                let v = flags.value()?;
                seconds = v
                    .parse()
                    .ok()
                    .filter(|s: &f64| *s > 0.0)
                    .ok_or_else(|| format!("expected positive seconds, got `{v}`"))?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    let budget = Duration::from_secs_f64(seconds);

    println!(
        "SHA-256 node kernels (ns per 64-byte node; best kernel: {})",
        merkle::best_kernel().name()
    );
    println!("{:<12} {:>12} {:>12}", "kernel", "single", "batched");
    let batch = 4096usize;
    let input: Vec<u8> = (0..batch * 64).map(|i| (i * 31 + 7) as u8).collect();
    let mut out = vec![0u8; batch * 32];
    for k in Kernel::ALL {
        if !k.is_available() {
            continue;
        }
        let single = time_per(budget, 1, || {
            k.hash_nodes(&input[..64], &mut out[..32]);
        });
        let batched = time_per(budget, batch as u64, || {
            k.hash_nodes(&input, &mut out);
        });
        println!("{:<12} {:>12.1} {:>12.1}", k.name(), single, batched);
    }

    let path = match state_path {
        Some(p) => p,
        None => std::env::var_os("LIGHTSYNC_FIXTURES")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("../shared/fixtures"))
            .join("genesis-states/mainnet-genesis.ssz"),
    };
    let bytes =
        std::fs::read(&path).map_err(|e| format!("reading state {}: {e}", path.display()))?;
    println!();
    println!(
        "hash_tree_root(BeaconState), phase0 mainnet ({})",
        path.display()
    );
    println!(
        "{:<28} {:>10} {:>10} {:>10} {:>12}",
        "case", "MB", "ms", "MB/s", "ns/node"
    );
    state_rows("genesis", &bytes, budget, true)?;
    if let Some(n) = validators {
        let big = inflate_registry(&bytes, n)?;
        state_rows(&format!("{n} validators"), &big, budget, false)?;
    }
    Ok(())
}

/// Average nanoseconds per item of `f`, repeated until `budget` is spent.
fn time_per(budget: Duration, items: u64, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    let mut runs = 0u64;
    while start.elapsed() < budget || runs == 0 {
        f();
        runs += 1;
    }
    start.elapsed().as_nanos() as f64 / (runs * items) as f64
}

fn state_rows(label: &str, bytes: &[u8], budget: Duration, typed: bool) -> Result<(), String> {
    let mb = bytes.len() as f64 / 1e6;
    let mut nodes = 0;
    let mut root = [0u8; 32];
    let fast_ns = time_per(budget, 1, || {
        let mut job = merkle::StateRootJob::new(bytes, ForkName::Phase0, PresetName::Mainnet)
            .expect("validated below");
        while let Ok(p) = job.step(u64::MAX) {
            if let merkle::Progress::Done(r) = p {
                root = r;
                break;
            }
        }
        nodes = job.nodes_hashed();
    });
    // Surface a bad input as an error rather than timing garbage.
    let checked = merkle::state_root(bytes, ForkName::Phase0, PresetName::Mainnet)
        .map_err(|e| e.to_string())?;
    let ms = fast_ns / 1e6;
    println!(
        "{:<28} {:>10.1} {:>10.1} {:>10.0} {:>12.1}",
        format!("{label}: fast path"),
        mb,
        ms,
        mb / (ms / 1e3),
        fast_ns / nodes.max(1) as f64
    );
    println!("{:<28} 0x{}", "  root", hex::encode(checked));
    if root != checked {
        return Err("incremental and one-shot roots differ".into());
    }
    if typed {
        let mut typed_root = [0u8; 32];
        let mut err = None;
        let typed_ns = time_per(
            budget,
            1,
            || match AnyBeaconState::<Mainnet>::from_ssz_bytes(ForkName::Phase0, bytes) {
                Ok(s) => typed_root = s.tree_hash_root().0,
                Err(e) => err = Some(e.to_string()),
            },
        );
        if let Some(e) = err {
            return Err(format!("typed decode: {e}"));
        }
        let ms = typed_ns / 1e6;
        println!(
            "{:<28} {:>10.1} {:>10.1} {:>10.0} {:>12}",
            format!("{label}: typed + tree_hash"),
            mb,
            ms,
            mb / (ms / 1e3),
            "-"
        );
        if typed_root != checked {
            return Err(format!(
                "typed root 0x{} differs from fast root",
                hex::encode(typed_root)
            ));
        }
    }
    Ok(())
}

/// Re-encodes a phase0 state with `n` validators and balances (records repeated cyclically),
/// recomputing the offsets, to time mainnet-sized registries without a mainnet-sized file.
fn inflate_registry(bytes: &[u8], n: usize) -> Result<Vec<u8>, String> {
    let (fork, preset) = (ForkName::Phase0, PresetName::Mainnet);
    let view = StateView::new(bytes, fork, preset).map_err(|e| e.to_string())?;
    let schema = merkle::beacon_state_schema(fork, preset);
    let cycle = |field: &str, size: usize| -> Vec<u8> {
        let src = view.field_bytes(field).unwrap_or_default();
        src.chunks_exact(size)
            .cycle()
            .take(n)
            .flatten()
            .copied()
            .collect()
    };
    if view.validators_len() == 0 {
        return Err("the state has no validators to repeat".into());
    }
    let validators = cycle("validators", 121);
    let balances = cycle("balances", 8);
    let fields: Vec<&[u8]> = schema
        .fields()
        .iter()
        .map(|(name, _)| match *name {
            "validators" => &validators[..],
            "balances" => &balances[..],
            other => view.field_bytes(other).unwrap_or_default(),
        })
        .collect();
    let fixed_len: usize = schema
        .fields()
        .iter()
        .map(|(_, t)| t.fixed_part_size())
        .sum();
    let mut out = Vec::with_capacity(bytes.len() + validators.len() + balances.len());
    let mut var_pos = fixed_len;
    for ((_, t), data) in schema.fields().iter().zip(&fields) {
        if t.fixed_size().is_some() {
            out.extend_from_slice(data);
        } else {
            let off = u32::try_from(var_pos).map_err(|_| "state over 4 GiB".to_string())?;
            out.extend_from_slice(&off.to_le_bytes());
            var_pos += data.len();
        }
    }
    for ((_, t), data) in schema.fields().iter().zip(&fields) {
        if t.fixed_size().is_none() {
            out.extend_from_slice(data);
        }
    }
    Ok(out)
}

const LIGHT_USAGE: &str = "usage: lightsync bench light [--rounds N] [--dir DIR]\n\
  verifies a mainnet light-client bootstrap and chain of updates (DIR/bootstrap.json and\n\
  DIR/updates.json, Beacon API JSON; default DIR: the fixtures' helios/ethereum/testdata) N times\n\
  (default 5) after one warm-up, each round from scratch; prints one `LIGHT_BENCH {json}` line of\n\
  medians in milliseconds, the figures www/bench/light.html measures in a page";

/// `bench light`: the light-client verification benchmark ([`crate::light::bench`]), natively.
fn run_light(args: &[String]) -> Result<(), String> {
    let mut rounds = 5usize;
    let mut dir = None;
    let mut flags = bench_flags!(args, LIGHT_USAGE);
    while let Some(a) = flags.next() {
        match a {
            "--rounds" => rounds = flags.positive_count()?,
            "--dir" => dir = Some(PathBuf::from(flags.value()?)),
            "-h" | "--help" => {
                println!("{LIGHT_USAGE}");
                return Ok(());
            }
            other => return Err(format!("unexpected argument `{other}`\n{LIGHT_USAGE}")),
        }
    }
    let dir = dir.unwrap_or_else(|| crate::ssz_io::fixtures_dir().join("helios/ethereum/testdata"));
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))
    };
    let net = NetworkConfig::by_name("mainnet").map_err(|e| e.to_string())?;
    let bootstrap = parse_bootstrap::<Mainnet>(&net, &read("bootstrap.json")?, None)
        .map_err(|e| e.to_string())?;
    let updates =
        parse_updates_json::<Mainnet>(&read("updates.json")?).map_err(|e| e.to_string())?;
    println!(
        "LIGHT_BENCH {}",
        light_bench(&net, &bootstrap, &updates, rounds)?
    );
    Ok(())
}

/// One warm-up round, then `rounds` measured ones: their [`light_bench::summary`] with the
/// platform and build profile.
pub fn light_bench(
    net: &NetworkConfig,
    bootstrap: &LightClientBootstrap<Mainnet>,
    updates: &[LightClientUpdate<Mainnet>],
    rounds: usize,
) -> Result<serde_json::Value, String> {
    let t0 = Instant::now();
    let now = move || t0.elapsed().as_secs_f64() * 1000.0;
    light_bench::run_rounds(net, bootstrap, updates, 1, &now).map_err(|e| e.to_string())?;
    let measured = light_bench::run_rounds(net, bootstrap, updates, rounds, &now)
        .map_err(|e| e.to_string())?;
    let mut out = light_bench::summary(&measured, updates.len());
    out["platform"] = "native".into();
    out["profile"] = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    }
    .into();
    Ok(out)
}
