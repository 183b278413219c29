// What a person should do about each error `code` the package reports. The codes are the stable
// ones of the package's typed errors; the advice says whether retrying with the same input can help,
// which input to change, or that nothing was stored and the provider is at fault.

const NOTHING_STORED = "Nothing from this attempt was stored.";

const ADVICE = {
  WRONG_NETWORK: `The provider (or the state file) belongs to another network than the one selected. ${NOTHING_STORED} Check the network, or use a provider of this network.`,
  HEADER_NOT_FOUND:
    "The provider does not know this block. Check the root, or use a provider that has it (archive or recent finalized data).",
  STATE_NOT_FOUND:
    "The provider no longer serves this state (it may prune old states). Use a more recent checkpoint or a provider that keeps finalized states.",
  HEADER_ROOT_MISMATCH: `The provider served a header that does not hash to the trusted root: it is faulty or dishonest. ${NOTHING_STORED} Remove it from the list and retry.`,
  STATE_ROOT_MISMATCH: `The provider served a state that does not hash to the header's state root: it is faulty or dishonest. ${NOTHING_STORED} Remove it from the list and retry.`,
  STATE_LINK_MISMATCH: `The state served does not link to the trusted block. ${NOTHING_STORED} Use another provider.`,
  ENVELOPE_MISMATCH: `The execution payload envelope served does not match the verified state. ${NOTHING_STORED} Use another provider.`,
  NOT_EPOCH_ALIGNED: "A local state file must be at an epoch's first slot. Export the epoch-boundary state instead.",
  FORK_MISMATCH: `The fork named by the provider does not match the state or the network's schedule. ${NOTHING_STORED} Check the network, or use another provider.`,
  WS_STALE:
    "The anchor is older than the weak-subjectivity period, so it can no longer be trusted on its own. Get a recent checkpoint from a source you trust, or choose the light long-range mode to rebuild trust with sync-committee signatures.",
  BACKFILL_TOO_OLD:
    "The backfill started from an anchor that has since left the weak-subjectivity period. Reset the database and start from a recent checkpoint.",
  PROVIDER_DISAGREEMENT:
    "The providers do not agree on the finalized checkpoint. Do not trust them on their word: give a checkpoint or trusted block root from a source you trust.",
  DATABASE_NOT_EMPTY: "A local state file can only seed an empty database. Reset the database first, or start from the stored anchor.",
  NO_PROVIDERS: "Enter at least one Beacon API URL.",
  STATE_FILE_UNREADABLE: `The state file could not be read to the end: it changed or went away while it was read. ${NOTHING_STORED} Choose the file again.`,
  DECODE: `A response or file could not be decoded as the expected SSZ/JSON type. ${NOTHING_STORED} Check the file, or use another provider.`,
  INVALID_CHECKPOINT:
    "The checkpoint must be 0x followed by 64 hex digits, a colon and a decimal epoch (block_root:epoch), and must name the block at that epoch's boundary.",
  INVALID_ARGUMENT: "An argument is not valid; the message says which one and what was expected.",
  INVALID_OPTIONS: "An option is not valid; the message says which one and what was expected.",
  CLOCK_BEFORE_GENESIS: "This computer's clock is before the network's genesis. Check the clock and the network.",
  WS_UNAVAILABLE: "The weak-subjectivity period could not be computed for this network or state.",
  SCHEMA_TOO_NEW:
    "This database was written by a newer version of beacon-lightsync. Use that version, or reset the database (the data will be downloaded again).",
  STORE: "The browser's storage failed (private mode, storage blocked, or the browser shutting down). Allow storage for this site, then retry; nothing of the failed write was kept.",
  QUOTA_EXCEEDED:
    "This site's storage quota is full; the write was rolled back and what was stored before is intact. Free space (or allow persistent storage for this site), then resume.",
  CORRUPT_RECORD:
    "A stored record is damaged (changed outside this page: a disk error, an extension, a manual edit). Run the store check to drop the damaged range, or reset the database and sync again.",
  CURSOR_CONFLICT:
    "Another writer moved the backfill while this one ran. Nothing was written; resume and it continues from where the other stopped.",
  BUSY: "Another tab is writing this network's database. Wait for it to finish (or close it), then retry; this tab shows its progress meanwhile.",
  ABORTED: "The sync was cancelled. Start again when ready; a backfill resumes where it stopped.",
  HTTP_STATUS: "A provider answered with an error status. Retry later, or add another provider.",
  TIMEOUT: "A provider did not answer in time. Retry, or add a faster provider.",
  NETWORK:
    "A provider could not be reached (down, wrong URL, or it does not allow this page's origin through CORS). Check the URL and retry.",
  BODY_TOO_LARGE: `A provider sent more data than the type allows. ${NOTHING_STORED} Use another provider.`,
  TRUNCATED: "A response ended early. Retry; if it repeats, use another provider.",
  NO_ANCHOR: "There is no verified anchor yet. Run a checkpoint sync first; the backfill starts from its anchor.",
  LINK_NOT_FOUND:
    "The headers served did not link to the verified chain (a wrong root, an orphan or a gap); the whole batch was rejected and nothing from it was stored. Remove the provider that served it and resume.",
  BACKFILL_INCOMPLETE:
    "The backfill did not reach its target: no provider served the block the verified chain needs next (the error names its root and where the chain stops). What is stored is verified and kept; resume later or with other providers.",
  BLOCK_WITHHELD:
    "A provider said a block that the verified chain needs does not exist. Resume with another provider; what is stored so far is verified.",
  API: "A provider request failed during the backfill. Resume: the backfill continues from the last stored batch.",
  NO_HEALTHY_PROVIDER:
    "Every provider failed or was excluded for misbehaving. Add a working provider and resume; stored headers are kept.",
  NO_SOURCE: "Give a checkpoint, a trusted block root, a state id or a state file: this database has no anchor to resume from.",
  ALREADY_RUNNING: "Another operation of this page is still running. Wait for it (or stop it), then retry.",
  CONFIG: "The network's configuration could not be read or is inconsistent. Check the network name or config file.",
  TOO_SLOW: "A provider sent the state too slowly. Retry, or use a faster provider.",
  OUT_OF_MEMORY: "The page ran out of memory for a download. Close other tabs and retry, or use a device with more memory.",
  INTERNAL: "The sync stopped on an internal error; nothing unverified was stored. Retry; if it repeats, please report it.",
  REBUILD_NO_SYNC_COMMITTEE: "The stored anchor is too old for a light rebuild (it has no sync committee). Start from a recent checkpoint.",
  REBUILD_COMMITTEE_SIZE: "The stored anchor's sync committee is damaged or from another network. Start from a recent checkpoint.",
  REBUILD_ANCHOR_HEADER_MISSING: "No provider knows the stored anchor's block, so the light rebuild cannot start. Retry with another provider.",
  REBUILD_ANCHOR_PERIOD_MISMATCH: "The stored anchor's committees do not cover its block's period, so the light rebuild cannot start from it. Start from a recent checkpoint.",
  REBUILD_NO_PROGRESS: "The providers have no light-client updates newer than the stored anchor. Retry later, or with other providers.",
  REBUILD_COMMITTEE_MISMATCH: `A provider's sync committee contradicts the one recorded in the anchor. ${NOTHING_STORED} Retry with another provider.`,
  REBUILD_ALL_PROVIDERS_FAILED: `Every provider failed a step of the light rebuild (the warnings name each). ${NOTHING_STORED} Retry later, or with other providers.`,
  HASH_CHAIN_BROKEN: "A newer finalized block does not link back to the verified tip; the tip did not move. Use other providers.",
  NOT_ABOVE_TIP: "A provider reported a finalized block below the verified tip; the tip did not move. Following asks again at the next step.",
  FOLLOW_PROVIDER_DISAGREEMENT: "The providers report different finalized blocks; the tip did not move. Use providers you trust, or the light long-range mode.",
  FOLLOW_FINALIZED_HEADER_MISSING: "A provider reported a finalized block it does not serve; the tip did not move. Following asks again at the next step.",
  BLS: "A key or signature in the benchmark input is not valid. Check the input files.",
  LC_BATCH_DISAGREES: "The benchmark's batched signature check refused updates that verify one by one: a defect to report.",
};

// Every light-client verification failure: the provider served data that does not verify.
const LIGHT_CLIENT = `A light-client update did not verify (signature, branch or committee). ${NOTHING_STORED} Use another provider or a recent checkpoint.`;
for (const code of [
  "LC_PARTICIPATION", "LC_SLOT_ORDERING", "LC_SIGNATURE_PERIOD", "LC_NOT_RELEVANT", "LC_INVALID_HEADER",
  "LC_UNEXPECTED_FINALIZED_HEADER", "LC_FINALITY_BRANCH", "LC_UNEXPECTED_NEXT_SYNC_COMMITTEE",
  "LC_NEXT_SYNC_COMMITTEE_MISMATCH", "LC_NEXT_SYNC_COMMITTEE_BRANCH", "LC_INVALID_PUBLIC_KEY",
  "LC_INVALID_AGGREGATE_PUBLIC_KEY", "LC_INVALID_SIGNATURE_ENCODING", "LC_SIGNATURE", "LC_TRUSTED_ROOT_MISMATCH",
  "LC_CURRENT_SYNC_COMMITTEE_BRANCH", "LC_FORK_DIGEST_MISMATCH", "LC_TRUNCATED_STREAM", "LC_DECODE", "LC_TYPES",
  "LC_NO_LIGHT_CLIENT_AT_FORK",
]) ADVICE[code] = LIGHT_CLIENT;

/** Advice for `code` (every `ErrorCode` of the package's typings has one; a native test checks
 * both lists), with a fallback for a code this page does not know. */
export function adviceFor(code) {
  if (Object.hasOwn(ADVICE, code)) return ADVICE[code];
  return "Retry; if the error repeats, change the provider or the trust input named in the message.";
}

/**
 * The expected and actual values of an error: from `expected`/`actual` (or `got`) fields when the
 * package provides them, else from the "expected …, got …" wording of its message.
 */
export function expectedActual(err) {
  const expected = err?.expected ?? err?.details?.expected;
  const actual = err?.actual ?? err?.got ?? err?.details?.actual ?? err?.details?.got;
  if (expected !== undefined || actual !== undefined) return { expected, actual };
  const m = /expected (.+?),? (?:but )?got (.+?)(?:[.;]|$)/i.exec(String(err?.message ?? ""));
  return m ? { expected: m[1], actual: m[2] } : {};
}
