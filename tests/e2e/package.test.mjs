// The npm package as users meet it: its package.json, a plain `<script type="module">` page, the
// README's usage example and the API reference the dashboard links, each loaded in headless
// Chromium (the example against a devnet on 127.0.0.1). Bundled applications built from the
// packed tarball are consumers.test.mjs.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { launch } from "../../scripts/chromium.mjs";
import {
  ROOT,
  PKG,
  dashboardMounts,
  devnetNetwork,
  requireBuilt,
  startDevnet,
  startStatic,
  storedCounts,
  watchConsole,
} from "./helpers.mjs";

requireBuilt();

const pkgJson = JSON.parse(fs.readFileSync(path.join(PKG, "package.json"), "utf8"));

function tempDir(t, prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function browser(t) {
  const b = await launch();
  t.after(() => b.close());
  return b.context;
}

test("pkg/package.json names, types, exports and ships every file it lists", () => {
  assert.equal(pkgJson.name, "beacon-lightsync");
  assert.match(pkgJson.version, /^\d+\.\d+\.\d+/);
  for (const field of ["description", "license", "types", "main", "module"]) assert.ok(pkgJson[field], `${field} is set`);
  assert.equal(pkgJson.type, "module");
  const root = pkgJson.exports["."];
  assert.equal(root.types, `./${pkgJson.types}`);
  assert.ok(fs.existsSync(path.join(PKG, root.import)), `exports["."].import ${root.import} exists`);
  assert.ok(fs.existsSync(path.join(PKG, pkgJson.exports["./wasm"])), "the .wasm export exists");
  const glue = fs.readFileSync(path.join(PKG, root.import), "utf8");
  for (const f of pkgJson.files) {
    // A listed directory the glue never imports from (wasm-pack's `snippets/` when no inline JS
    // exists) is harmless to npm; a listed file, or a directory the glue needs, must exist.
    if (f.endsWith("/") && !glue.includes(`./${f}`)) continue;
    assert.ok(fs.existsSync(path.join(PKG, f)), `listed ${f} exists`);
  }
  assert.ok(Array.isArray(pkgJson.sideEffects) && pkgJson.sideEffects.includes(`./${pkgJson.main}`));
  const dts = fs.readFileSync(path.join(PKG, pkgJson.types), "utf8");
  for (const name of ["class LightSync", "LightSyncOptions", "LightSyncError", "interface Anchor"])
    assert.ok(dts.includes(name), `typings declare ${name}`);
  // The SIMD build is the default entry; the scalar build and the run-time pick are opt-in entries.
  // LightSync in a dedicated Worker is the opt-in `./worker` entry.
  for (const [entry, js] of [["./scalar", "scalar/beacon_lightsync.js"], ["./init-best", "init-best.js"], ["./worker", "worker.js"]]) {
    const e = pkgJson.exports[entry];
    assert.equal(e?.import, `./${js}`, `exports["${entry}"]`);
    assert.ok(fs.existsSync(path.join(PKG, e.import)) && fs.existsSync(path.join(PKG, e.types)), `${entry}: its module and typings exist`);
  }
  assert.ok(fs.existsSync(path.join(PKG, pkgJson.exports["./scalar/wasm"])), "the scalar .wasm export exists");
  assert.ok(pkgJson.files.includes("lightsync-worker.js"), "the worker script LightSyncWorker starts is shipped");
  assert.equal(pkgJson.exports["./lightsync-worker.js"], "./lightsync-worker.js", "and exported for pages that start it themselves");
});

test("check-pkg fails a package whose API reference is missing or whose worker imports what the glue lacks", async (t) => {
  const { checkPackage } = await import("../../scripts/check-pkg.mjs");
  const dir = tempDir(t, "lightsync-badpkg-");
  for (const f of ["beacon_lightsync.js", "beacon_lightsync.d.ts", "beacon_lightsync_bg.wasm", "hash-worker.js", "package.json"])
    fs.copyFileSync(path.join(PKG, f), path.join(dir, f));
  fs.cpSync(path.join(PKG, "scalar"), path.join(dir, "scalar"), { recursive: true });
  fs.writeFileSync(path.join(dir, "lightsync-worker.js"), `import init, { LightSync, NoSuchExport } from "./beacon_lightsync.js";\n`);
  const { problems } = checkPackage(dir);
  assert.deepEqual(problems, [
    "lightsync-worker.js: imports NoSuchExport, which beacon_lightsync.js does not export",
    `expected the API reference at ${dir}/docs/index.html (make pkg), got none`,
  ]);
});

test("the dashboard links the API reference, which documents LightSync, LightSyncWorker and the error codes", async (t) => {
  const server = await startStatic(dashboardMounts());
  t.after(() => server.stop());
  const page = await (await browser(t)).newPage();
  await page.goto(server.url);
  await page.click("[data-testid=api-reference]");
  await page.waitForLoadState("load");
  assert.equal(new URL(page.url()).pathname, "/pkg/docs/index.html");
  assert.match(await page.title(), /beacon-lightsync/);
  // The index reaches every documented page (its navigation is built from the same pages).
  const links = await page.$$eval("a[href]", (as) => as.map((a) => a.href));
  const pageOf = (name) => links.find((href) => new URL(href).pathname.endsWith(`.${name}.html`));
  for (const name of ["LightSync", "LightSyncWorker", "ErrorCode"]) assert.ok(pageOf(name), `the reference links ${name}: ${links.join(" ")}`);
  await page.goto(pageOf("ErrorCode"));
  const text = await page.textContent("body");
  for (const code of ["INVALID_OPTIONS", "WS_STALE", "STATE_ROOT_MISMATCH", "BUSY"]) assert.ok(text.includes(code), `ErrorCode's page documents ${code}`);
  assert.match(text, /Retry: no, fix the option/);
});

test("the package passes scripts/check-pkg.mjs: the default wasm within its gzip budget, typings without any or bench exports", async () => {
  const { checkPackage, GZIP_BUDGET } = await import("../../scripts/check-pkg.mjs");
  const { problems, sizes } = checkPackage(PKG);
  assert.deepEqual(problems, []);
  const main = sizes.find((s) => s.file === "beacon_lightsync_bg.wasm");
  assert.ok(main.gzip <= GZIP_BUDGET, `${main.gzip} <= ${GZIP_BUDGET}`);
});

test("the package loads from a plain <script type=module> page: the SIMD build by default, the scalar one only when asked", async (t) => {
  const dir = tempDir(t, "lightsync-plain-");
  fs.writeFileSync(
    path.join(dir, "index.html"),
    `<!doctype html><meta charset="utf-8"><title>plain</title><link rel="icon" href="data:,">
<script type="module">
  const entry = new URLSearchParams(location.search).get("entry");
  const { default: init, LightSync, version, simdSupported } = await import(entry);
  try {
    await init();
    window.result = { version: version(), create: typeof LightSync.create, simd: simdSupported ?? null };
  } catch (e) {
    window.result = { error: String(e) };
  }
</script>`,
  );
  const server = await startStatic({ "": dir, "/pkg": PKG });
  t.after(() => server.stop());
  const ctx = await browser(t);
  // Chromium validates SIMD: the default entry and init-best load the SIMD build, the scalar
  // entry the scalar one, and no page fetches a build it does not run.
  for (const [entry, wasm, simd] of [
    ["/pkg/beacon_lightsync.js", "/pkg/beacon_lightsync_bg.wasm", null],
    ["/pkg/init-best.js", "/pkg/beacon_lightsync_bg.wasm", true],
    ["/pkg/scalar/beacon_lightsync.js", "/pkg/scalar/beacon_lightsync_bg.wasm", null],
  ]) {
    const page = await ctx.newPage();
    const fetched = [];
    page.on("request", (r) => r.url().endsWith(".wasm") && fetched.push(new URL(r.url()).pathname));
    await page.goto(`${server.url}?${new URLSearchParams({ entry })}`);
    const result = await (await page.waitForFunction(() => window.result, null, { timeout: 30_000 })).jsonValue();
    assert.deepEqual(result, { version: pkgJson.version, create: "function", simd }, entry);
    assert.deepEqual(fetched, [wasm], `${entry} fetches only its own build`);
    await page.close();
  }
});

test("start() hashes the state in the package's Web Workers (SIMD and scalar builds), or inline with hashWorkers: 0", async (t) => {
  const devnet = await startDevnet({ providers: 1 });
  t.after(() => devnet.stop());
  const { network } = await devnetNetwork(devnet.urls[0]);
  const dir = tempDir(t, "lightsync-workers-");
  // One sync per case, each in its own database; `workers` of the hash progress events and the
  // warnings are collected.
  fs.writeFileSync(
    path.join(dir, "index.html"),
    `<!doctype html><meta charset="utf-8"><title>workers</title><link rel="icon" href="data:,">
<script type="module">
  const q = new URLSearchParams(location.search);
  const glue = await import(q.get("glue"));
  await glue.default();
  const opts = JSON.parse(q.get("opts"));
  const out = { workers: [], warnings: [], error: null };
  try {
    const sync = await glue.LightSync.create(opts);
    await sync.reset();
    sync.on("progress", (e) => e.phase === "hash" && "workers" in e && out.workers.push(e.workers));
    sync.on("warning", (w) => out.warnings.push(w.code));
    out.anchor = (await sync.start()).stateRoot;
  } catch (e) {
    out.error = { code: e?.code ?? null, message: String(e?.message ?? e) };
  }
  window.result = out;
</script>`,
  );
  const server = await startStatic({ "": dir, "/pkg": PKG });
  t.after(() => server.stop());
  const ctx = await browser(t);
  const base = { network, beaconApiUrls: devnet.urls, checkpoint: devnet.checkpoint };
  const cases = [
    ["/pkg/beacon_lightsync.js", { ...base, hashWorkers: 2 }, 2],
    ["/pkg/scalar/beacon_lightsync.js", { ...base, hashWorkers: 3 }, 3],
    ["/pkg/beacon_lightsync.js", { ...base, hashWorkers: 0 }, 0],
  ];
  const roots = new Set();
  for (const [glue, opts, workers] of cases) {
    const page = await ctx.newPage();
    const lines = watchConsole(page);
    await page.goto(`${server.url}?${new URLSearchParams({ glue, opts: JSON.stringify(opts) })}`);
    const r = await (await page.waitForFunction(() => window.result, null, { timeout: 60_000 })).jsonValue();
    assert.equal(r.error, null, `${glue} ${workers}: ${JSON.stringify(r.error)}\n${lines.join("\n")}`);
    assert.ok(r.workers.length > 0, `${glue}: hash progress events carry workers`);
    assert.deepEqual([...new Set(r.workers)], [workers], `${glue}: hashed by ${workers} workers`);
    assert.ok(!r.warnings.includes("HASH_WORKERS_FAILED"), `${glue}: ${r.warnings}`);
    roots.add(r.anchor);
    await page.close();
  }
  assert.equal(roots.size, 1, "every case verified the same state root");
});

test("create() resolves network \"spec\" and config objects against every provider's genesis; bad URLs are INVALID_OPTIONS, credentials redacted", async (t) => {
  // The served spec's MIN_GENESIS_TIME + GENESIS_DELAY is ~3 years before the real genesis.
  const devnet = await startDevnet({ providers: 2, args: ["--genesis-lag", "100000000"] });
  t.after(() => devnet.stop());
  const { spec } = await devnetNetwork(devnet.urls[0]);
  const dir = tempDir(t, "lightsync-networks-");
  fs.writeFileSync(
    path.join(dir, "index.html"),
    `<!doctype html><meta charset="utf-8"><title>networks</title><link rel="icon" href="data:,">
<script type="module">
  const glue = await import("/pkg/beacon_lightsync.js");
  await glue.default();
  const cases = JSON.parse(new URLSearchParams(location.search).get("cases"));
  const out = [];
  for (const opts of cases) {
    try {
      const sync = await glue.LightSync.create(opts);
      out.push({ network: sync.status().network });
      sync.free();
    } catch (e) {
      out.push({ error: { code: e?.code ?? null, message: String(e?.message ?? e) } });
    }
  }
  window.result = out;
</script>`,
  );
  const server = await startStatic({ "": dir, "/pkg": PKG });
  t.after(() => server.stop());
  const ctx = await browser(t);
  const cases = [
    { network: "spec", beaconApiUrls: devnet.urls },
    { network: spec, beaconApiUrls: devnet.urls },
    { network: "spec", beaconApiUrls: ["ftp://node.example"] },
    { network: "spec", beaconApiUrls: ["http://alice:hunter2@127.0.0.1:1"], timeoutMs: 2000 },
  ];
  const page = await ctx.newPage();
  await page.goto(`${server.url}?${new URLSearchParams({ cases: JSON.stringify(cases) })}`);
  const [fromSpec, fromObject, ftp, secret] = await (
    await page.waitForFunction(() => window.result, null, { timeout: 60_000 })
  ).jsonValue();
  for (const r of [fromSpec, fromObject]) {
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.equal(r.network.genesisTime, String(devnet.genesis_time));
    assert.equal(r.network.genesisValidatorsRoot, devnet.genesis_validators_root);
  }
  assert.equal(ftp.error.code, "INVALID_OPTIONS", ftp.error.message);
  assert.match(ftp.error.message, /http:\/\/ or https:\/\//);
  assert.ok(secret.error, "an unreachable provider fails create()");
  assert.ok(!secret.error.message.includes("hunter2"), secret.error.message);
  assert.match(secret.error.message, /\*\*\*@127\.0\.0\.1:1/);
});

/** The ```js block of README.md's "Usage" section. */
function readmeExample() {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const usage = readme.slice(readme.indexOf("## Usage"));
  const m = /```js\n([\s\S]*?)```/.exec(usage);
  assert.ok(m, "README.md has a ```js block in its Usage section");
  return m[1];
}

test("the README's usage example runs in a page against the devnet", async (t) => {
  const devnet = await startDevnet({ providers: 2 });
  t.after(() => devnet.stop());
  const { network } = await devnetNetwork(devnet.urls[0]);
  // Only the three inputs are replaced; the rest runs as written.
  const inputs = { network, beaconApiUrls: devnet.urls, checkpoint: devnet.checkpoint };
  let code = readmeExample();
  for (const [name, value] of Object.entries(inputs)) {
    const re = new RegExp(`^const ${name} = .*;.*$`, "m");
    assert.match(code, re, `the example declares \`const ${name} = …;\``);
    code = code.replace(re, `const ${name} = ${JSON.stringify(value)};`);
  }
  const dir = tempDir(t, "lightsync-readme-");
  fs.writeFileSync(path.join(dir, "example.js"), code);
  fs.writeFileSync(
    path.join(dir, "index.html"),
    `<!doctype html><meta charset="utf-8"><title>README example</title><link rel="icon" href="data:,">
<script type="importmap">{ "imports": { "beacon-lightsync": "/pkg/beacon_lightsync.js" } }</script>
<script type="module" src="./example.js"></script>`,
  );
  const server = await startStatic({ "": dir, "/pkg": PKG });
  t.after(() => server.stop());
  const page = await (await browser(t)).newPage();
  const logs = [];
  // Empty slots are 404s of /eth/v1/beacon/headers/{slot} (Beacon API); Chromium logs each one.
  const notFound = [];
  page.on("response", (r) => r.status() === 404 && notFound.push(new URL(r.url()).pathname));
  page.on("console", (m) => {
    if (!(m.type() === "error" && m.text().includes("status of 404"))) logs.push({ type: m.type(), text: m.text() });
  });
  page.on("pageerror", (e) => logs.push({ type: "pageerror", text: e.message }));
  await page.goto(server.url);
  const deadline = Date.now() + 60_000;
  while (!logs.some((l) => l.text.startsWith("weak subjectivity:") || l.type === "error" || l.type === "pageerror")) {
    assert.ok(Date.now() < deadline, `the example did not finish: ${JSON.stringify(logs)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const problems = logs.filter((l) => l.type === "error" || l.type === "pageerror");
  assert.deepEqual(notFound.filter((p) => !/^\/eth\/v1\/beacon\/headers\/\d+$/.test(p)), [], "404s only for empty slots");
  assert.deepEqual(problems, [], "no error");
  const [root] = devnet.checkpoint.split(":");
  assert.ok(logs.some((l) => l.text.startsWith(`anchor ${root} at slot `) && l.text.endsWith("trust: checkpoint")), JSON.stringify(logs));
  assert.ok(logs.some((l) => /^download: \d+ of \d+$/.test(l.text)), "progress events were received");
  assert.ok(logs.some((l) => l.text.endsWith("stale: false")));
  const counts = await storedCounts(page);
  assert.equal(counts.anchors, 1);
  const line = logs.find((l) => l.text.startsWith("backfilled: "));
  assert.ok(line, "the example backfilled");
  const stored = Number(/^backfilled: (\d+) headers stored/.exec(line.text)?.[1]);
  assert.ok(stored > 0, line.text);
  assert.equal(counts.headers, stored, "the headers the example reports are in IndexedDB");
});
