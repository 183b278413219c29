// `beacon-lightsync/worker`: drive a LightSync that runs in a dedicated Worker from a page.
//
// Why: a checkpoint sync downloads and hashes a whole BeaconState and a backfill verifies thousands
// of headers; even sliced and helped by hash workers, the coordinating wasm shares the page's
// thread. In a Worker, the page's thread only posts options and receives results and events.
//
// `LightSyncWorker` mirrors LightSync's API, every method asynchronous (status() too). The worker
// script (lightsync-worker.js, beside this module) holds the instance; see it for the protocol.
// Written as `new Worker(new URL("./lightsync-worker.js", import.meta.url), { type: "module" })`
// in one expression, which Vite and webpack 5 recognise: they bundle the worker, the glue, the
// .wasm and the nested hash workers without configuration.
//
// Across the boundary: a rejection is the same LightSyncError (name, message, `code`, `expected`,
// `actual`, …), rebuilt on this side so that `isLightSyncError` holds; an AbortSignal in an options
// argument becomes an abort message; decimal strings and bigints arrive as they were sent. This
// module's own `isLightSyncError` tells such errors apart without loading the wasm on the page.
// Failures of the worker itself reject with a `LightSyncWorkerError` (`WORKER_FAILED`,
// `WORKER_TERMINATED`).

const SIGNAL = "lightsync:signal";
const ERROR = "lightsync:error";
/** The events LightSync emits (`LightSyncEventName`). */
const EVENTS = ["progress", "warning", "status", "followed", "followError", "followSource", "execution"];
const PRIVATE = Symbol("LightSyncWorker");

/** An Error named `name` with `fields` (code, expected, …) as own properties. */
function typedError(name, message, fields = {}) {
  const e = new Error(message);
  e.name = name;
  Object.assign(e, fields);
  return e;
}

/** `value` with the worker's error records turned back into Errors. */
function unwire(value) {
  if (Array.isArray(value)) return value.map(unwire);
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    if (ERROR in value) {
      const { name, message, stack, ...fields } = value[ERROR];
      const e = typedError(name, message, unwire(fields));
      if (stack) e.stack = stack;
      return e;
    }
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = unwire(v);
    return out;
  }
  return value;
}

/** Whether `error` is a LightSyncError (an Error named "LightSyncError" with a string `code`): the
 * same test as the glue's `isLightSyncError`, without loading the wasm on the page. */
export function isLightSyncError(error) {
  return error instanceof Error && error.name === "LightSyncError" && typeof error.code === "string";
}

/** Whether `error` is a failure of the worker itself (not of the sync it runs). */
export function isLightSyncWorkerError(error) {
  return error instanceof Error && error.name === "LightSyncWorkerError" && typeof error.code === "string";
}

export class LightSyncWorker {
  /** Use `LightSyncWorker.create()`. */
  constructor(token, worker) {
    if (token !== PRIVATE) throw new TypeError("expected LightSyncWorker.create(options), got new LightSyncWorker()");
    this.worker = worker;
    this.pending = new Map();
    this.nextId = 1;
    this.listeners = new Map();
    this.failure = null;
    worker.onmessage = (e) => this.receive(e.data);
    worker.onerror = (e) => {
      e.preventDefault?.();
      this.fail("WORKER_FAILED", `the LightSync worker failed: ${e.message || "its script did not load"}`);
    };
    worker.onmessageerror = () => this.fail("WORKER_FAILED", "a message from the LightSync worker could not be read");
  }

  /**
   * Starts the worker (or takes `worker`, one started from `lightsync-worker.js` by the caller)
   * and creates its LightSync with `options`; rejects as `LightSync.create` does, and then
   * terminates the worker.
   */
  static async create(options, { worker } = {}) {
    const w = worker ?? new Worker(new URL("./lightsync-worker.js", import.meta.url), { type: "module" });
    const client = new LightSyncWorker(PRIVATE, w);
    try {
      await client.call("create", [options], { keepSignals: true });
    } catch (e) {
      client.terminate();
      throw e;
    }
    return client;
  }

  start(options) {
    return this.call("start", [options]);
  }
  backfill(options) {
    return this.call("backfill", [options]);
  }
  follow(options) {
    return this.call("follow", [options]);
  }
  status() {
    return this.call("status", []);
  }
  anchors() {
    return this.call("anchors", []);
  }
  header(slotOrRoot) {
    return this.call("header", [slotOrRoot]);
  }
  blockRootAt(slot) {
    return this.call("blockRootAt", [slot]);
  }
  verifyStore(options) {
    return this.call("verifyStore", [options]);
  }
  pauseBackfill() {
    return this.call("pauseBackfill", []);
  }
  resumeBackfill() {
    return this.call("resumeBackfill", []);
  }
  stop() {
    return this.call("stop", []);
  }
  reset() {
    return this.call("reset", []);
  }

  /** The stored headers in `range`, read in the worker one at a time as the loop asks. */
  async *headers(range) {
    const id = this.nextId++;
    await this.call("headers.open", [id, range]);
    let done = false;
    try {
      for (;;) {
        const step = await this.call("headers.next", [id]);
        if (step.done) {
          done = true;
          return;
        }
        yield step.value;
      }
    } finally {
      if (!done && !this.failure) await this.call("headers.return", [id]);
    }
  }

  /** Adds a listener for `event`; the worker forwards that event from the first listener on. */
  on(event, listener) {
    if (!EVENTS.includes(event))
      throw typedError("LightSyncError", `on(): expected one of ${EVENTS.join(", ")}, got ${JSON.stringify(event)}`, {
        code: "INVALID_OPTIONS",
      });
    if (typeof listener !== "function")
      throw typedError("LightSyncError", `on(): expected a listener function, got ${typeof listener}`, { code: "INVALID_OPTIONS" });
    let set = this.listeners.get(event);
    if (!set) {
      this.listeners.set(event, (set = new Set()));
      // Nothing to report if it fails: the worker is then gone, and every call says so.
      this.call("on", [event]).catch(() => {});
    }
    set.add(listener);
  }

  /** Removes a listener added with `on`. */
  off(event, listener) {
    this.listeners.get(event)?.delete(listener);
  }

  /** Stops the worker at once: whatever it was doing ends (IndexedDB keeps only committed
   * transactions, so nothing half-written stays); pending and later calls reject with
   * `WORKER_TERMINATED`. */
  terminate() {
    this.fail("WORKER_TERMINATED", "the LightSync worker was terminated");
  }

  /** Posts a call; an AbortSignal in an options argument becomes a token plus abort messages,
   * released when the call settles (kept for create's, which governs the whole instance). */
  call(method, args, { keepSignals = false } = {}) {
    if (this.failure) return Promise.reject(this.failure());
    const id = this.nextId++;
    const cleanups = [];
    const sent = args.map((arg) => {
      const signal = arg && typeof arg === "object" ? arg.signal : undefined;
      if (!(typeof AbortSignal === "function" && signal instanceof AbortSignal)) return arg;
      const signalId = `${id}`;
      const onAbort = () => this.worker.postMessage({ type: "abort", signal: signalId });
      signal.addEventListener("abort", onAbort, { once: true });
      if (!keepSignals) cleanups.push(() => signal.removeEventListener("abort", onAbort));
      return { ...arg, signal: { [SIGNAL]: signalId, aborted: signal.aborted } };
    });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, cleanups });
      try {
        this.worker.postMessage({ type: "call", id, method, args: sent });
      } catch (e) {
        this.pending.delete(id);
        for (const c of cleanups) c();
        reject(typedError("LightSyncError", `${method}(): expected cloneable arguments, got ${e?.message ?? e}`, { code: "INVALID_OPTIONS" }));
      }
    });
  }

  receive(m) {
    if (m.type === "event") {
      const payload = unwire(m.payload);
      for (const listener of this.listeners.get(m.event) ?? []) listener(payload);
      return;
    }
    const call = this.pending.get(m.id);
    if (!call) return;
    this.pending.delete(m.id);
    for (const c of call.cleanups) c();
    if (m.type === "result") call.resolve(unwire(m.value));
    else call.reject(unwire(m.error));
  }

  /** Ends the worker; every pending and later call rejects with a `code` error. */
  fail(code, message) {
    if (this.failure) return;
    this.failure = () => typedError("LightSyncWorkerError", message, { code });
    this.worker.terminate();
    for (const call of this.pending.values()) {
      for (const c of call.cleanups) c();
      call.reject(this.failure());
    }
    this.pending.clear();
  }
}
