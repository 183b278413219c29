// The application every bundled consumer (vite/, webpack/) builds: it imports the package by its
// name, as installed from the packed tarball, and, given `?url=<Beacon API>&checkpoint=<root:epoch>`,
// runs against that provider twice, each time from an empty database: on the page (LightSync) and
// in a dedicated Worker (`beacon-lightsync/worker`). Each run is a checkpoint sync hashed by the
// bundled hash workers, a backfill to genesis, verified reads, and verifyStore(), whose
// `hashedInWorkers` proves the bundled hash workers ran. tests/e2e/consumers.test.mjs copies this
// file into each app and reads `window.consumerResult`.
import init, { LightSync, isLightSyncError } from "beacon-lightsync";
import { LightSyncWorker } from "beacon-lightsync/worker";

/** One run: `create` makes the instance (LightSync or LightSyncWorker), `finish` releases it. */
async function run(create, finish) {
  const q = new URLSearchParams(location.search);
  const sync = await create({
    network: "spec",
    beaconApiUrls: [q.get("url")],
    checkpoint: q.get("checkpoint"),
    hashWorkers: 2,
  });
  const workers = new Set();
  const warnings = [];
  sync.on("progress", (e) => e.phase === "hash" && typeof e.workers === "number" && workers.add(e.workers));
  sync.on("warning", (w) => warnings.push(w.code));
  await sync.reset();
  const anchor = await sync.start();
  const summary = await sync.backfill({ targetSlot: "genesis" });
  const oldest = await sync.header(summary.oldestSlot);
  const byRoot = await sync.header(anchor.blockRoot);
  const report = await sync.verifyStore({});
  const badRead = await sync.header("not a slot").then(
    () => null,
    (e) => ({ code: e.code, typed: isLightSyncError(e) }),
  );
  await finish(sync);
  return {
    anchor: { blockRoot: anchor.blockRoot, slot: anchor.slot, trust: anchor.trust },
    stored: summary.stored,
    oldestSlot: summary.oldestSlot,
    oldestRoot: summary.oldestRoot,
    oldest: oldest && { slot: oldest.slot, root: oldest.root },
    byRoot: byRoot && { slot: byRoot.slot, root: byRoot.root },
    report: { ok: report.ok, checked: report.checked, hashedInWorkers: report.hashedInWorkers },
    badRead,
    workers: [...workers],
    warnings,
  };
}

async function main() {
  await init();
  const page = await run(
    (options) => LightSync.create(options),
    (sync) => sync.free(),
  );
  const worker = await run(
    (options) => LightSyncWorker.create(options),
    (sync) => sync.terminate(),
  );
  return { page, worker };
}

const show = (text) => (document.getElementById("result").textContent = text);
main().then(
  (r) => {
    window.consumerResult = r;
    show(JSON.stringify(r));
  },
  (e) => {
    window.consumerResult = { error: { code: e?.code ?? null, message: String(e?.message ?? e) } };
    show(`error: ${e?.code ?? ""} ${e?.message ?? e}`);
  },
);
