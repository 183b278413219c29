// Gloas in the browser: `LightSync.start()` to a verified anchor and `backfill()` down to genesis,
// through the package and real IndexedDB in headless Chromium, against `lightsync devnet` on
// 127.0.0.1 for a Gloas chain and for a Fulu chain that forks to Gloas. Under Gloas the anchor
// records whether its block's payload was delivered (FULL: the provider served an envelope that
// verifies against the anchor state; EMPTY: it answered 404), and a checkpoint whose boundary slot
// is empty is anchored at the block's own post-state, in the epoch before (no epoch advance).
// On the Fulu→Gloas chain a Fulu genesis anchor also follows to the Gloas finalized block, and once
// past its weak-subjectivity period is rebuilt by the light client across the fork; the dashboard
// shows a Gloas anchor's payload status; and on a live Fulu→Gloas chain (`--live`, 1 s slots) a
// page anchored before the fork follows the moving chain across it.
//
// Known answers come from the devnet over HTTP (its checkpoint, its canonical header chain), read
// by the test itself, never from the page under test.
import test from "node:test";
import assert from "node:assert/strict";
import {
  canonicalHeaders,
  dashboardSetUp,
  dashboardUrl,
  devnetNetwork,
  liveDevnetArgs,
  packagePage,
  requireBuilt,
  startDevnet,
  storedChain,
  storedCounts,
  waitForPhase,
  walkStoredChain,
  watchFinality,
} from "./helpers.mjs";

requireBuilt();

/** Minimal preset: `SLOTS_PER_EPOCH`. */
const SLOTS_PER_EPOCH = 8;
/** A short chain: 64 slots, finalized at epoch 6; `--gloas-epoch 3` forks well below the anchor. */
const CHAIN = ["--preset", "minimal", "--validators", "64", "--slots", "64"];
const GLOAS = ["--fork", "gloas"];
const FULU_TO_GLOAS = ["--fork", "fulu", "--gloas-epoch", "3"];

/**
 * Starts a devnet with `args`, opens a page of the package, and in it runs `start()` from the
 * devnet's checkpoint, then `backfill()` to genesis and `verifyStore()`. Resolves to the devnet's
 * info, the page, and what the page saw (BigInts as strings).
 */
async function syncAndBackfill(t, args) {
  const devnet = await startDevnet({ providers: 1, args: [...CHAIN, ...args] });
  t.after(() => devnet.stop());
  const { network } = await devnetNetwork(devnet.urls[0]);
  const { page, problems } = await packagePage(t, "gloas");
  t.after(() => {
    // 404s are the devnet's empty slots and withheld payloads, expected here.
    const shown = problems.filter((l) => !l.includes("status of 404"));
    if (shown.length) t.diagnostic(`browser console: ${shown.join(" | ")}`);
  });
  const seen = await page.evaluate(
    async (opts) => {
      const lib = await import("/pkg/beacon_lightsync.js");
      await lib.default();
      const sync = await lib.LightSync.create(opts);
      await sync.reset();
      const anchor = await sync.start();
      const summary = await sync.backfill();
      const report = await sync.verifyStore({ repair: false });
      const status = sync.status();
      const plain = (v) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)));
      return plain({ anchor, summary, report: { ok: report.ok, checked: report.checked }, headers: status.headers });
    },
    {
      network,
      beaconApiUrls: devnet.urls,
      checkpoint: devnet.checkpoint,
      backfill: { targetSlot: "genesis", batchSize: 16, concurrency: 2 },
    },
  );
  return { devnet, page, seen };
}

/** The devnet's canonical blocks from genesis to `anchorSlot`, checked to link, ending at `anchorRoot`. */
async function canonicalChain(url, anchorSlot, anchorRoot) {
  const chain = await canonicalHeaders(url, 0, anchorSlot);
  const blocks = [...chain.entries()].filter(([, h]) => h !== null).sort((a, b) => a[0] - b[0]);
  assert.equal(blocks.at(-1)[1].root, anchorRoot, "the devnet's canonical block at the anchor slot is the anchor");
  for (let i = 1; i < blocks.length; i++) assert.equal(blocks[i][1].parentRoot, blocks[i - 1][1].root);
  return blocks;
}

/** The checks every run shares: a checkpoint-trusted Gloas anchor at the checkpoint, and a whole chain to genesis. */
async function assertAnchoredAndBackfilled({ devnet, page, seen }, { payload }) {
  const [cpRoot, cpEpoch] = devnet.checkpoint.split(":");
  const { anchor } = seen;
  assert.equal(anchor.trust, "checkpoint", JSON.stringify(anchor));
  assert.equal(anchor.fork, "gloas");
  assert.equal(anchor.blockRoot, cpRoot);
  assert.equal(anchor.epoch, cpEpoch);
  assert.equal(anchor.stale, false);
  assert.equal(anchor.payload?.status, payload, JSON.stringify(anchor.payload));
  // A Gloas state holds no execution payload header: `execution` stays absent, never taken from
  // the envelope (whose number and roots the state does not commit to).
  assert.equal(anchor.execution, null);
  // The known answer: the devnet's envelope for the anchor block (404 when withheld). A delivered
  // payload is the one the bid committed to, built on the latest delivered one.
  const res = await fetch(`${devnet.urls[0]}/eth/v1/beacon/execution_payload_envelopes/${cpRoot}`, {
    headers: { Accept: "application/json" },
  });
  assert.equal(res.status, payload === "full" ? 200 : 404);
  if (payload === "full") {
    const envelope = (await res.json()).data.message;
    assert.equal(envelope.beacon_block_root, cpRoot);
    assert.equal(anchor.payload.blockHash, envelope.payload.block_hash);
    assert.equal(anchor.payload.latestBlockHash, envelope.payload.parent_hash);
  }

  const blocks = await canonicalChain(devnet.urls[0], Number(anchor.slot), anchor.blockRoot);
  assert.equal(seen.summary.oldestSlot, "0", JSON.stringify(seen.summary));
  // Every canonical block from the anchor down to genesis, and nothing else, in the raw database.
  assert.equal(seen.headers, blocks.length, JSON.stringify(seen));
  assert.equal((await storedCounts(page)).headers, blocks.length);
  assert.equal(seen.report.ok, true, JSON.stringify(seen.report));
  assert.equal(seen.report.checked, blocks.length);
  return blocks;
}

test("a Gloas chain: start() anchors at the checkpoint with its payload FULL, backfill() reaches genesis", async (t) => {
  const run = await syncAndBackfill(t, GLOAS);
  await assertAnchoredAndBackfilled(run, { payload: "full" });
  assert.equal(run.seen.anchor.slot, String(Number(run.devnet.checkpoint.split(":")[1]) * SLOTS_PER_EPOCH));
  assert.equal(run.seen.anchor.linkedThroughLatestBlockHeader, false);
});

test("a Gloas chain whose checkpoint payload is withheld: the envelope's 404 makes the anchor EMPTY, not an error", async (t) => {
  const run = await syncAndBackfill(t, [...GLOAS, "--withhold-checkpoint-payload"]);
  await assertAnchoredAndBackfilled(run, { payload: "empty" });
});

test("a Gloas chain whose checkpoint boundary slot is empty: the anchor is the block's own state, unaligned, in the checkpoint's epoch", async (t) => {
  const run = await syncAndBackfill(t, [...GLOAS, "--empty-checkpoint-slot"]);
  await assertAnchoredAndBackfilled(run, { payload: "full" });
  const epoch = Number(run.devnet.checkpoint.split(":")[1]);
  const slot = Number(run.seen.anchor.slot);
  assert.ok(slot < epoch * SLOTS_PER_EPOCH && slot >= (epoch - 1) * SLOTS_PER_EPOCH, `anchor slot ${slot} for epoch ${epoch}`);
  const boundary = await canonicalHeaders(run.devnet.urls[0], epoch * SLOTS_PER_EPOCH, epoch * SLOTS_PER_EPOCH);
  assert.equal(boundary.get(epoch * SLOTS_PER_EPOCH), null, "the devnet left the boundary slot empty");
});

test("a Fulu chain that forks to Gloas: the anchor is Gloas, and backfill() walks across the fork to Fulu's genesis", async (t) => {
  const run = await syncAndBackfill(t, FULU_TO_GLOAS);
  const blocks = await assertAnchoredAndBackfilled(run, { payload: "full" });
  // The chain stored spans both forks: blocks below and above the first Gloas slot.
  const forkSlot = 3 * SLOTS_PER_EPOCH;
  assert.ok(blocks.some(([s]) => s < forkSlot) && blocks.some(([s]) => s >= forkSlot));
});

/**
 * A genesis anchor (of fork `genesisFork`) follows to the devnet's finalized Gloas block, then, once
 * past its weak-subjectivity period, is rebuilt under `longRange: "light"` to a Gloas light-client
 * anchor there, the stored chain linking it back to genesis.
 */
async function followAndRebuild(t, forkArgs, genesisFork) {
  // The rebuild ends at the newest light-client update's finalized block, whose state the devnet
  // serves when it is its finalized checkpoint: a chain whose last slot closes a sync-committee
  // period (64 slots in the minimal preset).
  const devnet = await startDevnet({
    providers: 1,
    args: ["--preset", "minimal", "--validators", "512", "--slots", "255", "--seed", "7", ...forkArgs],
  });
  t.after(() => devnet.stop());
  const { network, genesis } = await devnetNetwork(devnet.urls[0]);
  const { page, problems } = await packagePage(t, "gloas-light");
  t.after(() => {
    // 404s are the devnet's empty slots, met walking the chain.
    const shown = problems.filter((l) => !l.includes("status of 404"));
    if (shown.length) t.diagnostic(`browser console: ${shown.join(" | ")}`);
  });
  const genesisRoot = (await canonicalHeaders(devnet.urls[0], 0, 0)).get(0).root;
  const seen = await page.evaluate(
    async ({ opts, genesisRoot, genesisTime }) => {
      const lib = await import("/pkg/beacon_lightsync.js");
      await lib.default();
      const plain = (v) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)));
      const young = await lib.LightSync.create({ ...opts, trustedBlockRoot: genesisRoot });
      await young.reset();
      const old = plain(await young.start());
      // follow() from the genesis anchor, while it is young: one step to the Gloas finalized block.
      const controller = new AbortController();
      const followed = new Promise((resolve) => young.on("followed", resolve));
      const following = young.follow({ intervalMs: 300, signal: controller.signal });
      const step = plain(await followed);
      controller.abort();
      await following;
      const followedHead = plain(young.status().head);
      // The wall clock one epoch past the old anchor's weak-subjectivity period.
      const now = genesisTime + (Number(old.wsPeriodEpochs) + 1) * Number(opts.network.SLOTS_PER_EPOCH) * Number(opts.network.SECONDS_PER_SLOT);
      const light = await lib.LightSync.create({ ...opts, now, longRange: "light" });
      const phases = [];
      light.on("progress", (e) => phases.push(e.phase));
      try {
        const anchor = plain(await light.start());
        const report = await light.verifyStore({ repair: false });
        const head = plain(light.status().head);
        return { old, step, followedHead, anchor, head, phases, report: { ok: report.ok, checked: report.checked }, headers: light.status().headers };
      } catch (e) {
        return { old, error: { code: e.code, message: e.message, expected: e.expected, actual: e.actual }, phases };
      }
    },
    { opts: { network, beaconApiUrls: devnet.urls }, genesisRoot, genesisTime: Number(genesis.genesis_time) },
  );
  assert.deepEqual([seen.old.trust, seen.old.blockRoot, seen.old.fork], ["block-root", genesisRoot, genesisFork], JSON.stringify(seen.old));
  // A Fulu state commits to its payload header; a Gloas one does not.
  assert.equal(seen.old.execution !== null, genesisFork === "fulu", JSON.stringify(seen.old));
  assert.equal(seen.error, undefined, JSON.stringify(seen));
  // Followed (across the fork, on the Fulu chain): the tip is the devnet's finalized Gloas block, linked to the anchor.
  assert.equal(seen.step.advanced, true, JSON.stringify(seen.step));
  assert.equal(seen.step.from.root, genesisRoot);
  assert.equal(seen.step.tip.root, devnet.finalized_root);
  assert.ok(seen.step.linked > 0, JSON.stringify(seen.step));
  assert.deepEqual([seen.followedHead.root, seen.followedHead.followed], [devnet.finalized_root, true]);
  assert.equal(seen.anchor.trust, "light-client");
  assert.equal(seen.anchor.fork, "gloas");
  assert.equal(seen.anchor.blockRoot, devnet.finalized_root);
  assert.equal(seen.anchor.stale, false);
  assert.deepEqual([seen.head.root, seen.head.slot, seen.head.followed], [devnet.finalized_root, String(devnet.finalized_slot), true]);
  for (const phase of ["light-committees", "light-updates", "light-finality", "light-headers", "light-state", "light-store"])
    assert.ok(seen.phases.includes(phase), `${phase} in ${seen.phases}`);
  // The stored chain links the new Gloas anchor back down to the old genesis anchor.
  const blocks = await canonicalChain(devnet.urls[0], devnet.finalized_slot, devnet.finalized_root);
  assert.equal(blocks[0][1].root, genesisRoot);
  assert.equal(seen.headers, blocks.length, JSON.stringify(seen));
  assert.equal(seen.report.ok, true, JSON.stringify(seen.report));
  assert.equal(seen.report.checked, blocks.length);
}

test("a Fulu chain that forks to Gloas: a Fulu genesis anchor follows to the Gloas finalized block, and once stale is rebuilt under `light` to a Gloas light-client anchor", (t) =>
  followAndRebuild(t, FULU_TO_GLOAS, "fulu"));

test("a Gloas chain: a Gloas genesis anchor follows to the finalized block, and once stale is rebuilt under `light`", (t) =>
  followAndRebuild(t, GLOAS, "gloas"));

test("the dashboard on a Fulu chain that forks to Gloas: the anchor's payload shown FULL, no execution block, the chain backfilled to genesis", async (t) => {
  const { devnet, www, page } = await dashboardSetUp(t, { providers: 1, args: [...CHAIN, ...FULU_TO_GLOAS] });
  const [cpRoot, cpEpoch] = devnet.checkpoint.split(":");
  await page.goto(dashboardUrl(www.url, { network: "provider", url: devnet.urls, checkpoint: devnet.checkpoint, autostart: 1 }));
  const snap = await waitForPhase(page, "done", 60_000);
  assert.deepEqual([snap.anchor.blockRoot, String(snap.anchor.epoch), snap.anchor.trust, snap.anchor.fork], [cpRoot, cpEpoch, "checkpoint", "gloas"]);
  const envelope = (
    await (await fetch(`${devnet.urls[0]}/eth/v1/beacon/execution_payload_envelopes/${cpRoot}`, { headers: { Accept: "application/json" } })).json()
  ).data.message;
  const hash = envelope.payload.block_hash;
  assert.equal(await page.locator("[data-testid=anchor-payload]").innerText(), `FULL, bid ${hash.slice(0, 6)}…${hash.slice(-4)}`);
  assert.equal(await page.locator("[data-testid=anchor-execution]").innerText(), "none (a Gloas state holds no payload header)");
  const blocks = await canonicalChain(devnet.urls[0], Number(snap.anchor.slot), cpRoot);
  assert.equal(Number(snap.headersStored), blocks.length);
  assert.equal((await storedCounts(page)).headers, blocks.length);
});

test("a live Fulu chain that forks to Gloas: start() before the fork, follow() across it while the chain moves, the stored head a linked Gloas block", async (t) => {
  const gloasEpoch = 4;
  // Genesis 3 epochs ago: finality is at epoch 1 (Fulu) when the page starts; the first Gloas
  // checkpoint (epoch 4) is finalized about 3 epochs (24 s) later.
  const genesisTime = Math.floor(Date.now() / 1000) - 3 * SLOTS_PER_EPOCH;
  const args = [...liveDevnetArgs(genesisTime, { seed: 3 }), "--fork", "fulu", "--gloas-epoch", String(gloasEpoch)];
  const devnet = await startDevnet({ providers: 1, args });
  t.after(() => devnet.stop());
  const url = devnet.urls[0];
  const finality = watchFinality(url);
  t.after(() => finality.close());
  const { network } = await devnetNetwork(url);
  const gvr = network.GENESIS_VALIDATORS_ROOT;
  const { page, problems } = await packagePage(t, "gloas-live");
  t.after(() => {
    // 404s are the devnet's empty slots; a stream cut by stop() is expected.
    const expected = ["status of 404", "ERR_INCOMPLETE_CHUNKED_ENCODING"];
    const shown = problems.filter((l) => !expected.some((x) => l.includes(x)));
    if (shown.length) t.diagnostic(`browser console: ${shown.join(" | ")}`);
  });
  const anchor = await page.evaluate(async (opts) => {
    const lib = await import("/pkg/beacon_lightsync.js");
    await lib.default();
    const plain = (v) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)));
    const sync = await lib.LightSync.create(opts);
    await sync.reset();
    window.sync = sync;
    window.log = { followed: [], errors: [] };
    sync.on("followed", (e) => window.log.followed.push(plain(e)));
    sync.on("followError", (e) => window.log.errors.push({ code: e.code, message: String(e.message) }));
    const anchor = plain(await sync.start());
    window.following = sync.follow({}).catch((e) => ({ error: e.code, message: String(e.message) }));
    return anchor;
  }, { network, beaconApiUrls: [url], checkpoint: devnet.checkpoint });
  assert.equal(`${anchor.blockRoot}:${anchor.epoch}`, devnet.checkpoint);
  assert.equal(anchor.fork, "fulu", "anchored before the fork");
  assert.equal(anchor.payload, null, "a Fulu anchor has no Gloas payload");

  // Following while the chain moves, until the tip is a Gloas block.
  const firstGloasSlot = gloasEpoch * SLOTS_PER_EPOCH;
  const step = await page
    .waitForFunction(
      (slot) => window.log.followed.find((e) => e.advanced && Number(e.tip.slot) >= slot),
      firstGloasSlot,
      { timeout: 45_000, polling: 100 },
    )
    .then((h) => h.jsonValue());
  await page.evaluate(() => window.sync.stop());
  assert.equal((await page.evaluate(() => window.following)).error, undefined);
  assert.deepEqual(await page.evaluate(() => window.log.errors), []);

  // The tip is a block the node announced as finalized in a Gloas epoch, and a Gloas block.
  const announced = await finality.waitFor((e) => e.block === step.tip.root, 5_000, `a finalized_checkpoint event for ${step.tip.root}`);
  assert.ok(announced.epoch >= gloasEpoch, `finalized epoch ${announced.epoch}`);
  const block = await (await fetch(`${url}/eth/v2/beacon/blocks/${step.tip.root}`, { headers: { Accept: "application/json" } })).json();
  assert.equal(block.version, "gloas");
  const header = (await (await fetch(`${url}/eth/v1/beacon/headers/${step.tip.root}`)).json()).data.header.message;
  // A Gloas node serves the checkpoint block's own post-state as the finalized state.
  assert.equal(announced.state, header.state_root);

  // Stored in IndexedDB (read raw): the newest followed head, its headers re-hashed here, linking
  // by parent roots down across the fork to the Fulu anchor.
  const last = (await page.evaluate(() => window.log.followed)).filter((e) => e.advanced).at(-1);
  const stored = await storedChain(page, gvr);
  assert.equal(stored.anchor, anchor.blockRoot);
  assert.deepEqual({ slot: stored.tip.slot, root: stored.tip.root }, { slot: last.tip.slot, root: last.tip.root });
  assert.equal(stored.tip.anchorRoot, anchor.blockRoot);
  const slots = walkStoredChain(stored, stored.tip.root, anchor.blockRoot, "from the head to the anchor").map((h) => Number(h.slot));
  assert.ok(slots.some((s) => s >= firstGloasSlot) && slots.some((s) => s < firstGloasSlot), `stored links across the fork: ${slots}`);
  const head = await page.evaluate(() => JSON.parse(JSON.stringify(window.sync.status().head, (_k, x) => (typeof x === "bigint" ? x.toString() : x))));
  assert.deepEqual([head.root, String(head.slot), head.followed], [stored.tip.root, stored.tip.slot, true]);
});
