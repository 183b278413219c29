//! The Beacon API client: typed, checked answers from a beacon node's REST API.
//!
//! Why two layers: the parsing and checking of Beacon API answers (JSON envelopes, SSZ bodies,
//! `Eth-Consensus-Version`, status codes, `Retry-After`) is the same in the browser and natively,
//! while moving bytes is not (`fetch` in a page, blocking sockets in the CLI and tests). So the
//! platform part is a tiny [`Transport`] (a GET that returns status, headers and body, a streaming
//! variant with a per-chunk callback for multi-hundred-megabyte states, and a concurrent batch),
//! and everything above it is plain Rust in [`HttpBeaconApi`], tested natively against the devnet.
//!
//! Transports: `UreqTransport` (native, `ureq` 2; batches on scoped threads) and `FetchTransport`
//! (wasm, `gloo-net`; batches with `join_all`). Both send only plain GETs whose one extra header is
//! `Accept`, which is CORS-safelisted, so a browser never needs a preflight.
//!
//! Every answer is checked before it is returned: JSON must parse into the documented shape, a
//! header's claimed root must equal `hash_tree_root` of its message, a header asked for by slot
//! must be at that slot, and a body larger than its endpoint's ceiling (see [`limits`]) or
//! shorter than its `Content-Length` is refused. Every request has a deadline and a minimum
//! rate ([`Pace`]). Failures are [`ApiError`]s with a stable [`ApiError::code`].
//!
//! The trait has no `Send` bounds: wasm futures are not `Send`, and callers use generics.

mod error;
mod fallback;
pub mod limits;
mod parse;
pub mod sse;

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(target_arch = "wasm32")]
mod wasm;

pub use error::ApiError;
pub use fallback::{first_passing, stop_on_abort, Next, Rejected, Rejection};
pub use limits::{Pace, ProgressCheck};
#[cfg(not(target_arch = "wasm32"))]
pub use native::UreqTransport;
pub use parse::{
    parse_http_date, retry_after_seconds, FinalityCheckpoints, Genesis, HeaderInfo, RawBody,
    SszState,
};
#[cfg(target_arch = "wasm32")]
pub(crate) use wasm::{any_signal, byob_reader};
#[cfg(target_arch = "wasm32")]
pub use wasm::{yield_now, FetchTransport, DEFAULT_CONCURRENCY};

use crate::types::hex0x;
use crate::types::{ForkName, PresetName};
use futures::future::LocalBoxFuture;

pub use crate::types::Root;

/// `Accept` for JSON endpoints.
/// Longest stretch of main-thread work between two yields to the event loop, in milliseconds
/// (the wasm transport's body reading, the checkpoint flow's hashing and registry walk). A
/// responsive page has no main-thread task over 200 ms, ideally none over 50 ms (the browser's
/// "long task" threshold); 25 ms stays under both with room for the event loop's own work, while
/// a yield every 25 ms costs little even when the browser clamps nested timers to 4 ms.
pub const TASK_BUDGET_MS: f64 = 25.0;

pub const ACCEPT_JSON: &str = "application/json";
/// `Accept` for SSZ bodies (the Beacon API's `application/octet-stream`).
pub const ACCEPT_SSZ: &str = "application/octet-stream";
/// The response header naming the fork of a versioned body.
pub const CONSENSUS_VERSION_HEADER: &str = "Eth-Consensus-Version";

/// One HTTP answer as the transport received it: any status, lower-case header names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Response headers the transport could read (a browser hides those not exposed by CORS),
    /// names in lower case.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }
}

/// The first header named `name` (case-insensitive) among `headers`.
fn header_in<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The `Content-Length` among response headers (lower-case names), refused with
/// [`ApiError::BodyTooLarge`] when it announces more than `limit` bytes (the request's
/// ceiling). Only ever compared: no buffer is sized from it.
fn content_length(
    url: &str,
    headers: &[(String, String)],
    limit: u64,
) -> Result<Option<u64>, ApiError> {
    let length: Option<u64> =
        header_in(headers, "content-length").and_then(|v| v.trim().parse().ok());
    match length {
        Some(len) if len > limit => Err(ApiError::BodyTooLarge {
            url: url.to_string(),
            limit,
            got: len,
        }),
        _ => Ok(length),
    }
}

/// The answer once the body has ended: [`ApiError::Truncated`] when the `received` bytes are
/// fewer than its `Content-Length`. They are in `body`, or were all handed to a [`BodySink`].
fn complete_streamed(
    url: &str,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    received: u64,
    length: Option<u64>,
) -> Result<HttpResponse, ApiError> {
    match length {
        Some(len) if received < len => Err(ApiError::Truncated {
            url: url.to_string(),
            expected: len,
            got: received,
        }),
        _ => Ok(HttpResponse {
            status,
            headers,
            body,
        }),
    }
}

/// Where a streamed body goes as it arrives, instead of into one buffer the transport returns:
/// a state is hashed while it downloads, and its bytes are kept once, by the sink.
///
/// Object safe (the transports take `&mut dyn BodySink`), so `chunk` returns a boxed future: one
/// small allocation per chunk of ~64 KiB-1 MiB.
pub trait BodySink {
    /// The answer's head has arrived (lower-case header names; `content_length` already checked
    /// against the transport's limit). `Ok(true)`: the sink takes the body through
    /// [`BodySink::chunk`] and the response comes back with an empty body; `Ok(false)`: the
    /// transport collects it as usual (an error status, whose small body explains the error).
    /// An error stops the request and is returned as it is.
    fn begin(
        &mut self,
        status: u16,
        headers: &[(String, String)],
        content_length: Option<u64>,
    ) -> Result<bool, ApiError>;

    /// The next bytes of the body (only after `begin` returned `true`). An error stops the
    /// download and is returned by the transport as it is (a sink with its own error type keeps
    /// the details and returns [`ApiError::Aborted`]).
    fn chunk<'a>(&'a mut self, bytes: &'a [u8]) -> LocalBoxFuture<'a, Result<(), ApiError>>;
}

/// A [`BodySink`] that collects the body and reports `(bytes so far, content_length)` after every
/// chunk: the old progress-callback download.
pub struct CollectingSink<'f> {
    body: Vec<u8>,
    length: Option<u64>,
    on_progress: &'f mut dyn FnMut(u64, Option<u64>),
}

impl<'f> CollectingSink<'f> {
    /// A sink reporting to `on_progress`.
    pub fn new(on_progress: &'f mut dyn FnMut(u64, Option<u64>)) -> Self {
        CollectingSink {
            body: Vec::new(),
            length: None,
            on_progress,
        }
    }

    /// The body collected.
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }
}

impl BodySink for CollectingSink<'_> {
    fn begin(
        &mut self,
        status: u16,
        _headers: &[(String, String)],
        content_length: Option<u64>,
    ) -> Result<bool, ApiError> {
        if status != 200 {
            return Ok(false);
        }
        self.length = content_length;
        Ok(true)
    }

    fn chunk<'a>(&'a mut self, bytes: &'a [u8]) -> LocalBoxFuture<'a, Result<(), ApiError>> {
        // Grows with what arrived (up to the announced length), never from the claim alone.
        let cap = self.length.unwrap_or(u64::MAX);
        let grown = limits::grow_for(&mut self.body, bytes.len(), cap, "");
        if let Err(e) = grown {
            return Box::pin(std::future::ready(Err(e)));
        }
        self.body.extend_from_slice(bytes);
        (self.on_progress)(self.body.len() as u64, self.length);
        Box::pin(std::future::ready(Ok(())))
    }
}

/// A transport's `sink` once the answer's head is in: still there when [`BodySink::begin`]
/// takes the body, `None` when the transport is to collect it.
fn begin_sink<'s>(
    sink: Option<&'s mut dyn BodySink>,
    status: u16,
    headers: &[(String, String)],
    content_length: Option<u64>,
) -> Result<Option<&'s mut dyn BodySink>, ApiError> {
    match sink {
        Some(s) => Ok(s.begin(status, headers, content_length)?.then_some(s)),
        None => Ok(None),
    }
}

/// Moves bytes: the only platform-specific part of the client.
///
/// A transport returns `Ok` for every status code (the API layer decides what a 404 means); it
/// fails only when no complete answer arrived: timeout or too slow ([`Pace`]), connection
/// failure, a body beyond `max_bytes` (announced or received; the transport's own cap applies
/// too) or shorter than its `Content-Length`, or an abort. It never allocates from a
/// `Content-Length`: body buffers grow as bytes arrive.
#[allow(async_fn_in_trait)] // No `Send` bound on purpose: see the module docs.
pub trait Transport {
    /// One GET with `Accept: accept` whose body may be at most `max_bytes`, under the
    /// transport's JSON [`Pace`] (a short deadline).
    async fn get(&self, url: &str, accept: &str, max_bytes: u64) -> Result<HttpResponse, ApiError>;

    /// One GET whose body goes to `sink` chunk by chunk as it arrives (when `sink.begin` takes
    /// it; the response's `body` is then empty). A body shorter than its `Content-Length` is
    /// [`ApiError::Truncated`] after the sink saw what did arrive. Runs under the transport's
    /// streaming [`Pace`], meant for large bodies (a long deadline and a minimum rate).
    async fn get_streaming(
        &self,
        url: &str,
        accept: &str,
        max_bytes: u64,
        sink: &mut dyn BodySink,
    ) -> Result<HttpResponse, ApiError>;

    /// Several GETs in flight at once (at most the transport's concurrency), each body at most
    /// `max_bytes`; results in the order of `urls`.
    async fn get_many(
        &self,
        urls: &[String],
        accept: &str,
        max_bytes: u64,
    ) -> Vec<Result<HttpResponse, ApiError>>;

    /// The wall clock in unix seconds, used only to turn an HTTP-date `Retry-After` into a
    /// delay when the response carries no `Date` header. `None` (the default): no clock, and
    /// such a `Retry-After` is reported as absent.
    fn now_unix_seconds(&self) -> Option<u64> {
        None
    }
}

/// A state id of `/eth/v2/debug/beacon/states/{state_id}`: `head`, `genesis`, `finalized`,
/// `justified`, a decimal slot or a 0x-hex state root.
pub fn validate_state_id(id: &str) -> Result<(), ApiError> {
    let ok = matches!(id, "head" | "genesis" | "finalized" | "justified")
        || (!id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit()))
        || (id.len() == 66
            && id.starts_with("0x")
            && id[2..].bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(())
    } else {
        Err(ApiError::InvalidArgument {
            what: "state id",
            expected: "head, genesis, finalized, justified, a decimal slot or a 0x-hex state root",
            got: id.to_string(),
        })
    }
}

/// `url` as a provider base URL: `http://` or `https://` (any case) followed by a host. Anything
/// else (`ftp:`, `file:`, a bare host, an empty string) is the caller's mistake, not a provider
/// failure, so it is refused before any request. The message shows the URL redacted.
pub fn validate_base_url(url: &str) -> Result<(), ApiError> {
    let lower = url.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    let host = host.map(|h| h.rsplit('@').next().unwrap_or(""));
    match host {
        Some(h) if !h.is_empty() && !h.starts_with(':') => Ok(()),
        _ => Err(ApiError::InvalidArgument {
            what: "Beacon API URL",
            expected: "an http:// or https:// URL with a host",
            got: redact_credentials(url),
        }),
    }
}

/// `text` with the credentials of every URL in it (`scheme://user:password@host`) replaced by
/// `***` (`scheme://***@host`): URLs name providers in messages, anchors and logs, and a
/// password must never be printed back.
pub fn redact_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The typed Beacon API calls the sync flows need. Implemented by [`HttpBeaconApi`]; tests may
/// implement it over canned data.
#[allow(async_fn_in_trait)] // No `Send` bound on purpose: see the module docs.
pub trait BeaconApi {
    /// The provider's base URL (names the provider in errors and in anchors).
    fn base_url(&self) -> &str;

    /// `GET /eth/v1/beacon/genesis`.
    async fn genesis(&self) -> Result<Genesis, ApiError>;

    /// `GET /eth/v1/config/spec`: the node's config and preset values, as the API's strings.
    async fn spec(&self) -> Result<serde_json::Map<String, serde_json::Value>, ApiError>;

    /// `GET /eth/v1/beacon/headers/{block_id}`; `Ok(None)` on 404 (no block there, e.g. an
    /// empty slot). The returned root is checked: `hash_tree_root(message) == root`.
    async fn header(&self, block_id: &str) -> Result<Option<HeaderInfo>, ApiError>;

    /// The header at `slot` (`Ok(None)` for an empty slot); checked to be at that slot.
    async fn header_by_slot(&self, slot: u64) -> Result<Option<HeaderInfo>, ApiError> {
        let found = self.header(&slot.to_string()).await?;
        check_header_slot(self.base_url(), slot, found)
    }

    /// The header whose block root is `root` (`Ok(None)` when the node does not know it).
    async fn header_by_root(&self, root: &Root) -> Result<Option<HeaderInfo>, ApiError> {
        let id = hex0x(root);
        let found = self.header(&id).await?;
        match found {
            Some(h) if h.root != *root => Err(ApiError::HeaderRootMismatch {
                url: self.base_url().to_string(),
                expected: *root,
                got: h.root,
            }),
            other => Ok(other),
        }
    }

    /// The headers at `slots`, fetched concurrently by the transport; one result per slot, in
    /// order, each as [`BeaconApi::header_by_slot`] would return it.
    async fn headers_by_slots(&self, slots: &[u64]) -> Vec<Result<Option<HeaderInfo>, ApiError>>;

    /// `GET /eth/v1/beacon/states/{state_id}/finality_checkpoints`.
    async fn finality_checkpoints(&self, state_id: &str) -> Result<FinalityCheckpoints, ApiError>;

    /// `GET /eth/v2/debug/beacon/states/{state_id}` as SSZ, streamed; `on_progress(bytes,
    /// content_length)` after every chunk. The state is *not* verified here (that needs the
    /// expected root): the caller hashes it.
    async fn state_ssz(
        &self,
        state_id: &str,
        on_progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<SszState, ApiError>;

    /// Like [`BeaconApi::state_ssz`], but the body goes to `sink` as it arrives (a 200 answer's
    /// head is checked first: `Content-Type`, `Eth-Consensus-Version`), so the caller can hash
    /// it while it downloads and keep its only copy; the returned [`SszState`] then has empty
    /// `bytes`. The default downloads the whole state with `state_ssz` and hands it over in
    /// one chunk (for implementations over canned data).
    async fn state_ssz_into(
        &self,
        state_id: &str,
        sink: &mut dyn BodySink,
    ) -> Result<SszState, ApiError> {
        let mut state = self.state_ssz(state_id, &mut |_, _| {}).await?;
        let len = state.bytes.len() as u64;
        let mut headers = vec![("content-type".to_string(), ACCEPT_SSZ.to_string())];
        if let Some(f) = state.consensus_version {
            headers.push((CONSENSUS_VERSION_HEADER.to_ascii_lowercase(), f.to_string()));
        }
        if sink.begin(200, &headers, Some(len))? {
            let bytes = std::mem::take(&mut state.bytes);
            sink.chunk(&bytes).await?;
        }
        Ok(state)
    }

    /// `GET /eth/v2/beacon/blocks/{root}` as SSZ: the `SignedBeaconBlock` the provider serves for
    /// `root`, *not* verified here (the caller decodes it at the fork of its slot and checks that
    /// it hashes to `root`). A 404 is an [`ApiError::HttpStatus`]: the block was asked for by the
    /// root of a header the caller already holds, so the provider should have it.
    async fn block_ssz(&self, root: &Root) -> Result<RawBody, ApiError>;

    /// `GET /eth/v1/beacon/execution_payload_envelopes/{block_root}` as SSZ (Gloas on; the plural
    /// name beacon-APIs#613 settled on, as Teku serves it; the earlier singular name is not asked,
    /// since a 404 for an unknown route would read as "no envelope"): the
    /// `SignedExecutionPayloadEnvelope` of the block, *not* verified here. `Ok(None)` on 404: the
    /// provider holds no envelope for the block (it was never delivered, or not to this node).
    /// A provider without the call answers an [`ApiError::HttpStatus`] 501, never "no envelope".
    async fn execution_payload_envelope_ssz(
        &self,
        block_root: &Root,
    ) -> Result<Option<RawBody>, ApiError> {
        Err(ApiError::HttpStatus {
            url: format!(
                "{}/eth/v1/beacon/execution_payload_envelopes/0x{}",
                self.base_url(),
                hex::encode(block_root)
            ),
            status: 501,
            retry_after_seconds: None,
            message: "this provider does not serve execution payload envelopes".into(),
        })
    }

    /// `GET /eth/v1/beacon/light_client/bootstrap/{block_root}` (JSON), for the light client.
    async fn light_client_bootstrap(&self, block_root: &Root) -> Result<RawBody, ApiError>;

    /// `GET /eth/v1/beacon/light_client/updates?start_period=&count=` (JSON array).
    async fn light_client_updates(
        &self,
        start_period: u64,
        count: u64,
    ) -> Result<RawBody, ApiError>;

    /// `GET /eth/v1/beacon/light_client/finality_update` (JSON).
    async fn light_client_finality_update(&self) -> Result<RawBody, ApiError>;
}

fn check_header_slot(
    url: &str,
    slot: u64,
    found: Option<HeaderInfo>,
) -> Result<Option<HeaderInfo>, ApiError> {
    match found {
        Some(h) if h.header.slot != slot => Err(ApiError::Decode {
            url: url.to_string(),
            what: "header by slot",
            reason: format!(
                "expected a header at slot {slot}, got slot {}",
                h.header.slot
            ),
        }),
        other => Ok(other),
    }
}

/// The Beacon API over HTTP: a base URL and a [`Transport`].
#[derive(Debug, Clone)]
pub struct HttpBeaconApi<T> {
    base: String,
    /// `base` with credentials redacted: the provider's name in errors and anchors.
    name: String,
    transport: T,
    /// Ceiling of a state body: the network's preset's, else the larger of the presets'.
    state_max_bytes: u64,
}

impl<T: Transport> HttpBeaconApi<T> {
    /// A client for the node at `base_url` (`http://127.0.0.1:5052`; a trailing `/` is dropped).
    pub fn new(base_url: &str, transport: T) -> Self {
        let base = base_url.trim_end_matches('/').to_string();
        HttpBeaconApi {
            name: redact_credentials(&base),
            base,
            transport,
            state_max_bytes: limits::state_max_bytes_any_preset(),
        }
    }

    /// Bounds state bodies by `preset`'s ceiling ([`limits::state_max_bytes`]).
    pub fn with_preset(mut self, preset: PresetName) -> Self {
        self.state_max_bytes = limits::state_max_bytes(preset);
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GET that must succeed with 200, with a body of at most `max_bytes`.
    async fn get_ok(
        &self,
        path: &str,
        accept: &str,
        max_bytes: u64,
    ) -> Result<HttpResponse, ApiError> {
        let url = self.url(path);
        let resp = self.transport.get(&url, accept, max_bytes).await?;
        parse::expect_ok(&url, resp, self.transport.now_unix_seconds())
    }

    /// GET where 404 means "not there", with a body of at most `max_bytes`.
    async fn get_optional(
        &self,
        path: &str,
        accept: &str,
        max_bytes: u64,
    ) -> Result<Option<HttpResponse>, ApiError> {
        let url = self.url(path);
        let resp = self.transport.get(&url, accept, max_bytes).await?;
        parse::expect_optional(&url, resp, self.transport.now_unix_seconds())
    }
}

impl<T: Transport> BeaconApi for HttpBeaconApi<T> {
    fn base_url(&self) -> &str {
        &self.name
    }

    async fn genesis(&self) -> Result<Genesis, ApiError> {
        let path = "/eth/v1/beacon/genesis";
        let resp = self
            .get_ok(path, ACCEPT_JSON, limits::GENESIS_MAX_BYTES)
            .await?;
        parse::genesis(&self.url(path), &resp.body)
    }

    async fn spec(&self) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
        let path = "/eth/v1/config/spec";
        let resp = self
            .get_ok(path, ACCEPT_JSON, limits::SPEC_MAX_BYTES)
            .await?;
        parse::spec(&self.url(path), &resp.body)
    }

    async fn header(&self, block_id: &str) -> Result<Option<HeaderInfo>, ApiError> {
        let path = format!("/eth/v1/beacon/headers/{block_id}");
        match self
            .get_optional(&path, ACCEPT_JSON, limits::HEADER_MAX_BYTES)
            .await?
        {
            None => Ok(None),
            Some(resp) => parse::header(&self.url(&path), &resp.body).map(Some),
        }
    }

    async fn headers_by_slots(&self, slots: &[u64]) -> Vec<Result<Option<HeaderInfo>, ApiError>> {
        let urls: Vec<String> = slots
            .iter()
            .map(|s| self.url(&format!("/eth/v1/beacon/headers/{s}")))
            .collect();
        let answers = self
            .transport
            .get_many(&urls, ACCEPT_JSON, limits::HEADER_MAX_BYTES)
            .await;
        let now = self.transport.now_unix_seconds();
        answers
            .into_iter()
            .zip(slots.iter().zip(&urls))
            .map(|(answer, (slot, url))| {
                let resp = parse::expect_optional(url, answer?, now)?;
                let found = match resp {
                    None => None,
                    Some(r) => Some(parse::header(url, &r.body)?),
                };
                check_header_slot(&self.name, *slot, found)
            })
            .collect()
    }

    async fn finality_checkpoints(&self, state_id: &str) -> Result<FinalityCheckpoints, ApiError> {
        validate_state_id(state_id)?;
        let path = format!("/eth/v1/beacon/states/{state_id}/finality_checkpoints");
        let resp = self
            .get_ok(&path, ACCEPT_JSON, limits::FINALITY_CHECKPOINTS_MAX_BYTES)
            .await?;
        parse::finality_checkpoints(&self.url(&path), &resp.body)
    }

    async fn state_ssz(
        &self,
        state_id: &str,
        on_progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<SszState, ApiError> {
        let mut sink = CollectingSink::new(on_progress);
        let mut state = self.state_ssz_into(state_id, &mut sink).await?;
        state.bytes = sink.into_body();
        Ok(state)
    }

    async fn state_ssz_into(
        &self,
        state_id: &str,
        sink: &mut dyn BodySink,
    ) -> Result<SszState, ApiError> {
        validate_state_id(state_id)?;
        let url = self.url(&format!("/eth/v2/debug/beacon/states/{state_id}"));
        // The head is checked before the sink sees a byte: a JSON answer or an unknown fork
        // never reaches the hasher.
        let mut checked = StateHeadCheck { url: &url, sink };
        let resp = self
            .transport
            .get_streaming(&url, ACCEPT_SSZ, self.state_max_bytes, &mut checked)
            .await?;
        let resp = parse::expect_ok(&url, resp, self.transport.now_unix_seconds())?;
        parse::ssz_state(&url, resp)
    }

    async fn block_ssz(&self, root: &Root) -> Result<RawBody, ApiError> {
        let path = format!("/eth/v2/beacon/blocks/0x{}", hex::encode(root));
        let resp = self
            .get_ok(&path, ACCEPT_SSZ, limits::BLOCK_MAX_BYTES)
            .await?;
        parse::raw_body(&self.url(&path), resp)
    }

    async fn execution_payload_envelope_ssz(
        &self,
        block_root: &Root,
    ) -> Result<Option<RawBody>, ApiError> {
        let path = format!(
            "/eth/v1/beacon/execution_payload_envelopes/0x{}",
            hex::encode(block_root)
        );
        let Some(resp) = self
            .get_optional(&path, ACCEPT_SSZ, limits::BLOCK_MAX_BYTES)
            .await?
        else {
            return Ok(None);
        };
        parse::raw_body(&self.url(&path), resp).map(Some)
    }

    async fn light_client_bootstrap(&self, block_root: &Root) -> Result<RawBody, ApiError> {
        let path = format!(
            "/eth/v1/beacon/light_client/bootstrap/0x{}",
            hex::encode(block_root)
        );
        let resp = self
            .get_ok(&path, ACCEPT_JSON, limits::LIGHT_CLIENT_OBJECT_MAX_BYTES)
            .await?;
        parse::raw_body(&self.url(&path), resp)
    }

    async fn light_client_updates(
        &self,
        start_period: u64,
        count: u64,
    ) -> Result<RawBody, ApiError> {
        let path = format!(
            "/eth/v1/beacon/light_client/updates?start_period={start_period}&count={count}"
        );
        let max = limits::light_client_updates_max_bytes(count);
        let resp = self.get_ok(&path, ACCEPT_JSON, max).await?;
        parse::raw_body(&self.url(&path), resp)
    }

    async fn light_client_finality_update(&self) -> Result<RawBody, ApiError> {
        let path = "/eth/v1/beacon/light_client/finality_update";
        let resp = self
            .get_ok(path, ACCEPT_JSON, limits::LIGHT_CLIENT_FINALITY_MAX_BYTES)
            .await?;
        parse::raw_body(&self.url(path), resp)
    }
}

/// Checks a state answer's head (for a 200) before handing the body to the caller's sink.
struct StateHeadCheck<'s> {
    url: &'s str,
    sink: &'s mut dyn BodySink,
}

impl BodySink for StateHeadCheck<'_> {
    fn begin(
        &mut self,
        status: u16,
        headers: &[(String, String)],
        content_length: Option<u64>,
    ) -> Result<bool, ApiError> {
        if status != 200 {
            return Ok(false);
        }
        parse::ssz_state_head(self.url, headers)?;
        self.sink.begin(status, headers, content_length)
    }

    fn chunk<'a>(&'a mut self, bytes: &'a [u8]) -> LocalBoxFuture<'a, Result<(), ApiError>> {
        self.sink.chunk(bytes)
    }
}

/// The fork named by the `Eth-Consensus-Version` among response headers: `Ok(None)` when the
/// header is absent (a browser hides it unless CORS exposes it), [`ApiError::Decode`] when it
/// names no known fork.
pub fn consensus_version(
    url: &str,
    headers: &[(String, String)],
) -> Result<Option<ForkName>, ApiError> {
    header_in(headers, CONSENSUS_VERSION_HEADER)
        .map(|v| {
            v.parse::<ForkName>().map_err(|e| ApiError::Decode {
                url: url.to_string(),
                what: CONSENSUS_VERSION_HEADER,
                reason: e.to_string(),
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_ids() {
        for ok in [
            "head",
            "finalized",
            "123",
            &format!("0x{}", "ab".repeat(32)),
        ] {
            assert!(validate_state_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Head", "-1", "0x12", "../x", "1 2"] {
            let err = validate_state_id(bad).unwrap_err();
            assert_eq!(err.code(), "INVALID_ARGUMENT", "{bad}");
        }
    }

    #[test]
    fn credentials_are_redacted_from_urls_and_messages() {
        assert_eq!(
            redact_credentials("http://user:s3cret@10.0.0.1:5052/eth/v1/beacon/genesis"),
            "http://***@10.0.0.1:5052/eth/v1/beacon/genesis"
        );
        assert_eq!(
            redact_credentials("GET https://tok@a.example/x failed; try http://b.example?q=u@v"),
            "GET https://***@a.example/x failed; try http://b.example?q=u@v"
        );
        assert_eq!(redact_credentials("no url here"), "no url here");
        #[cfg(not(target_arch = "wasm32"))]
        {
            let api = HttpBeaconApi::new("http://alice:pw@127.0.0.1:1/", UreqTransport::new(1, 1));
            assert_eq!(api.base, "http://alice:pw@127.0.0.1:1");
            assert_eq!(api.base_url(), "http://***@127.0.0.1:1");
        }
        let e = ApiError::Network {
            url: "http://alice:pw@127.0.0.1:1/eth/v1/beacon/genesis".into(),
            reason: "http://alice:pw@127.0.0.1:1/eth/v1/beacon/genesis: refused".into(),
        };
        let text = e.to_string();
        assert!(!text.contains("pw"), "{text}");
        assert!(text.contains("http://***@127.0.0.1:1/eth"), "{text}");
    }

    #[test]
    fn only_http_and_https_base_urls_are_accepted() {
        for ok in [
            "http://127.0.0.1:5052",
            "HTTPS://node.example/api",
            "http://u:p@h",
        ] {
            assert!(validate_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://h",
            "file:///etc",
            "127.0.0.1:5052",
            "",
            "http://",
            "https:///x",
            "ws://h",
        ] {
            let e = validate_base_url(bad).unwrap_err();
            assert_eq!(e.code(), "INVALID_ARGUMENT", "{bad}");
            assert!(e.to_string().contains("http:// or https://"), "{e}");
        }
        let e = validate_base_url("ftp://bob:hunter2@h").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
