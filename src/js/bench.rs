//! Benchmark exports, built only with the `bench` cargo feature (`make bench*` builds
//! `pkg-bench/` with it for the pages of `www/bench/`); the package users install carries none
//! of them, so its typings and its wasm hold the API alone.
//!
//! - [`StateStream`]: the bare streaming state root, driven from JavaScript with a pool of its
//!   own (`www/bench/state-hasher.js`), the baseline `LightSync.start()` is measured against.
//! - [`KernelBench`]: times the SHA-256 node kernel of the build (`simd128-x4` or `scalar`).
//! - [`bench_light_verify`]: the light-client update chain and committee key preparation.
//! - [`bench_verify_store`]: the whole-chain walk of `verifyStore()` over real IndexedDB.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use super::error::{from_store, js_error};
use super::hash::{byte_count, parse_fork_preset, JsHashPool, PoolHeaderHasher};
use super::longrange::now_ms;
use super::set;
use super::storage::walk_store;
use crate::config::NetworkConfig;
use crate::light::bench::{run_rounds, summary};
use crate::light::input::{parse_bootstrap, parse_updates_json};
use crate::merkle::{
    best_kernel, hash_pair, StreamError, StreamingStateRoot, TaskSpec, DEFAULT_TASK_BYTES,
};
use crate::store::verify::VERIFY_BATCH_SLOTS;
use crate::types::{hex0x, Mainnet};

fn stream_error(e: &StreamError) -> JsValue {
    let code = match e {
        StreamError::Invalid(_) => "DECODE",
        StreamError::TooLong { .. } => "BODY_TOO_LARGE",
        StreamError::Truncated { .. } => "TRUNCATED",
        StreamError::OutOfMemory { .. } => "OUT_OF_MEMORY",
        StreamError::NoSuchTask { .. } => "INVALID_ARGUMENT",
    };
    js_error(code, &e.to_string(), None)
}

/// The `{ index, field, fieldLen, part, height, bytes }` object of a ready task (`height` is -1
/// for a whole-field task).
fn task_js(index: usize, spec: &TaskSpec, bytes: Uint8Array) -> JsValue {
    let o = Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&o, &k.into(), &v);
    };
    set("index", (index as u32).into());
    set("field", spec.field.into());
    set("fieldLen", (spec.field_len as f64).into());
    set("part", spec.part.into());
    set("height", spec.height.map_or(-1, |h| h as i32).into());
    set("bytes", bytes.into());
    o.into()
}

/// Streaming `hash_tree_root(BeaconState)` over a body of known length (`Content-Length`).
#[wasm_bindgen]
pub struct StateStream {
    inner: StreamingStateRoot,
}

#[wasm_bindgen]
impl StateStream {
    /// A stream for a state of `fork` ("phase0".."fulu") under `preset` ("mainnet" |
    /// "minimal") of exactly `totalLen` bytes, cut into tasks of about `taskBytes` bytes
    /// (default 1 MiB). Does not keep the state: its bytes stay in a window until their task's
    /// root is in.
    #[wasm_bindgen(constructor)]
    pub fn new(
        fork: &str,
        preset: &str,
        total_len: f64,
        task_bytes: Option<f64>,
    ) -> Result<StateStream, JsValue> {
        let (f, p) = parse_fork_preset(fork, preset)?;
        let total = byte_count("totalLen", total_len)?;
        let task = match task_bytes {
            Some(t) => byte_count("taskBytes", t)?.max(1),
            None => DEFAULT_TASK_BYTES,
        };
        Ok(StateStream {
            inner: StreamingStateRoot::new(f, p, total, task),
        })
    }

    /// Appends the next chunk of the body (copied into the stream's window).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), JsValue> {
        self.inner.push(chunk).map_err(|e| stream_error(&e))
    }

    /// Bytes received so far.
    pub fn received(&self) -> f64 {
        self.inner.received() as f64
    }

    /// Whether a task's bytes have all arrived and it was not handed out yet.
    #[wasm_bindgen(js_name = hasReady)]
    pub fn has_ready(&self) -> bool {
        self.inner.has_ready()
    }

    /// The next ready task as `{ index, field, fieldLen, part, height, bytes }` (`height` is -1
    /// for a whole-field task; `bytes` is a copy of the task's slice, transferable to a worker),
    /// or `undefined` when none is ready.
    #[wasm_bindgen(js_name = nextTask)]
    pub fn next_task(&mut self) -> JsValue {
        let Some((i, spec, bytes)) = self.inner.next_ready() else {
            return JsValue::UNDEFINED;
        };
        task_js(i, &spec, Uint8Array::from(bytes))
    }

    /// Like `nextTask`, but copies the task's bytes into `buffer` (a recycled buffer a worker
    /// sent back) when it is large enough, so a long stream allocates no new buffer per task;
    /// `bytes` is then `buffer.subarray(0, len)`. Otherwise a new buffer, as `nextTask`.
    #[wasm_bindgen(js_name = nextTaskInto)]
    pub fn next_task_into(&mut self, buffer: &Uint8Array) -> JsValue {
        let Some((i, spec, bytes)) = self.inner.next_ready() else {
            return JsValue::UNDEFINED;
        };
        let view = if buffer.length() as usize >= bytes.len() {
            let v = buffer.subarray(0, bytes.len() as u32);
            v.copy_from(bytes);
            v
        } else {
            Uint8Array::from(bytes)
        };
        task_js(i, &spec, view)
    }

    /// Records the 32-byte root of task `index`, computed by a worker.
    #[wasm_bindgen(js_name = setTaskRoot)]
    pub fn set_task_root(&mut self, index: u32, root: &[u8]) -> Result<(), JsValue> {
        let root: [u8; 32] = root.try_into().map_err(|_| {
            js_error(
                "INVALID_ARGUMENT",
                &format!("setTaskRoot: expected 32 bytes, got {}", root.len()),
                None,
            )
        })?;
        self.inner
            .set_task_root(index as usize, root)
            .map_err(|e| stream_error(&e))
    }

    /// Hashes ready tasks on this thread until about `maxNodes` node hashes are done; returns
    /// how many tasks it hashed.
    pub fn step(&mut self, max_nodes: f64) -> Result<u32, JsValue> {
        let n = if max_nodes.is_finite() && max_nodes > 0.0 {
            max_nodes as u64
        } else {
            1
        };
        self.inner
            .step(n)
            .map(|t| t as u32)
            .map_err(|e| stream_error(&e))
    }

    /// Whether every byte is in and every task's root is known.
    #[wasm_bindgen(js_name = isComplete)]
    pub fn is_complete(&self) -> bool {
        self.inner.is_complete()
    }

    /// The state root as 0x-hex, after the last byte (hashes any task still unhashed).
    pub fn finish(&mut self) -> Result<String, JsValue> {
        let root = self.inner.finish().map_err(|e| stream_error(&e))?;
        Ok(hex0x(root))
    }

    /// Node hashes done on this thread.
    #[wasm_bindgen(js_name = nodesHashed)]
    pub fn nodes_hashed(&self) -> f64 {
        self.inner.nodes_hashed() as f64
    }
}

/// A fixed buffer of nodes to time the SHA-256 kernel from JavaScript (`performance.now()`
/// around `batched`/`single`), without copying across the boundary per call.
#[wasm_bindgen]
pub struct KernelBench {
    input: Vec<u8>,
    out: Vec<u8>,
}

#[wasm_bindgen]
impl KernelBench {
    /// `nodes` pseudo-random 64-byte nodes.
    #[wasm_bindgen(constructor)]
    pub fn new(nodes: u32) -> KernelBench {
        let n = nodes.max(1) as usize;
        let input = (0..n * 64).map(|i| (i * 31 + 7) as u8).collect();
        KernelBench {
            input,
            out: vec![0; n * 32],
        }
    }

    /// Name of the kernel this build uses (`simd128-x4` or `scalar`).
    pub fn kernel() -> String {
        best_kernel().name().to_string()
    }

    /// Hashes every node `reps` times, all nodes in one kernel call per rep.
    pub fn batched(&mut self, reps: u32) -> u32 {
        for _ in 0..reps {
            crate::merkle::hash_nodes(&self.input, &mut self.out);
        }
        self.out[0] as u32
    }

    /// Hashes every node `reps` times, one node per call (`hash_pair`).
    pub fn single(&mut self, reps: u32) -> u32 {
        let mut acc = 0u32;
        for _ in 0..reps {
            for node in self.input.chunks_exact(64) {
                let (l, r) = node.split_at(32);
                let h = hash_pair(
                    l.try_into().unwrap_or(&[0; 32]),
                    r.try_into().unwrap_or(&[0; 32]),
                );
                acc = acc.wrapping_add(h[0] as u32);
            }
        }
        acc
    }

    /// Number of nodes per rep.
    pub fn nodes(&self) -> u32 {
        (self.input.len() / 64) as u32
    }
}

/// Benchmark: verifies a mainnet bootstrap (Beacon API JSON) and a chain of updates (JSON array)
/// `rounds` times, each round from scratch (fresh committees, so every committee is prepared
/// again), and times the bootstrap committee's keys three ways and each update's verification
/// step by step. Returns `{ rounds: [{ prepareMs: number[], verifyMs: number[], decompressedKeys:
/// number[], totalMs, batchedMs, keyValidateAllMs, decompressAllMs, decompressAggregateMs }], updates,
/// summary }` (milliseconds; `summary` is the JSON of the medians the native bench prints).
#[wasm_bindgen(js_name = benchLightVerify)]
pub fn bench_light_verify(
    bootstrap_json: &[u8],
    updates_json: &[u8],
    rounds: u32,
) -> Result<JsValue, JsValue> {
    let network =
        NetworkConfig::by_name("mainnet").map_err(|e| js_error("CONFIG", &e.to_string(), None))?;
    let bootstrap = parse_bootstrap::<Mainnet>(&network, bootstrap_json, None)
        .map_err(|e| js_error(e.code(), &e.to_string(), None))?;
    let updates = parse_updates_json::<Mainnet>(updates_json)
        .map_err(|e| js_error(e.code(), &e.to_string(), None))?;
    let measured = run_rounds(&network, &bootstrap, &updates, rounds as usize, &now_ms)
        .map_err(|e| js_error(e.code(), &e.to_string(), None))?;
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| JsValue::from(*x))
            .collect::<js_sys::Array>()
    };
    let out = js_sys::Array::new();
    for round in &measured {
        let (t, k) = (&round.chain, &round.keys);
        let o = Object::new();
        set(&o, "prepareMs", list(&t.prepare_ms));
        set(&o, "verifyMs", list(&t.verify_ms));
        let keys: Vec<f64> = t.decompressed_keys.iter().map(|k| *k as f64).collect();
        set(&o, "decompressedKeys", list(&keys));
        set(&o, "totalMs", t.total_ms);
        set(&o, "batchedMs", t.batched_ms);
        set(&o, "keyValidateAllMs", k.key_validate_all_ms);
        set(&o, "decompressAllMs", k.decompress_all_ms);
        set(&o, "decompressAggregateMs", k.decompress_aggregate_ms);
        out.push(&o);
    }
    let r = Object::new();
    set(&r, "rounds", out);
    set(&r, "updates", updates.len() as f64);
    // The medians the native bench prints, computed by the same code (`light::bench::summary`).
    let medians = summary(&measured, updates.len()).to_string();
    set(&r, "summary", medians);
    Ok(r.into())
}

/// Benchmark (not part of the API): the whole-chain walk of `verifyStore()` over real IndexedDB.
/// Stores a linked chain of `headers` headers below a bench anchor in a database of its own
/// (committed in backfill batches of 8192), then times, `runs` times each: reading every range
/// alone (`readMs`), hashing the ranges read alone as the walk does (`hashMs`: `workers` hash
/// workers, the page hashing too when `page`; 0 workers: the page alone), and the walk itself
/// (`verifyMs`, reads and hashing overlapped, workers started and stopped inside it as
/// `verifyStore()` does). Deletes the database before resolving with
/// `{ headers, workers, page, fillMs, readMs[], hashMs[], verifyMs[], kernel, workerKernels[],
/// workerStartMs[] }` (milliseconds; `workerKernels`: the SHA-256 kernel each hash worker
/// reported; `workerStartMs`: from starting the workers to all of them ready, before hashing
/// alone).
#[wasm_bindgen(js_name = benchVerifyStore)]
pub async fn bench_verify_store(
    headers: u32,
    runs: u32,
    workers: u32,
    page: bool,
) -> Result<JsValue, JsValue> {
    use crate::store::verify::{fill_bench_chain, HeaderHasher, InThread};
    use crate::store::{IdbStore, Store};
    let gvr = [0xbe; 32];
    let js = |e: crate::store::StoreError| from_store(&e);
    IdbStore::delete_database(&gvr).await.map_err(js)?;
    let store = IdbStore::open("bench", gvr).await.map_err(js)?;
    let n = u64::from(headers.max(1));
    let started = js_sys::Date::now();
    fill_bench_chain(&store, n, 8192).await.map_err(js)?;
    let fill_ms = js_sys::Date::now() - started;
    let (read, hash, walk, start) = (Array::new(), Array::new(), Array::new(), Array::new());
    let workers = workers as usize;
    let mut worker_kernels = Vec::new();
    for _ in 0..runs.max(1) {
        let (mut read_ms, mut hash_ms, mut count) = (0.0, 0.0, 0u64);
        let mut hi = n + 1;
        let t = js_sys::Date::now();
        let pool = match workers {
            0 => None,
            w => Some(JsHashPool::start(w).map_err(|e| js_error("INTERNAL", &e, None))?),
        };
        if let Some(pool) = &pool {
            // Hashing alone starts once every worker is up; how long that takes is apart.
            worker_kernels = pool.kernels().await;
            start.push(&(js_sys::Date::now() - t).into());
        }
        let pooled = pool.as_ref().map(|pool| PoolHeaderHasher::new(pool, page));
        let hasher: &dyn HeaderHasher = match &pooled {
            Some(p) => p,
            None => &InThread,
        };
        while hi > 0 {
            let lo = hi.saturating_sub(VERIFY_BATCH_SLOTS);
            let t = js_sys::Date::now();
            let range = store.stored_range(lo, hi).await.map_err(js)?;
            read_ms += js_sys::Date::now() - t;
            let t = js_sys::Date::now();
            count += (hasher.roots(range.entries()).await.len() / 32) as u64;
            hash_ms += js_sys::Date::now() - t;
            hi = lo;
        }
        // The workers stop before the walk starts its own.
        drop(pool);
        let t = js_sys::Date::now();
        let (report, _) = walk_store(&store, workers, page, |m| {
            web_sys::console::warn_1(&m.into());
        })
        .await
        .map_err(js)?;
        let verify_ms = js_sys::Date::now() - t;
        if count != n || report.checked != n || report.first_broken.is_some() {
            return Err(js_error(
                "INTERNAL",
                &format!(
                    "expected {n} headers read and verified, got {count} read and {} verified \
                     (broken: {:?})",
                    report.checked, report.first_broken
                ),
                None,
            ));
        }
        read.push(&read_ms.into());
        hash.push(&hash_ms.into());
        walk.push(&verify_ms.into());
    }
    store.delete().await.map_err(js)?;
    let out = Object::new();
    set(&out, "headers", n as f64);
    set(&out, "workers", workers as f64);
    set(&out, "page", page);
    set(&out, "fillMs", fill_ms);
    set(&out, "readMs", read);
    set(&out, "hashMs", hash);
    set(&out, "verifyMs", walk);
    set(&out, "kernel", crate::merkle::best_kernel().name());
    let kernels = Array::new();
    for k in worker_kernels {
        kernels.push(&k.into());
    }
    set(&out, "workerKernels", kernels);
    set(&out, "workerStartMs", start);
    Ok(out.into())
}
