// Strict use of the package's typings as installed from its tarball, checked by `tsc --strict
// --noEmit` (tests/e2e/consumers.test.mjs). Never run: it only has to type-check. Lines marked
// `@ts-expect-error` must be rejected by the typings; if one is accepted, tsc reports the unused
// directive and the test fails. With worker.ts it names every type the package exports.
import init, {
  LightSync,
  isLightSyncError,
  type Anchor,
  type AnchorPayload,
  type BackfillSummary,
  type BlockRootAt,
  type ExecutionBlock,
  type ExecutionEvent,
  type ErrorCode,
  type LightSyncEvents,
  type LightSyncOptions,
  type PayloadStatus,
  type ProgressEvent,
  type Status,
  type StatusEvent,
  type StoredHeader,
  type WarningCode,
} from "beacon-lightsync";

function render(_: string): void {}

export async function main(): Promise<void> {
  await init();
  const controller = new AbortController();
  const options: LightSyncOptions = {
    network: "mainnet",
    beaconApiUrls: ["http://127.0.0.1:5052"],
    checkpoint: "0x5afc000000000000000000000000000000000000000000000000000000009275:220918",
    longRange: "light",
    backfill: { targetSlot: "horizon", batchSize: 64, concurrency: 8 },
    signal: controller.signal,
  };
  const sync: LightSync = await LightSync.create(options);

  // Events: the payload type follows the event name.
  sync.on("progress", (e: ProgressEvent) => {
    switch (e.phase) {
      case "download":
      case "hash":
      case "store":
        render(`${e.bytes} bytes from ${e.provider ?? "file"}`);
        break;
      case "backfill":
        render(`${e.headers} headers, oldest slot ${e.oldestSlot}, eta ${e.etaSeconds ?? "?"} s`);
        break;
      default: {
        const phase: `light-${string}` = e.phase;
        render(`${phase} period ${e.period ?? "-"}`);
      }
    }
  });
  sync.on("warning", (w) => {
    const code: WarningCode = w.code;
    render(`${code}: ${w.message}`);
  });
  const onStatus = (s: StatusEvent): void => {
    if (s.mode === "synced") render(s.anchor.blockRoot); // anchor is non-null when synced
    if (s.mode === "error") {
      const code: ErrorCode = s.error.code;
      render(code);
    }
  };
  sync.on("status", onStatus);
  sync.off("status", onStatus);
  // @ts-expect-error a warning listener does not take progress events
  sync.on("progress", (w: LightSyncEvents["warning"]) => render(w.code));
  // @ts-expect-error no such event
  sync.on("tick", () => {});
  sync.on("status", (s) => {
    // @ts-expect-error `error` exists only when mode is "error"
    render(s.error.code);
  });

  // start() with its own signal; the anchor's uint64s are decimal strings.
  const anchor: Anchor = await sync.start({ signal: AbortSignal.timeout(60_000) });
  const epoch: bigint = BigInt(anchor.epoch);
  render(`${epoch} ${anchor.trust}`);
  // @ts-expect-error slots are decimal strings, never numbers
  const slotNumber: number = anchor.slot;
  render(String(slotNumber));
  // Gloas on: whether the anchor block's payload was delivered; null before Gloas.
  const payload: AnchorPayload | null = anchor.payload;
  const delivered: PayloadStatus | null = payload?.status ?? null;
  render(`${delivered ?? "-"} ${payload?.blockHash ?? "-"}`);
  // @ts-expect-error the status is "full" or "empty", nothing else
  const unknownStatus: PayloadStatus = "pending";
  render(unknownStatus);

  const status: Status = sync.status();
  if (status.ws) {
    const expires = new Date(Number(status.ws.expiresAt) * 1000);
    const perEpoch: number = status.ws.secondsPerEpoch;
    render(`${expires.toISOString()} ${perEpoch}`);
  }
  const headers: number = status.headers;
  render(`${headers} headers, tail ${status.tail?.oldestSlot ?? "-"}, head ${status.head?.root ?? "-"}`);
  render(`${status.network.name} in ${status.network.database}`);

  const summary: BackfillSummary = await sync.backfill({ targetSlot: "genesis", signal: controller.signal });
  render(`${summary.stored} stored down to ${summary.oldestSlot}`);
  sync.pauseBackfill();
  sync.resumeBackfill();
  const anchors: Anchor[] = await sync.anchors();
  render(String(anchors.length));

  // The verified execution block of the anchor and the head; absent (null), never unverified.
  const execution: ExecutionBlock | null = anchor.execution;
  if (execution) render(`${BigInt(execution.blockNumber)} ${execution.blockHash}`);
  render(status.head?.execution?.blockHash ?? "no verified execution block");
  sync.on("execution", (e: ExecutionEvent) => {
    const source: "anchor" | "tip" = e.source;
    render(`${source} ${e.slot} ${e.execution.blockNumber}`);
  });
  // Verified reads: slots as numbers, bigints or decimal strings; roots as 0x-hex.
  const stored: StoredHeader | null = await sync.header(12n);
  const byRoot: StoredHeader | null = await sync.header(anchor.blockRoot);
  render(`${stored?.header.parentRoot ?? "-"} ${byRoot?.slot ?? "-"}`);
  for await (const h of sync.headers({ fromSlot: 0, toSlot: "100" })) render(`${h.slot} ${h.root}`);
  const at: BlockRootAt | null = await sync.blockRootAt("96");
  if (at) render(`${at.root} from ${at.source} at ${at.blockSlot ?? "?"}`);
  // @ts-expect-error a slot is not an object
  await sync.blockRootAt({ slot: 1 });

  try {
    await sync.reset();
  } catch (e: unknown) {
    if (isLightSyncError(e)) {
      const code: ErrorCode = e.code;
      // @ts-expect-error not a code the package produces
      const wrong: typeof e.code = "NOT_A_CODE";
      render(`${code} ${wrong} ${e.expected ?? ""} ${e.actual ?? ""}`);
    }
  }
  sync.stop();
  sync.free();
}
