//! Fault injection: rules that make one provider misbehave in a precise, countable way.
//!
//! Every error path of a checkpoint-sync client (a state that does not hash to the header's
//! state root, a header chain with a gap, a body cut short, a provider that never answers, a
//! response hidden by CORS) has to be reachable over real HTTP, on demand, from a test or from the
//! browser. A rule names a [`FaultKind`], optionally a path pattern (`*` matches any run of
//! characters), a slot range and a count ("the next 3 matching requests"); rules live per provider
//! and are set by CLI flags or at run time through the control endpoint (`/_devnet/faults`).
//!
//! Text form, used by both `--fault` and the control endpoint's query string:
//! `kind[,path=/eth/v1/beacon/headers/*][,slots=100-200][,count=3][,key=value…]`.

use std::fmt;
use std::sync::Mutex;

/// What a matching request gets instead of the honest answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// `flip-state[,offset=N]`: one byte of the served SSZ state is XOR-ed with 0xff (default: a
    /// byte in the middle of the state), so its hash_tree_root no longer matches the header.
    FlipStateByte { offset: Option<u64> },
    /// `bad-header-root`: the header's message is altered (its body_root) while `data.root` still
    /// claims the honest root, so `hash_tree_root(message) != root`.
    HeaderRootMismatch,
    /// `broken-parent`: the header's parent_root is replaced and `data.root` recomputed, so the
    /// header is self-consistent but does not link to its parent.
    BrokenParent,
    /// `non-canonical`: a header for a slot is answered with an orphan (a sibling block that is
    /// not on the canonical chain) presented as canonical.
    NonCanonical,
    /// `withhold`: 404 for a block or header that exists.
    Withhold,
    /// `truncate[,bytes=N]`: announces the full `Content-Length` but sends only N bytes (default:
    /// half), then closes the connection.
    Truncate { bytes: Option<u64> },
    /// `oversize[,extra=N]`: appends N bytes of spaces (default 64 MiB) to the body, counted in
    /// `Content-Length`, for clients that enforce a size limit.
    Oversize { extra: u64 },
    /// `trickle[,chunk=N][,delay_ms=D]`: sends the body N bytes (default 64) at a time with D ms
    /// (default 50) between chunks.
    Trickle { chunk: usize, delay_ms: u64 },
    /// `claim-length[,length=N][,send=M][,hold_ms=H]`: announces `Content-Length: N` (default
    /// 2147483648, exactly 2 GiB) whatever the body's size, sends its first M bytes (default: all
    /// of the honest body, a valid prefix of what was announced), then holds the connection open
    /// H ms (default 0) and closes it. For clients that size buffers from the claim.
    ClaimLength {
        length: u64,
        send: Option<u64>,
        hold_ms: u64,
    },
    /// `no-length[,extra=N]`: sends no `Content-Length` (the body ends when the connection
    /// closes, HTTP/1.1 §6.3): the honest body followed by N bytes of spaces (default: without
    /// end, until the client hangs up). For clients that collect such a body unbounded.
    NoLength { extra: Option<u64> },
    /// `status,code=500|503|429[,retry_after=S]`: an error status with a Beacon API error body;
    /// 429 and 503 carry `Retry-After: S` seconds (default 1).
    Status { code: u16, retry_after: Option<u64> },
    /// `no-response[,hold_ms=N]`: reads the request and never answers; the connection is closed
    /// after N ms (default 60000).
    NoResponse { hold_ms: u64 },
    /// `wrong-version[,version=F]`: `Eth-Consensus-Version` names another fork (default: a fork
    /// different from the honest one).
    WrongVersion { version: Option<String> },
    /// `no-expose`: `Access-Control-Expose-Headers` is omitted, as behind a misconfigured proxy;
    /// a browser then cannot read `Eth-Consensus-Version`.
    NoExposeHeader,
    /// `wrong-gvr`: `/eth/v1/beacon/genesis` reports another genesis_validators_root.
    WrongGenesisValidatorsRoot,
    /// `bad-lc-signature`: light-client objects carry a sync-aggregate signature that does not
    /// verify (a valid curve point over another message).
    BadLightClientSignature,
    /// `bad-lc-branch`: light-client objects carry a Merkle branch with one node changed.
    BadLightClientBranch,
    /// `bad-json`: a JSON body is cut before its end and followed by garbage (still framed by a
    /// correct `Content-Length`).
    MalformedJson,
    /// `bad-ssz`: an SSZ body loses its last bytes (still framed by a correct `Content-Length`),
    /// so it is no valid encoding of the type.
    MalformedSsz,
}

/// Why a fault description was rejected; the message says what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultParseError {
    /// The kind is not one of the names listed in [`FaultKind`].
    UnknownKind { got: String },
    /// A `key=value` option is not known for this kind.
    UnknownOption { kind: String, key: String },
    /// A value did not parse.
    BadValue {
        key: String,
        expected: &'static str,
        got: String,
    },
}

impl fmt::Display for FaultParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultParseError::UnknownKind { got } => {
                write!(f, "expected a fault kind ({KIND_NAMES}), got `{got}`")
            }
            FaultParseError::UnknownOption { kind, key } => {
                write!(f, "fault `{kind}`: unknown option `{key}`")
            }
            FaultParseError::BadValue { key, expected, got } => {
                write!(f, "fault option `{key}`: expected {expected}, got `{got}`")
            }
        }
    }
}

impl std::error::Error for FaultParseError {}

/// The kind names accepted in the text form.
pub const KIND_NAMES: &str =
    "flip-state, bad-header-root, broken-parent, non-canonical, withhold, \
    truncate, oversize, trickle, claim-length, no-length, status, no-response, wrong-version, \
    no-expose, wrong-gvr, bad-lc-signature, bad-lc-branch, bad-json, bad-ssz";

impl FaultKind {
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::FlipStateByte { .. } => "flip-state",
            FaultKind::HeaderRootMismatch => "bad-header-root",
            FaultKind::BrokenParent => "broken-parent",
            FaultKind::NonCanonical => "non-canonical",
            FaultKind::Withhold => "withhold",
            FaultKind::Truncate { .. } => "truncate",
            FaultKind::Oversize { .. } => "oversize",
            FaultKind::Trickle { .. } => "trickle",
            FaultKind::ClaimLength { .. } => "claim-length",
            FaultKind::NoLength { .. } => "no-length",
            FaultKind::Status { .. } => "status",
            FaultKind::NoResponse { .. } => "no-response",
            FaultKind::WrongVersion { .. } => "wrong-version",
            FaultKind::NoExposeHeader => "no-expose",
            FaultKind::WrongGenesisValidatorsRoot => "wrong-gvr",
            FaultKind::BadLightClientSignature => "bad-lc-signature",
            FaultKind::BadLightClientBranch => "bad-lc-branch",
            FaultKind::MalformedJson => "bad-json",
            FaultKind::MalformedSsz => "bad-ssz",
        }
    }

    /// The paths a rule of this kind applies to when it names none: where the fault makes sense.
    pub fn default_path(&self) -> &'static str {
        match self {
            FaultKind::FlipStateByte { .. } => "/eth/v2/debug/beacon/states/*",
            FaultKind::HeaderRootMismatch | FaultKind::BrokenParent | FaultKind::NonCanonical => {
                "/eth/v1/beacon/headers*"
            }
            FaultKind::Withhold => "/eth/*/beacon/*",
            FaultKind::WrongGenesisValidatorsRoot => "/eth/v1/beacon/genesis",
            FaultKind::BadLightClientSignature | FaultKind::BadLightClientBranch => {
                "/eth/v1/beacon/light_client/*"
            }
            _ => "/eth/*",
        }
    }
}

fn parse_num<T: std::str::FromStr>(
    key: &str,
    v: &str,
    expected: &'static str,
) -> Result<T, FaultParseError> {
    v.parse().map_err(|_| FaultParseError::BadValue {
        key: key.into(),
        expected,
        got: v.into(),
    })
}

/// One fault rule of one provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRule {
    pub kind: FaultKind,
    /// Path pattern (`*` = any run of characters), matched against the request path without query.
    pub path: String,
    /// Inclusive slot range; a request whose slot is unknown (e.g. `genesis` endpoint) never matches
    /// a rule that has one.
    pub slots: Option<(u64, u64)>,
    /// How many more matching requests the rule fires for; `None` = until cleared.
    pub remaining: Option<u64>,
}

impl FaultRule {
    /// Parses the text form `kind[,key=value…]`.
    pub fn parse(text: &str) -> Result<FaultRule, FaultParseError> {
        let mut parts = text.split(',').map(str::trim).filter(|s| !s.is_empty());
        let kind_name = parts.next().unwrap_or("");
        let pairs: Vec<(String, String)> = parts
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.trim().to_string(), v.trim().to_string())
            })
            .collect();
        FaultRule::from_pairs(kind_name, &pairs)
    }

    /// Builds a rule from a kind name and `key=value` options (query-string form).
    pub fn from_pairs(
        kind_name: &str,
        pairs: &[(String, String)],
    ) -> Result<FaultRule, FaultParseError> {
        // Every option a kind reads is known for it; the rest are rejected below.
        let asked = std::cell::RefCell::new(vec!["kind", "path", "slots", "count", "provider"]);
        let get = |key: &'static str| {
            asked.borrow_mut().push(key);
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let num = |key: &'static str, expected: &'static str| {
            get(key)
                .map(|v| parse_num::<u64>(key, v, expected))
                .transpose()
        };
        let kind = match kind_name {
            "flip-state" => FaultKind::FlipStateByte {
                offset: num("offset", "a byte offset")?,
            },
            "bad-header-root" => FaultKind::HeaderRootMismatch,
            "broken-parent" => FaultKind::BrokenParent,
            "non-canonical" => FaultKind::NonCanonical,
            "withhold" => FaultKind::Withhold,
            "truncate" => FaultKind::Truncate {
                bytes: num("bytes", "a byte count")?,
            },
            "oversize" => FaultKind::Oversize {
                extra: num("extra", "a byte count")?.unwrap_or(64 << 20),
            },
            "trickle" => FaultKind::Trickle {
                chunk: num("chunk", "a positive byte count")?.unwrap_or(64).max(1) as usize,
                delay_ms: num("delay_ms", "milliseconds")?.unwrap_or(50),
            },
            "claim-length" => FaultKind::ClaimLength {
                length: num("length", "a byte count")?.unwrap_or(1 << 31),
                send: num("send", "a byte count")?,
                hold_ms: num("hold_ms", "milliseconds")?.unwrap_or(0),
            },
            "no-length" => FaultKind::NoLength {
                extra: num("extra", "a byte count")?,
            },
            "status" => {
                let code = num("code", "an HTTP status (400..=599)")?.unwrap_or(500);
                if !(400..=599).contains(&code) {
                    return Err(FaultParseError::BadValue {
                        key: "code".into(),
                        expected: "an HTTP status (400..=599)",
                        got: code.to_string(),
                    });
                }
                let retry_after =
                    num("retry_after", "seconds")?.or((code == 429 || code == 503).then_some(1));
                FaultKind::Status {
                    code: code as u16,
                    retry_after,
                }
            }
            "no-response" => FaultKind::NoResponse {
                hold_ms: num("hold_ms", "milliseconds")?.unwrap_or(60_000),
            },
            "wrong-version" => FaultKind::WrongVersion {
                version: get("version").map(str::to_string),
            },
            "no-expose" => FaultKind::NoExposeHeader,
            "wrong-gvr" => FaultKind::WrongGenesisValidatorsRoot,
            "bad-lc-signature" => FaultKind::BadLightClientSignature,
            "bad-lc-branch" => FaultKind::BadLightClientBranch,
            "bad-json" => FaultKind::MalformedJson,
            "bad-ssz" => FaultKind::MalformedSsz,
            other => {
                return Err(FaultParseError::UnknownKind { got: other.into() });
            }
        };
        if let Some((k, _)) = pairs
            .iter()
            .find(|(k, _)| !asked.borrow().contains(&k.as_str()))
        {
            return Err(FaultParseError::UnknownOption {
                kind: kind_name.into(),
                key: k.clone(),
            });
        }
        let slots = match get("slots") {
            None => None,
            Some(v) => {
                let bad = || FaultParseError::BadValue {
                    key: "slots".into(),
                    expected: "a slot `N` or an inclusive range `A-B` with A <= B",
                    got: v.into(),
                };
                let (a, b) = v.split_once('-').unwrap_or((v, v));
                let a: u64 = a.trim().parse().map_err(|_| bad())?;
                let b: u64 = b.trim().parse().map_err(|_| bad())?;
                if a > b {
                    return Err(bad());
                }
                Some((a, b))
            }
        };
        let remaining = num("count", "a positive request count")?;
        if remaining == Some(0) {
            return Err(FaultParseError::BadValue {
                key: "count".into(),
                expected: "a positive request count",
                got: "0".into(),
            });
        }
        let path = get("path").unwrap_or(kind.default_path()).to_string();
        Ok(FaultRule {
            kind,
            path,
            slots,
            remaining,
        })
    }

    /// Whether the rule applies to a request for `path` about `slot` (if known).
    pub fn matches(&self, path: &str, slot: Option<u64>) -> bool {
        if !glob_match(&self.path, path) {
            return false;
        }
        match (self.slots, slot) {
            (None, _) => true,
            (Some((a, b)), Some(s)) => a <= s && s <= b,
            (Some(_), None) => false,
        }
    }

    /// JSON description for the control endpoint.
    pub fn describe(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": self.kind.name(),
            "detail": format!("{:?}", self.kind),
            "path": self.path,
            "slots": self.slots.map(|(a, b)| format!("{a}-{b}")),
            "remaining": self.remaining,
        })
    }
}

/// `*` matches any (possibly empty) run of characters; everything else matches itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] != b'*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// The fault rules of one provider.
#[derive(Debug, Default)]
pub struct FaultSet {
    rules: Mutex<Vec<FaultRule>>,
}

impl FaultSet {
    pub fn add(&self, rule: FaultRule) {
        self.lock().push(rule);
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        // A panic while holding the lock cannot leave the vector inconsistent; keep serving.
        self.rules.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The kinds firing for this request; each fired rule's count is decremented and exhausted
    /// rules are removed. Only the first matching rule of each kind fires.
    pub fn fire(&self, path: &str, slot: Option<u64>) -> Vec<FaultKind> {
        let mut rules = self.lock();
        let mut fired: Vec<FaultKind> = Vec::new();
        for rule in rules.iter_mut() {
            if !rule.matches(path, slot) || fired.iter().any(|k| k.name() == rule.kind.name()) {
                continue;
            }
            fired.push(rule.kind.clone());
            if let Some(n) = rule.remaining.as_mut() {
                *n -= 1;
            }
        }
        rules.retain(|r| r.remaining != Some(0));
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_text_form() {
        let r = FaultRule::parse("truncate,bytes=10,path=/eth/v2/*,count=3,slots=5-9").unwrap();
        assert_eq!(r.kind, FaultKind::Truncate { bytes: Some(10) });
        assert_eq!(r.path, "/eth/v2/*");
        assert_eq!(r.slots, Some((5, 9)));
        assert_eq!(r.remaining, Some(3));
        let r = FaultRule::parse("status,code=429").unwrap();
        assert_eq!(
            r.kind,
            FaultKind::Status {
                code: 429,
                retry_after: Some(1)
            }
        );
        let r = FaultRule::parse("claim-length,send=100,hold_ms=5").unwrap();
        assert_eq!(
            r.kind,
            FaultKind::ClaimLength {
                length: 2_147_483_648,
                send: Some(100),
                hold_ms: 5
            }
        );
        assert_eq!(
            FaultRule::parse("no-length").unwrap().kind,
            FaultKind::NoLength { extra: None }
        );
        assert!(matches!(
            FaultRule::parse("no-length,length=3"),
            Err(FaultParseError::UnknownOption { .. })
        ));
        assert!(matches!(
            FaultRule::parse("explode"),
            Err(FaultParseError::UnknownKind { .. })
        ));
        assert!(matches!(
            FaultRule::parse("withhold,bytes=3"),
            Err(FaultParseError::UnknownOption { .. })
        ));
        assert!(matches!(
            FaultRule::parse("withhold,slots=9-5"),
            Err(FaultParseError::BadValue { .. })
        ));
        assert!(matches!(
            FaultRule::parse("status,code=200"),
            Err(FaultParseError::BadValue { .. })
        ));
    }

    #[test]
    fn glob() {
        assert!(glob_match("/eth/*", "/eth/v1/beacon/genesis"));
        assert!(glob_match("/eth/*/beacon/*", "/eth/v2/beacon/blocks/head"));
        assert!(!glob_match("/eth/*/beacon/*", "/eth/v1/config/spec"));
        assert!(glob_match(
            "/eth/v1/beacon/headers*",
            "/eth/v1/beacon/headers"
        ));
        assert!(!glob_match(
            "/eth/v1/beacon/genesis",
            "/eth/v1/beacon/genesis/x"
        ));
    }

    #[test]
    fn counts_and_slots() {
        let set = FaultSet::default();
        set.add(FaultRule::parse("withhold,count=2,slots=10-12").unwrap());
        assert!(set.fire("/eth/v1/beacon/headers/9", Some(9)).is_empty());
        assert!(set.fire("/eth/v1/beacon/headers/x", None).is_empty());
        assert_eq!(set.fire("/eth/v1/beacon/headers/10", Some(10)).len(), 1);
        assert_eq!(set.fire("/eth/v1/beacon/headers/12", Some(12)).len(), 1);
        assert!(set.fire("/eth/v1/beacon/headers/11", Some(11)).is_empty());
        assert!(set.list().is_empty());
    }
}
