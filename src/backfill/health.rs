//! Provider health within one backfill run: who gets requests, and for how long a failing
//! provider sits out.
//!
//! Two kinds of trouble, two rules. A provider that serves bad data (a header that does not hash
//! to its root, a withheld block) is *avoided* for the rest of the run: it is not to be trusted
//! again. A provider that fails transiently (5xx, 429, a timeout, a body cut short) is
//! *quarantined*: it gets no requests until its backoff has passed, the backoff doubling with each
//! consecutive failure (`retry_base_ms × 2^(strikes-1)`, at least the `Retry-After` it sent, at
//! most `retry_max_ms`), the circuit-breaker pattern. Quarantine starts at the failure itself, so
//! the provider's other lanes stop at once and a silent provider costs one request deadline per
//! strike, not one per slot of its share; its slots go to the providers that are ready. When it
//! comes back it is *probing*: one request, whose success clears its strikes and whose failure
//! quarantines it for twice as long.
//!
//! Times are on the run's clock in milliseconds (the env's `now_ms`, or, without one, the time
//! the run has slept), and a quarantine's backoff counts from the end of the round that saw the
//! failure, when the run decides where the failed requests go next.

use std::cell::RefCell;

use crate::event::ProviderStatus;

#[derive(Debug, Clone, Default)]
struct Entry {
    avoided: bool,
    failures: u64,
    /// Consecutive failures since its last success (each quarantine counts once).
    strikes: u32,
    /// Quarantined: `Some(None)` since a failure in the current round, `Some(Some(t))` until `t`.
    quarantine: Option<Option<f64>>,
    /// The longest `Retry-After` of the current round's failures, in milliseconds.
    retry_after_ms: u64,
}

/// A quarantine that started at the end of a round.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Quarantined {
    pub provider: usize,
    pub strikes: u32,
    pub ms: u64,
}

/// The health of every provider of a run.
#[derive(Debug)]
pub(crate) struct Health {
    entries: RefCell<Vec<Entry>>,
    base_ms: u64,
    max_ms: u64,
}

impl Health {
    pub fn new(providers: usize, base_ms: u64, max_ms: u64) -> Self {
        Health {
            entries: RefCell::new(vec![Entry::default(); providers]),
            base_ms,
            max_ms,
        }
    }

    /// Marks `p` avoided; `true` the first time.
    pub fn avoid(&self, p: usize) -> bool {
        !std::mem::replace(&mut self.entries.borrow_mut()[p].avoided, true)
    }

    pub fn is_avoided(&self, p: usize) -> bool {
        self.entries.borrow()[p].avoided
    }

    /// The providers not avoided (quarantined ones included), but `except`.
    pub fn usable(&self, except: Option<usize>) -> Vec<usize> {
        let e = self.entries.borrow();
        (0..e.len())
            .filter(|&i| !e[i].avoided && Some(i) != except)
            .collect()
    }

    /// Whether `p` takes requests at `now`.
    pub fn ready(&self, p: usize, now: f64) -> bool {
        let e = &self.entries.borrow()[p];
        !e.avoided
            && match e.quarantine {
                None => true,
                Some(None) => false,
                Some(Some(until)) => now >= until,
            }
    }

    /// Whether `p` stopped taking requests in the current round (avoided, or failed in it).
    pub fn benched(&self, p: usize) -> bool {
        let e = &self.entries.borrow()[p];
        e.avoided || e.quarantine == Some(None)
    }

    /// Requests to `p` that failed transiently in this run.
    pub fn failures(&self, p: usize) -> u64 {
        self.entries.borrow()[p].failures
    }

    /// Whether `p` is back from a quarantine and not yet proven well: it gets one request.
    pub fn probing(&self, p: usize) -> bool {
        self.entries.borrow()[p].strikes > 0
    }

    /// The earliest end of a quarantine among `usable`, if any is timed.
    pub fn earliest_return(&self, usable: &[usize]) -> Option<(usize, f64)> {
        let e = self.entries.borrow();
        usable
            .iter()
            .filter_map(|&i| match e[i].quarantine {
                Some(Some(t)) => Some((i, t)),
                _ => None,
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// A request to `p` succeeded.
    pub fn succeeded(&self, p: usize) {
        let e = &mut self.entries.borrow_mut()[p];
        // A failure earlier in the same round keeps its quarantine.
        if e.quarantine != Some(None) {
            e.strikes = 0;
            e.quarantine = None;
        }
    }

    /// A request to `p` failed transiently (`retry_after_ms` when the provider said when to come
    /// back): it is quarantined from now on; the first failure of a round is a strike.
    pub fn failed(&self, p: usize, retry_after_ms: Option<u64>) {
        let e = &mut self.entries.borrow_mut()[p];
        e.failures += 1;
        e.retry_after_ms = e.retry_after_ms.max(retry_after_ms.unwrap_or(0));
        if e.quarantine != Some(None) {
            e.strikes = e.strikes.saturating_add(1);
            e.quarantine = Some(None);
        }
    }

    /// Ends a round at `now`: every quarantine started in it gets its end time.
    pub fn end_round(&self, now: f64) -> Vec<Quarantined> {
        let mut out = Vec::new();
        for (i, e) in self.entries.borrow_mut().iter_mut().enumerate() {
            if e.quarantine == Some(None) {
                let backoff = self
                    .base_ms
                    .saturating_mul(1u64 << (e.strikes.saturating_sub(1)).min(20));
                let ms = backoff.max(e.retry_after_ms).min(self.max_ms);
                e.quarantine = Some(Some(now + ms as f64));
                e.retry_after_ms = 0;
                out.push(Quarantined {
                    provider: i,
                    strikes: e.strikes,
                    ms,
                });
            }
        }
        out
    }

    /// Every provider's status at `now`.
    pub fn statuses(&self, urls: impl Iterator<Item = String>, now: f64) -> Vec<ProviderStatus> {
        urls.enumerate()
            .map(|(i, url)| {
                let e = &self.entries.borrow()[i];
                ProviderStatus {
                    url,
                    healthy: self.ready(i, now),
                    avoided: e.avoided,
                    failures: e.failures,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strikes_double_the_quarantine_and_a_success_clears_them() {
        let h = Health::new(2, 100, 1_000);
        h.failed(0, None);
        h.failed(0, None); // the same round: one strike
        assert!(!h.ready(0, 0.0) && h.ready(1, 0.0));
        assert_eq!(
            h.end_round(10.0),
            vec![Quarantined {
                provider: 0,
                strikes: 1,
                ms: 100
            }]
        );
        assert!(!h.ready(0, 109.0) && h.ready(0, 110.0) && h.probing(0));
        h.failed(0, None);
        assert_eq!(h.end_round(200.0)[0].ms, 200);
        h.failed(0, Some(700));
        assert_eq!(
            h.end_round(400.0)[0].ms,
            700,
            "Retry-After above the backoff"
        );
        for _ in 0..5 {
            h.failed(0, None);
            h.end_round(0.0);
        }
        assert_eq!(h.earliest_return(&[0, 1]), Some((0, 1_000.0)), "capped");
        h.succeeded(0);
        assert!(h.ready(0, 0.0) && !h.probing(0));
        let s = h.statuses(["a".to_string(), "b".to_string()].into_iter(), 0.0);
        assert_eq!(s[0].failures, 9, "every failed request counts");
        assert!(s.iter().all(|s| s.healthy && !s.avoided));
        assert!(h.avoid(1) && !h.avoid(1));
        assert_eq!(h.usable(None), vec![0]);
    }
}
