// Checks the built package in PKG (default pkg/) before the browser tests run (`make test-e2e`):
// - the wasm a page loads by default (the SIMD build, PKG/beacon_lightsync_bg.wasm) is at most
//   GZIP_BUDGET bytes after `gzip -9`, as a server compresses it on the wire;
// - the typings (every .d.ts of the package) hold no `any` outside comments;
// - no benchmark export reaches the package (they live behind the `bench` cargo feature), the
//   hash worker's plumbing exists in the glue but not in the typings, and every name a shipped
//   worker script (hash-worker.js, lightsync-worker.js) imports from the glue is exported by it;
// - the API reference (pkg/docs/, typedoc) documents LightSync, LightSyncWorker and every error
//   code, and stays out of the npm tarball (`files`).
// Prints the raw and gzip sizes of each build. Exits 1 with every failure listed.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

/**
 * Bytes, gzip -9, of the wasm the default entry loads: what the build reaches (about 473 KB) plus a
 * small margin, so growth is a decision, not an accident. The goal is 350 KB; what stands between:
 * every SSZ container decoder, and the synchronous checks around it, is compiled twice, for the
 * mainnet and the minimal preset (generic over `Preset`; no async flow is), and the light-client
 * types once more per fork; the async flows (checkpoint, backfill, light rebuild, follow) are
 * large state machines. Raise it only with a
 * measured reason. Raised once, 580 → 615 KB: the verified execution block on anchors and tips,
 * the verified reads (`header`, `headers`, `blockRootAt`) and the one try-each-provider helper
 * took the build from 566 to 601 KB. Raised again, 615 → 655 KB: Gloas (v1.7.0-alpha.13) took it
 * from 610.6 to 650.6 KB; about three quarters is the fifth light-client family (Gloas
 * `LightClientUpdate` and `LightClientFinalityUpdate`, SSZ and JSON readers, for both presets,
 * in the light rebuild and the follow loop), the rest the anchor's payload status (the
 * execution payload envelope read and checked from bytes, its builder signature verified).
 * Lowered, 655 → 550 KB: the package is built for size (`opt-level = "z"`, the hashing and pairing
 * crates at 3, the SHA-256 kernels unrolled by hand; Cargo.toml), which took the build with Gloas
 * to about 531 KB, and `keepState` added about 7 KB. Lowered, 550 → 520 KB: the Beacon API JSON
 * of every consensus container is read by one schema-driven reader (`types::json`) instead of a
 * serde `Deserialize` per container × fork × preset, which took the build from 539.4 to 511.2 KB
 * (1,412.8 to 1,292.8 KB raw). Lowered, 520 → 510 KB: the pairing check as one multi-Miller loop
 * and JSON written from the same schema (no serde derives left on the containers) took it to
 * 504.2 KB (1,275.0 KB raw). Lowered, 510 → 507 KB: the SSZ schemas as constants in .rodata
 * (`SszSchema::SSZ_TYPE`) instead of a function per container building them took it to 501.5 KB
 * (1,249.3 KB raw). Lowered, 507 → 495 KB: the Beacon API answers around the containers (genesis,
 * headers, finality checkpoints, config/spec, error bodies) read through one `serde_json::Value`
 * and the schema reader instead of a derived `Deserialize` each, and event payloads written without
 * a `Value`, took it to 488.2 KB (1,214.1 KB raw). Lowered, 495 → 485 KB: IndexedDB records read
 * back field by field with js_sys instead of serde-wasm-bindgen's deserializer, and numbers in
 * messages written without core's float formatter, took it to 473.9 KB; the light client's
 * batched signature check (blst's pairing context and G2 scalar multiplication) brought it back
 * to 478.9 KB (1,195.1 KB raw). Lowered, 485 → 475 KB: the exported async methods driving one boxed
 * future type (one `future_to_promise`), a flow awaited by another flow boxed, and the light
 * rebuild as one flow for both presets (only its synchronous checks generic) took it to 472.5 KB
 * (1,160.3 KB raw); a request started and its small body read by one JS call (`getOnce`) left
 * 472.1 KB (1,159.5 KB raw), and without its Rust-side copy of that read 471.9 KB (1,158.7 KB raw).
 */
export const GZIP_BUDGET = 475 * 1000;

/** Exports of the `bench` feature that must never ship. */
const BENCH_EXPORTS = ["KernelBench", "StateStream", "benchLightVerify", "benchVerifyStore"];
/** Exports the package's hash worker imports from the glue; not part of the typed API. */
const WORKER_EXPORTS = ["StateTaskHasher", "hashKernel", "headerRoots"];
/** The package's worker scripts, each importing the glue beside it. */
const WORKER_SCRIPTS = ["hash-worker.js", "lightsync-worker.js"];

/** The names `js` imports from "./beacon_lightsync.js" (the default import as "default"). */
export function glueImports(js) {
  const m = /^import\s+([\s\S]*?)\s+from\s+"\.\/beacon_lightsync\.js";/m.exec(js);
  if (!m) return [];
  const names = [];
  const clause = m[1];
  if (/^[A-Za-z_$]/.test(clause)) names.push("default");
  const braces = /\{([^}]*)\}/.exec(clause);
  if (braces) for (const n of braces[1].split(",")) if (n.trim()) names.push(n.trim().split(/\s+as\s+/)[0]);
  return names;
}

/** Problems of the API reference in `docs` (typedoc's HTML) against the typings in `dts`. */
function checkDocs(dir, dts) {
  const docs = path.join(dir, "docs");
  if (!fs.existsSync(path.join(docs, "index.html"))) return [`expected the API reference at ${docs}/index.html (make pkg), got none`];
  const problems = [];
  const pages = fs.readdirSync(docs, { recursive: true }).filter((f) => f.endsWith(".html"));
  const page = (name) => pages.find((f) => path.basename(f).endsWith(`.${name}.html`));
  for (const name of ["LightSync", "LightSyncWorker", "LightSyncOptions", "ErrorCode"])
    if (!page(name)) problems.push(`docs: expected a page for ${name}, got none`);
  const codes = page("ErrorCode") ? fs.readFileSync(path.join(docs, page("ErrorCode")), "utf8") : "";
  const union = /export type ErrorCode =([^;]*);/.exec(withoutComments(dts))?.[1] ?? "";
  const declared = [...union.matchAll(/"([A-Z0-9_]+)"/g)].map((m) => m[1]);
  if (declared.length < 40) problems.push(`expected the ErrorCode union in the typings, got ${declared.length} codes`);
  for (const code of declared) if (!codes.includes(code)) problems.push(`docs: expected ErrorCode ${code} documented, got none`);
  if (codes && (codes.match(/Retry:/g) ?? []).length < declared.length)
    problems.push(`docs: expected each ErrorCode's comment (with "Retry:"), got ${(codes.match(/Retry:/g) ?? []).length} of ${declared.length}`);
  return problems;
}

const gzipSize = (bytes) => zlib.gzipSync(bytes, { level: 9 }).length;

/** The code of a TypeScript declaration file without its comments (string literals kept). */
export function withoutComments(ts) {
  return ts.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

/** Every problem of the package in `dir`, and the sizes it measured. */
export function checkPackage(dir) {
  const problems = [];
  const sizes = [];
  for (const rel of ["beacon_lightsync_bg.wasm", "scalar/beacon_lightsync_bg.wasm", "beacon_lightsync.js"]) {
    const f = path.join(dir, rel);
    if (!fs.existsSync(f)) {
      problems.push(`expected ${rel} in ${dir}, got none`);
      continue;
    }
    const bytes = fs.readFileSync(f);
    sizes.push({ file: rel, raw: bytes.length, gzip: gzipSize(bytes) });
  }
  const main = sizes.find((s) => s.file === "beacon_lightsync_bg.wasm");
  if (main && main.gzip > GZIP_BUDGET)
    problems.push(`beacon_lightsync_bg.wasm: expected at most ${GZIP_BUDGET} bytes gzip -9, got ${main.gzip}`);

  const dts = fs.readdirSync(dir).filter((f) => f.endsWith(".d.ts"));
  if (!dts.includes("beacon_lightsync.d.ts")) problems.push(`expected beacon_lightsync.d.ts in ${dir}, got ${dts.join(", ")}`);
  for (const f of dts) {
    const code = withoutComments(fs.readFileSync(path.join(dir, f), "utf8"));
    code.split("\n").forEach((line, i) => {
      if (/\bany\b/.test(line)) problems.push(`${f}:${i + 1}: expected no \`any\`, got: ${line.trim()}`);
    });
    for (const name of BENCH_EXPORTS)
      if (new RegExp(`\\b${name}\\b`).test(code)) problems.push(`${f}: expected no ${name} in the typings`);
    for (const name of WORKER_EXPORTS)
      if (new RegExp(`^export (?:declare )?(?:class|function) ${name}\\b`, "m").test(code))
        problems.push(`${f}: expected no declaration of ${name} (the hash worker's plumbing)`);
  }
  const glue = fs.existsSync(path.join(dir, "beacon_lightsync.js")) ? fs.readFileSync(path.join(dir, "beacon_lightsync.js"), "utf8") : "";
  const exported = new Set([...glue.matchAll(/^export (?:class|function|const|let) ([\w$]+)/gm)].map((m) => m[1]));
  for (const name of BENCH_EXPORTS) if (exported.has(name)) problems.push(`beacon_lightsync.js: expected no ${name} export (bench feature), got one`);
  for (const name of WORKER_EXPORTS) if (!exported.has(name)) problems.push(`beacon_lightsync.js: expected the hash worker's ${name} export, got none`);
  if (/^export default /m.test(glue)) exported.add("default");
  for (const [, list] of glue.matchAll(/^export\s*\{([^}]*)\}/gm))
    for (const n of list.split(",")) if (n.trim()) exported.add(n.trim().split(/\s+as\s+/).pop());
  for (const script of WORKER_SCRIPTS) {
    const f = path.join(dir, script);
    if (!fs.existsSync(f)) {
      problems.push(`expected ${script} in ${dir}, got none`);
      continue;
    }
    const imports = glueImports(fs.readFileSync(f, "utf8"));
    if (!imports.length) problems.push(`${script}: expected imports from ./beacon_lightsync.js, got none`);
    for (const name of imports) if (!exported.has(name)) problems.push(`${script}: imports ${name}, which beacon_lightsync.js does not export`);
  }
  const manifest = fs.existsSync(path.join(dir, "package.json")) ? JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) : {};
  if ((manifest.files ?? []).some((f) => f.startsWith("docs")))
    problems.push(`package.json: expected docs/ out of \`files\` (the reference is not shipped), got ${manifest.files}`);
  const typings = path.join(dir, "beacon_lightsync.d.ts");
  if (fs.existsSync(typings)) problems.push(...checkDocs(dir, fs.readFileSync(typings, "utf8")));
  return { problems, sizes };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] || "pkg";
  const { problems, sizes } = checkPackage(dir);
  for (const s of sizes) console.log(`${dir}/${s.file}: ${s.raw} bytes, ${s.gzip} gzip -9`);
  console.log(`budget of the wasm a page loads: ${GZIP_BUDGET} bytes gzip -9`);
  if (problems.length) {
    for (const p of problems) console.error(`check-pkg: ${p}`);
    process.exit(1);
  }
  console.log(`check-pkg: ${dir}/ passes`);
}
