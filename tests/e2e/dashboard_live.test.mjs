// The dashboard on a live devnet (1 s slots, minimal preset): "Custom, from the provider" on a
// chain whose genesis time is not MIN_GENESIS_TIME + GENESIS_DELAY, and its Head moving as the
// devnet finalizes new epochs. Known answers come from the devnet over HTTP, asked by the test.
import test from "node:test";
import assert from "node:assert/strict";
import {
  requireBuilt,
  dashboardSetUp,
  dashboardUrl,
  liveDevnetArgs,
  waitForPhase,
  screenshot,
} from "./helpers.mjs";

requireBuilt();

test("the dashboard's custom network on a live devnet: synced from the provider's genesis, its followed Head moves with finality", async (t) => {
  // Genesis 40 s ago and a served spec whose minimum genesis is ~3 years earlier, as on real networks.
  const genesisTime = Math.floor(Date.now() / 1000) - 40;
  // Expected on the console: 404s (empty slots) and the event stream cut when the devnet stops first.
  const { devnet, www, page } = await dashboardSetUp(
    t,
    { providers: 2, args: [...liveDevnetArgs(genesisTime), "--genesis-lag", "100000000"] },
    ["status of 404", "ERR_CONNECTION_REFUSED", "ERR_INCOMPLETE_CHUNKED_ENCODING"],
  );

  const spec = (await (await fetch(`${devnet.urls[0]}/eth/v1/config/spec`)).json()).data;
  assert.equal(devnet.genesis_time, genesisTime);
  assert.notEqual(Number(spec.MIN_GENESIS_TIME) + Number(spec.GENESIS_DELAY), genesisTime);
  await page.goto(
    dashboardUrl(www.url, { network: "provider", url: devnet.urls, stateId: "finalized", backfill: 0, autostart: 1 }),
  );
  const snap = await waitForPhase(page, "done", 60_000);
  assert.equal(snap.anchor.trust, "provider");
  assert.equal(snap.status.network.genesisTime, String(genesisTime));
  assert.equal(snap.status.network.genesisValidatorsRoot, devnet.genesis_validators_root);
  assert.equal(snap.status.ws.stale, false);

  // The Head as shown: each distinct "(followed)" value, its full root in the title. Two
  // distinct ones above the anchor mean the shown head moved with the chain.
  const anchorSlot = Number(snap.anchor.slot);
  const shown = new Map();
  const deadline = Date.now() + 40_000;
  while (shown.size < 2) {
    assert.ok(Date.now() < deadline, `expected 2 distinct followed heads within 40 s, got ${JSON.stringify([...shown.values()])}`);
    const el = page.locator("[data-testid=head]");
    // Text and title read in one step: read apart, an update between them pairs one head's
    // slot with the next head's root.
    const [text, root] = await el.evaluate((e) => [e.innerText, e.getAttribute("title")]);
    const m = / ([\d,]+), .* \(followed\)$/.exec(text);
    if (m && Number(m[1].replace(/,/g, "")) > anchorSlot && !shown.has(root)) shown.set(root, { slot: Number(m[1].replace(/,/g, "")), root, text });
    await new Promise((r) => setTimeout(r, 100));
  }
  const heads = [...shown.values()];
  assert.ok(heads[1].slot > heads[0].slot, `the head moved forward: ${JSON.stringify(heads)}`);
  // Each shown head is a block the devnet has finalized, at the slot shown.
  for (const h of heads) {
    const res = await fetch(`${devnet.urls[1]}/eth/v1/beacon/headers/${h.root}`);
    assert.equal(res.status, 200, `the shown head ${h.root} is a devnet block`);
    const body = await res.json();
    assert.equal(body.finalized, true, `the shown head ${h.root} is finalized on the devnet`);
    assert.equal(Number(body.data.header.message.slot), h.slot);
  }
  assert.match(await page.locator("[data-testid=follow-source]").innerText(), /^events, last \d+ ms from event to stored tip$/);
  t.diagnostic(`screenshot: ${await screenshot(page, "dashboard-live-head")}`);
});
