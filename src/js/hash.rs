//! Worker-parallel hashing at the JavaScript boundary.
//!
//! A mainnet state is ~280 MB and ~19 million node hashes; hashed in one thread after the
//! download it takes seconds on top of the download. So the download's tasks go to Web Workers
//! while it streams:
//! - [`StateTaskHasher`] is what each worker instantiates: it hashes one task from its spec and
//!   bytes (a copy of that slice only, ~1 MB), so no worker ever holds the whole state.
//!
//! - [`JsHashPool`] is the pool `LightSync.start()` hands its download's tasks to: the
//!   JavaScript of `hash-pool.js` (spawning workers and moving buffers is a platform matter)
//!   behind the core's `checkpoint::HashPool`. Its workers (`hash-worker.js`, shipped in the
//!   package) instantiate this same compiled module, so they run the build the page chose.
//!
//! - [`PoolHeaderHasher`] spreads `verifyStore()`'s re-hashing of stored block headers over
//!   such a pool: each range the walk reads is cut into runs of [`HEADER_ROOTS_CHUNK`] header
//!   pack entries (as stored: SSZ header, then its root, which the worker skips), a few in flight
//!   per worker, and the page takes runs itself between them when asked to. A run whose worker
//!   fails is hashed on the page, so the roots never depend on the pool.
//!
//! The worker exports have no typings: they are the package's own plumbing. The benchmark
//! exports (the bare `StateStream`, `KernelBench`) are in `bench.rs`, behind the `bench` feature.

use futures::future::LocalBoxFuture;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::js_error;
use crate::beacon_api::yield_now;
use crate::checkpoint::{HashPool, PoolResult, PoolTask};
use crate::merkle::{TaskHasher, TaskSpec};
use crate::store::pack::PACK_ENTRY_LEN;
use crate::store::verify::{entry_roots, HeaderHasher};
use crate::types::{ForkName, PresetName};

/// A fork name and a preset name from JavaScript (`INVALID_ARGUMENT` when either is unknown).
pub(super) fn parse_fork_preset(
    fork: &str,
    preset: &str,
) -> Result<(ForkName, PresetName), JsValue> {
    let f: ForkName = fork.parse().map_err(|e: crate::types::TypesError| {
        js_error("INVALID_ARGUMENT", &e.to_string(), None)
    })?;
    let p: PresetName = preset.parse().map_err(|e: crate::types::TypesError| {
        js_error("INVALID_ARGUMENT", &e.to_string(), None)
    })?;
    Ok((f, p))
}

/// A byte count from JavaScript (a number): a non-negative integer below 2^53.
pub(super) fn byte_count(what: &str, n: f64) -> Result<usize, JsValue> {
    if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= u32::MAX as f64 {
        Ok(n as usize)
    } else {
        Err(js_error(
            "INVALID_ARGUMENT",
            &format!(
                "{what}: expected a byte count below 2^32, got {}",
                crate::config::NumberText(n)
            ),
            None,
        ))
    }
}

/// Hashes one task of a streamed state from its spec and bytes: what a hash worker runs
/// (`hash-worker.js`). Plumbing between the package's own modules, so it has no typings.
#[wasm_bindgen(skip_typescript)]
pub struct StateTaskHasher {
    inner: TaskHasher,
}

#[wasm_bindgen]
impl StateTaskHasher {
    /// A hasher for states of `fork` under `preset`.
    #[wasm_bindgen(constructor)]
    pub fn new(fork: &str, preset: &str) -> Result<StateTaskHasher, JsValue> {
        let (f, p) = parse_fork_preset(fork, preset)?;
        Ok(StateTaskHasher {
            inner: TaskHasher::new(f, p),
        })
    }

    /// The 32-byte root of one task (the fields of a `nextTask()` object).
    pub fn hash(
        &mut self,
        field: u32,
        field_len: f64,
        part: u32,
        height: i32,
        bytes: &[u8],
    ) -> Result<Vec<u8>, JsValue> {
        let spec = TaskSpec {
            field,
            field_len: byte_count("fieldLen", field_len)? as u64,
            part,
            height: u32::try_from(height).ok(),
        };
        self.inner
            .hash(&spec, bytes)
            .map(|r| r.to_vec())
            .map_err(|e| js_error("DECODE", &e.to_string(), None))
    }

    /// Node hashes done by this hasher.
    #[wasm_bindgen(js_name = nodesHashed)]
    pub fn nodes_hashed(&self) -> f64 {
        self.inner.nodes_hashed() as f64
    }
}

/// The SHA-256 kernel this build runs (`simd128-x4` or `scalar`): a hash worker reports it when
/// ready, so the pool (and the verify benchmark) can tell which build its workers run. Plumbing
/// of the package's hash worker, so it has no typings.
#[wasm_bindgen(js_name = hashKernel, skip_typescript)]
pub fn hash_kernel() -> String {
    crate::merkle::best_kernel().name().to_string()
}

/// The `hash_tree_root` of the SSZ `BeaconBlockHeader` of each header pack entry in `entries`
/// (144-byte entries concatenated: the 112-byte header, then its stored root, which is not
/// read), 32 bytes each, in order: what a hash worker runs for `verifyStore()`.
/// `INVALID_ARGUMENT` when `entries` is not whole entries. Plumbing of the package's hash
/// worker, so it has no typings.
#[wasm_bindgen(js_name = headerRoots, skip_typescript)]
pub fn header_roots_js(entries: &[u8]) -> Result<Vec<u8>, JsValue> {
    entry_roots(entries).ok_or_else(|| {
        js_error(
            "INVALID_ARGUMENT",
            &format!(
                "headerRoots: expected a multiple of {PACK_ENTRY_LEN} bytes, got {}",
                entries.len()
            ),
            None,
        )
    })
}

#[wasm_bindgen(module = "/src/js/hash-pool.js")]
extern "C" {
    /// The page-side worker pool (`src/js/hash-pool.js`).
    type HashWorkerPool;

    #[wasm_bindgen(constructor, catch)]
    fn new(size: u32, module: &JsValue) -> Result<HashWorkerPool, JsValue>;

    #[wasm_bindgen(method, getter)]
    fn size(this: &HashWorkerPool) -> u32;

    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(method)]
    fn submit(
        this: &HashWorkerPool,
        job: f64,
        index: u32,
        fork: &str,
        preset: &str,
        field: u32,
        field_len: f64,
        part: u32,
        height: i32,
        bytes: &[u8],
    ) -> bool;

    /// A `Promise<Uint8Array>` of the roots of the headers of the pack entries, or null
    /// without a live worker.
    #[wasm_bindgen(method, js_name = headerRoots)]
    fn header_roots(this: &HashWorkerPool, bytes: &[u8]) -> JsValue;

    /// A `Promise<(string | null)[]>`: the kernel each worker runs, once all started.
    #[wasm_bindgen(method)]
    fn kernels(this: &HashWorkerPool) -> js_sys::Promise;

    #[wasm_bindgen(method, js_name = takeResults)]
    fn take_results(this: &HashWorkerPool) -> js_sys::Array;

    #[wasm_bindgen(method)]
    fn wait(this: &HashWorkerPool) -> js_sys::Promise;

    #[wasm_bindgen(method)]
    fn terminate(this: &HashWorkerPool);
}

/// The [`HashPool`] of `LightSync.start()`: Web Workers running this very wasm module. Its
/// workers stop when it is dropped (after the state is verified), so an idle `LightSync` holds
/// no worker.
pub(crate) struct JsHashPool {
    pool: HashWorkerPool,
    workers: usize,
}

impl JsHashPool {
    /// Starts `workers` workers (`Err` with the reason when this context has no `Worker` or
    /// the pool could not start; the caller then hashes on the main thread).
    pub(crate) fn start(workers: usize) -> Result<JsHashPool, String> {
        let module = wasm_bindgen::module();
        let pool = HashWorkerPool::new(workers as u32, &module).map_err(|e| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .unwrap_or_else(|| format!("{e:?}"))
        })?;
        let workers = pool.size() as usize;
        Ok(JsHashPool { pool, workers })
    }
}

impl JsHashPool {
    /// The SHA-256 kernel each worker runs (`simd128-x4` or `scalar`; `failed` for a worker that
    /// did not start), once every worker started: the benchmark checks that the workers run the
    /// page's build.
    #[cfg(feature = "bench")]
    pub(crate) async fn kernels(&self) -> Vec<String> {
        let names = wasm_bindgen_futures::JsFuture::from(self.pool.kernels())
            .await
            .unwrap_or(JsValue::UNDEFINED);
        js_sys::Array::from(&names)
            .iter()
            .map(|k| k.as_string().unwrap_or_else(|| "failed".into()))
            .collect()
    }
}

impl Drop for JsHashPool {
    fn drop(&mut self) {
        self.pool.terminate();
    }
}

fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

impl HashPool for JsHashPool {
    fn workers(&self) -> usize {
        self.workers
    }

    fn submit(&self, task: PoolTask<'_>) -> bool {
        self.pool.submit(
            task.job as f64,
            task.index as u32,
            task.fork.as_str(),
            task.preset.as_str(),
            task.spec.field,
            task.spec.field_len as f64,
            task.spec.part,
            task.spec.height.map_or(-1, |h| h as i32),
            task.bytes,
        )
    }

    fn take_results(&self, out: &mut Vec<PoolResult>) {
        for r in self.pool.take_results().iter() {
            let job = get(&r, "job").as_f64().unwrap_or(-1.0);
            let index = get(&r, "index").as_f64().unwrap_or(-1.0);
            if !(job >= 0.0 && index >= 0.0) {
                continue;
            }
            let root = get(&r, "root");
            let root = if root.is_object() {
                let bytes = Uint8Array::new(&root).to_vec();
                <[u8; 32]>::try_from(bytes.as_slice())
                    .map_err(|_| format!("expected a 32-byte root, got {} bytes", bytes.len()))
            } else {
                Err(get(&r, "error")
                    .as_string()
                    .unwrap_or_else(|| "hash worker gave no root".to_string()))
            };
            out.push(PoolResult {
                job: job as u64,
                index: index as usize,
                root,
            });
        }
    }

    fn wait(&self) -> LocalBoxFuture<'_, ()> {
        let promise = self.pool.wait();
        Box::pin(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        })
    }
}

/// Headers per run a worker (or the page) hashes for [`PoolHeaderHasher`]: 4096 headers are
/// 576 KiB of pack entries in and 24k compressions, a few milliseconds, so a range of the walk is a dozen runs
/// or more that keep every worker busy while the page stays responsive between its own runs.
pub const HEADER_ROOTS_CHUNK: usize = 4096;

/// Runs in flight per worker: one hashing, one waiting, so a worker never idles for the page.
const RUNS_PER_WORKER: usize = 2;

/// `verifyStore()`'s [`HeaderHasher`] over the hash workers of a [`JsHashPool`] (see the module
/// docs). With `page` set the page hashes runs too, yielding to the event loop between them.
pub(crate) struct PoolHeaderHasher<'p> {
    pool: &'p JsHashPool,
    page: bool,
    /// Headers whose roots came from a worker.
    in_workers: std::cell::Cell<u64>,
}

impl<'p> PoolHeaderHasher<'p> {
    pub(crate) fn new(pool: &'p JsHashPool, page: bool) -> PoolHeaderHasher<'p> {
        PoolHeaderHasher {
            pool,
            page,
            in_workers: std::cell::Cell::new(0),
        }
    }

    /// Headers hashed by the workers so far (the rest were hashed on the page).
    pub(crate) fn hashed_in_workers(&self) -> u64 {
        self.in_workers.get()
    }
}

/// The header range `lo..hi` of run `i` of `n` headers.
fn run_range(n: usize, i: usize) -> (usize, usize) {
    (
        i * HEADER_ROOTS_CHUNK,
        ((i + 1) * HEADER_ROOTS_CHUNK).min(n),
    )
}

impl HeaderHasher for PoolHeaderHasher<'_> {
    fn roots<'a>(&'a self, entries: &'a [u8]) -> LocalBoxFuture<'a, Vec<u8>> {
        use futures::stream::{FuturesUnordered, StreamExt};
        use futures::FutureExt;
        Box::pin(async move {
            let n = entries.len() / PACK_ENTRY_LEN;
            let input = |i| {
                let (lo, hi) = run_range(n, i);
                &entries[lo * PACK_ENTRY_LEN..hi * PACK_ENTRY_LEN]
            };
            let mut out = vec![0u8; n * 32];
            // Run `i`'s roots into their place: a worker's answer when it holds one root per
            // header, else (no answer, a failed worker, the page's own run) hashed here.
            let mut place = |i: usize, answer: Option<JsValue>| {
                let (lo, hi) = run_range(n, i);
                let output = &mut out[lo * 32..hi * 32];
                match answer.map(|v| Uint8Array::new(&v)) {
                    Some(roots) if roots.length() as usize == output.len() => {
                        roots.copy_to(output);
                        self.in_workers
                            .set(self.in_workers.get() + (hi - lo) as u64);
                    }
                    _ => output.copy_from_slice(&entry_roots(input(i)).expect("whole entries")),
                }
            };
            let runs = n.div_ceil(HEADER_ROOTS_CHUNK);
            let depth = self.pool.workers * RUNS_PER_WORKER;
            let (mut next, mut done) = (0, 0);
            let mut in_flight = FuturesUnordered::new();
            while done < runs {
                // Answers that came in while the page hashed or yielded.
                while let Some(Some((i, answer))) = in_flight.next().now_or_never() {
                    place(i, answer);
                    done += 1;
                }
                while next < runs && in_flight.len() < depth {
                    let promise = self.pool.pool.header_roots(input(next));
                    let Ok(promise) = promise.dyn_into::<js_sys::Promise>() else {
                        break; // No live worker.
                    };
                    let i = next;
                    in_flight.push(async move {
                        (i, wasm_bindgen_futures::JsFuture::from(promise).await.ok())
                    });
                    next += 1;
                }
                if next < runs && (self.page || in_flight.is_empty()) {
                    place(next, None);
                    next += 1;
                    done += 1;
                    if !in_flight.is_empty() {
                        // Lets the workers' answers (and the store's next read) in.
                        yield_now().await;
                    }
                } else if let Some((i, answer)) = in_flight.next().await {
                    place(i, answer);
                    done += 1;
                }
            }
            out
        })
    }
}
