//! The one error type of the Beacon API client.

use std::fmt;

use super::Root;
use crate::types::hex0x;

/// Why a Beacon API call gave no usable answer. `url` always names the request, so errors from
/// several providers can be told apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The node answered with a status other than 200 (and other than 404 where 404 means "not
    /// there"). Retry later for 429/503 (after `retry_after_seconds` when given) and 5xx; a 4xx
    /// other than 429 will not change by retrying with the same request.
    HttpStatus {
        /// The request.
        url: String,
        /// The status code received.
        status: u16,
        /// `Retry-After` in seconds from when the answer arrived, when the node sent one
        /// (delay-seconds, or an HTTP-date measured against the answer's `Date` or the
        /// transport's clock). A browser sees it only if the node exposes it through CORS.
        retry_after_seconds: Option<u64>,
        /// The Beacon API error `message`, or the start of the body.
        message: String,
    },
    /// No complete answer within the timeout (for streamed bodies: no bytes for that long).
    /// Retrying may succeed; another provider may be faster.
    Timeout {
        /// The request.
        url: String,
        /// The timeout that expired, in milliseconds.
        after_ms: u64,
    },
    /// The body arrived slower than the request's minimum rate over one measuring window (see
    /// `Pace`): a stalled or trickling provider. Another provider may be faster.
    TooSlow {
        /// The request.
        url: String,
        /// Bytes one window had to bring.
        min_bytes: u64,
        /// The window, in milliseconds.
        window_ms: u64,
        /// Bytes that window brought.
        got: u64,
    },
    /// Memory for the body could not be allocated (the platform refused it). Not the client's
    /// ceiling: a smaller body, or a page with more free memory, may succeed.
    OutOfMemory {
        /// The request.
        url: String,
        /// The buffer size that was refused, in bytes.
        bytes: u64,
    },
    /// The connection failed (refused, reset, DNS, CORS rejection in a browser). Retrying later
    /// or another provider may succeed.
    Network {
        /// The request.
        url: String,
        /// What the platform reported.
        reason: String,
    },
    /// The body is larger than the transport accepts. Not retryable with the same provider.
    BodyTooLarge {
        /// The request.
        url: String,
        /// The limit, in bytes.
        limit: u64,
        /// The announced or received size, in bytes.
        got: u64,
    },
    /// The connection ended before the announced `Content-Length` arrived. Retrying may succeed.
    Truncated {
        /// The request.
        url: String,
        /// `Content-Length`, in bytes.
        expected: u64,
        /// Bytes received.
        got: u64,
    },
    /// The body (or a header such as `Eth-Consensus-Version`) is not what the Beacon API
    /// specifies. The provider is broken or lying: use another one.
    Decode {
        /// The request.
        url: String,
        /// What was being decoded.
        what: &'static str,
        /// Why it failed, as "expected …, got …" where possible.
        reason: String,
    },
    /// A header whose `hash_tree_root(message)` is not the root it was asked for or claims.
    /// The provider is broken or lying: use another one.
    HeaderRootMismatch {
        /// The request.
        url: String,
        /// The root asked for (or claimed in `data.root`).
        expected: Root,
        /// `hash_tree_root` of the header message received.
        got: Root,
    },
    /// The caller passed an argument the API cannot express (a malformed state id). Fix the
    /// argument.
    InvalidArgument {
        /// What the argument is.
        what: &'static str,
        /// What is allowed.
        expected: &'static str,
        /// What was given.
        got: String,
    },
    /// The request was cancelled by the caller (an `AbortSignal`). Not an error of the provider.
    Aborted {
        /// The request.
        url: String,
    },
}

impl ApiError {
    /// A stable code per kind of failure (the JS `Error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::HttpStatus { .. } => "HTTP_STATUS",
            ApiError::Timeout { .. } => "TIMEOUT",
            ApiError::TooSlow { .. } => "TOO_SLOW",
            ApiError::OutOfMemory { .. } => "OUT_OF_MEMORY",
            ApiError::Network { .. } => "NETWORK",
            ApiError::BodyTooLarge { .. } => "BODY_TOO_LARGE",
            ApiError::Truncated { .. } => "TRUNCATED",
            ApiError::Decode { .. } => "DECODE",
            ApiError::HeaderRootMismatch { .. } => "HEADER_ROOT_MISMATCH",
            ApiError::InvalidArgument { .. } => "INVALID_ARGUMENT",
            ApiError::Aborted { .. } => "ABORTED",
        }
    }

    /// The request URL, when the error is about one.
    pub fn url(&self) -> Option<&str> {
        match self {
            ApiError::HttpStatus { url, .. }
            | ApiError::Timeout { url, .. }
            | ApiError::TooSlow { url, .. }
            | ApiError::OutOfMemory { url, .. }
            | ApiError::Network { url, .. }
            | ApiError::BodyTooLarge { url, .. }
            | ApiError::Truncated { url, .. }
            | ApiError::Decode { url, .. }
            | ApiError::HeaderRootMismatch { url, .. }
            | ApiError::Aborted { url } => Some(url),
            ApiError::InvalidArgument { .. } => None,
        }
    }

    /// `(expected, actual)` as display strings, for the kinds that compare two values.
    pub fn expected_actual(&self) -> Option<(String, String)> {
        match self {
            ApiError::HttpStatus { status, .. } => Some(("200".into(), status.to_string())),
            ApiError::BodyTooLarge { limit, got, .. } => {
                Some((format!("at most {limit} bytes"), format!("{got} bytes")))
            }
            ApiError::Truncated { expected, got, .. } => {
                Some((format!("{expected} bytes"), format!("{got} bytes")))
            }
            ApiError::TooSlow {
                min_bytes,
                window_ms,
                got,
                ..
            } => Some((
                format!("at least {min_bytes} bytes in {window_ms} ms"),
                format!("{got} bytes"),
            )),
            ApiError::HeaderRootMismatch { expected, got, .. } => {
                Some((hex0x(expected), hex0x(got)))
            }
            ApiError::InvalidArgument { expected, got, .. } => {
                Some((expected.to_string(), got.clone()))
            }
            _ => None,
        }
    }
}

impl fmt::Display for ApiError {
    /// The message, with any credentials in URLs (the request's, or one a platform error
    /// repeats) redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::redact_credentials(&Raw(self).to_string()))
    }
}

/// An [`ApiError`]'s message as built, before redaction.
struct Raw<'a>(&'a ApiError);

impl fmt::Display for Raw<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ApiError::HttpStatus {
                url,
                status,
                retry_after_seconds,
                message,
            } => {
                write!(f, "GET {url}: expected status 200, got {status}")?;
                if let Some(s) = retry_after_seconds {
                    write!(f, " (Retry-After: {s} s)")?;
                }
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            ApiError::Timeout { url, after_ms } => {
                write!(f, "GET {url}: expected an answer within {after_ms} ms, got none")
            }
            ApiError::TooSlow {
                url,
                min_bytes,
                window_ms,
                got,
            } => write!(
                f,
                "GET {url}: expected at least {min_bytes} body bytes in {window_ms} ms, got {got} (too slow)"
            ),
            ApiError::OutOfMemory { url, bytes } => write!(
                f,
                "GET {url}: expected room for a body buffer of {bytes} bytes, got an allocation failure"
            ),
            ApiError::Network { url, reason } => write!(f, "GET {url}: connection failed: {reason}"),
            ApiError::BodyTooLarge { url, limit, got } => write!(
                f,
                "GET {url}: expected a body of at most {limit} bytes, got {got}"
            ),
            ApiError::Truncated { url, expected, got } => write!(
                f,
                "GET {url}: expected {expected} body bytes (Content-Length), got {got} before the connection closed"
            ),
            ApiError::Decode { url, what, reason } => {
                write!(f, "GET {url}: invalid {what}: {reason}")
            }
            ApiError::HeaderRootMismatch { url, expected, got } => write!(
                f,
                "GET {url}: expected a header with root {}, got one whose hash_tree_root is {}",
                hex0x(expected),
                hex0x(got)
            ),
            ApiError::InvalidArgument {
                what,
                expected,
                got,
            } => write!(f, "invalid {what}: expected {expected}, got {got:?}"),
            ApiError::Aborted { url } => write!(f, "GET {url}: aborted by the caller"),
        }
    }
}

impl std::error::Error for ApiError {}
