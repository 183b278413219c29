//! Reading the `LightSync.create(options)` object.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

use super::error::invalid_options;
use crate::beacon_api::Pace;
use crate::checkpoint::{LongRange, Source};
use crate::network::NetworkChoice;
use crate::ws::WsCheckpoint;

/// The parsed options.
pub struct Options {
    /// A built-in name, `"spec"`, or config keys (resolved by `crate::network::resolve`).
    pub network: NetworkChoice,
    pub urls: Vec<String>,
    pub source: Option<Source>,
    /// Warnings found while reading the options, emitted once `start()` runs.
    pub warnings: Vec<(&'static str, String)>,
    pub long_range: LongRange,
    pub quorum: Option<usize>,
    pub signal: Option<AbortSignal>,
    /// Wall clock override, unix seconds.
    pub now: Option<u64>,
    /// Per-request timeout, milliseconds.
    pub timeout_ms: Option<u64>,
    /// `stateDownload`: the deadline and minimum rate of a state download (default
    /// [`Pace::STREAM`]).
    pub stream_pace: Pace,
    /// `hashWorkers`: Web Workers that hash a downloaded state while it arrives (0: the main
    /// thread hashes it, in slices). Default [`default_hash_workers`].
    pub hash_workers: usize,
    /// The `backfill` object, kept for `backfill()` (see `src/js/mod.rs`).
    #[allow(dead_code)] // Read by `backfill()`, which the backfill work adds.
    pub backfill: JsValue,
}

fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(obj, &key.into())
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn string(obj: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    match get(obj, key) {
        None => Ok(None),
        Some(v) => v
            .as_string()
            .map(Some)
            .ok_or_else(|| invalid_options(format!("{key}: expected a string, got {v:?}"))),
    }
}

fn number(obj: &JsValue, key: &str) -> Result<Option<u64>, JsValue> {
    match get(obj, key) {
        None => Ok(None),
        Some(v) => {
            let n = v
                .as_f64()
                .or_else(|| v.as_string().and_then(|s| s.parse::<f64>().ok()))
                .ok_or_else(|| invalid_options(format!("{key}: expected a number, got {v:?}")))?;
            if !(n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0) {
                return Err(invalid_options(format!(
                    "{key}: expected a non-negative integer, got {n}"
                )));
            }
            Ok(Some(n as u64))
        }
    }
}

/// The `stateDownload` option: `{ deadlineMs, minBytesPerSecond, windowMs, graceMs }`, each
/// defaulting to [`Pace::STREAM`]'s.
fn stream_pace(options: &JsValue) -> Result<Pace, JsValue> {
    let mut pace = Pace::STREAM;
    let Some(o) = get(options, "stateDownload") else {
        return Ok(pace);
    };
    if !o.is_object() {
        return Err(invalid_options(format!(
            "stateDownload: expected an object, got {o:?}"
        )));
    }
    let field = |key: &str, into: &mut u64| -> Result<(), JsValue> {
        if let Some(n) = number(&o, key).map_err(|_| {
            invalid_options(format!(
                "stateDownload.{key}: expected a non-negative integer"
            ))
        })? {
            *into = n;
        }
        Ok(())
    };
    field("deadlineMs", &mut pace.deadline_ms)?;
    field("minBytesPerSecond", &mut pace.min_bytes_per_sec)?;
    field("windowMs", &mut pace.window_ms)?;
    field("graceMs", &mut pace.grace_ms)?;
    Ok(pace.with_deadline_ms(pace.deadline_ms))
}

fn root(text: &str, key: &str) -> Result<[u8; 32], JsValue> {
    let hex_part = text.strip_prefix("0x").ok_or_else(|| {
        super::error::js_error(
            "INVALID_CHECKPOINT",
            &format!("{key}: expected 0x + 64 hex digits, got {text:?}"),
            None,
        )
    })?;
    let bytes = hex::decode(hex_part)
        .ok()
        .filter(|b| b.len() == 32)
        .ok_or_else(|| {
            super::error::js_error(
                "INVALID_CHECKPOINT",
                &format!("{key}: expected 0x + 64 hex digits, got {text:?}"),
                None,
            )
        })?;
    let mut out = [0u8; 32];
    out.copy_from_slice(&bytes);
    Ok(out)
}

/// Most hash workers by default: four cover a fast link (~2.5 GB/s of hashing against
/// ~0.1-0.5 GB/s of download) while leaving cores to the page; more cost memory (~2 MB of wasm
/// memory and a few MB of engine state each) and gain nothing once hashing outruns the download.
pub const MAX_DEFAULT_HASH_WORKERS: usize = 4;

/// `min(navigator.hardwareConcurrency, 4)`, or 1 when the context does not say.
pub fn default_hash_workers() -> usize {
    let cores = Reflect::get(&js_sys::global(), &"navigator".into())
        .ok()
        .and_then(|n| Reflect::get(&n, &"hardwareConcurrency".into()).ok())
        .and_then(|c| c.as_f64())
        .filter(|c| c.is_finite() && *c >= 1.0)
        .map_or(1, |c| c as usize);
    cores.min(MAX_DEFAULT_HASH_WORKERS)
}

/// Reads and checks the options object.
pub fn parse(options: &JsValue) -> Result<Options, JsValue> {
    if !options.is_object() {
        return Err(invalid_options("expected an options object"));
    }
    let network = match get(options, "network") {
        None => {
            return Err(invalid_options(
                "network: expected a name or a config object, got nothing",
            ))
        }
        Some(v) if v.is_string() => match v.as_string().unwrap_or_default() {
            s if s == "spec" => NetworkChoice::Spec,
            s => NetworkChoice::BuiltIn(s),
        },
        Some(v) if v.is_object() => {
            let text = js_sys::JSON::stringify(&v)
                .map_err(|_| invalid_options("network: config object is not serialisable"))?;
            let map: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&String::from(text)).map_err(|e| {
                    invalid_options(format!("network: expected a config object, got {e}"))
                })?;
            NetworkChoice::Config(map)
        }
        Some(v) => {
            return Err(invalid_options(format!(
                "network: expected a name or a config object, got {v:?}"
            )))
        }
    };
    let urls = match get(options, "beaconApiUrls") {
        None => Vec::new(),
        Some(v) => {
            let arr: js_sys::Array = v
                .dyn_into()
                .map_err(|_| invalid_options("beaconApiUrls: expected an array of strings"))?;
            arr.iter()
                .map(|u| {
                    let u = u.as_string().ok_or_else(|| {
                        invalid_options("beaconApiUrls: expected an array of strings")
                    })?;
                    crate::beacon_api::validate_base_url(&u)
                        .map_err(|e| invalid_options(format!("beaconApiUrls: {e}")))?;
                    Ok(u)
                })
                .collect::<Result<_, JsValue>>()?
        }
    };
    let mut warnings = Vec::new();
    let checkpoint = string(options, "checkpoint")?;
    let trusted = string(options, "trustedBlockRoot")?;
    let state_id = string(options, "stateId")?;
    let state_file = get(options, "stateFile");
    let given = [
        checkpoint.is_some(),
        trusted.is_some(),
        state_id.is_some(),
        state_file.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let source = if let Some(file) = state_file {
        if given > 1 {
            return Err(invalid_options(
                "stateFile: expected it alone, got it with checkpoint/trustedBlockRoot/stateId",
            ));
        }
        let bytes = if let Some(buf) = file.dyn_ref::<js_sys::ArrayBuffer>() {
            js_sys::Uint8Array::new(buf).to_vec()
        } else if let Some(arr) = file.dyn_ref::<js_sys::Uint8Array>() {
            arr.to_vec()
        } else {
            return Err(invalid_options(
                "stateFile: expected an ArrayBuffer or a Uint8Array",
            ));
        };
        Some(Source::StateFile(bytes))
    } else if let Some(id) = state_id {
        if let Some(r) = &trusted {
            warnings.push((
                "STATE_ID_OVERRIDES_ROOT",
                format!("stateId {id:?} given with trustedBlockRoot {r}: the provider is trusted and the root is ignored"),
            ));
        }
        if checkpoint.is_some() {
            return Err(invalid_options(
                "stateId: expected it without checkpoint (which is a stronger trust anchor)",
            ));
        }
        crate::beacon_api::validate_state_id(&id)
            .map_err(|e| invalid_options(format!("stateId: {e}")))?;
        Some(Source::StateId(id))
    } else if let Some(cp) = checkpoint {
        if trusted.is_some() {
            return Err(invalid_options(
                "checkpoint: expected either checkpoint or trustedBlockRoot, got both",
            ));
        }
        let parsed = WsCheckpoint::parse(&cp).map_err(|e| {
            super::error::from_checkpoint(
                &crate::checkpoint::CheckpointError::InvalidCheckpointString(e),
            )
        })?;
        Some(Source::Checkpoint(parsed))
    } else if let Some(r) = trusted {
        Some(Source::TrustedBlockRoot(root(&r, "trustedBlockRoot")?))
    } else {
        None
    };
    let long_range = match string(options, "longRange")? {
        None => LongRange::Strict,
        Some(s) => s.parse().map_err(invalid_options)?,
    };
    let quorum = number(options, "quorum")?.map(|q| q as usize);
    let signal = match get(options, "signal") {
        None => None,
        Some(s) => Some(
            s.dyn_into::<AbortSignal>()
                .map_err(|_| invalid_options("signal: expected an AbortSignal"))?,
        ),
    };
    Ok(Options {
        network,
        urls,
        source,
        warnings,
        long_range,
        quorum,
        signal,
        now: number(options, "now")?,
        timeout_ms: number(options, "timeoutMs")?,
        stream_pace: stream_pace(options)?,
        hash_workers: match number(options, "hashWorkers")? {
            None => default_hash_workers(),
            Some(n) if n <= 64 => n as usize,
            Some(n) => {
                return Err(invalid_options(format!(
                    "hashWorkers: expected 0 to 64 workers, got {n}"
                )))
            }
        },
        backfill: get(options, "backfill").unwrap_or(JsValue::UNDEFINED),
    })
}
