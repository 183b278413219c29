//! What one answer may cost: a byte ceiling per kind of body, and a deadline and a
//! minimum-progress rule per request.
//!
//! Why: a provider is untrusted, and the cheapest attacks on a client are not wrong data but
//! size and time. A `Content-Length` of 2 GiB, a body without one that never ends, or a state
//! trickled a few bytes at a time must each cost the client a bounded amount of memory and
//! time, end with a typed error naming that provider, and leave the next provider to be tried.
//!
//! Ceilings are per endpoint: a header or a light-client object is a few KB of JSON, so it may
//! not be megabytes; a state's ceiling is computed from the preset's `BeaconState` schema with
//! realistic list lengths (see [`crate::merkle::state_size_ceiling`]). A transport still applies
//! its own cap on top; the smaller wins. Nothing is ever allocated from a provider's claim:
//! buffers grow as bytes arrive, fallibly ([`grow_for`]).
//!
//! Time: every request has an overall deadline, and after a grace period every window of
//! [`Pace::window_ms`] must bring [`Pace::min_bytes_per_sec`] × window bytes, so a trickling
//! provider is dropped long before the deadline. [`ProgressCheck`] applies the rule; both
//! transports drive it (natively after every read, in a browser also from a timer while a read
//! is pending). The rule is a plain value, so other request loops (backfill) can reuse it.

use super::ApiError;
use crate::types::PresetName;

/// `GET /eth/v2/beacon/blocks/{id}` as SSZ: `MAX_PAYLOAD_SIZE` (consensus-specs p2p-interface,
/// 10 MiB; `GOSSIP_MAX_SIZE` and `MAX_CHUNK_SIZE` in earlier spec versions), the most an
/// uncompressed block may be to travel the network at all, so a canonical block is never larger.
pub const BLOCK_MAX_BYTES: u64 = 10 << 20;

/// `MAX_REQUEST_LIGHT_CLIENT_UPDATES` (consensus-specs, altair/light-client/p2p-interface.md):
/// the most updates a node returns for one `light_client/updates` request.
pub const MAX_REQUEST_LIGHT_CLIENT_UPDATES: u64 = 128;

/// `GET /eth/v1/beacon/headers/{id}`: ~0.6 KB of JSON (a header, its root and signature).
pub const HEADER_MAX_BYTES: u64 = 16 << 10;
/// `GET /eth/v1/beacon/genesis`: ~0.3 KB of JSON.
pub const GENESIS_MAX_BYTES: u64 = 16 << 10;
/// `GET /eth/v1/beacon/states/{id}/finality_checkpoints`: ~0.4 KB of JSON.
pub const FINALITY_CHECKPOINTS_MAX_BYTES: u64 = 16 << 10;
/// `GET /eth/v1/config/spec`: ~10-20 KB of JSON on real nodes (a few hundred keys, the blob
/// schedule); 512 KiB leaves room for clients that add their own keys.
pub const SPEC_MAX_BYTES: u64 = 512 << 10;
/// One light-client object that carries a sync committee (a bootstrap, an update): 512 pubkeys
/// of 98 hex characters are ~50 KB; real ones are 54-64 KB (pretty-printed). 4x that.
pub const LIGHT_CLIENT_OBJECT_MAX_BYTES: u64 = 256 << 10;
/// A finality update (two headers, branches, an aggregate; no committee): ~5-6 KB. 10x that.
pub const LIGHT_CLIENT_FINALITY_MAX_BYTES: u64 = 64 << 10;
/// The JSON array envelope around light-client updates, and slack for whitespace.
const LIGHT_CLIENT_ENVELOPE_BYTES: u64 = 4 << 10;

/// `GET /eth/v1/beacon/light_client/updates?count=`: per-update bound × the count a node may
/// return (at most [`MAX_REQUEST_LIGHT_CLIENT_UPDATES`]).
pub fn light_client_updates_max_bytes(count: u64) -> u64 {
    LIGHT_CLIENT_ENVELOPE_BYTES
        + count.clamp(1, MAX_REQUEST_LIGHT_CLIENT_UPDATES) * LIGHT_CLIENT_OBJECT_MAX_BYTES
}

/// `GET /eth/v2/debug/beacon/states/{id}` as SSZ under `preset`: the largest state of any fork
/// that a real network can have (see [`crate::merkle::state_size_ceiling`]).
pub fn state_max_bytes(preset: PresetName) -> u64 {
    crate::merkle::max_state_size(preset)
}

/// The state ceiling when the preset is not known: the larger of the presets'.
pub fn state_max_bytes_any_preset() -> u64 {
    state_max_bytes(PresetName::Mainnet).max(state_max_bytes(PresetName::Minimal))
}

/// [`crate::merkle::stream::grow_within`] for a body of request `url`: room for `extra` more
/// bytes that arrived, never sized from a claim alone; a refused allocation is
/// [`ApiError::OutOfMemory`], not an abort.
pub fn grow_for(buf: &mut Vec<u8>, extra: usize, cap: u64, url: &str) -> Result<(), ApiError> {
    crate::merkle::stream::grow_within(buf, extra, cap).map_err(|bytes| ApiError::OutOfMemory {
        url: url.to_string(),
        bytes,
    })
}

/// Time limits of one request: an overall deadline and a minimum rate after a grace period.
///
/// Defaults ([`Pace::JSON`], [`Pace::STREAM`]): a JSON answer is a few KB and must be complete
/// within 10 s. A state is hundreds of MB; an honest provider on a slow home link sends
/// ≥ 1 MB/s, so 10 minutes is a deadline no honest download of a mainnet state (~300 MB in
/// 2025) reaches, and 128 KiB/s over any 10 s window (after 10 s for the node to start
/// serialising the state) is a floor far below any real link, above any deliberate trickle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pace {
    /// The whole request (connect, head and body) must end within this many milliseconds.
    pub deadline_ms: u64,
    /// After [`Pace::grace_ms`], every window must bring at least this rate (bytes/second).
    /// 0 disables the rule.
    pub min_bytes_per_sec: u64,
    /// Length of one measuring window, in milliseconds.
    pub window_ms: u64,
    /// Milliseconds from the request's start before the first window opens (a node may take a
    /// while to produce a state before its first byte).
    pub grace_ms: u64,
}

impl Pace {
    /// JSON answers: 10 s in all (the rate rule would never act before that).
    pub const JSON: Pace = Pace {
        deadline_ms: 10_000,
        min_bytes_per_sec: 0,
        window_ms: 10_000,
        grace_ms: 10_000,
    };
    /// Streamed bodies (a state): 10 minutes in all, at least 128 KiB/s per 10 s window after
    /// 10 s (see the type's docs).
    pub const STREAM: Pace = Pace {
        deadline_ms: 600_000,
        min_bytes_per_sec: 128 << 10,
        window_ms: 10_000,
        grace_ms: 10_000,
    };

    /// The same rule with another deadline (milliseconds, at least 1).
    pub fn with_deadline_ms(mut self, ms: u64) -> Pace {
        self.deadline_ms = ms.max(1);
        self
    }

    /// Bytes one window must bring.
    fn window_bytes(&self) -> u64 {
        self.min_bytes_per_sec.saturating_mul(self.window_ms) / 1000
    }
}

/// [`Pace`] applied to one request: fed the clock and the bytes received, it says when the
/// request has to stop ([`ApiError::Timeout`] past the deadline, [`ApiError::TooSlow`] for a
/// window below the rate). Times are milliseconds on any monotonic clock.
#[derive(Clone, Debug)]
pub struct ProgressCheck {
    pace: Pace,
    started_ms: f64,
    received: u64,
    /// The open window: when it ends and the bytes received when it opened.
    window: Option<(f64, u64)>,
}

impl ProgressCheck {
    /// A request that started at `now_ms`.
    pub fn new(pace: Pace, now_ms: f64) -> Self {
        ProgressCheck {
            pace,
            started_ms: now_ms,
            received: 0,
            window: None,
        }
    }

    /// Checks the deadline and closes every window that ended by `now_ms` (bytes counted so
    /// far are those that arrived before it). Call it before counting a chunk that arrived at
    /// `now_ms`, and whenever [`ProgressCheck::next_check_ms`] passes without one.
    pub fn check(&mut self, url: &str, now_ms: f64) -> Result<(), ApiError> {
        let elapsed = now_ms - self.started_ms;
        if elapsed >= self.pace.deadline_ms as f64 {
            return Err(ApiError::Timeout {
                url: url.to_string(),
                after_ms: self.pace.deadline_ms,
            });
        }
        let need = self.pace.window_bytes();
        if need == 0 || elapsed < self.pace.grace_ms as f64 {
            return Ok(());
        }
        let window_ms = self.pace.window_ms.max(1) as f64;
        let (mut end, mut from) = self.window.unwrap_or((now_ms + window_ms, self.received));
        while now_ms >= end {
            let got = self.received - from;
            if got < need {
                return Err(ApiError::TooSlow {
                    url: url.to_string(),
                    min_bytes: need,
                    window_ms: self.pace.window_ms,
                    got,
                });
            }
            from = self.received;
            end += window_ms;
        }
        self.window = Some((end, from));
        Ok(())
    }

    /// Counts `n` bytes that arrived.
    pub fn add(&mut self, n: u64) {
        self.received += n;
    }

    /// Bytes counted so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// When (on the same clock) [`ProgressCheck::check`] has to run again if no byte arrives:
    /// the deadline, the end of the grace period or the end of the open window.
    pub fn next_check_ms(&self) -> f64 {
        let deadline = self.started_ms + self.pace.deadline_ms as f64;
        if self.pace.window_bytes() == 0 {
            return deadline;
        }
        let next = match self.window {
            Some((end, _)) => end,
            None => self.started_ms + self.pace.grace_ms as f64,
        };
        next.min(deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: Pace = Pace {
        deadline_ms: 10_000,
        min_bytes_per_sec: 1000,
        window_ms: 1000,
        grace_ms: 2000,
    };

    #[test]
    fn a_trickle_fails_the_first_window_after_the_grace() {
        let mut c = ProgressCheck::new(RULE, 0.0);
        // 100 bytes every 100 ms: 1000 bytes per second, exactly the rate.
        for i in 1..=40 {
            c.check("u", i as f64 * 100.0).unwrap();
            c.add(100);
        }
        // Then 10 bytes per 100 ms: the window from 4000 to 5000 brings 100 + 9 x 10 bytes.
        let mut err = None;
        for i in 41..=60 {
            if let Err(e) = c.check("u", i as f64 * 100.0) {
                err = Some((i, e));
                break;
            }
            c.add(10);
        }
        let (i, e) = err.expect("a window below the rate fails");
        assert_eq!(i, 50);
        assert_eq!(e.code(), "TOO_SLOW");
        assert_eq!(
            e.expected_actual(),
            Some(("at least 1000 bytes in 1000 ms".into(), "190 bytes".into()))
        );
    }

    #[test]
    fn silence_fails_at_the_next_check_and_the_deadline_always_holds() {
        let mut c = ProgressCheck::new(RULE, 0.0);
        assert_eq!(c.next_check_ms(), 2000.0);
        c.check("u", 2000.0).unwrap();
        assert_eq!(c.next_check_ms(), 3000.0);
        c.add(5000);
        // A read pending past the window end: the check at that time sees the 5000 bytes.
        c.check("u", 3000.0).unwrap();
        assert_eq!(c.next_check_ms(), 4000.0);
        assert_eq!(c.check("u", 4000.0).unwrap_err().code(), "TOO_SLOW");

        let fast = Pace {
            min_bytes_per_sec: 0,
            ..RULE
        };
        let mut c = ProgressCheck::new(fast, 0.0);
        assert_eq!(c.next_check_ms(), 10_000.0);
        c.check("u", 9_999.0).unwrap();
        let e = c.check("u", 10_000.0).unwrap_err();
        assert_eq!(
            e,
            ApiError::Timeout {
                url: "u".into(),
                after_ms: 10_000
            }
        );
    }

    #[test]
    fn buffers_grow_with_what_arrived_not_with_the_claim() {
        let mut buf = Vec::new();
        grow_for(&mut buf, 10, 1 << 31, "u").unwrap();
        assert!(buf.capacity() >= 10 && buf.capacity() < 1 << 20);
        buf.resize(10, 0);
        grow_for(&mut buf, 100, 50, "u").unwrap();
        assert!(
            buf.capacity() >= 110,
            "a cap below what arrived never refuses it"
        );
        // An impossible size is a typed error, not an abort.
        let mut huge: Vec<u8> = Vec::new();
        let e = grow_for(&mut huge, usize::MAX / 2, u64::MAX, "u").unwrap_err();
        assert_eq!(e.code(), "OUT_OF_MEMORY");
    }

    #[test]
    fn light_client_ranges_scale_with_the_count() {
        assert!(light_client_updates_max_bytes(1) < 300 << 10);
        assert_eq!(
            light_client_updates_max_bytes(1000),
            light_client_updates_max_bytes(MAX_REQUEST_LIGHT_CLIENT_UPDATES)
        );
    }
}
