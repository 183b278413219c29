//! The options of the JS API (`LightSync.create(options)`, `backfill(options)`,
//! `follow(options)`), read and checked in plain Rust so that every rule is tested natively; the
//! wasm edge only converts the JS object into an [`OptionValue`] tree and back the errors.
//!
//! The rules about trust inputs (DESIGN.md, "The flows"):
//! - a local state file (`stateFile`) stands alone;
//! - `checkpoint` (`block_root:epoch`) excludes `trustedBlockRoot` and `stateId`: it is the
//!   stronger anchor, and silently preferring either would hide a mistake;
//! - `stateId` with `trustedBlockRoot` trusts the provider and ignores the root, with a
//!   `STATE_ID_OVERRIDES_ROOT` warning (the design's documented override);
//! - none of them: `start()` resumes from the stored anchor.
//!
//! That a state file only seeds an empty database is checked by the checkpoint flow against the
//! store (`DATABASE_NOT_EMPTY`), where the answer is. Every refusal here is an [`OptionsError`]
//! with a stable code and an "expected …, got …" message.

use std::fmt;

use crate::backfill::{BackfillOptions, Target};
use crate::beacon_api::{validate_base_url, validate_state_id, Pace};
use crate::checkpoint::{CheckpointError, LongRange, Source, StateFile};
use crate::config::{NetworkConfig, NumberText};
use crate::longrange::FollowOptions;
use crate::network::NetworkChoice;
use crate::warning::Warning;
use crate::ws::WsCheckpoint;

/// A JS value as the options need it: the wasm edge converts, this module decides.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    /// `undefined` or `null`: the option is not given.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (any `f64`, including NaN and infinities, which the readers refuse).
    Number(f64),
    /// A string.
    String(String),
    /// Bytes the platform reads a piece at a time: an `ArrayBuffer`, a `Uint8Array` or a
    /// `Blob`/`File` (only `stateFile` takes them).
    File(StateFile),
    /// An array.
    List(Vec<OptionValue>),
    /// A plain object's own enumerable properties, in order.
    Object(Vec<(String, OptionValue)>),
    /// Anything else (a function, a symbol, a bigint, …), described for messages.
    Other(String),
}

impl OptionValue {
    /// The value of `key` when `self` is an object and `key` is given (not `null`/`undefined`).
    pub fn get(&self, key: &str) -> Option<&OptionValue> {
        match self {
            OptionValue::Object(entries) => entries
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .filter(|v| **v != OptionValue::Null),
            _ => None,
        }
    }

    /// Removes and returns `key` (given, as [`OptionValue::get`]), so large bytes are moved.
    fn take(&mut self, key: &str) -> Option<OptionValue> {
        let OptionValue::Object(entries) = self else {
            return None;
        };
        let i = entries.iter().position(|(k, _)| k == key)?;
        Some(entries.remove(i).1).filter(|v| *v != OptionValue::Null)
    }

    fn is_object(&self) -> bool {
        matches!(self, OptionValue::Object(_))
    }

    /// The JSON form of a config object's value (what `JSON.stringify` would give: integral
    /// numbers as integers, non-finite numbers and unrepresentable values as `null`).
    fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            OptionValue::Null | OptionValue::Other(_) => Value::Null,
            OptionValue::Bool(b) => Value::Bool(*b),
            OptionValue::Number(n) => match safe_integer(*n) {
                Some(i) => Value::from(i),
                None if *n < 0.0 && n.fract() == 0.0 && *n >= -MAX_SAFE_INTEGER => {
                    Value::from(*n as i64)
                }
                None => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            },
            OptionValue::String(s) => Value::String(s.clone()),
            OptionValue::File(_) => Value::Null,
            OptionValue::List(l) => Value::Array(l.iter().map(Self::to_json).collect()),
            OptionValue::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

impl fmt::Display for OptionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionValue::Null => write!(f, "null"),
            OptionValue::Bool(b) => write!(f, "{b}"),
            OptionValue::Number(n) => write!(f, "{}", NumberText(*n)),
            OptionValue::String(s) => write!(f, "{s:?}"),
            OptionValue::File(b) => write!(f, "{} bytes", b.len()),
            OptionValue::List(l) => write!(f, "an array of {}", l.len()),
            OptionValue::Object(_) => write!(f, "an object"),
            OptionValue::Other(d) => write!(f, "{d}"),
        }
    }
}

/// `Number.MAX_SAFE_INTEGER`: above it a JS number no longer holds every integer.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// `n` as a u64 when it is a non-negative integer a JS number holds exactly.
fn safe_integer(n: f64) -> Option<u64> {
    (n >= 0.0 && n.fract() == 0.0 && n <= MAX_SAFE_INTEGER).then_some(n as u64)
}

/// An option the API refuses.
#[derive(Debug, Clone)]
pub enum OptionsError {
    /// An option has the wrong type or value, or trust inputs that cannot be combined
    /// (`INVALID_OPTIONS`); the message names it and says what was expected.
    Invalid(String),
    /// A `checkpoint` string that does not parse (`INVALID_CHECKPOINT`).
    Checkpoint(CheckpointError),
    /// A root that is not `0x` + 64 hex digits (`INVALID_CHECKPOINT`).
    Root {
        /// The option.
        key: &'static str,
        /// What was given.
        got: String,
    },
}

impl OptionsError {
    /// The stable code (the JS `Error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            OptionsError::Invalid(_) => "INVALID_OPTIONS",
            OptionsError::Checkpoint(e) => e.code(),
            OptionsError::Root { .. } => "INVALID_CHECKPOINT",
        }
    }
}

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionsError::Invalid(m) => write!(f, "{m}"),
            OptionsError::Checkpoint(e) => write!(f, "{e}"),
            OptionsError::Root { key, got } => {
                write!(f, "{key}: expected 0x + 64 hex digits, got {got:?}")
            }
        }
    }
}

impl std::error::Error for OptionsError {}

fn invalid(message: impl Into<String>) -> OptionsError {
    OptionsError::Invalid(message.into())
}

/// The string at `key`, if given.
/// The boolean at `key`, `false` when not given.
fn flag(o: &OptionValue, key: &str) -> Result<bool, OptionsError> {
    match o.get(key) {
        None => Ok(false),
        Some(OptionValue::Bool(b)) => Ok(*b),
        Some(v) => Err(invalid(format!("{key}: expected true or false, got {v}"))),
    }
}

fn string(o: &OptionValue, key: &str) -> Result<Option<String>, OptionsError> {
    match o.get(key) {
        None => Ok(None),
        Some(OptionValue::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(invalid(format!("{key}: expected a string, got {v}"))),
    }
}

/// The non-negative integer at `key` (a number, or a decimal string), if given.
fn integer(o: &OptionValue, key: &str) -> Result<Option<u64>, OptionsError> {
    let n = match o.get(key) {
        None => return Ok(None),
        Some(OptionValue::Number(n)) => *n,
        Some(OptionValue::String(s)) => s
            .parse::<f64>()
            .map_err(|_| invalid(format!("{key}: expected a number, got {s:?}")))?,
        Some(v) => return Err(invalid(format!("{key}: expected a number, got {v}"))),
    };
    safe_integer(n).map(Some).ok_or_else(|| {
        invalid(format!(
            "{key}: expected a non-negative integer, got {}",
            NumberText(n)
        ))
    })
}

/// A block root option: `0x` + 64 hex digits.
pub fn parse_root(text: &str, key: &'static str) -> Result<[u8; 32], OptionsError> {
    crate::types::parse_hex0x(text).ok_or_else(|| OptionsError::Root {
        key,
        got: text.to_string(),
    })
}

/// The trust inputs of the options, as given.
#[derive(Debug, Default)]
pub struct TrustInputs {
    /// `checkpoint`: `block_root:epoch`.
    pub checkpoint: Option<String>,
    /// `trustedBlockRoot`.
    pub trusted_block_root: Option<String>,
    /// `stateId`.
    pub state_id: Option<String>,
    /// `stateFile`, as given (bytes, or what was given instead).
    pub state_file: Option<OptionValue>,
}

impl TrustInputs {
    /// The trust source these inputs name (see the module docs for the rules), and the warnings
    /// the choice gives; `None` resumes from the stored anchor.
    pub fn source(self) -> Result<(Option<Source>, Vec<Warning>), OptionsError> {
        let given = [
            self.checkpoint.is_some(),
            self.trusted_block_root.is_some(),
            self.state_id.is_some(),
            self.state_file.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        let mut warnings = Vec::new();
        let source = if let Some(file) = self.state_file {
            if given > 1 {
                return Err(invalid(
                    "stateFile: expected it alone, got it with checkpoint/trustedBlockRoot/stateId",
                ));
            }
            match file {
                OptionValue::File(file) => Source::StateFile(file),
                other => {
                    return Err(invalid(format!(
                        "stateFile: expected an ArrayBuffer, a Uint8Array or a Blob, got {other}"
                    )))
                }
            }
        } else if let Some(id) = self.state_id {
            if self.checkpoint.is_some() {
                return Err(invalid(
                    "stateId: expected it without checkpoint (which is a stronger trust anchor)",
                ));
            }
            if let Some(root) = &self.trusted_block_root {
                warnings.push(Warning::state_id_overrides_root(&id, root));
            }
            validate_state_id(&id).map_err(|e| invalid(format!("stateId: {e}")))?;
            Source::StateId(id)
        } else if let Some(cp) = self.checkpoint {
            if self.trusted_block_root.is_some() {
                return Err(invalid(
                    "checkpoint: expected either checkpoint or trustedBlockRoot, got both",
                ));
            }
            let parsed = WsCheckpoint::parse(&cp).map_err(|e| {
                OptionsError::Checkpoint(CheckpointError::InvalidCheckpointString(e))
            })?;
            Source::Checkpoint(parsed)
        } else if let Some(root) = self.trusted_block_root {
            Source::TrustedBlockRoot(parse_root(&root, "trustedBlockRoot")?)
        } else {
            return Ok((None, warnings));
        };
        Ok((Some(source), warnings))
    }
}

/// The options of `LightSync.create`, checked (the `signal` and `lock` options are the edge's:
/// they name browser objects and locks).
#[derive(Debug)]
pub struct Options {
    /// A built-in name, `"spec"`, or config keys (resolved by `crate::network::resolve`).
    pub network: NetworkChoice,
    /// `beaconApiUrls`, each a valid `http(s)` base URL.
    pub urls: Vec<String>,
    /// The trust source; `None` resumes from the stored anchor.
    pub source: Option<Source>,
    /// Warnings found while reading the options, emitted once `start()` runs.
    pub warnings: Vec<Warning>,
    /// `longRange` (default `strict`).
    pub long_range: LongRange,
    /// `quorum`: providers that must agree on the finalized checkpoint (default: all).
    pub quorum: Option<usize>,
    /// `keepState`: keep the verified anchor state's SSZ in the store (default off).
    pub keep_state: bool,
    /// `now`: wall clock override, unix seconds.
    pub now: Option<u64>,
    /// `timeoutMs`: per-request timeout, milliseconds.
    pub timeout_ms: Option<u64>,
    /// `stateDownload`: the deadline and minimum rate of a state download (default
    /// [`Pace::STREAM`]).
    pub stream_pace: Pace,
    /// `hashWorkers` (0..=[`MAX_HASH_WORKERS`]); `None`: [`default_hash_workers`] of the platform.
    pub hash_workers: Option<usize>,
    /// The `backfill` object, kept for `backfill()` (read there by [`backfill_options`], under
    /// that call's own options).
    pub backfill: OptionValue,
}

/// Most hash workers accepted by the `hashWorkers` option.
pub const MAX_HASH_WORKERS: u64 = 64;

/// Most hash workers by default: four cover a fast link (~2.5 GB/s of hashing against
/// ~0.1-0.5 GB/s of download) while leaving cores to the page; more cost memory (~2 MB of wasm
/// memory and a few MB of engine state each) and gain nothing once hashing outruns the download.
pub const MAX_DEFAULT_HASH_WORKERS: usize = 4;

/// The default `hashWorkers`: `min(cores, 4)`, or 1 when the platform does not say how many
/// cores it has (`navigator.hardwareConcurrency`).
pub fn default_hash_workers(cores: Option<f64>) -> usize {
    cores
        .filter(|c| c.is_finite() && *c >= 1.0)
        .map_or(1, |c| c as usize)
        .min(MAX_DEFAULT_HASH_WORKERS)
}

/// Reads and checks the options object (see the module docs for the trust rules).
pub fn parse(mut options: OptionValue) -> Result<Options, OptionsError> {
    if !options.is_object() {
        return Err(invalid(format!(
            "expected an options object, got {options}"
        )));
    }
    let state_file = options.take("stateFile");
    let o = &options;
    let network = match o.get("network") {
        None => {
            return Err(invalid(
                "network: expected a name or a config object, got nothing",
            ))
        }
        Some(OptionValue::String(s)) if s == "spec" => NetworkChoice::Spec,
        Some(OptionValue::String(s)) => NetworkChoice::BuiltIn(s.clone()),
        Some(v @ OptionValue::Object(_)) => match v.to_json() {
            serde_json::Value::Object(map) => NetworkChoice::Config(map),
            _ => unreachable!("an object converts to a JSON object"),
        },
        Some(v) => {
            return Err(invalid(format!(
                "network: expected a name or a config object, got {v}"
            )))
        }
    };
    let (source, warnings) = TrustInputs {
        checkpoint: string(o, "checkpoint")?,
        trusted_block_root: string(o, "trustedBlockRoot")?,
        state_id: string(o, "stateId")?,
        state_file,
    }
    .source()?;
    let long_range = match string(o, "longRange")? {
        None => LongRange::Strict,
        Some(s) => s.parse().map_err(invalid)?,
    };
    let hash_workers = match integer(o, "hashWorkers")? {
        Some(n) if n > MAX_HASH_WORKERS => {
            return Err(invalid(format!(
                "hashWorkers: expected 0 to {MAX_HASH_WORKERS} workers, got {n}"
            )))
        }
        n => n.map(|n| n as usize),
    };
    Ok(Options {
        network,
        urls: urls(o)?,
        source,
        warnings,
        long_range,
        quorum: integer(o, "quorum")?.map(|q| q as usize),
        keep_state: flag(o, "keepState")?,
        now: integer(o, "now")?,
        timeout_ms: integer(o, "timeoutMs")?,
        stream_pace: stream_pace(o)?,
        hash_workers,
        backfill: o.get("backfill").cloned().unwrap_or(OptionValue::Null),
    })
}

/// `beaconApiUrls`: an array of `http(s)` base URLs (none given: an empty list).
fn urls(o: &OptionValue) -> Result<Vec<String>, OptionsError> {
    let list = match o.get("beaconApiUrls") {
        None => return Ok(Vec::new()),
        Some(OptionValue::List(list)) => list,
        Some(v) => {
            return Err(invalid(format!(
                "beaconApiUrls: expected an array of strings, got {v}"
            )))
        }
    };
    list.iter()
        .map(|u| match u {
            OptionValue::String(u) => validate_base_url(u)
                .map(|()| u.clone())
                .map_err(|e| invalid(format!("beaconApiUrls: {e}"))),
            v => Err(invalid(format!(
                "beaconApiUrls: expected an array of strings, got {v} in it"
            ))),
        })
        .collect()
}

/// The `stateDownload` option: `{ deadlineMs, minBytesPerSecond, windowMs, graceMs }`, each
/// defaulting to [`Pace::STREAM`]'s.
fn stream_pace(o: &OptionValue) -> Result<Pace, OptionsError> {
    let mut pace = Pace::STREAM;
    let Some(o) = o.get("stateDownload") else {
        return Ok(pace);
    };
    if !o.is_object() {
        return Err(invalid(format!(
            "stateDownload: expected an object, got {o}"
        )));
    }
    for (key, into) in [
        ("deadlineMs", &mut pace.deadline_ms),
        ("minBytesPerSecond", &mut pace.min_bytes_per_sec),
        ("windowMs", &mut pace.window_ms),
        ("graceMs", &mut pace.grace_ms),
    ] {
        if let Some(n) = integer(o, key).map_err(|e| invalid(format!("stateDownload.{e}")))? {
            *into = n;
        }
    }
    Ok(pace.with_deadline_ms(pace.deadline_ms))
}

/// `backfill(options)`: `{ targetSlot, batchSize, concurrency }` of the call over the instance's
/// `backfill` option, over [`BackfillOptions::default`]. `targetSlot`: a slot (number or decimal
/// string), `"genesis"` or `"horizon"` (the default). The ranges of `batchSize` and
/// `concurrency` are the backfill's own check (it runs before any request).
pub fn backfill_options(
    base: &OptionValue,
    call: &OptionValue,
) -> Result<BackfillOptions, OptionsError> {
    let mut out = BackfillOptions::default();
    for o in [base, call].into_iter().filter(|o| o.is_object()) {
        match o.get("targetSlot") {
            None => {}
            Some(OptionValue::String(s)) if s == "genesis" => out.target = Target::Genesis,
            Some(OptionValue::String(s)) if s == "horizon" => out.target = Target::Horizon,
            Some(OptionValue::String(s)) => {
                out.target = Target::Slot(s.parse().map_err(|_| {
                    invalid(format!(
                    "backfill.targetSlot: expected a slot, \"genesis\" or \"horizon\", got {s:?}"
                ))
                })?)
            }
            Some(_) => {
                let slot =
                    integer(o, "targetSlot").map_err(|e| invalid(format!("backfill.{e}")))?;
                out.target = Target::Slot(slot.expect("given"));
            }
        }
        let field = |key| integer(o, key).map_err(|e| invalid(format!("backfill.{e}")));
        if let Some(n) = field("batchSize")? {
            out.batch_size = n;
        }
        if let Some(n) = field("concurrency")? {
            out.concurrency = usize::try_from(n).unwrap_or(usize::MAX);
        }
    }
    Ok(out)
}

/// The shortest accepted `intervalMs` and `safetyIntervalMs`, in milliseconds: a floor against a
/// busy loop that would hammer the providers.
pub const MIN_INTERVAL_MS: f64 = 10.0;

/// `follow(options)`: `{ intervalMs?, safetyIntervalMs?, events? }` (its `signal` is the edge's),
/// over [`FollowOptions::for_network`]. An `intervalMs` shortens the safety poll too (see
/// [`FollowOptions::with_poll_ms`]) unless `safetyIntervalMs` is given.
pub fn follow_options(
    options: &OptionValue,
    network: &NetworkConfig,
) -> Result<FollowOptions, OptionsError> {
    let mut out = FollowOptions::for_network(network);
    if *options == OptionValue::Null {
        return Ok(out);
    }
    if !options.is_object() {
        return Err(invalid(format!(
            "follow: expected an options object, got {options}"
        )));
    }
    let interval = |name: &str| match options.get(name) {
        None => Ok(None),
        Some(OptionValue::Number(ms)) if ms.is_finite() && *ms >= MIN_INTERVAL_MS => Ok(Some(*ms)),
        Some(v) => Err(invalid(format!(
            "follow: {name}: expected a number of milliseconds >= {}, got {v}",
            NumberText(MIN_INTERVAL_MS)
        ))),
    };
    if let Some(ms) = interval("intervalMs")? {
        out = out.with_poll_ms(ms);
    }
    if let Some(ms) = interval("safetyIntervalMs")? {
        out.safety_poll_ms = ms;
    }
    match options.get("events") {
        None => {}
        Some(OptionValue::Bool(b)) => out.events = *b,
        Some(v) => {
            return Err(invalid(format!(
                "follow: events: expected a boolean, got {v}"
            )))
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An options object from JSON (numbers as numbers, `null` as not given).
    fn obj(json: serde_json::Value) -> OptionValue {
        fn conv(v: serde_json::Value) -> OptionValue {
            use serde_json::Value;
            match v {
                Value::Null => OptionValue::Null,
                Value::Bool(b) => OptionValue::Bool(b),
                Value::Number(n) => OptionValue::Number(n.as_f64().expect("a number")),
                Value::String(s) => OptionValue::String(s),
                Value::Array(a) => OptionValue::List(a.into_iter().map(conv).collect()),
                Value::Object(m) => {
                    OptionValue::Object(m.into_iter().map(|(k, v)| (k, conv(v))).collect())
                }
            }
        }
        conv(json)
    }

    fn with(mut base: OptionValue, key: &str, value: OptionValue) -> OptionValue {
        if let OptionValue::Object(e) = &mut base {
            e.push((key.into(), value));
        }
        base
    }

    const ROOT: &str = "0x5afc212a7924789b2bc86acad3ab3a6ffb1f6e97253ea50bee7f4f51422c9275";

    fn err(options: OptionValue) -> OptionsError {
        parse(options).expect_err("refused")
    }

    fn assert_invalid(e: OptionsError, names: &str) {
        assert_eq!(e.code(), "INVALID_OPTIONS", "{e}");
        assert!(e.to_string().contains(names), "expected {names:?} in {e}");
    }

    #[test]
    fn defaults_of_a_minimal_options_object() {
        let o = parse(obj(serde_json::json!({ "network": "mainnet" }))).unwrap();
        assert_eq!(o.network, NetworkChoice::BuiltIn("mainnet".into()));
        assert!(o.urls.is_empty() && o.source.is_none() && o.warnings.is_empty());
        assert_eq!(o.long_range, LongRange::Strict);
        assert_eq!(
            (o.quorum, o.now, o.timeout_ms, o.hash_workers),
            (None, None, None, None)
        );
        assert_eq!(o.stream_pace, Pace::STREAM);
        assert_eq!(o.backfill, OptionValue::Null);
    }

    #[test]
    fn the_network_is_a_name_spec_or_a_config_object() {
        let spec = parse(obj(serde_json::json!({ "network": "spec" }))).unwrap();
        assert_eq!(spec.network, NetworkChoice::Spec);
        let config = parse(obj(serde_json::json!({
            "network": { "CONFIG_NAME": "dev", "SECONDS_PER_SLOT": 6, "GENESIS_FORK_VERSION": "0x00000001" }
        })))
        .unwrap();
        let NetworkChoice::Config(map) = config.network else {
            panic!("expected a config, got {:?}", config.network)
        };
        // Integral numbers stay integers, as JSON.stringify writes them.
        assert_eq!(map["SECONDS_PER_SLOT"], serde_json::json!(6));
        assert_eq!(map["CONFIG_NAME"], "dev");
        assert_invalid(err(obj(serde_json::json!({}))), "network: expected a name");
        assert_invalid(err(obj(serde_json::json!({ "network": 5 }))), "got 5");
        assert_invalid(
            err(OptionValue::String("mainnet".into())),
            "expected an options object",
        );
    }

    #[test]
    fn a_checkpoint_string_is_parsed_strictly() {
        let cp = format!("{ROOT}:220918");
        let o = parse(obj(
            serde_json::json!({ "network": "mainnet", "checkpoint": cp }),
        ))
        .unwrap();
        let Some(Source::Checkpoint(c)) = o.source else {
            panic!("expected a checkpoint, got {:?}", o.source)
        };
        assert_eq!(c.epoch, 220918);
        let e = err(obj(
            serde_json::json!({ "network": "mainnet", "checkpoint": "0x12:5" }),
        ));
        assert_eq!(e.code(), "INVALID_CHECKPOINT", "{e}");
    }

    #[test]
    fn a_trusted_block_root_is_0x_and_64_hex_digits() {
        let o = parse(obj(
            serde_json::json!({ "network": "mainnet", "trustedBlockRoot": ROOT }),
        ))
        .unwrap();
        let Some(Source::TrustedBlockRoot(r)) = o.source else {
            panic!("expected a root, got {:?}", o.source)
        };
        assert_eq!(format!("0x{}", hex::encode(r)), ROOT);
        for bad in [&ROOT[2..], &ROOT[..65], "0xzz"] {
            let e = err(obj(
                serde_json::json!({ "network": "mainnet", "trustedBlockRoot": bad }),
            ));
            assert_eq!(e.code(), "INVALID_CHECKPOINT", "{e}");
            assert!(e.to_string().contains("expected 0x + 64 hex digits"), "{e}");
        }
    }

    #[test]
    fn state_id_wins_over_trusted_block_root_with_a_warning() {
        let o = parse(obj(serde_json::json!({
            "network": "mainnet", "stateId": "finalized", "trustedBlockRoot": ROOT
        })))
        .unwrap();
        assert!(matches!(o.source, Some(Source::StateId(ref s)) if s == "finalized"));
        assert_eq!(o.warnings.len(), 1);
        assert_eq!(o.warnings[0].code, "STATE_ID_OVERRIDES_ROOT");
        assert!(
            o.warnings[0].message.contains(ROOT),
            "{}",
            o.warnings[0].message
        );
        // Alone: no warning. A state id the Beacon API would not accept: refused.
        let alone = parse(obj(
            serde_json::json!({ "network": "mainnet", "stateId": "head" }),
        ))
        .unwrap();
        assert!(alone.warnings.is_empty());
        assert_invalid(
            err(obj(
                serde_json::json!({ "network": "mainnet", "stateId": "../x" }),
            )),
            "stateId:",
        );
    }

    #[test]
    fn a_checkpoint_excludes_state_id_and_trusted_block_root() {
        let cp = format!("{ROOT}:1");
        assert_invalid(
            err(obj(
                serde_json::json!({ "network": "mainnet", "checkpoint": cp, "stateId": "finalized" }),
            )),
            "stateId: expected it without checkpoint",
        );
        assert_invalid(
            err(obj(
                serde_json::json!({ "network": "mainnet", "checkpoint": cp, "trustedBlockRoot": ROOT }),
            )),
            "got both",
        );
    }

    #[test]
    fn a_state_file_stands_alone_and_is_bytes() {
        let base = obj(serde_json::json!({ "network": "mainnet" }));
        let bytes = StateFile::from_bytes(vec![1, 2, 3]);
        let file = with(base.clone(), "stateFile", OptionValue::File(bytes.clone()));
        let o = parse(file.clone()).unwrap();
        assert!(matches!(o.source, Some(Source::StateFile(ref b)) if *b == bytes));
        for (key, value) in [
            ("stateId", "finalized".to_string()),
            ("trustedBlockRoot", ROOT.to_string()),
            ("checkpoint", format!("{ROOT}:1")),
        ] {
            let both = with(file.clone(), key, OptionValue::String(value));
            assert_invalid(err(both), "stateFile: expected it alone");
        }
        let not_bytes = with(base, "stateFile", OptionValue::String("state.ssz".into()));
        assert_invalid(
            err(not_bytes),
            "expected an ArrayBuffer, a Uint8Array or a Blob",
        );
    }

    #[test]
    fn keep_state_is_a_boolean_off_by_default() {
        let base = obj(serde_json::json!({ "network": "mainnet" }));
        assert!(!parse(base.clone()).unwrap().keep_state);
        let on = with(base.clone(), "keepState", OptionValue::Bool(true));
        assert!(parse(on).unwrap().keep_state);
        let text = with(base, "keepState", OptionValue::String("yes".into()));
        assert_invalid(err(text), "keepState: expected true or false, got");
    }

    #[test]
    fn trust_inputs_must_be_strings() {
        assert_invalid(
            err(obj(
                serde_json::json!({ "network": "mainnet", "checkpoint": 5 }),
            )),
            "checkpoint: expected a string, got 5",
        );
    }

    #[test]
    fn urls_are_http_base_urls() {
        let o = parse(obj(serde_json::json!({
            "network": "mainnet", "beaconApiUrls": ["http://127.0.0.1:5052", "https://127.0.0.1/api"]
        })))
        .unwrap();
        assert_eq!(o.urls.len(), 2);
        for bad in [
            serde_json::json!("http://127.0.0.1"),
            serde_json::json!([5]),
            serde_json::json!(["ftp://127.0.0.1"]),
        ] {
            assert_invalid(
                err(obj(
                    serde_json::json!({ "network": "mainnet", "beaconApiUrls": bad }),
                )),
                "beaconApiUrls:",
            );
        }
    }

    #[test]
    fn long_range_names_one_of_three_modes() {
        for (name, mode) in [
            ("strict", LongRange::Strict),
            ("lenient", LongRange::Lenient),
            ("light", LongRange::Light),
        ] {
            let o = parse(obj(
                serde_json::json!({ "network": "mainnet", "longRange": name }),
            ))
            .unwrap();
            assert_eq!(o.long_range, mode);
        }
        assert_invalid(
            err(obj(
                serde_json::json!({ "network": "mainnet", "longRange": "loose" }),
            )),
            "\"loose\"",
        );
    }

    #[test]
    fn integers_are_non_negative_and_exact() {
        let o = parse(obj(serde_json::json!({
            "network": "mainnet", "now": "1700000000", "timeoutMs": 2500, "quorum": 2, "hashWorkers": 0
        })))
        .unwrap();
        assert_eq!(o.now, Some(1_700_000_000));
        assert_eq!(o.timeout_ms, Some(2500));
        assert_eq!(o.quorum, Some(2));
        assert_eq!(o.hash_workers, Some(0));
        for (key, bad) in [
            ("now", OptionValue::Number(-1.0)),
            ("now", OptionValue::Number(1.5)),
            ("now", OptionValue::Number(f64::NAN)),
            ("timeoutMs", OptionValue::Number(9_007_199_254_740_992.0)),
            ("quorum", OptionValue::String("two".into())),
            ("now", OptionValue::Other("12n".into())),
        ] {
            let o = with(obj(serde_json::json!({ "network": "mainnet" })), key, bad);
            assert_invalid(err(o), key);
        }
        assert_invalid(
            err(obj(
                serde_json::json!({ "network": "mainnet", "hashWorkers": 65 }),
            )),
            "expected 0 to 64 workers, got 65",
        );
    }

    #[test]
    fn default_hash_workers_is_the_cores_up_to_four() {
        assert_eq!(default_hash_workers(None), 1);
        assert_eq!(default_hash_workers(Some(f64::NAN)), 1);
        assert_eq!(default_hash_workers(Some(2.0)), 2);
        assert_eq!(default_hash_workers(Some(16.0)), MAX_DEFAULT_HASH_WORKERS);
    }

    #[test]
    fn state_download_overrides_the_stream_pace_field_by_field() {
        let o = parse(obj(serde_json::json!({
            "network": "mainnet", "stateDownload": { "deadlineMs": 0, "minBytesPerSecond": 1024 }
        })))
        .unwrap();
        // A zero deadline is raised to the least one (1 ms).
        assert_eq!(o.stream_pace.deadline_ms, 1);
        assert_eq!(o.stream_pace.min_bytes_per_sec, 1024);
        assert_eq!(o.stream_pace.window_ms, Pace::STREAM.window_ms);
        assert_invalid(
            err(obj(
                serde_json::json!({ "network": "mainnet", "stateDownload": 5 }),
            )),
            "stateDownload: expected an object",
        );
        assert_invalid(
            err(obj(
                serde_json::json!({ "network": "mainnet", "stateDownload": { "graceMs": -5 } }),
            )),
            "stateDownload.graceMs: expected a non-negative integer",
        );
    }

    #[test]
    fn backfill_options_layer_the_call_over_the_instance() {
        let base = obj(serde_json::json!({ "targetSlot": "genesis", "batchSize": 32 }));
        let call = obj(serde_json::json!({ "concurrency": 3 }));
        let o = backfill_options(&base, &call).unwrap();
        assert_eq!(o.target, Target::Genesis);
        assert_eq!((o.batch_size, o.concurrency), (32, 3));
        let o = backfill_options(&base, &obj(serde_json::json!({ "targetSlot": 100 }))).unwrap();
        assert_eq!(o.target, Target::Slot(100));
        let o = backfill_options(
            &OptionValue::Null,
            &obj(serde_json::json!({ "targetSlot": "64" })),
        )
        .unwrap();
        assert_eq!(o.target, Target::Slot(64));
        let d = backfill_options(&OptionValue::Null, &OptionValue::Null).unwrap();
        assert_eq!(d.target, Target::Horizon);
        for bad in [
            serde_json::json!({ "targetSlot": "tip" }),
            serde_json::json!({ "targetSlot": -1 }),
            serde_json::json!({ "targetSlot": true }),
            serde_json::json!({ "batchSize": 2.5 }),
            serde_json::json!({ "concurrency": -2 }),
        ] {
            let e = backfill_options(&OptionValue::Null, &obj(bad.clone())).expect_err("refused");
            assert_invalid(e, "backfill.");
        }
    }

    fn minimal() -> NetworkConfig {
        NetworkConfig::by_name("mainnet").expect("mainnet")
    }

    #[test]
    fn follow_options_check_intervals_and_events() {
        let net = minimal();
        let d = follow_options(&OptionValue::Null, &net).unwrap();
        assert_eq!(d.poll_ms, 12_000.0);
        assert_eq!(d.safety_poll_ms, 12_000.0 * 32.0);
        assert!(d.events);
        let o = follow_options(
            &obj(serde_json::json!({ "intervalMs": 50, "events": false })),
            &net,
        )
        .unwrap();
        assert_eq!((o.poll_ms, o.safety_poll_ms, o.events), (50.0, 50.0, false));
        let o = follow_options(
            &obj(serde_json::json!({ "intervalMs": 50, "safetyIntervalMs": 500 })),
            &net,
        )
        .unwrap();
        assert_eq!(o.safety_poll_ms, 500.0);
        for bad in [
            serde_json::json!({ "intervalMs": 5 }),
            serde_json::json!({ "safetyIntervalMs": "1000" }),
            serde_json::json!({ "events": "yes" }),
            serde_json::json!(7),
        ] {
            let e = follow_options(&obj(bad), &net).expect_err("refused");
            assert_invalid(e, "follow");
        }
    }
}
