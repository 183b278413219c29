// Streaming, worker-parallel hash_tree_root(BeaconState) over a fetch() Response.
//
// The body's chunks go straight into the one buffer that keeps the state (a StateStream in wasm
// memory); every task (~1 MiB of the state: a run of validators, balances, ...) whose bytes are in
// is copied out once and transferred to a worker, which returns its 32-byte root. The main thread
// only copies chunks and posts messages, so it never blocks for long; the workers do the hashing
// on every core. Reading is paced: at most `readAheadBytes` may wait unhashed, so on a link faster
// than hashing the download is held back by TCP flow control instead of piling up, and the root
// is ready shortly after the last byte. On a slow link hashing keeps up and the pacing never acts.
//
// Plain transfer (postMessage with a transfer list) is used even where the page is cross-origin
// isolated: the state lives in the main module's (non-shared) wasm memory, so a SharedArrayBuffer
// would need one more copy of the state, not one less. Each task's bytes are copied exactly once.

/** Yields to the event loop (a MessageChannel task: no 4 ms setTimeout clamp). */
function yieldToLoop() {
  return new Promise((r) => {
    const c = new MessageChannel();
    c.port1.onmessage = () => r();
    c.port2.postMessage(0);
  });
}

/** A pool of hash workers, each with its own wasm instance. */
export class HashPool {
  /** `pkg`: URL of the package's init-best.js; `module`: its compiled WebAssembly.Module, shared
   * by every worker (one compilation, one copy of the code) when given. */
  static async create({ size, pkg, module, fork, preset, workerUrl = new URL("./hash-worker.js", import.meta.url) }) {
    const workers = [];
    const ready = [];
    for (let i = 0; i < size; i++) {
      const w = new Worker(workerUrl, { type: "module" });
      ready.push(
        new Promise((resolve, reject) => {
          w.onmessage = (e) => (e.data.type === "ready" ? resolve(e.data) : reject(new Error(e.data.message)));
          w.onerror = (e) => reject(new Error(`worker failed to start: ${e.message}`));
        }),
      );
      w.postMessage({ type: "init", pkg, module, fork, preset });
      workers.push(w);
    }
    const info = await Promise.all(ready);
    return new HashPool(workers, info[0]);
  }

  constructor(workers, info) {
    this.workers = workers.map((w) => ({ w, busy: 0 }));
    this.info = info;
  }

  /** Least-loaded worker. */
  pick() {
    return this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  terminate() {
    for (const { w } of this.workers) w.terminate();
  }
}

/**
 * Hashes the BeaconState in `response`'s body while it downloads.
 * @param {Response} response  an OK response with a Content-Length
 * @param {object} o  { pkg (the wasm package module, initialised), fork, preset, pool (HashPool
 *   or null: hash on this thread in slices), taskBytes, readAheadBytes, perWorker, taskBudgetMs
 *   (longest stretch of reading before a yield, default 25), onProgress }
 * @returns {Promise<{root, bytes, firstByteMs, lastByteMs, rootMs, stream, workerMs, nodes}>} times
 *   in ms from the call; `workerMs` sums the workers' hashing time, `nodes` counts node hashes
 */
export async function streamStateRoot(response, o) {
  const t0 = performance.now();
  const total = Number(response.headers.get("content-length"));
  if (!Number.isFinite(total) || total <= 0) throw new Error("expected a Content-Length, got none");
  let maxSyncMs = 0; // longest synchronous stretch of this function on the calling thread
  const timed = (f) => {
    const t = performance.now();
    const r = f();
    maxSyncMs = Math.max(maxSyncMs, performance.now() - t);
    return r;
  };
  const stream = timed(() => new o.pkg.StateStream(o.fork, o.preset, total, o.taskBytes));
  const spare = []; // task buffers the workers sent back, reused for the next tasks
  const readAhead = o.readAheadBytes ?? 16 * 1024 * 1024;
  const perWorker = o.perWorker ?? 3;
  const pool = o.pool;
  let dispatched = 0; // bytes of tasks handed out
  let hashed = 0; // bytes of tasks whose root came back
  let inflight = 0;
  let failure = null;
  let wake = null; // resolves when a worker returns a root
  let workerMs = 0; // time the workers spent hashing, summed
  let workerNodes = 0; // node hashes the workers did
  const sizes = new Map();

  const onResult = (slot) => (e) => {
    const m = e.data;
    slot.busy--;
    inflight--;
    if (m.type === "error") failure ??= Object.assign(new Error(m.message), { code: m.code });
    else {
      stream.setTaskRoot(m.index, m.root);
      if (m.buffer) spare.push(new Uint8Array(m.buffer));
      workerMs += m.ms;
      workerNodes += m.nodes;
      hashed += sizes.get(m.index);
      sizes.delete(m.index);
    }
    dispatch();
    if (wake) wake();
  };
  if (pool) for (const slot of pool.workers) slot.w.onmessage = onResult(slot);

  function dispatch() {
    if (!pool) return;
    while (inflight < perWorker * pool.workers.length) {
      const buf = spare.pop();
      const task = buf ? stream.nextTaskInto(buf) : stream.nextTask();
      if (!task) return;
      const slot = pool.pick();
      slot.busy++;
      inflight++;
      sizes.set(task.index, task.bytes.length);
      dispatched += task.bytes.length;
      slot.w.postMessage(task, [task.bytes.buffer]);
    }
  }
  const waitForWorkers = () => new Promise((r) => (wake = () => ((wake = null), r())));

  // A BYOB reader fills one reused 1 MiB buffer, so the body leaves no garbage chunks behind
  // (hundreds of MB of them for a mainnet state otherwise wait for the GC, raising the peak).
  let reader;
  let chunk = null;
  try {
    reader = response.body.getReader({ mode: "byob" });
    chunk = new ArrayBuffer(1 << 20);
  } catch {
    reader = response.body.getReader();
  }
  let firstByteMs = null;
  let received = 0;
  // Chunks already buffered resolve read() as microtasks, so without a yield a fast link would
  // run this whole loop (megabytes of copies and posts) in one task: yield to the event loop
  // after `taskBudgetMs` of work, as LightSync.start() does (TASK_BUDGET_MS in src/checkpoint).
  const budget = o.taskBudgetMs ?? 25;
  let taskStart = performance.now();
  for (;;) {
    // Pace the download: do not read further ahead of the hashing than `readAhead` bytes.
    while (pool && received - hashed > readAhead && inflight > 0 && !failure) {
      await waitForWorkers();
      taskStart = performance.now(); // a worker's message is a task of its own
    }
    if (failure) throw failure;
    const { done, value } = chunk ? await reader.read(new Uint8Array(chunk)) : await reader.read();
    if (done) break;
    firstByteMs ??= performance.now() - t0;
    timed(() => stream.push(value));
    if (chunk) chunk = value.buffer;
    received += value.length;
    if (pool) timed(dispatch);
    else {
      // No workers: hash what is ready in slices of ~16k nodes (a few ms), yielding in between.
      while (stream.hasReady()) {
        stream.step(16384);
        await yieldToLoop();
      }
    }
    o.onProgress?.({ received, total, hashed });
    if (performance.now() - taskStart >= budget) {
      await yieldToLoop();
      taskStart = performance.now();
    }
  }
  const lastByteMs = performance.now() - t0;
  if (pool) {
    dispatch();
    while (inflight > 0 && !failure) await waitForWorkers();
    if (failure) throw failure;
  } else {
    while (stream.hasReady()) {
      stream.step(16384);
      await yieldToLoop();
    }
  }
  const root = timed(() => stream.finish());
  const rootMs = performance.now() - t0;
  const nodes = workerNodes + stream.nodesHashed();
  return { root, bytes: received, firstByteMs, lastByteMs, rootMs, stream, workerMs, nodes, maxSyncMs, byob: !!chunk };
}
