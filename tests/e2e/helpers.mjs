// Shared pieces of the end-to-end tests and the demo: a devnet (the real `lightsync devnet` binary,
// on free ports of 127.0.0.1), a static server for www/ and pkg/ on another port (so every Beacon
// API request is a real cross-origin request), headless Chromium, and ways to wait on the
// dashboard and to save screenshots where the test output says.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "../../scripts/chromium.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = path.join(ROOT, "target/release/lightsync");
export const PKG = path.join(ROOT, "pkg");
export const RESULTS = path.join(ROOT, "test-results", "e2e");

/** Fails with a clear message when a build product the tests need is missing. */
export function requireBuilt() {
  const missing = [];
  if (!fs.existsSync(CLI)) missing.push(`${path.relative(ROOT, CLI)} (cargo build --release --bin lightsync)`);
  if (!fs.existsSync(path.join(PKG, "beacon_lightsync.js")))
    missing.push("pkg/beacon_lightsync.js (make pkg)");
  if (missing.length) throw new Error(`not built: ${missing.join(", ")}; run \`make test-e2e\``);
}

function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

async function waitForFile(file, child, what, timeoutMs) {
  const t0 = Date.now();
  // The file exists from the writer's open on, before its content is written: an empty read is
  // "not ready yet", not an answer.
  let text = "";
  while (!(fs.existsSync(file) && (text = fs.readFileSync(file, "utf8")).trim())) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before it was ready`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return text;
}

/**
 * Starts `lightsync devnet` with `providers` providers on free ports and extra CLI `args`
 * (e.g. `["--genesis-time", "…"]`), waiting up to `timeoutMs` for it (a large registry or a long
 * chain takes minutes to generate). Resolves to the devnet's `DEVNET` JSON plus `dir` (a scratch
 * directory, removed by `stop()`), `stop()` and `fault(provider, spec)` / `clearFaults(provider)`
 * over its control endpoint.
 */
export async function startDevnet({ providers = 3, args = [], port = 0, timeoutMs = 60_000 } = {}) {
  const dir = tempDir("lightsync-devnet-");
  const ready = path.join(dir, "devnet.json");
  const stderr = [];
  const child = spawn(
    CLI,
    ["devnet", "--port", String(port), "--providers", String(providers), "--ready-file", ready, ...args],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  child.stderr.on("data", (d) => stderr.push(String(d)));
  let info;
  try {
    info = JSON.parse(await waitForFile(ready, child, "lightsync devnet", timeoutMs));
  } catch (e) {
    child.kill();
    throw new Error(`${e.message}\n${stderr.join("")}`);
  }
  const control = async (provider, method, query = "") => {
    const res = await fetch(`${info.urls[provider]}/_devnet/faults${query}`, { method });
    const body = await res.text();
    if (!res.ok) throw new Error(`devnet control ${method} ${query}: ${res.status} ${body}`);
    return body;
  };
  return {
    ...info,
    dir,
    /** Adds a fault rule, in the devnet's text form (`kind,key=value,…`), to provider `i`. */
    fault: (i, spec) => {
      const [kind, ...opts] = spec.split(",");
      const q = new URLSearchParams({ kind });
      for (const o of opts) {
        const [k, v] = o.split("=");
        q.set(k, v);
      }
      return control(i, "POST", `?${q}`);
    },
    clearFaults: (i) => control(i, "DELETE"),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill();
      }),
  };
}

/**
 * The devnet's network as the package's `network` option takes it (its `/eth/v1/config/spec`
 * plus `GENESIS_VALIDATORS_ROOT` from `/eth/v1/beacon/genesis`), with the `genesis` and `spec`
 * answers themselves (the `data` objects).
 */
export async function devnetNetwork(url) {
  const spec = (await (await fetch(`${url}/eth/v1/config/spec`)).json()).data;
  const genesis = (await (await fetch(`${url}/eth/v1/beacon/genesis`)).json()).data;
  return { network: { ...spec, GENESIS_VALIDATORS_ROOT: genesis.genesis_validators_root }, genesis, spec };
}

/**
 * Starts scripts/serve.mjs with `mounts` ({ "/prefix": dir }) on `port` (0 = a free one).
 * Resolves to `{ url, stop() }`.
 */
export async function startStatic(mounts, { port = 0 } = {}) {
  const dir = tempDir("lightsync-serve-");
  const ready = path.join(dir, "url");
  const argv = [path.join(ROOT, "scripts/serve.mjs"), "--port", String(port), "--ready-file", ready];
  for (const [prefix, d] of Object.entries(mounts)) argv.push("--mount", `${prefix}=${d}`);
  const child = spawn(process.execPath, argv, { stdio: ["ignore", "ignore", "inherit"] });
  const url = (await waitForFile(ready, child, "static server", 10_000)).trim();
  return {
    url,
    // SIGKILL: on SIGTERM the server waits for the browser's keep-alive connections to close
    // (up to two minutes), and a static server has nothing to flush.
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill("SIGKILL");
      }),
  };
}

/** The dashboard and the package, as the demo serves them. */
export function dashboardMounts() {
  return { "": path.join(ROOT, "www"), "/pkg": PKG };
}

/** A dashboard URL that prefills the form from `params` (arrays become repeated keys). */
export function dashboardUrl(base, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) for (const x of v) q.append(k, x);
    else if (v !== undefined && v !== null) q.set(k, String(v));
  }
  return `${base}?${q}`;
}

/**
 * Waits until the dashboard's phase is one of `phases` and returns the page's
 * `window.lightsyncDashboard` snapshot. Fails early, with the page's error, when the dashboard
 * stops in `error` although `error` was not awaited.
 */
export async function waitForPhase(page, phases, timeoutMs = 60_000) {
  const want = Array.isArray(phases) ? phases : [phases];
  const stops = [...new Set([...want, "error"])];
  await page.waitForFunction((s) => s.includes(window.lightsyncDashboard?.phase), stops, {
    timeout: timeoutMs,
    polling: 100,
  });
  const snap = await snapshot(page);
  if (!want.includes(snap.phase))
    throw new Error(`dashboard stopped in phase ${snap.phase}: ${JSON.stringify(snap.error)}`);
  return snap;
}

/** A JSON-safe copy of the page's `window.lightsyncDashboard` (BigInts become strings). */
export function snapshot(page) {
  return page.evaluate(() =>
    JSON.parse(
      JSON.stringify(window.lightsyncDashboard, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
    ),
  );
}

/** Saves a full-page screenshot under test-results/e2e/ and returns its path. */
export async function screenshot(page, name) {
  fs.mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * The canonical chain as the honest devnet serves it, read over HTTP: for every slot in
 * [from, to], the header root (or null for an empty slot). This is the known answer a backfill's
 * result is compared with.
 */
export async function canonicalHeaders(url, from, to) {
  const out = new Map();
  const slots = [];
  for (let s = from; s <= to; s++) slots.push(s);
  const CONCURRENCY = 16;
  for (let i = 0; i < slots.length; i += CONCURRENCY) {
    await Promise.all(
      slots.slice(i, i + CONCURRENCY).map(async (s) => {
        const res = await fetch(`${url}/eth/v1/beacon/headers/${s}`, { headers: { Accept: "application/json" } });
        if (res.status === 404) return out.set(s, null);
        if (!res.ok) throw new Error(`headers/${s}: ${res.status}`);
        const body = await res.json();
        out.set(s, { root: body.data.root, parentRoot: body.data.header.message.parent_root });
      }),
    );
  }
  return out;
}

/** Collects page errors and console errors, so a test can print them when it fails. */
export function watchConsole(page) {
  const lines = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") lines.push(`[${m.type()}] ${m.text()}`);
  });
  page.on("pageerror", (e) => lines.push(`[pageerror] ${e.message}`));
  return lines;
}

/**
 * Records in the page's IndexedDB, summed over every database: `{ anchors, headers }` (the
 * `anchors` records, and the headers inside the `header_packs` records). Read straight from IndexedDB, not through the package, so "nothing was
 * stored" is checked independently of the code under test.
 */
export function storedCounts(page) {
  return page.evaluate(async () => {
    const req = (r) => new Promise((res, rej) => ((r.onsuccess = () => res(r.result)), (r.onerror = () => rej(r.error))));
    const totals = { anchors: 0, headers: 0 };
    for (const { name } of await indexedDB.databases()) {
      const db = await req(indexedDB.open(name));
      if (db.objectStoreNames.contains("anchors")) totals.anchors += await req(db.transaction("anchors").objectStore("anchors").count());
      // Headers live in packs, 144 bytes per header (src/store/pack.rs).
      if (db.objectStoreNames.contains("header_packs"))
        for (const pack of await req(db.transaction("header_packs").objectStore("header_packs").getAll())) totals.headers += pack.length / 144;
      db.close();
    }
    return totals;
  });
}

/** `SAFETY_DECAY` (consensus-specs phase0/weak-subjectivity.md, a constant, not in the config). */
const SAFETY_DECAY = 10n;
/** Every validator of the devnet's generated chain is active with 32 ETH, in Gwei. */
const DEVNET_BALANCE_GWEI = 32_000_000_000n;

/**
 * `compute_weak_subjectivity_period` of the Electra guide (also Fulu's), in epochs, for a registry
 * of `validators` active validators at 32 ETH, from the config values in `spec` (the `data` of
 * `/eth/v1/config/spec`):
 *   t = total active balance; delta = get_balance_churn_limit
 *     = max(MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA, t // CHURN_LIMIT_QUOTIENT) rounded down to
 *       EFFECTIVE_BALANCE_INCREMENT;
 *   period = MIN_VALIDATOR_WITHDRAWABILITY_DELAY + SAFETY_DECAY * t // (2 * delta * 100).
 */
export function wsPeriodFromSpec(spec, validators) {
  const t = BigInt(validators) * DEVNET_BALANCE_GWEI;
  const minChurn = BigInt(spec.MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA);
  const quotient = BigInt(spec.CHURN_LIMIT_QUOTIENT);
  const increment = BigInt(spec.EFFECTIVE_BALANCE_INCREMENT);
  let churn = t / quotient > minChurn ? t / quotient : minChurn;
  churn -= churn % increment;
  return Number(BigInt(spec.MIN_VALIDATOR_WITHDRAWABILITY_DELAY) + (SAFETY_DECAY * t) / (2n * churn * 100n));
}

/**
 * `lightsync devnet` arguments for a live chain sized for tests: 1 s slots (`secondsPerSlot`), the
 * minimal preset (8-slot epochs, so finality advances about every 8 slots, two epochs behind the
 * head), a small registry, and genesis at `genesisTime` (unix seconds; in the past, the history up
 * to now is generated first). Restarting with the same arguments serves the same chain.
 */
export function liveDevnetArgs(genesisTime, { validators = 64, seed = 1, secondsPerSlot = 1 } = {}) {
  return ["--live", "--seconds-per-slot", String(secondsPerSlot), "--preset", "minimal", "--validators", String(validators),
    "--seed", String(seed), "--genesis-time", String(genesisTime)];
}

/**
 * The node's `finalized_checkpoint` events, read by this process (not the page) from
 * `${url}/eth/v1/events` as a `text/event-stream`, each stamped with `at` (`Date.now()` when its
 * bytes arrived): `{ epoch, block, state, at }`. The stream is reopened when it drops (a provider
 * restart), every 200 ms until `close()`. `waitFor(pred, timeoutMs)` resolves with the first
 * recorded event that matches.
 */
export function watchFinality(url) {
  const events = [];
  let closed = false;
  let controller = null;
  const run = async () => {
    while (!closed) {
      controller = new AbortController();
      try {
        const res = await fetch(`${url}/eth/v1/events?topics=finalized_checkpoint`, {
          headers: { Accept: "text/event-stream" },
          signal: controller.signal,
        });
        if (res.ok && res.body) await readEventStream(res.body, events);
      } catch {
        // Refused or dropped: reopened below.
      }
      if (!closed) await new Promise((r) => setTimeout(r, 200));
    }
  };
  const done = run();
  return {
    events,
    async waitFor(pred, timeoutMs, what = "a finalized_checkpoint event") {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = events.find(pred);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`expected ${what} within ${timeoutMs} ms, got ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      closed = true;
      controller?.abort();
      await done;
    },
  };
}

/** Reads `finalized_checkpoint` events of a `text/event-stream` body into `events` until it ends. */
async function readEventStream(body, events) {
  const decoder = new TextDecoder();
  let buffer = "";
  let type = "message";
  let data = [];
  for await (const chunk of body) {
    const at = Date.now();
    buffer += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith("\r\n", nl) ? 2 : 1));
      if (line === "") {
        if (type === "finalized_checkpoint" && data.length) {
          const d = JSON.parse(data.join("\n"));
          events.push({ epoch: Number(d.epoch), block: d.block, state: d.state, at });
        }
        type = "message";
        data = [];
      } else if (line.startsWith("event:")) type = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
  }
}

/** The devnet's finalized block now, asked over HTTP: `{ root, slot }`. */
export async function finalizedHeader(url) {
  const res = await fetch(`${url}/eth/v1/beacon/headers/finalized`, { headers: { Accept: "application/json" } });
  if (!res.ok) throw new Error(`headers/finalized: ${res.status} ${await res.text()}`);
  const { data } = await res.json();
  return { root: data.root, slot: Number(data.header.message.slot) };
}

/**
 * What the page's IndexedDB database `beacon-lightsync-${gvr}` holds for following, read raw
 * (no package code): the active anchor root, the followed head (`head` store, key `tip`) and
 * every stored header as `{ slot, root, ssz }` (hex; `ssz` the 112-byte SSZ header), unpacked from
 * the `header_packs` records (each entry 112 SSZ bytes then its 32-byte root; src/store/pack.rs).
 */
export function storedChain(page, gvr) {
  return page.evaluate(async (name) => {
    const req = (r) => new Promise((res, rej) => ((r.onsuccess = () => res(r.result)), (r.onerror = () => rej(r.error))));
    const hex = (v) => {
      const u8 = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      return `0x${Array.from(u8, (b) => b.toString(16).padStart(2, "0")).join("")}`;
    };
    if (!(await indexedDB.databases()).some((d) => d.name === name)) return null;
    const db = await req(indexedDB.open(name));
    try {
      const tx = db.transaction(["meta", "head", "header_packs"], "readonly");
      const [active, tip, packs] = await Promise.all([
        req(tx.objectStore("meta").get("active_anchor")),
        req(tx.objectStore("head").get("tip")),
        req(tx.objectStore("header_packs").getAll()),
      ]);
      const headers = [];
      for (const value of packs) {
        const pack = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
        for (let at = 0; at + 144 <= pack.length; at += 144) {
          const ssz = pack.subarray(at, at + 112);
          const slot = new DataView(ssz.buffer, ssz.byteOffset, 8).getBigUint64(0, true);
          headers.push({ slot: String(slot), root: hex(pack.subarray(at + 112, at + 144)), ssz: hex(ssz) });
        }
      }
      return {
        anchor: active ? hex(active) : null,
        tip: tip ? { slot: String(tip.slot), root: hex(tip.block_root), anchorRoot: hex(tip.anchor_root) } : null,
        headers,
      };
    } finally {
      db.close();
    }
  }, `beacon-lightsync-${gvr}`);
}

/**
 * `hash_tree_root` of an SSZ `BeaconBlockHeader`: its five fields as 32-byte leaves (uint64s
 * little-endian, zero-padded), padded with zero leaves to 8, merkleized with SHA-256.
 */
export function headerRoot(ssz) {
  if (ssz.length !== 112) throw new Error(`header: expected 112 bytes, got ${ssz.length}`);
  const leaf = (a, b) => {
    const l = Buffer.alloc(32);
    ssz.copy(l, 0, a, b);
    return l;
  };
  const zero = Buffer.alloc(32);
  const leaves = [leaf(0, 8), leaf(8, 16), leaf(16, 48), leaf(48, 80), leaf(80, 112), zero, zero, zero];
  let level = leaves;
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2) next.push(createHash("sha256").update(level[i]).update(level[i + 1]).digest());
    level = next;
  }
  return level[0];
}

/**
 * Walks the headers of `stored` (a `storedChain` result) from block `from` down their parent roots
 * to block `to`, asserting that each one is stored and hashes to its root; `what` prefixes the
 * failure messages. Returns the headers walked, newest first (`to`'s own header not among them).
 */
export function walkStoredChain(stored, from, to, what) {
  const byRoot = new Map(stored.headers.map((h) => [h.root, h]));
  const walked = [];
  for (let root = from; root !== to; ) {
    const h = byRoot.get(root);
    assert.ok(h, `${what}: expected a stored header ${root} on the way from ${from} to ${to} (after ${walked.length} links)`);
    const ssz = Buffer.from(h.ssz.slice(2), "hex");
    assert.equal(`0x${headerRoot(ssz).toString("hex")}`, h.root, `${what}: header at slot ${h.slot} hashes to its root`);
    walked.push(h);
    root = `0x${ssz.subarray(16, 48).toString("hex")}`;
  }
  return walked;
}

/**
 * A blank page titled `title`, served on 127.0.0.1 with the package at /pkg, open in a fresh
 * headless Chromium; the page, server and browser go when test `t` ends. `problems` collects what
 * the page's console reports (see `watchConsole`).
 */
export async function packagePage(t, title) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lightsync-${title}-`));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, "index.html"), `<!doctype html><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,">`);
  const server = await startStatic({ "": dir, "/pkg": PKG });
  t.after(() => server.stop());
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.context.newPage();
  const problems = watchConsole(page);
  await page.goto(server.url);
  return { page, problems };
}

/**
 * A devnet started with `devnetOptions`, the dashboard served on 127.0.0.1 and a page of a fresh
 * headless Chromium, all shut down when test `t` ends. The page's console lines are reported as
 * a diagnostic, but not those containing one of `expected` (by default the 404s of the devnet's
 * empty slots).
 */
export async function dashboardSetUp(t, devnetOptions = {}, expected = ["status of 404"]) {
  const devnet = await startDevnet(devnetOptions);
  t.after(() => devnet.stop());
  const www = await startStatic(dashboardMounts());
  t.after(() => www.stop());
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.context.newPage();
  const lines = watchConsole(page);
  t.after(() => {
    const shown = lines.filter((l) => !expected.some((x) => l.includes(x)));
    if (shown.length) t.diagnostic(`browser console: ${shown.join(" | ")}`);
  });
  return { devnet, www, page, context: browser.context };
}
