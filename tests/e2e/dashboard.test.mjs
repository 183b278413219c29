// End-to-end tests of the dashboard in headless Chromium (real IndexedDB, real cross-origin HTTP)
// against `lightsync devnet` on 127.0.0.1. Each test starts its own devnet, static server and
// browser and stops them at the end; a screenshot of each end state goes to test-results/e2e/.
//
// Known answers come from the devnet over HTTP (its canonical header chain, its finalized
// checkpoint, its config), read by the test itself, never from the page under test.
import test from "node:test";
import assert from "node:assert/strict";
import {
  requireBuilt,
  dashboardSetUp,
  dashboardUrl,
  waitForPhase,
  snapshot,
  screenshot,
  canonicalHeaders,
  storedCounts,
  wsPeriodFromSpec,
} from "./helpers.mjs";

requireBuilt();

/** Starts a devnet, the static server and a browser; registers their shutdown with `t`. */
const setUp = (t, devnetOptions = {}) => dashboardSetUp(t, devnetOptions);

/**
 * The stored header count once it has stopped changing (the same for three readings 0.7 s apart);
 * fails when it is still changing after 20 s, which means the backfill did not stop.
 */
async function settledHeaderCount(page) {
  let held = (await storedCounts(page)).headers;
  const deadline = Date.now() + 20_000;
  for (let stable = 0; stable < 3; ) {
    assert.ok(Date.now() < deadline, `headers still being stored after 20 s (${held})`);
    await new Promise((r) => setTimeout(r, 700));
    const now = (await storedCounts(page)).headers;
    stable = now === held ? stable + 1 : 0;
    held = now;
  }
  return held;
}

async function shot(t, page, name) {
  const file = await screenshot(page, name);
  t.diagnostic(`screenshot: ${file}`);
}

/** The headers a backfill from the anchor down to slot `target` must store, from the devnet. */
async function expectedBackfill(devnet, anchorSlot, anchorRoot, target) {
  const chain = await canonicalHeaders(devnet.urls[0], target, anchorSlot);
  const blocks = [...chain.entries()].filter(([, h]) => h !== null).sort((a, b) => a[0] - b[0]);
  const top = blocks[blocks.length - 1];
  assert.equal(top[1].root, anchorRoot, "the devnet's canonical block at the anchor slot is the anchor");
  // Each canonical block links to the previous canonical block: the chain the backfill must walk.
  for (let i = 1; i < blocks.length; i++) assert.equal(blocks[i][1].parentRoot, blocks[i - 1][1].root);
  return { count: blocks.length, oldest: { slot: blocks[0][0], root: blocks[0][1].root } };
}

test("full flow: checkpoint sync, verification, storage and backfill end with the anchor and every header", async (t) => {
  const { devnet, www, page } = await setUp(t, { providers: 3 });
  const [cpRoot, cpEpoch] = devnet.checkpoint.split(":");
  await page.goto(
    dashboardUrl(www.url, { network: "provider", url: devnet.urls, checkpoint: devnet.checkpoint, autostart: 1 }),
  );
  const snap = await waitForPhase(page, "done", 90_000);
  await shot(t, page, "full-flow");

  assert.equal(snap.anchor.blockRoot, cpRoot);
  assert.equal(String(snap.anchor.epoch), cpEpoch);
  assert.equal(snap.anchor.trust, "checkpoint");
  const expected = await expectedBackfill(devnet, Number(snap.anchor.slot), cpRoot, 0);
  assert.equal(Number(snap.headersStored), expected.count, "headers stored");
  assert.equal(snap.tail.root, expected.oldest.root);

  // What the page shows, and what IndexedDB holds.
  assert.equal(await page.locator("[data-testid=anchors] tr").count(), 1);
  assert.match(await page.locator("[data-testid=anchors]").innerText(), /checkpoint/);
  assert.equal(await page.locator("[data-testid=ws-badge]").innerText(), "within period");
  // The head starts at the anchor's block; after the sync the dashboard follows the chain, and on
  // this devnet, whose chain does not move, its first step confirms the anchor as the finalized head.
  assert.equal(snap.status.head.root, cpRoot);
  await page.waitForFunction(() => / \(followed\)$/.test(document.querySelector("[data-testid=head]").innerText), null, {
    timeout: 30_000,
  });
  assert.equal(
    await page.locator("[data-testid=head]").innerText(),
    `slot ${Number(snap.anchor.slot).toLocaleString("en-US")}, ${cpRoot.slice(0, 6)}…${cpRoot.slice(-4)} (followed)`,
  );
  assert.equal(await page.locator("[data-testid=head]").getAttribute("title"), cpRoot);
  // The verified execution block of the anchor (and of the head, the anchor's block): the
  // anchor block's own payload, as the devnet serves the block.
  const block = await (await fetch(`${devnet.urls[0]}/eth/v2/beacon/blocks/${cpRoot}`)).json();
  const payload = block.data.message.body.execution_payload;
  assert.equal(snap.anchor.execution.blockHash, payload.block_hash);
  assert.equal(snap.anchor.execution.blockNumber, payload.block_number);
  const shownExecution = `#${Number(payload.block_number).toLocaleString("en-US")}, ${payload.block_hash.slice(0, 6)}…${payload.block_hash.slice(-4)}`;
  for (const id of ["anchor-execution", "head-execution"]) {
    assert.equal(await page.locator(`[data-testid=${id}]`).innerText(), shownExecution, id);
    assert.equal(await page.locator(`[data-testid=${id}]`).getAttribute("title"), payload.block_hash, id);
  }
  // A pre-Gloas anchor block carries its payload itself: no Gloas payload status.
  assert.equal(snap.anchor.payload, null);
  assert.equal(await page.locator("[data-testid=anchor-payload]").innerText(), "none (before Gloas)");
  const spec = await (await fetch(`${devnet.urls[0]}/eth/v1/config/spec`)).json();
  assert.equal(Number(snap.status.ws.periodEpochs), wsPeriodFromSpec(spec.data, 2048));
  const counts = await storedCounts(page);
  assert.equal(counts.anchors, 1);
  assert.equal(counts.headers, expected.count);
});

test("a custom network whose genesis is later than MIN_GENESIS_TIME + GENESIS_DELAY syncs from stateId finalized", async (t) => {
  // As on real networks, the served spec's minimum genesis precedes the real one (here by ~3
  // years): a package that took the sum for the genesis time would stop with WS_STALE.
  const lag = 100_000_000;
  const { devnet, www, page } = await setUp(t, { providers: 2, args: ["--genesis-lag", String(lag)] });
  const spec = (await (await fetch(`${devnet.urls[0]}/eth/v1/config/spec`)).json()).data;
  assert.equal(Number(spec.MIN_GENESIS_TIME) + Number(spec.GENESIS_DELAY) + lag, devnet.genesis_time);
  await page.goto(
    dashboardUrl(www.url, { network: "provider", url: devnet.urls, stateId: "finalized", backfill: 0, autostart: 1 }),
  );
  const snap = await waitForPhase(page, "done", 90_000);
  await shot(t, page, "custom-network-genesis-lag");
  assert.equal(snap.anchor.trust, "provider");
  assert.equal(String(snap.anchor.epoch), String(devnet.finalized_epoch));
  assert.equal(snap.status.network.genesisTime, String(devnet.genesis_time));
  assert.equal(snap.status.network.genesisValidatorsRoot, devnet.genesis_validators_root);
  assert.equal(snap.status.ws.stale, false);
  assert.equal(await page.locator("[data-testid=ws-badge]").innerText(), "within period");
});

test("a reload during backfill resumes and ends with the same chain", async (t) => {
  const { devnet, www, page } = await setUp(t, { providers: 2 });
  // Slow header responses so the reload lands in the middle of the backfill.
  for (const i of [0, 1]) await devnet.fault(i, "trickle,path=/eth/v1/beacon/headers/*,chunk=64,delay_ms=40");
  const url = dashboardUrl(www.url, {
    network: "provider",
    url: devnet.urls,
    checkpoint: devnet.checkpoint,
    batchSize: 16,
    concurrency: 2,
    autostart: 1,
  });
  await page.goto(url);
  await page.waitForFunction(() => window.lightsyncDashboard?.phase === "backfilling" && window.lightsyncDashboard.headersStored > 0, null, {
    timeout: 60_000,
    polling: 50,
  });
  const before = await snapshot(page);
  assert.equal(before.phase, "backfilling");
  await shot(t, page, "reload-before");
  for (const i of [0, 1]) await devnet.clearFaults(i);
  await page.reload();
  const snap = await waitForPhase(page, "done", 90_000);
  await shot(t, page, "reload-after");

  const expected = await expectedBackfill(devnet, Number(snap.anchor.slot), snap.anchor.blockRoot, 0);
  assert.ok(Number(snap.headersStored) >= Number(before.headersStored), "no header lost by the reload");
  assert.equal(Number(snap.headersStored), expected.count);
  assert.equal(snap.tail.root, expected.oldest.root);
  const counts = await storedCounts(page);
  assert.equal(counts.anchors, 1, "the reload reuses the stored anchor");
  assert.equal(counts.headers, expected.count);
});

test("a faulty provider shows its error code in the page and nothing is stored", async (t) => {
  const { devnet, www, page } = await setUp(t, { providers: 1 });
  await devnet.fault(0, "flip-state");
  await page.goto(
    dashboardUrl(www.url, { network: "provider", url: devnet.urls, checkpoint: devnet.checkpoint, autostart: 1 }),
  );
  const snap = await waitForPhase(page, "error", 60_000);
  await shot(t, page, "faulty-provider");
  assert.equal(snap.error.code, "STATE_ROOT_MISMATCH");
  assert.equal(await page.locator("[data-testid=error-code]").innerText(), "STATE_ROOT_MISMATCH");
  assert.ok(await page.locator("#error").isVisible());
  assert.ok(snap.error.expected && snap.error.actual, "expected and actual values are shown");
  assert.notEqual(snap.error.expected, snap.error.actual);
  assert.match(await page.locator("#error-advice").innerText(), /Nothing from this attempt was stored/);
  const counts = await storedCounts(page);
  assert.equal(counts.anchors, 0, "no anchor stored");
  assert.equal(counts.headers, 0, "no header stored");
});

/**
 * Stores an anchor at the devnet's genesis block while it is fresh (the devnet's head is at the
 * wall clock), then moves the page's clock forward so that this anchor is outside its
 * weak-subjectivity period while the devnet's latest finalized checkpoint is still inside it
 * (the period computed by the spec formula from the devnet's own config), and reopens the
 * dashboard in `longRange` mode. Resolves once the page has reached `phases`.
 */
async function staleAnchor(t, longRange, phases) {
  // 255 slots: the chain's last finality update and its served finalized state are the same
  // epoch boundary, which the light rebuild ends on.
  const validators = 512;
  const ctx = await setUp(t, { providers: 2, args: ["--validators", String(validators), "--slots", "255"] });
  const { devnet, www, page } = ctx;
  const spec = (await (await fetch(`${devnet.urls[0]}/eth/v1/config/spec`)).json()).data;
  const period = wsPeriodFromSpec(spec, validators);
  const genesisRoot = (await (await fetch(`${devnet.urls[0]}/eth/v1/beacon/headers/0`)).json()).data.root;
  const base = { network: "provider", url: devnet.urls, checkpoint: `${genesisRoot}:0`, backfill: 0 };

  await page.goto(dashboardUrl(www.url, { ...base, autostart: 1 }));
  const fresh = await waitForPhase(page, "done", 60_000);
  assert.equal(fresh.anchor.blockRoot, genesisRoot);
  assert.equal(fresh.status.ws.stale, false, "the genesis anchor is fresh at first");

  const secondsPerEpoch = Number(spec.SECONDS_PER_SLOT) * Number(spec.SLOTS_PER_EPOCH);
  const staleEpoch = period + Math.floor(devnet.finalized_epoch / 2); // 0 + period < it <= finalized + period
  await page.clock.setFixedTime((devnet.genesis_time + (staleEpoch + 0.5) * secondsPerEpoch) * 1000);
  await page.goto(dashboardUrl(www.url, { ...base, longRange, autostart: 1 }));
  const snap = await waitForPhase(page, phases, 90_000);
  return { ...ctx, snap, period, genesisRoot, staleEpoch };
}

test("a stale anchor stops with the stale error in strict mode", async (t) => {
  const { page, snap, period, staleEpoch } = await staleAnchor(t, "strict", "error");
  await shot(t, page, "stale-strict");
  assert.equal(snap.error.code, "WS_STALE");
  assert.equal(await page.locator("[data-testid=error-code]").innerText(), "WS_STALE");
  // The numbers of the spec's check: current epoch > anchor epoch (0) + period.
  assert.match(snap.error.message, new RegExp(`\\bperiod ${period}\\b`), "the error names the period");
  assert.match(`${snap.error.actual} ${snap.error.message}`, new RegExp(`\\b${staleEpoch}\\b`), "the error names the current epoch");
  assert.match(await page.locator("#error-advice").innerText(), /light long-range mode/);
  assert.equal(await page.locator("[data-testid=ws-badge]").innerText(), "stale");
  const counts = await storedCounts(page);
  assert.equal(counts.anchors, 1, "the stale anchor is kept, nothing new is stored");
});

test("a stale anchor is rebuilt through light-client updates in light mode", async (t) => {
  const { devnet, page, snap, genesisRoot } = await staleAnchor(t, "light", "done");
  await shot(t, page, "stale-light");
  const active = snap.status.anchor;
  assert.equal(active.trust, "light-client");
  assert.equal(active.blockRoot, devnet.finalized_root, "rebuilt to the devnet's latest finalized block");
  assert.notEqual(active.blockRoot, genesisRoot);
  assert.equal(snap.status.ws.stale, false);
  // Fresh again, though near the end of its period (the clock was moved just past the old one's).
  assert.match(await page.locator("[data-testid=ws-badge]").innerText(), /^(within period|expires soon)$/);
  assert.match(await page.locator("[data-testid=anchors]").innerText(), /light-client/);
  // The followed head starts at the rebuilt anchor's block.
  assert.equal(await page.locator("[data-testid=head]").getAttribute("title"), devnet.finalized_root);
  assert.match(await page.locator("[data-testid=head]").innerText(), /\(followed\)$/);
  const counts = await storedCounts(page);
  assert.equal(counts.anchors, 2, "the old anchor and the rebuilt one");
});

test("pause holds the backfill after its batch, resume finishes it", async (t) => {
  const { devnet, www, page } = await setUp(t, { providers: 1 });
  await devnet.fault(0, "trickle,path=/eth/v1/beacon/headers/*,chunk=64,delay_ms=30");
  await page.goto(
    dashboardUrl(www.url, {
      network: "provider",
      url: devnet.urls,
      checkpoint: devnet.checkpoint,
      batchSize: 8,
      concurrency: 2,
      autostart: 1,
    }),
  );
  await page.waitForFunction(() => window.lightsyncDashboard?.headersStored > 0, null, { timeout: 60_000, polling: 50 });
  await page.getByRole("button", { name: "Pause" }).click();
  assert.equal((await snapshot(page)).phase, "paused");
  assert.ok(await page.getByRole("button", { name: "Resume" }).isEnabled());
  // The batch in flight may still land; after that, nothing more is stored while paused.
  const held = await settledHeaderCount(page);
  await shot(t, page, "paused");
  await devnet.clearFaults(0);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await storedCounts(page)).headers, held, "nothing stored while paused");
  await page.getByRole("button", { name: "Resume" }).click();
  const snap = await waitForPhase(page, "done", 60_000);
  const expected = await expectedBackfill(devnet, Number(snap.anchor.slot), snap.anchor.blockRoot, 0);
  assert.equal((await storedCounts(page)).headers, expected.count);
  assert.equal(snap.tail.root, expected.oldest.root);
});

/**
 * Runs in the page: every visible element with its own text whose WCAG 2 contrast ratio against
 * its nearest opaque background is below 4.5:1 (3:1 for large text); disabled controls are exempt,
 * as WCAG allows. Returns the failures as strings.
 */
const CONTRAST_IN_PAGE = () => {
  const parse = (c) => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const failures = [];
  for (const el of document.querySelectorAll("body *")) {
    if (!el.offsetParent && getComputedStyle(el).position !== "fixed") continue;
    if (el.closest("svg, [hidden], dialog:not([open]), :disabled")) continue;
    const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent.trim()).join("");
    if (!text) continue;
    const style = getComputedStyle(el);
    const l1 = lum(parse(style.color));
    const l2 = lum(background(el));
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) failures.push(`${el.tagName.toLowerCase()}#${el.id} "${text.slice(0, 30)}": ${ratio.toFixed(2)}`);
  }
  return failures;
};

test("accessible: labelled controls, readable contrast, keyboard start and reset behind a confirmation", async (t) => {
  const { devnet, www, page } = await setUp(t, { providers: 1 });
  await page.goto(dashboardUrl(www.url, { network: "provider", url: devnet.urls, checkpoint: devnet.checkpoint }));
  await waitForPhase(page, "idle", 30_000);

  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea, button")]
      .filter((el) => !(el.labels?.length || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby") || (el.tagName === "BUTTON" && el.textContent.trim())))
      .map((el) => el.id || el.name || el.outerHTML.slice(0, 60)),
  );
  assert.deepEqual(unlabelled, [], "every control has a label");
  assert.deepEqual(await page.evaluate(CONTRAST_IN_PAGE), [], "text contrast at least 4.5:1 (3:1 large)");

  // Start with the keyboard alone.
  await page.focus("#start");
  await page.keyboard.press("Enter");
  await waitForPhase(page, "done", 60_000);
  assert.deepEqual(await page.evaluate(CONTRAST_IN_PAGE), [], "contrast of the finished page");
  const before = await storedCounts(page);
  assert.equal(before.anchors, 1);

  // Reset: the dialog opens on the safe choice; Escape keeps the data.
  await page.focus("#reset");
  await page.keyboard.press("Enter");
  assert.ok(await page.locator("#reset-dialog").isVisible());
  assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), "Keep the data");
  await shot(t, page, "reset-dialog");
  await page.keyboard.press("Escape");
  assert.ok(!(await page.locator("#reset-dialog").isVisible()));
  assert.deepEqual(await storedCounts(page), before, "Escape deletes nothing");

  // Confirming deletes the anchors and headers.
  await page.focus("#reset");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "reset-confirm");
  await page.keyboard.press("Enter");
  await waitForPhase(page, "idle", 30_000);
  assert.deepEqual(await storedCounts(page), { anchors: 0, headers: 0 });
  assert.match(await page.locator("[data-testid=anchors]").innerText(), /No anchor stored yet/);
  await shot(t, page, "after-reset");
});

test("a local SSZ state file seeds an empty database (trust: file), then cancel stops the backfill", async (t) => {
  const { devnet, www, page } = await setUp(t, { providers: 1 });
  await devnet.fault(0, "trickle,path=/eth/v1/beacon/headers/*,chunk=64,delay_ms=30");
  const res = await fetch(`${devnet.urls[0]}/eth/v2/debug/beacon/states/finalized`, {
    headers: { Accept: "application/octet-stream" },
  });
  assert.equal(res.status, 200);
  const ssz = Buffer.from(await res.arrayBuffer());
  await page.goto(dashboardUrl(www.url, { network: "provider", url: devnet.urls, batchSize: 8, concurrency: 2 }));
  await waitForPhase(page, "idle", 30_000);
  await page.getByLabel("Local SSZ state file").check();
  await page.locator("#stateFile").setInputFiles({ name: "finalized.ssz", mimeType: "application/octet-stream", buffer: ssz });
  await page.getByRole("button", { name: "Start sync" }).click();
  await page.waitForFunction(() => window.lightsyncDashboard?.headersStored > 0, null, { timeout: 60_000, polling: 50 });
  const snap = await snapshot(page);
  assert.equal(snap.anchor.trust, "file");
  assert.equal(String(snap.anchor.slot), String(devnet.finalized_slot));
  assert.match(await page.locator("[data-testid=anchors]").innerText(), /file/);

  await page.getByRole("button", { name: "Cancel" }).click();
  await page.waitForFunction(() => window.lightsyncDashboard?.phase === "cancelled");
  // The run stops at its next check; what it stored stays, all of it hash-linked.
  const held = await settledHeaderCount(page);
  await shot(t, page, "state-file-cancelled");
  const expected = await expectedBackfill(devnet, Number(snap.anchor.slot), snap.anchor.blockRoot, 0);
  assert.ok(held > 0 && held < expected.count, `cancelled part-way (${held} of ${expected.count})`);
  assert.equal((await storedCounts(page)).anchors, 1);
  assert.ok(await page.getByRole("button", { name: "Start sync" }).isEnabled());
});
