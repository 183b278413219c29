//! Trying providers in turn: the first answer that passes, or every provider's rejection.
//!
//! Why one helper: no provider is trusted to be up or honest, so every flow that needs one
//! answer (a checkpoint state, a light-client update, a block header, a round of headers) asks
//! the providers in order of preference and takes the first answer that passes its checks. What
//! differs between flows is only which failures end the search (an abort, an answer no other
//! provider can change) and how a rejection is reported (a warning, a `ProviderRejected` event),
//! and the caller says both in one closure. Which providers are asked, and in what order, is
//! the caller's too: backfill passes only the healthy ones, and an attempt may check an abort
//! before it sends anything.

use std::future::Future;

use super::{ApiError, BeaconApi};

/// One provider's failed attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection<E> {
    /// The provider's base URL.
    pub provider: String,
    /// Why its answer was not taken.
    pub error: E,
}

/// What to do after a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Ask the next provider.
    Try,
    /// Ask no other provider: none can change this outcome (an abort, a definitive answer).
    Stop,
}

/// Why no provider's answer was taken.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected<E> {
    /// Each provider's rejection, in the order asked (empty: there was no provider to ask).
    pub rejections: Vec<Rejection<E>>,
    /// Whether the last rejection ended the search ([`Next::Stop`]) before every provider was
    /// asked.
    pub stopped: bool,
}

impl<E> Rejected<E> {
    /// The error that ended the search early, or every rejection when every provider was
    /// asked.
    pub fn stop_or_all(mut self) -> Result<Vec<Rejection<E>>, E> {
        match (self.stopped, self.rejections.pop()) {
            (true, Some(last)) => Err(last.error),
            (_, last) => {
                self.rejections.extend(last);
                Ok(self.rejections)
            }
        }
    }

    /// The first provider's error (`None`: there was no provider).
    pub fn first(self) -> Option<E> {
        self.rejections.into_iter().next().map(|r| r.error)
    }

    /// The last provider's error (`None`: there was no provider).
    pub fn last(self) -> Option<E> {
        self.rejections.into_iter().next_back().map(|r| r.error)
    }
}

/// The judge of a flow whose only failure that ends the search is an abort: every other
/// failure (a status, a timeout, a bad body) is one provider's, and the next may answer.
pub fn stop_on_abort(r: &Rejection<ApiError>, _left: usize) -> Next {
    match r.error {
        ApiError::Aborted { .. } => Next::Stop,
        _ => Next::Try,
    }
}

/// The first answer of `attempt` over `providers`, in order, that passes. After each failure
/// `judge` sees the rejection and how many providers are left to ask, reports it as its flow
/// does, and says whether to ask the next one.
pub async fn first_passing<'p, A, I, T, E, F, Fut>(
    providers: I,
    mut attempt: F,
    mut judge: impl FnMut(&Rejection<E>, usize) -> Next,
) -> Result<T, Rejected<E>>
where
    A: BeaconApi + 'p,
    I: IntoIterator<Item = &'p A>,
    I::IntoIter: ExactSizeIterator,
    F: FnMut(&'p A) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut providers = providers.into_iter();
    let mut rejections = Vec::new();
    while let Some(p) = providers.next() {
        let error = match attempt(p).await {
            Ok(v) => return Ok(v),
            Err(error) => error,
        };
        let rejection = Rejection {
            provider: p.base_url().to_string(),
            error,
        };
        let next = judge(&rejection, providers.len());
        rejections.push(rejection);
        if next == Next::Stop {
            return Err(Rejected {
                rejections,
                stopped: true,
            });
        }
    }
    Err(Rejected {
        rejections,
        stopped: false,
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::beacon_api::{HttpBeaconApi, UreqTransport};
    use futures::executor::block_on;

    /// Providers that are never called: each attempt answers from a table by base URL.
    fn providers(n: usize) -> Vec<HttpBeaconApi<UreqTransport>> {
        (0..n)
            .map(|i| {
                HttpBeaconApi::new(
                    &format!("http://127.0.0.1:{}", 9000 + i),
                    UreqTransport::default(),
                )
            })
            .collect()
    }

    /// Runs `first_passing` with the answers `table[i]` for provider `i`, stopping on `"stop"`;
    /// returns the outcome, the providers asked and what `judge` saw.
    #[allow(clippy::type_complexity)]
    fn run(
        table: &[Result<u32, &'static str>],
    ) -> (
        Result<u32, Rejected<&'static str>>,
        Vec<String>,
        Vec<(String, &'static str, usize)>,
    ) {
        let ps = providers(table.len());
        let asked = std::cell::RefCell::new(Vec::new());
        let mut seen = Vec::new();
        let out = block_on(first_passing(
            &ps,
            |p| {
                asked.borrow_mut().push(p.base_url().to_string());
                let i = ps
                    .iter()
                    .position(|q| q.base_url() == p.base_url())
                    .unwrap();
                let answer = table[i];
                async move { answer }
            },
            |r, left| {
                seen.push((r.provider.clone(), r.error, left));
                if r.error == "stop" {
                    Next::Stop
                } else {
                    Next::Try
                }
            },
        ));
        (out, asked.into_inner(), seen)
    }

    #[test]
    fn the_first_passing_answer_is_taken_and_later_providers_are_not_asked() {
        let (out, asked, seen) = run(&[Err("bad"), Ok(7), Ok(8)]);
        assert_eq!(out, Ok(7));
        assert_eq!(asked, ["http://127.0.0.1:9000", "http://127.0.0.1:9001"]);
        assert_eq!(seen, [("http://127.0.0.1:9000".to_string(), "bad", 2)]);
    }

    #[test]
    fn every_rejection_is_kept_in_order_when_none_passes() {
        let (out, asked, seen) = run(&[Err("a"), Err("b"), Err("c")]);
        let rejected = out.unwrap_err();
        assert!(!rejected.stopped);
        let got: Vec<(&str, &str)> = rejected
            .rejections
            .iter()
            .map(|r| (r.provider.as_str(), r.error))
            .collect();
        assert_eq!(
            got,
            [
                ("http://127.0.0.1:9000", "a"),
                ("http://127.0.0.1:9001", "b"),
                ("http://127.0.0.1:9002", "c")
            ]
        );
        assert_eq!(asked.len(), 3);
        assert_eq!(seen.iter().map(|s| s.2).collect::<Vec<_>>(), [2, 1, 0]);
        assert_eq!(rejected.clone().first(), Some("a"));
        assert_eq!(rejected.clone().last(), Some("c"));
        let all = rejected.stop_or_all().unwrap();
        assert_eq!(all.len(), 3);
    }

    #[test]
    fn a_stop_asks_no_further_provider() {
        let (out, asked, _) = run(&[Err("a"), Err("stop"), Ok(1)]);
        let rejected = out.unwrap_err();
        assert!(rejected.stopped);
        assert_eq!(asked.len(), 2);
        assert_eq!(rejected.rejections.len(), 2);
        assert_eq!(rejected.stop_or_all(), Err("stop"));
    }

    #[test]
    fn no_provider_is_an_empty_rejection() {
        let (out, asked, seen) = run(&[]);
        let rejected = out.unwrap_err();
        assert!(asked.is_empty() && seen.is_empty());
        assert_eq!(rejected.clone().first(), None);
        assert_eq!(rejected.stop_or_all(), Ok(vec![]));
    }
}
