// `follow()` on a chain that really moves: `lightsync devnet --live` (1 s slots, minimal preset,
// a small registry; finality advances about every 8 s), in headless Chromium with real IndexedDB,
// following by the node's event stream (the default).
//
// Known answers come from the devnet, asked by the test itself: its finalized block
// (`/eth/v1/beacon/headers/finalized`) and its `finalized_checkpoint` events, read by this
// process over its own connection. What the page stored is read raw from IndexedDB (no package
// code) and its header chain re-hashed here.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { launch } from "../../scripts/chromium.mjs";
import {
  PKG,
  devnetNetwork,
  finalizedHeader,
  liveDevnetArgs,
  requireBuilt,
  startDevnet,
  startStatic,
  storedChain,
  walkStoredChain,
  watchConsole,
  watchFinality,
  wsPeriodFromSpec,
} from "./helpers.mjs";

requireBuilt();

/** The registry of every live devnet here (its WS period is the preset's floor, 257 epochs). */
const VALIDATORS = 64;
/** Longest wait for one finality advance to reach the store (advances come every ~8 s). */
const ADVANCE_MS = 25_000;

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A page that loads the package and nothing else; the test drives it with `page.evaluate`. */
const HARNESS = `<!doctype html><meta charset="utf-8"><title>follow</title><link rel="icon" href="data:,">
<script type="module">
  import init, * as lightsync from "/pkg/beacon_lightsync.js";
  await init();
  window.lightsync = lightsync;
</script>`;

/** A static server with the harness page and pkg/, and a browser; shut down with `t`. */
async function harness(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lightsync-follow-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, "index.html"), HARNESS);
  const server = await startStatic({ "": dir, "/pkg": PKG });
  t.after(() => server.stop());
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.context.newPage();
  const lines = watchConsole(page);
  t.after(() => {
    // Expected: 404s (the devnet's empty slots), refused connections (the provider restart) and
    // event streams cut by a reload, a restart or stop(); the rest is reported.
    const expected = ["status of 404", "ERR_CONNECTION_REFUSED", "ERR_CONNECTION_RESET", "ERR_INCOMPLETE_CHUNKED_ENCODING"];
    const shown = lines.filter((l) => !expected.some((x) => l.includes(x)));
    if (shown.length) t.diagnostic(`browser console: ${shown.join(" | ")}`);
  });
  const open = async () => {
    await page.goto(server.url);
    await page.waitForFunction(() => window.lightsync, null, { timeout: 30_000 });
  };
  await open();
  return { page, reload: open };
}

/**
 * In the page: `LightSync.create(options)` with every `followed`, `followSource`,
 * `followError` and `execution` event recorded (stamped with the page's `Date.now()`), then `start()`.
 * Resolves to the anchor.
 */
function createAndStart(page, options) {
  return page.evaluate(async (options) => {
    const plain = (e) => JSON.parse(JSON.stringify(e, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
    window.log = { followed: [], sources: [], errors: [], executions: [] };
    const sync = await window.lightsync.LightSync.create(options);
    window.sync = sync;
    sync.on("followed", (e) => window.log.followed.push({ ...plain(e), at: Date.now() }));
    sync.on("followSource", (e) => window.log.sources.push({ ...plain(e), at: Date.now() }));
    sync.on("followError", (e) => window.log.errors.push({ code: e.code, message: String(e.message), at: Date.now() }));
    sync.on("execution", (e) => window.log.executions.push({ ...plain(e), at: Date.now() }));
    return plain(await sync.start());
  }, options);
}

/** Starts `follow()` in the page with the default options (the node's event stream). */
function follow(page) {
  return page.evaluate(() => {
    window.following = window.sync.follow({}).catch((e) => ({ error: e.code }));
  });
}

/** The page's event records. */
const pageLog = (page) => page.evaluate(() => window.log);

/**
 * Waits for a stored advance past `slot` triggered by the node's event stream, reported after
 * `since` (page clock), and returns its `followed` event. Steps by polling are legitimate too
 * (`start()` and the first step of `follow()` poll, and finality may have moved in between),
 * so the wait is for the first event-driven one.
 */
async function advancePast(page, slot, since, what) {
  const handle = await page.waitForFunction(
    ({ slot, since }) =>
      window.log.followed.find((e) => e.advanced && e.source === "event" && e.at > since && BigInt(e.tip.slot) > BigInt(slot)),
    { slot: String(slot), since },
    { timeout: ADVANCE_MS, polling: 50 },
  );
  const e = await handle.jsonValue();
  assert.ok(e, `${what}: expected a followed advance past slot ${slot}`);
  return e;
}

/**
 * The stored chain after an advance to `tip`, checked against the devnet and by itself:
 * the stored head is `tip`; it is the devnet's finalized block (asked now; if finality moved on in
 * between, the node must have announced `tip` and a later checkpoint); and the stored headers,
 * each re-hashed, link by parent roots from the tip down to the active anchor. Returns the
 * number of links.
 */
async function checkAdvance({ page, gvr, url, finality }, tip, what) {
  const stored = await storedChain(page, gvr);
  assert.ok(stored?.tip, `${what}: expected a stored head`);
  assert.deepEqual({ slot: stored.tip.slot, root: stored.tip.root }, { slot: tip.slot, root: tip.root }, `${what}: stored head`);
  assert.equal(stored.tip.anchorRoot, stored.anchor, `${what}: the head hangs from the active anchor`);
  const truth = await finalizedHeader(url);
  if (truth.root !== tip.root) {
    const i = finality.events.findIndex((e) => e.block === tip.root);
    assert.ok(
      i >= 0 && finality.events.length > i + 1,
      `${what}: expected the stored head ${tip.root} to be the devnet's finalized block ${truth.root} (slot ${truth.slot})`,
    );
  }
  return walkStoredChain(stored, tip.root, stored.anchor, what).length;
}

/** The announced checkpoint whose block is `root`, with the page's latency checked against it. */
function announced(finality, e, what) {
  const ev = finality.events.find((x) => x.block === e.tip.root);
  assert.ok(ev, `${what}: expected the node to have announced ${e.tip.root} in a finalized_checkpoint event`);
  if (e.source === "event") {
    assert.equal(typeof e.latencyMs, "number", `${what}: latencyMs of an event-driven step`);
    assert.ok(e.latencyMs >= 0, `${what}: latencyMs ${e.latencyMs}`);
    // Both clocks are this machine's; the page and this process read the same stream bytes
    // concurrently, so the stored tip cannot precede the announcement by more than scheduling.
    assert.ok(e.at >= ev.at - 250, `${what}: the tip was stored (${e.at}) before the node announced it (${ev.at})`);
  }
  return ev;
}

/** The execution payload of the devnet's block `root`, from its Beacon API JSON. */
async function payloadOf(url, root) {
  return (await (await fetch(`${url}/eth/v2/beacon/blocks/${root}`)).json()).data.message.body.execution_payload;
}

/**
 * The followed tip's `execution` event: the payload the devnet's block of that root carries
 * (`how` says what proved it), and the head that `status()` shows carries the same.
 */
async function checkTipExecution(page, url, tip, how) {
  const event = await page.waitForFunction(
    (root) => window.log.executions.find((e) => e.source === "tip" && e.blockRoot === root),
    tip.root,
    { timeout: 5_000 },
  );
  const execution = (await event.jsonValue()).execution;
  const payload = await payloadOf(url, tip.root);
  assert.equal(execution.blockHash, payload.block_hash, `the tip's execution block, proven by ${how}`);
  assert.equal(execution.blockNumber, payload.block_number);
  const shownHead = await page.evaluate(() => JSON.parse(JSON.stringify(window.sync.status().head)));
  if (shownHead.root === tip.root) assert.deepEqual(shownHead.execution, execution);
}

test("follow() by events across finality advances, a page reload and a provider restart, the store always at the devnet's finalized block", async (t) => {
  // Genesis 40 s ago: finality is at epoch 3 when the test starts.
  const args = liveDevnetArgs(nowSeconds() - 40, { validators: VALIDATORS });
  let devnet = await startDevnet({ providers: 1, args });
  t.after(() => devnet.stop());
  const url = devnet.urls[0];
  const port = Number(new URL(url).port);
  const finality = watchFinality(url);
  t.after(() => finality.close());
  const { network } = await devnetNetwork(url);
  const gvr = network.GENESIS_VALIDATORS_ROOT;
  const { page, reload } = await harness(t);
  const ctx = { page, gvr, url, finality };

  const anchor = await createAndStart(page, { network, beaconApiUrls: [url], checkpoint: devnet.checkpoint });
  assert.equal(`${anchor.blockRoot}:${anchor.epoch}`, devnet.checkpoint);
  const followFrom = Date.now();
  await follow(page);
  const opened = await page.waitForFunction(() => window.log.sources.find((s) => s.source === "events"), null, { timeout: 10_000 });
  assert.equal((await opened.jsonValue()).url, `${url}/eth/v1/events?topics=finalized_checkpoint`);

  // Advance 1: by the event stream.
  const a1 = await advancePast(page, anchor.slot, followFrom, "advance 1");
  announced(finality, a1, "advance 1");
  assert.ok((await checkAdvance(ctx, a1.tip, "advance 1")) >= 1);
  await checkTipExecution(page, url, a1.tip, "its block, which hashes to the linked tip root");

  // A real reload: a new instance resumes from IndexedDB with the followed head, and follows on.
  await reload();
  const resumed = await createAndStart(page, { network, beaconApiUrls: [url] });
  assert.equal(resumed.blockRoot, anchor.blockRoot, "the reload resumes from the stored anchor");
  const head = await page.evaluate(() => JSON.parse(JSON.stringify(window.sync.status().head)));
  assert.equal(head.followed, true);
  assert.ok(BigInt(head.slot) >= BigInt(a1.tip.slot), `the head after the reload (${head.slot}) is the stored one or newer`);
  const refollowFrom = Date.now();
  await follow(page);
  const a2 = await advancePast(page, head.slot, refollowFrom, "advance 2 (after the reload)");
  announced(finality, a2, "advance 2");
  await checkAdvance(ctx, a2.tip, "advance 2");

  // A provider restart: the process killed, started again on the same port with the same genesis
  // time and seed. The stream drops (polling meanwhile), reopens, and following goes on.
  const downAt = Date.now();
  await devnet.stop();
  devnet = await startDevnet({ providers: 1, port, args });
  assert.equal(devnet.urls[0], url);
  assert.equal(devnet.genesis_validators_root, gvr);
  const upAt = Date.now();
  const reopened = await page.waitForFunction(
    (since) => window.log.sources.find((s) => s.source === "events" && s.at > since),
    upAt,
    { timeout: 20_000, polling: 50 },
  );
  const log = await pageLog(page);
  const dropped = log.sources.find((s) => s.source === "polling" && s.at >= downAt);
  assert.ok(dropped, `expected a followSource "polling" once the provider was gone, got ${JSON.stringify(log.sources)}`);
  assert.equal(typeof dropped.code, "string");
  assert.ok(dropped.retryInMs > 0);
  const reopenedAt = (await reopened.jsonValue()).at;
  const a3 = await page
    .waitForFunction(
      ({ slot, since }) => window.log.followed.find((e) => e.advanced && e.source === "event" && e.at > since && BigInt(e.tip.slot) > BigInt(slot)),
      { slot: a2.tip.slot, since: reopenedAt },
      { timeout: ADVANCE_MS, polling: 50 },
    )
    .then((h) => h.jsonValue());
  announced(finality, a3, "advance 3 (after the restart)");
  await checkAdvance(ctx, a3.tip, "advance 3");

  // Three distinct finalized epochs were followed, each stored tip the announced block.
  const epochs = new Set([a1, a2, a3].map((e) => finality.events.find((x) => x.block === e.tip.root).epoch));
  assert.equal(epochs.size, 3, `three distinct finalized epochs, got ${[...epochs]}`);
  // Failed steps only while the provider was down, never a rejected chain.
  for (const err of (await pageLog(page)).errors) {
    assert.ok(err.at >= downAt && err.at <= reopenedAt + 2_000, `unexpected followError ${err.code}: ${err.message}`);
    assert.equal(err.code, "NETWORK", `followError while the provider was down: ${err.message}`);
  }
  await page.evaluate(() => window.sync.stop());
  const last = await page.evaluate(() => window.following);
  assert.equal(last.error, undefined);
});

test("a light rebuild from a stored anchor the live chain left outside the weak-subjectivity period, then following by light-client events", async (t) => {
  // Genesis 300 epochs ago (8 s each): the genesis block, as a trusted root, is outside the
  // period (257 epochs for this registry) by ~40 epochs. `start()` refuses a stale trust
  // source unless `lenient`, so it is stored that way first (marked stale), and a reloaded page
  // with `longRange: "light"` resumes from it.
  const args = liveDevnetArgs(nowSeconds() - 300 * 8, { validators: VALIDATORS });
  const devnet = await startDevnet({ providers: 1, args, timeoutMs: 120_000 });
  t.after(() => devnet.stop());
  const url = devnet.urls[0];
  const finality = watchFinality(url);
  t.after(() => finality.close());
  const { network, spec } = await devnetNetwork(url);
  const gvr = network.GENESIS_VALIDATORS_ROOT;
  const genesisRoot = (await (await fetch(`${url}/eth/v1/beacon/headers/0`)).json()).data.root;
  const period = wsPeriodFromSpec(spec, VALIDATORS);
  const slotsPerEpoch = Number(spec.SLOTS_PER_EPOCH);
  const currentEpoch = Math.floor((nowSeconds() - devnet.genesis_time) / Number(spec.SECONDS_PER_SLOT) / slotsPerEpoch);
  assert.ok(currentEpoch > period, `precondition: epoch ${currentEpoch} is past the genesis anchor's period (${period} epochs)`);
  const { page, reload } = await harness(t);
  const ctx = { page, gvr, url, finality };

  const old = await createAndStart(page, { network, beaconApiUrls: [url], trustedBlockRoot: genesisRoot, longRange: "lenient" });
  assert.equal(old.blockRoot, genesisRoot);
  assert.equal(old.stale, true);
  assert.equal(Number(old.wsPeriodEpochs), period);

  await reload();
  const before = await finalizedHeader(url);
  const anchor = await createAndStart(page, { network, beaconApiUrls: [url], longRange: "light" });
  assert.equal(anchor.trust, "light-client");
  assert.equal(anchor.stale, false);
  assert.notEqual(anchor.blockRoot, genesisRoot);
  // The new anchor is a block the devnet finalized (the light-client finality of the newest update).
  const block = await (await fetch(`${url}/eth/v1/beacon/headers/${anchor.blockRoot}`)).json();
  assert.equal(block.finalized, true, `the rebuilt anchor ${anchor.blockRoot} is finalized on the devnet`);
  assert.ok(Number(anchor.slot) >= before.slot - 2 * 64, `the rebuilt anchor (slot ${anchor.slot}) is recent (finalized slot ${before.slot})`);
  // The headers between the two anchors are stored and link the new one to the old by parent roots.
  const stored = await storedChain(page, gvr);
  assert.equal(stored.anchor, anchor.blockRoot);
  assert.ok(walkStoredChain(stored, anchor.blockRoot, genesisRoot, "from the rebuilt anchor to the old one").length > 0);

  // Following on from the rebuilt anchor: the light-client finality updates of the event stream.
  const followFrom = Date.now();
  await follow(page);
  const stream = await page.waitForFunction(() => window.log.sources.find((s) => s.source === "events"), null, { timeout: 10_000 });
  const topics = new URL((await stream.jsonValue()).url).searchParams.get("topics").split(",");
  assert.ok(topics.includes("light_client_finality_update"), `after a light rebuild the stream carries light-client updates, got ${topics}`);
  const a1 = await advancePast(page, anchor.slot, followFrom, "advance after the rebuild");
  assert.equal(typeof a1.latencyMs, "number");
  await checkAdvance(ctx, a1.tip, "advance after the rebuild");
  // The rebuilt anchor and the light-client tip carry their verified execution blocks: the
  // payloads of those very blocks, as the devnet serves them.
  const anchorPayload = await payloadOf(url, anchor.blockRoot);
  assert.equal(anchor.execution.blockHash, anchorPayload.block_hash);
  assert.equal(anchor.execution.blockNumber, anchorPayload.block_number);
  await checkTipExecution(page, url, a1.tip, "its light-client header");
  assert.deepEqual((await pageLog(page)).errors, []);
  await page.evaluate(() => window.sync.stop());
});
