// Launches Debian's Chromium headless (never a downloaded browser), with the flags a closed network
// needs (no background connections) and a fresh profile each time: `launch()` (one persistent
// context) and `launchBrowser()` (a browser for several contexts) through playwright-core,
// `launchPlain()` with no automation attached (for throughput benchmarks).
import { spawn } from "node:child_process";
import { chromium } from "playwright-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** Every launch's flags: root needs no sandbox; the rest keep Chromium off the closed network. */
export const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/**
 * A temporary directory of one browser's own, given to it as TMPDIR: Chromium keeps its singleton
 * socket and its `scoped_dir` copies (tens of MB each) there and leaves them behind when it is
 * killed, so a machine that runs the suites (and their kill tests) often would fill its /tmp.
 * `remove()` once the browser is gone.
 */
export function privateTmp() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lightsync-chromium-tmp-"));
  return {
    env: { ...process.env, TMPDIR: dir },
    remove: () => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }),
  };
}

/** The flags of a Playwright launch: `performance.memory` in real (not bucketed) bytes. */
const playwrightArgs = (extraArgs) => [...FLAGS, "--enable-precise-memory-info", ...extraArgs];

export async function launch({ extraArgs = [] } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "lightsync-chromium-"));
  const tmp = privateTmp();
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: playwrightArgs(extraArgs),
    viewport: { width: 1280, height: 900 },
    env: tmp.env,
  });
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
    tmp.remove();
  };
  return { context, close };
}

/**
 * A Playwright `Browser` (Playwright gives it a fresh profile and removes it on `close()`), for
 * callers that open a context per page, e.g. to give each page its own renderer process, or that
 * need `browser.newBrowserCDPSession()`.
 */
export async function launchBrowser({ extraArgs = [] } = {}) {
  const tmp = privateTmp();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: playwrightArgs(extraArgs), env: tmp.env });
  browser.on("disconnected", tmp.remove);
  return browser;
}

/**
 * Starts Debian's Chromium headless on `url` with no automation attached (no Playwright, no
 * DevTools protocol): CDP's Network domain adds work to every request, which a real user's
 * browser does not do, so throughput benchmarks run this way and the page reports its result
 * itself (e.g. by POSTing it to a local endpoint). Same closed-network flags and fresh profile as
 * `launch()`. Returns `{ child, close }`; `close()` ends the browser and removes the profile.
 */
export function launchPlain(url, { extraArgs = [] } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "lightsync-chromium-"));
  const tmp = privateTmp();
  const child = spawn(
    CHROMIUM,
    ["--headless", ...FLAGS, "--no-default-browser-check", `--user-data-dir=${profile}`, ...extraArgs, url],
    // Its own process group, so that `close()` ends its helper processes with it.
    { stdio: ["ignore", "ignore", "ignore"], detached: true, env: tmp.env },
  );
  const close = async () => {
    const group = (signal) => { try { process.kill(-child.pid, signal); } catch { /* already gone */ } };
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      group("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    group("SIGKILL");
    // A helper may still be flushing the profile for a moment.
    try {
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
      tmp.remove();
    } catch (e) {
      console.error(`chromium profile ${profile} not removed: ${e.message}`);
    }
  };
  return { child, close };
}
