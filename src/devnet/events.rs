//! `GET /eth/v1/events?topics=…`: the beacon-APIs event stream as server-sent events.
//!
//! A client that follows the chain subscribes instead of polling. Per the beacon-APIs
//! `eventstream` spec the answer is `text/event-stream`, each event an `event: <topic>` line and
//! a `data: <json>` line followed by a blank line; comments (`:` lines) keep the connection
//! alive through proxies. `topics` is a list (repeated `topics=` or comma-separated) of the
//! spec's topic names: an unknown name is a 400, a known one the devnet never emits (attestations,
//! blobs…) is accepted and stays silent, as on a node that sees no such traffic.
//!
//! The live chain ([`super::chain::live`]) publishes each slot's events to one [`EventBus`]
//! shared by all providers. The bus is a short numbered log with a condition variable: each
//! subscriber keeps its own cursor, so any number of them read the same events without
//! registering, and a slow one that falls more than [`LOG_CAPACITY`] events behind skips ahead
//! (a real node drops events for a lagging subscriber too).

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::chain::live::LiveEvent;
use super::http::{Request, Response};

/// The topics of beacon-APIs `apis/eventstream/index.yaml`.
pub const TOPICS: &[&str] = &[
    "head",
    "block",
    "block_gossip",
    "attestation",
    "single_attestation",
    "voluntary_exit",
    "bls_to_execution_change",
    "proposer_slashing",
    "attester_slashing",
    "finalized_checkpoint",
    "chain_reorg",
    "contribution_and_proof",
    "light_client_finality_update",
    "light_client_optimistic_update",
    "payload_attributes",
    "blob_sidecar",
    "data_column_sidecar",
];

/// Events kept for subscribers that are between two reads.
pub const LOG_CAPACITY: usize = 1024;

/// Media type of the stream.
pub const EVENT_STREAM: &str = "text/event-stream";

#[derive(Default)]
struct Log {
    /// Sequence number of the next event published.
    next: u64,
    events: VecDeque<(u64, Arc<LiveEvent>)>,
}

/// Where the live chain publishes its events and subscribers wait for them.
#[derive(Default)]
pub struct EventBus {
    log: Mutex<Log>,
    cond: Condvar,
}

impl EventBus {
    /// Appends `events` and wakes every subscriber.
    pub fn publish(&self, events: Vec<LiveEvent>) {
        if events.is_empty() {
            return;
        }
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        for e in events {
            let seq = log.next;
            log.next += 1;
            log.events.push_back((seq, Arc::new(e)));
        }
        while log.events.len() > LOG_CAPACITY {
            log.events.pop_front();
        }
        drop(log);
        self.cond.notify_all();
    }

    /// The sequence number the next published event will get (a new subscriber starts there).
    pub fn cursor(&self) -> u64 {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).next
    }

    /// Events numbered `from` or later, waiting up to `timeout` for one to arrive; returns them
    /// and the cursor to continue from (empty on timeout).
    pub fn wait(&self, from: u64, timeout: Duration) -> (Vec<Arc<LiveEvent>>, u64) {
        let deadline = Instant::now() + timeout;
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if log.next > from {
                let events = log
                    .events
                    .iter()
                    .filter(|(seq, _)| *seq >= from)
                    .map(|(_, e)| e.clone())
                    .collect();
                return (events, log.next);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return (Vec::new(), from);
            }
            log = self
                .cond
                .wait_timeout(log, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// The topics a request asks for: every `topics` value, split at commas. `Err` is the 400
/// answer (none given, or a name not in [`TOPICS`]).
pub fn parse_topics(req: &Request) -> Result<Vec<String>, Response> {
    let mut topics = Vec::new();
    for (k, v) in &req.query {
        if k != "topics" {
            continue;
        }
        for t in v.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if !TOPICS.contains(&t) {
                return Err(Response::error(
                    400,
                    &format!(
                        "Invalid topic: expected one of {}, got `{t}`",
                        TOPICS.join(", ")
                    ),
                ));
            }
            if !topics.iter().any(|x| x == t) {
                topics.push(t.to_string());
            }
        }
    }
    if topics.is_empty() {
        return Err(Response::error(
            400,
            "Missing `topics`: expected at least one event topic",
        ));
    }
    Ok(topics)
}

/// One event in the SSE wire format.
pub fn format_event(e: &LiveEvent) -> String {
    format!("event: {}\ndata: {}\n\n", e.topic, e.data)
}

/// Whether a stream may stay open (checked at least once a second); `false` ends it cleanly.
pub type StillOpen = Arc<dyn Fn() -> bool + Send + Sync>;

/// The streamed answer to a subscription: the events of `topics` published from now on, and a
/// `:` comment whenever `keep_alive` passes without anything written, until `still_open` says
/// otherwise (see the `events=drop` behaviour) or the server stops.
pub fn stream(
    bus: Arc<EventBus>,
    topics: Vec<String>,
    keep_alive: Duration,
    still_open: StillOpen,
) -> Response {
    let start = bus.cursor();
    let body = move |w: &mut dyn Write, stop: &AtomicBool| -> io::Result<()> {
        let mut cursor = start;
        // Sent at once so that a client sees the stream open before the first event.
        w.write_all(b": subscribed\n\n")?;
        let mut last_write = Instant::now();
        while !stop.load(Ordering::SeqCst) && still_open() {
            let due = keep_alive.saturating_sub(last_write.elapsed());
            // Wake at least every second to notice a server shutdown.
            let (events, next) = bus.wait(cursor, due.min(Duration::from_secs(1)));
            cursor = next;
            let out: String = events
                .iter()
                .filter(|e| topics.iter().any(|t| t == e.topic))
                .map(|e| format_event(e))
                .collect();
            if !out.is_empty() {
                w.write_all(out.as_bytes())?;
                last_write = Instant::now();
            } else if last_write.elapsed() >= keep_alive {
                w.write_all(b":\n\n")?;
                last_write = Instant::now();
            }
        }
        Ok(())
    };
    let mut r = Response::streamed(EVENT_STREAM, Arc::new(body));
    r.set_header("Cache-Control", "no-cache");
    r
}
