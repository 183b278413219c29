//! Plain-Rust parsing and checking of Beacon API answers, shared by every transport.

use serde::Deserialize;
use serde_json::Value;
use ssz::Decode;
use tree_hash::TreeHash;

use super::{consensus_version, ApiError, HttpResponse, Root};
use crate::types::json::json_to_ssz;
use crate::types::phase0::{BeaconBlockHeader, Checkpoint, SignedBeaconBlockHeader};
use crate::types::{ContainerType, ForkName, SszSchema, SszType};

/// How much of an error body is quoted in an error message, in characters.
const ERROR_BODY_QUOTE_CHARS: usize = 200;

/// `/eth/v1/beacon/genesis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Genesis {
    /// Genesis time, in unix seconds.
    pub genesis_time: u64,
    /// `genesis_validators_root`: identifies the network.
    pub genesis_validators_root: Root,
    /// `GENESIS_FORK_VERSION`.
    pub genesis_fork_version: [u8; 4],
}

/// One block header from `/eth/v1/beacon/headers/{block_id}`, its root already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderInfo {
    /// The block root: `hash_tree_root(header)`, equal to the `root` the node claimed.
    pub root: Root,
    /// Whether the node says the block is on its canonical chain (informational only).
    pub canonical: bool,
    /// The header message.
    pub header: BeaconBlockHeader,
    /// The proposer's signature over the header (96 bytes, not verified here).
    pub signature: [u8; 96],
}

impl HeaderInfo {
    /// The 112-byte SSZ encoding of [`Self::header`] (what the store keeps).
    pub fn ssz_bytes(&self) -> [u8; 112] {
        let mut out = [0u8; 112];
        out[0..8].copy_from_slice(&self.header.slot.to_le_bytes());
        out[8..16].copy_from_slice(&self.header.proposer_index.to_le_bytes());
        out[16..48].copy_from_slice(self.header.parent_root.as_slice());
        out[48..80].copy_from_slice(self.header.state_root.as_slice());
        out[80..112].copy_from_slice(self.header.body_root.as_slice());
        out
    }
}

/// `/eth/v1/beacon/states/{state_id}/finality_checkpoints`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct FinalityCheckpoints {
    /// The previous justified checkpoint.
    pub previous_justified: Checkpoint,
    /// The current justified checkpoint.
    pub current_justified: Checkpoint,
    /// The finalized checkpoint.
    pub finalized: Checkpoint,
}

/// A state's SSZ bytes as served, not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SszState {
    /// The request.
    pub url: String,
    /// The fork named by `Eth-Consensus-Version`, or `None` when the header is absent (a
    /// browser hides it unless the node lists it in `Access-Control-Expose-Headers`).
    pub consensus_version: Option<ForkName>,
    /// The SSZ `BeaconState`.
    pub bytes: Vec<u8>,
}

/// A body handed on undecoded (light-client objects, decoded by `crate::light`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBody {
    /// The request.
    pub url: String,
    /// The fork named by `Eth-Consensus-Version`, if the node sent (and CORS exposed) it.
    pub consensus_version: Option<ForkName>,
    /// `Content-Type`, if sent.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// A Beacon API answer's JSON, or [`ApiError::Decode`] saying what was expected.
///
/// Every answer is read as a `serde_json::Value` and its parts picked out by hand or through
/// an SSZ schema (`types::json`), which the wasm carries anyway for consensus containers:
/// derived `Deserialize` impls would add a serde_json visitor per answer type.
fn decode_json(url: &str, what: &'static str, body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| decode_error(url, what, e.to_string()))
}

fn decode_error(url: &str, what: &'static str, reason: String) -> ApiError {
    ApiError::Decode {
        url: url.to_string(),
        what,
        reason: format!("expected {what} JSON, got {reason}"),
    }
}

/// The `data` of a `{"data": …}` answer.
fn data_of(url: &str, what: &'static str, body: &[u8]) -> Result<Value, ApiError> {
    match decode_json(url, what, body)? {
        Value::Object(mut envelope) => envelope
            .remove("data")
            .ok_or_else(|| decode_error(url, what, "an object without a `data` field".into())),
        _ => Err(decode_error(
            url,
            what,
            "a JSON value that is no object".into(),
        )),
    }
}

/// `data` read through `schema` (a container of the answer's fields) into its SSZ bytes.
fn data_ssz(
    url: &str,
    what: &'static str,
    data: &Value,
    schema: &SszType,
) -> Result<Vec<u8>, ApiError> {
    json_to_ssz(schema, data)
        .map_err(|e| decode_error(url, what, format!("data{}: {}", &e.path[1..], e.reason)))
}

fn error_message(body: &[u8]) -> String {
    if let Ok(Value::Object(mut error)) = serde_json::from_slice(body) {
        if let Some(Value::String(m)) = error.remove("message") {
            return m;
        }
    }
    String::from_utf8_lossy(body)
        .chars()
        .take(ERROR_BODY_QUOTE_CHARS)
        .collect()
}

/// Seconds per day, for HTTP-date arithmetic.
const SECONDS_PER_DAY: i64 = 86_400;

/// Days from 1970-01-01 to the proleptic Gregorian date `y-m-d` (negative before 1970).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    // Years counted from March, so the leap day is the last day of the "year" (see Howard
    // Hinnant, "chrono-Compatible Low-Level Date Algorithms").
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil year of the day `days` after 1970-01-01.
fn civil_year(days: i64) -> i64 {
    let mut y = 1970 + days * 400 / 146_097;
    while days_from_civil(y + 1, 1, 1) <= days {
        y += 1;
    }
    while days_from_civil(y, 1, 1) > days {
        y -= 1;
    }
    y
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// `HH:MM:SS` as seconds of the day (a leap second `:60` is accepted, as RFC 9110 allows).
fn time_of_day(s: &str) -> Option<i64> {
    let mut it = s.split(':');
    let mut part = |max: i64| -> Option<i64> {
        let p = it.next()?;
        if p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: i64 = p.parse().ok()?;
        (v <= max).then_some(v)
    };
    let (h, m, sec) = (part(23)?, part(59)?, part(60)?);
    it.next().is_none().then_some(h * 3600 + m * 60 + sec)
}

fn month_number(s: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    MONTHS.iter().position(|m| *m == s).map(|i| i as i64 + 1)
}

fn digits(s: &str, len: usize) -> Option<i64> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// An HTTP-date (RFC 9110 §5.6.7) as unix seconds, in any of the three forms a recipient must
/// accept: IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850 form
/// `Sunday, 06-Nov-94 08:49:37 GMT` and asctime `Sun Nov  6 08:49:37 1994`. A two-digit RFC 850
/// year is the one in the century that puts the date at most 50 years after `now_unix` (the
/// RFC's rule), or after 1970 when no clock is known. The day name is not checked against the
/// date, as the RFC does not require it. `None` when the text is none of these forms.
pub fn parse_http_date(s: &str, now_unix: Option<u64>) -> Option<u64> {
    let s = s.trim();
    let (day_name, rest) = s.split_once([',', ' '])?;
    if day_name.len() < 3 || !day_name.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let fields: Vec<&str> = rest.split(' ').filter(|f| !f.is_empty()).collect();
    let (y, m, d, secs) = if s.as_bytes()[day_name.len()] == b',' {
        match fields.as_slice() {
            // IMF-fixdate: day month year time GMT.
            [d, mon, y, t, "GMT"] if day_name.len() == 3 => (
                digits(y, 4)?,
                month_number(mon)?,
                digits(d, 2)?,
                time_of_day(t)?,
            ),
            // RFC 850: dd-Mon-yy time GMT.
            [date, t, "GMT"] => {
                let mut p = date.split('-');
                let (d, mon, yy) = (p.next()?, p.next()?, p.next()?);
                if p.next().is_some() {
                    return None;
                }
                let yy = digits(yy, 2)?;
                let now_year = now_unix.map_or(1970, |n| civil_year(n as i64 / SECONDS_PER_DAY));
                let mut y = now_year - now_year.rem_euclid(100) + yy;
                if y > now_year + 50 {
                    y -= 100;
                }
                if y < 1970 && now_unix.is_none() {
                    y += 100;
                }
                (y, month_number(mon)?, digits(d, 2)?, time_of_day(t)?)
            }
            _ => return None,
        }
    } else {
        // asctime: Mon d(d) time yyyy, the day padded with a space (collapsed by the split).
        match fields.as_slice() {
            [mon, d, t, y] if day_name.len() == 3 && !d.is_empty() && d.len() <= 2 => (
                digits(y, 4)?,
                month_number(mon)?,
                digits(d, d.len())?,
                time_of_day(t)?,
            ),
            _ => return None,
        }
    };
    if d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let t = days_from_civil(y, m, d) * SECONDS_PER_DAY + secs;
    u64::try_from(t).ok()
}

/// `Retry-After` (RFC 9110 §10.2.3) as seconds from now: a delay-seconds value as it is, an
/// HTTP-date less "now" (0 when already past). "Now" is the response's own `Date` header when
/// it has one (the same clock that wrote the Retry-After date, so a skewed local clock does not
/// matter), else `now_unix` (the transport's clock). `None` when the value is neither form or
/// there is no "now" to compare a date with: the hint is advisory, and the caller then backs off
/// by its own schedule.
pub fn retry_after_seconds(
    value: &str,
    date_header: Option<&str>,
    now_unix: Option<u64>,
) -> Option<u64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Larger than u64 seconds: as good as "never", saturate.
        return Some(value.parse().unwrap_or(u64::MAX));
    }
    let now = date_header
        .and_then(|d| parse_http_date(d, now_unix))
        .or(now_unix)?;
    let at = parse_http_date(value, Some(now))?;
    Some(at.saturating_sub(now))
}

fn status_error(url: &str, resp: &HttpResponse, now_unix: Option<u64>) -> ApiError {
    ApiError::HttpStatus {
        url: url.to_string(),
        status: resp.status,
        retry_after_seconds: resp
            .header("retry-after")
            .and_then(|v| retry_after_seconds(v, resp.header("date"), now_unix)),
        message: error_message(&resp.body),
    }
}

/// The response if its status is 200, else [`ApiError::HttpStatus`]. `now_unix` (seconds) turns
/// an HTTP-date `Retry-After` into seconds when the response has no `Date`.
pub(super) fn expect_ok(
    url: &str,
    resp: HttpResponse,
    now_unix: Option<u64>,
) -> Result<HttpResponse, ApiError> {
    if resp.status == 200 {
        Ok(resp)
    } else {
        Err(status_error(url, &resp, now_unix))
    }
}

/// `Some(response)` for 200, `None` for 404, else [`ApiError::HttpStatus`].
pub(super) fn expect_optional(
    url: &str,
    resp: HttpResponse,
    now_unix: Option<u64>,
) -> Result<Option<HttpResponse>, ApiError> {
    match resp.status {
        200 => Ok(Some(resp)),
        404 => Ok(None),
        _ => Err(status_error(url, &resp, now_unix)),
    }
}

pub(super) fn genesis(url: &str, body: &[u8]) -> Result<Genesis, ApiError> {
    const WHAT: &str = "genesis";
    const SCHEMA: SszType = SszType::Container(&ContainerType {
        name: "Genesis",
        fields: &[
            ("genesis_time", SszType::Uint(8)),
            ("genesis_validators_root", SszType::ByteVector(32)),
            ("genesis_fork_version", SszType::ByteVector(4)),
        ],
    });
    let bytes = data_ssz(url, WHAT, &data_of(url, WHAT, body)?, &SCHEMA)?;
    let mut genesis_time = [0u8; 8];
    let mut genesis_validators_root = [0u8; 32];
    let mut genesis_fork_version = [0u8; 4];
    genesis_time.copy_from_slice(&bytes[..8]);
    genesis_validators_root.copy_from_slice(&bytes[8..40]);
    genesis_fork_version.copy_from_slice(&bytes[40..44]);
    Ok(Genesis {
        genesis_time: u64::from_le_bytes(genesis_time),
        genesis_validators_root,
        genesis_fork_version,
    })
}

pub(super) fn spec(
    url: &str,
    body: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    const WHAT: &str = "config/spec";
    match data_of(url, WHAT, body)? {
        Value::Object(spec) => Ok(spec),
        _ => Err(decode_error(url, WHAT, "a `data` that is no object".into())),
    }
}

pub(super) fn header(url: &str, body: &[u8]) -> Result<HeaderInfo, ApiError> {
    const WHAT: &str = "block header";
    let data = data_of(url, WHAT, body)?;
    let Some(root) = data.get("root") else {
        return Err(decode_error(url, WHAT, "data: no `root` field".into()));
    };
    let root = json_to_ssz(&SszType::ByteVector(32), root)
        .map_err(|e| decode_error(url, WHAT, format!("data.root: {}", e.reason)))?;
    let canonical = match data.get("canonical") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            let reason = "data.canonical: expected a boolean, got another JSON value";
            return Err(decode_error(url, WHAT, reason.into()));
        }
    };
    let Some(header) = data.get("header") else {
        return Err(decode_error(url, WHAT, "data: no `header` field".into()));
    };
    let signed = signed_header(url, header)?;
    let message = signed.message;
    let computed = message.tree_hash_root().0;
    if computed[..] != root[..] {
        let mut expected = [0u8; 32];
        expected.copy_from_slice(&root);
        return Err(ApiError::HeaderRootMismatch {
            url: url.to_string(),
            expected,
            got: computed,
        });
    }
    Ok(HeaderInfo {
        root: computed,
        canonical,
        header: message,
        signature: signed.signature.0,
    })
}

/// The `header` of a headers answer, read through its SSZ schema.
fn signed_header(url: &str, json: &Value) -> Result<SignedBeaconBlockHeader, ApiError> {
    const WHAT: &str = "block header";
    let bytes = json_to_ssz(SignedBeaconBlockHeader::ssz_type(), json).map_err(|e| {
        decode_error(
            url,
            WHAT,
            format!("data.header{}: {}", &e.path[1..], e.reason),
        )
    })?;
    SignedBeaconBlockHeader::from_ssz_bytes(&bytes)
        .map_err(|e| decode_error(url, WHAT, format!("{e:?}")))
}

pub(super) fn finality_checkpoints(
    url: &str,
    body: &[u8],
) -> Result<FinalityCheckpoints, ApiError> {
    const WHAT: &str = "finality checkpoints";
    const SCHEMA: SszType = SszType::Container(&ContainerType {
        name: "FinalityCheckpoints",
        fields: &[
            ("previous_justified", Checkpoint::SSZ_TYPE),
            ("current_justified", Checkpoint::SSZ_TYPE),
            ("finalized", Checkpoint::SSZ_TYPE),
        ],
    });
    let bytes = data_ssz(url, WHAT, &data_of(url, WHAT, body)?, &SCHEMA)?;
    let checkpoint = |i: usize| {
        Checkpoint::from_ssz_bytes(&bytes[40 * i..40 * (i + 1)])
            .map_err(|e| decode_error(url, WHAT, format!("{e:?}")))
    };
    Ok(FinalityCheckpoints {
        previous_justified: checkpoint(0)?,
        current_justified: checkpoint(1)?,
        finalized: checkpoint(2)?,
    })
}

pub(super) fn ssz_state(url: &str, resp: HttpResponse) -> Result<SszState, ApiError> {
    Ok(SszState {
        url: url.to_string(),
        consensus_version: ssz_state_head(url, &resp.headers)?,
        bytes: resp.body,
    })
}

/// The checks of a state answer's head, before any of its body is read: an SSZ
/// `Content-Type` (when present) and a known `Eth-Consensus-Version` (when present), the fork
/// it names returned.
pub(super) fn ssz_state_head(
    url: &str,
    headers: &[(String, String)],
) -> Result<Option<ForkName>, ApiError> {
    if let Some(ct) = super::header_in(headers, "content-type") {
        if !ct.trim().starts_with(super::ACCEPT_SSZ) {
            return Err(ApiError::Decode {
                url: url.to_string(),
                what: "state body",
                reason: format!("expected Content-Type {}, got {ct}", super::ACCEPT_SSZ),
            });
        }
    }
    consensus_version(url, headers)
}

pub(super) fn raw_body(url: &str, resp: HttpResponse) -> Result<RawBody, ApiError> {
    Ok(RawBody {
        url: url.to_string(),
        consensus_version: consensus_version(url, &resp.headers)?,
        content_type: resp.header("content-type").map(str::to_string),
        body: resp.body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    /// Real Holesky header responses (fixtures: gear-bridges historical_proxy): every root
    /// checks, each links to the previous one, and the first one's parent is the block whose
    /// root the fixture README gives (0x6296355e…, slot 2498456).
    #[test]
    fn real_holesky_headers_parse_link_and_check_their_roots() {
        let dir = crate::ssz_io::require_fixtures_dir()
            .join("gear-bridges/tests/src/historical_proxy/headers");
        let mut parent: Option<Root> = None;
        for slot in 2_498_457u64..=2_498_464 {
            let name = format!("holesky-header-2_498_{}.json", slot - 2_498_000);
            let bytes = std::fs::read(dir.join(&name))
                .unwrap_or_else(|e| panic!("cannot read {name} in {}: {e}", dir.display()));
            let h = header("test", &bytes).unwrap();
            assert_eq!(h.header.slot, slot);
            match parent {
                None => assert!(hex::encode(h.header.parent_root).starts_with("6296355e")),
                Some(p) => assert_eq!(h.header.parent_root.0, p, "slot {slot}"),
            }
            parent = Some(h.root);
            // Tamper with the message: the claimed root no longer matches.
            let mut tampered: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            tampered["data"]["header"]["message"]["proposer_index"] = "1".into();
            let err = header("test", &serde_json::to_vec(&tampered).unwrap()).unwrap_err();
            assert_eq!(err.code(), "HEADER_ROOT_MISMATCH", "{err}");
        }
    }

    #[test]
    fn statuses_and_retry_after() {
        let r = resp(
            503,
            &[("Retry-After", "7")],
            r#"{"code":503,"message":"busy"}"#,
        );
        let err = expect_ok("u", r, None).unwrap_err();
        assert_eq!(
            err,
            ApiError::HttpStatus {
                url: "u".into(),
                status: 503,
                retry_after_seconds: Some(7),
                message: "busy".into()
            }
        );
        assert!(expect_optional("u", resp(404, &[], ""), None)
            .unwrap()
            .is_none());
        assert!(expect_optional("u", resp(500, &[], "x"), None).is_err());
    }

    /// Unix times of the dates below, as GNU `date -u -d … +%s` gives them (an independent
    /// implementation); 1994-11-06 08:49:37 is RFC 9110's own example date.
    const RFC_EXAMPLE: u64 = 784_111_777;
    const Y2K: u64 = 946_684_800;
    const LEAP_DAY_2024_NOON: u64 = 1_709_208_000;
    const JAN_1_2070: u64 = 3_155_760_000;

    #[test]
    fn http_dates_in_all_three_forms() {
        // RFC 9110 §5.6.7: the same instant in IMF-fixdate, RFC 850 and asctime form.
        for s in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(s, None), Some(RFC_EXAMPLE), "{s}");
        }
        assert_eq!(
            parse_http_date("Sat, 01 Jan 2000 00:00:00 GMT", None),
            Some(Y2K)
        );
        assert_eq!(
            parse_http_date("Thu, 29 Feb 2024 12:00:00 GMT", None),
            Some(LEAP_DAY_2024_NOON)
        );
        // RFC 850 two-digit years: more than 50 years ahead of now means the previous century.
        let in_2025 = 1_750_000_000;
        assert_eq!(
            parse_http_date("Saturday, 01-Jan-00 00:00:00 GMT", Some(in_2025)),
            Some(Y2K)
        );
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", Some(in_2025)),
            Some(RFC_EXAMPLE)
        );
        // 2070 is 45 years after 2025: not "more than 50 years in the future", so it stays.
        assert_eq!(
            parse_http_date("Tuesday, 01-Jan-70 00:00:00 GMT", Some(in_2025)),
            Some(JAN_1_2070)
        );
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 30 Feb 2024 08:49:37 GMT",
            "Fri, 29 Feb 2023 00:00:00 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun Nov  6 08:49:37",
            "Sun, 31 Dec 1969 23:59:59 GMT",
            "tomorrow",
        ] {
            assert_eq!(parse_http_date(bad, None), None, "{bad:?}");
        }
    }

    #[test]
    fn retry_after_as_seconds_or_http_date() {
        assert_eq!(retry_after_seconds(" 120 ", None, None), Some(120));
        // A date 90 s after the answer's own `Date`: 90, whatever the local clock says.
        let date = "Sat, 01 Jan 2000 00:00:00 GMT";
        let later = "Sat, 01 Jan 2000 00:01:30 GMT";
        assert_eq!(retry_after_seconds(later, Some(date), Some(5)), Some(90));
        // Without `Date`, against the transport's clock; a past date means now.
        assert_eq!(retry_after_seconds(later, None, Some(Y2K + 30)), Some(60));
        assert_eq!(retry_after_seconds(date, None, Some(Y2K + 30)), Some(0));
        // No clock at all, or not a Retry-After value: unknown.
        assert_eq!(retry_after_seconds(later, None, None), None);
        assert_eq!(retry_after_seconds("-5", None, Some(Y2K)), None);
        assert_eq!(retry_after_seconds("soon", Some(date), Some(Y2K)), None);

        let r = resp(
            429,
            &[("Retry-After", later), ("Date", date)],
            r#"{"code":429,"message":"slow down"}"#,
        );
        match expect_ok("u", r, None).unwrap_err() {
            ApiError::HttpStatus {
                retry_after_seconds,
                ..
            } => assert_eq!(retry_after_seconds, Some(90)),
            other => panic!("expected HttpStatus, got {other:?}"),
        }
    }

    #[test]
    fn genesis_and_bad_json() {
        let body = r#"{"data":{"genesis_time":"1606824023","genesis_validators_root":"0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95","genesis_fork_version":"0x00000000"}}"#;
        let g = genesis("u", body.as_bytes()).unwrap();
        assert_eq!(g.genesis_time, 1606824023);
        assert_eq!(g.genesis_validators_root[0], 0x4b);
        let err = genesis("u", b"{\"data\":{").unwrap_err();
        assert_eq!(err.code(), "DECODE");
        assert!(err.to_string().contains("expected genesis JSON"), "{err}");
    }

    #[test]
    fn finality_checkpoints_and_envelopes() {
        let cp = |epoch: u64, byte: u8| {
            format!(
                r#"{{"epoch":"{epoch}","root":"0x{}"}}"#,
                hex::encode([byte; 32])
            )
        };
        let body = format!(
            r#"{{"execution_optimistic":false,"data":{{"previous_justified":{},"current_justified":{},"finalized":{}}}}}"#,
            cp(7, 1),
            cp(8, 2),
            cp(6, 3)
        );
        let f = finality_checkpoints("u", body.as_bytes()).unwrap();
        assert_eq!(
            (f.previous_justified.epoch, f.previous_justified.root.0),
            (7, [1; 32])
        );
        assert_eq!(
            (f.current_justified.epoch, f.current_justified.root.0),
            (8, [2; 32])
        );
        assert_eq!((f.finalized.epoch, f.finalized.root.0), (6, [3; 32]));
        // A missing field, a bad value, no `data`, no object: DECODE, naming where.
        let missing = body.replace(r#""finalized""#, r#""final""#);
        let err = finality_checkpoints("u", missing.as_bytes()).unwrap_err();
        assert_eq!(err.code(), "DECODE");
        assert!(err.to_string().contains("`finalized`"), "{err}");
        let bad = body.replace(r#""epoch":"8""#, r#""epoch":"-8""#);
        let err = finality_checkpoints("u", bad.as_bytes()).unwrap_err();
        assert!(
            err.to_string().contains("data.current_justified.epoch"),
            "{err}"
        );
        for body in [r#"{"dat":{}}"#, "[1]", r#"{"data":5}"#] {
            let err = finality_checkpoints("u", body.as_bytes()).unwrap_err();
            assert_eq!(err.code(), "DECODE", "{body}");
        }
        assert_eq!(spec("u", br#"{"data":{"A":"1"}}"#).unwrap()["A"], "1");
        assert_eq!(spec("u", br#"{"data":[]}"#).unwrap_err().code(), "DECODE");
        // An error body's `message`, else the body itself.
        let r = resp(500, &[], r#"{"message":5}"#);
        match expect_ok("u", r, None).unwrap_err() {
            ApiError::HttpStatus { message, .. } => assert_eq!(message, r#"{"message":5}"#),
            other => panic!("expected HttpStatus, got {other:?}"),
        }
    }

    /// The `root` a header answer claims.
    fn hex0x_root(body: &[u8]) -> String {
        let json: serde_json::Value = serde_json::from_slice(body).unwrap();
        json["data"]["root"].as_str().unwrap().to_string()
    }

    #[test]
    fn header_canonical_defaults_to_true_and_must_be_a_boolean() {
        let dir = crate::ssz_io::require_fixtures_dir()
            .join("gear-bridges/tests/src/historical_proxy/headers");
        let bytes = std::fs::read(dir.join("holesky-header-2_498_457.json")).unwrap();
        let mut json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        json["data"].as_object_mut().unwrap().remove("canonical");
        let h = header("u", &serde_json::to_vec(&json).unwrap()).unwrap();
        assert!(h.canonical);
        json["data"]["canonical"] = false.into();
        assert!(
            !header("u", &serde_json::to_vec(&json).unwrap())
                .unwrap()
                .canonical
        );
        json["data"]["canonical"] = "yes".into();
        let err = header("u", &serde_json::to_vec(&json).unwrap()).unwrap_err();
        assert!(err.to_string().contains("data.canonical"), "{err}");
        json["data"]["canonical"] = true.into();
        json["data"]["root"] = "0x12".into();
        let err = header("u", &serde_json::to_vec(&json).unwrap()).unwrap_err();
        assert_eq!(err.code(), "DECODE");
        assert!(err.to_string().contains("data.root"), "{err}");
        json["data"]["root"] = serde_json::to_value(hex0x_root(&bytes)).unwrap();
        json["data"].as_object_mut().unwrap().remove("header");
        let err = header("u", &serde_json::to_vec(&json).unwrap()).unwrap_err();
        assert!(err.to_string().contains("`header`"), "{err}");
    }

    #[test]
    fn ssz_state_reads_the_fork_header() {
        let r = resp(
            200,
            &[
                ("Content-Type", "application/octet-stream"),
                ("Eth-Consensus-Version", "electra"),
            ],
            "abc",
        );
        let s = ssz_state("u", r).unwrap();
        assert_eq!(s.consensus_version, Some(ForkName::Electra));
        let r = resp(200, &[("Eth-Consensus-Version", "gloas2")], "abc");
        assert_eq!(ssz_state("u", r).unwrap_err().code(), "DECODE");
        let r = resp(200, &[("Content-Type", "application/json")], "{}");
        assert_eq!(ssz_state("u", r).unwrap_err().code(), "DECODE");
    }
}
