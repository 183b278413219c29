// The store guarded in time, as two tabs of one browser meet it: one writer per database (page B
// is refused with BUSY while page A backfills, sees A's progress through the BroadcastChannel,
// and writes once A's tab is closed, continuing A's chain).
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { launch } from "../../scripts/chromium.mjs";
import { PKG, devnetNetwork, requireBuilt, startDevnet, startStatic, watchConsole } from "./helpers.mjs";

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
  const open = async () => {
    const page = await browser.context.newPage();
    watchConsole(page);
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
