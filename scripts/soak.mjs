// `make soak`: kills Chromium at random moments of start() (download, hash, store), backfill()
// and follow(), at least SOAK_KILLS (20) times each, rotating SIGKILL of the browser process,
// a renderer crash (CDP Page.crash) and an abrupt CDP Browser.close. After every kill the
// database of the same profile is checked independently (tests/e2e/soak.mjs); then the flow
// resumes in that profile and must finish, and the check must pass again.
//
// Rounds, each in a fresh profile: a backfill round kills start() until an anchor is stored,
// resumes start() (once from the checkpoint if nothing was stored, then without a source, from
// the stored anchor), then kills backfill() a few times and lets it finish; a follow round
// anchors at genesis (the devnet's chain is static, so following from genesis up to the
// finalized checkpoint is the work a follow step does) and kills follow() until it has linked
// up, then lets it finish. Stops when every flow has its kills, or after SOAK_MAX_MINUTES (25).
//
// Environment: SOAK_KILLS (20), SOAK_SEED (random; printed, reruns the same moments and
// methods), SOAK_MAX_MINUTES. Writes test-results/soak/report.json. Exit code 1 when a check
// failed or a flow did not finish.
import fs from "node:fs";
import path from "node:path";
import { ROOT, requireBuilt } from "../tests/e2e/helpers.mjs";
import {
  KILL_METHODS,
  checkDatabase,
  flowOptions,
  killCycle,
  newProfile,
  openProfile,
  runToEnd,
  startSoakEnv,
} from "../tests/e2e/soak.mjs";

requireBuilt();
const KILLS = Number(process.env.SOAK_KILLS ?? 20);
const SEED = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const DEADLINE = Date.now() + Number(process.env.SOAK_MAX_MINUTES ?? 25) * 60_000;
const PER_ROUND = { start: 4, backfill: 4, follow: 4 };

/** mulberry32: a small seeded generator, so a failing run can be replayed with SOAK_SEED. */
let state = SEED >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
}
const between = (lo, hi) => Math.round(lo + random() * (hi - lo));

/**
 * How long each run takes from the instance's creation to its end, in ms, as last measured by
 * a run that finished (initial guesses until then): kill delays are drawn from [0, that], so the
 * kills spread over the whole run whatever the machine's speed.
 */
const duration = { start: 1500, follow: 4000 };
function measure(flow, run) {
  const ready = run.events.find((l) => l.kind === "ready");
  if (ready) duration[flow] = run.line.t - ready.t;
}

const kills = [];
const failures = [];
const count = (flow) => kills.filter((k) => k.flow === flow).length;
const timeLeft = () => Date.now() < DEADLINE;
const log = (...a) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}]`, ...a);

function record(kill, round) {
  kill.round = round;
  kill.n = kills.length + 1;
  kill.method = kill.method ?? KILL_METHODS[kills.length % KILL_METHODS.length];
  kills.push(kill);
  const where = kill.landed ? `mid-flow (last progress: ${kill.phaseAtKill})` : "after the run had ended";
  log(`kill ${kill.n}: ${kill.flow}/${kill.what} +${kill.delayMs} ms by ${kill.method}, ${where}: ${kill.problems.length ? `CHECK FAILED: ${kill.problems.join("; ")}` : "check ok"} ${JSON.stringify({ anchors: kill.summary.anchors, headers: kill.summary.headers, oldest: kill.summary.cursor?.oldestSlot, head: kill.summary.head?.slot })}`);
}

/** Ends a round: every kill of it survived when the flow finished and the final check passed. */
function settle(round, flow, problems) {
  for (const k of kills.filter((k) => k.round === round && (flow === null || k.flow === flow)))
    k.survived = k.problems.length === 0 && problems.length === 0 && !k.runError;
  if (problems.length) failures.push({ round, flow, problems });
}

async function backfillRound(env, round) {
  const profile = newProfile();
  let browser = null;
  const opts = flowOptions(env, { checkpoint: env.checkpoints.finalized, backfill: { batchSize: 32, concurrency: 2 } });
  const problems = [];
  try {
    let anchored = false;
    for (let i = 0; i < PER_ROUND.start && count("start") < KILLS && !anchored; i++) {
      const store = count("start") % 3 === 2;
      const method = KILL_METHODS[kills.length % KILL_METHODS.length];
      const delayMs = store ? between(0, 3) : between(0, duration.start);
      let kill;
      ({ browser, kill } = await killCycle(env, profile.dir, browser, {
        flow: "start",
        what: store ? "store" : "download/hash",
        op: "start",
        opts: opts.start,
        trigger: store ? (l) => l.kind === "progress" && l.event.phase === "store" : (l) => l.kind === "ready",
        delayMs,
        method,
      }));
      record(kill, round);
      anchored = kill.summary.anchors > 0;
    }
    browser ??= await openProfile(profile.dir);
    if (!anchored) measure("start", await runToEnd(env, browser, "start", opts.start));
    // start() without a source resumes from the stored anchor.
    const resumed = await runToEnd(env, browser, "start", flowOptions(env).start);
    if (resumed.line.result.blockRoot !== env.checkpoints.finalized.split(":")[0])
      problems.push(`resumed start(): expected anchor ${env.checkpoints.finalized}, got ${resumed.line.result.blockRoot}`);
    problems.push(...(await checkDatabase(env, browser, { anchor: true })).problems);

    let before = 0;
    for (let i = 0; i < PER_ROUND.backfill && count("backfill") < KILLS; i++) {
      let kill;
      ({ browser, kill } = await killCycle(env, profile.dir, browser, {
        flow: "backfill",
        what: "backfill",
        op: "backfill",
        opts: opts.backfill,
        trigger: (l) => l.kind === "ready",
        delayMs: between(0, 2500),
        method: KILL_METHODS[kills.length % KILL_METHODS.length],
      }));
      record(kill, round);
      before = kill.summary.headers;
      if (kill.summary.backfillComplete) break;
    }
    const done = await runToEnd(env, browser, "backfill", opts.backfill);
    const check = await checkDatabase(env, browser, { anchor: true, backfillTo: 0 });
    problems.push(...check.problems);
    // The last run resumed: it stored exactly what was missing.
    if (done.line.result.stored !== check.summary.headers - before)
      problems.push(`resumed backfill(): expected to store ${check.summary.headers - before} headers, stored ${done.line.result.stored}`);
  } catch (e) {
    problems.push(`round ${round}: ${e.stack ?? e}`);
  } finally {
    await browser?.close();
    profile.remove();
  }
  settle(round, null, problems);
  log(`round ${round} (start + backfill): ${problems.length ? `FAILED: ${problems.join("; ")}` : "flows finished, final check ok"}`);
}

async function followRound(env, round) {
  const profile = newProfile();
  const browser0 = await openProfile(profile.dir);
  let browser = browser0;
  const opts = flowOptions(env);
  const problems = [];
  const finalizedRoot = env.checkpoints.finalized.split(":")[0];
  try {
    await runToEnd(env, browser, "start", flowOptions(env, { checkpoint: env.checkpoints.genesis }).start);
    for (let i = 0; i < PER_ROUND.follow && count("follow") < KILLS; i++) {
      let kill;
      ({ browser, kill } = await killCycle(env, profile.dir, browser, {
        flow: "follow",
        what: "follow step (genesis → finalized)",
        op: "follow",
        opts: opts.follow,
        trigger: (l) => l.kind === "ready",
        delayMs: between(0, duration.follow),
        method: KILL_METHODS[kills.length % KILL_METHODS.length],
      }));
      record(kill, round);
      if (kill.summary.head?.root === finalizedRoot) break;
    }
    const last = await runToEnd(env, browser, "follow", opts.follow);
    if (last.events.some((l) => l.kind === "followed" && l.event.linked > 0)) measure("follow", last);
    problems.push(...(await checkDatabase(env, browser, { anchor: true, headSlot: opts.follow.followUntilSlot })).problems);
  } catch (e) {
    problems.push(`round ${round}: ${e.stack ?? e}`);
  } finally {
    await browser?.close();
    profile.remove();
  }
  settle(round, "follow", problems);
  log(`round ${round} (follow): ${problems.length ? `FAILED: ${problems.join("; ")}` : "follow finished, final check ok"}`);
}

function summarize() {
  const rows = [];
  const by = (key) => {
    const groups = new Map();
    for (const k of kills) groups.set(k[key], [...(groups.get(k[key]) ?? []), k]);
    return groups;
  };
  for (const [name, groups] of [["flow", by("flow")], ["method", by("method")], ["phase at kill", by("phaseAtKill")]])
    for (const [value, ks] of groups)
      rows.push(`${`${name} ${value}`.padEnd(36)} kills ${String(ks.length).padStart(3)}  mid-flow ${String(ks.filter((k) => k.landed).length).padStart(3)}  survived ${String(ks.filter((k) => k.survived).length).padStart(3)}`);
  return rows;
}

log(`seed ${SEED}; ${KILLS} kills per flow`);
const env = await startSoakEnv({
  slots: 1024,
  validators: 16384,
  stateTrickle: "chunk=65536,delay_ms=20",
  headerTrickle: "chunk=256,delay_ms=2",
});
log(`devnet: finalized ${env.checkpoints.finalized}, ${env.canonical.size} blocks`);
let round = 0;
try {
  while (timeLeft() && (count("start") < KILLS || count("backfill") < KILLS)) await backfillRound(env, ++round);
  while (timeLeft() && count("follow") < KILLS) await followRound(env, ++round);
} finally {
  await env.stop();
}
const survived = kills.filter((k) => k.survived).length;
const report = { seed: SEED, killsPerFlow: KILLS, kills, failures, survived, made: kills.length };
const out = path.join(ROOT, "test-results", "soak");
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, "report.json"), JSON.stringify(report, null, 2));
console.log(summarize().join("\n"));
const short = ["start", "backfill", "follow"].filter((f) => count(f) < KILLS);
console.log(`kills survived: ${survived} of ${kills.length} (seed ${SEED}); report: ${path.relative(ROOT, path.join(out, "report.json"))}`);
if (short.length) console.log(`stopped at the time limit before ${KILLS} kills of: ${short.join(", ")}`);
process.exit(failures.length || survived !== kills.length || short.length ? 1 : 0);
