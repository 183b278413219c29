// The store guarded in time, as two tabs of one browser meet it: one writer per database (page B
// is refused with BUSY while page A backfills, sees A's progress through the BroadcastChannel,
// and writes once A's tab is closed, continuing A's chain); and in space, as a full origin meets
// it: the origin's quota is made small for real (Chromium's own quota, set through the DevTools
// protocol before the first write), filled, and the backfill batch that does not fit is refused
// whole with QUOTA_EXCEEDED, then finishes once space is freed.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { launch } from "../../scripts/chromium.mjs";
import { PKG, devnetNetwork, requireBuilt, startDevnet, startStatic, storedCounts, watchConsole } from "./helpers.mjs";

requireBuilt();

// A page that loads the package and exposes it; the tests drive it with page.evaluate.
const PAGE = `<!doctype html><meta charset="utf-8"><title>store</title><link rel="icon" href="data:,">
<script type="module">
  import init, * as lib from "/pkg/beacon_lightsync.js";
  await init();
  window.lib = lib;
  window.events = [];
  window.ready = true;
</script>`;

async function setup(t) {
  const devnet = await startDevnet({ providers: 1 });
  t.after(() => devnet.stop());
  const { network } = await devnetNetwork(devnet.urls[0]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lightsync-store-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, "index.html"), PAGE);
  const server = await startStatic({ "": dir, "/pkg": PKG });
  t.after(() => server.stop());
  const browser = await launch();
  t.after(() => browser.close());
  const options = {
    network,
    beaconApiUrls: devnet.urls,
    backfill: { targetSlot: "genesis", batchSize: 8, concurrency: 1 },
  };
  /** A page of the package; `quotaBytes` sets the origin's quota first (before any write). */
  const open = async ({ quotaBytes } = {}) => {
    const page = await browser.context.newPage();
    watchConsole(page);
    if (quotaBytes) {
      const cdp = await browser.context.newCDPSession(page);
      await cdp.send("Storage.overrideQuotaForOrigin", { origin: new URL(server.url).origin, quotaSize: quotaBytes });
    }
    await page.goto(server.url);
    await page.waitForFunction(() => window.ready, null, { timeout: 30_000 });
    return page;
  };
  return { devnet, options, open };
}

test("two tabs: one writes, the other gets BUSY and sees its progress, then writes once it closes", async (t) => {
  const { devnet, options, open } = await setup(t);
  const a = await open();
  const b = await open();
  await a.evaluate(async (opts) => {
    window.sync = await window.lib.LightSync.create(opts);
    await window.sync.reset();
    await window.sync.start();
    // A backfill that pauses after its first batch, so tab A holds the writer lock until closed.
    window.sync.on("progress", (e) => e.phase === "backfill" && window.sync.pauseBackfill());
    window.backfill = window.sync.backfill().catch((e) => e);
  }, { ...options, checkpoint: devnet.checkpoint });
  await a.waitForFunction(() => window.sync.status().headers > 0, null, { timeout: 30_000 });

  const refused = await b.evaluate(async (opts) => {
    window.sync = await window.lib.LightSync.create(opts);
    window.sync.on("progress", (e) => window.events.push(e));
    try {
      await window.sync.backfill();
      return null;
    } catch (e) {
      return { code: e.code, operation: e.operation ?? null, message: e.message };
    }
  }, options);
  assert.equal(refused?.code, "BUSY", JSON.stringify(refused));
  assert.match(refused.operation, /backfill/);
  assert.equal(await b.evaluate(() => window.sync.status().storage.writer), false);

  // A moves on by one batch: B sees it, re-emitted with remote: true.
  await a.evaluate(() => window.sync.resumeBackfill());
  await b.waitForFunction(() => window.events.some((e) => e.remote === true && e.phase === "backfill"), null, {
    timeout: 30_000,
  });

  // A's tab closes mid-backfill: the lock passes on and B finishes the backfill.
  await a.close();
  // Chromium releases a closed tab's Web Locks once its renderer is torn down, a moment after
  // close() resolves: B starts when the origin holds no lock any more (within 10 s), not before.
  // (The poll runs in the page: Playwright's waitForFunction does not await an async predicate,
  // it takes the returned Promise as truthy.)
  const released = await b.evaluate(async () => {
    for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      if ((await navigator.locks.query()).held.length === 0) return true;
    }
    return false;
  });
  assert.equal(released, true, "A's locks are released within 10 s of its tab closing");
  const done = await b.evaluate(async () => {
    const summary = await window.sync.backfill();
    const report = await window.sync.verifyStore({ repair: false });
    return { stored: summary.stored, oldest: summary.oldestSlot, ok: report.ok, checked: report.checked };
  });
  assert.equal(done.oldest, "0", JSON.stringify(done));
  assert.ok(done.stored > 0, JSON.stringify(done));
  assert.equal(done.ok, true);
  assert.ok(done.checked > done.stored, "A's batches and B's, one chain");
});

test("a full origin: the batch that does not fit is QUOTA_EXCEEDED, rolled back whole, and the backfill resumes once space is freed", async (t) => {
  const { devnet, options, open } = await setup(t);
  const page = await open({ quotaBytes: 2 * 1024 * 1024 });
  // Part of the chain first: what is stored before the origin fills up must stay intact.
  const before = await page.evaluate(async (opts) => {
    window.sync = await window.lib.LightSync.create(opts);
    await window.sync.start();
    const anchorSlot = Number(window.sync.status().anchor.slot);
    const part = await window.sync.backfill({ targetSlot: anchorSlot - 24 });
    return { anchor: window.sync.status().anchor.blockRoot, oldest: part.oldestSlot, headers: window.sync.status().headers };
  }, { ...options, checkpoint: devnet.checkpoint });
  assert.ok(before.headers > 0, JSON.stringify(before));
  const stored = await storedCounts(page);
  assert.equal(stored.headers, before.headers);

  // Another database of the origin takes what is left, down to the last KiB (random bytes, so
  // nothing compresses away), until Chromium refuses with QuotaExceededError.
  const filled = await page.evaluate(async () => {
    const req = (r) => new Promise((res, rej) => ((r.onsuccess = () => res(r.result)), (r.onerror = () => rej(r.error))));
    const open = indexedDB.open("filler", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("blobs");
    const db = await req(open);
    const random = (n) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
      return b;
    };
    let key = 0, refused = null;
    for (const size of [256 * 1024, 16 * 1024, 1024]) {
      for (;;) {
        const tx = db.transaction("blobs", "readwrite");
        tx.objectStore("blobs").put(random(size), key++);
        const error = await new Promise((res) => ((tx.oncomplete = () => res(null)), (tx.onabort = () => res(tx.error))));
        if (error) { refused = error.name; break; }
      }
    }
    db.close();
    return { refused, blobs: key };
  });
  assert.equal(filled.refused, "QuotaExceededError", JSON.stringify(filled));

  // The next batch does not fit: a typed QUOTA_EXCEEDED with the size needed and the estimate.
  const full = await page.evaluate(async () => {
    try {
      await window.sync.backfill({ targetSlot: "genesis", batchSize: 64 });
      return null;
    } catch (e) {
      return { code: e.code, expected: e.expected, actual: e.actual, message: e.message };
    }
  });
  assert.equal(full?.code, "QUOTA_EXCEEDED", JSON.stringify(full));
  assert.match(full.expected, /^room for [1-9]\d* bytes$/, JSON.stringify(full));
  assert.match(full.actual, /^usage \d+ of quota \d+$/, JSON.stringify(full));
  // Rolled back whole: nothing of the batch is stored, what was stored before is intact.
  const after = await page.evaluate(async () => {
    const report = await window.sync.verifyStore({ repair: false });
    const s = window.sync.status();
    return { ok: report.ok, checked: report.checked, headers: s.headers, anchor: s.anchor.blockRoot };
  });
  assert.deepEqual(await storedCounts(page), stored, "the raw database holds what it held before");
  assert.equal(after.headers, before.headers);
  assert.equal(after.anchor, before.anchor);
  assert.equal(after.ok, true, JSON.stringify(after));
  assert.equal(after.checked, before.headers);

  // Space freed: the same backfill resumes from where it stood and reaches genesis.
  const done = await page.evaluate(async () => {
    await new Promise((res, rej) => {
      const r = indexedDB.deleteDatabase("filler");
      r.onsuccess = res;
      r.onerror = () => rej(r.error);
    });
    const summary = await window.sync.backfill({ targetSlot: "genesis", batchSize: 64 });
    const report = await window.sync.verifyStore({ repair: false });
    return { oldest: summary.oldestSlot, ok: report.ok, checked: report.checked, headers: window.sync.status().headers };
  });
  assert.equal(done.oldest, "0", JSON.stringify(done));
  assert.equal(done.ok, true);
  assert.ok(done.headers > before.headers, JSON.stringify(done));
  assert.equal(done.checked, done.headers);
});

test("verifyStore() re-hashes in the package's hash workers and finds a damaged header exactly as the page alone does", async (t) => {
  const { devnet, options, open } = await setup(t);
  const page = await open();
  const clean = await page.evaluate(async (opts) => {
    window.pooled = await window.lib.LightSync.create({ ...opts, hashWorkers: 2 });
    await window.pooled.start();
    await window.pooled.backfill({ targetSlot: "genesis", batchSize: 64 });
    window.inline = await window.lib.LightSync.create({ ...opts, hashWorkers: 0 });
    const pooled = await window.pooled.verifyStore({ repair: false });
    const inline = await window.inline.verifyStore({ repair: false });
    return { pooled, inline, headers: window.pooled.status().headers };
  }, { ...options, checkpoint: devnet.checkpoint });
  assert.equal(clean.pooled.ok, true, JSON.stringify(clean));
  assert.equal(clean.pooled.checked, clean.headers);
  assert.equal(clean.pooled.hashedInWorkers, clean.pooled.checked, "the workers hashed every header");
  assert.equal(clean.inline.checked, clean.headers);
  assert.equal(clean.inline.hashedInWorkers, 0);

  // One bit of one header's body_root flipped through raw IndexedDB, in the middle of the fullest
  // pack (entries of 112 SSZ bytes and the 32-byte root; the slot is the first 8 bytes).
  const victim = await page.evaluate(async () => {
    const req = (r) => new Promise((res, rej) => ((r.onsuccess = () => res(r.result)), (r.onerror = () => rej(r.error))));
    const [{ name }] = await indexedDB.databases();
    const db = await req(indexedDB.open(name));
    const packs = db.transaction("header_packs").objectStore("header_packs");
    const [keys, values] = [await req(packs.getAllKeys()), await req(packs.getAll())];
    let at = 0;
    for (let i = 1; i < values.length; i++) if (values[i].length > values[at].length) at = i;
    const pack = new Uint8Array(values[at]);
    const entries = pack.length / 144;
    const k = Math.floor(entries / 2);
    const slotOf = (e) => new DataView(pack.buffer, pack.byteOffset + e * 144, 8).getBigUint64(0, true).toString();
    const hex = (b) => "0x" + [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    const root = hex(pack.subarray(k * 144 + 112, k * 144 + 144));
    pack[k * 144 + 100] ^= 1;
    await req(db.transaction("header_packs", "readwrite").objectStore("header_packs").put(pack, keys[at]));
    db.close();
    return { entries, slot: slotOf(k), root, above: slotOf(k + 1) };
  });
  assert.ok(victim.entries >= 3, JSON.stringify(victim));

  const damaged = await page.evaluate(async () => ({
    pooled: await window.pooled.verifyStore({ repair: false }),
    inline: await window.inline.verifyStore({ repair: false }),
  }));
  for (const r of [damaged.pooled, damaged.inline]) {
    assert.equal(r.ok, false, JSON.stringify(r));
    assert.equal(r.firstBroken.slot, victim.slot);
    assert.equal(r.firstBroken.expected, victim.root);
    assert.equal(r.firstBroken.kind, "root");
  }
  assert.deepEqual(damaged.pooled.firstBroken, damaged.inline.firstBroken);
  assert.equal(damaged.pooled.checked, damaged.inline.checked);
  assert.ok(damaged.pooled.hashedInWorkers > 0, JSON.stringify(damaged.pooled));
  assert.equal(damaged.inline.hashedInWorkers, 0);

  // Repaired with the workers on: the headers from the damage down are dropped, the backfill
  // resumes below the lowest one that verified, fetches them again, and the chain is whole.
  const repaired = await page.evaluate(async () => {
    const report = await window.pooled.verifyStore();
    const after = await window.pooled.verifyStore({ repair: false });
    await window.pooled.backfill({ targetSlot: "genesis", batchSize: 64 });
    const refetched = await window.inline.verifyStore({ repair: false });
    return { report, after, refetched };
  });
  assert.equal(repaired.report.repaired?.oldestSlot, victim.above, JSON.stringify(repaired.report));
  assert.equal(repaired.report.repaired.reset, false);
  assert.equal(repaired.after.ok, true, JSON.stringify(repaired.after));
  assert.equal(repaired.refetched.ok, true, JSON.stringify(repaired.refetched));
  assert.equal(repaired.refetched.checked, clean.headers);
});
