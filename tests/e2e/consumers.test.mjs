// The package as an application installs it: `npm pack` of pkg/, then, for each consumer under
// tests/consumers/ (its own package.json and package-lock.json pinning its bundler from the npm
// registry), a fresh copy installed from its lockfile plus the tarball and built with the
// bundler's defaults:
// - vite/ and webpack/ bundle tests/consumers/app.js (the package's glue, .wasm, hash workers and
//   `beacon-lightsync/worker`); the build must print no warning; the output, served on 127.0.0.1,
//   runs a checkpoint sync, a backfill and verified reads against a devnet in headless Chromium,
//   on the page and in a dedicated Worker, and the bundled hash workers must have hashed;
// - typescript/ type-checks every public type of the package with `tsc --strict --noEmit`.
// npm installs with --prefer-offline: the registry is asked only for what its cache lacks. The
// sizes of each build (JS and wasm, raw and gzip -9) go to test-results/e2e/consumer-sizes.json.
import test from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { launch } from "../../scripts/chromium.mjs";
import { ROOT, PKG, RESULTS, requireBuilt, startDevnet, startStatic, watchConsole } from "./helpers.mjs";

requireBuilt();

const CONSUMERS = path.join(ROOT, "tests/consumers");
const NPM_FLAGS = ["--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"];
const work = fs.mkdtempSync(path.join(os.tmpdir(), "lightsync-consumers-"));
process.on("exit", () => fs.rmSync(work, { recursive: true, force: true }));

/** Runs `cmd` in `cwd`; its stdout and stderr together. Fails the test with both on a non-zero exit. */
function run(cmd, args, cwd) {
  try {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  } catch (e) {
    assert.fail(`${cmd} ${args.join(" ")} in ${cwd} failed:\n${e.stdout}\n${e.stderr}`);
  }
}

let tarball = null;
/** pkg/ packed once (its `files` decide what a user installs). */
function packed() {
  if (tarball) return tarball;
  const out = JSON.parse(run("npm", ["pack", PKG, "--pack-destination", work, "--json", "--loglevel=error"], work));
  const files = out[0].files.map((f) => f.path);
  for (const f of ["beacon_lightsync.js", "beacon_lightsync_bg.wasm", "hash-worker.js", "worker.js", "lightsync-worker.js", "scalar/beacon_lightsync.js"])
    assert.ok(files.includes(f), `the tarball ships ${f}`);
  assert.deepEqual(files.filter((f) => f.startsWith("docs/")), [], "the API reference stays out of the tarball");
  tarball = path.join(work, out[0].filename);
  return tarball;
}

/** A fresh copy of tests/consumers/`name` with its lockfile's dependencies and the tarball installed. */
function install(name, extra = {}) {
  const dir = path.join(work, name);
  fs.cpSync(path.join(CONSUMERS, name), dir, { recursive: true });
  for (const [to, from] of Object.entries(extra)) fs.copyFileSync(from, path.join(dir, to));
  run("npm", ["ci", ...NPM_FLAGS], dir);
  run("npm", ["install", "--no-save", ...NPM_FLAGS, packed()], dir);
  return dir;
}

/** Raw and gzip -9 bytes of the files under `dir` whose names end with one of `exts`. */
function sizeOf(dir, exts) {
  let raw = 0;
  let gzip = 0;
  for (const f of fs.readdirSync(dir, { recursive: true })) {
    if (!exts.some((e) => f.endsWith(e))) continue;
    const bytes = fs.readFileSync(path.join(dir, f));
    raw += bytes.length;
    gzip += zlib.gzipSync(bytes, { level: 9 }).length;
  }
  return { raw, gzip };
}

const sizes = {};
function recordSizes(t, bundler, dir) {
  sizes[bundler] = { js: sizeOf(dir, [".js", ".mjs"]), wasm: sizeOf(dir, [".wasm"]) };
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, "consumer-sizes.json"), JSON.stringify(sizes, null, 2) + "\n");
  const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
  const s = sizes[bundler];
  t.diagnostic(`${bundler}: JS ${kb(s.js.raw)} (${kb(s.js.gzip)} gzip), wasm ${kb(s.wasm.raw)} (${kb(s.wasm.gzip)} gzip)`);
}

let devnet = null;
test.before(async () => {
  devnet = await startDevnet({ providers: 1 });
});
test.after(() => devnet?.stop());

/** Serves `dir`, loads it with the devnet's URL and checkpoint, and checks both runs of app.js. */
async function runApp(t, dir, bundler) {
  const server = await startStatic({ "": dir });
  t.after(() => server.stop());
  const b = await launch();
  t.after(() => b.close());
  const page = await b.context.newPage();
  const lines = watchConsole(page);
  await page.goto(`${server.url}?${new URLSearchParams({ url: devnet.urls[0], checkpoint: devnet.checkpoint })}`);
  const result = await (await page.waitForFunction(() => window.consumerResult, null, { timeout: 120_000 })).jsonValue();
  assert.equal(result.error, undefined, `${bundler}: ${JSON.stringify(result.error)}\n${lines.join("\n")}`);
  const [root] = devnet.checkpoint.split(":");
  for (const where of ["page", "worker"]) {
    const r = result[where];
    const what = `${bundler}, ${where}`;
    assert.deepEqual([r.anchor.blockRoot, r.anchor.trust], [root, "checkpoint"], what);
    assert.deepEqual(r.workers, [2], `${what}: the state was hashed by the two bundled hash workers`);
    // `network: "spec"` warns that the config came from the provider; nothing else may warn
    // (HASH_WORKERS_FAILED would, if a bundled hash worker did not start).
    assert.deepEqual(r.warnings.filter((w) => w !== "CONFIG_FROM_PROVIDER"), [], `${what}: no other warning`);
    assert.ok(r.stored > 0, `${what}: the backfill stored headers`);
    assert.deepEqual(r.oldest, { slot: r.oldestSlot, root: r.oldestRoot }, `${what}: the oldest header read back`);
    assert.deepEqual(r.byRoot, { slot: r.anchor.slot, root }, `${what}: the anchor's header read back`);
    assert.equal(r.report.ok, true, what);
    assert.ok(r.report.hashedInWorkers > 0, `${what}: verifyStore() re-hashed in the bundled hash workers (${JSON.stringify(r.report)})`);
    assert.deepEqual(r.badRead, { code: "INVALID_ARGUMENT", typed: true }, what);
  }
  assert.deepEqual(lines.filter((l) => !l.includes("status of 404")), [], `${bundler}: no console error`);
}

test("a fresh Vite app installed from the tarball builds without warnings and syncs in Chromium", async (t) => {
  const dir = install("vite", { "app.js": path.join(CONSUMERS, "app.js") });
  // --logLevel warn: the build prints only warnings and errors, and must print none.
  const output = run(path.join(dir, "node_modules/.bin/vite"), ["build", "--logLevel", "warn"], dir);
  assert.equal(output.trim(), "", `vite build printed:\n${output}`);
  const dist = path.join(dir, "dist");
  const assets = fs.readdirSync(path.join(dist, "assets"));
  assert.ok(assets.some((f) => f.endsWith(".wasm")), `the .wasm is an asset (got ${assets.join(", ")})`);
  recordSizes(t, "vite", dist);
  await runApp(t, dist, "vite");
});

test("a webpack 5 app installed from the tarball builds without warnings and syncs in Chromium", async (t) => {
  const dir = install("webpack");
  fs.mkdirSync(path.join(dir, "src"));
  fs.copyFileSync(path.join(CONSUMERS, "app.js"), path.join(dir, "src/index.js"));
  run(path.join(dir, "node_modules/.bin/webpack"), ["--mode", "production", "--json", "stats.json"], dir);
  const stats = JSON.parse(fs.readFileSync(path.join(dir, "stats.json"), "utf8"));
  const messages = (list) => list.map((w) => `${w.moduleName ?? ""} ${w.message}`);
  assert.deepEqual(messages(stats.errors), [], "webpack errors");
  assert.deepEqual(messages(stats.warnings), [], "webpack warnings");
  const dist = path.join(dir, "dist");
  assert.ok(fs.readdirSync(dist).some((f) => f.endsWith(".wasm")), "the .wasm is an asset");
  fs.copyFileSync(path.join(dir, "index.html"), path.join(dist, "index.html"));
  recordSizes(t, "webpack", dist);
  await runApp(t, dist, "webpack");
});

/** Names the package's typed entries export ("." and "./worker"), from their .d.ts files. */
function exportedNames() {
  const pkg = JSON.parse(fs.readFileSync(path.join(PKG, "package.json"), "utf8"));
  const names = new Set();
  for (const entry of [".", "./worker"]) {
    const dts = fs.readFileSync(path.join(PKG, pkg.exports[entry].types), "utf8");
    for (const m of dts.matchAll(/^export (?:declare )?(?:class|function|interface|type|const) ([A-Za-z_$][\w$]*)/gm)) names.add(m[1]);
    if (/^export default function/m.test(dts)) names.add("default");
  }
  return names;
}

test("a strict TypeScript project installed from the tarball type-checks every public type", (t) => {
  const dir = install("typescript");
  const output = run(path.join(dir, "node_modules/.bin/tsc"), ["--strict", "--noEmit", "-p", "."], dir);
  assert.equal(output.trim(), "", `tsc printed:\n${output}`);
  // Every exported name appears in the project's sources (a new export must get a use there).
  const sources = ["usage.ts", "worker.ts"].map((f) => fs.readFileSync(path.join(dir, f), "utf8")).join("\n");
  const unused = [...exportedNames()].filter((n) => n !== "default" && !new RegExp(`\\b${n.replace("$", "\\$")}\\b`).test(sources));
  assert.deepEqual(unused, [], "every export of the package is used by tests/consumers/typescript");
  t.diagnostic(`${exportedNames().size} exported names type-checked`);
});
