//! What every flow reports while it runs: one [`Event`] enum for the checkpoint flow, the
//! long-range modes (overseer, light rebuild, following) and backfill.
//!
//! Why one enum: a caller (the CLI, a test, the JS API) listens to all flows through one
//! [`crate::ctx::Env::emit`], and the JS API's event payloads are decided here, once, instead of
//! in a conversion per flow at the wasm boundary. [`Event::js_name`] is the JS event an event goes
//! to (`progress`, `warning`, `followed`, `followError`, `followSource`, `execution`; `None`: not
//! shown), and
//! `Serialize` writes its payload exactly as `typings.d.ts` documents it: roots as `0x`-hex,
//! chain quantities (slots, periods) as decimal strings, counters and rates as numbers, absent
//! values as `null`. Which events are warnings, and their texts, is `crate::warning`'s
//! (`Event::warning`), so the CLI and the page say the same.
//!
//! This module is a leaf of the flows: it names their payload types and imports none of the flows
//! (so no flow module imports a module that imports it back).

use std::fmt;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::beacon_api::ApiError;
use crate::store::ExecutionBlock;
use crate::types::{hex0x, Slot};
use crate::ws::WsStatus;

/// The phase a checkpoint progress event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Downloading the state (`done`/`total` in bytes).
    Download,
    /// Hashing the state (`done`/`total` in state bytes hashed).
    Hash,
    /// Writing the anchor (`done`/`total` in records).
    Store,
}

impl Phase {
    /// Lower-case name (the JS `phase`).
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Download => "download",
            Phase::Hash => "hash",
            Phase::Store => "store",
        }
    }
}

/// One progress report of the checkpoint flow.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressEvent {
    /// What is progressing.
    pub phase: Phase,
    /// Units done (see [`Phase`]).
    pub done: u64,
    /// Units in total, when known.
    pub total: Option<u64>,
    /// Bytes transferred or hashed so far.
    pub bytes: u64,
    /// Bytes per second since the phase began, when the env has a clock.
    pub rate: Option<f64>,
    /// The provider involved, if any.
    pub provider: Option<String>,
    /// For [`Phase::Hash`] of a downloaded state: how many workers of the env's hash pool hash
    /// it (0: this thread hashes it, while it downloads). `None` for other phases and for a
    /// local state file (hashed on this thread after reading).
    pub workers: Option<u32>,
}

/// A step of the light rebuild (named in progress events and errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebuildStep {
    /// Reading the sync committees from the anchor record.
    Committees,
    /// Fetching the anchor's block header and checking its root.
    AnchorHeader,
    /// Walking `light_client/updates` period by period.
    Updates,
    /// Applying the latest finality update.
    Finality,
    /// Linking the new finalized header back to the old anchor by hash chain.
    Headers,
    /// Fetching and verifying the state of the new finalized header.
    State,
    /// Storing the new anchor.
    Store,
}

impl RebuildStep {
    /// Lower-case name (the JS progress `phase`, prefixed with `light-`).
    pub fn as_str(self) -> &'static str {
        match self {
            RebuildStep::Committees => "committees",
            RebuildStep::AnchorHeader => "anchor-header",
            RebuildStep::Updates => "updates",
            RebuildStep::Finality => "finality",
            RebuildStep::Headers => "headers",
            RebuildStep::State => "state",
            RebuildStep::Store => "store",
        }
    }
}

impl fmt::Display for RebuildStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Progress of the light rebuild. Units of `done`/`total`: periods for
/// [`RebuildStep::Updates`], slots walked for [`RebuildStep::Headers`], 1 for the single-shot
/// steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildProgress {
    /// The step.
    pub step: RebuildStep,
    /// Units done.
    pub done: u64,
    /// Units in total, when known.
    pub total: Option<u64>,
    /// The sync-committee period the step is at, when it is about one.
    pub period: Option<u64>,
}

/// The long-range mode that runs for a stored anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The anchor is within its WS period: follow forward (and backfill if needed).
    Follow,
    /// The anchor is stale and `lenient` was chosen: follow forward anyway, anchor marked stale.
    FollowStale,
    /// The anchor is stale and `light` was chosen: rebuild trust, then follow.
    Light,
}

impl Mode {
    /// Lower-case name (the JS `mode` of the long-range decision).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Follow => "follow",
            Mode::FollowStale => "follow-stale",
            Mode::Light => "light",
        }
    }
}

/// The block the client follows from: the anchor's block at first, then each newer finalized
/// block that was linked back to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tip {
    /// The block's slot.
    pub slot: Slot,
    /// The block root.
    pub root: [u8; 32],
}

/// What one follow step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowStep {
    /// Nothing newer was finalized (or the news was not newer than the tip).
    Unchanged {
        /// The tip, as before.
        tip: Tip,
    },
    /// The tip moved to a newer finalized block, linked back by hash chain.
    Advanced {
        /// The tip before.
        from: Tip,
        /// The tip now.
        to: Tip,
        /// Headers walked from the new block down to the old tip (the old tip included).
        linked: u64,
    },
}

impl FollowStep {
    /// The tip after the step.
    pub fn tip(&self) -> Tip {
        match self {
            FollowStep::Unchanged { tip } => *tip,
            FollowStep::Advanced { to, .. } => *to,
        }
    }
}

/// What triggered a follow step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepSource {
    /// A node's event (`finalized_checkpoint` or `light_client_finality_update`).
    Event,
    /// A poll: the interval passed (no stream, or the safety net while one is open).
    Poll,
}

impl StepSource {
    /// Lower-case name (the JS `source` of `followed`).
    pub fn as_str(self) -> &'static str {
        match self {
            StepSource::Event => "event",
            StepSource::Poll => "poll",
        }
    }
}

/// A finished follow step, as reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Followed {
    /// What the step did.
    pub step: FollowStep,
    /// What triggered it.
    pub source: StepSource,
    /// Milliseconds from the arrival of the node's event announcing the new tip to the tip being
    /// stored; `None` when no event announced it (a poll found it first, or no stream is open)
    /// or the tip did not move.
    pub latency_ms: Option<f64>,
}

/// The state of following's event stream.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamStatus {
    /// The stream at `url` is open: steps follow its events, polls are the safety net.
    Open {
        /// The stream's URL.
        url: String,
    },
    /// The stream at `url` could not be opened or dropped; following polls and tries again
    /// (the next provider) in `retry_in_ms`.
    Down {
        /// The stream's URL.
        url: String,
        /// Why.
        error: ApiError,
        /// Milliseconds until the next attempt.
        retry_in_ms: f64,
    },
}

/// A failure reported without stopping the run (a follow step that failed): its stable code, its
/// message and, for errors that compare two values, `(expected, actual)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The error's stable code.
    pub code: &'static str,
    /// Its message.
    pub message: String,
    /// `(expected, actual)`, when the error compares two values.
    pub expected_actual: Option<(String, String)>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// One provider's health during a backfill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderStatus {
    /// Its base URL.
    pub url: String,
    /// Whether it takes requests now (neither avoided nor quarantined).
    pub healthy: bool,
    /// Whether it served bad data and is avoided for the rest of the run.
    pub avoided: bool,
    /// Requests that failed transiently in this run.
    pub failures: u64,
}

/// A backfill progress report, after every committed batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BackfillProgress {
    /// Slots examined in this run.
    pub done: u64,
    /// Slots to examine in this run (from below the stored tail down to the target).
    pub total: u64,
    /// Headers stored in this run.
    pub headers: u64,
    /// Headers stored per second in this run (when the env has a clock).
    pub headers_per_second: Option<f64>,
    /// Estimated seconds left, from the slot rate so far.
    pub eta_seconds: Option<f64>,
    /// The oldest stored slot.
    pub oldest_slot: u64,
    /// Non-linking headers skipped in this run.
    pub skipped_non_linking: u64,
    /// 404 slots in this run.
    pub empty_slots: u64,
    /// Every provider's health, in the order given.
    pub providers: Vec<ProviderStatus>,
}

/// Why a stored backfill was discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetReason {
    /// Its anchor is outside the weak-subjectivity period.
    WsStale {
        /// The anchor's epoch.
        anchor_epoch: u64,
        /// The anchor's weak-subjectivity period, in epochs.
        ws_period_epochs: u64,
        /// The wall clock's epoch.
        current_epoch: u64,
    },
    /// It does not hang from the active anchor (another anchor became active).
    AnchorChanged,
}

/// Which verified beacon block an [`Event::Execution`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionSource {
    /// A newly stored anchor (its verified state's `latest_execution_payload_header`).
    Anchor,
    /// A newly followed tip (its light-client header's verified `execution`).
    Tip,
}

impl ExecutionSource {
    /// Lower-case name (the JS `source` of `execution`).
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionSource::Anchor => "anchor",
            ExecutionSource::Tip => "tip",
        }
    }
}

/// What a running flow reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Progress of a checkpoint phase (download, hash, store).
    Progress(ProgressEvent),
    /// Something the user should know that did not stop the run (`code` is stable; the
    /// `WarningCode` union of `typings.d.ts` lists them all).
    Warning {
        /// Stable code.
        code: &'static str,
        /// Human-readable details.
        message: String,
    },
    /// The long-range mode was decided for the stored anchor.
    Decided {
        /// The mode that runs.
        mode: Mode,
        /// The anchor's epoch.
        anchor_epoch: u64,
        /// The anchor's weak-subjectivity standing now.
        ws: WsStatus,
    },
    /// Progress of the light rebuild.
    Rebuild(RebuildProgress),
    /// A provider's answer failed a step of the light rebuild; the next provider is tried.
    ProviderRejected {
        /// The step.
        step: RebuildStep,
        /// The sync-committee period it was at, when there is one.
        period: Option<u64>,
        /// The provider's base URL.
        provider: String,
        /// The stable code of what failed (`LC_SIGNATURE`, `HASH_CHAIN_BROKEN`, …).
        code: &'static str,
        /// What did not verify.
        message: String,
    },
    /// A follow step finished (after its new tip, if any, was stored).
    Followed(Followed),
    /// A follow step failed; the tip did not move and following goes on.
    FollowFailed(Failure),
    /// The event stream of following opened, or could not be opened or dropped.
    Stream(StreamStatus),
    /// Backfill progress after a committed batch.
    Backfill(BackfillProgress),
    /// Backfill requests failed and are retried after `wait_ms`.
    Retry {
        /// The provider of the (last) failure.
        provider: String,
        /// Requests to retry.
        requests: usize,
        /// Retry round of this fetch (1-based).
        attempt: u32,
        /// Wait before the retry, in milliseconds: 0 when a ready provider takes the requests
        /// now, else until the first quarantined provider comes back (its `Retry-After` when it
        /// sent one).
        wait_ms: u64,
        /// The failure.
        reason: String,
    },
    /// A provider failed transiently and gets no requests for `quarantine_ms`; its requests go
    /// to the providers that are ready.
    ProviderQuarantined {
        /// Its base URL.
        provider: String,
        /// Consecutive failures since its last success.
        strikes: u32,
        /// Requests that failed transiently in this run.
        failures: u64,
        /// How long it sits out, in milliseconds.
        quarantine_ms: u64,
        /// The last failure.
        reason: String,
    },
    /// A provider served bad data and is avoided for the rest of the backfill.
    ProviderAvoided {
        /// Its base URL.
        provider: String,
        /// A stable code (`HEADER_ROOT_MISMATCH`, `DECODE`, `BLOCK_WITHHELD`, …).
        code: &'static str,
        /// Details.
        reason: String,
    },
    /// A chunk's headers did not reproduce its `historical_summaries` entry (an orphan served as
    /// canonical, or a withheld block); the chunk is walked by hash chain alone.
    ChunkUnverified {
        /// The chunk index (`slot / SLOTS_PER_HISTORICAL_ROOT`).
        chunk: u64,
    },
    /// A chunk's headers reproduced its `historical_summaries` entry.
    ChunkVerified {
        /// The chunk index.
        chunk: u64,
    },
    /// The stored backfill was discarded.
    Reset {
        /// Why.
        reason: ResetReason,
    },
    /// A newer verified execution block is known: an anchor was stored, or the tip advanced,
    /// with a verified execution payload header (see `crate::execution`). Emitted after the
    /// record that carries it was stored.
    Execution {
        /// Which block it belongs to.
        source: ExecutionSource,
        /// That beacon block's slot (for an anchor, its state's slot, as `Anchor.slot`).
        slot: Slot,
        /// That beacon block's root.
        block_root: [u8; 32],
        /// The execution block.
        execution: ExecutionBlock,
    },
}

impl Event {
    /// The [`Event::Execution`] of a stored block, if it has a verified execution block.
    pub fn execution(
        source: ExecutionSource,
        slot: Slot,
        block_root: [u8; 32],
        execution: Option<ExecutionBlock>,
    ) -> Option<Event> {
        execution.map(|execution| Event::Execution {
            source,
            slot,
            block_root,
            execution,
        })
    }
}

impl Event {
    /// The JS event this goes to, or `None` for events the JS API does not show.
    pub fn js_name(&self) -> Option<&'static str> {
        match self {
            Event::Progress(_) | Event::Rebuild(_) | Event::Backfill(_) => Some("progress"),
            Event::Followed(_) => Some("followed"),
            Event::FollowFailed(_) => Some("followError"),
            Event::Stream(_) => Some("followSource"),
            Event::Execution { .. } => Some("execution"),
            Event::Decided { .. } | Event::ChunkVerified { .. } => None,
            _ => self.warning().map(|_| "warning"),
        }
    }
}

/// Writes `key: value` into a JS payload object.
fn put<M: SerializeMap, V: Serialize + ?Sized>(
    m: &mut M,
    key: &'static str,
    value: &V,
) -> Result<(), M::Error> {
    m.serialize_entry(key, value)
}

/// `{ root, slot }` of a followed block, written straight into the payload's serializer.
struct TipPayload(Tip);

impl Serialize for TipPayload {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        put(&mut m, "root", &hex0x(self.0.root))?;
        put(&mut m, "slot", &self.0.slot.to_string())?;
        m.end()
    }
}

/// The common fields of every `progress` payload.
fn progress_fields<M: SerializeMap>(
    m: &mut M,
    phase: &str,
    done: u64,
    total: Option<u64>,
    bytes: u64,
    rate: Option<f64>,
    provider: Option<&str>,
) -> Result<(), M::Error> {
    put(m, "phase", phase)?;
    put(m, "done", &(done as f64))?;
    put(m, "total", &total.map(|t| t as f64))?;
    put(m, "bytes", &(bytes as f64))?;
    put(m, "rate", &rate)?;
    put(m, "provider", &provider)
}

impl Serialize for Event {
    /// The payload of [`Event::js_name`]'s JS event (see the module docs); events the JS API
    /// does not show, and `followError` (a `LightSyncError`, built by the boundary from the
    /// [`Failure`]), write their plain fields.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match self {
            Event::Progress(p) => {
                progress_fields(
                    &mut m,
                    p.phase.as_str(),
                    p.done,
                    p.total,
                    p.bytes,
                    p.rate,
                    p.provider.as_deref(),
                )?;
                if let Some(w) = p.workers {
                    put(&mut m, "workers", &w)?;
                }
            }
            Event::Rebuild(p) => {
                let phase = format!("light-{}", p.step.as_str());
                progress_fields(&mut m, &phase, p.done, p.total, 0, None, None)?;
                put(&mut m, "period", &p.period.map(|v| v.to_string()))?;
            }
            Event::Backfill(p) => {
                put(&mut m, "phase", "backfill")?;
                put(&mut m, "done", &(p.done as f64))?;
                put(&mut m, "total", &(p.total as f64))?;
                put(&mut m, "headers", &(p.headers as f64))?;
                put(&mut m, "headersPerSecond", &p.headers_per_second)?;
                put(&mut m, "rate", &p.headers_per_second)?;
                put(&mut m, "etaSeconds", &p.eta_seconds)?;
                put(&mut m, "oldestSlot", &p.oldest_slot.to_string())?;
                put(&mut m, "skippedNonLinking", &(p.skipped_non_linking as f64))?;
                put(&mut m, "emptySlots", &(p.empty_slots as f64))?;
                put(&mut m, "providers", &p.providers)?;
            }
            Event::Followed(f) => {
                let (from, linked) = match f.step {
                    FollowStep::Unchanged { tip } => (tip, 0),
                    FollowStep::Advanced { from, linked, .. } => (from, linked),
                };
                put(&mut m, "source", f.source.as_str())?;
                put(&mut m, "latencyMs", &f.latency_ms)?;
                put(
                    &mut m,
                    "advanced",
                    &matches!(f.step, FollowStep::Advanced { .. }),
                )?;
                put(&mut m, "from", &TipPayload(from))?;
                put(&mut m, "tip", &TipPayload(f.step.tip()))?;
                put(&mut m, "linked", &(linked as f64))?;
            }
            Event::Stream(StreamStatus::Open { url }) => {
                put(&mut m, "source", "events")?;
                put(&mut m, "url", url)?;
            }
            Event::Stream(StreamStatus::Down {
                url,
                error,
                retry_in_ms,
            }) => {
                put(&mut m, "source", "polling")?;
                put(&mut m, "url", url)?;
                put(&mut m, "code", error.code())?;
                put(&mut m, "message", &error.to_string())?;
                put(&mut m, "retryInMs", retry_in_ms)?;
            }
            Event::FollowFailed(f) => {
                put(&mut m, "code", f.code)?;
                put(&mut m, "message", &f.message)?;
            }
            Event::Decided {
                mode,
                anchor_epoch,
                ws,
            } => {
                put(&mut m, "mode", mode.as_str())?;
                put(&mut m, "anchorEpoch", &anchor_epoch.to_string())?;
                put(&mut m, "stale", &ws.stale)?;
            }
            Event::ChunkVerified { chunk } => put(&mut m, "chunk", &chunk.to_string())?,
            Event::Execution {
                source,
                slot,
                block_root,
                execution,
            } => {
                put(&mut m, "source", source.as_str())?;
                put(&mut m, "slot", &slot.to_string())?;
                put(&mut m, "blockRoot", &hex0x(block_root))?;
                put(&mut m, "execution", &execution.js())?;
            }
            other => {
                let (code, message) = other
                    .warning()
                    .map_or(("", String::new()), |w| (w.code, w.message));
                put(&mut m, "code", code)?;
                put(&mut m, "message", &message)?;
            }
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    //! The JS payloads, as `typings.d.ts` documents them.
    use super::*;
    use serde_json::json;

    fn payload(e: &Event) -> serde_json::Value {
        serde_json::to_value(e).unwrap()
    }

    #[test]
    fn checkpoint_progress_has_workers_only_for_a_pool_hash() {
        let mut p = ProgressEvent {
            phase: Phase::Hash,
            done: 5,
            total: Some(10),
            bytes: 5,
            rate: None,
            provider: Some("http://127.0.0.1:1".into()),
            workers: Some(4),
        };
        assert_eq!(
            payload(&Event::Progress(p.clone())),
            json!({"phase": "hash", "done": 5.0, "total": 10.0, "bytes": 5.0, "rate": null,
                   "provider": "http://127.0.0.1:1", "workers": 4})
        );
        p.workers = None;
        p.total = None;
        let v = payload(&Event::Progress(p));
        assert!(v.get("workers").is_none(), "{v}");
        assert_eq!(v["total"], json!(null));
        assert_eq!(
            Event::Progress(ProgressEvent {
                ..Default::default()
            })
            .js_name(),
            Some("progress")
        );
    }

    impl Default for ProgressEvent {
        fn default() -> Self {
            ProgressEvent {
                phase: Phase::Store,
                done: 0,
                total: None,
                bytes: 0,
                rate: None,
                provider: None,
                workers: None,
            }
        }
    }

    #[test]
    fn rebuild_progress_is_a_light_phase_with_a_decimal_period() {
        let e = Event::Rebuild(RebuildProgress {
            step: RebuildStep::AnchorHeader,
            done: 1,
            total: Some(1),
            period: Some(7),
        });
        assert_eq!(
            payload(&e),
            json!({"phase": "light-anchor-header", "done": 1.0, "total": 1.0, "bytes": 0.0,
                   "rate": null, "provider": null, "period": "7"})
        );
    }

    #[test]
    fn rejected_providers_and_backfill_retries_are_warnings_with_composed_texts() {
        let e = Event::ProviderRejected {
            step: RebuildStep::Updates,
            period: Some(3),
            provider: "http://a".into(),
            code: "LC_SIGNATURE",
            message: "bad".into(),
        };
        assert_eq!(e.js_name(), Some("warning"));
        assert_eq!(
            payload(&e),
            json!({"code": "REBUILD_PROVIDER_REJECTED",
                   "message": "light rebuild, step updates, period 3: provider http://a failed (LC_SIGNATURE), trying the next one: bad"})
        );
        let r = Event::Reset {
            reason: ResetReason::AnchorChanged,
        };
        assert_eq!(payload(&r)["code"], json!("BACKFILL_RESET"));
        assert_eq!(Event::ChunkVerified { chunk: 1 }.js_name(), None);
    }

    #[test]
    fn execution_payload_has_hex_hashes_and_decimal_numbers() {
        let execution = ExecutionBlock {
            block_hash: [0xab; 32],
            block_number: 1 << 54,
            state_root: [1; 32],
            receipts_root: [2; 32],
            timestamp: 1_700_000_000,
        };
        assert_eq!(
            Event::execution(ExecutionSource::Tip, 9, [3; 32], None),
            None,
            "no verified execution block, no event"
        );
        let e = Event::execution(ExecutionSource::Tip, 9, [3; 32], Some(execution)).unwrap();
        assert_eq!(e.js_name(), Some("execution"));
        assert_eq!(
            payload(&e),
            json!({"source": "tip", "slot": "9", "blockRoot": hex0x([3u8; 32]),
                   "execution": {"blockHash": hex0x([0xabu8; 32]),
                                 "blockNumber": (1u64 << 54).to_string(),
                                 "stateRoot": hex0x([1u8; 32]), "receiptsRoot": hex0x([2u8; 32]),
                                 "timestamp": "1700000000"}})
        );
    }

    #[test]
    fn followed_and_stream_payloads() {
        let from = Tip {
            slot: 8,
            root: [1; 32],
        };
        let to = Tip {
            slot: 16,
            root: [2; 32],
        };
        let e = Event::Followed(Followed {
            step: FollowStep::Advanced {
                from,
                to,
                linked: 3,
            },
            source: StepSource::Event,
            latency_ms: Some(2.5),
        });
        let v = payload(&e);
        assert_eq!(v["advanced"], json!(true));
        assert_eq!(v["from"]["slot"], json!("8"));
        assert_eq!(v["tip"]["root"], json!(hex0x([2u8; 32])));
        assert_eq!(v["linked"], json!(3.0));
        assert_eq!(v["latencyMs"], json!(2.5));
        let down = Event::Stream(StreamStatus::Down {
            url: "http://a/eth/v1/events".into(),
            error: ApiError::Network {
                url: "http://a".into(),
                reason: "refused".into(),
            },
            retry_in_ms: 500.0,
        });
        let v = payload(&down);
        assert_eq!(v["source"], json!("polling"));
        assert_eq!(v["retryInMs"], json!(500.0));
        assert_eq!(v["code"], json!("NETWORK"));
    }
}
