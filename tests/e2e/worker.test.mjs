// `beacon-lightsync/worker` in headless Chromium against a devnet on 127.0.0.1: a page drives a
// LightSync that lives in a dedicated Worker (LightSyncWorker) through a checkpoint sync whose
// state is hashed by the worker's own nested hash workers, a backfill, verified reads and events,
// while errors keep their code and shape across postMessage, an AbortSignal cancels, and the
// page's thread never loads the wasm and keeps running its own timers.
import test from "node:test";
import assert from "node:assert/strict";
import { packagePage, requireBuilt, startDevnet, storedCounts } from "./helpers.mjs";

requireBuilt();

test("a page drives LightSync in a dedicated Worker: sync, backfill, reads, events, errors, abort", async (t) => {
  const devnet = await startDevnet({ providers: 1 });
  t.after(() => devnet.stop());
  const { page, problems } = await packagePage(t, "worker");

  const r = await page.evaluate(
    async ({ url, checkpoint }) => {
      const { LightSyncWorker, isLightSyncError, isLightSyncWorkerError } = await import("/pkg/worker.js");
      const settle = (p) =>
        p.then(
          (value) => ({ value }),
          (e) => ({ error: { name: e?.name, code: e?.code, expected: e?.expected, actual: e?.actual, message: String(e?.message),
            isError: e instanceof Error, typed: isLightSyncError(e), worker: isLightSyncWorkerError(e) } }),
        );
      // The page's heartbeat: a timer every 10 ms while the worker syncs; its ticks and the
      // longest gap between two of them.
      const beat = { ticks: 0, maxGap: 0, last: performance.now() };
      const timer = setInterval(() => {
        const now = performance.now();
        beat.maxGap = Math.max(beat.maxGap, now - beat.last);
        beat.last = now;
        beat.ticks++;
      }, 10);

      const out = {};
      const sync = await LightSyncWorker.create({ network: "spec", beaconApiUrls: [url], checkpoint, hashWorkers: 2 });
      const events = { hashWorkers: new Set(), phases: new Set(), modes: [], execution: [] };
      sync.on("progress", (e) => {
        events.phases.add(e.phase);
        if (e.phase === "hash" && typeof e.workers === "number") events.hashWorkers.add(e.workers);
      });
      sync.on("status", (s) => events.modes.push(s.mode));
      sync.on("execution", (e) => events.execution.push({ source: e.source, blockHash: e.execution.blockHash }));
      out.badEvent = (() => {
        try {
          sync.on("tick", () => {});
          return null;
        } catch (e) {
          return { code: e.code, typed: isLightSyncError(e) };
        }
      })();
      await sync.reset();
      out.before = await sync.status();

      // An AbortSignal crosses as messages: aborted before the call, and during it.
      const aborted = new AbortController();
      aborted.abort();
      out.abortedBefore = await settle(sync.start({ signal: aborted.signal }));
      const later = new AbortController();
      const abortedDuring = settle(sync.start({ signal: later.signal }));
      later.abort();
      out.abortedDuring = await abortedDuring;
      out.countsAfterAbort = await sync.status().then((s) => s.headers);

      beat.ticks = 0;
      beat.maxGap = 0;
      beat.last = performance.now();
      out.start = await settle(sync.start());
      out.beatDuringStart = { ticks: beat.ticks, maxGap: beat.maxGap };
      out.afterStart = await sync.status();

      // reset() while a backfill runs is refused with expected/actual; the backfill goes on.
      const running = settle(sync.backfill({ targetSlot: "genesis" }));
      out.resetWhileBackfilling = await settle(sync.reset());
      out.backfill = await running;
      const summary = out.backfill.value;
      out.oldest = await settle(sync.header(summary.oldestSlot));
      out.byRoot = await settle(sync.header(out.start.value.blockRoot));
      out.bigintRead = await settle(sync.header(BigInt(out.start.value.slot)));
      out.rootAt = await settle(sync.blockRootAt(out.start.value.slot));
      out.badRead = await settle(sync.header("0x12"));
      out.listed = [];
      for await (const h of sync.headers({ fromSlot: summary.oldestSlot, toSlot: out.start.value.slot })) out.listed.push(h.slot);
      out.afterBackfill = await sync.status();
      out.verify = await settle(sync.verifyStore({}));
      clearInterval(timer);

      sync.terminate();
      out.afterTerminate = await settle(sync.status());
      out.badWorker = await settle(LightSyncWorker.create({ network: "spec", beaconApiUrls: [url] }, { worker: new Worker("/missing.js", { type: "module" }) }));
      out.events = { hashWorkers: [...events.hashWorkers], phases: [...events.phases], modes: events.modes, execution: events.execution };
      // What the page itself fetched: the worker's requests (the wasm among them) are its own.
      out.pageResources = performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname);
      return out;
    },
    { url: devnet.urls[0], checkpoint: devnet.checkpoint },
  );
  t.diagnostic(`start(): the page's timer ticked ${r.beatDuringStart.ticks} times, longest gap ${Math.round(r.beatDuringStart.maxGap)} ms; ` +
    `backfill stored ${r.backfill.value?.stored} headers; execution events ${JSON.stringify(r.events.execution.map((e) => e.source))}`);
  const problemsSeen = problems.filter((l) => !l.includes("status of 404"));
  assert.deepEqual(problemsSeen, [], "no console error");

  const [root, epoch] = devnet.checkpoint.split(":");
  assert.deepEqual(r.badEvent, { code: "INVALID_OPTIONS", typed: true });
  assert.equal(r.before.mode, "idle");
  assert.equal(r.before.network.genesisValidatorsRoot, devnet.genesis_validators_root);

  // Cancellation: the same typed ABORTED as on a page, nothing stored.
  for (const a of [r.abortedBefore, r.abortedDuring]) {
    assert.equal(a.error?.code, "ABORTED", JSON.stringify(a));
    assert.deepEqual([a.error.name, a.error.isError, a.error.typed, a.error.worker], ["LightSyncError", true, true, false]);
  }
  assert.equal(r.countsAfterAbort, 0);

  // The checkpoint sync, hashed by two hash workers nested in the worker.
  assert.equal(r.start.error, undefined, JSON.stringify(r.start.error));
  const anchor = r.start.value;
  assert.equal(anchor.blockRoot, root);
  assert.equal(anchor.epoch, epoch);
  assert.equal(typeof anchor.slot, "string", "uint64s stay decimal strings");
  assert.equal(anchor.trust, "checkpoint");
  assert.deepEqual(r.events.hashWorkers, [2], "the state was hashed by the worker's two hash workers");
  assert.ok(r.events.phases.includes("download") && r.events.phases.includes("backfill"), r.events.phases.join());
  assert.equal(r.afterStart.mode, "synced");
  assert.equal(r.afterStart.anchor.blockRoot, root);
  // The execution block of the anchor: verified in the worker, announced by an event.
  assert.ok(anchor.execution?.blockHash, JSON.stringify(anchor.execution));
  assert.ok(
    r.events.execution.some((e) => e.source === "anchor" && e.blockHash === anchor.execution.blockHash),
    JSON.stringify(r.events.execution),
  );

  // Responsive: the page's timer kept firing through the sync (a generous bound: the page does
  // no work of its own, so any long stall would be the sync's).
  assert.ok(r.beatDuringStart.ticks > 0, JSON.stringify(r.beatDuringStart));
  assert.ok(r.beatDuringStart.maxGap < 1000, `the page's longest stall during start(): ${r.beatDuringStart.maxGap} ms`);
  assert.ok(!r.pageResources.some((p) => p.endsWith(".wasm")), `the page fetched no wasm: ${r.pageResources.join(", ")}`);

  // ALREADY_RUNNING with expected/actual crossed intact; the backfill finished.
  assert.equal(r.resetWhileBackfilling.error?.code, "ALREADY_RUNNING", JSON.stringify(r.resetWhileBackfilling));
  assert.equal(r.resetWhileBackfilling.error.expected, "0");
  assert.equal(r.backfill.error, undefined, JSON.stringify(r.backfill.error));
  const summary = r.backfill.value;
  assert.ok(summary.stored > 0, JSON.stringify(summary));
  assert.equal(r.afterBackfill.headers, summary.stored);
  assert.equal((await storedCounts(page)).headers, summary.stored, "the worker's headers are in the origin's IndexedDB");

  // Verified reads.
  assert.deepEqual([r.oldest.value?.slot, r.oldest.value?.root], [summary.oldestSlot, summary.oldestRoot]);
  assert.deepEqual([r.byRoot.value?.root, r.byRoot.value?.slot], [root, anchor.slot]);
  assert.equal(r.bigintRead.value?.root, root, "a bigint slot crosses as a bigint");
  assert.equal(r.rootAt.value?.root, root);
  assert.deepEqual(
    [r.badRead.error?.code, r.badRead.error?.typed, r.badRead.error?.isError],
    ["INVALID_ARGUMENT", true, true],
    JSON.stringify(r.badRead),
  );
  assert.equal(r.listed.length, summary.stored, "headers() listed every stored header");
  assert.deepEqual(r.listed, [...r.listed].sort((a, b) => Number(BigInt(a) - BigInt(b))), "in slot order");
  assert.equal(r.verify.value?.ok, true, JSON.stringify(r.verify));
  assert.equal(r.verify.value.checked, summary.stored);

  // The worker's own failures are LightSyncWorkerErrors.
  assert.deepEqual(
    [r.afterTerminate.error?.name, r.afterTerminate.error?.code, r.afterTerminate.error?.worker, r.afterTerminate.error?.typed],
    ["LightSyncWorkerError", "WORKER_TERMINATED", true, false],
  );
  assert.deepEqual([r.badWorker.error?.code, r.badWorker.error?.worker], ["WORKER_FAILED", true], JSON.stringify(r.badWorker));
  assert.ok(r.events.modes.includes("synced") && r.events.modes.includes("stopped"), r.events.modes.join());
});
