// Benchmarks, measured side by side in one run: the native CLI and the wasm build in headless
// Chromium on the same bytes. Prints a table and the ratios, and writes bench-results/*.json.
//
// usage: node scripts/bench.mjs [root] [state] [light] [checkpoint] [memory] [backfill] [verify] [follow] [--runs N] [--validators 65536,500000,2000000] [--workers 2]
//        memory: [--workers-list 0,1,2] (hash workers of each start(), from the download and from a state file)
//        state: [--fork fulu,gloas] (the devnet fork of each size's states, side by side; default fulu) [--no-lodestar]
//        verify: [--headers 1000000] [--workers 2]   follow: [--advances N] [--seconds-per-slot T]
//        memory, state, light: LIGHTSYNC_BENCH_BASELINE=DIR (another pkg-bench build, run beside in the same run)
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { launch, launchBrowser, launchPlain } from "./chromium.mjs";
import { CLI, ROOT, devnetNetwork, liveDevnetArgs, startDevnet, startStatic, storedChain, watchFinality } from "../tests/e2e/helpers.mjs";

const FIXTURES = process.env.LIGHTSYNC_FIXTURES || path.join(ROOT, "../shared/fixtures");
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf("--runs") + 1] || 5) || 5;
const which = args.filter((a, i) => !a.startsWith("--") && !/^[\d,]+$/.test(a) && !(args[i - 1] || "").startsWith("--"));
const suites = which.length ? which : ["root"];

/** Table cells: bytes in MiB, milliseconds in seconds. */
const MiB = (b) => (b / 1048576).toFixed(0);
const sec = (ms) => (ms / 1000).toFixed(2);
// Clock ticks per second of /proc's CPU times.
const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;

function nativeRoot(file, fork, preset) {
  const out = execFileSync(CLI, ["bench", "root", "--json", "--runs", String(runs), "--fork", fork, "--preset", preset, file], {
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").pop());
}

async function rootSuite(browser, base) {
  const cases = [
    { name: "mainnet genesis (phase0)", rel: "genesis-states/mainnet-genesis.ssz", fork: "phase0", preset: "mainnet" },
  ];
  const rows = [];
  for (const c of cases) {
    const file = path.join(FIXTURES, c.rel);
    const native = nativeRoot(file, c.fork, c.preset);
    const page = await browser.newPage();
    await page.goto(`${base}bench/root.html?file=/fixtures/${c.rel}&fork=${c.fork}&preset=${c.preset}&runs=${runs}`);
    const wasm = await page.evaluate(() => window.benchResult);
    await page.close();
    if (wasm.error) throw new Error(`wasm: ${wasm.error}`);
    if (wasm.root !== native.root) throw new Error(`roots differ: native ${native.root}, wasm ${wasm.root}`);
    rows.push({ case: c.name, bytes: wasm.bytes, root: wasm.root, nativeMBps: native.bestMBps, wasmMBps: wasm.bestMBps,
      nativeMs: native.bestMs, wasmMs: wasm.bestMs, ratio: native.bestMBps / wasm.bestMBps });
  }
  console.log(`\nstate root, best of ${runs} (MB/s = 1e6 bytes/s)`);
  console.log("| case | size | native ms | native MB/s | wasm ms | wasm MB/s | native/wasm |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of rows)
    console.log(`| ${r.case} | ${(r.bytes / 1e6).toFixed(1)} MB | ${r.nativeMs.toFixed(1)} | ${r.nativeMBps.toFixed(1)} | ${r.wasmMs.toFixed(1)} | ${r.wasmMBps.toFixed(1)} | ${r.ratio.toFixed(2)}x |`);
  return rows;
}

// ---------------------------------------------------------------------------------------------
// `state` suite: streaming, worker-parallel state root in Chromium against Lodestar, on
// devnet states of several sizes (Fulu; with `--fork fulu,gloas` a Gloas state of the same
// registry beside each, whose EIP-7916 lists are split into the same tasks), with renderer peak
// memory read from /proc (VmHWM).
const STATE_SIZES = (() => {
  const i = args.indexOf("--validators");
  const list = i >= 0 ? args[i + 1] : "65536,500000,2000000";
  return list.split(",").map(Number);
})();
const STATE_FORKS = (() => {
  const i = args.indexOf("--fork");
  const list = (i >= 0 ? args[i + 1] : "fulu").split(",");
  for (const f of list) if (!["electra", "fulu", "gloas"].includes(f)) throw new Error(`--fork: expected electra, fulu or gloas, got ${f}`);
  return list;
})();

/** A one-provider mainnet-preset devnet of `validators` validators at `fork` (`url`: its provider). */
async function stateDevnet(validators, fork = "fulu") {
  const dn = await startDevnet({ providers: 1, args: ["--validators", String(validators), "--preset", "mainnet",
    "--fork", fork], timeoutMs: 120_000 });
  return { ...dn, url: dn.urls[0] };
}

/**
 * One browser (and its CDP session) for all `cases` ([validators, fork] pairs): for each, a state
 * devnet, its finalized state root as the devnet computed it (`expected`, tree_hash), and
 * `fn({ n, fork, dn, expected, browser, cdp })`; the devnet is stopped after each case and the
 * browser closed at the end, whatever fails.
 */
async function eachStateDevnet(cases, fn) {
  const browser = await launchBrowser();
  const cdp = await browser.newBrowserCDPSession();
  try {
    for (const [n, fork] of cases) {
      const dn = await stateDevnet(n, fork);
      try {
        const expected = (await (await fetch(`${dn.url}/eth/v1/beacon/states/finalized/root`)).json()).data.root;
        await fn({ n, fork, dn, expected, browser, cdp });
      } finally {
        await dn.stop();
      }
    }
  } finally {
    await browser.close();
  }
}

/** Bundles Lodestar's SSZ types and as-sha256 for the page (npm + esbuild, benchmark only). */
function bundleLodestar() {
  const dir = path.join(ROOT, "www/bench");
  if (!fs.existsSync(path.join(dir, "node_modules/@lodestar/types")) || !fs.existsSync(path.join(dir, "node_modules/.bin/esbuild")))
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, stdio: "inherit" });
  execFileSync(path.join(dir, "node_modules/.bin/esbuild"), ["lodestar-entry.js", "--bundle", "--format=esm",
    "--platform=browser", "--inject:./buffer-shim.js", "--log-level=warning", "--outfile=lodestar.bundle.js"], { cwd: dir, stdio: "inherit" });
}

/** Resident set of a process in bytes: { rss, hwm } (VmHWM is the kernel's peak RSS). */
function procMem(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k) => Number((s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, "m")) || [])[1]) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM"), cpuMs: cpuMsOf(`/proc/${pid}/stat`), mainCpuMs: cpuMsOf(`/proc/${pid}/task/${pid}/stat`) };
}

/** User + system CPU time, in ms, of the process or thread whose `stat` file this is. */
function cpuMsOf(statPath) {
  try {
    const stat = fs.readFileSync(statPath, "utf8");
    // After the command's closing parenthesis: state is field 3, utime 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 1000 / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** The renderer processes of a plain Chromium (launchPlain: its own process group, led by `pgid`). */
function rendererPidsOf(pgid) {
  const out = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      // Fields after the command's closing parenthesis: state, ppid, pgrp, ...
      const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (pgrp === pgid && fs.readFileSync(`/proc/${d}/cmdline`, "utf8").includes("--type=renderer")) out.push(Number(d));
    } catch { /* gone meanwhile */ }
  }
  return out;
}

async function rendererPids(cdp) {
  const { processInfo } = await cdp.send("SystemInfo.getProcessInfo");
  return new Set(processInfo.filter((p) => p.type === "renderer").map((p) => p.id));
}

/** A fresh page in its own browser context (so its own renderer process) and that renderer's pid. */
async function freshPage(browser, cdp, url) {
  const before = await rendererPids(cdp);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  page.on("console", (m) => { if (m.type() === "error") console.error(`[page] ${m.text()}`); });
  page.on("pageerror", (e) => console.error(`[page error] ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => window.bench, null, { timeout: 60000 });
  // Chromium may start more than one renderer for a new context (e.g. the initial about:blank and
  // the cross-origin-isolated page's own); the page's is the one whose memory grows, so every new
  // live renderer is a candidate and reads take the largest.
  const pids = [...(await rendererPids(cdp))].filter((p) => !before.has(p) && fs.existsSync(`/proc/${p}/status`));
  if (pids.length === 0) throw new Error("expected a new renderer process, got none");
  const live = () => pids.filter((p) => fs.existsSync(`/proc/${p}/status`));
  const mem = () => {
    const all = live().map(procMem);
    return { rss: Math.max(...all.map((m) => m.rss)), hwm: Math.max(...all.map((m) => m.hwm)), rssSum: all.reduce((a, m) => a + m.rss, 0) };
  };
  // The kernel's peak (VmHWM) counts from the process start, so it includes what loading the page
  // and compiling the package cost at their peak; writing 5 to clear_refs restarts it from the
  // current resident set, so a peak read later is the peak of what ran since.
  const resetPeak = () => { for (const p of live()) fs.writeFileSync(`/proc/${p}/clear_refs`, "5"); };
  return { page, mem, resetPeak, close: () => ctx.close() };
}

/**
 * Runs www/bench/checkpoint.html (`LightSync.start()` to the stored anchor) at `url` in a fresh
 * page: its result plus the renderer's peak and, before the run, base memory in bytes.
 */
async function checkpointPage(browser, cdp, url) {
  const pg = await freshPage(browser, cdp, url);
  try {
    await pg.page.evaluate(() => window.bench.ready);
    const base = pg.mem();
    pg.resetPeak();
    const r = await pg.page.evaluate(() => window.bench.run());
    r.rendererPeakBytes = pg.mem().hwm;
    r.rendererBaseBytes = base.rss;
    // The peak before the reset: page load and the package's compilation.
    r.rendererLoadPeakBytes = base.hwm;
    return r;
  } finally {
    await pg.close();
  }
}

function nativeRootThreads(file, threads, fork = "fulu") {
  const out = execFileSync(CLI, ["bench", "root", "--json", "--runs", String(Math.min(runs, 3)), "--threads", String(threads),
    "--fork", fork, "--preset", "mainnet", file], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop());
}

/**
 * Opens `url` (a bench page that POSTs its result to its `report` parameter) in plain headless
 * Chromium (launchPlain: no Playwright, no DevTools protocol) and returns the parsed result. The
 * main-thread figures come from here: with CDP attached, Playwright's Network domain makes the
 * renderer's main thread do inspector work for every chunk of the body and more at its end
 * (ResponseBodyLoader::DidFinishLoadingBody took 65-147 ms of one task for a 12 MB state in a
 * trace), which a user's browser does not do.
 */
async function plainRun(url, timeoutMs = 600_000) {
  let deliver;
  const posted = new Promise((r) => (deliver = r));
  let browser = null;
  const mem = {};
  const srv = http.createServer((req, res) => {
    if (req.method === "GET" && req.url.startsWith("/mem?at=")) {
      // The page's memory hand-shake (checkpoint.html `memReport`): it waits for this answer, so
      // the read is taken with the page at that point.
      const at = new URL(req.url, "http://x").searchParams.get("at");
      const pids = rendererPidsOf(browser.child.pid);
      const all = pids.map(procMem);
      mem[at] = { rss: all.reduce((a, m) => a + m.rss, 0), hwm: all.reduce((a, m) => a + m.hwm, 0), renderers: pids.length,
        cpuMs: all.reduce((a, m) => a + m.cpuMs, 0), mainCpuMs: all.reduce((a, m) => a + m.mainCpuMs, 0) };
      if (at === "base") for (const p of pids) fs.writeFileSync(`/proc/${p}/clear_refs`, "5");
      res.writeHead(200, { "Access-Control-Allow-Origin": "*", "Content-Type": "application/json" });
      res.end(JSON.stringify(mem[at]));
      return;
    }
    const parts = [];
    req.on("data", (c) => parts.push(c));
    req.on("end", () => {
      res.writeHead(204, { "Access-Control-Allow-Origin": "*" });
      res.end();
      if (req.method === "POST") deliver(Buffer.concat(parts).toString("utf8"));
    });
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const report = `http://127.0.0.1:${srv.address().port}/result`;
  browser = launchPlain(`${url}&report=${encodeURIComponent(report)}`);
  try {
    const exited = new Promise((_, reject) => browser.child.once("exit", (c) => reject(new Error(`chromium exited with ${c}`))));
    const limit = new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`no result within ${timeoutMs / 60_000} min`)), timeoutMs).unref());
    const r = JSON.parse(await Promise.race([posted, exited, limit]));
    if (r.error) throw new Error(`page: ${r.error}`);
    // Every read, as resident set (and peak) above the base.
    if (mem.base) r.memoryAt = Object.fromEntries(Object.entries(mem).map(([k, v]) => [k, { rss: v.rss - mem.base.rss, hwm: v.hwm - mem.base.rss }]));
    if (mem.base && mem.end) r.memory = { rendererBaseBytes: mem.base.rss, rendererPeakBytes: mem.end.hwm, rendererEndBytes: mem.end.rss, renderers: mem.end.renderers };
    return r;
  } finally {
    await browser.close();
    srv.close();
    srv.closeAllConnections?.();
  }
}

async function stateSuite(base) {
  bundleLodestar();
  const workers = Number(args[args.indexOf("--workers") + 1] || 2) || 2;
  const noLodestar = args.includes("--no-lodestar");
  const rows = [];
  let kernels = null;
  await eachStateDevnet(STATE_SIZES.flatMap((n) => STATE_FORKS.map((fork) => [n, fork])), async ({ n, fork, dn, expected, browser, cdp }) => {
    const stateUrl = `${dn.url}/eth/v2/debug/beacon/states/finalized`;
    const file = path.join(dn.dir, "state.ssz");
    fs.writeFileSync(file, new Uint8Array(await (await fetch(stateUrl, { headers: { Accept: "application/octet-stream" } })).arrayBuffer()));
    const sszBytes = fs.statSync(file).size;
    const native1 = nativeRootThreads(file, 1, fork);
    const native2 = nativeRootThreads(file, 2, fork);
    fs.rmSync(file);
    const q = `driven=1&url=${encodeURIComponent(stateUrl)}&fork=${fork}&preset=mainnet&workers=${workers}&pkg=${BENCH_PKG}`;
    // Page A: ours (memory read before anything else runs in it), then Lodestar on the same URL.
    const a = await freshPage(browser, cdp, `${base}bench/state.html?${q}`);
    const ready = await a.page.evaluate(() => window.bench.ready);
    if (!kernels) kernels = await a.page.evaluate(() => window.bench.kernels());
    const baseMem = a.mem();
    const ours = await a.page.evaluate(() => window.bench.ours());
    const oursMem = a.mem();
    // The whole LightSync.start() (streaming download + worker hashing + anchor checks +
    // IndexedDB store) on the same devnet, same package build, same worker count.
    const cq = `driven=1&url=${encodeURIComponent(dn.url)}&checkpoint=${encodeURIComponent(dn.checkpoint)}&hashWorkers=${workers}&pkg=${BENCH_PKG}`;
    const start = await checkpointPage(browser, cdp, `${base}bench/checkpoint.html?${cq}`);
    if (start.anchor.stateRoot !== expected) throw new Error(`${n} validators: start() anchor state ${start.anchor.stateRoot}, expected ${expected}`);
    // With LIGHTSYNC_BENCH_BASELINE: the baseline build's start() beside this one's.
    const startBaseline = BASELINE_DIR ? await checkpointPage(browser, cdp, `${base}bench/checkpoint.html?${cq.replace(`pkg=${BENCH_PKG}`, `pkg=${BASELINE_PKG}`)}`) : null;
    if (startBaseline && startBaseline.anchor.stateRoot !== expected) throw new Error(`${n} validators: baseline start() anchor state ${startBaseline.anchor.stateRoot}, expected ${expected}`);
    // The same from a local state file: the same bytes as a Blob in the page (stateFile).
    const fromFile = await checkpointPage(browser, cdp, `${base}bench/checkpoint.html?${cq}&stateFile=1`);
    if (fromFile.anchor.stateRoot !== expected) throw new Error(`${n} validators: start() from a state file: anchor state ${fromFile.anchor.stateRoot}, expected ${expected}`);
    // --no-lodestar: ours only (Lodestar takes minutes at 2M validators on a busy machine).
    const skip = { root: expected, decodeMs: NaN, rootMs: NaN, totalMs: NaN, api: "skipped" };
    const lode = noLodestar ? skip : await a.page.evaluate(() => window.bench.lodestar("value"));
    await a.close();
    // Page B: Lodestar alone, for its own renderer peak.
    let lode2 = skip, lodeBase = { rss: NaN }, lodeMem = { hwm: NaN };
    if (!noLodestar) {
      const b = await freshPage(browser, cdp, `${base}bench/state.html?${q}`);
      await b.page.evaluate(() => window.bench.ready);
      lodeBase = b.mem();
      lode2 = await b.page.evaluate(() => window.bench.lodestar("value"));
      lodeMem = b.mem();
      await b.close();
    }
    // Main-thread responsiveness without automation attached (see plainRun): the same two
    // runs once more in plain headless Chromium.
    const oursPlain = await plainRun(`${base}bench/state.html?${q.replace("driven=1&", "")}`);
    const startPlain = await plainRun(`${base}bench/checkpoint.html?${cq.replace("driven=1&", "")}`);
    if (startPlain.anchor.stateRoot !== expected) throw new Error(`${n} validators: start() (plain) anchor state ${startPlain.anchor.stateRoot}, expected ${expected}`);
    const pick = (r) => ({ longestTaskMs: r.longestTaskMs, maxTimerGapMs: r.maxTimerGapMs, totalMs: r.totalMs, longestFrames: r.longestFrames });
    ours.plain = pick(oursPlain);
    start.plain = pick(startPlain);
    for (const [who, r] of [["ours (plain)", oursPlain.root], ["ours", ours.root], ["lodestar", lode.root], ["lodestar (page B)", lode2.root], ["native", native1.root], ["native x2", native2.root]])
      if (r !== expected) throw new Error(`${n} validators: ${who} root ${r}, expected (devnet, tree_hash) ${expected}`);
    rows.push({ validators: n, fork, sszBytes, expected, simd: ready.simd, kernel: ours.kernel, workers, ours, start, startBaseline, fromFile, oursPeakBytes: oursMem.hwm,
      pageBaseBytes: baseMem.rss, lodestar: lode, lodestarPeakBytes: lodeMem.hwm, lodestarBaseBytes: lodeBase.rss, native1, native2 });
  });
  const lag = (x) => `${x.plain.longestTaskMs.toFixed(0)} / ${x.plain.maxTimerGapMs.toFixed(0)}; ${x.longestTaskMs.toFixed(0)} / ${x.maxTimerGapMs.toFixed(0)}`;
  const label = (r) => `${r.validators.toLocaleString("en")} ${r.fork}`;
  console.log(`\nstate root of devnet states (mainnet preset), Chromium ${workers} workers, kernel ${rows[0]?.kernel}; all roots = devnet tree_hash root`);
  console.log("| validators, fork | SSZ MB | ours: download s | ours: root after last byte s | ours: total s | main thread: longest task ms / max 5 ms-timer gap ms (plain Chromium; with CDP attached) | ours renderer peak MiB | ours peak above page base (x SSZ) | Lodestar decode + root s | Lodestar renderer peak MiB | speed-up | Lodestar/ours peak | native 1 thread s | native 2 threads s |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const o = r.ours, l = r.lodestar;
    const added = r.oursPeakBytes - r.pageBaseBytes;
    console.log(`| ${label(r)} | ${(r.sszBytes / 1e6).toFixed(1)} | ${sec(o.downloadMs)} | ${sec(o.afterLastByteMs)} | ${sec(o.totalMs)} | ${lag(o)} | ${MiB(r.oursPeakBytes)} | ${MiB(added)} (${(added / r.sszBytes).toFixed(2)}x) | ${sec(l.decodeMs)} + ${sec(l.rootMs)} = ${sec(l.totalMs)} | ${MiB(r.lodestarPeakBytes)} | ${(l.totalMs / o.totalMs).toFixed(1)}x | ${(r.lodestarPeakBytes / r.oursPeakBytes).toFixed(1)}x | ${sec(r.native1.bestMs)} | ${sec(r.native2.bestMs)} |`);
    console.log(`|   | (${r.validators}: ${o.nodes} node hashes; workers busy ${sec(o.workerBusyMs)} s = ${o.workerNsPerNode.toFixed(0)} ns/node; longest synchronous hasher call ${o.maxSyncMs.toFixed(0)} ms; BYOB reader ${o.byob}; Lodestar API ${l.api}; page base ${MiB(r.pageBaseBytes)} MiB) |`);
  }
  console.log(`\nLightSync.start() total beside the bare streaming root (same devnet, build and ${workers} workers): download + root, then anchor checks (WS registry walk) and IndexedDB store`);
  console.log("| validators, fork | row | download s | root after last byte s | anchor checks + store s | total s | hash workers | longest task ms / max 5 ms-timer gap ms (plain Chromium; with CDP attached) | renderer peak above base (x SSZ) |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const o = r.ours, c = r.start;
    const cAdded = c.rendererPeakBytes - c.rendererBaseBytes, oAdded = r.oursPeakBytes - r.pageBaseBytes;
    console.log(`| ${label(r)} | bare streaming root | ${sec(o.downloadMs)} | ${sec(o.afterLastByteMs)} | - | ${sec(o.totalMs)} | ${workers} | ${lag(o)} | ${MiB(oAdded)} MiB (${(oAdded / r.sszBytes).toFixed(2)}x) |`);
    console.log(`| ${label(r)} | LightSync.start() total | ${sec(c.downloadMs)} | ${sec(c.hashMs)} | ${sec(c.anchorMs + c.storeMs)} | ${sec(c.totalMs)} | ${c.hashWorkers}${c.warnings.length ? ` (${c.warnings.join(", ")})` : ""} | ${lag(c)} | ${MiB(cAdded)} MiB (${(cAdded / r.sszBytes).toFixed(2)}x) |`);
    const b = r.startBaseline;
    if (b) {
      const bAdded = b.rendererPeakBytes - b.rendererBaseBytes;
      console.log(`| ${label(r)} | LightSync.start() total, baseline build | ${sec(b.downloadMs)} | ${sec(b.hashMs)} | ${sec(b.anchorMs + b.storeMs)} | ${sec(b.totalMs)} | ${b.hashWorkers} | (with CDP attached) ${b.longestTaskMs.toFixed(0)} / ${b.maxTimerGapMs.toFixed(0)} | ${MiB(bAdded)} MiB (${(bAdded / r.sszBytes).toFixed(2)}x) |`);
    }
    const f = r.fromFile, fAdded = f.rendererPeakBytes - f.rendererBaseBytes;
    console.log(`| ${label(r)} | LightSync.start() from a state file (Blob), total | - | - | ${sec(f.anchorMs + f.storeMs)} | ${sec(f.totalMs)} | ${f.hashWorkers} | (with CDP attached) ${f.longestTaskMs.toFixed(0)} / ${f.maxTimerGapMs.toFixed(0)} | ${MiB(fAdded)} MiB (${(fAdded / r.sszBytes).toFixed(2)}x) |`);
  }
  for (const r of rows)
    if (Number.isFinite(r.lodestar.totalMs))
      console.log(`${label(r)}: Lodestar decode + root / LightSync.start() total = ${(r.lodestar.totalMs / r.start.totalMs).toFixed(1)}x` +
        (r.startBaseline ? ` (baseline build ${(r.lodestar.totalMs / r.startBaseline.totalMs).toFixed(1)}x)` : "") +
        `; from a state file ${(r.lodestar.totalMs / r.fromFile.totalMs).toFixed(1)}x`);
  const pairs = rows.filter((r) => r.fork !== "fulu").map((r) => [rows.find((f) => f.fork === "fulu" && f.validators === r.validators), r]).filter(([f]) => f);
  if (pairs.length) {
    console.log("\nthe same registry at each fork, side by side in this run (ratio = other fork / Fulu; 1.00 = same time)");
    console.log("| validators | fork | SSZ MB | ours total s | ours root after last byte s | workers busy s | start() total s | native 1 thread s | native 2 threads s |");
    console.log("|---|---|---|---|---|---|---|---|---|");
    const cell = (x, y) => `${sec(y)} (${(y / x).toFixed(2)}x)`;
    for (const [f, g] of pairs) {
      console.log(`| ${f.validators.toLocaleString("en")} | fulu | ${(f.sszBytes / 1e6).toFixed(1)} | ${sec(f.ours.totalMs)} | ${sec(f.ours.afterLastByteMs)} | ${sec(f.ours.workerBusyMs)} | ${sec(f.start.totalMs)} | ${sec(f.native1.bestMs)} | ${sec(f.native2.bestMs)} |`);
      console.log(`| ${g.validators.toLocaleString("en")} | ${g.fork} | ${(g.sszBytes / 1e6).toFixed(1)} | ${cell(f.ours.totalMs, g.ours.totalMs)} | ${cell(f.ours.afterLastByteMs, g.ours.afterLastByteMs)} | ${cell(f.ours.workerBusyMs, g.ours.workerBusyMs)} | ${cell(f.start.totalMs, g.start.totalMs)} | ${cell(f.native1.bestMs, g.native1.bestMs)} | ${cell(f.native2.bestMs, g.native2.bestMs)} |`);
    }
  }
  if (kernels) {
    console.log("\nSHA-256 of one 64-byte node in Chromium, ns per node (best of 5)");
    console.log("| kernel | batched (4096 per call) | one at a time |");
    console.log("|---|---|---|");
    console.log(`| ours (${kernels.ours.kernel}) | ${kernels.ours.batchedNs.toFixed(0)} | ${kernels.ours.singleNs.toFixed(0)} |`);
    console.log(`| @chainsafe/as-sha256 (simd ${kernels.asSha256.simd}) | ${kernels.asSha256.batchedNs.toFixed(0)} | ${kernels.asSha256.singleNs.toFixed(0)} |`);
    console.log(`ratio as-sha256 / ours: batched ${(kernels.asSha256.batchedNs / kernels.ours.batchedNs).toFixed(2)}x, single ${(kernels.asSha256.singleNs / kernels.ours.singleNs).toFixed(2)}x`);
  }
  return { rows, kernels };
}

// `light` suite: one light-client update verification and a 13-day light rebuild
// (2 x the 6 real mainnet helios periods), in wasm (www/bench/light.html) and natively, same run,
// with each update's verification timed step by step. With LIGHTSYNC_BENCH_BASELINE (another
// pkg-bench build, e.g. an older commit's) the page also runs that build, first, in the same run.
async function lightSuite(browser, base) {
  const loadBefore = os.loadavg();
  const out = execFileSync("cargo", ["test", "--release", "--test", "light_rebuild_bench", "--", "--ignored", "--nocapture"], {
    cwd: ROOT, encoding: "utf8", env: { ...process.env, LIGHTSYNC_FIXTURES: FIXTURES, LIGHT_BENCH_ROUNDS: String(runs) },
  });
  const native = JSON.parse(out.split("\n").find((l) => l.startsWith("LIGHT_BENCH ")).slice(12));
  const inPage = async (pkg) => {
    const page = await browser.newPage();
    await page.goto(`${base}bench/light.html?dir=/fixtures/helios/ethereum/testdata&rounds=${runs}&pkg=${pkg}`);
    const r = await page.evaluate(() => window.benchResult);
    await page.close();
    if (r.error) throw new Error(`wasm (${pkg}): ${r.error}`);
    return r;
  };
  const baseline = BASELINE_DIR ? await inPage(BASELINE_PKG) : null;
  const wasm = await inPage(BENCH_PKG);
  const load = { before: loadBefore, after: os.loadavg(), cpus: os.cpus().length };
  console.log(`\nlight-client verification (real mainnet updates), median of ${runs} rounds, ms`);
  if (baseline) console.log(`wasm before: ${BASELINE_DIR}; wasm: ${BENCH_DIR}`);
  console.log(`| measure | native |${baseline ? " wasm before |" : ""} wasm | wasm/native |`);
  console.log(`|---|---|${baseline ? "---|" : ""}---|---|`);
  for (const [k, name] of [["verifyUpdateMedianMs", "one update, committee prepared"], ["prepareCommitteeMedianMs", "prepare a committee (decompress aggregate_pubkey)"],
    ["updatePlusPrepareMedianMs", "one update incl. its committee's preparation"],
    ["roundPerUpdateMedianMs", "per update of the 6-update chain, one by one (round / 6)"],
    ["batchedPerUpdateMedianMs", "per update of the 6-update chain, signatures in one batch"], ["rebuild13DaysEstimateMs", "13 days (12 periods)"],
    ["keyValidateAllMedianMs", "for comparison: KeyValidate of 512 keys"], ["decompressAllMedianMs", "for comparison: decompress 512 keys"]])
    console.log(`| ${name} | ${native[k].toFixed(2)} |${baseline ? ` ${baseline[k]?.toFixed(2) ?? "-"} |` : ""} ${wasm[k].toFixed(2)} | ${(wasm[k] / native[k]).toFixed(2)}x |`);
  console.log(`member keys decompressed per update (absentees), median: native ${native.decompressedKeysMedian}, wasm ${wasm.decompressedKeysMedian}; native profile ${native.profile}`);
  const steps = [["branches", "checks and branches (headers, finality, next committee)"], ["nextCommitteeRoot", "  of which: hash_tree_root(next_sync_committee)"],
    ["decompressKeys", "decompress the keys needed (absentees)"], ["aggregate", "aggregate: aggregate_pubkey - absentees"],
    ["aggregateKeyValidate", "KeyValidate of the aggregate"], ["signingRoot", "signing root"], ["hashToCurve", "hash-to-curve (G2)"],
    ["signature", "signature: decompress + G2 subgroup check"], ["millerLoops", "pairing: Miller loops"],
    ["finalExponentiation", "pairing: final exponentiation"], ["total", "sum of the steps"]];
  const sb = baseline?.stepsMedianMs;
  console.log(`\none update's verification step by step (medians over ${runs} rounds x ${native.updatesPerRound} updates), ms`);
  console.log(`| step | native |${sb ? " wasm before |" : ""} wasm | wasm/native |`);
  console.log(`|---|---|${sb ? "---|" : ""}---|---|`);
  for (const [k, name] of steps) {
    const n = native.stepsMedianMs[k], w = wasm.stepsMedianMs[k];
    console.log(`| ${name} | ${n.toFixed(3)} |${sb ? ` ${sb[k].toFixed(3)} |` : ""} ${w.toFixed(3)} | ${(w / n).toFixed(2)}x |`);
  }
  console.log(`load average (1, 5, 15 min) before ${load.before.map((x) => x.toFixed(2)).join(", ")}, after ` +
    `${load.after.map((x) => x.toFixed(2)).join(", ")} on ${load.cpus} CPUs`);
  return { native, wasm, baseline, load };
}

// `checkpoint` suite: LightSync.start() to the stored anchor in headless Chromium on a
// devnet Fulu state (download, hash, anchor checks, IndexedDB store; longest main-thread task and
// timer-probe gap; renderer peak memory), and the same flow natively through `lightsync checkpoint`.
async function checkpointSuite(base) {
  const sizes = args.includes("--validators") ? STATE_SIZES : [65536, 2000000];
  const nRuns = args.includes("--runs") ? runs : 1;
  const rows = [];
  await eachStateDevnet(sizes.map((n) => [n, "fulu"]), async ({ n, dn, expected, browser, cdp }) => {
    const spec = (await (await fetch(`${dn.url}/eth/v1/config/spec`)).json()).data;
    // The devnet's config as a config.yaml for the CLI (single-quoted scalars).
    const yaml = Object.entries({ ...spec, GENESIS_VALIDATORS_ROOT: dn.genesis_validators_root })
      .filter(([k, v]) => /^[A-Za-z0-9_]+$/.test(k) && (typeof v === "string" || typeof v === "number"))
      .map(([k, v]) => `${k}: '${String(v).replace(/'/g, "''")}'`).join("\n") + "\n";
    const cfg = path.join(dn.dir, "config.yaml");
    fs.writeFileSync(cfg, yaml);
    for (let r = 0; r < nRuns; r++) {
      const q = `driven=1&url=${encodeURIComponent(dn.url)}&checkpoint=${encodeURIComponent(dn.checkpoint)}`;
      const wasm = await checkpointPage(browser, cdp, `${base}bench/checkpoint.html?${q}`);
      // Native: the CLI's whole run (process start to printed anchor); peak RSS from GNU time.
      const t0 = performance.now();
      const res = spawnSync("/usr/bin/time", ["-f", "PEAK_RSS_KB %M", CLI, "checkpoint", "--network", cfg,
        "--beacon-api", dn.url, "--checkpoint", dn.checkpoint], { encoding: "utf8", maxBuffer: 1 << 24 });
      const wallMs = performance.now() - t0;
      if (res.status !== 0) throw new Error(`lightsync checkpoint exited ${res.status}: ${res.stderr}`);
      const native = { wallMs, peakRssBytes: Number((res.stderr.match(/PEAK_RSS_KB (\d+)/) || [])[1]) * 1024,
        anchor: JSON.parse(res.stdout.trim().split("\n").pop()) };
      for (const [who, a] of [["browser", { b: wasm.anchor.blockRoot, s: wasm.anchor.stateRoot }],
        ["native", { b: native.anchor.block_root, s: native.anchor.state_root }]])
        if (a.s !== expected || a.b !== dn.checkpoint.split(":")[0])
          throw new Error(`${n} validators: ${who} anchor ${a.b}/${a.s}, expected (devnet) ${dn.checkpoint} / state ${expected}`);
      rows.push({ validators: n, run: r, wasm, native });
    }
  });
  console.log(`\ncheckpoint sync, start() to stored anchor, devnet Fulu (mainnet preset), one provider on 127.0.0.1; anchors = devnet roots`);
  console.log("| validators | SSZ MB | build | hash workers | download s | root after last byte s | anchor checks s | store s | total s | longest task ms | long tasks | max timer gap ms | renderer peak MiB (base) | wasm memory MiB | native total s | native peak MiB |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const { validators, wasm: w, native: nt } of rows)
    console.log(`| ${validators.toLocaleString("en")} | ${(w.stateBytes / 1e6).toFixed(1)} | ${w.build} | ${w.hashWorkers} | ${sec(w.downloadMs)} | ${sec(w.hashMs)} | ${sec(w.anchorMs)} | ${sec(w.storeMs)} | ${sec(w.totalMs)} | ${w.longestTaskMs.toFixed(0)} | ${w.longTasks} | ${w.maxTimerGapMs.toFixed(0)} | ${MiB(w.rendererPeakBytes)} (${MiB(w.rendererBaseBytes)}) | ${MiB(w.wasmMemoryBytes)} | ${sec(nt.wallMs)} | ${MiB(nt.peakRssBytes)} |`);
  return rows;
}

// `memory` suite: what LightSync.start() costs in the renderer, part by part, on devnet Fulu
// states (mainnet preset; `--validators`, default 65536). Parts, in one fresh page with nothing
// running: the page alone, then the package compiled and instantiated in it, then idle hash
// workers spawned one at a time as the package's pool spawns them (each after one 1 MiB task).
// The browser alone: the same state's body read and dropped by the page with no package, as fast
// as it arrives and with the reader paused (what Chromium holds of a body the page does not read).
// Then start() to the stored anchor, each in a fresh page, from the download and from a local
// state file (a Blob of the same state), with `--workers-list` (default 0,1,2) hash workers,
// under Playwright and in plain headless Chromium (no DevTools protocol attached: the figure a
// user's browser sees), for the package under test and, with LIGHTSYNC_BENCH_BASELINE (another
// `make pkg-bench` build), for that one beside it. Resident set from /proc; peaks are the
// kernel's VmHWM, restarted at the base (see freshPage).
async function memorySuite(base) {
  const sizes = args.includes("--validators") ? STATE_SIZES : [65536];
  const list = args.includes("--workers-list") ? args[args.indexOf("--workers-list") + 1] : "0,1,2";
  const workersList = list.split(",").map(Number);
  const pkgs = [["this build", BENCH_PKG], ...(BASELINE_DIR ? [["baseline", BASELINE_PKG]] : [])];
  const loadBefore = os.loadavg();
  const rows = [];
  await eachStateDevnet(sizes.map((n) => [n, "fulu"]), async ({ n, dn, expected, browser, cdp }) => {
    const stateUrl = `${dn.url}/eth/v2/debug/beacon/states/finalized`;
    const q = (pkg) => `driven=1&url=${encodeURIComponent(dn.url)}&checkpoint=${encodeURIComponent(dn.checkpoint)}&pkg=${pkg}`;
    const settle = () => new Promise((r) => setTimeout(r, 1000));
    const pg = await freshPage(browser, cdp, `${base}bench/checkpoint.html?${q(BENCH_PKG)}&defer=1`);
    const parts = {};
    try {
      // Chromium may run more than one new renderer for the page; the others stay idle, so
      // the sum's steps are the page's.
      await settle();
      parts.page = pg.mem().rssSum;
      parts.build = (await pg.page.evaluate(() => window.bench.load())).build;
      await settle();
      parts.pkg = pg.mem().rssSum;
      parts.workers = [];
      for (let k = 1; k <= Math.max(1, ...workersList); k++) {
        await pg.page.evaluate(() => window.bench.spawnWorker());
        await settle();
        parts.workers.push(pg.mem().rssSum);
      }
    } finally {
      await pg.close();
    }
    const body = {};
    for (const read of ["fast", "paused"]) {
      const r = await plainRun(`${base}bench/body-read.html?state=${encodeURIComponent(stateUrl)}&read=${read}&pause=3`);
      body[read] = { peak: r.memory.rendererPeakBytes - r.memory.rendererBaseBytes, paused: r.memoryAt.paused?.rss ?? null, reads: r.reads, bytes: r.bytes };
    }
    const runs = [];
    for (const source of ["download", "stateFile"])
      for (const w of workersList)
        for (const [pkgName, pkg] of pkgs) {
          const sq = `${q(pkg)}&hashWorkers=${w}${source === "stateFile" ? "&stateFile=1" : ""}`;
          const r = await checkpointPage(browser, cdp, `${base}bench/checkpoint.html?${sq}`);
          if (r.anchor.stateRoot !== expected) throw new Error(`${n} validators, ${source}: anchor state ${r.anchor.stateRoot}, expected ${expected}`);
          runs.push({ source, workers: w, pkg: pkgName, harness: "Playwright", ...r });
          const p = await plainRun(`${base}bench/checkpoint.html?${sq.replace("driven=1&", "")}&memory=1`);
          if (p.anchor.stateRoot !== expected) throw new Error(`${n} validators, ${source} (plain): anchor state ${p.anchor.stateRoot}, expected ${expected}`);
          runs.push({ source, workers: w, pkg: pkgName, harness: "plain", ...p, ...p.memory, rendererLoadPeakBytes: NaN });
        }
    rows.push({ validators: n, sszBytes: body.fast.bytes, parts, body, runs });
  });
  const load = { before: loadBefore, after: os.loadavg(), cpus: os.cpus().length };
  for (const { validators, sszBytes, parts, body, runs } of rows) {
    console.log(`\nrenderer memory of LightSync.start(), ${validators.toLocaleString("en")} validators (devnet Fulu, mainnet preset, ${(sszBytes / 1e6).toFixed(1)} MB of SSZ), ${parts.build} build; MiB`);
    const w = parts.workers;
    console.log(`parts: page alone ${MiB(parts.page)}; package compiled + instantiated +${MiB(parts.pkg - parts.page)}; ` +
      w.map((x, i) => `idle hash worker ${i + 1} (after one 1 MiB task) +${MiB(x - (i ? w[i - 1] : parts.pkg))}`).join("; "));
    console.log(`the browser alone (no package), the body read with a BYOB reader and dropped: as fast as it arrives, peak +${MiB(body.fast.peak)} ` +
      `(${body.fast.reads} reads); reader paused 3 s after its first read: +${MiB(body.paused.paused)} held while paused, peak +${MiB(body.paused.peak)}`);
    console.log("| source | package | harness | hash workers (used) | peak above base | base | page wasm memory | JS heap peak | total s | root after last byte s |");
    console.log("|---|---|---|---|---|---|---|---|---|---|");
    for (const r of runs)
      console.log(`| ${r.source} | ${r.pkg} | ${r.harness} | ${r.workers} (${r.hashWorkers}) | ${MiB(r.rendererPeakBytes - r.rendererBaseBytes)} | ${MiB(r.rendererBaseBytes)} | ${MiB(r.wasmMemoryBytes)} | ${MiB(r.jsHeapPeakBytes)} | ${sec(r.totalMs)} | ${r.source === "download" ? sec(r.hashMs) : "-"} |`);
  }
  console.log(`load average (1, 5, 15 min) before ${load.before.map((x) => x.toFixed(2)).join(", ")}, after ${load.after.map((x) => x.toFixed(2)).join(", ")} on ${load.cpus} CPUs`);
  return { rows, load };
}

// `backfill` suite: headers stored per second into IndexedDB by LightSync.backfill() in plain
// headless Chromium (no Playwright/CDP attached: the DevTools Network domain adds work to every
// request that a user's browser does not do) against a minimal-preset devnet, beside, in the same
// page and run: the raw fetch rate of the same URLs (same lanes per provider), the raw IndexedDB
// put rate of the same records, and the browser's ceiling: as many fetches of a fixed small JSON
// body (a devnet header response) from trivial 127.0.0.1 servers, one per provider, same lanes.
// The page POSTs its result to a local endpoint. Options: --slots N (devnet length, default
// 20000), --providers K (default 3), --concurrency C (requests in flight per provider, default
// 6), --batch-size B (default 256), --cdp (run the page under Playwright instead, to compare),
// --runs N (default 1). With LIGHTSYNC_BENCH_BASELINE, each run pages the baseline build first,
// then this one, each page with its own raw fetch and ceiling, on the same devnet.
async function backfillSuite(base) {
  const opt = (name, dflt) => Number(args[args.indexOf(name) + 1] || dflt) || dflt;
  const slots = args.includes("--slots") ? opt("--slots", 20000) : 20000;
  const providers = args.includes("--providers") ? opt("--providers", 3) : 3;
  const concurrency = args.includes("--concurrency") ? opt("--concurrency", 6) : 6;
  const batchSize = args.includes("--batch-size") ? opt("--batch-size", 256) : 256;
  const cdp = args.includes("--cdp");
  const t0 = Date.now();
  const dn = await startDevnet({ providers, args: ["--validators", "2048", "--slots", String(slots), "--preset", "minimal",
    "--seed", "7"], timeoutMs: 600_000 });
  const servers = [];
  const listen = async (handler) => {
    const srv = http.createServer(handler);
    await new Promise((r) => srv.listen(0, "127.0.0.1", r));
    servers.push(srv);
    return `http://127.0.0.1:${srv.address().port}`;
  };
  try {
    console.error(`devnet: ${slots} slots, ${providers} provider(s), ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    // The ceiling servers answer every GET with one devnet header response, byte for byte.
    const sample = Buffer.from(await (await fetch(`${dn.urls[0]}/eth/v1/beacon/headers/head`)).arrayBuffer());
    const ceiling = [];
    for (let i = 0; i < providers; i++)
      ceiling.push(await listen((req, res) => {
        req.resume();
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": sample.length,
          "Access-Control-Allow-Origin": "*", "Cache-Control": "no-store" });
        res.end(sample);
      }));
    const q = `url=${encodeURIComponent(dn.urls.join(","))}&concurrency=${concurrency}&batchSize=${batchSize}` +
      `&ceiling=${encodeURIComponent(ceiling.join(","))}`;
    const pageRun = async (pkg) => {
      const pq = `${q}&pkg=${encodeURIComponent(pkg)}`;
      let r;
      if (cdp) {
        const { context, close } = await launch();
        try {
          const page = await context.newPage();
          page.on("console", (m) => { if (m.type() === "error") console.error(`[page] ${m.text()}`); });
          await page.goto(`${base}bench/backfill.html?driven=1&${pq}`);
          r = await page.evaluate(() => window.bench.run());
        } finally {
          await close();
        }
      } else {
        r = await plainRun(`${base}bench/backfill.html?${pq}`, 1_800_000);
      }
      if (r.error) throw new Error(`page: ${r.error}`);
      // Exactness is the browser test's job (tests/web_backfill.rs); here: everything counted is stored.
      if (r.stored !== r.records || r.stored === 0) throw new Error(`stored ${r.stored} headers, the database holds ${r.records}`);
      r.harness = cdp ? "Playwright (CDP attached)" : "plain headless Chromium (no CDP)";
      r.build = pkg === BENCH_PKG ? "this build" : `baseline (${BASELINE_DIR})`;
      return r;
    };
    const nRuns = args.includes("--runs") ? runs : 1;
    const all = [];
    for (let i = 0; i < nRuns; i++)
      for (const pkg of BASELINE_DIR ? [BASELINE_PKG, BENCH_PKG] : [BENCH_PKG]) all.push(await pageRun(pkg));
    const r = all[all.length - 1];
    const f = (x) => x.toFixed(0);
    const pct = (x) => `${(100 * x).toFixed(1)}%`;
    console.log(`\nbackfill in ${r.harness}: devnet ${slots} slots (minimal preset), anchor slot ${r.anchorSlot}, ${providers} provider(s) ` +
      `(one origin each), ${concurrency} requests in flight per provider, batch ${batchSize}`);
    console.log("| measure | count | ms | per second |");
    console.log("|---|---|---|---|");
    console.log(`| backfill: headers stored (verified, IndexedDB) | ${r.stored} (${r.anchorSlot + 1} slots, ${r.emptySlots} empty) | ${f(r.backfillMs)} | ${f(r.backfillHeadersPerSecond)} (${f(r.backfillSlotsPerSecond)} slots) |`);
    console.log(`| raw fetch: same URLs, same lanes (headers found) | ${Math.round(r.rawFetchHeadersPerSecond * r.rawFetchMs / 1000)} of ${r.anchorSlot + 1} requests | ${f(r.rawFetchMs)} | ${f(r.rawFetchHeadersPerSecond)} (${f(r.rawFetchRequestsPerSecond)} requests) |`);
    console.log(`| raw IndexedDB put: same records, same batch | ${r.records} | ${f(r.rawPutMs)} | ${f(r.rawPutRecordsPerSecond)} |`);
    console.log(`| Chromium ceiling: fixed ${r.ceilingBodyBytes} B JSON, trivial servers, ${r.ceilingOrigins} origin(s), same lanes | ${r.ceilingRequests} requests | ${f(r.ceilingMs)} | ${f(r.ceilingRequestsPerSecond)} |`);
    console.log(`ratios: backfill / raw fetch (headers) = ${pct(r.backfillOverRawFetch)}, backfill slots / ceiling requests = ${pct(r.backfillSlotsOverCeiling)}, ` +
      `raw fetch / ceiling (requests) = ${pct(r.rawFetchOverCeiling)}, backfill / raw put = ${pct(r.backfillOverRawPut)}` +
      (r.warnings.length ? `; warnings: ${r.warnings.join(", ")}` : ""));
    const cpuText = (c) => (c ? `${(1000 * c.mainCpuMsPerRequest).toFixed(0)} µs main thread, ${(1000 * c.cpuMsPerRequest).toFixed(0)} µs all threads` : "not measured");
    if (r.cpu?.backfill)
      console.log(`renderer CPU per request: backfill ${cpuText(r.cpu.backfill)}; raw fetch ${cpuText(r.cpu.rawFetch)}; ceiling ${cpuText(r.cpu.ceiling)}`);
    if (all.length > 1) {
      console.log("\nevery page of the run, in order (each with its own raw fetch and ceiling):");
      console.log("| build | backfill slots/s | raw fetch requests/s | ceiling requests/s | backfill / ceiling | backfill / raw fetch | renderer main-thread CPU µs per request: backfill, raw fetch, ceiling |");
      console.log("|---|---|---|---|---|---|---|");
      const us = (c) => (c ? (1000 * c.mainCpuMsPerRequest).toFixed(0) : "-");
      for (const x of all)
        console.log(`| ${x.build} | ${f(x.backfillSlotsPerSecond)} | ${f(x.rawFetchRequestsPerSecond)} | ${f(x.ceilingRequestsPerSecond)} | ${pct(x.backfillSlotsOverCeiling)} | ${pct(x.backfillOverRawFetch)} | ${us(x.cpu?.backfill)}, ${us(x.cpu?.rawFetch)}, ${us(x.cpu?.ceiling)} |`);
    }
    return all.length > 1 ? { last: r, runs: all } : r;
  } finally {
    for (const srv of servers) srv.close(), srv.closeAllConnections?.();
    await dn.stop();
  }
}

// `follow` suite: follow latency on a live devnet (minimal preset, 1 s slots by default, a small
// registry), from the node's `finalized_checkpoint` event to the new tip stored in IndexedDB, over
// `--advances N` (default 20) finality advances, with the event stream (follow's default) and with
// polling at the default interval (`events: false`; one slot), side by side in one run: two
// browser contexts (two databases) of one headless Chromium follow the same devnet at once.
// "Event time" is taken by this process: its own connection to the node's event stream stamps each
// `finalized_checkpoint` on arrival; "stored" is the page's wall clock at the `followed` event,
// which the package emits once the tip's IndexedDB transaction has completed. The client's own
// `latencyMs` (event stream only) is shown beside it.
async function followSuite(base) {
  const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) || dflt : dflt);
  const advances = opt("--advances", 20);
  const secondsPerSlot = opt("--seconds-per-slot", 1);
  const epochMs = 8 * secondsPerSlot * 1000;
  const genesisTime = Math.floor(Date.now() / 1000) - 40 * secondsPerSlot;
  const dn = await startDevnet({ providers: 1, args: liveDevnetArgs(genesisTime, { secondsPerSlot }) });
  const url = dn.urls[0];
  const finality = watchFinality(url);
  const browser = await launchBrowser();
  try {
    const { network } = await devnetNetwork(url);
    const modes = [
      { name: "event stream (default)", follow: {} },
      { name: "polling, default interval (one slot)", follow: { events: false } },
    ];
    for (const m of modes) {
      m.page = await (await browser.newContext()).newPage();
      // 404s are the devnet's empty slots; anything else is shown.
      m.page.on("console", (msg) => {
        if (msg.type() === "error" && !msg.text().includes("status of 404")) console.error(`[${m.name}] ${msg.text()}`);
      });
      await m.page.goto(`${base}bench/follow.html`);
    }
    // Both start following at once; only advances announced after that count.
    const since = Date.now();
    await Promise.all(modes.map((m) => m.page.evaluate(([c, f]) => window.bench.run(c, f).then(() => null),
      [{ network, beaconApiUrls: [url], checkpoint: dn.checkpoint }, m.follow])));
    const samples = async (m) => {
      const followed = await m.page.evaluate(() => window.bench.followed);
      const out = [];
      for (const e of followed.filter((e) => e.advanced)) {
        const ev = finality.events.find((x) => x.block === e.tip.root && x.at >= since);
        if (ev) out.push({ epoch: ev.epoch, ms: e.at - ev.at, clientMs: e.latencyMs, source: e.source });
      }
      return out;
    };
    const deadline = Date.now() + (advances + 4) * epochMs + 60_000;
    for (;;) {
      const counts = await Promise.all(modes.map(async (m) => (await samples(m)).length));
      process.stderr.write(`\rfollow: ${counts.join(" / ")} of ${advances} advances measured`);
      if (counts.every((c) => c >= advances)) break;
      if (Date.now() > deadline) throw new Error(`follow: only ${counts.join(" / ")} advances after ${(deadline - since) / 1000} s`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    process.stderr.write("\n");
    const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.max(0, Math.ceil(q * s.length) - 1)]; };
    const rows = [];
    for (const m of modes) {
      const all = (await samples(m)).slice(0, advances);
      const ms = all.map((x) => x.ms);
      const client = all.map((x) => x.clientMs).filter((x) => typeof x === "number");
      const { errors, sources } = await m.page.evaluate(() => ({ errors: window.bench.errors, sources: window.bench.sources }));
      // The stored tip, read raw from IndexedDB, is the newest followed one.
      const last = (await m.page.evaluate(() => window.bench.followed.filter((e) => e.advanced).at(-1))).tip;
      const stored = await storedChain(m.page, network.GENESIS_VALIDATORS_ROOT);
      if (stored?.tip?.root !== last.root) throw new Error(`${m.name}: stored tip ${stored?.tip?.root}, last followed ${last.root}`);
      rows.push({ mode: m.name, n: all.length, medianMs: quantile(ms, 0.5), p95Ms: quantile(ms, 0.95), minMs: Math.min(...ms),
        maxMs: Math.max(...ms), clientMedianMs: client.length ? quantile(client, 0.5) : null,
        clientP95Ms: client.length ? quantile(client, 0.95) : null,
        bySource: all.reduce((o, x) => ({ ...o, [x.source]: (o[x.source] ?? 0) + 1 }), {}),
        epochs: [all[0]?.epoch, all.at(-1)?.epoch], errors: errors.length, streamChanges: sources.length, samples: all });
    }
    const f = (x) => (x === null ? "–" : x.toFixed(0));
    console.log(`\nfollow latency, node's finalized_checkpoint event (stamped by a separate SSE connection) to the tip stored in ` +
      `IndexedDB; live devnet, minimal preset, ${secondsPerSlot} s slots, ${advances} advances each (epochs ${rows[0].epochs.join("–")}), ` +
      `both modes side by side in one headless Chromium; ms`);
    console.log("| mode | advances | median | p95 | min | max | client latencyMs median / p95 | steps by source | follow errors |");
    console.log("|---|---|---|---|---|---|---|---|---|");
    for (const r of rows)
      console.log(`| ${r.mode} | ${r.n} | ${f(r.medianMs)} | ${f(r.p95Ms)} | ${f(r.minMs)} | ${f(r.maxMs)} | ${f(r.clientMedianMs)} / ${f(r.clientP95Ms)} | ` +
        `${Object.entries(r.bySource).map(([k, v]) => `${k} ${v}`).join(", ")} | ${r.errors} |`);
    return rows;
  } finally {
    await browser.close();
    await finality.close();
    await dn.stop();
  }
}

// `verify` suite: verifyStore()'s whole-chain walk over N stored headers (default 1M): natively
// (`lightsync bench verify`, in-memory store) and in headless Chromium over real IndexedDB (the
// release package's SIMD build), with the browser's reading and hashing also timed apart. The
// browser runs three ways: the page hashing alone, and `--workers` hash workers (default 2) with
// and without the page hashing its share beside them.
async function verifySuite(browser, base) {
  const headers = args.includes("--headers") ? Number(args[args.indexOf("--headers") + 1]) : 1_000_000;
  const workers = args.includes("--workers") ? Number(args[args.indexOf("--workers") + 1]) : 2;
  // The machine's load is part of the figures: timings on a shared machine are not an idle one's.
  const loadBefore = os.loadavg();
  const nativeOut = execFileSync(CLI, ["bench", "verify", "--headers", String(headers), "--runs", String(runs)], { encoding: "utf8" });
  const m = /best ([\d.]+) ms +median ([\d.]+) ms +max ([\d.]+) ms .* kernel (\S+)/.exec(nativeOut);
  if (!m) throw new Error(`native bench: unexpected output ${nativeOut}`);
  const native = { bestMs: Number(m[1]), medianMs: Number(m[2]), maxMs: Number(m[3]), kernel: m[4] };
  const wasm = [];
  for (const [w, pageToo] of [[0, true], [workers, true], [workers, false]]) {
    const page = await browser.newPage();
    await page.goto(`${base}bench/verify.html?headers=${headers}&runs=${runs}&workers=${w}&page=${pageToo ? 1 : 0}`);
    await page.waitForFunction(() => window.benchResult, null, { timeout: 1_800_000 });
    const r = await page.evaluate(() => window.benchResult);
    await page.close();
    if (r.error) throw new Error(`wasm: ${r.error}`);
    wasm.push(r);
  }
  const f = (xs) => `${Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)])} (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})`;
  console.log(`
verifyStore(): ${headers} stored headers, ${runs} runs each, ms: median (min–max)`);
  console.log("| where | hashing | whole walk (read, re-hash, link) | reading alone | hashing alone |");
  console.log("|---|---|---|---|---|");
  console.log(`| native (memory store) | this thread | ${Math.round(native.medianMs)} (${Math.round(native.bestMs)}–${Math.round(native.maxMs)}) | | |`);
  for (const r of wasm) {
    const how = r.workers === 0 ? "page alone" : `${r.workers} workers${r.page ? " + page" : ""}`;
    console.log(`| wasm (IndexedDB) | ${how} | ${f(r.verifyMs)} | ${f(r.readMs)} | ${f(r.hashMs)} |`);
  }
  const workerKernels = wasm.filter((r) => r.workers > 0).map((r) => (r.workerKernels ?? []).join("/") || "none reported");
  for (const r of wasm.filter((r) => r.workers > 0 && r.workerStartMs?.length))
    console.log(`${r.workers} workers${r.page ? " + page" : ""}: starting the workers took ${f(r.workerStartMs)} ms`);
  console.log(`kernels: native ${native.kernel}, wasm page ${wasm[0].kernel}, wasm workers ${workerKernels.join(", ")}; hardwareConcurrency ${wasm[0].hardwareConcurrency}; ` +
    `filling the database (backfill batches of 8192) took ${(wasm[0].fillMs / 1000).toFixed(1)} s`);
  const load = { before: loadBefore, after: os.loadavg(), cpus: os.cpus().length };
  console.log(`load average (1, 5, 15 min) before ${load.before.map((x) => x.toFixed(2)).join(", ")}, after ` +
    `${load.after.map((x) => x.toFixed(2)).join(", ")} on ${load.cpus} CPUs`);
  return { headers, native, wasm, load };
}

// Every page loads pkg-bench/: the package built with the `bench` cargo feature (`make pkg-bench`),
// which adds the benchmark exports (StateStream, KernelBench, benchLightVerify, benchVerifyStore)
// that the package users install does not carry. LIGHTSYNC_BENCH_PKG points at another such build.
const BENCH_DIR = process.env.LIGHTSYNC_BENCH_PKG || path.join(ROOT, "pkg-bench");
if (!fs.existsSync(path.join(BENCH_DIR, "init-best.js")))
  throw new Error(`expected the benchmark build in ${BENCH_DIR} (make pkg-bench), got none`);
const BENCH_PKG = "/pkg-bench";
// LIGHTSYNC_BENCH_BASELINE: a second such build (e.g. of the main branch), which the memory,
// state and light suites run beside the first in the same run.
const BASELINE_DIR = process.env.LIGHTSYNC_BENCH_BASELINE || null;
if (BASELINE_DIR && !fs.existsSync(path.join(BASELINE_DIR, "init-best.js")))
  throw new Error(`LIGHTSYNC_BENCH_BASELINE: expected a benchmark build in ${BASELINE_DIR}, got none`);
const BASELINE_PKG = "/pkg-baseline";
const server = await startStatic({ "": path.join(ROOT, "www"), "/pkg-bench": BENCH_DIR, "/fixtures": FIXTURES,
  ...(BASELINE_DIR ? { [BASELINE_PKG]: BASELINE_DIR } : {}) });
const results = {};
try {
  for (const s of suites) {
    if (s === "root") {
      const { context, close } = await launch();
      try { results.root = await rootSuite(context, server.url); } finally { await close(); }
    } else if (s === "light") {
      const { context, close } = await launch();
      try { results.light = await lightSuite(context, server.url); } finally { await close(); }
    } else if (s === "verify") {
      const { context, close } = await launch();
      try { results.verify = await verifySuite(context, server.url); } finally { await close(); }
    } else if (s === "state") results.state = await stateSuite(server.url);
    else if (s === "checkpoint") results.checkpoint = await checkpointSuite(server.url);
    else if (s === "memory") results.memory = await memorySuite(server.url);
    else if (s === "backfill") results.backfill = await backfillSuite(server.url);
    else if (s === "follow") results.follow = await followSuite(server.url);
    else throw new Error(`unknown suite ${s}`);
  }
} finally {
  await server.stop();
}
fs.mkdirSync(path.join(ROOT, "bench-results"), { recursive: true });
fs.writeFileSync(path.join(ROOT, "bench-results/latest.json"), JSON.stringify(results, null, 2));
console.log("\nwrote bench-results/latest.json");
