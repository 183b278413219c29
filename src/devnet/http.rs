//! A deliberately small HTTP/1.1 server on `std::net`.
//!
//! The devnet exists to exercise a client's error paths over real sockets, so it must control every
//! byte it sends: a truncated body must stop exactly where the fault says, a trickled body must
//! arrive in the chunk sizes asked for, an oversized body must be streamed without allocating it.
//! A general-purpose framework would hide those details (and cost minutes of compile time on the
//! two-core build machine), so this module parses requests and writes responses by hand:
//! one thread per connection, keep-alive, bodies framed by `Content-Length`. The one exception is
//! a [`Stream`] (the `/eth/v1/events` server-sent events): it is sent with chunked transfer
//! encoding, as real beacon nodes do, for as long as the stream and the client last; since every
//! connection has its own thread, a long-lived stream never blocks other requests.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Largest request head (request line plus headers) accepted, in bytes; Beacon API requests are
/// a few hundred bytes, so anything bigger is a broken or hostile client.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Largest request body accepted (only the control endpoint reads bodies), in bytes.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How long an idle keep-alive connection is kept open, in seconds. Browsers keep a handful of
/// idle connections per origin; closing them after a while bounds the thread count.
const IDLE_TIMEOUT_SECS: u64 = 30;

/// An HTTP method the devnet understands; anything else is answered with 405.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Options,
    Post,
    Delete,
    Other,
}

/// A parsed request: method, decoded path, raw query pairs and headers (names lower-cased).
#[derive(Clone, Debug)]
pub struct Request {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of query parameter `name`.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A response body: shared bytes (a multi-hundred-megabyte state is served from one `Arc` to any
/// number of connections without copying), optionally with one byte replaced and padding appended.
#[derive(Clone, Debug, Default)]
pub struct Body {
    pub bytes: Arc<Vec<u8>>,
    /// `(offset, value)`: the byte at `offset` is sent as `value` (the "flipped byte" fault).
    pub patch: Option<(usize, u8)>,
    /// Number of extra bytes (`0x20`, a JSON-neutral space) sent after `bytes`; counted in
    /// `Content-Length` (the "oversized body" fault).
    pub padding: u64,
}

impl Body {
    pub fn new(bytes: Vec<u8>) -> Body {
        Body {
            bytes: Arc::new(bytes),
            patch: None,
            padding: 0,
        }
    }

    pub fn shared(bytes: Arc<Vec<u8>>) -> Body {
        Body {
            bytes,
            patch: None,
            padding: 0,
        }
    }

    /// Total length in bytes, as announced in `Content-Length`.
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64 + self.padding
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How the body is put on the wire; the non-`Normal` variants are faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Normal,
    /// Announce the full `Content-Length`, send only the first `bytes` bytes, then close.
    Truncate {
        bytes: u64,
    },
    /// Send `chunk` bytes, sleep `delay_ms` milliseconds, repeat.
    Trickle {
        chunk: usize,
        delay_ms: u64,
    },
    /// Read the request and send nothing; close after `hold_ms` milliseconds.
    NoResponse {
        hold_ms: u64,
    },
    /// Announce `Content-Length: length` whatever the body's size, send its first `send`
    /// bytes, hold the connection `hold_ms` milliseconds, then close.
    Claim {
        length: u64,
        send: u64,
        hold_ms: u64,
    },
    /// No `Content-Length`: the body (bytes and padding) ends when the connection closes.
    CloseDelimited,
}

/// A streamed body: called once with the connection's writer and the server's stop flag, it
/// writes until it returns or a write fails (the client went away). The server frames what it
/// writes with chunked transfer encoding and closes the connection afterwards.
pub type StreamFn = dyn Fn(&mut dyn Write, &AtomicBool) -> io::Result<()> + Send + Sync;

/// A streamed response body (see [`StreamFn`]).
#[derive(Clone)]
pub struct Stream(pub Arc<StreamFn>);

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stream")
    }
}

/// A response ready to be written.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    pub delivery: Delivery,
    /// When set, the body is this stream instead of `body`.
    pub stream: Option<Stream>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: Body::new(body),
            delivery: Delivery::Normal,
            stream: None,
        }
    }

    /// A `200` streamed response of `content_type` (see [`Stream`]).
    pub fn streamed(content_type: &str, stream: Arc<StreamFn>) -> Response {
        let mut r = Response::new(200, content_type, Vec::new());
        r.stream = Some(Stream(stream));
        r
    }

    pub fn json(status: u16, value: &serde_json::Value) -> Response {
        let bytes = serde_json::to_vec(value).unwrap_or_default();
        Response::new(status, "application/json", bytes)
    }

    /// A Beacon API error body: `{"code": status, "message": ...}`.
    pub fn error(status: u16, message: &str) -> Response {
        Response::json(
            status,
            &serde_json::json!({ "code": status, "message": message }),
        )
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.set_header(name, value);
        self
    }

    /// Sets (replacing any previous value) header `name`.
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.remove_header(name);
        self.headers.push((name.to_string(), value.to_string()));
    }

    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        206 => "Partial Content",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Anything that answers requests; shared by all connection threads of one listener.
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, req: &Request) -> Response;
}

/// A running listener; dropping it (or calling [`Server::shutdown`]) stops accepting.
pub struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Binds `127.0.0.1:port` (0 picks a free port) and serves `handler` on a background thread.
    pub fn bind(port: u16, handler: Arc<dyn Handler>) -> io::Result<Server> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("devnet-accept-{port}"))
            .spawn(move || accept_loop(listener, handler, stop2))?;
        Ok(Server {
            port,
            stop,
            thread: Some(thread),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops accepting new connections and waits for the accept thread; connections already open
    /// finish their current response and then close.
    pub fn shutdown(&mut self) {
        if self.stop.swap(true, Ordering::SeqCst) {
            return;
        }
        // Wake the blocking accept() with a throwaway connection.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(listener: TcpListener, handler: Arc<dyn Handler>, stop: Arc<AtomicBool>) {
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = conn else { continue };
        let handler = handler.clone();
        let stop = stop.clone();
        let _ = std::thread::Builder::new()
            .name("devnet-conn".into())
            .spawn(move || {
                let _ = serve_connection(stream, handler.as_ref(), &stop);
            });
    }
}

fn serve_connection(stream: TcpStream, handler: &dyn Handler, stop: &AtomicBool) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(IDLE_TIMEOUT_SECS)))?;
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        let req = match read_request(&mut reader) {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(()),
            Err(ReadError::Io(e)) => return Err(e),
            Err(ReadError::Bad(status, msg)) => {
                let mut resp = Response::error(status, &msg);
                resp.set_header("Connection", "close");
                write_response(&mut writer, &resp, false)?;
                return Ok(());
            }
        };
        let keep_alive = !req
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let resp = handler.handle(&req);
        if let Some(stream) = &resp.stream {
            return write_stream(&mut writer, &resp, stream, req.method != Method::Head, stop);
        }
        match resp.delivery {
            Delivery::NoResponse { hold_ms } => {
                std::thread::sleep(Duration::from_millis(hold_ms));
                return Ok(());
            }
            Delivery::Truncate { .. } | Delivery::Claim { .. } | Delivery::CloseDelimited => {
                write_response(&mut writer, &resp, req.method != Method::Head)?;
                writer.flush()?;
                if let Delivery::Claim { hold_ms, .. } = resp.delivery {
                    std::thread::sleep(Duration::from_millis(hold_ms));
                }
                let _ = writer.shutdown(std::net::Shutdown::Both);
                return Ok(());
            }
            _ => {}
        }
        write_response(&mut writer, &resp, req.method != Method::Head)?;
        writer.flush()?;
        if !keep_alive || resp.header("Connection") == Some("close") {
            return Ok(());
        }
    }
}

enum ReadError {
    Io(io::Error),
    Bad(u16, String),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// Reads one request; `Ok(None)` on a clean close before any byte.
fn read_request<R: BufRead>(reader: &mut R) -> Result<Option<Request>, ReadError> {
    let mut head = Vec::new();
    let mut lines = Vec::new();
    loop {
        let mut line = Vec::new();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            if lines.is_empty() {
                return Ok(None);
            }
            return Err(ReadError::Io(io::ErrorKind::UnexpectedEof.into()));
        }
        head.extend_from_slice(&line);
        if head.len() > MAX_HEAD_BYTES {
            return Err(ReadError::Bad(
                431,
                format!("request head larger than {MAX_HEAD_BYTES} bytes"),
            ));
        }
        let text = String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_string();
        if text.is_empty() {
            if lines.is_empty() {
                continue; // tolerate stray CRLF between keep-alive requests
            }
            break;
        }
        lines.push(text);
    }
    let mut parts = lines[0].split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(ReadError::Bad(
            400,
            format!("malformed request line `{}`", lines[0]),
        ));
    };
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "OPTIONS" => Method::Options,
        "POST" => Method::Post,
        "DELETE" => Method::Delete,
        _ => Method::Other,
    };
    let mut headers = Vec::new();
    for l in &lines[1..] {
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let (raw_path, raw_query) = target.split_once('?').unwrap_or((target, ""));
    let path = percent_decode(raw_path);
    let query = parse_query(raw_query);
    let mut req = Request {
        method,
        path,
        query,
        headers,
        body: Vec::new(),
    };
    if let Some(len) = req.header("content-length") {
        let len: usize = len.parse().map_err(|_| {
            ReadError::Bad(
                400,
                format!("expected a decimal Content-Length, got `{len}`"),
            )
        })?;
        if len > MAX_BODY_BYTES {
            return Err(ReadError::Bad(
                413,
                format!("request body larger than {MAX_BODY_BYTES} bytes"),
            ));
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body)?;
        req.body = body;
    } else if req
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        return Err(ReadError::Bad(
            501,
            "chunked request bodies are not supported".into(),
        ));
    }
    Ok(Some(req))
}

/// Splits `a=1&b=2` into decoded pairs (a bare `a` gives `("a", "")`).
pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Decodes `%XX` escapes and `+` (as a space, form style); invalid escapes are kept verbatim.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes a streamed response: the head with `Transfer-Encoding: chunked`, then every write of
/// the stream as one chunk, then the last chunk. The connection closes afterwards.
fn write_stream(
    w: &mut TcpStream,
    resp: &Response,
    stream: &Stream,
    with_body: bool,
    stop: &AtomicBool,
) -> io::Result<()> {
    let mut head = head(resp, &["content-length", "connection"]);
    head.push_str("Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    w.write_all(head.as_bytes())?;
    w.flush()?;
    if !with_body {
        return Ok(());
    }
    let mut chunked = Chunked { inner: w };
    let result = (stream.0)(&mut chunked, stop);
    w.write_all(b"0\r\n\r\n")?;
    w.flush()?;
    result
}

/// Frames every write as one HTTP/1.1 chunk and sends it at once (events must not wait in a
/// buffer).
struct Chunked<'a> {
    inner: &'a mut TcpStream,
}

impl Write for Chunked<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut out = format!("{:x}\r\n", buf.len()).into_bytes();
        out.extend_from_slice(buf);
        out.extend_from_slice(b"\r\n");
        self.inner.write_all(&out)?;
        self.inner.flush()?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Bytes written per `write` call; also the granularity at which a stalled client is noticed.
const WRITE_CHUNK: usize = 256 * 1024;

/// The status line and the headers of `resp` but those named in `framing` (the writer sets them).
fn head(resp: &Response, framing: &[&str]) -> String {
    let mut head = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    for (k, v) in &resp.headers {
        if !framing.iter().any(|f| k.eq_ignore_ascii_case(f)) {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head
}

fn write_response<W: Write>(w: &mut W, resp: &Response, with_body: bool) -> io::Result<()> {
    let mut head = head(resp, &["content-length"]);
    match resp.delivery {
        Delivery::CloseDelimited => head.push_str("Connection: close\r\n\r\n"),
        Delivery::Claim { length, .. } => {
            head.push_str(&format!("Content-Length: {length}\r\n\r\n"))
        }
        _ => head.push_str(&format!("Content-Length: {}\r\n\r\n", resp.body.len())),
    }
    w.write_all(head.as_bytes())?;
    if !with_body {
        return Ok(());
    }
    let limit = match resp.delivery {
        Delivery::Truncate { bytes } => bytes.min(resp.body.len()),
        Delivery::Claim { send, .. } => send.min(resp.body.len()),
        _ => resp.body.len(),
    };
    let (chunk, delay) = match resp.delivery {
        Delivery::Trickle { chunk, delay_ms } => (chunk.max(1), Duration::from_millis(delay_ms)),
        _ => (WRITE_CHUNK, Duration::ZERO),
    };
    let body = &resp.body;
    let data = body.bytes.as_slice();
    let mut sent: u64 = 0;
    let mut scratch = Vec::new();
    while sent < limit {
        let want = ((limit - sent) as usize).min(chunk);
        let start = sent as usize;
        if start < data.len() {
            let end = (start + want).min(data.len());
            let slice = &data[start..end];
            match body.patch {
                Some((off, val)) if off >= start && off < end => {
                    scratch.clear();
                    scratch.extend_from_slice(slice);
                    scratch[off - start] = val;
                    w.write_all(&scratch)?;
                }
                _ => w.write_all(slice)?,
            }
            sent += (end - start) as u64;
        } else {
            scratch.clear();
            scratch.resize(want, b' ');
            w.write_all(&scratch)?;
            sent += want as u64;
        }
        if !delay.is_zero() {
            w.flush()?;
            std::thread::sleep(delay);
        }
    }
    Ok(())
}

/// The media types the devnet can produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    Json,
    Ssz,
}

impl Media {
    pub fn mime(self) -> &'static str {
        match self {
            Media::Json => "application/json",
            Media::Ssz => "application/octet-stream",
        }
    }
}

/// Picks the best of `offered` (in server preference order) for an `Accept` header, honouring
/// q-values (RFC 9110 §12.5.1): the highest q wins, ties go to the server's order, q=0 excludes.
/// No header means "anything" (the Beacon API default is JSON, listed first by callers).
/// Returns `None` when nothing offered is acceptable (the caller answers 406).
pub fn negotiate(accept: Option<&str>, offered: &[Media]) -> Option<Media> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return offered.first().copied();
    };
    let mut ranges = Vec::new();
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let range = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        if range.is_empty() {
            continue;
        }
        let mut q = 1.0f32;
        for p in parts {
            if let Some((k, v)) = p.split_once('=') {
                if k.trim().eq_ignore_ascii_case("q") {
                    q = v.trim().parse().unwrap_or(0.0);
                }
            }
        }
        ranges.push((range, q));
    }
    // For each offered type, the q of the most specific matching range.
    let mut best: Option<(Media, f32)> = None;
    for &m in offered {
        let mime = m.mime();
        let (ty, _) = mime.split_once('/').unwrap_or((mime, ""));
        let mut found: Option<(u8, f32)> = None;
        for (range, q) in &ranges {
            let specificity = if range == mime {
                3
            } else if range.strip_suffix("/*") == Some(ty) {
                2
            } else if range == "*/*" {
                1
            } else {
                continue;
            };
            if found.is_none_or(|(s, _)| specificity > s) {
                found = Some((specificity, *q));
            }
        }
        if let Some((_, q)) = found {
            if q > 0.0 && best.is_none_or(|(_, bq)| q > bq) {
                best = Some((m, q));
            }
        }
    }
    best.map(|(m, _)| m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_q_values() {
        use Media::*;
        let both = [Json, Ssz];
        assert_eq!(negotiate(None, &both), Some(Json));
        assert_eq!(
            negotiate(Some("application/octet-stream"), &both),
            Some(Ssz)
        );
        assert_eq!(
            negotiate(
                Some("application/octet-stream;q=1,application/json;q=0.9"),
                &both
            ),
            Some(Ssz)
        );
        assert_eq!(
            negotiate(
                Some("application/octet-stream;q=0.5,application/json;q=0.9"),
                &both
            ),
            Some(Json)
        );
        assert_eq!(negotiate(Some("*/*"), &both), Some(Json));
        assert_eq!(
            negotiate(Some("application/*;q=0.2, application/json;q=0"), &both),
            Some(Ssz)
        );
        assert_eq!(negotiate(Some("text/html"), &both), None);
        assert_eq!(negotiate(Some("application/json"), &[Ssz]), None);
    }

    #[test]
    fn query_and_escapes() {
        assert_eq!(
            parse_query("a=1&b=%2Feth%2F*&c"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "/eth/*".into()),
                ("c".into(), "".into())
            ]
        );
        assert_eq!(percent_decode("100%"), "100%");
    }
}
