//! The `text/event-stream` parser of `/eth/v1/events` and the follow hints decoded from its
//! events. Differential: the events (and `retry`, last event id) do not depend on how the body
//! is cut into chunks: one push of the whole body and random chunks give the same result, and
//! both stay within the parser's event ceiling.
#![no_main]

use beacon_lightsync::beacon_api::sse::{follow_hint, SseEvent, SseParser};
use beacon_lightsync_fuzz::Rng;
use libfuzzer_sys::fuzz_target;

const MAX_EVENT_BYTES: usize = 4096;

fn parse<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> (Vec<SseEvent>, bool, SseParser) {
    let mut p = SseParser::new(MAX_EVENT_BYTES);
    let mut events = Vec::new();
    for c in chunks {
        if p.push(c, &mut events).is_err() {
            return (events, false, p);
        }
    }
    (events, true, p)
}

fuzz_target!(|data: &[u8]| {
    let mut rng = Rng::from_input(data);
    let (whole, whole_ok, p1) = parse([data]);
    let (split, split_ok, p2) = parse(rng.chunks(data, 64));
    assert_eq!(whole_ok, split_ok, "chunking changed the ceiling verdict");
    if whole_ok {
        assert_eq!(whole, split, "chunking changed the events");
        assert_eq!(p1.retry_ms(), p2.retry_ms());
        assert_eq!(p1.last_event_id(), p2.last_event_id());
    }
    for e in &whole {
        // The ceiling counts the stream's bytes; decoding replaces an invalid UTF-8 byte by
        // U+FFFD (3 bytes), so the text may be up to 3 times larger, never more.
        assert!(
            e.data.len() + e.event.len() <= 3 * MAX_EVENT_BYTES,
            "event beyond the ceiling"
        );
        let _ = follow_hint("http://127.0.0.1:5052/eth/v1/events", e);
    }
});
