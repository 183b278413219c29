// Completes the package that wasm-pack and scripts/pkg-simd.sh wrote into PKG (default pkg/) so it
// loads both from a plain `<script type="module">` page and from a bundler: explicit `exports`,
// `types`, `files` and `sideEffects` (the glue module initialises wasm, so it is not side-effect
// free), the hash worker beside each glue, the `./worker` entry (LightSync in a dedicated Worker),
// and typings without `any`. The API reference (pkg/docs/, `make pkg`) is not in `files`.
//
// Entries: "." is the SIMD build (every engine since 2021-2023 validates WebAssembly SIMD:
// Chrome 91, Firefox 89, Safari 16.4); "./scalar" is the same API built without SIMD, for older
// engines, loaded only by those who import it; "./init-best" picks one of the two at run time.
import fs from "node:fs";
import path from "node:path";

const dir = process.argv[2] || "pkg";
const file = path.join(dir, "package.json");
const has = (f) => fs.existsSync(path.join(dir, f));
const scalar = has("scalar/beacon_lightsync.js");

// The hash worker of LightSync.start() sits next to the glue it imports (src/js/hash-pool.js finds
// it by a URL relative to the module): each build has its own copy.
const worker = new URL("../src/js/hash-worker.js", import.meta.url);
fs.copyFileSync(worker, path.join(dir, "hash-worker.js"));
if (scalar) fs.copyFileSync(worker, path.join(dir, "scalar/hash-worker.js"));

// `beacon-lightsync/worker`: the page's LightSyncWorker client (worker.js, worker.d.ts) and the
// dedicated worker it starts (lightsync-worker.js, next to the default glue it imports).
const WORKER_FILES = { "worker.js": "worker.js", "worker.d.ts": "worker.d.ts", "lightsync-worker.js": "lightsync-worker.js" };
for (const [from, to] of Object.entries(WORKER_FILES))
  fs.copyFileSync(new URL(`../src/js/${from}`, import.meta.url), path.join(dir, to));

const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
const main = pkg.module || pkg.main || "beacon_lightsync.js";
const types = pkg.types || "beacon_lightsync.d.ts";
const wasm = main.replace(/\.js$/, "_bg.wasm");

/**
 * wasm-bindgen declares the raw wasm exports (the `InitOutput` interface, and the `.wasm.d.ts`)
 * with `any` for every JS value they pass; as `unknown`, code that reaches into them must narrow
 * first, and the typings hold no `any` at all.
 */
function withoutAny(text, from, to) {
  const start = from ? text.indexOf(from) : 0;
  if (start < 0) return text;
  const end = to ? text.indexOf(to, start) : text.length;
  return text.slice(0, start) + text.slice(start, end).replace(/\bany\b/g, "unknown") + text.slice(end);
}
const typings = path.join(dir, types);
fs.writeFileSync(typings, withoutAny(fs.readFileSync(typings, "utf8"), "export interface InitOutput {", "\n}\n"));
const wasmTypings = path.join(dir, `${wasm}.d.ts`);
if (fs.existsSync(wasmTypings)) fs.writeFileSync(wasmTypings, withoutAny(fs.readFileSync(wasmTypings, "utf8")));

const entry = (js) => ({ types: `./${types}`, import: `./${js}`, default: `./${js}` });
const exports = { ".": entry(main), "./wasm": `./${wasm}` };
if (scalar) {
  exports["./scalar"] = entry(`scalar/${main}`);
  exports["./scalar/wasm"] = `./scalar/${wasm}`;
}
exports["./worker"] = { types: "./worker.d.ts", import: "./worker.js", default: "./worker.js" };
// The worker script itself, for pages that start it their own way (`LightSyncWorker.create`'s `worker`).
exports["./lightsync-worker.js"] = "./lightsync-worker.js";
if (has("init-best.js")) exports["./init-best"] = { types: "./init-best.d.ts", import: "./init-best.js", default: "./init-best.js" };
exports["./package.json"] = "./package.json";

const files = [main, types, wasm, `${wasm}.d.ts`, "hash-worker.js", ...Object.values(WORKER_FILES), "README.md"].filter((f) => has(f) || f === "README.md");
if (has("snippets")) files.push("snippets/");
if (scalar) files.push("scalar/");
if (has("init-best.js")) files.push("init-best.js", "init-best.d.ts");

const out = {
  name: "beacon-lightsync",
  version: pkg.version,
  description: pkg.description,
  license: pkg.license,
  repository: pkg.repository,
  keywords: pkg.keywords,
  type: "module",
  main,
  module: main,
  types,
  exports,
  files,
  sideEffects: [`./${main}`, "./snippets/*", ...(scalar ? [`./scalar/${main}`, "./scalar/snippets/*"] : []),
    ...(has("init-best.js") ? ["./init-best.js"] : [])],
};
fs.writeFileSync(file, JSON.stringify(out, null, 2) + "\n");
console.log(`package.json completed in ${dir}/`);
