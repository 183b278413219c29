// Strict use of `beacon-lightsync/worker` (LightSync in a dedicated Worker) and of the package's
// remaining public types, from the installed tarball. Never run: it only has to type-check.
import { backfillDefaults, initSync, stateRoot, version } from "beacon-lightsync";
import type {
  BackfillDefaults,
  BackfillProgressEvent,
  BackfillTail,
  BeaconBlockHeaderInfo,
  BrokenLink,
  CheckpointProgressEvent,
  DecimalString,
  FollowErrorEvent,
  FollowOptions,
  FollowSourceEvent,
  FollowedEvent,
  Head,
  HeadersRange,
  InitInput,
  InitOutput,
  LightProgressEvent,
  LightStep,
  LightSyncError,
  LightSyncEventName,
  LightSyncListener,
  Mode,
  NetworkInfo,
  NetworkOption,
  RemoteEventMarker,
  SlotInput,
  StartOptions,
  StorageStatus,
  StoreReport,
  SyncInitInput,
  TipInfo,
  Trust,
  VerifyStoreOptions,
  WarningEvent,
  WsInfo,
  BackfillTarget,
  BackfillOptions,
  BackfillCallOptions,
  BackfillProviderStatus,
} from "beacon-lightsync";
import {
  LightSyncWorker,
  isLightSyncError as isSyncError,
  isLightSyncWorkerError,
  type LightSyncWorkerError,
  type LightSyncWorkerSpawn,
  type WorkerErrorCode,
} from "beacon-lightsync/worker";

function render(_: string): void {}

export async function inAWorker(): Promise<void> {
  const controller = new AbortController();
  const spawn: LightSyncWorkerSpawn = {};
  const sync: LightSyncWorker = await LightSyncWorker.create(
    { network: "spec", beaconApiUrls: ["http://127.0.0.1:5052"], stateId: "finalized", signal: controller.signal },
    spawn,
  );
  sync.on("progress", (e) => {
    switch (e.phase) {
      case "backfill": {
        const b: BackfillProgressEvent = e;
        render(`${b.done} of ${b.total}`);
        break;
      }
      case "download":
      case "hash":
      case "store": {
        const c: CheckpointProgressEvent = e;
        render(`${c.workers ?? 0}`);
        break;
      }
      default: {
        const l: LightProgressEvent = e;
        const step: LightStep = l.phase.slice("light-".length) as LightStep;
        render(step);
      }
    }
  });
  const onFollowed = (f: FollowedEvent & RemoteEventMarker): void => {
    const tip: TipInfo = f.tip;
    render(`${tip.slot} ${f.remote ?? false}`);
  };
  sync.on("followed", onFollowed);
  sync.off("followed", onFollowed);
  sync.on("followError", (e: FollowErrorEvent) => render(e.code));
  sync.on("followSource", (e: FollowSourceEvent) => render(e.source));
  sync.on("warning", (w: WarningEvent) => render(w.message));
  const name: LightSyncEventName = "status";
  const listener: LightSyncListener<typeof name> = (s) => {
    const mode: Mode = s.mode;
    render(mode);
  };
  sync.on(name, listener);
  // @ts-expect-error no such event
  sync.on("tick", () => {});

  const start: StartOptions = { signal: AbortSignal.timeout(60_000) };
  const anchor = await sync.start(start);
  const trust: Trust = anchor.trust;
  const options: BackfillCallOptions = { targetSlot: "horizon", batchSize: 64, signal: controller.signal };
  const summary = await sync.backfill(options);
  const provider: BackfillProviderStatus | undefined = summary.providers[0];
  render(`${trust} ${summary.stored} ${provider?.url ?? "-"}`);
  // status() is asynchronous across the worker boundary.
  // @ts-expect-error a Promise, not a Status
  render(sync.status().mode);
  const status = await sync.status();
  const ws: WsInfo | null = status.ws;
  const network: NetworkInfo = status.network;
  const tail: BackfillTail | null = status.tail;
  const storage: StorageStatus | null | undefined = status.storage;
  render(`${ws?.expiresAt ?? "-"} ${network.database} ${tail?.oldestSlot ?? "-"} ${storage === undefined}`);

  const slot: SlotInput = 96n;
  const h = await sync.header(slot);
  const header: BeaconBlockHeaderInfo | undefined = h?.header;
  render(header?.stateRoot ?? "-");
  const range: HeadersRange = { fromSlot: 0, toSlot: "64" };
  for await (const each of sync.headers(range)) render(each.root);
  const at = await sync.blockRootAt("96");
  render(at?.root ?? "unknown");
  const verify: VerifyStoreOptions = {};
  const report: StoreReport = await sync.verifyStore(verify);
  const broken: BrokenLink | null = report.firstBroken;
  render(`${report.hashedInWorkers} ${broken?.kind ?? "ok"}`);
  const follow: FollowOptions = { signal: controller.signal, events: true };
  const head: Head | null = await sync.follow(follow);
  render(head?.root ?? "-");
  await sync.pauseBackfill();
  await sync.resumeBackfill();
  const anchors = await sync.anchors();
  render(String(anchors.length));
  await sync.stop();
  await sync.reset();
  sync.terminate();

  try {
    await sync.start();
  } catch (e: unknown) {
    if (isSyncError(e)) render(`${e.code} ${e.expected ?? ""}`);
    if (isLightSyncWorkerError(e)) {
      const code: WorkerErrorCode = e.code;
      const err: LightSyncWorkerError = e;
      render(`${code} ${err.message}`);
    }
  }
}

export function values(): void {
  const d: BackfillDefaults = backfillDefaults();
  const target: BackfillTarget = "genesis";
  const opts: BackfillOptions = { targetSlot: target, batchSize: d.batchSize, concurrency: d.concurrency };
  const n: NetworkOption = "mainnet";
  const s: DecimalString = "12";
  render(`${opts.batchSize} ${n} ${s}`);
  // @ts-expect-error a decimal string holds digits only
  const notDecimal: DecimalString = "twelve";
  render(notDecimal);
  const e: LightSyncError | null = null;
  render(e === null ? "" : "x");
  const input: InitInput | null = null;
  const syncInput: SyncInitInput | null = null;
  const out: InitOutput | null = null;
  render(`${input === null} ${syncInput === null} ${out === null}`);
  // A utility: the hash_tree_root of an SSZ BeaconState (0x-hex).
  const root: string = stateRoot(new Uint8Array(0), "fulu", "mainnet");
  render(`${version()} ${root}`);
}

/** Synchronous initialisation from a compiled module (as in a worker that received one). */
export function initialiseFrom(module: WebAssembly.Module): InitOutput {
  return initSync({ module });
}
