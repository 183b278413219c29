//! A network's blob schedule (Fulu `BLOB_SCHEDULE`, EIP-7892): part of its config, read from
//! config.yaml or `/eth/v1/config/spec`, and an input of Fulu fork digests
//! ([`crate::light::fork_digest`]).

use crate::config::NetworkConfig;
use crate::types::{Epoch, ForkName};

/// One `BLOB_SCHEDULE` entry (Fulu `BlobParameters`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobParameters {
    /// First epoch at which `max_blobs_per_block` applies.
    pub epoch: Epoch,
    /// Blobs per block from that epoch on.
    pub max_blobs_per_block: u64,
}

/// A network's blob schedule, as the Fulu `get_blob_parameters` reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobSchedule {
    /// `BLOB_SCHEDULE` entries, in any order.
    pub entries: Vec<BlobParameters>,
    /// `MAX_BLOBS_PER_BLOCK_ELECTRA`: the fallback before the first entry.
    pub max_blobs_per_block_electra: u64,
}

impl BlobSchedule {
    /// The schedule of a built-in network (`BLOB_SCHEDULE` of its eth-clients `config.yaml`).
    /// Networks whose Fulu fork is not scheduled here get an empty schedule; it is never read
    /// for them because their digests never take the Fulu branch.
    pub fn for_network(name: &str) -> Self {
        let entries = match name {
            "mainnet" => vec![bp(412672, 15), bp(419072, 21)],
            "holesky" => vec![bp(166400, 15), bp(167936, 21)],
            "sepolia" => vec![bp(274176, 15), bp(275712, 21)],
            "hoodi" => vec![bp(52480, 15), bp(54016, 21)],
            _ => Vec::new(),
        };
        BlobSchedule {
            entries,
            max_blobs_per_block_electra: 9,
        }
    }

    /// Reads `BLOB_SCHEDULE` and `MAX_BLOBS_PER_BLOCK_ELECTRA` from a `config.yaml` text;
    /// absent keys give an empty schedule and the mainnet value 9. Only those two top-level
    /// entries are read as YAML (block or flow style, numbers or strings), so the rest of the
    /// file (integers beyond u64, unquoted hex) never has to be valid for a YAML reader.
    pub fn from_config_yaml(text: &str) -> Result<Self, String> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        struct Entry {
            epoch: serde_yaml::Value,
            max_blobs_per_block: serde_yaml::Value,
        }
        #[derive(serde::Deserialize)]
        struct Raw {
            #[serde(rename = "BLOB_SCHEDULE", default)]
            blob_schedule: Option<Vec<Entry>>,
            #[serde(rename = "MAX_BLOBS_PER_BLOCK_ELECTRA", default)]
            max_electra: Option<serde_yaml::Value>,
        }
        let num = |v: &serde_yaml::Value| -> Result<u64, String> {
            match v {
                serde_yaml::Value::Number(n) => n.as_u64(),
                serde_yaml::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }
            .ok_or_else(|| format!("expected an unsigned integer, got {v:?}"))
        };
        let snippet = top_level_entries(text, &["BLOB_SCHEDULE", "MAX_BLOBS_PER_BLOCK_ELECTRA"]);
        let raw: Raw = if snippet.trim().is_empty() {
            Raw {
                blob_schedule: None,
                max_electra: None,
            }
        } else {
            serde_yaml::from_str(&snippet).map_err(|e| e.to_string())?
        };
        let mut entries = Vec::new();
        for e in raw.blob_schedule.iter().flatten() {
            entries.push(bp(num(&e.epoch)?, num(&e.max_blobs_per_block)?));
        }
        Ok(BlobSchedule {
            entries,
            max_blobs_per_block_electra: match &raw.max_electra {
                Some(v) => num(v)?,
                None => 9,
            },
        })
    }

    /// Reads `BLOB_SCHEDULE` (a list of `{EPOCH, MAX_BLOBS_PER_BLOCK}`) and
    /// `MAX_BLOBS_PER_BLOCK_ELECTRA` from the `data` of `/eth/v1/config/spec` or a config object,
    /// with numbers as decimal strings (as Beacon APIs serve them) or JSON numbers; absent keys
    /// as in [`Self::from_config_yaml`].
    pub fn from_spec(spec: &serde_json::Map<String, serde_json::Value>) -> Result<Self, String> {
        use serde_json::Value;
        let num = |v: &Value| -> Result<u64, String> {
            match v {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }
            .ok_or_else(|| format!("expected an unsigned integer, got {v}"))
        };
        let field = |entry: &Value, key: &str| -> Result<u64, String> {
            match entry.get(key) {
                Some(v) => num(v),
                None => Err(format!("expected a {key} in each entry, got {entry}")),
            }
        };
        let entries = match spec.get("BLOB_SCHEDULE") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => list
                .iter()
                .map(|e| Ok(bp(field(e, "EPOCH")?, field(e, "MAX_BLOBS_PER_BLOCK")?)))
                .collect::<Result<_, String>>()?,
            Some(other) => return Err(format!("expected a list, got {other}")),
        };
        Ok(BlobSchedule {
            entries,
            max_blobs_per_block_electra: match spec.get("MAX_BLOBS_PER_BLOCK_ELECTRA") {
                Some(v) => num(v)?,
                None => 9,
            },
        })
    }

    /// Fulu `get_blob_parameters(epoch)`: the latest entry at or before `epoch`, else
    /// `(ELECTRA_FORK_EPOCH, MAX_BLOBS_PER_BLOCK_ELECTRA)`.
    pub fn get_blob_parameters(&self, config: &NetworkConfig, epoch: Epoch) -> BlobParameters {
        self.blob_parameters_at(config.fork_schedule(ForkName::Electra).epoch, epoch)
    }

    /// [`Self::get_blob_parameters`] with the network's `ELECTRA_FORK_EPOCH` given directly.
    pub fn blob_parameters_at(&self, electra_fork_epoch: Epoch, epoch: Epoch) -> BlobParameters {
        self.entries
            .iter()
            .filter(|e| e.epoch <= epoch)
            .max_by_key(|e| e.epoch)
            .copied()
            .unwrap_or(BlobParameters {
                epoch: electra_fork_epoch,
                max_blobs_per_block: self.max_blobs_per_block_electra,
            })
    }
}

/// The lines of the top-level `keys` of a config.yaml text, each with its indented (or `-`)
/// continuation lines.
fn top_level_entries(text: &str, keys: &[&str]) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        let continuation = line.starts_with(' ') || line.starts_with('\t') || line.starts_with('-');
        if !continuation {
            inside = keys.iter().any(|k| {
                line.strip_prefix(k)
                    .is_some_and(|rest| rest.trim_start().starts_with(':'))
            });
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn bp(epoch: Epoch, max_blobs_per_block: u64) -> BlobParameters {
    BlobParameters {
        epoch,
        max_blobs_per_block,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A served spec (or a JS config object) is read as JSON, never through YAML: numbers as
    /// strings or JSON numbers, and a typed error naming what did not read.
    #[test]
    fn blob_schedule_from_spec() {
        let spec = |v: serde_json::Value| v.as_object().unwrap().clone();
        let s = BlobSchedule::from_spec(&spec(serde_json::json!({
            "BLOB_SCHEDULE": [{"EPOCH": "5", "MAX_BLOBS_PER_BLOCK": 12}, {"EPOCH": 9, "MAX_BLOBS_PER_BLOCK": "21"}],
            "MAX_BLOBS_PER_BLOCK_ELECTRA": 8,
        })))
        .unwrap();
        assert_eq!(s.entries, vec![bp(5, 12), bp(9, 21)]);
        assert_eq!(s.max_blobs_per_block_electra, 8);
        let none = BlobSchedule::from_spec(&serde_json::Map::new()).unwrap();
        assert!(none.entries.is_empty());
        assert_eq!(none.max_blobs_per_block_electra, 9);
        let err = BlobSchedule::from_spec(&spec(serde_json::json!({"BLOB_SCHEDULE": "3"})));
        assert_eq!(err.unwrap_err(), "expected a list, got \"3\"");
        let err = BlobSchedule::from_spec(&spec(
            serde_json::json!({"BLOB_SCHEDULE": [{"EPOCH": "1"}]}),
        ));
        assert!(err
            .unwrap_err()
            .starts_with("expected a MAX_BLOBS_PER_BLOCK in each entry"));
        let err = BlobSchedule::from_spec(&spec(
            serde_json::json!({"BLOB_SCHEDULE": [{"EPOCH": "-1", "MAX_BLOBS_PER_BLOCK": 1}]}),
        ));
        assert_eq!(err.unwrap_err(), "expected an unsigned integer, got \"-1\"");
        let err = crate::config::network_from_spec(
            &spec(serde_json::json!({"PRESET_BASE": "minimal", "BLOB_SCHEDULE": 3})),
            Some([0; 32]),
        );
        assert!(
            matches!(err, Err(crate::config::ConfigError::BadValue { ref key, .. }) if key == "BLOB_SCHEDULE"),
            "{err:?}"
        );
    }
}
