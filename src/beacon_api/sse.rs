//! Server-sent events: reading `GET /eth/v1/events?topics=…` (beacon-APIs `eventstream`).
//!
//! Why our own reader and not the browser's `EventSource`: the same parser then runs in the page
//! and natively (CLI, tests), a stream that sends one endless event is cut at a size ceiling
//! (`EventSource` buffers without limit), and the answer's status is visible, so a node without
//! the endpoint (404, 501) or one that refuses for a while (503) is told apart from a dropped
//! connection. The request is a plain GET whose one header is `Accept: text/event-stream`
//! (CORS-safelisted), so it needs no preflight cross-origin, exactly like `EventSource`'s.
//!
//! [`SseParser`] follows the WHATWG HTML "event stream interpretation": UTF-8 with an optional
//! leading BOM; lines end at CRLF, LF or CR (a CR at the end of one chunk and an LF at the start
//! of the next are one line end); a blank line dispatches the event; `:` lines are comments;
//! `event`, `data` (multi-line, joined with LF), `id` (ignored when it contains NUL) and `retry`
//! (ASCII digits only) fields; a single space after the colon is dropped; an unknown field is
//! ignored, and an event with no data is not dispatched. An event larger than the ceiling fails
//! the stream (`BODY_TOO_LARGE`) instead of growing memory.
//!
//! Events are only hints for following (see `crate::longrange`): [`FollowHint`] decodes the two
//! topics following uses, and nothing in them is trusted before the follow step checks it.

use crate::types::ForkName;

use super::{ApiError, RawBody, Root};

/// `Accept` (and expected `Content-Type`) of an event stream.
pub const EVENT_STREAM: &str = "text/event-stream";

/// Default ceiling of one event (all its fields and lines together), in bytes. The largest event
/// following reads is a `light_client_finality_update` (a few KB of JSON); other topics a node
/// may interleave (`block_gossip`, `payload_attributes`) are smaller still.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 1 << 20;

/// The `finalized_checkpoint` topic: a new finalized checkpoint (block root, state root, epoch).
pub const TOPIC_FINALIZED: &str = "finalized_checkpoint";
/// The `light_client_finality_update` topic: a new light-client finality update, as the
/// `/eth/v1/beacon/light_client/finality_update` JSON envelope (`version`, `data`).
pub const TOPIC_LIGHT_FINALITY: &str = "light_client_finality_update";

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event` field (the topic), `message` when the event named none.
    pub event: String,
    /// The `data` lines joined with LF.
    pub data: String,
    /// The last event ID at dispatch (the spec's "last event ID string").
    pub id: String,
}

/// Incremental parser of a `text/event-stream` body; feed it bytes as they arrive.
#[derive(Debug, Clone)]
pub struct SseParser {
    /// The line being read (no line end yet).
    line: Vec<u8>,
    /// The previous chunk ended with CR: an LF starting this one belongs to that line end.
    after_cr: bool,
    /// Bytes seen so far, up to 3 (a leading BOM is dropped once).
    seen: usize,
    data: String,
    event: String,
    id: String,
    /// `retry` in milliseconds, when the stream sent one.
    retry_ms: Option<u64>,
    /// Bytes of the event being read, lines included.
    event_bytes: usize,
    max_event_bytes: usize,
}

/// An event grew beyond the parser's ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTooLarge {
    /// The ceiling, in bytes.
    pub limit: usize,
    /// The event's size when it passed the ceiling, in bytes.
    pub got: usize,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl SseParser {
    /// A parser that refuses events of more than `max_event_bytes`.
    pub fn new(max_event_bytes: usize) -> Self {
        SseParser {
            line: Vec::new(),
            after_cr: false,
            seen: 0,
            data: String::new(),
            event: String::new(),
            id: String::new(),
            retry_ms: None,
            event_bytes: 0,
            max_event_bytes,
        }
    }

    /// The reconnection time the stream asked for (`retry:`), in milliseconds.
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry_ms
    }

    /// The last event ID (sent back as `Last-Event-ID` by clients that resume).
    pub fn last_event_id(&self) -> &str {
        &self.id
    }

    /// Parses `chunk`, appending the events it completes to `out`. After an error the parser
    /// is unusable: the stream is to be closed.
    pub fn push(&mut self, mut chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), EventTooLarge> {
        // A BOM is only dropped at the very start of the stream, possibly split across chunks.
        while self.seen < BOM.len() && !chunk.is_empty() {
            if chunk[0] != BOM[self.seen] || self.line.len() != self.seen {
                self.seen = BOM.len();
                break;
            }
            self.line.push(chunk[0]);
            self.seen += 1;
            chunk = &chunk[1..];
            if self.seen == BOM.len() {
                self.line.clear();
            }
        }
        if self.seen < BOM.len() && !chunk.is_empty() {
            self.seen = BOM.len();
        }
        if self.after_cr && !chunk.is_empty() {
            self.after_cr = false;
            if chunk.first() == Some(&b'\n') {
                chunk = &chunk[1..];
            }
        }
        while let Some(end) = chunk.iter().position(|&b| b == b'\n' || b == b'\r') {
            self.grow(end)?;
            self.line.extend_from_slice(&chunk[..end]);
            let line = std::mem::take(&mut self.line);
            self.process_line(&line, out);
            self.line = line;
            self.line.clear();
            let cr = chunk[end] == b'\r';
            chunk = &chunk[end + 1..];
            if cr {
                match chunk.first() {
                    Some(b'\n') => chunk = &chunk[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        self.grow(chunk.len())?;
        self.line.extend_from_slice(chunk);
        Ok(())
    }

    /// Counts `n` more bytes of the current event against the ceiling.
    fn grow(&mut self, n: usize) -> Result<(), EventTooLarge> {
        self.event_bytes += n;
        if self.event_bytes > self.max_event_bytes {
            return Err(EventTooLarge {
                limit: self.max_event_bytes,
                got: self.event_bytes,
            });
        }
        Ok(())
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        let value = String::from_utf8_lossy(value);
        match field {
            b"event" => self.event = value.into_owned(),
            b"data" => {
                self.data.push_str(&value);
                self.data.push('\n');
            }
            b"id" if !value.contains('\0') => self.id = value.into_owned(),
            b"retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.retry_ms = value.parse().ok();
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        self.event_bytes = 0;
        let event = std::mem::take(&mut self.event);
        if self.data.is_empty() {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop(); // the LF after the last data line
        out.push(SseEvent {
            event: if event.is_empty() {
                "message".into()
            } else {
                event
            },
            data,
            id: self.id.clone(),
        });
    }
}

/// `{base}/eth/v1/events?topics=a,b` (the topics are spec names: no escaping needed).
pub fn events_url(base: &str, topics: &[&str]) -> String {
    format!(
        "{}/eth/v1/events?topics={}",
        base.trim_end_matches('/'),
        topics.join(",")
    )
}

/// What an event tells a follower. Only a hint: the follow step verifies before storing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowHint {
    /// `finalized_checkpoint`: the node finalized `block` at `epoch`.
    Finalized {
        /// The finalized checkpoint's block root.
        block: Root,
        /// The finalized checkpoint's epoch.
        epoch: u64,
    },
    /// `light_client_finality_update`: the update, as the JSON envelope the REST endpoint
    /// serves, for the light client to verify.
    FinalityUpdate(RawBody),
}

/// Decodes `event` into a hint: `Ok(None)` for topics following does not use, a typed
/// [`ApiError::Decode`] naming the field for a malformed one of those it does.
pub fn follow_hint(url: &str, event: &SseEvent) -> Result<Option<FollowHint>, ApiError> {
    let decode = |what: &'static str, reason: String| ApiError::Decode {
        url: url.to_string(),
        what,
        reason,
    };
    // The event's data as JSON, or a decode error naming the event.
    let data = |what: &'static str| {
        serde_json::from_slice::<serde_json::Value>(event.data.as_bytes())
            .map_err(|e| decode(what, format!("expected JSON, got {e}")))
    };
    match event.event.as_str() {
        TOPIC_FINALIZED => {
            let v = data("finalized_checkpoint event")?;
            let block = v.get("block").and_then(|b| b.as_str()).unwrap_or_default();
            let block = parse_root(block).ok_or_else(|| {
                decode(
                    "finalized_checkpoint event block",
                    format!("expected 0x and 64 hex digits, got `{block}`"),
                )
            })?;
            let epoch = v.get("epoch").and_then(|e| e.as_str());
            let epoch = epoch.and_then(|e| e.parse::<u64>().ok()).ok_or_else(|| {
                decode(
                    "finalized_checkpoint event epoch",
                    format!(
                        "expected a decimal string, got {}",
                        json_kind(v.get("epoch"))
                    ),
                )
            })?;
            Ok(Some(FollowHint::Finalized { block, epoch }))
        }
        TOPIC_LIGHT_FINALITY => {
            // The envelope's `version` names the fork, as `Eth-Consensus-Version` does for the
            // REST answer; the light client parses (and checks) the rest.
            let v = data("light_client_finality_update event")?;
            let consensus_version = match v.get("version").and_then(|f| f.as_str()) {
                Some(f) => Some(f.parse::<ForkName>().map_err(|e| {
                    decode("light_client_finality_update event version", e.to_string())
                })?),
                None => None,
            };
            Ok(Some(FollowHint::FinalityUpdate(RawBody {
                url: url.to_string(),
                consensus_version,
                content_type: Some("application/json".into()),
                body: event.data.clone().into_bytes(),
            })))
        }
        _ => Ok(None),
    }
}

/// A JSON value as an error message names it without writing it out as JSON (which would
/// bring serde_json's writer, number formatting included, into the wasm): a string quoted,
/// an integer as written, anything else by its kind.
fn json_kind(value: Option<&serde_json::Value>) -> String {
    use serde_json::Value;
    match value {
        None | Some(Value::Null) => "null".into(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::String(s)) => format!("{s:?}"),
        Some(Value::Number(n)) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u.to_string(),
            (_, Some(i)) => i.to_string(),
            _ => "a fractional number".into(),
        },
        Some(Value::Array(_)) => "an array".into(),
        Some(Value::Object(_)) => "an object".into(),
    }
}

fn parse_root(s: &str) -> Option<Root> {
    let hex = s.strip_prefix("0x").filter(|h| h.len() == 64)?;
    let mut root = [0u8; 32];
    hex::decode_to_slice(hex, &mut root).ok()?;
    Some(root)
}

/// Reconnection delays: the stream's `retry:` (or [`Reconnect::BASE_MS`]) doubled after each
/// failure in a row, up to [`Reconnect::MAX_MS`]; a node that does not serve the endpoint at all
/// (404, 405, 501) is asked again only at the longest delay. Reset by a stream that opens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reconnect {
    base_ms: f64,
    failures: u32,
}

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect {
            base_ms: Self::BASE_MS,
            failures: 0,
        }
    }
}

impl Reconnect {
    /// First delay after a failure, in milliseconds (browsers' `EventSource` waits a few seconds).
    pub const BASE_MS: f64 = 1_000.0;
    /// Longest delay, in milliseconds.
    pub const MAX_MS: f64 = 60_000.0;

    /// A stream opened: the next failure waits the base delay again.
    pub fn connected(&mut self) {
        self.failures = 0;
    }

    /// The stream asked for `retry` milliseconds between reconnections.
    pub fn set_base_ms(&mut self, retry: u64) {
        self.base_ms = (retry as f64).clamp(1.0, Self::MAX_MS);
    }

    /// Failures in a row so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Records a failure to open or a dropped stream; returns how long to wait before the next
    /// attempt, in milliseconds.
    pub fn failed(&mut self, error: &ApiError) -> f64 {
        self.failures = self.failures.saturating_add(1);
        if unsupported(error) {
            return Self::MAX_MS;
        }
        let exp = (self.failures - 1).min(16);
        (self.base_ms * f64::from(1u32 << exp)).min(Self::MAX_MS)
    }
}

/// Whether `error` says the node does not serve the event stream at all (as opposed to a
/// failure that may pass: a drop, a timeout, a 503).
pub fn unsupported(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::HttpStatus {
            status: 404 | 405 | 501,
            ..
        }
    )
}

/// What reading a stream gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamNext {
    /// An event.
    Event(SseEvent),
    /// Nothing within the wait.
    Idle,
    /// The stream ended (`error` says why; a clean end of the body is [`ApiError::Network`]).
    Closed(ApiError),
}

/// The answer's head: 200 with `Content-Type: text/event-stream`, else the typed error.
pub(super) fn check_head(
    url: &str,
    status: u16,
    content_type: Option<&str>,
) -> Result<(), ApiError> {
    if status != 200 {
        return Ok(());
    }
    match content_type {
        Some(t)
            if t.trim_start()
                .to_ascii_lowercase()
                .starts_with(EVENT_STREAM) =>
        {
            Ok(())
        }
        other => Err(ApiError::Decode {
            url: url.to_string(),
            what: "event stream Content-Type",
            reason: format!("expected {EVENT_STREAM}, got {}", other.unwrap_or("none")),
        }),
    }
}

pub(super) fn too_large(url: &str, e: EventTooLarge) -> ApiError {
    ApiError::BodyTooLarge {
        url: url.to_string(),
        limit: e.limit as u64,
        got: e.got as u64,
    }
}

pub(super) fn ended(url: &str) -> ApiError {
    ApiError::Network {
        url: url.to_string(),
        reason: "expected the event stream to stay open, got the end of the body".into(),
    }
}

// The transports: a thread reading with `ureq` natively, `fetch` in a page (with the other
// browser code in `wasm.rs`).
#[cfg(not(target_arch = "wasm32"))]
pub use super::native::events::EventStream;
#[cfg(target_arch = "wasm32")]
pub use super::wasm::events::EventStream;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(chunks: &[&[u8]]) -> (Vec<SseEvent>, SseParser) {
        let mut p = SseParser::new(DEFAULT_MAX_EVENT_BYTES);
        let mut out = Vec::new();
        for c in chunks {
            p.push(c, &mut out).unwrap();
        }
        (out, p)
    }

    fn ev(event: &str, data: &str, id: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
            id: id.into(),
        }
    }

    #[test]
    fn fields_comments_and_multi_line_data() {
        let text = b": subscribed\n\nevent: finalized_checkpoint\ndata: {\"a\":1}\n\n\
            event: head\ndata: line1\ndata:line2\ndata\nid: 7\n\ndata: no type\n\n";
        let (out, p) = parse_all(&[text]);
        assert_eq!(
            out,
            vec![
                ev("finalized_checkpoint", "{\"a\":1}", ""),
                ev("head", "line1\nline2\n", "7"),
                ev("message", "no type", "7"),
            ]
        );
        assert_eq!(p.last_event_id(), "7");
    }

    #[test]
    fn every_line_end_and_every_split_give_the_same_events() {
        let lf = "event: a\ndata: x\ndata:  y\nretry: 2500\n\n: keep\n\nevent: b\ndata: \u{e9}\u{1F600}\n\n";
        let expected = vec![ev("a", "x\n y", ""), ev("b", "\u{e9}\u{1F600}", "")];
        for text in [
            lf.to_string(),
            lf.replace('\n', "\r\n"),
            lf.replace('\n', "\r"),
            format!("\u{feff}{lf}"),
        ] {
            let bytes = text.as_bytes();
            // Every split point, including inside a CRLF, a UTF-8 sequence and the BOM.
            for cut in 0..=bytes.len() {
                let (out, p) = parse_all(&[&bytes[..cut], &bytes[cut..]]);
                assert_eq!(out, expected, "{text:?} cut at {cut}");
                assert_eq!(p.retry_ms(), Some(2500));
            }
            // One byte at a time.
            let singles: Vec<&[u8]> = bytes.chunks(1).collect();
            assert_eq!(parse_all(&singles).0, expected, "{text:?} byte by byte");
        }
    }

    #[test]
    fn ignored_fields_and_undispatched_events() {
        // Unknown field, id with NUL, bad retry, an event with no data, an unterminated event.
        let text = b"foo: bar\nid: a\0b\nretry: 12x\nevent: x\n\nid: ok\ndata: d\n\ndata: cut";
        let (out, p) = parse_all(&[text]);
        assert_eq!(out, vec![ev("message", "d", "ok")]);
        assert_eq!(p.retry_ms(), None);
        // A BOM-like sequence after the start is data, not a BOM.
        let (out, _) = parse_all(&[b"data: \xEF\xBB\xBFz\n\n"]);
        assert_eq!(out, vec![ev("message", "\u{feff}z", "")]);
    }

    #[test]
    fn an_event_over_the_ceiling_fails_even_without_a_line_end() {
        let mut p = SseParser::new(64);
        let mut out = Vec::new();
        p.push(b"data: small\n\n", &mut out).unwrap();
        assert_eq!(out.len(), 1);
        let big = vec![b'x'; 100];
        let e = p.push(&big, &mut out).unwrap_err();
        assert_eq!(e.limit, 64);
        assert!(e.got > 64, "{e:?}");
        // Many short lines of one event count together.
        let mut p = SseParser::new(64);
        let e = (0..20)
            .find_map(|_| p.push(b"data: 0123456789\n", &mut out).err())
            .expect("the ceiling is reached");
        assert!(e.got > 64);
        assert_eq!(too_large("u", e).code(), "BODY_TOO_LARGE");
    }

    #[test]
    fn follow_hints_are_decoded_and_checked() {
        let root = format!("0x{}", "ab".repeat(32));
        let e = ev(
            TOPIC_FINALIZED,
            &format!(
                r#"{{"block":"{root}","state":"{root}","epoch":"12","execution_optimistic":false}}"#
            ),
            "",
        );
        assert_eq!(
            follow_hint("u", &e).unwrap(),
            Some(FollowHint::Finalized {
                block: [0xab; 32],
                epoch: 12
            })
        );
        for bad in [
            r#"{"block":"0x12","epoch":"1"}"#.to_string(),
            format!(r#"{{"block":"{root}","epoch":1}}"#),
            "not json".to_string(),
        ] {
            let err = follow_hint("u", &ev(TOPIC_FINALIZED, &bad, "")).unwrap_err();
            assert_eq!(err.code(), "DECODE", "{bad}");
        }
        let lc = ev(
            TOPIC_LIGHT_FINALITY,
            r#"{"version":"electra","data":{}}"#,
            "",
        );
        match follow_hint("u", &lc).unwrap() {
            Some(FollowHint::FinalityUpdate(b)) => {
                assert_eq!(b.consensus_version, Some(ForkName::Electra));
                assert_eq!(b.body, lc.data.as_bytes());
            }
            other => panic!("{other:?}"),
        }
        let bad_fork = ev(TOPIC_LIGHT_FINALITY, r#"{"version":"nope","data":{}}"#, "");
        assert_eq!(follow_hint("u", &bad_fork).unwrap_err().code(), "DECODE");
        assert_eq!(follow_hint("u", &ev("head", "{}", "")).unwrap(), None);
    }

    #[test]
    fn reconnect_doubles_up_to_the_cap_and_resets() {
        let drop = ApiError::Network {
            url: "u".into(),
            reason: "reset".into(),
        };
        let mut r = Reconnect::default();
        let delays: Vec<f64> = (0..8).map(|_| r.failed(&drop)).collect();
        assert_eq!(delays, vec![1e3, 2e3, 4e3, 8e3, 16e3, 32e3, 60e3, 60e3]);
        r.connected();
        r.set_base_ms(250);
        assert_eq!(r.failed(&drop), 250.0);
        let missing = ApiError::HttpStatus {
            url: "u".into(),
            status: 501,
            retry_after_seconds: None,
            message: String::new(),
        };
        assert_eq!(r.failed(&missing), Reconnect::MAX_MS);
        assert!(unsupported(&missing) && !unsupported(&drop));
    }

    #[test]
    fn the_head_must_be_an_event_stream() {
        assert!(check_head("u", 200, Some("text/event-stream; charset=utf-8")).is_ok());
        let e = check_head("u", 200, Some("application/json")).unwrap_err();
        assert_eq!(e.code(), "DECODE");
        assert!(e.to_string().contains("text/event-stream"), "{e}");
        assert_eq!(
            events_url("http://h:1/", &[TOPIC_FINALIZED, TOPIC_LIGHT_FINALITY]),
            "http://h:1/eth/v1/events?topics=finalized_checkpoint,light_client_finality_update"
        );
    }
}
