//! The browser [`Transport`] on `fetch` (through `gloo-net`), and the event-stream reader
//! ([`events`]): with `js/` and `store/idb.rs`, the only code that names browser crates.
//!
//! Requests are plain GETs whose only added header is `Accept` (CORS-safelisted), so the browser
//! sends no preflight. A timeout (an `AbortController` and a timer cleared when the request ends)
//! and the caller's `AbortSignal` are combined with `AbortSignal.any` when the browser has it. A
//! request starts in one call to `getOnce` (`fetch.js`), which also reads a small body of
//! announced length (a JSON answer) with one `arrayBuffer()`: at backfill rates, the crossings of
//! the wasm boundary a request driven step by step from here costs are a larger share of the
//! main thread than the `fetch` itself. Other bodies are read here chunk by chunk from
//! `response.body`, so a sink can take them as they arrive; a batch is `join_all` over groups of
//! at most `concurrency` requests.
//!
//! Page manners: a body's chunks that are already buffered resolve `read()` as microtasks, so a
//! fast local provider could keep the main thread busy for a whole multi-hundred-megabyte body in
//! one task; the read loop therefore yields to the event loop after each
//! [`super::TASK_BUDGET_MS`] of work. A collected body's buffer grows as bytes
//! arrive (never sized from `Content-Length`, which is the provider's claim).
//!
//! Time: every request has a [`Pace`]. Its deadline aborts the `fetch` (an `AbortController`);
//! while a read of the body is pending, a timer wakes the loop when the minimum-rate rule or the
//! deadline has to be checked, so a stalled or trickling provider ends with `TOO_SLOW` or
//! `TIMEOUT` even when no byte arrives to drive the loop.

use futures::future::{join_all, select, Either};
use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

use super::limits::grow_for;
use super::{
    begin_sink, complete_streamed, content_length, ApiError, BodySink, HttpResponse, Pace,
    ProgressCheck, Transport,
};

/// Default per-request timeout for JSON answers, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// Default cap on any JSON body, in bytes, on top of each endpoint's ceiling.
pub const DEFAULT_MAX_JSON_BYTES: u64 = 32 << 20;
/// Default cap on any streamed body, in bytes, on top of the state ceiling (a wasm32 `Vec`
/// addresses at most 2 GiB - 1).
pub const DEFAULT_MAX_STATE_BYTES: u64 = (2 << 30) - 1;
/// Default number of requests in flight in a batch (browsers allow ~6 per HTTP/1.1 host).
pub const DEFAULT_CONCURRENCY: usize = 6;

/// Resolves on a later task of the event loop, so the page can render, handle input and run its
/// timers: a `MessageChannel` message (an ordinary task, not clamped to 4 ms like nested
/// `setTimeout`s), else `setTimeout(0)`. Not `scheduler.yield()`: its continuations run ahead of
/// the page's own timers, which a long download or hash would then starve. Works in windows and
/// workers.
pub async fn yield_now() {
    let promise = Promise::new(&mut |resolve, _reject| {
        let global = js_sys::global();
        let get = |o: &JsValue, k: &str| Reflect::get(o, &k.into()).ok();
        let posted = (|| {
            let ctor: Function = get(&global, "MessageChannel")?.dyn_into().ok()?;
            let channel = Reflect::construct(&ctor, &js_sys::Array::new()).ok()?;
            let (port1, port2) = (get(&channel, "port1")?, get(&channel, "port2")?);
            Reflect::set(&port1, &"onmessage".into(), &resolve).ok()?;
            let post: Function = get(&port2, "postMessage")?.dyn_into().ok()?;
            post.call1(&port2, &JsValue::NULL).ok()
        })();
        if posted.is_some() {
            return;
        }
        match get(&global, "setTimeout").and_then(|f| f.dyn_into::<Function>().ok()) {
            Some(f) => {
                let _ = f.call2(&global, &resolve, &JsValue::from(0));
            }
            None => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Bytes asked for per BYOB read of a streamed body: 1 MiB keeps the reads few (each is a
/// promise and a copy into wasm memory) while the buffer stays small.
const BYOB_READ_BYTES: u32 = 1 << 20;

/// `stream.getReader({ mode: "byob" })`, where the browser supports it (Chrome 89, Firefox 102,
/// Safari 18.4 for fetch bodies).
pub(crate) fn byob_reader(stream: &web_sys::ReadableStream) -> Option<JsValue> {
    let get: Function = Reflect::get(stream, &"getReader".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let options = js_sys::Object::new();
    Reflect::set(&options, &"mode".into(), &"byob".into()).ok()?;
    get.call1(stream, &options).ok()
}

/// `reader.cancel()`: stops a download the transport gives up on (the browser then drops the
/// connection instead of reading the rest of the body).
fn cancel_reader(reader: &JsValue) {
    if let Some(cancel) = Reflect::get(reader, &"cancel".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
    {
        let _ = cancel.call0(reader);
    }
}

/// HTTP through the browser's `fetch`.
#[derive(Debug, Clone)]
pub struct FetchTransport {
    timeout_ms: u64,
    stream_pace: Pace,
    max_body_bytes: u64,
    max_streamed_bytes: u64,
    concurrency: usize,
    signal: Option<AbortSignal>,
}

impl Default for FetchTransport {
    fn default() -> Self {
        FetchTransport {
            timeout_ms: DEFAULT_TIMEOUT_MS,
            stream_pace: Pace::STREAM,
            max_body_bytes: DEFAULT_MAX_JSON_BYTES,
            max_streamed_bytes: DEFAULT_MAX_STATE_BYTES,
            concurrency: DEFAULT_CONCURRENCY,
            signal: None,
        }
    }
}

pub(super) fn js_error_text(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// Largest body, in bytes, `getOnce` reads with one `arrayBuffer()` when its length is announced
/// (every JSON answer of a Beacon API node): one promise instead of a reader and a `read()` per
/// chunk plus the final one, which a backfill pays on every header request. Larger bodies, and
/// any body a sink was offered (a state, or the error answer a sink declines), take the reader
/// loop, which yields to the page and reports the bytes received when cut short.
const SMALL_BODY_BYTES: u64 = 1 << 20;

/// What a [`Deadline`] calls, looked up once per thread (window or worker).
struct TimerFns {
    set_timeout: Function,
    clear_timeout: Function,
}

thread_local! {
    /// The global `fetch`, looked up once per thread.
    static FETCH_FN: Option<Function> = Reflect::get(&js_sys::global(), &"fetch".into())
        .ok()
        .and_then(|f| f.dyn_into().ok());
    static TIMER_FNS: Option<TimerFns> = (|| {
        let global = js_sys::global();
        let get = |o: &JsValue, k: &str| Reflect::get(o, &k.into()).ok()?.dyn_into::<Function>().ok();
        Some(TimerFns {
            set_timeout: get(&global, "setTimeout")?,
            clear_timeout: get(&global, "clearTimeout")?,
        })
    })();
}

/// A request's timeout, started by `getOnce` (`fetch.js`): an `AbortController` aborted by a
/// `setTimeout`. `getOnce` clears it when it reads a small body itself; for a body read here,
/// this handle clears it when the request ends (on drop). Not `AbortSignal.timeout(ms)`: its
/// timer cannot be cancelled, so every finished request would leave a timer that fires `ms`
/// later and aborts a signal nobody listens to; a backfill at hundreds of requests a second
/// would keep thousands of them pending.
struct Deadline {
    signal: AbortSignal,
    timer: JsValue,
}

impl Deadline {
    fn expired(&self) -> bool {
        self.signal.aborted()
    }
}

/// Resolves after `ms` milliseconds (a `setTimeout`, cleared when dropped first), or at once
/// when the global has no timers.
struct Timer {
    id: JsValue,
    done: JsFuture,
}

impl Timer {
    fn after(ms: f64) -> Timer {
        let mut id = JsValue::UNDEFINED;
        let promise = Promise::new(&mut |resolve, _reject| {
            id = TIMER_FNS.with(|t| match t {
                Some(t) => t
                    .set_timeout
                    .call2(
                        &JsValue::UNDEFINED,
                        &resolve,
                        &JsValue::from_f64(ms.max(0.0)),
                    )
                    .unwrap_or(JsValue::UNDEFINED),
                None => {
                    let _ = resolve.call0(&JsValue::NULL);
                    JsValue::UNDEFINED
                }
            });
        });
        Timer {
            id,
            done: JsFuture::from(promise),
        }
    }
}

impl std::future::Future for Timer {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        std::pin::Pin::new(&mut self.done).poll(cx).map(|_| ())
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        if self.id.is_undefined() {
            return;
        }
        TIMER_FNS.with(|t| {
            if let Some(t) = t {
                let _ = t.clear_timeout.call1(&JsValue::UNDEFINED, &self.id);
            }
        });
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        TIMER_FNS.with(|t| {
            if let Some(t) = t {
                let _ = t.clear_timeout.call1(&JsValue::UNDEFINED, &self.timer);
            }
        });
    }
}

/// `fetch(url, { headers: { Accept: accept }, signal })`, for the event stream: a request with no
/// deadline of its own, aborted by its stream's controller (the transport's requests go through
/// `getOnce`). Not through `gloo-net`'s request builder: it parses the URL into a `URL`, merges
/// its query through `URLSearchParams` and builds two `Request` objects per request.
/// (`web_sys::Response` comes with `gloo-net`'s `http` feature.)
pub(super) async fn fetch_get(
    url: &str,
    accept: &str,
    signal: Option<&AbortSignal>,
) -> Result<gloo_net::http::Response, JsValue> {
    let headers = js_sys::Object::new();
    Reflect::set(&headers, &"Accept".into(), &accept.into())?;
    let init = js_sys::Object::new();
    Reflect::set(&init, &"headers".into(), &headers)?;
    if let Some(signal) = signal {
        Reflect::set(&init, &"signal".into(), signal)?;
    }
    let promise = FETCH_FN.with(|f| match f {
        Some(f) => f.call2(&js_sys::global(), &url.into(), &init),
        None => Err(JsValue::from_str("this global has no fetch")),
    })?;
    let resp: web_sys::Response = JsFuture::from(Promise::from(promise)).await?.dyn_into()?;
    Ok(resp.into())
}

/// `AbortSignal.any(signals)`, or the first signal when the browser lacks `any`; a single signal
/// is returned as it is (no `any` call per request when there is nothing to combine).
pub(crate) fn any_signal(signals: &[AbortSignal]) -> Option<AbortSignal> {
    let first = signals.first()?.clone();
    if signals.len() == 1 {
        return Some(first);
    }
    let combined = (|| {
        let ctor = Reflect::get(&js_sys::global(), &"AbortSignal".into()).ok()?;
        let f: Function = Reflect::get(&ctor, &"any".into()).ok()?.dyn_into().ok()?;
        let arr = js_sys::Array::new();
        for s in signals {
            arr.push(s);
        }
        f.call1(&ctor, &arr).ok()?.dyn_into::<AbortSignal>().ok()
    })();
    Some(combined.unwrap_or(first))
}

#[wasm_bindgen(module = "/src/beacon_api/fetch.js")]
extern "C" {
    /// `fetch(url)` with its timer and signals, the head read and a small body read whole, in
    /// one call (`src/beacon_api/fetch.js` says what it resolves and rejects with).
    #[wasm_bindgen(js_name = getOnce)]
    fn get_once(
        url: &str,
        accept: &str,
        timeout_ms: f64,
        signal: Option<&AbortSignal>,
        small_max: f64,
    ) -> Promise;
}

/// The headers `getOnce` hands over as one string, `name:value` a line, into (lower-case name,
/// value) pairs.
fn header_lines(text: &str) -> Vec<(String, String)> {
    text.split_terminator('\n')
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_string()))
        .collect()
}

impl FetchTransport {
    /// A transport with a per-request timeout (milliseconds) and batch concurrency.
    pub fn new(timeout_ms: u64, concurrency: usize) -> Self {
        FetchTransport {
            timeout_ms: timeout_ms.max(1),
            concurrency: concurrency.max(1),
            ..FetchTransport::default()
        }
    }

    /// Replaces the per-request timeout for JSON answers (milliseconds).
    pub fn with_timeout_ms(mut self, timeout_ms: u64) -> Self {
        self.timeout_ms = timeout_ms.max(1);
        self
    }

    /// Replaces the deadline and minimum rate of streamed bodies (default [`Pace::STREAM`]).
    pub fn with_stream_pace(mut self, pace: Pace) -> Self {
        self.stream_pace = pace;
        self
    }

    /// The pace of JSON requests: the per-request timeout as the deadline.
    fn json_pace(&self) -> Pace {
        Pace::JSON.with_deadline_ms(self.timeout_ms)
    }

    /// Replaces how many requests of one `get_many` batch are in flight at once.
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Cancels every request when `signal` aborts (the page's `AbortSignal`).
    pub fn with_signal(mut self, signal: Option<AbortSignal>) -> Self {
        self.signal = signal;
        self
    }

    fn aborted_by_caller(&self) -> bool {
        self.signal.as_ref().is_some_and(|s| s.aborted())
    }

    /// Why a request failed, in the one order every failure is read: the caller's abort first,
    /// then the request's own deadline (`timed_out`), else the network's failure.
    fn failure(&self, url: &str, timeout_ms: u64, timed_out: bool, e: &JsValue) -> ApiError {
        let url = url.to_string();
        if self.aborted_by_caller() {
            ApiError::Aborted { url }
        } else if timed_out {
            ApiError::Timeout {
                url,
                after_ms: timeout_ms,
            }
        } else {
            ApiError::Network {
                url,
                reason: js_error_text(e),
            }
        }
    }

    /// The error of a `getOnce` that rejected with `[stage, timedOut, error, announcedLength]`
    /// ([`Self::failure`]); a small body cut short (stage 1) is [`ApiError::Truncated`], as the
    /// browser does not say how much of it had arrived.
    fn failed_get(&self, url: &str, timeout_ms: u64, rejection: &JsValue) -> ApiError {
        let parts = js_sys::Array::from(rejection);
        let timed_out = parts.get(1).as_bool() == Some(true);
        match self.failure(url, timeout_ms, timed_out, &parts.get(2)) {
            ApiError::Network { .. } if parts.get(0).as_f64() == Some(1.0) => ApiError::Truncated {
                url: url.to_string(),
                expected: parts.get(3).as_f64().unwrap_or(0.0).max(0.0) as u64,
                got: 0,
            },
            other => other,
        }
    }

    async fn fetch(
        &self,
        url: &str,
        accept: &str,
        pace: Pace,
        limit: u64,
        sink: Option<&mut dyn BodySink>,
    ) -> Result<HttpResponse, ApiError> {
        if self.aborted_by_caller() {
            return Err(ApiError::Aborted {
                url: url.to_string(),
            });
        }
        let timeout_ms = pace.deadline_ms;
        let mut progress = ProgressCheck::new(pace, js_sys::Date::now());
        // A body a sink may take is never read whole in JS.
        let small_max = match sink {
            Some(_) => -1.0,
            None => limit.min(SMALL_BODY_BYTES) as f64,
        };
        let started = get_once(
            url,
            accept,
            timeout_ms as f64,
            self.signal.as_ref(),
            small_max,
        );
        let answer = match JsFuture::from(started).await {
            Ok(answer) => js_sys::Array::from(&answer),
            Err(e) => return Err(self.failed_get(url, timeout_ms, &e)),
        };
        let status = answer.get(0).as_f64().unwrap_or(0.0) as u16;
        let headers = header_lines(&answer.get(1).as_string().unwrap_or_default());
        if let Ok(body) = answer.get(2).dyn_into::<Uint8Array>() {
            // Read whole in JS (its timer cleared there): an announced length of at most
            // `small_max`, which is within `limit`.
            let length = content_length(url, &headers, limit)?;
            let body = body.to_vec();
            let received = body.len() as u64;
            return complete_streamed(url, status, headers, body, received, length);
        }
        // The body is still to come: its timer runs until this function returns.
        let timer = answer
            .get(4)
            .dyn_into::<AbortSignal>()
            .ok()
            .map(|signal| Deadline {
                signal,
                timer: answer.get(5),
            });
        let resp: web_sys::Response = answer.get(3).unchecked_into();
        let length = content_length(url, &headers, limit)?;
        let fail = |e: JsValue| -> ApiError {
            let timed_out = timer.as_ref().is_some_and(Deadline::expired);
            self.failure(url, timeout_ms, timed_out, &e)
        };
        let resp = gloo_net::http::Response::from(resp);
        // A sink that takes the body (a state hashed while it downloads) keeps its only copy;
        // chunks pass through `scratch`, one reused buffer.
        let mut sink = begin_sink(sink, status, &headers, length)?;
        let mut scratch = Vec::new();
        // Grown as bytes arrive (never from `Content-Length`), bounded by `limit`.
        let mut body: Vec<u8> = Vec::new();
        let mut task_started = js_sys::Date::now();
        if let Some(stream) = resp.body() {
            // A sink's body (a state) is read BYOB into one reused buffer: no garbage chunk per
            // read, which for a state is hundreds of MB waiting for the GC and raising the page's
            // peak memory. Without BYOB support, or for a collected body, a default reader.
            let mut byob = None;
            let reader: JsValue = match sink.as_ref().and_then(|_| byob_reader(&stream)) {
                Some(r) => {
                    byob = Some(js_sys::ArrayBuffer::new(BYOB_READ_BYTES));
                    r
                }
                None => stream.get_reader().into(),
            };
            let read: Function = Reflect::get(&reader, &"read".into())
                .and_then(|f| f.dyn_into())
                .map_err(&fail)?;
            loop {
                let call = match &byob {
                    Some(buffer) => read.call1(&reader, &Uint8Array::new(buffer)),
                    None => read.call0(&reader),
                };
                let promise: Promise = call.and_then(|p| p.dyn_into()).map_err(&fail)?;
                let read = match paced_read(JsFuture::from(promise), &mut progress, url).await {
                    Ok(read) => read,
                    Err(e) => {
                        cancel_reader(&reader);
                        return Err(e);
                    }
                };
                let received = progress.received();
                let chunk = match read {
                    Ok(c) => c,
                    Err(e) => {
                        let err = fail(e);
                        if let (ApiError::Network { .. }, Some(expected)) = (&err, length) {
                            return Err(ApiError::Truncated {
                                url: url.to_string(),
                                expected,
                                got: received,
                            });
                        }
                        return Err(err);
                    }
                };
                let done = Reflect::get(&chunk, &"done".into())
                    .ok()
                    .and_then(|d| d.as_bool())
                    .unwrap_or(true);
                if done {
                    break;
                }
                let value = Reflect::get(&chunk, &"value".into()).map_err(&fail)?;
                // The chunk itself, not `new Uint8Array(chunk)` (a copy, and garbage, per read).
                let bytes: Uint8Array = value.dyn_into().map_err(&fail)?;
                if byob.is_some() {
                    // The buffer passed to `read` is detached; the view's is the one to reuse.
                    byob = Some(bytes.buffer());
                }
                let n = bytes.length() as usize;
                if received + n as u64 > limit {
                    cancel_reader(&reader);
                    return Err(ApiError::BodyTooLarge {
                        url: url.to_string(),
                        limit,
                        got: received + n as u64,
                    });
                }
                progress.add(n as u64);
                if let Some(s) = sink.as_mut() {
                    scratch.resize(n, 0);
                    bytes.copy_to(&mut scratch);
                    if let Err(e) = s.chunk(&scratch).await {
                        cancel_reader(&reader);
                        return Err(e);
                    }
                } else {
                    if let Err(e) = grow_for(&mut body, n, length.unwrap_or(limit), url) {
                        cancel_reader(&reader);
                        return Err(e);
                    }
                    let old = body.len();
                    body.resize(old + n, 0);
                    bytes.copy_to(&mut body[old..]);
                }
                if js_sys::Date::now() - task_started >= super::TASK_BUDGET_MS {
                    yield_now().await;
                    task_started = js_sys::Date::now();
                }
            }
        }
        let received = progress.received();
        complete_streamed(url, status, headers, body, received, length)
    }
}

/// Waits for one `read()` of a body under `progress`: a timer wakes the wait whenever the rule
/// has to be checked (no byte arrives to do it), and a failed check ends it (the caller cancels
/// the reader). The read's own outcome otherwise, checked once more at its arrival.
async fn paced_read(
    mut read: JsFuture,
    progress: &mut ProgressCheck,
    url: &str,
) -> Result<Result<JsValue, JsValue>, ApiError> {
    loop {
        let wait = progress.next_check_ms() - js_sys::Date::now();
        match select(&mut read, Timer::after(wait)).await {
            Either::Left((outcome, _timer)) => {
                progress.check(url, js_sys::Date::now())?;
                return Ok(outcome);
            }
            Either::Right(((), _)) => progress.check(url, js_sys::Date::now())?,
        }
    }
}

impl Transport for FetchTransport {
    async fn get(&self, url: &str, accept: &str, max_bytes: u64) -> Result<HttpResponse, ApiError> {
        let limit = max_bytes.min(self.max_body_bytes);
        self.fetch(url, accept, self.json_pace(), limit, None).await
    }

    async fn get_streaming(
        &self,
        url: &str,
        accept: &str,
        max_bytes: u64,
        sink: &mut dyn BodySink,
    ) -> Result<HttpResponse, ApiError> {
        let limit = max_bytes.min(self.max_streamed_bytes);
        self.fetch(url, accept, self.stream_pace, limit, Some(sink))
            .await
    }

    async fn get_many(
        &self,
        urls: &[String],
        accept: &str,
        max_bytes: u64,
    ) -> Vec<Result<HttpResponse, ApiError>> {
        let mut out = Vec::with_capacity(urls.len());
        for group in urls.chunks(self.concurrency) {
            let answers = join_all(group.iter().map(|u| self.get(u, accept, max_bytes))).await;
            out.extend(answers);
        }
        out
    }

    fn now_unix_seconds(&self) -> Option<u64> {
        Some((js_sys::Date::now() / 1000.0).max(0.0) as u64)
    }
}

pub mod events {
    //! In a page or worker: `fetch` with `Accept: text/event-stream`, the body read by a task of
    //! its own (`spawn_local`) that parses and queues events; the follow loop waits for "an event
    //! or a timer", whichever comes first. Dropping the stream aborts the request.
    use std::cell::RefCell;
    use std::rc::Rc;

    use futures::channel::mpsc;
    use futures::StreamExt;
    use js_sys::{Function, Reflect, Uint8Array};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::AbortSignal;

    use super::super::sse::{check_head, ended, too_large, SseParser, StreamNext, EVENT_STREAM};
    use super::super::{parse, ApiError, HttpResponse};
    use super::{any_signal, fetch_get, js_error_text};

    /// An open event stream.
    pub struct EventStream {
        url: String,
        rx: mpsc::UnboundedReceiver<StreamNext>,
        controller: JsValue,
        retry_ms: Rc<RefCell<Option<u64>>>,
    }

    fn new_controller() -> Result<(JsValue, AbortSignal), JsValue> {
        let ctor: Function =
            Reflect::get(&js_sys::global(), &"AbortController".into())?.dyn_into()?;
        let c = Reflect::construct(&ctor, &js_sys::Array::new())?;
        let s: AbortSignal = Reflect::get(&c, &"signal".into())?.dyn_into()?;
        Ok((c, s))
    }

    fn abort(controller: &JsValue) {
        if let Ok(f) = Reflect::get(controller, &"abort".into()) {
            if let Ok(f) = f.dyn_into::<Function>() {
                let _ = f.call0(controller);
            }
        }
    }

    impl Drop for EventStream {
        fn drop(&mut self) {
            abort(&self.controller);
        }
    }

    impl EventStream {
        /// Opens `url` (see [`super::super::sse::events_url`]), cancelled by any of `signals` and by dropping the
        /// stream; fails with the answer's typed error when it is not a 200
        /// `text/event-stream` (a CORS rejection or a refused connection is `NETWORK`).
        pub async fn open(
            url: &str,
            signals: &[AbortSignal],
            max_event_bytes: usize,
        ) -> Result<EventStream, ApiError> {
            let network = |e: &JsValue| ApiError::Network {
                url: url.to_string(),
                reason: js_error_text(e),
            };
            let (controller, own) = new_controller().map_err(|e| network(&e))?;
            let mut all: Vec<AbortSignal> = signals.to_vec();
            all.push(own);
            let signal = any_signal(&all);
            let resp = fetch_get(url, EVENT_STREAM, signal.as_ref())
                .await
                .map_err(|e| network(&e))?;
            let status = resp.status();
            let content_type = resp.headers().get("content-type");
            if status != 200 {
                let body = resp.binary().await.unwrap_or_default();
                abort(&controller);
                let resp = HttpResponse {
                    status,
                    headers: content_type
                        .map(|t| vec![("content-type".to_string(), t)])
                        .unwrap_or_default(),
                    body,
                };
                return Err(parse::expect_ok(url, resp, None).unwrap_err());
            }
            if let Err(e) = check_head(url, status, content_type.as_deref()) {
                abort(&controller);
                return Err(e);
            }
            let raw: web_sys::Response = resp.into();
            let Some(body) = raw.body() else {
                return Err(ended(url));
            };
            let reader = body.get_reader();
            let (tx, rx) = mpsc::unbounded();
            let retry_ms = Rc::new(RefCell::new(None));
            let retry = retry_ms.clone();
            let url_owned = url.to_string();
            wasm_bindgen_futures::spawn_local(async move {
                let url = url_owned;
                let mut parser = SseParser::new(max_event_bytes);
                let mut events = Vec::new();
                let read: Option<Function> = Reflect::get(&reader, &"read".into())
                    .ok()
                    .and_then(|f| f.dyn_into().ok());
                let Some(read) = read else {
                    let _ = tx.unbounded_send(StreamNext::Closed(ended(&url)));
                    return;
                };
                let end = loop {
                    let chunk = match read.call0(&reader) {
                        Ok(p) => JsFuture::from(js_sys::Promise::from(p)).await,
                        Err(e) => Err(e),
                    };
                    let chunk = match chunk {
                        Ok(c) => c,
                        Err(e) => break network_err(&url, &e),
                    };
                    let done = Reflect::get(&chunk, &"done".into())
                        .ok()
                        .and_then(|d| d.as_bool())
                        .unwrap_or(true);
                    if done {
                        break ended(&url);
                    }
                    let Ok(value) = Reflect::get(&chunk, &"value".into()) else {
                        break ended(&url);
                    };
                    let bytes = Uint8Array::new(&value).to_vec();
                    if let Err(e) = parser.push(&bytes, &mut events) {
                        break too_large(&url, e);
                    }
                    if parser.retry_ms().is_some() {
                        *retry.borrow_mut() = parser.retry_ms();
                    }
                    for e in events.drain(..) {
                        if tx.unbounded_send(StreamNext::Event(e)).is_err() {
                            return;
                        }
                    }
                };
                let _ = tx.unbounded_send(StreamNext::Closed(end));
            });
            Ok(EventStream {
                url: url.to_string(),
                rx,
                controller,
                retry_ms,
            })
        }

        /// The stream's URL.
        pub fn url(&self) -> &str {
            &self.url
        }

        /// The `retry:` the stream sent, in milliseconds.
        pub fn retry_ms(&self) -> Option<u64> {
            *self.retry_ms.borrow()
        }

        /// The next event, or [`StreamNext::Closed`]; never [`StreamNext::Idle`] (the caller
        /// races it with a timer of its own, which can also end at an abort).
        pub async fn recv(&mut self) -> StreamNext {
            self.rx
                .next()
                .await
                .unwrap_or_else(|| StreamNext::Closed(ended(&self.url)))
        }
    }

    fn network_err(url: &str, e: &JsValue) -> ApiError {
        ApiError::Network {
            url: url.to_string(),
            reason: js_error_text(e),
        }
    }
}
