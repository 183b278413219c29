// The Web Worker pool that hashes a downloaded BeaconState's tasks for LightSync.start() (see
// src/checkpoint/hashing.rs for the protocol and src/js/hash.rs for the Rust side).
//
// wasm-bindgen copies this file to snippets/<crate>/src/js/hash-pool.js next to the glue of its
// build; the worker script sits beside that glue (pkg/hash-worker.js, and pkg/scalar/ for the
// scalar build), four levels up from here, and imports that same glue, while the compiled
// WebAssembly.Module comes from the page: a worker runs exactly the build (SIMD or scalar) that
// the page chose, without fetching or compiling it again.
//
// Each task's bytes are copied once, out of the state in wasm memory into a buffer transferred
// to a worker (plain transfer: the state lives in the page's non-shared wasm memory, so a
// SharedArrayBuffer would cost one more copy of the state, not one less). Workers send the
// buffer back with the root, and it is reused for a later task.
//
// verifyStore() uses a pool of its own for the roots of stored block headers (`headerRoots`):
// a run of header pack entries (as stored: SSZ header, then its root) goes to one worker, which
// answers with 32 bytes per header.

export class HashWorkerPool {
  /** Starts `size` module workers, each instantiating `module` (a WebAssembly.Module). */
  constructor(size, module) {
    if (typeof Worker !== "function") throw new Error("expected Web Workers, got none in this context");
    this.results = [];
    this.waiters = [];
    this.spare = [];
    this.slots = [];
    this.nextRootsId = 0;
    for (let i = 0; i < size; i++) {
      // One expression, as bundlers (Vite, webpack 5) recognise it: they then bundle the
      // worker with the glue it imports.
      const w = new Worker(new URL("../../../../hash-worker.js", import.meta.url), { type: "module" });
      const slot = { w, live: true, tasks: new Map(), kernel: null };
      slot.ready = new Promise((resolve) => (slot.started = resolve));
      slot.w.onmessage = (e) => this.onMessage(slot, e.data);
      slot.w.onerror = (e) => {
        e.preventDefault?.();
        this.kill(slot, `hash worker failed: ${e.message || "its script did not load"}`);
      };
      slot.w.onmessageerror = () => this.kill(slot, "hash worker message could not be read");
      slot.w.postMessage({ type: "init", module });
      this.slots.push(slot);
    }
  }

  /** The SHA-256 kernel each worker runs (`hashKernel()` in the worker: `simd128-x4` or
   * `scalar`), once every worker started or failed (`null` for a worker that failed). */
  kernels() {
    return Promise.all(this.slots.map((s) => s.ready.then(() => s.kernel)));
  }

  /** Number of workers started. */
  get size() {
    return this.slots.length;
  }

  /** Copies `bytes` (a view of wasm memory, valid during this call) into a transferable buffer
   * and posts the task to the least-loaded live worker; false when no worker is live. */
  submit(job, index, fork, preset, field, fieldLen, part, height, bytes) {
    const slot = this.leastLoaded();
    if (!slot) return false;
    const view = this.copy(bytes);
    slot.tasks.set(`${job}:${index}`, [job, index]);
    slot.w.postMessage({ job, index, fork, preset, field, fieldLen, part, height, bytes: view }, [view.buffer]);
    return true;
  }

  /** Copies `bytes` (144-byte header pack entries: the SSZ block header, then its stored root; a
   * view of wasm memory valid during this call) into a transferable buffer for the least-loaded
   * live worker. A Promise of the headers' roots (a Uint8Array of 32 bytes per entry), rejected
   * with the reason when the worker fails; null when no worker is live. */
  headerRoots(bytes) {
    const slot = this.leastLoaded();
    if (!slot) return null;
    const view = this.copy(bytes);
    const id = this.nextRootsId++;
    return new Promise((resolve, reject) => {
      slot.tasks.set(`roots:${id}`, { resolve, reject });
      slot.w.postMessage({ type: "roots", id, bytes: view }, [view.buffer]);
    });
  }

  leastLoaded() {
    let slot = null;
    for (const s of this.slots) if (s.live && (!slot || s.tasks.size < slot.tasks.size)) slot = s;
    return slot;
  }

  /** `bytes` copied into a spare buffer large enough, else a new one. */
  copy(bytes) {
    let buffer = null;
    for (let i = this.spare.length - 1; i >= 0; i--) {
      if (this.spare[i].byteLength >= bytes.length) {
        buffer = this.spare.splice(i, 1)[0];
        break;
      }
    }
    buffer ??= new ArrayBuffer(bytes.length);
    const view = new Uint8Array(buffer, 0, bytes.length);
    view.set(bytes);
    return view;
  }

  onMessage(slot, m) {
    if (m.type === "ready") {
      slot.kernel = m.kernel ?? null;
      return slot.started();
    }
    if (m.type === "init-error") return this.kill(slot, `hash worker could not start: ${m.message}`);
    if (m.type === "roots") {
      const task = slot.tasks.get(`roots:${m.id}`);
      slot.tasks.delete(`roots:${m.id}`);
      if (m.buffer) this.spare.push(m.buffer);
      if (m.roots) task?.resolve(m.roots);
      else task?.reject(new Error(m.error ?? "hash worker gave no roots"));
      return;
    }
    slot.tasks.delete(`${m.job}:${m.index}`);
    if (m.buffer) this.spare.push(m.buffer);
    this.push({ job: m.job, index: m.index, root: m.root ?? null, error: m.error ?? null });
  }

  /** Stops a worker; its tasks in flight come back as errors (the page then hashes them). */
  kill(slot, reason) {
    if (!slot.live) return;
    slot.live = false;
    slot.started();
    slot.w.terminate();
    for (const task of slot.tasks.values()) {
      if (Array.isArray(task)) this.push({ job: task[0], index: task[1], root: null, error: reason });
      else task.reject(new Error(reason));
    }
    slot.tasks.clear();
  }

  push(result) {
    this.results.push(result);
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** The results since the last call: `{ job, index, root: Uint8Array | null, error }`. */
  takeResults() {
    return this.results.splice(0);
  }

  /** Resolves once a result is available. */
  wait() {
    return this.results.length ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }

  terminate() {
    for (const s of this.slots) {
      s.live = false;
      s.started();
      s.w.terminate();
      for (const task of s.tasks.values()) if (!Array.isArray(task)) task.reject(new Error("hash workers stopped"));
      s.tasks.clear();
    }
    this.spare = [];
    for (const wake of this.waiters.splice(0)) wake();
  }
}
