
// ---- beacon-lightsync: the types of the JS API (placed before the generated declarations) ----
// Conventions: roots are 0x-hex strings; chain quantities that are uint64 in the consensus
// specs (slots, epochs, Gwei, counts of validators) and unix times are decimal strings, so no
// value above 2^53 is ever rounded; byte counters, rates and header counts are numbers.

/** A decimal integer string, as every uint64 of this API. */
export type DecimalString = `${bigint}`;

/**
 * The network: a built-in name (which carries its genesis); `"spec"`, to read the config from the
 * first answering provider's `/eth/v1/config/spec`; or a config object with `config.yaml` keys.
 * A config's genesis time and validators root come from `/eth/v1/beacon/genesis` of every
 * provider: those that answer must agree (`PROVIDER_DISAGREEMENT` names them), and a config's own
 * `GENESIS_TIME` / `GENESIS_VALIDATORS_ROOT` / `GENESIS_FORK_VERSION` must match them
 * (`WRONG_NETWORK`). A config without them takes the providers' values with a
 * `CONFIG_GENESIS_FROM_PROVIDER` / `CONFIG_GVR_FROM_PROVIDER` warning. Without providers (a
 * `stateFile` alone) the genesis comes from the state. `MIN_GENESIS_TIME + GENESIS_DELAY` is
 * never taken as the genesis time while a provider can be asked.
 */
export type NetworkOption = "mainnet" | "sepolia" | "hoodi" | "holesky" | "spec" | Record<string, string | number>;

/** How far back `backfill()` goes: a slot (inclusive), `"genesis"`, or `"horizon"` (the default:
 * the first slot of `max(0, current_epoch - MIN_EPOCHS_FOR_BLOCK_REQUESTS)`, the oldest block
 * every peer must still serve). */
export type BackfillTarget = number | DecimalString | "genesis" | "horizon";

/** Backfill settings (the `backfill` option, or the argument of `backfill()`). */
export interface BackfillOptions {
  targetSlot?: BackfillTarget;
  /** Slots per verified batch (one IndexedDB transaction each); see `backfillDefaults()`. */
  batchSize?: number;
  /**
   * Requests in flight per healthy provider (each origin has its own connections in the browser),
   * so three providers at the default 6 keep 18 in flight; see `backfillDefaults()`.
   */
  concurrency?: number;
}

/** The argument of `backfill()`: overrides the `backfill` option, plus a cancellation signal. */
export interface BackfillCallOptions extends BackfillOptions {
  /** Cancels this backfill (it rejects with `ABORTED`; every stored batch is kept). */
  signal?: AbortSignal;
}

/** What a finished `backfill()` run did. */
export interface BackfillSummary {
  /** Headers stored in this run. */
  stored: number;
  /** Headers served that did not link to the chain (orphans), skipped. */
  skippedNonLinking: number;
  /** Slots without a block (404) in this run. */
  emptySlots: number;
  oldestSlot: DecimalString;
  oldestRoot: string;
  oldestParentRoot: string;
  targetSlot: DecimalString;
  headersPerSecond: number | null;
  /** Every provider's health at the end of the run. */
  providers: BackfillProviderStatus[];
}

/** One provider's health during a backfill. */
export interface BackfillProviderStatus {
  url: string;
  /** Takes requests now: neither avoided nor quarantined. */
  healthy: boolean;
  /** Served bad data; gets no requests for the rest of the run. */
  avoided: boolean;
  /** Requests that failed transiently (5xx, 429, timeout, cut short) in this run; each
   * failure quarantines the provider, with a backoff that doubles while they continue. */
  failures: number;
}

/** `backfillDefaults()`. */
export interface BackfillDefaults { batchSize: number; concurrency: number; }

export interface LightSyncOptions {
  network: NetworkOption;
  /** Beacon API base URLs (`http://` or `https://`, else `INVALID_OPTIONS`), in order of
   * preference. Required unless `stateFile` is given. Credentials in a URL never appear in a
   * message (shown as `***@`). */
  beaconApiUrls?: string[];
  /** `0x<64 hex>:<epoch>` weak-subjectivity checkpoint. */
  checkpoint?: string;
  /** A trusted block root (0x-hex). */
  trustedBlockRoot?: string;
  /** Trust the provider(s): "finalized", a slot, or a 0x state root. Overrides trustedBlockRoot (with a warning). */
  stateId?: string;
  /** A local SSZ BeaconState at an epoch's first slot (a Gloas state may be its latest block's
   * own post-state); only into an empty database. It is read a piece at a time as it is hashed,
   * so a `File` (from `<input type="file">`) is never whole in memory: pass the `File` itself
   * rather than its `arrayBuffer()`. An `ArrayBuffer` or `Uint8Array` is copied into wasm a
   * piece at a time too. */
  stateFile?: Blob | ArrayBuffer | Uint8Array;
  /** What to do with an anchor outside its weak-subjectivity period, given so or gone stale:
   * "strict" (default) refuses it (`WS_STALE`), "lenient" keeps it marked stale (a
   * `WS_STALE_LENIENT` warning), "light" keeps it marked stale and `start()` rebuilds a
   * `light-client` anchor from it through sync-committee signatures. */
  longRange?: "strict" | "lenient" | "light";
  /** Providers that must agree on the finalized checkpoint with `stateId` (default: all). */
  quorum?: number;
  /** Keep the verified anchor state's SSZ in IndexedDB (default false), read back with
   * `stateBytes()`. It is written in 1 MiB chunks while it downloads (never held whole), kept
   * only once its anchor is stored (deleted when verification fails), and replaced by the next
   * stored anchor's (or dropped, when that one is stored without `keepState`). */
  keepState?: boolean;
  /** Backfill settings, used by `backfill()`. */
  backfill?: BackfillOptions;
  /** Cancels `create()` and every later operation of the instance. */
  signal?: AbortSignal;
  /** Wall-clock override in unix seconds (tests). */
  now?: number;
  /** Per-request timeout in milliseconds (default 10000). */
  timeoutMs?: number;
  /** Time limits of a state download: the whole download within `deadlineMs` (default 600000),
   * and after `graceMs` (default 10000) every `windowMs` (default 10000) at least
   * `minBytesPerSecond` (default 131072) on average; a provider that breaks either is dropped
   * with `TIMEOUT` / `TOO_SLOW` and the next one is tried. */
  stateDownload?: {
    deadlineMs?: number;
    minBytesPerSecond?: number;
    windowMs?: number;
    graceMs?: number;
  };
  /** Web Workers that hash a downloaded state while it arrives, and the stored headers in
   * `verifyStore()` (default `min(navigator.hardwareConcurrency, 4)`; 0 = the main thread hashes
   * them, in slices). They load
   * `hash-worker.js` from the package, next to the glue, and run the page's own wasm build. */
  hashWorkers?: number;
  /** When another instance (another tab) is writing this network's database: `"fail"` (default)
   * rejects a writing call (`start`, `backfill`, `follow`, `reset`, a repairing `verifyStore`)
   * with `BUSY`; `"wait"` queues it until the other writer ends (Web Locks; a closed tab releases
   * its lock). Reads (`status()`, `anchors()`) never wait. */
  lock?: "fail" | "wait";
}

/** The argument of `start()`. */
export interface StartOptions {
  /** Cancels this `start()` (it rejects with `ABORTED`; nothing is stored). */
  signal?: AbortSignal;
}

export type Trust = "checkpoint" | "block-root" | "provider" | "file" | "light-client";

/** A verified execution-layer block: what a beacon block commits to in its execution payload
 * header. Use it to check an execution RPC (`eth_getBlockByNumber(blockNumber)` must return this
 * `blockHash`, and its `stateRoot` anchors `eth_getProof` answers). Only ever taken after its
 * verification: from an anchor state whose `hash_tree_root` was checked (its
 * `latest_execution_payload_header`), from a light-client header whose execution branch was
 * proven against the block's `body_root`, or from a followed tip's own block, taken only when it
 * hashes to the tip's root (which links by hash to the anchor). */
export interface ExecutionBlock {
  /** The execution block's hash, 0x-hex. */
  blockHash: string;
  /** The execution block's number. */
  blockNumber: DecimalString;
  /** The execution state trie root after the block, 0x-hex. */
  stateRoot: string;
  /** The receipts trie root of the block, 0x-hex. */
  receiptsRoot: string;
  /** The block's time, unix seconds. */
  timestamp: DecimalString;
}

/** A verified anchor. */
export interface Anchor {
  network: string;
  blockRoot: string;
  stateRoot: string;
  /** The anchor state's slot: the first slot of `epoch` for a checkpoint state, except a Gloas
   * block's own post-state, which may sit in the epoch before (the boundary slot was empty). */
  slot: DecimalString;
  epoch: DecimalString;
  fork: string;
  trust: Trust;
  /** The trusted block is older than `slot` (empty slots) and linked through `state.latest_block_header`. */
  linkedThroughLatestBlockHeader: boolean;
  providers: string[];
  wsPeriodEpochs: DecimalString;
  wsExpiresEpoch: DecimalString;
  totalActiveBalanceGwei: DecimalString;
  activeValidators: DecimalString;
  /** When it was stored, unix seconds. */
  createdAt: DecimalString;
  stale: boolean;
  /** The execution block of the verified anchor state (`latest_execution_payload_header`);
   * null before Bellatrix, before the merge (a zero block hash), from Gloas on (the state no
   * longer holds a payload header, only block hashes: see `payload`), and for anchors stored by a
   * version without this field. */
  execution: ExecutionBlock | null;
  /** Gloas on: the anchor block's execution payload; null before Gloas and for anchors stored
   * by a version without this field. */
  payload: AnchorPayload | null;
}

/** Whether a Gloas block's execution payload was delivered: `"full"` when the provider served
 * the block's `SignedExecutionPayloadEnvelope` and it passed the spec's checks against the
 * verified anchor state (builder signature, the bid's commitments), or the state already holds
 * the payload; `"empty"` when the provider answered 404 for it. */
export type PayloadStatus = "full" | "empty";

/** The execution payload of a Gloas anchor block, read from verified bytes only. */
export interface AnchorPayload {
  /** Null when no provider could be asked (a local state file): the state alone cannot tell. */
  status: PayloadStatus | null;
  /** The block hash the anchor block's bid commits to (`latest_execution_payload_bid.block_hash`), 0x-hex. */
  blockHash: string;
  /** The latest payload delivered before the anchor block's own (`latest_block_hash`), 0x-hex. */
  latestBlockHash: string;
}

/** The anchor's weak-subjectivity standing at the time of the `status()` call. */
export interface WsInfo {
  /** `compute_weak_subjectivity_period`, in epochs. */
  periodEpochs: DecimalString;
  /** The last epoch at which the anchor is safe: `anchor.epoch + periodEpochs`. */
  expiresEpoch: DecimalString;
  /** The wall clock's epoch. */
  currentEpoch: DecimalString;
  /** When the anchor goes stale: the start of epoch `expiresEpoch + 1`, unix seconds. */
  expiresAt: DecimalString;
  /** `SECONDS_PER_SLOT * SLOTS_PER_EPOCH` of the network. */
  secondsPerEpoch: number;
  stale: boolean;
}

/** The network in use. */
export interface NetworkInfo {
  name: string;
  genesisValidatorsRoot: string;
  /** Unix seconds. */
  genesisTime: DecimalString;
  secondsPerSlot: number;
  slotsPerEpoch: number;
  /** The IndexedDB database holding this network's anchors and headers. */
  database: string;
}

/** The oldest backfilled header and where backfill stops. */
export interface BackfillTail {
  oldestSlot: DecimalString;
  oldestRoot: string;
  /** The root the next (older) header must have. */
  oldestParentRoot: string;
  /** The slot backfill stops at (inclusive). */
  targetSlot: DecimalString;
}

/** The newest verified block: the anchor's, or the tip a follow step reached (stored, so a
 * reload shows it). */
export interface Head {
  root: string;
  /** The block's slot; null while unknown (an anchor linked through `latest_block_header` and not yet followed). */
  slot: DecimalString | null;
  /** True once a follow step moved past (or confirmed) the anchor, or a stored tip was loaded. */
  followed: boolean;
  /** The block's verified execution block: the anchor's (see `Anchor.execution`) while the head
   * is the anchor's block; for a followed tip, the one its light-client header proved (the
   * `light` long-range mode, Capella to Fulu: a Gloas light-client header proves only the block
   * hash) or, following the providers' `finality_checkpoints`, the payload of the tip's block
   * once a provider served a block hashing to the tip's root. Null when none was verified (no
   * provider served that block, or it has no payload: a Gloas block carries none). */
  execution: ExecutionBlock | null;
}

/** A newer verified execution block is known: an anchor was stored (`source: "anchor"`) or the
 * followed tip advanced (`source: "tip"`) with a verified execution payload header. Fired after
 * the record carrying it was stored. */
export interface ExecutionEvent {
  source: "anchor" | "tip";
  /** The beacon block's slot (for an anchor, its state's slot, as `Anchor.slot`). */
  slot: DecimalString;
  /** The beacon block's root. */
  blockRoot: string;
  execution: ExecutionBlock;
}

/** A `BeaconBlockHeader`, as stored. */
export interface BeaconBlockHeaderInfo {
  slot: DecimalString;
  proposerIndex: DecimalString;
  parentRoot: string;
  stateRoot: string;
  bodyRoot: string;
}

/** A stored header, read back and verified: `root` is `hash_tree_root(header)`, checked on every
 * read (a record whose bytes no longer hash to its root rejects with `CORRUPT_RECORD`). */
export interface StoredHeader {
  slot: DecimalString;
  root: string;
  header: BeaconBlockHeaderInfo;
}

/** A slot argument: a non-negative integer number, a bigint, or a decimal string. */
export type SlotInput = number | bigint | DecimalString;

/** The argument of `headers()`: both bounds inclusive, each defaulting to the stored range. */
export interface HeadersRange {
  fromSlot?: SlotInput;
  toSlot?: SlotInput;
}

/** The answer of `blockRootAt(slot)`. */
export interface BlockRootAt {
  /** The slot asked for. */
  slot: DecimalString;
  /** The root of the latest block at or before `slot` (`get_block_root_at_slot`): for an empty
   * slot, the block before it. */
  root: string;
  /** That block's slot, when a stored header shows it; null when only the anchor's
   * `block_roots` told the root. */
  blockSlot: DecimalString | null;
  /** Stored, verified headers (the anchor's block included), or the active anchor state's
   * `block_roots` (its 8,192 slots below the anchor on mainnet; verified with the state). */
  source: "headers" | "anchor-block-roots";
}

/** The argument of `follow()`. */
export interface FollowOptions {
  /** Milliseconds between polls while the event stream is not open (at least 10; default one
   * slot: `SECONDS_PER_SLOT` * 1000, 12000 on mainnet). */
  intervalMs?: number;
  /** Milliseconds between polls while the event stream is open, a safety net for lost events
   * (at least 10; default one epoch, or `intervalMs` when that is given and shorter). */
  safetyIntervalMs?: number;
  /** Subscribe to the providers' `/eth/v1/events` and step on each finality event (default
   * true); false: poll only. */
  events?: boolean;
  /** Stops the loop (`follow()` then resolves with `status().head`). */
  signal?: AbortSignal;
}

/** A block of the followed chain. */
export interface TipInfo { root: string; slot: DecimalString; }

/** A follow step finished: `advanced` when the tip moved to a newer finalized block (linked back
 * to `from` by hash chain and stored with its headers). */
export interface FollowedEvent {
  advanced: boolean;
  from: TipInfo;
  tip: TipInfo;
  /** Headers walked from the new block down to the previous tip (0 when nothing moved). */
  linked: number;
  /** What triggered the step: a node's finality event, or a poll. */
  source: "event" | "poll";
  /** Milliseconds from the arrival of the node's event announcing the new tip to the tip being
   * stored in IndexedDB; null when no event announced it or the tip did not move. */
  latencyMs: number | null;
}

export type Mode = "idle" | "syncing" | "synced" | "stopped" | "error";

export interface Status {
  mode: Mode;
  network: NetworkInfo;
  anchor: Anchor | null;
  ws: WsInfo | null;
  /** Headers stored in this network's database (as of this instance's last write). */
  headers: number;
  tail: BackfillTail | null;
  head: Head | null;
  /** The origin's storage standing, as last read (at `create()` and after each write). */
  storage: StorageStatus;
}

/** `status().storage`: `navigator.storage.persisted()` / `persist()` (asked once an anchor is
 * stored) and `navigator.storage.estimate()`, in bytes; `null` where the browser does not say. */
export interface StorageStatus {
  persisted: boolean | null;
  usage: number | null;
  quota: number | null;
  /** Whether this instance holds the database's writer lock now. */
  writer: boolean;
}

/** The argument of `verifyStore()`. */
export interface VerifyStoreOptions {
  /** Drop a damaged range so backfill fetches it again (default `true`); `false` only reports. */
  repair?: boolean;
}

/** The first broken link of the stored header chain. */
export interface BrokenLink {
  slot: DecimalString;
  /** The root the chain needs there (the child's `parent_root`, or the head or anchor block). */
  expected: string;
  /** The stored record's re-hashed root (its stored root for `stored-root`); null when missing. */
  actual: string | null;
  kind: "root" | "stored-root" | "slot" | "missing" | "cursor";
}

/** What `verifyStore()` found (and repaired). */
export interface StoreReport {
  ok: boolean;
  /** Headers re-hashed and linked. */
  checked: number;
  /** Of the headers re-hashed, how many the hash workers (`hashWorkers`) hashed; the page
   * hashed the rest (all of them with `hashWorkers: 0` or where workers cannot run). */
  hashedInWorkers: number;
  firstBroken: BrokenLink | null;
  /** The repair done: the new backfill tail (`oldestSlot`), or `reset: true` when the damage was
   * at or above the anchor's block and the backfill and head were dropped. */
  repaired: { oldestSlot: DecimalString | null; reset: boolean } | null;
  /** Milliseconds the walk took. */
  ms: number;
}

/** Progress of the checkpoint flow: `done`/`total` in bytes (download, hash) or records (store). */
export interface CheckpointProgressEvent {
  phase: "download" | "hash" | "store";
  done: number;
  total: number | null;
  bytes: number;
  /** Bytes per second since the phase began. */
  rate: number | null;
  provider: string | null;
  /** `hash` of a downloaded state: the Web Workers hashing it (0: the main thread). */
  workers?: number;
}

/** Progress of `backfill()`: `done`/`total` in slots examined in this run. */
export interface BackfillProgressEvent {
  phase: "backfill";
  done: number;
  total: number;
  /** Headers stored in this run. */
  headers: number;
  headersPerSecond: number | null;
  /** Same as `headersPerSecond`. */
  rate: number | null;
  etaSeconds: number | null;
  oldestSlot: DecimalString;
  skippedNonLinking: number;
  emptySlots: number;
  /** Every provider's health, in the order given. */
  providers: BackfillProviderStatus[];
}

/** The steps of a light-client rebuild of a stale anchor (`longRange: "light"`). */
export type LightStep = "committees" | "anchor-header" | "updates" | "finality" | "headers" | "state" | "store";

/** Progress of a light-client rebuild. */
export interface LightProgressEvent {
  phase: `light-${LightStep}`;
  done: number;
  total: number | null;
  bytes: number;
  rate: null;
  provider: null;
  /** The sync-committee period the step is at, when it is about one. */
  period: DecimalString | null;
}

export type ProgressEvent = CheckpointProgressEvent | BackfillProgressEvent | LightProgressEvent;

export type WarningCode = "STATE_ID_OVERRIDES_ROOT" | "FORK_FROM_STATE_BYTES" | "PROVIDER_FAILED"
  | "PROVIDER_DISSENT" | "WS_STALE_LENIENT" | "CONFIG_GVR_FROM_PROVIDER" | "BACKFILL_RETRY"
  | "PROVIDER_AVOIDED" | "PROVIDER_QUARANTINED" | "BACKFILL_RESET" | "CHUNK_UNVERIFIED" | "NO_ANCHOR_ROOTS" | "HASH_WORKERS_FAILED"
  | "REBUILD_PROVIDER_REJECTED" | "STORE_REPAIRED"
  // how a custom network's genesis was found (see `NetworkOption`)
  | "CONFIG_FROM_PROVIDER" | "CONFIG_GENESIS_FROM_PROVIDER" | "CONFIG_GENESIS_FROM_STATE"
  | "CONFIG_GVR_FROM_STATE" | "CONFIG_GENESIS_ESTIMATED";
export interface WarningEvent { code: WarningCode; message: string; }

/** Every `mode` change; `mode` discriminates what else is present. */
export type StatusEvent =
  | { mode: "idle" | "syncing" | "stopped"; anchor: Anchor | null }
  | { mode: "synced"; anchor: Anchor }
  | { mode: "error"; anchor: Anchor | null; error: { code: ErrorCode; message: string } };

/** Event names and their payloads, for `on`/`off`. */
/** A `follow()` step failed (providers down, a new finalized block that does not link back to
 * the tip, …); the tip did not move and the loop goes on. */
export type FollowErrorEvent = LightSyncError;

/** `follow()`'s event stream opened (`source: "events"`), or could not be opened or dropped
 * (`source: "polling"`: following polls every `intervalMs` and tries again, the next provider, in
 * `retryInMs`). */
export type FollowSourceEvent =
  | { source: "events"; url: string }
  | { source: "polling"; url: string; code: ErrorCode; message: string; retryInMs: number };

export interface LightSyncEvents {
  progress: ProgressEvent; warning: WarningEvent; status: StatusEvent;
  followed: FollowedEvent; followError: FollowErrorEvent; followSource: FollowSourceEvent;
  execution: ExecutionEvent;
}
export type LightSyncEventName = keyof LightSyncEvents;
export type LightSyncListener<K extends LightSyncEventName> = (event: LightSyncEvents[K]) => void;

// Merged into the generated `class LightSync`: members whose generated signature is not precise
// enough. Declared here, they come first and are the overload TypeScript picks.
export interface LightSync {
  /** Adds a listener for `event`. */
  on<K extends LightSyncEventName>(event: K, listener: LightSyncListener<K>): void;
  /** Removes a listener added with `on`. */
  off<K extends LightSyncEventName>(event: K, listener: LightSyncListener<K>): void;
  /** Backfills verified headers below the active anchor into IndexedDB, resuming from the
   * stored cursor; resolves with what this run did (rejects with `ABORTED` when cancelled;
   * every stored batch is kept). */
  backfill(options?: BackfillCallOptions): Promise<BackfillSummary>;
  /** Keeps following finalized blocks forward from the stored tip (or the anchor's block) every
   * `intervalMs`, storing each new tip with its linking headers; emits `followed` per step and
   * `followError` when a step fails. Resolves with the head once `signal` aborts or `stop()` is
   * called; rejects when there is nothing to follow from or the anchor is stale and `longRange`
   * refuses it. */
  follow(options?: FollowOptions): Promise<Head | null>;
  /** The stored header at a slot, or with a block root (0x-hex), verified against its bytes
   * before it is returned; null when none is stored (an empty slot, a block outside the stored
   * history). A lookup by a root that is neither the anchor's, the head's nor in the anchor's
   * `block_roots` window reads the stored history in batches. Rejects with `INVALID_ARGUMENT`
   * for a malformed slot or root and `CORRUPT_RECORD` for a record that fails its check. */
  header(slotOrRoot: SlotInput | string): Promise<StoredHeader | null>;
  /** The stored headers in `range`, ascending, each verified, read from IndexedDB in batches as
   * the loop asks for them: `for await (const h of sync.headers({ fromSlot, toSlot }))`. Empty
   * slots are skipped. A record that fails its check rejects that step with `CORRUPT_RECORD`. */
  headers(range?: HeadersRange): AsyncIterable<StoredHeader>;
  /** The root of the latest block at or before `slot`, as the spec's `get_block_root_at_slot`
   * answers it (an empty slot gives the block before it), from what is proven: stored headers
   * (a header at the slot, or the one below it whose child above names it as parent), the
   * anchor's block up to the anchor's slot, or the active anchor state's `block_roots` window
   * below the anchor. Null when none of these proves it (above the followed head, below both
   * the backfill and the window, or no anchor): it never guesses. */
  blockRootAt(slot: SlotInput): Promise<BlockRootAt | null>;
  /** The active anchor's state as SSZ bytes, when `start()` stored that anchor with
   * `keepState: true`; null otherwise. Read from IndexedDB chunk by chunk into one array of the
   * state's size (its `hash_tree_root` is the anchor's `stateRoot`). Rejects with
   * `CORRUPT_RECORD` when a stored chunk does not add up. */
  stateBytes(): Promise<Uint8Array | null>;
}

/** Every remote event (re-emitted from the instance that writes the database, through its
 * `BroadcastChannel`) carries `remote: true`. */
export interface RemoteEventMarker { remote?: true; }

/** The backfill defaults, for pages that show them. */
export function backfillDefaults(): BackfillDefaults;

/** The stable `code` of a `LightSyncError`: what happened, and whether retrying can help
 * (`Retry:` in each code's comment). The dashboard's advice (`www/advice.js`) covers the same list. */
export type ErrorCode =
  // options and instance state
  /** An option (of `create`, `start`, `backfill`, `follow` or `on`) has the wrong type or
   * value, or trust inputs that cannot be combined; the message names it and what was
   * expected. Retry: no, fix the option. */
  | "INVALID_OPTIONS"
  /** An argument of a standalone export (`stateRoot`, the hashing exports), of a read
   * (`header`, `headers`, `blockRootAt`: a slot or root) or a value handed to a Beacon API call
   * (a state id, a base URL) is not valid; unlike `INVALID_OPTIONS` it is not an option of the
   * instance. Retry: no, fix the argument. */
  | "INVALID_ARGUMENT"
  /** `start()` had no trust input (`checkpoint`, `trustedBlockRoot`, `stateId`, `stateFile`)
   * and the database holds no anchor to resume from. Retry: no, give a trust input. */
  | "NO_SOURCE"
  /** Another `start()`, `reset()` or `follow()` of this instance is in progress. Retry: yes,
   * once it settled (or after `stop()`). */
  | "ALREADY_RUNNING"
  /** The network's config could not be read or is inconsistent (an unknown name, a missing or
   * malformed key). Retry: no, fix the network option. */
  | "CONFIG"
  /** Cancelled by `stop()` or an `AbortSignal`; nothing of the cancelled step was stored.
   * Retry: yes, when wanted (a backfill resumes where it stopped). */
  | "ABORTED"
  /** A provider or the state belongs to another network than the one configured (genesis
   * time, genesis validators root or genesis fork version differ). Nothing was stored. Retry:
   * no, use a provider (or state) of this network, or the right network option. */
  | "WRONG_NETWORK"
  // checkpoint sync
  /** The checkpoint string or trusted root is malformed, or the state does not belong to the
   * checkpoint's epoch and root. Retry: no, fix the checkpoint. */
  | "INVALID_CHECKPOINT"
  /** The provider does not know the trusted block. Retry: with another provider (or check the
   * root). */
  | "HEADER_NOT_FOUND"
  /** The provider no longer serves the state (pruned). Retry: with a more recent checkpoint
   * or a provider that keeps finalized states. */
  | "STATE_NOT_FOUND"
  /** The header served does not hash to the trusted root: the provider is faulty or
   * dishonest. Nothing was stored. Retry: with another provider. */
  | "HEADER_ROOT_MISMATCH"
  /** The state served does not hash to its header's state root: the provider is faulty or
   * dishonest. Nothing was stored. Retry: with another provider. */
  | "STATE_ROOT_MISMATCH"
  /** The epoch-boundary state served does not link to the trusted block through
   * `latest_block_header`. Nothing was stored. Retry: with another provider. */
  | "STATE_LINK_MISMATCH"
  /** The execution payload envelope served for a Gloas anchor block fails the checks against
   * the verified state (builder signature, block root, the bid's commitments). Nothing was
   * stored. Retry: with another provider. */
  | "ENVELOPE_MISMATCH"
  /** A local state file is neither at an epoch's first slot nor (Gloas) the post-state of its
   * own latest block. Retry: no, export the finalized state. */
  | "NOT_EPOCH_ALIGNED"
  /** The fork named by the provider contradicts the state bytes or the network's fork
   * schedule. Nothing was stored. Retry: with another provider, or check the network. */
  | "FORK_MISMATCH"
  /** The anchor is outside its weak-subjectivity period (`strict`), or, under `light`,
   * `follow()` was called before `start()` rebuilt it. Nothing was stored. Retry: no, give a
   * recent checkpoint or choose `longRange: "light"` (then call `start()`). */
  | "WS_STALE"
  /** The providers disagree (on the finalized checkpoint with `stateId`, or on the genesis of
   * a config). Retry: no, give a trusted checkpoint or root, or remove the provider that is
   * wrong. */
  | "PROVIDER_DISAGREEMENT"
  /** A local state file can only seed an empty database. Retry: no, `reset()` first or start
   * from the stored anchor. */
  | "DATABASE_NOT_EMPTY"
  /** The flow needs a Beacon API and no URL was given. Retry: no, add `beaconApiUrls`. */
  | "NO_PROVIDERS"
  /** The local state file could not be read to the end (a `File` changed or deleted on disk
   * while it was read, or a buffer detached). Nothing was stored. Retry: yes, once the file is
   * in place, choosing it again. */
  | "STATE_FILE_UNREADABLE"
  /** The weak-subjectivity period cannot be computed for this network or state (no active
   * validators, a broken time parameter). Retry: no, check the network config. */
  | "WS_UNAVAILABLE"
  /** The wall clock (or the `now` option) is before the network's genesis. Retry: no, fix the
   * clock or the network. */
  | "CLOCK_BEFORE_GENESIS"
  // Beacon API transport
  /** A provider answered with an error status. Retry: yes, later or with another provider. */
  | "HTTP_STATUS"
  /** A provider did not answer within the deadline (`timeoutMs`, or the state download's
   * `deadlineMs`). Retry: yes, or with a faster provider. */
  | "TIMEOUT"
  /** A state download fell below `stateDownload.minBytesPerSecond`. Retry: yes, with a faster
   * provider or a lower minimum. */
  | "TOO_SLOW"
  /** A provider could not be reached (down, wrong URL, or CORS refused this origin). Retry:
   * yes, after checking the URL. */
  | "NETWORK"
  /** A response was larger than its type allows. Nothing was stored. Retry: with another
   * provider. */
  | "BODY_TOO_LARGE"
  /** The page could not allocate the memory a response needs. Retry: after closing other
   * tabs, or on a device with more memory. */
  | "OUT_OF_MEMORY"
  /** A response ended early. Retry: yes; if it repeats, with another provider. */
  | "TRUNCATED"
  /** A response or file did not decode as the expected SSZ or JSON type. Nothing was stored.
   * Retry: with another provider or file. */
  | "DECODE"
  // a panic or trap inside the wasm (see `start()`)
  /** The wasm module trapped or panicked; the call was abandoned and the writer lock
   * released. Retry: yes (a new `start()` is accepted); report it if it repeats. */
  | "INTERNAL"
  // storage
  /** IndexedDB failed (private mode, storage blocked, the browser shutting down); nothing of
   * the failed write was kept. Retry: yes, once storage is allowed. */
  | "STORE"
  /** The database was written by a newer version of this package and is left untouched.
   * Retry: no, use that version or `reset()`. */
  | "SCHEMA_TOO_NEW"
  /** Another instance (tab) writes this database; the error's `operation` says what it runs.
   * Retry: yes, when it ends (or create with `lock: "wait"`). */
  | "BUSY"
  /** The origin's storage quota is full; the write was rolled back and what was stored before
   * is intact. Retry: yes, after freeing space. */
  | "QUOTA_EXCEEDED"
  /** A stored record does not decode or re-derive (changed outside this package). Retry: no,
   * repair with the store check or `reset()`. */
  | "CORRUPT_RECORD"
  /** The backfill cursor moved under this writer (another writer ran); nothing was written.
   * Retry: yes, it resumes from the other writer's cursor. */
  | "CURSOR_CONFLICT"
  // backfill
  /** There is no active anchor to backfill (or follow) from. Retry: no, run `start()` first. */
  | "NO_ANCHOR"
  /** The headers served do not link to the verified chain (a wrong root, an orphan, a gap);
   * the batch was rejected. Retry: with another provider; what was stored is kept. */
  | "LINK_NOT_FOUND"
  /** No provider served the block the verified chain needs next; the error's `expectedRoot`,
   * `oldestSlot`, `lowestSlot` and `targetSlot` say where it stops. Retry: yes, later or with
   * other providers; what was stored is kept. */
  | "BACKFILL_INCOMPLETE"
  /** A provider said a block the verified chain needs does not exist. Retry: with another
   * provider; what was stored is kept. */
  | "BLOCK_WITHHELD"
  /** A provider request failed during a backfill step. Retry: yes, the backfill resumes from
   * the last stored batch. */
  | "API"
  /** Every provider failed or was avoided for serving bad data. Retry: with another provider;
   * stored headers are kept. */
  | "NO_HEALTHY_PROVIDER"
  /** The anchor left its weak-subjectivity period while a backfill hanging from it is
   * unfinished. Retry: no, start from a recent checkpoint (the stale backfill is reset). */
  | "BACKFILL_TOO_OLD"
  // long range: light rebuild and following
  /** The stale anchor has no sync committee (a phase0 anchor), so `light` cannot start from
   * it. Retry: no, give a recent checkpoint. */
  | "REBUILD_NO_SYNC_COMMITTEE"
  /** A stored sync committee has the wrong number of keys (a corrupt record, or another
   * network's). Retry: no, give a recent checkpoint. */
  | "REBUILD_COMMITTEE_SIZE"
  /** No provider knows the stale anchor's block header. Retry: with another provider. */
  | "REBUILD_ANCHOR_HEADER_MISSING"
  /** The stale anchor's block is in another sync-committee period than its state, so its
   * committees cannot start the walk. Retry: no, give a recent checkpoint. */
  | "REBUILD_ANCHOR_PERIOD_MISMATCH"
  /** The providers have no valid light-client updates past the stale anchor. Retry: yes,
   * later or with other providers. */
  | "REBUILD_NO_PROGRESS"
  /** A verified next sync committee contradicts the one the anchor state recorded. Retry:
   * with another provider. */
  | "REBUILD_COMMITTEE_MISMATCH"
  /** Every provider failed a step of the light rebuild (each failure was a
   * `REBUILD_PROVIDER_REJECTED` warning); nothing was stored. Retry: yes, later or with other
   * providers. */
  | "REBUILD_ALL_PROVIDERS_FAILED"
  /** The headers below a newer finalized block do not reach the known tip (another branch, or
   * a withheld block); the tip did not move. Retry: with other providers. */
  | "HASH_CHAIN_BROKEN"
  /** A newer finalized block was reported below the known tip; the tip did not move. Retry:
   * yes, the next follow step asks again. */
  | "NOT_ABOVE_TIP"
  /** The providers report different finalized roots; the tip did not move. Retry: no, use
   * trusted providers or the `light` mode. */
  | "FOLLOW_PROVIDER_DISAGREEMENT"
  /** The reported finalized block has no header on the provider; the tip did not move. Retry:
   * yes, the next follow step asks again. */
  | "FOLLOW_FINALIZED_HEADER_MISSING"
  // light-client verification (the provider served data that does not verify; nothing was stored)
  /** A sync aggregate has too few participants. Retry: with another provider. */
  | "LC_PARTICIPATION"
  /** An update's slots are out of order. Retry: with another provider. */
  | "LC_SLOT_ORDERING"
  /** An update is signed in a period the light client cannot verify yet. Retry: with another
   * provider. */
  | "LC_SIGNATURE_PERIOD"
  /** An update brings nothing new to the light client. Retry: with another provider. */
  | "LC_NOT_RELEVANT"
  /** An update's header is not valid for its fork. Retry: with another provider. */
  | "LC_INVALID_HEADER"
  /** An update carries a finalized header where none may be. Retry: with another provider. */
  | "LC_UNEXPECTED_FINALIZED_HEADER"
  /** An update's finality Merkle branch does not verify. Retry: with another provider. */
  | "LC_FINALITY_BRANCH"
  /** An update carries a next sync committee where none may be. Retry: with another provider. */
  | "LC_UNEXPECTED_NEXT_SYNC_COMMITTEE"
  /** An update's next sync committee contradicts the known one. Retry: with another provider. */
  | "LC_NEXT_SYNC_COMMITTEE_MISMATCH"
  /** An update's next-sync-committee Merkle branch does not verify. Retry: with another
   * provider. */
  | "LC_NEXT_SYNC_COMMITTEE_BRANCH"
  /** A sync committee key is not a valid BLS public key. Retry: with another provider. */
  | "LC_INVALID_PUBLIC_KEY"
  /** A sync committee's aggregate key is not valid or does not match its keys. Retry: with
   * another provider. */
  | "LC_INVALID_AGGREGATE_PUBLIC_KEY"
  /** A sync aggregate signature is not a valid BLS signature encoding. Retry: with another
   * provider. */
  | "LC_INVALID_SIGNATURE_ENCODING"
  /** A sync aggregate signature does not verify. Retry: with another provider. */
  | "LC_SIGNATURE"
  /** A bootstrap's header does not hash to the trusted root. Retry: with another provider. */
  | "LC_TRUSTED_ROOT_MISMATCH"
  /** A bootstrap's current-sync-committee Merkle branch does not verify. Retry: with another
   * provider. */
  | "LC_CURRENT_SYNC_COMMITTEE_BRANCH"
  /** An update is tagged with another fork digest than its slot's fork on this network.
   * Retry: with another provider, or check the network's fork schedule. */
  | "LC_FORK_DIGEST_MISMATCH"
  /** A stream of light-client updates ended inside an update. Retry: yes, or with another
   * provider. */
  | "LC_TRUNCATED_STREAM"
  /** Light-client data did not decode. Retry: with another provider. */
  | "LC_DECODE"
  /** Light-client data has a shape its fork does not allow. Retry: with another provider. */
  | "LC_TYPES"
  /** The data is at a fork without light-client types (phase0). Retry: no, use a post-Altair
   * anchor. */
  | "LC_NO_LIGHT_CLIENT_AT_FORK"
  // benchmark exports
  /** A BLS key or signature in the benchmark input is not valid. Retry: no, fix the input. */
  | "BLS"
  /** The benchmark's batched pass refused a chain of updates its one-by-one pass verified: a
   * defect of the batched signature check. Retry: no, report it. */
  | "LC_BATCH_DISAGREES";

/** Every rejection and throw of this API is a LightSyncError. */
export interface LightSyncError extends Error {
  name: "LightSyncError";
  code: ErrorCode;
  expected?: string;
  actual?: string;
  /** With `BUSY`: the operation(s) the writing instance runs (e.g. "backfill"). */
  operation?: string;
  /** `BACKFILL_INCOMPLETE`: the slot the backfill had to reach. */
  targetSlot?: DecimalString;
  /** `BACKFILL_INCOMPLETE`: the oldest stored header's slot (verified from the anchor down to here). */
  oldestSlot?: DecimalString;
  /** `BACKFILL_INCOMPLETE`: the lowest slot examined for the next block. */
  lowestSlot?: DecimalString;
  /** `BACKFILL_INCOMPLETE`: the root (0x-hex) the next older block must have. */
  expectedRoot?: string;
}

/** Whether `error` is a `LightSyncError` (an `Error` named "LightSyncError" with a string `code`). */
export function isLightSyncError(error: unknown): error is LightSyncError;
