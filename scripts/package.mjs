// Completes the package.json that wasm-pack writes into pkg/ so the package loads both from a plain
// `<script type="module">` page and from a bundler: explicit `exports`, `types`, `files` and
// `sideEffects` (the glue module initialises wasm, so it is not side-effect free).
import fs from "node:fs";
import path from "node:path";

const dir = process.argv[2] || "pkg";
const file = path.join(dir, "package.json");
// The hash worker of LightSync.start() sits next to the glue it imports (src/js/hash-pool.js finds
// it by a URL relative to the module); scripts/pkg-simd.sh puts a copy beside the scalar glue.
fs.copyFileSync(new URL("../src/js/hash-worker.js", import.meta.url), path.join(dir, "hash-worker.js"));
const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
const main = pkg.module || pkg.main || "beacon_lightsync.js";
const types = pkg.types || "beacon_lightsync.d.ts";
const wasm = main.replace(/\.js$/, "_bg.wasm");
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
  exports: {
    ".": { types: `./${types}`, import: `./${main}`, default: `./${main}` },
    "./wasm": `./${wasm}`,
    "./package.json": "./package.json",
  },
  files: [main, types, wasm, wasm.replace(/\.wasm$/, ".wasm.d.ts"), "hash-worker.js", "snippets/", "README.md"].filter(
    (f) => f === "snippets/" || fs.existsSync(path.join(dir, f)) || f === "README.md",
  ),
  sideEffects: [`./${main}`, "./snippets/*"],
};
fs.writeFileSync(file, JSON.stringify(out, null, 2) + "\n");
console.log(`package.json completed in ${dir}/`);
