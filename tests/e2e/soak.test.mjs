// Two kills of the kill soak (tests/e2e/soak.mjs; the full run is `make soak`): Chromium is
// SIGKILLed in the middle of start()'s state download and its renderer crashed in the middle of
// backfill(); after each, the database in the same profile is read raw and checked against the
// devnet without the package, and the flow resumes in that profile and finishes.
import test from "node:test";
import assert from "node:assert/strict";
import { requireBuilt } from "./helpers.mjs";
import { checkDatabase, flowOptions, killCycle, newProfile, runToEnd, startSoakEnv } from "./soak.mjs";

requireBuilt();

test("killed mid-download and mid-backfill: the database checks out each time, and both flows resume and finish", async (t) => {
  const env = await startSoakEnv({
    slots: 256,
    // ~0.8 s of state download and ~2 s of backfill at this size, so each kill lands mid-flow.
    stateTrickle: "chunk=16384,delay_ms=40",
    headerTrickle: "chunk=256,delay_ms=4",
  });
  t.after(() => env.stop());
  const profile = newProfile();
  t.after(profile.remove);
  let browser = null;
  t.after(() => browser?.close());
  const opts = flowOptions(env, { checkpoint: env.checkpoints.finalized, backfill: { batchSize: 16, concurrency: 2 } });
  const report = (kill) => t.diagnostic(`kill: ${JSON.stringify({ ...kill, at: undefined })}`);

  // start(), SIGKILL of the browser process 300 ms after the instance was created: in the
  // middle of the (trickled, ~800 ms) state download. Nothing may be stored.
  let kill;
  ({ browser, kill } = await killCycle(env, profile.dir, browser, {
    flow: "start",
    what: "download",
    op: "start",
    opts: opts.start,
    trigger: (l) => l.kind === "ready",
    delayMs: 300,
    method: "sigkill",
  }));
  report(kill);
  assert.equal(kill.runError, undefined);
  assert.ok(kill.landed, "the kill came before start() finished");
  assert.notEqual(kill.phaseAtKill, "store", "the kill came before the store phase");
  assert.deepEqual(kill.problems, []);
  assert.equal(kill.summary.anchors, 0, "no anchor from an interrupted download");

  // start() again in the same profile stores the anchor; a start() without a source resumes from it.
  const started = await runToEnd(env, browser, "start", opts.start);
  assert.equal(started.line.result.blockRoot, env.checkpoints.finalized.split(":")[0]);
  const resumed = await runToEnd(env, browser, "start", flowOptions(env).start);
  assert.equal(resumed.line.result.blockRoot, started.line.result.blockRoot);
  let check = await checkDatabase(env, browser, { anchor: true });
  assert.deepEqual(check.problems, []);

  // backfill(), renderer crashed 150 ms after the first stored batch was reported.
  ({ browser, kill } = await killCycle(env, profile.dir, browser, {
    flow: "backfill",
    what: "after a stored batch",
    op: "backfill",
    opts: opts.backfill,
    trigger: (l) => l.kind === "progress" && l.event.phase === "backfill" && l.event.headers > 0,
    delayMs: 150,
    method: "crash",
  }));
  report(kill);
  assert.equal(kill.runError, undefined);
  assert.ok(kill.landed, "the kill came before backfill() finished");
  assert.deepEqual(kill.problems, []);
  assert.ok(kill.summary.headers > 0, "batches stored before the crash are kept");
  const oldestAtKill = BigInt(kill.summary.cursor.oldestSlot);
  assert.ok(oldestAtKill > 0n, "backfill was not finished at the crash");

  // backfill() resumes below the stored cursor and reaches genesis.
  const finished = await runToEnd(env, browser, "backfill", opts.backfill);
  assert.equal(finished.line.result.oldestSlot, "0");
  assert.equal(finished.line.result.stored + kill.summary.headers, [...env.canonical.keys()].filter((s) => s <= Number(kill.summary.anchorBlockSlot)).length,
    "the resumed run stored exactly the headers the first one had not");
  check = await checkDatabase(env, browser, { anchor: true, backfillTo: 0 });
  assert.deepEqual(check.problems, []);

  // The checker itself: a gap in the chain and a header whose stored root is not its own are
  // caught, each by its rule.
  const middle = Math.floor(Number(kill.summary.anchorBlockSlot) / 2);
  const gapSlot = [...env.canonical.keys()].filter((s) => s > middle).sort((a, b) => a - b)[0];
  await tamper(env, browser, gapSlot, "delete");
  check = await checkDatabase(env, browser, { anchor: true, backfillTo: 0 });
  assert.ok(check.problems.some((p) => p.startsWith("chain: expected header")), check.problems.join("\n"));
  await tamper(env, browser, 0, "flip-root");
  check = await checkDatabase(env, browser, { anchor: true, backfillTo: 0 });
  assert.ok(check.problems.some((p) => p.startsWith("header 0: expected root")), check.problems.join("\n"));
});

/** Damages the stored header at `slot` in place, raw, inside its pack: deletes it, or flips a byte of its root. */
async function tamper(env, browser, slot, how) {
  const page = await browser.context.newPage();
  await page.goto(env.checkUrl);
  await page.evaluate(
    async ({ name, slot, how }) => {
      const req = (r) => new Promise((res, rej) => ((r.onsuccess = () => res(r.result)), (r.onerror = () => rej(r.error))));
      const db = await req(indexedDB.open(name));
      // Headers live in packs of 1024 slots, 144 bytes each (112 SSZ bytes, then the root).
      const store = db.transaction("header_packs", "readwrite").objectStore("header_packs");
      const key = Math.floor(slot / 1024);
      const pack = await req(store.get(key));
      const view = new DataView(pack.buffer, pack.byteOffset, pack.byteLength);
      let at = 0;
      while (at < pack.length && Number(view.getBigUint64(at, true)) !== slot) at += 144;
      if (at >= pack.length) throw new Error(`no header at slot ${slot} in pack ${key}`);
      if (how === "delete") await req(store.put(new Uint8Array([...pack.subarray(0, at), ...pack.subarray(at + 144)]), key));
      else {
        pack[at + 112] ^= 0xff;
        await req(store.put(pack, key));
      }
      db.close();
    },
    { name: `beacon-lightsync-${env.gvr}`, slot, how },
  );
  await page.close();
}
