// A Web Worker that hashes state tasks: it holds its own instance of the wasm package and one
// StateTaskHasher, receives a task's spec and a transferred copy of its bytes (~1 MiB), and posts
// back the task's 32-byte root. It never sees the rest of the state.
//
// Messages in:  { type: "init", pkg, module?, fork, preset }  then  { index, field, fieldLen, part, height, bytes }
// Messages out: { type: "ready", kernel, simd }  |  { index, root, ms, nodes, buffer }  |  { type: "error", index, code, message }
let hasher = null;

self.onmessage = async (e) => {
  const m = e.data;
  if (m.type === "init") {
    try {
      const pkg = await import(m.pkg);
      await pkg.default(m.module);
      hasher = new pkg.StateTaskHasher(m.fork, m.preset);
      self.postMessage({ type: "ready", kernel: pkg.KernelBench.kernel(), simd: pkg.simdSupported ?? null });
    } catch (err) {
      self.postMessage({ type: "error", index: -1, code: err.code ?? "INIT", message: String(err.message ?? err) });
    }
    return;
  }
  const t0 = performance.now();
  try {
    const n0 = hasher.nodesHashed();
    const root = hasher.hash(m.field, m.fieldLen, m.part, m.height, m.bytes);
    // The bytes' buffer goes back to the main thread for the next task: no new buffer per task.
    const buffer = m.bytes.buffer;
    self.postMessage({ index: m.index, root, ms: performance.now() - t0, nodes: hasher.nodesHashed() - n0, buffer }, [root.buffer, buffer]);
  } catch (err) {
    self.postMessage({ type: "error", index: m.index, code: err.code ?? "HASH", message: String(err.message ?? err) });
  }
};
