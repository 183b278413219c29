// Typings of `beacon-lightsync/worker` (worker.js): a LightSync run in a dedicated Worker.
import type {
  Anchor,
  BackfillCallOptions,
  BackfillSummary,
  BlockRootAt,
  FollowOptions,
  Head,
  HeadersRange,
  LightSyncError,
  LightSyncEventName,
  LightSyncListener,
  LightSyncOptions,
  SlotInput,
  StartOptions,
  Status,
  StoredHeader,
  StoreReport,
  VerifyStoreOptions,
} from "./beacon_lightsync.js";

/** The stable `code` of a `LightSyncWorkerError`: the worker itself failed, not the sync it ran. */
export type WorkerErrorCode =
  /** The worker script or the wasm module did not load in the worker, or the worker threw
   * outside a call; the worker is terminated and every pending call rejected. Retry: yes, with a
   * new `LightSyncWorker.create()`; check that the bundler emitted `lightsync-worker.js` and that
   * the page's Content-Security-Policy allows it (`worker-src 'self'`). */
  | "WORKER_FAILED"
  /** `terminate()` was called; pending and later calls reject with it. Retry: yes, with a new
   * `LightSyncWorker.create()` (the database keeps what was committed). */
  | "WORKER_TERMINATED";

/** A failure of the worker (not of the sync: those reject with the LightSyncError the sync threw). */
export interface LightSyncWorkerError extends Error {
  name: "LightSyncWorkerError";
  code: WorkerErrorCode;
}

/** Whether `error` is a `LightSyncError` (an `Error` named "LightSyncError" with a string `code`):
 * the glue's `isLightSyncError`, here without loading the wasm on the page. */
export function isLightSyncError(error: unknown): error is LightSyncError;

/** Whether `error` is a `LightSyncWorkerError`. */
export function isLightSyncWorkerError(error: unknown): error is LightSyncWorkerError;

/** The second argument of `LightSyncWorker.create()`. */
export interface LightSyncWorkerSpawn {
  /** A Worker already started from the package's `lightsync-worker.js` (exported as
   * `beacon-lightsync/lightsync-worker.js`), as a module worker; by default `create()` starts
   * one itself. */
  worker?: Worker;
}

/**
 * A `LightSync` that runs in a dedicated Worker, driven from the page: the page's thread never
 * downloads, hashes or verifies. Each method posts to the worker and resolves with what the
 * same `LightSync` method returned there, so values are the same (uint64s as decimal strings, roots
 * as 0x-hex); rejections are the same `LightSyncError`s (`isLightSyncError` holds, `code`,
 * `expected`, `actual` kept). An `AbortSignal` in options works as on `LightSync`.
 *
 * ```js
 * import { LightSyncWorker } from "beacon-lightsync/worker";
 * const sync = await LightSyncWorker.create({ network: "mainnet", beaconApiUrls, checkpoint });
 * sync.on("progress", (e) => render(e));
 * const anchor = await sync.start();
 * await sync.backfill();
 * const h = await sync.header(anchor.slot);
 * sync.terminate();
 * ```
 */
export declare class LightSyncWorker {
  private constructor();
  /** Starts the worker and creates its `LightSync` (`LightSync.create(options)` in the worker);
   * rejects as that does (then the worker is terminated). */
  static create(options: LightSyncOptions, spawn?: LightSyncWorkerSpawn): Promise<LightSyncWorker>;
  /** `LightSync.start()` in the worker. */
  start(options?: StartOptions): Promise<Anchor>;
  /** `LightSync.backfill()` in the worker. */
  backfill(options?: BackfillCallOptions): Promise<BackfillSummary>;
  /** `LightSync.follow()` in the worker. */
  follow(options?: FollowOptions): Promise<Head | null>;
  /** `LightSync.status()` in the worker (asynchronous here). */
  status(): Promise<Status>;
  /** `LightSync.anchors()` in the worker. */
  anchors(): Promise<Anchor[]>;
  /** `LightSync.header()` in the worker: a stored header, verified, or null. */
  header(slotOrRoot: SlotInput | string): Promise<StoredHeader | null>;
  /** `LightSync.headers()` in the worker, one header per message. */
  headers(range?: HeadersRange): AsyncIterable<StoredHeader>;
  /** `LightSync.blockRootAt()` in the worker. */
  blockRootAt(slot: SlotInput): Promise<BlockRootAt | null>;
  /** `LightSync.verifyStore()` in the worker. */
  verifyStore(options?: VerifyStoreOptions): Promise<StoreReport>;
  /** `LightSync.pauseBackfill()` in the worker. */
  pauseBackfill(): Promise<void>;
  /** `LightSync.resumeBackfill()` in the worker. */
  resumeBackfill(): Promise<void>;
  /** `LightSync.stop()` in the worker. */
  stop(): Promise<void>;
  /** `LightSync.reset()` in the worker. */
  reset(): Promise<void>;
  /** Adds a listener for `event`; throws `INVALID_OPTIONS` for an unknown event. */
  on<K extends LightSyncEventName>(event: K, listener: LightSyncListener<K>): void;
  /** Removes a listener added with `on`. */
  off<K extends LightSyncEventName>(event: K, listener: LightSyncListener<K>): void;
  /** Stops the worker at once (IndexedDB keeps only committed transactions: nothing half-written
   * stays); pending and later calls reject with `WORKER_TERMINATED`. */
  terminate(): void;
}
