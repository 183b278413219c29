// The hash worker of LightSync.start(), shipped in the npm package beside the glue it imports
// (pkg/hash-worker.js and pkg/scalar/hash-worker.js; copied there by scripts/package.mjs).
// It instantiates the WebAssembly.Module the page sends (the page's own
// build), keeps one StateTaskHasher per fork and preset, and hashes one task at a time: a ~1 MiB
// slice of the state, never the whole state; or, for verifyStore(), the roots of a run of stored
// header pack entries (144 bytes each in: the SSZ block header, then its stored root; 32 bytes
// each out).
//
// In:  { type: "init", module }, then { job, index, fork, preset, field, fieldLen, part, height, bytes }
//      | { type: "roots", id, bytes }
// Out: { type: "ready", kernel } (the SHA-256 kernel of the build it runs) | { type: "init-error", message } | { job, index, root, buffer } |
//      { job, index, error, buffer } | { type: "roots", id, roots, buffer } |
//      { type: "roots", id, error, buffer }
//      (`buffer`: the task's buffer, transferred back for reuse)
import init, { StateTaskHasher, hashKernel, headerRoots } from "./beacon_lightsync.js";

let ready = null;
const hashers = new Map();

self.onmessage = async (e) => {
  const m = e.data;
  if (m.type === "init") {
    ready = init({ module_or_path: m.module });
    try {
      await ready;
      self.postMessage({ type: "ready", kernel: hashKernel() });
    } catch (err) {
      self.postMessage({ type: "init-error", message: String(err?.message ?? err) });
    }
    return;
  }
  const buffer = m.bytes.buffer;
  if (m.type === "roots") {
    try {
      await ready;
      const roots = headerRoots(m.bytes);
      self.postMessage({ type: "roots", id: m.id, roots, buffer }, [roots.buffer, buffer]);
    } catch (err) {
      self.postMessage({ type: "roots", id: m.id, error: String(err?.message ?? err), buffer }, [buffer]);
    }
    return;
  }
  try {
    await ready;
    const key = `${m.fork}/${m.preset}`;
    let hasher = hashers.get(key);
    if (!hasher) hashers.set(key, (hasher = new StateTaskHasher(m.fork, m.preset)));
    const root = hasher.hash(m.field, m.fieldLen, m.part, m.height, m.bytes);
    self.postMessage({ job: m.job, index: m.index, root, buffer }, [root.buffer, buffer]);
  } catch (err) {
    self.postMessage({ job: m.job, index: m.index, error: String(err?.message ?? err), buffer }, [buffer]);
  }
};
