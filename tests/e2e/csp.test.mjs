// The dashboard's Content-Security-Policy and its autostart guard, in headless Chromium against
// `lightsync devnet` on 127.0.0.1 (no request in these tests leaves the loopback range).
//
// What must hold: a whole sync (wasm compile, hash workers, IndexedDB, cross-origin Beacon API
// requests) runs under the policy with no violation; once a sync started, the page can reach only
// the providers entered; a link with `autostart=1` and a provider that is not 127.0.0.1/localhost
// fetches nothing until the user confirms.
import test from "node:test";
import assert from "node:assert/strict";
import { requireBuilt, dashboardSetUp, dashboardUrl, waitForPhase } from "./helpers.mjs";

requireBuilt();

/** The dashboard set-up of every dashboard test, and the page's Content Security Policy reports. */
async function setUp(t, devnetOptions) {
  const { devnet, www, page } = await dashboardSetUp(t, devnetOptions);
  const violations = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  return { devnet, www, page, violations };
}

/** Whether the page can fetch `url` (false: the browser refused it, as a CSP block does). */
function pageCanFetch(page, url) {
  return page.evaluate(async (u) => {
    try {
      await fetch(u);
      return true;
    } catch {
      return false;
    }
  }, url);
}

test("a full sync runs under the policy, which then allows only the entered providers", async (t) => {
  const { devnet, www, page, violations } = await setUp(t, { providers: 2 });
  const policy = await (await fetch(`${www.url}/index.html`)).text();
  assert.match(policy, /<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'/);
  // Before a sync, any http(s) provider may be entered: both devnet providers are reachable.
  await page.goto(dashboardUrl(www.url, { network: "provider", url: devnet.urls[0], checkpoint: devnet.checkpoint }));
  await waitForPhase(page, "idle");
  assert.equal(await pageCanFetch(page, `${devnet.urls[1]}/eth/v1/node/version`), true);

  await page.click("#start");
  const snap = await waitForPhase(page, "done", 90_000);
  assert.equal(snap.anchor.trust, "checkpoint");
  assert.deepEqual(violations, [], "no policy violation during the sync");
  // The entered provider stays reachable; the other is now refused by the policy.
  assert.equal(await pageCanFetch(page, `${devnet.urls[0]}/eth/v1/node/version`), true);
  assert.equal(await pageCanFetch(page, `${devnet.urls[1]}/eth/v1/node/version`), false);
  assert.ok(violations.some((v) => v.includes(devnet.urls[1])), `a violation names the refused origin: ${violations}`);

  // Other providers: the page moves to a fresh one that starts at once (the user asked for it).
  await page.fill("#urls", devnet.urls[1]);
  await Promise.all([page.waitForURL((u) => u.searchParams.get("urls") === devnet.urls[1]), page.click("#start")]);
  await waitForPhase(page, "done", 90_000);
  assert.equal(await pageCanFetch(page, `${devnet.urls[1]}/eth/v1/node/version`), true);
  assert.equal(await pageCanFetch(page, `${devnet.urls[0]}/eth/v1/node/version`), false);
});

test("autostart from a link asks before it fetches from a provider that is not 127.0.0.1/localhost", async (t) => {
  const { devnet, www, page } = await setUp(t, { providers: 1 });
  // 127.0.0.2 is loopback but not 127.0.0.1: the dialog must come first. Nothing listens there.
  const remote = "http://127.0.0.2:9";
  const asked = [];
  page.on("request", (r) => {
    if (r.url().startsWith(remote)) asked.push(r.url());
  });
  await page.goto(dashboardUrl(www.url, { network: "provider", url: remote, stateId: "finalized", autostart: 1 }));
  await page.waitForSelector("#autostart-dialog[open]");
  assert.equal(await page.locator("[data-testid=autostart-providers]").innerText(), remote);
  await page.waitForTimeout(500);
  assert.deepEqual(asked, [], "nothing fetched before the user answers");
  await page.click("#autostart-dialog button[value=cancel]");
  assert.equal((await waitForPhase(page, "idle")).phase, "idle");
  assert.deepEqual(asked, [], "nothing fetched after the user declined");

  // Confirmed, the run starts and reaches the provider (which refuses the connection).
  await page.goto(dashboardUrl(www.url, { network: "provider", url: remote, stateId: "finalized", autostart: 1 }));
  await page.waitForSelector("#autostart-dialog[open]");
  await page.click("#autostart-confirm");
  const failed = await waitForPhase(page, "error", 30_000);
  assert.ok(asked.length > 0, "the confirmed run fetched from the provider");
  assert.equal(failed.error.code, "NETWORK");

  // Providers on 127.0.0.1 start without a question.
  await page.goto(dashboardUrl(www.url, { network: "provider", url: devnet.urls[0], checkpoint: devnet.checkpoint, autostart: 1 }));
  assert.equal((await waitForPhase(page, "done", 90_000)).anchor.trust, "checkpoint");
  assert.equal(await page.locator("#autostart-dialog[open]").count(), 0);
});
