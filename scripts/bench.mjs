// Benchmarks, measured side by side in one run: the native CLI and the wasm build in headless
// Chromium on the same bytes. Prints a table and the ratios, and writes bench-results/*.json.
//
// usage: node scripts/bench.mjs [root] [--runs N]
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./chromium.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FIXTURES = process.env.LIGHTSYNC_FIXTURES || path.join(ROOT, "../shared/fixtures");
const CLI = path.join(ROOT, "target/release/lightsync");
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf("--runs") + 1] || 5) || 5;
const which = args.filter((a) => !a.startsWith("--") && !/^\d+$/.test(a));
const suites = which.length ? which : ["root"];

export async function startStatic(mounts) {
  const readyFile = path.join(fs.mkdtempSync("/tmp/lightsync-serve-"), "url");
  const argv = [path.join(ROOT, "scripts/serve.mjs"), "--port", "0", "--ready-file", readyFile];
  for (const [prefix, dir] of Object.entries(mounts)) argv.push("--mount", `${prefix}=${dir}`);
  const child = spawn(process.execPath, argv, { stdio: ["ignore", "ignore", "inherit"] });
  for (let i = 0; i < 200 && !fs.existsSync(readyFile); i++) await new Promise((r) => setTimeout(r, 50));
  if (!fs.existsSync(readyFile)) throw new Error("static server did not start");
  return { url: fs.readFileSync(readyFile, "utf8").trim(), stop: () => child.kill() };
}

function nativeRoot(file, fork, preset) {
  const out = execFileSync(CLI, ["bench", "root", "--json", "--runs", String(runs), "--fork", fork, "--preset", preset, file], {
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").pop());
}

async function rootSuite(browser, base) {
  const cases = [
    { name: "mainnet genesis (phase0)", rel: "genesis-states/mainnet-genesis.ssz", fork: "phase0", preset: "mainnet" },
  ];
  const rows = [];
  for (const c of cases) {
    const file = path.join(FIXTURES, c.rel);
    const native = nativeRoot(file, c.fork, c.preset);
    const page = await browser.newPage();
    await page.goto(`${base}bench/root.html?file=/fixtures/${c.rel}&fork=${c.fork}&preset=${c.preset}&runs=${runs}`);
    const wasm = await page.evaluate(() => window.benchResult);
    await page.close();
    if (wasm.error) throw new Error(`wasm: ${wasm.error}`);
    if (wasm.root !== native.root) throw new Error(`roots differ: native ${native.root}, wasm ${wasm.root}`);
    rows.push({ case: c.name, bytes: wasm.bytes, root: wasm.root, nativeMBps: native.bestMBps, wasmMBps: wasm.bestMBps,
      nativeMs: native.bestMs, wasmMs: wasm.bestMs, ratio: native.bestMBps / wasm.bestMBps });
  }
  console.log(`\nstate root, best of ${runs} (MB/s = 1e6 bytes/s)`);
  console.log("| case | size | native ms | native MB/s | wasm ms | wasm MB/s | native/wasm |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of rows)
    console.log(`| ${r.case} | ${(r.bytes / 1e6).toFixed(1)} MB | ${r.nativeMs.toFixed(1)} | ${r.nativeMBps.toFixed(1)} | ${r.wasmMs.toFixed(1)} | ${r.wasmMBps.toFixed(1)} | ${r.ratio.toFixed(2)}x |`);
  return rows;
}

const server = await startStatic({ "": path.join(ROOT, "www"), "/pkg": path.join(ROOT, "pkg"), "/fixtures": FIXTURES });
const { context, close } = await launch();
const results = {};
try {
  for (const s of suites) {
    if (s === "root") results.root = await rootSuite(context, server.url);
    else throw new Error(`unknown suite ${s}`);
  }
} finally {
  await close();
  server.stop();
}
fs.mkdirSync(path.join(ROOT, "bench-results"), { recursive: true });
fs.writeFileSync(path.join(ROOT, "bench-results/latest.json"), JSON.stringify(results, null, 2));
console.log("\nwrote bench-results/latest.json");
