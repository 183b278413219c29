//! The native [`Transport`] on `ureq` 2 (blocking), for the CLI and native tests, and the
//! event-stream reader ([`events`]).
//!
//! The async methods do their work synchronously when polled: natively the flows run under a
//! simple executor (`futures::executor::block_on`), so there is nothing to gain from a reactor.
//! Batches run on scoped threads, at most `concurrency` at a time.
//!
//! Time: a JSON request is bounded as a whole by `ureq`'s request timeout. A streamed body is
//! bounded by the silence allowed between reads (the socket's read timeout) and by its
//! [`Pace`] (overall deadline, minimum rate), checked after every read: a blocking read cannot
//! be interrupted, so a check acts at most one silence timeout late.

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::limits::grow_for;
use super::{
    begin_sink, complete_streamed, content_length, ApiError, BodySink, HttpResponse, Pace,
    ProgressCheck, Transport,
};

/// Default per-request timeout, in milliseconds: generous for a JSON answer, short enough that a
/// silent provider does not stall a sync for minutes.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// Default cap on any JSON body, in bytes, on top of each endpoint's own ceiling (see
/// [`super::limits`]): the largest JSON the flows read (a light-client update batch of 128
/// updates) is a few MB.
pub const DEFAULT_MAX_JSON_BYTES: u64 = 32 << 20;
/// Default cap on any streamed body (a state), in bytes, on top of the state ceiling of
/// [`super::limits::state_max_bytes`]: a mainnet state is ~300 MB in 2025.
pub const DEFAULT_MAX_STATE_BYTES: u64 = 2 << 30;
/// Default number of requests in flight in a batch.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Bytes read per chunk of a streamed body (progress granularity).
const CHUNK_BYTES: usize = 256 << 10;

/// Blocking HTTP over `ureq` (plain `http://` only: built without TLS).
#[derive(Debug, Clone)]
pub struct UreqTransport {
    agent: ureq::Agent,
    streaming_agent: ureq::Agent,
    timeout_ms: u64,
    max_body_bytes: u64,
    max_streamed_bytes: u64,
    stream_pace: Pace,
    concurrency: usize,
}

impl Default for UreqTransport {
    fn default() -> Self {
        UreqTransport::new(DEFAULT_TIMEOUT_MS, DEFAULT_CONCURRENCY)
    }
}

impl UreqTransport {
    /// A transport with a per-request timeout (milliseconds; for streamed bodies, the longest
    /// silence) and at most `concurrency` requests in flight per batch.
    pub fn new(timeout_ms: u64, concurrency: usize) -> Self {
        let t = Duration::from_millis(timeout_ms.max(1));
        UreqTransport {
            agent: ureq::AgentBuilder::new().timeout(t).build(),
            streaming_agent: ureq::AgentBuilder::new()
                .timeout_connect(t)
                .timeout_read(t)
                .build(),
            timeout_ms: timeout_ms.max(1),
            max_body_bytes: DEFAULT_MAX_JSON_BYTES,
            max_streamed_bytes: DEFAULT_MAX_STATE_BYTES,
            stream_pace: Pace::STREAM,
            concurrency: concurrency.max(1),
        }
    }

    /// Replaces the deadline and minimum rate of streamed bodies (default [`Pace::STREAM`]).
    pub fn with_stream_pace(mut self, pace: Pace) -> Self {
        self.stream_pace = pace;
        self
    }

    /// Replaces the body size limits (bytes): `json` for [`Transport::get`], `streamed` for
    /// [`Transport::get_streaming`].
    pub fn with_limits(mut self, json: u64, streamed: u64) -> Self {
        self.max_body_bytes = json;
        self.max_streamed_bytes = streamed;
        self
    }

    /// The pace of JSON requests: the per-request timeout as the deadline.
    fn json_pace(&self) -> Pace {
        Pace::JSON.with_deadline_ms(self.timeout_ms)
    }

    async fn fetch(
        &self,
        agent: &ureq::Agent,
        url: &str,
        accept: &str,
        (limit, pace): (u64, Pace),
        sink: Option<&mut dyn BodySink>,
    ) -> Result<HttpResponse, ApiError> {
        let started = Instant::now();
        let now_ms = || started.elapsed().as_secs_f64() * 1000.0;
        let mut progress = ProgressCheck::new(pace, 0.0);
        let resp = match agent.get(url).set("Accept", accept).call() {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(ureq::Error::Transport(t)) => return Err(self.transport_error(url, &t)),
        };
        let status = resp.status();
        let headers: Vec<(String, String)> = resp
            .headers_names()
            .into_iter()
            .filter_map(|n| {
                let v = resp.header(&n)?.to_string();
                Some((n.to_ascii_lowercase(), v))
            })
            .collect();
        let length = content_length(url, &headers, limit)?;
        // A sink that takes the body keeps its only copy; otherwise it is collected here.
        let mut sink = begin_sink(sink, status, &headers, length)?;
        let mut reader = resp.into_reader();
        // Grown as bytes arrive (never from `Content-Length`), bounded by `limit`.
        let mut body = Vec::new();
        let mut chunk = vec![0u8; CHUNK_BYTES];
        loop {
            let read = reader.read(&mut chunk);
            if matches!(read, Ok(0)) {
                break;
            }
            // Deadline and rate first: a read cut by either is reported as such.
            progress.check(url, now_ms())?;
            let received = progress.received();
            let n = match read {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.read_error(url, &e, length, received)),
            };
            if received + n as u64 > limit {
                return Err(ApiError::BodyTooLarge {
                    url: url.to_string(),
                    limit,
                    got: received + n as u64,
                });
            }
            progress.add(n as u64);
            match sink.as_mut() {
                Some(s) => s.chunk(&chunk[..n]).await?,
                None => {
                    grow_for(&mut body, n, length.unwrap_or(limit), url)?;
                    body.extend_from_slice(&chunk[..n]);
                }
            }
        }
        complete_streamed(url, status, headers, body, progress.received(), length)
    }

    fn read_error(&self, url: &str, e: &std::io::Error, length: Option<u64>, got: u64) -> ApiError {
        match e.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => ApiError::Timeout {
                url: url.to_string(),
                after_ms: self.timeout_ms,
            },
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => match length
            {
                Some(expected) => ApiError::Truncated {
                    url: url.to_string(),
                    expected,
                    got,
                },
                None => ApiError::Network {
                    url: url.to_string(),
                    reason: e.to_string(),
                },
            },
            _ => ApiError::Network {
                url: url.to_string(),
                reason: e.to_string(),
            },
        }
    }

    fn transport_error(&self, url: &str, t: &ureq::Transport) -> ApiError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(t);
        while let Some(s) = source {
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) {
                    return ApiError::Timeout {
                        url: url.to_string(),
                        after_ms: self.timeout_ms,
                    };
                }
            }
            source = s.source();
        }
        let text = t.to_string();
        if text.contains("timed out") || text.contains("Timeout") {
            return ApiError::Timeout {
                url: url.to_string(),
                after_ms: self.timeout_ms,
            };
        }
        ApiError::Network {
            url: url.to_string(),
            reason: text,
        }
    }
}

impl Transport for UreqTransport {
    async fn get(&self, url: &str, accept: &str, max_bytes: u64) -> Result<HttpResponse, ApiError> {
        let rules = (max_bytes.min(self.max_body_bytes), self.json_pace());
        self.fetch(&self.agent, url, accept, rules, None).await
    }

    async fn get_streaming(
        &self,
        url: &str,
        accept: &str,
        max_bytes: u64,
        sink: &mut dyn BodySink,
    ) -> Result<HttpResponse, ApiError> {
        let rules = (max_bytes.min(self.max_streamed_bytes), self.stream_pace);
        self.fetch(&self.streaming_agent, url, accept, rules, Some(sink))
            .await
    }

    async fn get_many(
        &self,
        urls: &[String],
        accept: &str,
        max_bytes: u64,
    ) -> Vec<Result<HttpResponse, ApiError>> {
        let rules = (max_bytes.min(self.max_body_bytes), self.json_pace());
        let results: Vec<Mutex<Option<Result<HttpResponse, ApiError>>>> =
            urls.iter().map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let workers = self.concurrency.min(urls.len());
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(url) = urls.get(i) else { break };
                    // Each request thread drives its own (never pending) future.
                    let r = futures::executor::block_on(self.fetch(
                        &self.agent,
                        url,
                        accept,
                        rules,
                        None,
                    ));
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                });
            }
        });
        results
            .into_iter()
            .zip(urls)
            .map(|(m, url)| {
                m.into_inner()
                    .unwrap_or_else(|e| e.into_inner())
                    .unwrap_or_else(|| {
                        Err(ApiError::Network {
                            url: url.clone(),
                            reason: "request thread ended without a result".into(),
                        })
                    })
            })
            .collect()
    }

    fn now_unix_seconds(&self) -> Option<u64> {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs())
    }
}

pub mod events {
    //! Natively: a blocking `ureq` read on its own thread, events handed over a channel, so the
    //! follow loop can wait for "an event or the next poll", whichever comes first.
    use std::io::Read;
    use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
    use std::time::Duration;

    use super::super::sse::{check_head, ended, too_large, SseParser, StreamNext, EVENT_STREAM};
    use super::super::{parse, ApiError, HttpResponse};

    /// An open event stream.
    pub struct EventStream {
        url: String,
        rx: Receiver<StreamNext>,
        retry_ms: std::sync::Arc<std::sync::atomic::AtomicU64>,
    }

    impl EventStream {
        /// Opens `url` (see [`super::super::sse::events_url`]); fails with the answer's typed error when it is not a
        /// 200 `text/event-stream`. `idle_timeout_ms` ends a stream that stays silent that long
        /// (nodes send keep-alive comments). The reading thread ends when the stream does or at
        /// the first event after this value is dropped.
        pub fn open(
            url: &str,
            idle_timeout_ms: u64,
            max_event_bytes: usize,
        ) -> Result<EventStream, ApiError> {
            let t = Duration::from_millis(idle_timeout_ms.max(1));
            let agent = ureq::AgentBuilder::new()
                .timeout_connect(t)
                .timeout_read(t)
                .build();
            let resp = match agent.get(url).set("Accept", EVENT_STREAM).call() {
                Ok(r) => r,
                Err(ureq::Error::Status(status, r)) => {
                    let headers = r
                        .headers_names()
                        .into_iter()
                        .filter_map(|n| Some((n.to_ascii_lowercase(), r.header(&n)?.to_string())))
                        .collect();
                    let mut body = Vec::new();
                    let _ = r.into_reader().take(64 << 10).read_to_end(&mut body);
                    let resp = HttpResponse {
                        status,
                        headers,
                        body,
                    };
                    return Err(parse::expect_ok(url, resp, None).unwrap_err());
                }
                Err(ureq::Error::Transport(t)) => {
                    return Err(ApiError::Network {
                        url: url.to_string(),
                        reason: t.to_string(),
                    })
                }
            };
            check_head(url, resp.status(), resp.header("content-type"))?;
            let (tx, rx) = mpsc::channel();
            let retry_ms = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            let retry = retry_ms.clone();
            let url_owned = url.to_string();
            let mut reader = resp.into_reader();
            std::thread::Builder::new()
                .name("sse-reader".into())
                .spawn(move || {
                    let url = url_owned;
                    let mut parser = SseParser::new(max_event_bytes);
                    let mut buf = vec![0u8; 16 << 10];
                    let mut events = Vec::new();
                    let end = loop {
                        let n = match reader.read(&mut buf) {
                            Ok(0) => break ended(&url),
                            Ok(n) => n,
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                            Err(e) => {
                                break match e.kind() {
                                    std::io::ErrorKind::TimedOut
                                    | std::io::ErrorKind::WouldBlock => ApiError::Timeout {
                                        url: url.clone(),
                                        after_ms: idle_timeout_ms,
                                    },
                                    _ => ApiError::Network {
                                        url: url.clone(),
                                        reason: e.to_string(),
                                    },
                                }
                            }
                        };
                        if let Err(e) = parser.push(&buf[..n], &mut events) {
                            break too_large(&url, e);
                        }
                        if let Some(r) = parser.retry_ms() {
                            retry.store(r, std::sync::atomic::Ordering::Relaxed);
                        }
                        for e in events.drain(..) {
                            if tx.send(StreamNext::Event(e)).is_err() {
                                return;
                            }
                        }
                    };
                    let _ = tx.send(StreamNext::Closed(end));
                })
                .map_err(|e| ApiError::Network {
                    url: url.to_string(),
                    reason: format!("could not start the reading thread: {e}"),
                })?;
            Ok(EventStream {
                url: url.to_string(),
                rx,
                retry_ms,
            })
        }

        /// The stream's URL.
        pub fn url(&self) -> &str {
            &self.url
        }

        /// The `retry:` the stream sent, in milliseconds.
        pub fn retry_ms(&self) -> Option<u64> {
            match self.retry_ms.load(std::sync::atomic::Ordering::Relaxed) {
                0 => None,
                r => Some(r),
            }
        }

        /// The next event, waiting at most `wait_ms`.
        pub async fn next(&mut self, wait_ms: f64) -> StreamNext {
            let wait = Duration::from_millis(wait_ms.max(0.0) as u64);
            match self.rx.recv_timeout(wait) {
                Ok(n) => n,
                Err(RecvTimeoutError::Timeout) => StreamNext::Idle,
                Err(RecvTimeoutError::Disconnected) => StreamNext::Closed(ended(&self.url)),
            }
        }
    }
}
