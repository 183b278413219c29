// Kill soak: Chromium is killed at random moments of start(), backfill() and follow() (SIGKILL
// of the browser process, a renderer crash through CDP `Page.crash`, or an abrupt CDP
// `Browser.close`), the same profile is reopened, and the IndexedDB database is checked by code
// that shares nothing with the package: a page of the same origin that never loads it reads
// every object store raw, and this module decodes the records from their documented layout
// (src/store/records.rs, src/store/idb.rs), hashes the SSZ headers with node's SHA-256 and
// compares everything with the devnet's canonical chain, read over HTTP from a provider the
// package does not use. Then the interrupted flow is resumed in the same profile and must
// finish, and the check must pass again.
//
// Used by tests/e2e/soak.test.mjs (two kills, in CI) and scripts/soak.mjs (`make soak`).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM, FLAGS, privateTmp } from "../../scripts/chromium.mjs";
import { PKG, devnetNetwork, headerRoot, startDevnet, startStatic } from "./helpers.mjs";

// ---------------------------------------------------------------------------------------------
// The environment: a devnet, a static server, the pages.

/**
 * The page that runs one operation of the package and reports on the console (`SOAK {json}`
 * lines): every event, then `done` or `error`. Query: `op` (start | backfill | follow) and
 * `opts` (the path of a JSON file beside the page: `create` options, `backfill` call options,
 * `followUntilSlot`).
 */
const RUN_PAGE = `<!doctype html><meta charset="utf-8"><title>soak</title><link rel="icon" href="data:,">
<script type="module">
  const say = (kind, data) =>
    console.log("SOAK " + JSON.stringify({ kind, ...data }, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
  const q = new URLSearchParams(location.search);
  const op = q.get("op");
  try {
    const opts = await (await fetch(q.get("opts"))).json();
    const { default: init, LightSync } = await import("/pkg/beacon_lightsync.js");
    await init();
    const sync = await LightSync.create(opts.create);
    for (const name of ["progress", "warning", "followed", "followError"]) sync.on(name, (e) => say(name, { event: e }));
    say("ready", {});
    let result;
    if (op === "start") result = await sync.start();
    else if (op === "backfill") result = await sync.backfill(opts.backfill);
    else if (op === "follow") {
      const stop = new AbortController();
      sync.on("followed", (e) => { if (BigInt(e.tip.slot) >= BigInt(opts.followUntilSlot)) stop.abort(); });
      sync.on("followError", (e) => { say("error", { code: e.code, message: String(e.message) }); stop.abort(); });
      result = await sync.follow({ intervalMs: 100, signal: stop.signal });
    } else throw new Error("unknown op " + op);
    say("done", { result });
  } catch (e) {
    say("error", { code: e?.code ?? null, message: String(e?.message ?? e) });
  }
</script>`;

/** The checker's page: same origin, no script at all, so nothing of the package runs. */
const CHECK_PAGE = `<!doctype html><meta charset="utf-8"><title>check</title><link rel="icon" href="data:,">`;

/**
 * A devnet of `slots` slots (minimal preset) with two providers: the package talks to provider
 * 0, whose state and header answers trickle (so that every phase lasts long enough to be hit),
 * and the checker reads provider 1, which is fault-free. Plus a static server for the pages and
 * the package, and the canonical chain read once from provider 1.
 */
export async function startSoakEnv({ slots = 256, validators, stateTrickle, headerTrickle } = {}) {
  const args = ["--slots", String(slots)];
  if (validators) args.push("--validators", String(validators));
  const devnet = await startDevnet({ providers: 2, args, timeoutMs: 180_000 });
  const pages = fs.mkdtempSync(path.join(os.tmpdir(), "lightsync-soak-pages-"));
  let server;
  try {
    fs.writeFileSync(path.join(pages, "index.html"), RUN_PAGE);
    fs.writeFileSync(path.join(pages, "check.html"), CHECK_PAGE);
    server = await startStatic({ "": pages, "/pkg": PKG });
    if (stateTrickle) await devnet.fault(0, `trickle,path=/eth/v2/debug/beacon/states/*,${stateTrickle}`);
    if (headerTrickle) await devnet.fault(0, `trickle,path=/eth/v1/beacon/headers/*,${headerTrickle}`);
    const truth = devnet.urls[1];
    const { network, spec } = await devnetNetwork(truth);
    const canonical = await readCanonical(truth, devnet.head_slot);
    const base = server.url.replace(/\/$/, "");
    let runs = 0;
    const genesis = canonical.get(0);
    if (!genesis) throw new Error("the devnet has no block at slot 0");
    return {
      devnet,
      server,
      network,
      slotsPerEpoch: BigInt(spec.SLOTS_PER_EPOCH),
      canonical,
      gvr: network.GENESIS_VALIDATORS_ROOT,
      finalizedSlot: BigInt(devnet.finalized_slot),
      /** The finalized checkpoint (block_root:epoch) and the genesis one (epoch 0). */
      checkpoints: { finalized: devnet.checkpoint, genesis: `${genesis.root}:0` },
      createOptions(extra) {
        return { network, beaconApiUrls: [devnet.urls[0]], timeoutMs: 20_000, ...extra };
      },
      /** The run page for `op`; `opts` is served beside it as a JSON file. */
      runUrl(op, opts) {
        const file = `/opts-${++runs}.json`;
        fs.writeFileSync(path.join(pages, file), JSON.stringify(opts));
        return `${base}/?${new URLSearchParams({ op, opts: file })}`;
      },
      checkUrl: `${base}/check.html`,
      async stop() {
        await server?.stop();
        await devnet.stop();
        fs.rmSync(pages, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await server?.stop();
    await devnet.stop();
    fs.rmSync(pages, { recursive: true, force: true });
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// The canonical chain and SSZ headers, computed here from the spec's layout.

const hexToBytes = (h) => Buffer.from(h.replace(/^0x/, ""), "hex");
const toHex = (b) => `0x${Buffer.from(b).toString("hex")}`;

function u64Bytes(v) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
}

/** The SSZ encoding of a `BeaconBlockHeader` from its JSON form (112 bytes). */
export function headerSsz(m) {
  return Buffer.concat([
    u64Bytes(m.slot),
    u64Bytes(m.proposer_index),
    hexToBytes(m.parent_root),
    hexToBytes(m.state_root),
    hexToBytes(m.body_root),
  ]);
}


/**
 * Every slot's header as the devnet serves it: slot → `{ root, ssz, stateRoot, parentRoot }`
 * (hex roots; `ssz` a Buffer), or no entry for an empty slot (404). Each served root is checked
 * against the header's own hash_tree_root.
 */
async function readCanonical(url, headSlot) {
  const out = new Map();
  const slots = [];
  for (let s = 0; s <= headSlot; s++) slots.push(s);
  for (let i = 0; i < slots.length; i += 16) {
    await Promise.all(
      slots.slice(i, i + 16).map(async (s) => {
        const res = await fetch(`${url}/eth/v1/beacon/headers/${s}`, { headers: { Accept: "application/json" } });
        if (res.status === 404) return;
        if (!res.ok) throw new Error(`canonical headers/${s}: ${res.status}`);
        const { data } = await res.json();
        const ssz = headerSsz(data.header.message);
        const root = toHex(headerRoot(ssz));
        if (root !== data.root) throw new Error(`canonical headers/${s}: root ${data.root} but the header hashes to ${root}`);
        out.set(s, { root, ssz, stateRoot: data.header.message.state_root, parentRoot: data.header.message.parent_root });
      }),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Chromium on a kept profile, killable three ways.

/** The ways a run is killed; `soakKill` rotates through them. */
export const KILL_METHODS = ["sigkill", "crash", "close"];

const ended = (l) => l.kind === "done" || l.kind === "error";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `promise`, or a rejection with `message` after `ms` (the timer is cleared either way). */
function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(message())), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Waits for `promise` at most `ms` milliseconds, whatever its outcome. */
const upTo = (promise, ms) => withTimeout(promise, ms, () => "").catch(() => {});

async function waitFor(what, fn, timeoutMs, child) {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (child && (child.exitCode !== null || child.signalCode !== null))
      throw new Error(`${what}: chromium exited (${child.exitCode ?? child.signalCode})`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Launches Chromium itself on `profile` (the project's flags, headless, a DevTools port chosen
 * by Chromium and read from the profile's `DevToolsActivePort`) and attaches Playwright over
 * CDP, so the test knows the browser's pid (`context.browser().process()` is null for a
 * persistent context) and can SIGKILL it.
 */
export async function openProfile(profile) {
  const portFile = path.join(profile, "DevToolsActivePort");
  fs.rmSync(portFile, { force: true });
  const tmp = privateTmp();
  const child = spawn(
    CHROMIUM,
    ["--headless", ...FLAGS, "--no-default-browser-check", `--user-data-dir=${profile}`, "--remote-debugging-port=0", "about:blank"],
    { stdio: ["ignore", "ignore", "ignore"], detached: true, env: tmp.env },
  );
  const exited = new Promise((r) => child.once("exit", r));
  // Every way this browser ends kills its process group last: its temporary files go with it.
  const group = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
    if (signal === "SIGKILL") tmp.remove();
  };
  let browser;
  try {
    const port = await waitFor(
      "DevToolsActivePort",
      () => fs.existsSync(portFile) && fs.readFileSync(portFile, "utf8").split("\n")[0].trim(),
      30_000,
      child,
    );
    browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
  } catch (e) {
    group("SIGKILL");
    throw e;
  }
  const context = browser.contexts()[0];
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    context,
    pid: child.pid,
    alive: () => !gone(),
    /** Kills the browser process itself (its children die when it is gone), then reaps. */
    async sigkill() {
      process.kill(child.pid, "SIGKILL");
      await exited;
      group("SIGKILL");
    },
    /** An abrupt CDP Browser.close: Chromium shuts down without the page being told. */
    async cdpClose() {
      const closing = browser
        .newBrowserCDPSession()
        .then((session) => session.send("Browser.close"))
        .catch(() => {});
      await upTo(Promise.race([exited, closing.then(() => upTo(exited, 15_000))]), 20_000);
      group("SIGKILL");
      await upTo(exited, 5_000);
    },
    /** An orderly end: SIGTERM (Chromium shuts down cleanly), then the group is killed. */
    async close() {
      if (!gone()) {
        process.kill(child.pid, "SIGTERM");
        await upTo(exited, 10_000);
      }
      group("SIGKILL");
    },
  };
}

// ---------------------------------------------------------------------------------------------
// One run of the package in a page, with its events.

/**
 * Opens the run page for `op` in `browser` and collects its `SOAK` lines. `events` lists them;
 * `waitFor(pred)` resolves with the first line matching `pred` (or rejects on `error`/timeout);
 * `finished` resolves with the `done` or `error` line.
 */
export async function runOp(env, browser, op, opts) {
  const page = await browser.context.newPage();
  const events = [];
  const waiters = [];
  let finish;
  const finished = new Promise((r) => (finish = r));
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    const text = m.text();
    if (!text.startsWith("SOAK ")) return;
    const line = { t: Date.now(), ...JSON.parse(text.slice(5)) };
    events.push(line);
    if (line.kind === "done" || line.kind === "error") finish(line);
    for (const w of [...waiters]) if (w.pred(line)) w.resolve(line);
  });
  await page.goto(env.runUrl(op, opts));
  return {
    page,
    events,
    errors,
    finished,
    /** The first event matching `pred`, or the run's end (`done` / `error`) if that comes first. */
    waitFor(pred, timeoutMs = 60_000) {
      const hit = events.find((l) => pred(l) || ended(l));
      if (hit) return Promise.resolve(hit);
      const matched = new Promise((resolve) => waiters.push({ pred: (l) => pred(l) || ended(l), resolve }));
      return withTimeout(matched, timeoutMs, () => `${op}: no matching event in ${timeoutMs} ms; last: ${JSON.stringify(events.at(-1))}`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The independent check.

/**
 * Reads every `beacon-lightsync-*` database of the origin raw, in one read-only transaction
 * each, in a fresh page that runs no script of its own. Databases are listed first and only
 * existing ones opened: opening a missing name would create an empty version-1 database.
 * Byte strings come back as `{ $bytes: hex }`, BigInts as `{ $big: decimal }`.
 */
async function dumpDatabases(env, browser) {
  const page = await browser.context.newPage();
  try {
    await page.goto(env.checkUrl);
    return await page.evaluate(async () => {
      const req = (r) => new Promise((res, rej) => ((r.onsuccess = () => res(r.result)), (r.onerror = () => rej(r.error))));
      const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, "0")).join("");
      const plain = (v) => {
        if (v instanceof ArrayBuffer) return { $bytes: hex(new Uint8Array(v)) };
        if (ArrayBuffer.isView(v)) return { $bytes: hex(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
        if (typeof v === "bigint") return { $big: v.toString() };
        if (Array.isArray(v)) return v.map(plain);
        if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
        return v;
      };
      const out = [];
      for (const { name } of await indexedDB.databases()) {
        if (!name.startsWith("beacon-lightsync-")) continue;
        const db = await req(indexedDB.open(name));
        const names = [...db.objectStoreNames];
        const stores = {};
        if (names.length) {
          const tx = db.transaction(names, "readonly");
          const pending = names.map((s) => {
            const os = tx.objectStore(s);
            return Promise.all([req(os.getAllKeys()), req(os.getAll())]);
          });
          const all = await Promise.all(pending);
          names.forEach((s, i) => {
            const [keys, values] = all[i];
            stores[s] = keys.map((k, j) => ({ key: plain(k), value: plain(values[j]) }));
          });
        }
        out.push({ name, version: db.version, stores });
        db.close();
      }
      return out;
    });
  } finally {
    await page.close();
  }
}

/** The header packs' layout (src/store/pack.rs): slots per pack, bytes per header. */
const PACK_SLOTS = 1024n;
const PACK_ENTRY_LEN = 144;

const bytes = (v, what, len) => {
  if (!v || typeof v.$bytes !== "string") throw new Error(`${what}: expected bytes, got ${JSON.stringify(v)}`);
  const b = Buffer.from(v.$bytes, "hex");
  if (len !== undefined && b.length !== len) throw new Error(`${what}: expected ${len} bytes, got ${b.length}`);
  return b;
};
const u64 = (v, what) => {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return BigInt(v);
  if (v && typeof v.$big === "string") return BigInt(v.$big);
  throw new Error(`${what}: expected a uint64, got ${JSON.stringify(v)}`);
};

/**
 * Checks the profile's database against the devnet, independently of the package. Returns
 * `{ problems, summary }`: `problems` lists every violated rule ("expected …, got …"), empty
 * when the database is sound; `summary` says what is stored (anchor slot, header count, cursor,
 * head). `complete` additionally requires the finished flows: `backfillTo` (every canonical
 * block from that slot up to the anchor stored) and/or `headSlot` (the followed head at the
 * block of that slot).
 */
export async function checkDatabase(env, browser, complete = {}) {
  const dbs = await dumpDatabases(env, browser);
  const problems = [];
  const summary = { databases: dbs.map((d) => d.name), anchors: 0, headers: 0, cursor: null, head: null, anchorSlot: null };
  const expectName = `beacon-lightsync-${env.gvr}`;
  for (const db of dbs) if (db.name !== expectName) problems.push(`database: expected only ${expectName}, got ${db.name}`);
  const db = dbs.find((d) => d.name === expectName);
  try {
    if (db) checkOne(env, db, problems, summary);
  } catch (e) {
    problems.push(`undecodable record: ${e.message}`);
  }
  if (complete.anchor && summary.anchors === 0) problems.push("anchor: expected one stored, got none");
  if (complete.backfillTo !== undefined && !summary.backfillComplete)
    problems.push(`backfill: expected every canonical block down to slot ${complete.backfillTo}, got oldest ${summary.cursor?.oldestSlot ?? "none"}`);
  if (complete.backfillTo !== undefined && summary.backfillComplete) {
    const wanted = [...env.canonical.keys()].filter((s) => s >= complete.backfillTo && BigInt(s) <= BigInt(summary.anchorBlockSlot));
    if (summary.below !== wanted.length) problems.push(`backfill: expected ${wanted.length} headers at or below the anchor, got ${summary.below}`);
  }
  if (complete.headSlot !== undefined) {
    const want = blockAtOrBefore(env, BigInt(complete.headSlot));
    if (summary.head?.root !== want?.root) problems.push(`head: expected ${want?.root} (slot ${complete.headSlot}), got ${JSON.stringify(summary.head)}`);
  }
  return { problems, summary };
}

function blockAtOrBefore(env, slot) {
  for (let s = Number(slot); s >= 0; s--) {
    const h = env.canonical.get(s);
    if (h) return { slot: s, ...h };
  }
  return null;
}

function checkOne(env, db, problems, summary) {
  const fail = (m) => problems.push(m);
  const store = (name) => db.stores[name] ?? [];
  for (const name of ["anchors", "header_packs", "meta", "states", "anchor_roots", "head"])
    if (!db.stores[name]) fail(`object store ${name}: expected it (schema 4), got none`);
  if (db.stores.headers) fail("object store headers: expected none (schema 4 keeps headers in header_packs), got one");

  // meta: schema_version, identity, active_anchor, backfill_cursor (string keys).
  const meta = Object.fromEntries(store("meta").map((r) => [r.key, r.value]));
  if (meta.schema_version !== db.version) fail(`meta.schema_version: expected ${db.version} (the database version), got ${meta.schema_version}`);
  if (toHex(bytes(meta.identity?.genesis_validators_root, "identity.genesis_validators_root", 32)) !== env.gvr)
    fail(`meta.identity: expected genesis_validators_root ${env.gvr}`);
  const active = meta.active_anchor ? toHex(bytes(meta.active_anchor, "meta.active_anchor", 32)) : null;

  // anchors (key: block root) and their roots.
  const anchors = new Map();
  for (const { key, value: a } of store("anchors")) {
    const root = toHex(bytes(a.block_root, "anchor.block_root", 32));
    if (toHex(bytes(key, "anchor key", 32)) !== root) fail(`anchor ${root}: stored under another key`);
    anchors.set(root, a);
    if (a.network !== meta.identity?.network) fail(`anchor ${root}: expected network ${meta.identity?.network} (the database's), got ${a.network}`);
    checkAnchor(env, root, a, fail);
  }
  summary.anchors = anchors.size;
  if (active && !anchors.has(active)) fail(`meta.active_anchor: expected a stored anchor, got ${active}`);
  if (anchors.size > 0 && !active) fail("meta.active_anchor: expected one (anchors are stored), got none");
  for (const { key, value: r } of store("anchor_roots")) checkAnchorRoots(env, toHex(bytes(key, "anchor_roots key", 32)), r, anchors, fail);
  if (store("states").length) fail(`states: expected none (no state is kept), got ${store("states").length}`);

  // header_packs (key: slot / PACK_SLOTS): each pack the stored headers of its slots, ascending,
  // as 112 SSZ bytes then the 32-byte root each.
  const headers = [];
  for (const { key, value } of store("header_packs")) {
    const pack = bytes(value, `header pack ${key}`);
    if (pack.length % PACK_ENTRY_LEN !== 0) fail(`header pack ${key}: expected a multiple of ${PACK_ENTRY_LEN} bytes, got ${pack.length}`);
    if (pack.length === 0) fail(`header pack ${key}: expected at least one header, got an empty pack`);
    let previous = -1n;
    for (let at = 0; at + PACK_ENTRY_LEN <= pack.length; at += PACK_ENTRY_LEN) {
      const ssz = pack.subarray(at, at + 112);
      const root = toHex(pack.subarray(at + 112, at + PACK_ENTRY_LEN));
      const slot = ssz.readBigUInt64LE(0);
      if (slot / PACK_SLOTS !== BigInt(key)) fail(`header ${slot}: stored in pack ${key}, expected pack ${slot / PACK_SLOTS}`);
      if (slot <= previous) fail(`header pack ${key}: expected ascending slots, got ${slot} after ${previous}`);
      previous = slot;
      checkHeader(slot, ssz, root);
    }
  }
  const count = meta.header_count;
  if (count !== headers.length) fail(`meta.header_count: expected ${headers.length} (the headers in the packs), got ${count}`);
  function checkHeader(slot, ssz, root) {
    const computed = toHex(headerRoot(ssz));
    if (computed !== root) fail(`header ${slot}: expected root ${root} to be its hash_tree_root, got ${computed}`);
    const canon = env.canonical.get(Number(slot));
    if (!canon) fail(`header ${slot}: expected no block at this slot (the devnet has none), got ${root}`);
    else if (canon.root !== root || !canon.ssz.equals(ssz)) fail(`header ${slot}: expected the canonical ${canon.root}, got ${root}`);
    headers.push({ slot, root, parent: toHex(ssz.subarray(16, 48)), stateRoot: toHex(ssz.subarray(48, 80)) });
  }
  headers.sort((a, b) => (a.slot < b.slot ? -1 : 1));
  summary.headers = headers.length;
  for (let i = 1; i < headers.length; i++)
    if (headers[i].parent !== headers[i - 1].root)
      fail(`chain: expected header ${headers[i].slot}'s parent_root to be ${headers[i - 1].root} (slot ${headers[i - 1].slot}), got ${headers[i].parent}`);

  const anchor = active ? anchors.get(active) : null;
  if (!anchor) {
    if (headers.length) fail(`headers: expected none without an active anchor, got ${headers.length}`);
    if (meta.backfill_cursor) fail("meta.backfill_cursor: expected none without an active anchor");
    if (store("head").length) fail("head: expected none without an active anchor");
    return;
  }
  const anchorBlock = canonicalByRoot(env, active);
  const anchorBlockSlot = anchorBlock ? BigInt(anchorBlock.slot) : u64(anchor.slot, "anchor.slot");
  summary.anchorSlot = u64(anchor.slot, "anchor.slot").toString();
  summary.anchorBlockSlot = anchorBlockSlot.toString();
  const below = headers.filter((h) => h.slot <= anchorBlockSlot);
  const above = headers.filter((h) => h.slot > anchorBlockSlot);
  summary.below = below.length;
  // The chain hangs from the anchor: the backfilled part tops out at the anchor's block, and
  // the followed part starts right above it.
  if (below.length && below.at(-1).root !== active)
    fail(`chain: expected the highest header at or below the anchor to be the anchor block ${active}, got ${below.at(-1).root} (slot ${below.at(-1).slot})`);
  if (!below.length && above.length && above[0].parent !== active)
    fail(`chain: expected the lowest followed header (slot ${above[0].slot}) to have parent_root ${active}, got ${above[0].parent}`);

  // The backfill cursor describes the lowest stored header.
  const c = meta.backfill_cursor;
  if (c) {
    const cursor = {
      oldestSlot: u64(c.oldest_slot, "cursor.oldest_slot"),
      oldestRoot: toHex(bytes(c.oldest_root, "cursor.oldest_root", 32)),
      oldestParentRoot: toHex(bytes(c.oldest_parent_root, "cursor.oldest_parent_root", 32)),
      targetSlot: u64(c.target_slot, "cursor.target_slot"),
    };
    summary.cursor = { ...cursor, oldestSlot: cursor.oldestSlot.toString(), targetSlot: cursor.targetSlot.toString() };
    const lowest = below[0];
    if (!lowest) fail(`meta.backfill_cursor: expected a stored header at its oldest slot ${cursor.oldestSlot}, got no header at or below the anchor`);
    else {
      if (cursor.oldestSlot !== lowest.slot) fail(`cursor.oldest_slot: expected ${lowest.slot} (the lowest stored header), got ${cursor.oldestSlot}`);
      if (cursor.oldestRoot !== lowest.root) fail(`cursor.oldest_root: expected ${lowest.root}, got ${cursor.oldestRoot}`);
      if (cursor.oldestParentRoot !== lowest.parent) fail(`cursor.oldest_parent_root: expected ${lowest.parent}, got ${cursor.oldestParentRoot}`);
    }
    if (cursor.targetSlot > cursor.oldestSlot) fail(`cursor: expected target_slot ≤ oldest_slot, got ${cursor.targetSlot} > ${cursor.oldestSlot}`);
    // Done when nothing canonical is left between the target and the oldest stored block.
    summary.backfillComplete = ![...env.canonical.keys()].some((s) => BigInt(s) >= cursor.targetSlot && BigInt(s) < cursor.oldestSlot);
  } else if (below.length) fail(`meta.backfill_cursor: expected one (${below.length} headers at or below the anchor are stored), got none`);

  // The followed head: the top of the stored chain, descending from the active anchor.
  const tip = store("head").find((r) => r.key === "tip")?.value;
  if (store("head").some((r) => r.key !== "tip")) fail("head: expected only the key tip");
  if (tip) {
    const slot = u64(tip.slot, "head.slot");
    const root = toHex(bytes(tip.block_root, "head.block_root", 32));
    summary.head = { slot: slot.toString(), root };
    if (toHex(bytes(tip.anchor_root, "head.anchor_root", 32)) !== active) fail(`head.anchor_root: expected the active anchor ${active}`);
    const canon = env.canonical.get(Number(slot));
    if (!canon || canon.root !== root) fail(`head: expected the canonical block at slot ${slot} (${canon?.root}), got ${root}`);
    else if (toHex(bytes(tip.state_root, "head.state_root", 32)) !== canon.stateRoot) fail(`head.state_root: expected ${canon.stateRoot}`);
    const top = headers.at(-1);
    if (root !== active && top?.root !== root) fail(`head: expected it to be the highest stored header, got highest ${top?.root} at ${top?.slot}`);
  } else if (above.length) fail(`head: expected one (${above.length} headers above the anchor are stored), got none`);
}

function canonicalByRoot(env, root) {
  for (const [slot, h] of env.canonical) if (h.root === root) return { slot, ...h };
  return null;
}

/** An anchor: its block is canonical, its state root is that block's, its fields agree. */
function checkAnchor(env, root, a, fail) {
  const slot = u64(a.slot, "anchor.slot");
  const epoch = u64(a.epoch, "anchor.epoch");
  if (epoch !== slot / env.slotsPerEpoch) fail(`anchor ${root}: expected epoch ${slot / env.slotsPerEpoch} for slot ${slot}, got ${epoch}`);
  const block = canonicalByRoot(env, root);
  if (!block) return fail(`anchor ${root}: expected a canonical block of the devnet, got an unknown root`);
  const atSlot = env.canonical.get(Number(slot));
  if (a.linked_through_latest_block_header) {
    const latest = blockAtOrBefore(env, slot);
    if (latest?.root !== root) fail(`anchor ${root}: expected the latest block at or before slot ${slot} (${latest?.root})`);
  } else if (atSlot?.root !== root) fail(`anchor ${root}: expected the devnet's header root at slot ${slot}, got ${atSlot?.root ?? "an empty slot"}`);
  const stateRoot = toHex(bytes(a.state_root, "anchor.state_root", 32));
  if (!a.linked_through_latest_block_header && stateRoot !== block.stateRoot)
    fail(`anchor ${root}: expected state_root ${block.stateRoot} (its header's), got ${stateRoot}`);
}

/** `anchor_roots`: keyed by a stored anchor; every `block_roots` entry the canonical root. */
function checkAnchorRoots(env, key, r, anchors, fail) {
  const anchor = anchors.get(key);
  if (!anchor) return fail(`anchor_roots ${key}: expected a stored anchor with that root, got none`);
  if (toHex(bytes(r.block_root, "anchor_roots.block_root", 32)) !== key) fail(`anchor_roots ${key}: block_root differs from its key`);
  const stateSlot = u64(r.state_slot, "anchor_roots.state_slot");
  if (stateSlot !== u64(anchor.slot, "anchor.slot")) fail(`anchor_roots ${key}: expected state_slot ${anchor.slot}, got ${stateSlot}`);
  const flat = bytes(r.block_roots, "anchor_roots.block_roots");
  const n = flat.length / 32;
  if (!Number.isInteger(n) || n === 0 || (n & (n - 1)) !== 0)
    return fail(`anchor_roots ${key}: expected SLOTS_PER_HISTORICAL_ROOT roots (a power of two), got ${flat.length} bytes`);
  for (let s = Math.max(0, Number(stateSlot) - n); s < Number(stateSlot); s++) {
    const want = blockAtOrBefore(env, BigInt(s))?.root;
    const got = toHex(flat.subarray((s % n) * 32, (s % n) * 32 + 32));
    if (got !== want) return fail(`anchor_roots ${key}: expected block_roots[${s % n}] (slot ${s}) ${want}, got ${got}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Kill cycles.


/**
 * One kill: runs `op` in `browser` (a fresh one on `profile` when null), waits for the first
 * event matching `trigger` plus `delayMs`, kills with `method` (see `KILL_METHODS`), and checks
 * the database in the same profile (the relaunched browser after `sigkill`/`close`, a fresh
 * page of the same browser after `crash`). Resolves to `{ browser, kill }`: the browser to go
 * on with and the record of the kill (`landed`: the run had not finished when it was killed).
 */
export async function killCycle(env, profile, browser, { flow, op, opts, trigger, what, delayMs, method }) {
  browser ??= await openProfile(profile);
  const run = await runOp(env, browser, op, opts);
  const hit = await run.waitFor(trigger);
  if (!ended(hit)) await sleep(delayMs);
  const finishedFirst = run.events.find(ended);
  const last = run.events.findLast((l) => l.kind === "progress");
  const kill = { flow, what, method, delayMs, landed: !finishedFirst, phaseAtKill: last?.event.phase ?? "before any progress", at: last?.event ?? null };
  if (finishedFirst?.kind === "error" || run.errors.length)
    kill.runError = finishedFirst?.kind === "error" ? `${finishedFirst.code}: ${finishedFirst.message}` : run.errors.join("; ");
  if (method === "sigkill") {
    await browser.sigkill();
    browser = await openProfile(profile);
  } else if (method === "close") {
    await browser.cdpClose();
    browser = await openProfile(profile);
  } else if (method === "crash") {
    const session = await browser.context.newCDPSession(run.page);
    const crashed = new Promise((r) => run.page.once("crash", r));
    session.send("Page.crash").catch(() => {});
    await upTo(crashed, 10_000);
    await run.page.close().catch(() => {});
  } else throw new Error(`kill method: expected one of ${KILL_METHODS.join(", ")}, got ${method}`);
  const { problems, summary } = await checkDatabase(env, browser);
  Object.assign(kill, { problems, summary });
  return { browser, kill };
}

/** Runs `op` to its end in `browser`; resolves with the `done` line, rejects with the error. */
export async function runToEnd(env, browser, op, opts, timeoutMs = 180_000) {
  const run = await runOp(env, browser, op, opts);
  try {
    const line = await withTimeout(run.finished, timeoutMs, () => `${op} did not finish in ${timeoutMs} ms`);
    if (line.kind !== "done") throw new Error(`${op}: ${line.code}: ${line.message}${run.errors.length ? `\n${run.errors.join("\n")}` : ""}`);
    return { line, events: run.events };
  } finally {
    await run.page.close().catch(() => {});
  }
}

/** The options of each flow's run, for a profile anchored with `checkpoint` (null: resume). */
export function flowOptions(env, { checkpoint = null, backfill = {} } = {}) {
  return {
    start: { create: env.createOptions(checkpoint ? { checkpoint } : {}) },
    backfill: { create: env.createOptions(), backfill: { targetSlot: 0, ...backfill } },
    follow: { create: env.createOptions(), followUntilSlot: canonicalByRoot(env, env.checkpoints.finalized.split(":")[0]).slot },
  };
}

/** A fresh, empty Chromium profile directory, and its removal. */
export function newProfile() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lightsync-soak-profile-"));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }) };
}
