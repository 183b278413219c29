// `make demo`: the whole main job once, in headless Chromium, against a local devnet, then the
// dashboard served for a person to open.
//
// 1. builds what is missing (pkg/ and the release CLI, through `make build`);
// 2. starts `lightsync devnet` with several providers and a static server for www/ + pkg/ on
//    another port, so every Beacon API request from the page is a real cross-origin request;
// 3. opens the dashboard with the devnet's URLs and trusted checkpoint in the query string and
//    autostart: checkpoint sync, verification, storage in IndexedDB, backfill;
// 4. waits for the dashboard's followed head to advance twice with the chain's finality, then
//    prints a summary (anchor root and trust, weak-subjectivity days left, headers stored, times,
//    rates, each followed head with its source and latency) and the path of a screenshot;
// 5. keeps serving and prints the URL to open, unless `--once` is given or CI is set.
//
// The devnet is live (`--live`): it makes a slot every `--seconds-per-slot` (2 s here, so the
// dashboard's Head visibly moves) and finalizes two epochs behind the head.
//
// usage: node scripts/demo.mjs [--once] [--providers K] [--port P] [--validators N] [--slots S]
//                              [--seconds-per-slot T]
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { launch } from "./chromium.mjs";
import {
  ROOT,
  CLI,
  PKG,
  startDevnet,
  startStatic,
  dashboardMounts,
  dashboardUrl,
  waitForPhase,
  snapshot,
  watchConsole,
} from "../tests/e2e/helpers.mjs";

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const once = flag("--once") || Boolean(process.env.CI);
const providers = Number(option("--providers", "3"));
const wantPort = Number(option("--port", process.env.DEMO_PORT ?? "8080"));
/** Passed to `lightsync devnet`: a larger registry makes a larger state to download and hash. */
const devnetArgs = [
  "--live",
  "--seconds-per-slot",
  option("--seconds-per-slot", "2"),
  ...["--validators", "--slots"].flatMap((f) => (option(f) ? [f, option(f)] : [])),
];

/** Head slot and finalized epoch the devnet reports now (it moves while the demo runs). */
async function chainNow(url) {
  const info = await (await fetch(`${url}/_devnet/info`)).json();
  return { head: info.head_slot, finalized: info.finalized_epoch };
}
/** The whole run (sync + backfill of the devnet chain) normally takes seconds; this is a hang. */
const RUN_TIMEOUT_MS = 180_000;
/** Followed advances the summary waits for: the Head moving with the chain. */
const FOLLOWED_ADVANCES = 2;

/**
 * The dashboard's "Followed to slot …" log lines once `FOLLOWED_ADVANCES` of them are there, or
 * those present after `timeoutMs` (finality advances once per epoch: 16 s with 2 s slots).
 */
async function followedLines(page, timeoutMs) {
  const read = () => page.evaluate(() => window.lightsyncDashboard.log.filter((l) => l.text.startsWith("Followed to slot ")));
  const deadline = Date.now() + timeoutMs;
  let lines = await read();
  while (lines.length < FOLLOWED_ADVANCES && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    lines = await read();
  }
  return lines;
}

function ensureBuilt() {
  if (fs.existsSync(CLI) && fs.existsSync(path.join(PKG, "beacon_lightsync.js"))) return;
  console.log("demo: building what is missing (make build)…");
  execFileSync("make", ["build"], { cwd: ROOT, stdio: "inherit" });
}

async function serveWww() {
  if (!once && wantPort > 0) {
    try {
      return await startStatic(dashboardMounts(), { port: wantPort });
    } catch {
      console.log(`demo: port ${wantPort} is busy, using a free port`);
    }
  }
  return startStatic(dashboardMounts());
}

function line(label, value) {
  console.log(`  ${label.padEnd(26)} ${value}`);
}

const fmt = {
  s: (v) => (typeof v === "number" ? `${v.toFixed(2)} s` : "–"),
  mbps: (v) => (typeof v === "number" && v > 0 ? `${(v / 1e6).toFixed(1)} MB/s` : "–"),
  perS: (v) => (typeof v === "number" && v > 0 ? `${Math.round(v).toLocaleString("en-US")} headers/s` : "–"),
};

async function main() {
  ensureBuilt();
  const t0 = Date.now();
  const devnet = await startDevnet({ providers, args: devnetArgs });
  const www = await serveWww();
  const stopAll = async () => {
    await Promise.allSettled([devnet.stop(), www.stop()]);
  };
  for (const sig of ["SIGINT", "SIGTERM"])
    process.on(sig, () => {
      stopAll().then(() => process.exit(0));
    });

  console.log(`demo: devnet "${devnet.chain}"`);
  devnet.urls.forEach((u, i) => console.log(`  provider ${i}: ${u}`));
  console.log(`  trusted checkpoint: ${devnet.checkpoint}`);
  console.log(`demo: dashboard served at ${www.url}`);

  const params = {
    network: "provider",
    url: devnet.urls,
    checkpoint: devnet.checkpoint,
    longRange: "strict",
    targetSlot: 0,
  };
  const { context, close } = await launch();
  let exitCode = 0;
  try {
    const page = await context.newPage();
    const consoleLines = watchConsole(page);
    const started = Date.now();
    const chainAtStart = await chainNow(devnet.urls[0]);
    await page.goto(dashboardUrl(www.url, { ...params, autostart: 1 }));
    let snap;
    try {
      snap = await waitForPhase(page, "done", RUN_TIMEOUT_MS);
    } catch (e) {
      const shot = path.join(ROOT, "test-results", "demo-failed.png");
      fs.mkdirSync(path.dirname(shot), { recursive: true });
      await page.screenshot({ path: shot, fullPage: true });
      console.error(`demo: the run did not finish: ${e.message}`);
      if (consoleLines.length) console.error(consoleLines.join("\n"));
      console.error(`demo: screenshot of the page: ${shot}`);
      exitCode = 1;
      return;
    }
    const wall = (Date.now() - started) / 1000;
    const epochMs = Number(option("--seconds-per-slot", "2")) * 8 * 1000;
    console.log(`demo: synced; waiting for the followed head to advance ${FOLLOWED_ADVANCES} times (an epoch is ${epochMs / 1000} s)…`);
    const followed = await followedLines(page, (FOLLOWED_ADVANCES + 1) * epochMs + 10_000);
    const headNow = (await snapshot(page)).status?.head;
    const shot = path.join(ROOT, "test-results", "demo.png");
    fs.mkdirSync(path.dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });

    const a = snap.anchor ?? {};
    const days = snap.wsDaysLeft;
    console.log("\nsummary (headless Chromium, real IndexedDB, devnet over HTTP on 127.0.0.1)");
    line("anchor block root", a.blockRoot ?? a.block_root ?? "–");
    line("anchor slot / epoch", `${a.slot ?? "–"} / ${a.epoch ?? "–"}`);
    line("anchor trust", a.trust ?? "–");
    const ws = snap.status?.ws;
    line(
      "weak subjectivity",
      typeof days === "number"
        ? `${days.toFixed(2)} days left (${(days * 24).toFixed(1)} h; period ${ws?.periodEpochs} epochs, safe until epoch ${ws?.expiresEpoch})${ws?.stale ? " STALE" : ""}`
        : "–",
    );
    line("headers stored", String(snap.headersStored ?? "–"));
    line("checkpoint sync time", fmt.s(snap.timings.checkpointSeconds));
    line("backfill time", fmt.s(snap.timings.backfillSeconds));
    line("total time in the page", fmt.s(snap.timings.totalSeconds ?? wall));
    line("state download rate", fmt.mbps(snap.rates.downloadBytesPerSecond));
    line("state hashing rate", fmt.mbps(snap.rates.hashBytesPerSecond));
    line("backfill rate", fmt.perS(snap.rates.headersPerSecond));
    const chainAtEnd = await chainNow(devnet.urls[0]);
    line(
      "live chain",
      `head slot ${chainAtStart.head} → ${chainAtEnd.head}, finalized epoch ${chainAtStart.finalized} → ${chainAtEnd.finalized}`,
    );
    for (const [i, l] of followed.entries()) line(i === 0 ? "followed heads" : "", `${l.at.slice(11, 19)} ${l.text}`);
    if (!followed.length) line("followed heads", "none");
    line("head now", headNow ? `slot ${headNow.slot}, ${headNow.root}${headNow.followed ? " (followed)" : ""}` : "–");
    line("screenshot", shot);
    console.log(`  (demo set-up to summary: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    if (followed.length < FOLLOWED_ADVANCES) {
      console.error(`demo: expected the followed head to advance ${FOLLOWED_ADVANCES} times, saw ${followed.length}`);
      if (consoleLines.length) console.error(consoleLines.join("\n"));
      exitCode = 1;
    }
  } finally {
    await close();
    if (once || exitCode !== 0) {
      await stopAll();
      process.exitCode = exitCode;
    }
  }
  if (once || exitCode !== 0) return;
  console.log(`\nThe dashboard keeps running. Open this URL (the form is prefilled with the devnet):`);
  console.log(`  ${dashboardUrl(www.url, params)}`);
  console.log("Press Ctrl-C to stop the devnet and the server.");
}

main().catch((e) => {
  console.error(`demo: ${e.stack ?? e}`);
  process.exit(1);
});
