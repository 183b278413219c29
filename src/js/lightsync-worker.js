// The dedicated Worker behind `beacon-lightsync/worker` (src/js/worker.js is the page's side): one
// LightSync instance, run entirely off the page's thread. A worker has fetch, IndexedDB, Web Locks,
// BroadcastChannel, navigator.storage and nested workers, so the instance is the same as on a
// page: it downloads, hashes (in its own hash workers), verifies and stores here, and the page only
// receives results and events. Shipped beside the glue it imports (scripts/package.mjs copies it
// to pkg/lightsync-worker.js).
//
// The protocol (every message a structured-cloneable object; uint64 values stay the decimal
// strings, or bigints, that the API takes and returns):
// In:  { type: "call", id, method, args } — `create` first, then a LightSync method;
//      an AbortSignal in an options argument arrives as { [SIGNAL]: signalId, aborted }
//      (method "on" with args [event]: forward that event from now on)
//      | { type: "abort", signal: signalId }   (the page's signal aborted)
// Out: { type: "result", id, value } | { type: "error", id, error }
//      | { type: "event", event, payload }
// Errors (a thrown LightSyncError, or one inside an event) travel as { [ERROR]: { name, message,
// stack, code, expected, actual, … } }: structured cloning keeps only an Error's message, so its
// `code` and the other own properties are copied explicitly, and the page rebuilds the Error.
import init, { LightSync } from "./beacon_lightsync.js";

const SIGNAL = "lightsync:signal";
const ERROR = "lightsync:error";

/** The LightSync methods a page may call (besides `create`, `on` and the `headers()` steps). */
const METHODS = new Set([
  "start",
  "backfill",
  "follow",
  "status",
  "anchors",
  "header",
  "blockRootAt",
  "verifyStore",
  "pauseBackfill",
  "resumeBackfill",
  "stop",
  "reset",
]);

const loaded = init();
// A failed load is reported to create(), the first call; not as an unhandled rejection before it.
loaded.catch(() => {});
let sync = null;
/** signal id -> the AbortController standing for the page's AbortSignal. */
const controllers = new Map();
/** headers() iterators by call id. */
const iterators = new Map();
const forwarded = new Set();

/** `value` with every Error (at any depth of plain objects and arrays) as a cloneable record. */
function wire(value) {
  if (value instanceof Error) {
    const fields = { name: value.name, message: value.message, stack: value.stack };
    for (const [k, v] of Object.entries(value)) fields[k] = wire(v);
    return { [ERROR]: fields };
  }
  if (Array.isArray(value)) return value.map(wire);
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = wire(v);
    return out;
  }
  return value;
}

/** An options argument with the page's signal token replaced by a live AbortSignal. */
function withSignal(arg) {
  const token = arg && typeof arg === "object" ? arg.signal : undefined;
  if (!token || typeof token !== "object" || !(SIGNAL in token)) return arg;
  const controller = new AbortController();
  controllers.set(token[SIGNAL], controller);
  if (token.aborted) controller.abort();
  return { ...arg, signal: controller.signal };
}

/** The signal ids an argument list carries (released when the call settles). */
const signalIds = (args) => args.flatMap((a) => (a?.signal && SIGNAL in Object(a.signal) ? [a.signal[SIGNAL]] : []));

async function run(method, args) {
  if (method === "create") {
    await loaded;
    sync = await LightSync.create(withSignal(args[0]));
    return null;
  }
  if (!sync) throw new Error(`expected create() first, got ${method}()`);
  if (method === "on") {
    const [event] = args;
    if (!forwarded.has(event)) {
      sync.on(event, (payload) => self.postMessage({ type: "event", event, payload: wire(payload) }));
      forwarded.add(event);
    }
    return null;
  }
  if (method === "headers.open") {
    iterators.set(args[0], sync.headers(args[1])[Symbol.asyncIterator]());
    return null;
  }
  if (method === "headers.next") return iterators.get(args[0]).next();
  if (method === "headers.return") {
    const it = iterators.get(args[0]);
    iterators.delete(args[0]);
    return it?.return ? it.return() : { done: true, value: undefined };
  }
  if (!METHODS.has(method)) throw new Error(`expected a LightSync method, got ${method}`);
  return sync[method](...args.map(withSignal));
}

self.onmessage = async ({ data: m }) => {
  if (m.type === "abort") return controllers.get(m.signal)?.abort();
  const ids = m.method === "create" ? [] : signalIds(m.args);
  try {
    const value = await run(m.method, m.args);
    self.postMessage({ type: "result", id: m.id, value: wire(value) });
  } catch (e) {
    self.postMessage({ type: "error", id: m.id, error: wire(e) });
  } finally {
    for (const id of ids) controllers.delete(id);
  }
};
