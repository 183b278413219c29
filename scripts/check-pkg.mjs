// Checks the built package in PKG (default pkg/) before the browser tests run (`make test-e2e`):
// - the wasm a page loads by default (the SIMD build, PKG/beacon_lightsync_bg.wasm) is at most
//   GZIP_BUDGET bytes after `gzip -9`, as a server compresses it on the wire;
// - the typings (every .d.ts of the package) hold no `any` outside comments;
// - no benchmark export reaches the package (they live behind the `bench` cargo feature), and the
//   hash worker's plumbing exists in the glue but not in the typings.
// Prints the raw and gzip sizes of each build. Exits 1 with every failure listed.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

/**
 * Bytes, gzip -9, of the wasm the default entry loads: what the build reaches (about 566 KB) plus a
 * small margin, so growth is a decision, not an accident. The goal is 350 KB; what stands between:
 * every SSZ container, JSON reader and flow is compiled twice, for the mainnet and the minimal
 * preset (generic over `Preset`), and the light-client types once more per fork; the async flows
 * (checkpoint, backfill, light rebuild, follow) are large state machines. Raise it only with a
 * measured reason. Raised once, 580 → 615 KB: the verified execution block on anchors and tips,
 * the verified reads (`header`, `headers`, `blockRootAt`) and the one try-each-provider helper
 * took the build from 566 to 601 KB.
 */
export const GZIP_BUDGET = 615 * 1000;

/** Exports of the `bench` feature that must never ship. */
const BENCH_EXPORTS = ["KernelBench", "StateStream", "benchLightVerify", "benchVerifyStore"];
/** Exports the package's hash worker imports from the glue; not part of the typed API. */
const WORKER_EXPORTS = ["StateTaskHasher", "hashKernel", "headerRoots"];

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
