// The package's JS API as a TypeScript user and a page meet it: the generated typings are precise
// (a strict TypeScript project type-checks them from the packed tarball in consumers.test.mjs), and
// the values behind those types hold in headless Chromium against a devnet on 127.0.0.1:
// status() (network, ws times, stored headers, tail, head), start({ signal }), reset(), the
// status event and isLightSyncError.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { PKG, devnetNetwork, packagePage, requireBuilt, startDevnet, storedCounts } from "./helpers.mjs";

requireBuilt();

test("the generated typings name every event, code and method precisely", () => {
  const dts = fs.readFileSync(path.join(PKG, "beacon_lightsync.d.ts"), "utf8");
  const cls = dts.slice(dts.indexOf("export class LightSync"));
  const body = cls.slice(0, cls.indexOf("\n}\n"));
  for (const sig of ["start(options?: StartOptions | null): Promise<Anchor>", "status(): Status", "reset(): Promise<void>"])
    assert.ok(body.includes(sig), `class LightSync declares ${sig}`);
  assert.match(dts, /on<K extends LightSyncEventName>\(event: K, listener: LightSyncListener<K>\): void;/);
  assert.match(dts, /phase: "backfill";/);
  assert.match(dts, /phase: `light-\$\{LightStep\}`;/);
});

test("status(), start({ signal }), backfill and reset() in a page against the devnet", async (t) => {
  const devnet = await startDevnet({ providers: 1 });
  t.after(() => devnet.stop());
  const { network, genesis, spec } = await devnetNetwork(devnet.urls[0]);
  const { page, problems } = await packagePage(t, "API");

  const r = await page.evaluate(
    async ({ network, urls, checkpoint }) => {
      const { default: init, LightSync, isLightSyncError } = await import("/pkg/beacon_lightsync.js");
      await init();
      const out = {};
      const sync = await LightSync.create({ network, beaconApiUrls: urls, checkpoint });
      const modes = [];
      sync.on("status", (s) => modes.push(s.mode));
      out.before = sync.status();
      // A bad signal is an option error; an aborted one cancels before anything is stored.
      out.badSignal = await sync.start({ signal: "soon" }).then(() => null, (e) => ({ code: e.code, typed: isLightSyncError(e) }));
      const aborted = new AbortController();
      aborted.abort();
      out.abortedStart = await sync.start({ signal: aborted.signal }).then(() => null, (e) => ({ code: e.code, typed: isLightSyncError(e) }));
      out.modeAfterAbort = sync.status().mode;
      out.anchor = await sync.start({ signal: new AbortController().signal });
      out.afterStart = sync.status();
      const running = sync.backfill({ targetSlot: "genesis" });
      out.resetWhileBackfilling = await sync.reset().then(() => null, (e) => ({ code: e.code, expected: e.expected, actual: e.actual }));
      out.summary = await running;
      out.afterBackfill = sync.status();
      await sync.reset();
      out.afterReset = sync.status();
      out.modes = modes;
      out.notAnError = isLightSyncError(new Error("x"));
      sync.free();
      return out;
    },
    { network, urls: devnet.urls, checkpoint: devnet.checkpoint },
  );
  assert.deepEqual(problems.filter((l) => !l.includes("status of 404")), [], "no console error");

  // Before start: the network and its database, nothing stored.
  assert.equal(r.before.mode, "idle");
  assert.equal(r.before.network.genesisValidatorsRoot, genesis.genesis_validators_root);
  assert.equal(r.before.network.genesisTime, genesis.genesis_time);
  assert.equal(r.before.network.secondsPerSlot, Number(spec.SECONDS_PER_SLOT));
  assert.equal(r.before.network.slotsPerEpoch, Number(spec.SLOTS_PER_EPOCH));
  assert.equal(r.before.network.database, `beacon-lightsync-${genesis.genesis_validators_root}`);
  assert.deepEqual([r.before.anchor, r.before.ws, r.before.headers, r.before.tail, r.before.head], [null, null, 0, null, null]);

  assert.deepEqual(r.badSignal, { code: "INVALID_OPTIONS", typed: true });
  assert.deepEqual(r.abortedStart, { code: "ABORTED", typed: true });
  assert.equal(r.modeAfterAbort, "stopped", "a cancelled start is stopped, not failed");

  // After start: the checkpoint's block is the head; ws times from the devnet's genesis and spec.
  const [root, epoch] = devnet.checkpoint.split(":");
  assert.equal(r.anchor.blockRoot, root);
  assert.equal(r.anchor.epoch, epoch);
  const s = r.afterStart;
  assert.equal(s.mode, "synced");
  assert.equal(s.head.root, root);
  assert.equal(s.head.followed, false);
  const secondsPerEpoch = BigInt(spec.SECONDS_PER_SLOT) * BigInt(spec.SLOTS_PER_EPOCH);
  assert.equal(s.ws.secondsPerEpoch, Number(secondsPerEpoch));
  assert.equal(BigInt(s.ws.expiresEpoch), BigInt(epoch) + BigInt(s.anchor.wsPeriodEpochs));
  assert.equal(BigInt(s.ws.expiresAt), BigInt(genesis.genesis_time) + (BigInt(s.ws.expiresEpoch) + 1n) * secondsPerEpoch);
  const nowEpoch = (BigInt(Math.floor(Date.now() / 1000)) - BigInt(genesis.genesis_time)) / secondsPerEpoch;
  assert.ok(BigInt(s.ws.currentEpoch) >= nowEpoch - 1n && BigInt(s.ws.currentEpoch) <= nowEpoch, `currentEpoch ${s.ws.currentEpoch}, clock says ${nowEpoch}`);
  assert.equal(s.ws.stale, false);
  assert.equal(s.headers, 0);

  // reset() refuses while the backfill runs; the backfill then finishes untouched.
  assert.equal(r.resetWhileBackfilling?.code, "ALREADY_RUNNING");
  assert.equal(r.resetWhileBackfilling.expected, "0");
  assert.ok(r.summary.stored > 0, JSON.stringify(r.summary));
  const a = r.afterBackfill;
  assert.equal(a.headers, r.summary.stored, "status().headers counts what the backfill stored");
  assert.deepEqual(a.tail, {
    oldestSlot: r.summary.oldestSlot,
    oldestRoot: r.summary.oldestRoot,
    oldestParentRoot: r.summary.oldestParentRoot,
    targetSlot: r.summary.targetSlot,
  });

  // reset(): the database is empty (read straight from IndexedDB) and the instance idle.
  assert.deepEqual(await storedCounts(page), { anchors: 0, headers: 0 });
  const z = r.afterReset;
  assert.deepEqual([z.mode, z.anchor, z.ws, z.headers, z.tail, z.head], ["idle", null, null, 0, null, null]);
  // Status events: the cancelled start, the successful one, the reset (the refused reset and
  // the option error change nothing).
  assert.deepEqual(r.modes, ["syncing", "stopped", "syncing", "synced", "idle"]);
  assert.equal(r.notAnError, false);
});
