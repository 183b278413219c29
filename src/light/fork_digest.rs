//! `compute_fork_digest`, which tags each chunk of the Beacon API `light_client/updates` SSZ
//! stream (and every p2p message) with the fork its payload belongs to.
//!
//! Up to Electra the digest is the first 4 bytes of `compute_fork_data_root(version, gvr)`.
//! Fulu (EIP-7892, blob-parameter-only forks) XORs that root with
//! `sha256(uint64(blob_params.epoch) ++ uint64(blob_params.max_blobs_per_block))` first, so the
//! digest changes at every `BLOB_SCHEDULE` entry even though the fork version does not.
//! [`crate::config::NetworkConfig`] does not carry the blob schedule, so it lives here.

use sha2::{Digest, Sha256};

use crate::config::{compute_fork_data_root, NetworkConfig};
use crate::types::{Epoch, ForkName, FAR_FUTURE_EPOCH};

/// A 4-byte fork digest.
pub type ForkDigest = [u8; 4];

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
            _ => Vec::new(),
        };
        BlobSchedule {
            entries,
            max_blobs_per_block_electra: 9,
        }
    }

    /// Reads `BLOB_SCHEDULE` and `MAX_BLOBS_PER_BLOCK_ELECTRA` from a `config.yaml` text;
    /// absent keys give an empty schedule and the mainnet value 9.
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
            blob_schedule: Vec<Entry>,
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
        let raw: Raw = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
        let mut entries = Vec::new();
        for e in &raw.blob_schedule {
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

    /// Fulu `get_blob_parameters(epoch)`: the latest entry at or before `epoch`, else
    /// `(ELECTRA_FORK_EPOCH, MAX_BLOBS_PER_BLOCK_ELECTRA)`.
    pub fn get_blob_parameters(&self, config: &NetworkConfig, epoch: Epoch) -> BlobParameters {
        self.entries
            .iter()
            .filter(|e| e.epoch <= epoch)
            .max_by_key(|e| e.epoch)
            .copied()
            .unwrap_or(BlobParameters {
                epoch: config.fork_schedule(ForkName::Electra).epoch,
                max_blobs_per_block: self.max_blobs_per_block_electra,
            })
    }
}

fn bp(epoch: Epoch, max_blobs_per_block: u64) -> BlobParameters {
    BlobParameters {
        epoch,
        max_blobs_per_block,
    }
}

/// Fulu `compute_fork_digest(genesis_validators_root, epoch)` (which also covers every earlier
/// fork): the digest of the fork active at `epoch` on `config`'s network.
pub fn compute_fork_digest(
    config: &NetworkConfig,
    blobs: &BlobSchedule,
    epoch: Epoch,
) -> ForkDigest {
    let fork_version = config.fork_version_at_epoch(epoch);
    let base = compute_fork_data_root(fork_version, config.genesis_validators_root);
    let fulu_epoch = config.fork_schedule(ForkName::Fulu).epoch;
    if fulu_epoch == FAR_FUTURE_EPOCH || epoch < fulu_epoch {
        return [base[0], base[1], base[2], base[3]];
    }
    let params = blobs.get_blob_parameters(config, epoch);
    let mut h = Sha256::new();
    h.update(params.epoch.to_le_bytes());
    h.update(params.max_blobs_per_block.to_le_bytes());
    let mask: [u8; 32] = h.finalize().into();
    [
        base[0] ^ mask[0],
        base[1] ^ mask[1],
        base[2] ^ mask[2],
        base[3] ^ mask[3],
    ]
}

/// Every (digest, fork, first epoch) the network can produce: one per scheduled fork from
/// Altair on, plus one per blob-schedule entry after Fulu. Used to map a stream chunk's digest
/// back to the SSZ type of its payload.
pub fn known_fork_digests(
    config: &NetworkConfig,
    blobs: &BlobSchedule,
) -> Vec<(ForkDigest, ForkName, Epoch)> {
    let mut out = Vec::new();
    for fork in ForkName::ALL.into_iter().skip(1) {
        let epoch = config.fork_schedule(fork).epoch;
        if epoch == FAR_FUTURE_EPOCH {
            continue;
        }
        out.push((compute_fork_digest(config, blobs, epoch), fork, epoch));
    }
    let fulu_epoch = config.fork_schedule(ForkName::Fulu).epoch;
    if fulu_epoch != FAR_FUTURE_EPOCH {
        for e in &blobs.entries {
            let epoch = e.epoch.max(fulu_epoch);
            let fork = config.fork_at_epoch(epoch);
            out.push((compute_fork_digest(config, blobs, epoch), fork, epoch));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Version;

    /// Known answers from consensus-specs `tests/.../fulu/validator/test_compute_fork_digest.py`
    /// (FULU_FORK_EPOCH 0, a six-entry blob schedule, zero genesis validators root).
    #[test]
    fn fulu_digests_match_the_spec_test() {
        let mut config = NetworkConfig::mainnet();
        config.genesis_validators_root = Default::default();
        for f in [
            ForkName::Altair,
            ForkName::Bellatrix,
            ForkName::Capella,
            ForkName::Deneb,
            ForkName::Electra,
            ForkName::Fulu,
        ] {
            config.forks[f as usize - 1].epoch = 0;
        }
        config.forks[ForkName::Fulu as usize - 1].version = Version::from([6, 0, 0, 0]);
        let blobs = BlobSchedule {
            entries: vec![
                bp(9, 9),
                bp(100, 100),
                bp(150, 175),
                bp(200, 200),
                bp(250, 275),
                bp(300, 300),
            ],
            max_blobs_per_block_electra: 9,
        };
        let cases = [
            (9, "ab3ae6c8"),
            (99, "ab3ae6c8"),
            (100, "df67557b"),
            (150, "8ab38b59"),
            (199, "8ab38b59"),
            (200, "d9b81438"),
            (250, "4ef32a62"),
            (300, "ca100d64"),
            (301, "ca100d64"),
        ];
        for (epoch, expected) in cases {
            assert_eq!(
                hex::encode(compute_fork_digest(&config, &blobs, epoch)),
                expected,
                "epoch {epoch}"
            );
        }
        config.genesis_validators_root = [1u8; 32].into();
        assert_eq!(
            hex::encode(compute_fork_digest(&config, &blobs, 9)),
            "89671111"
        );
    }

    #[test]
    fn blob_schedule_from_yaml() {
        let text = "BLOB_SCHEDULE:\n  - EPOCH: 166400\n    MAX_BLOBS_PER_BLOCK: 15\nMAX_BLOBS_PER_BLOCK_ELECTRA: 9\n";
        let s = BlobSchedule::from_config_yaml(text).unwrap();
        assert_eq!(s.entries, vec![bp(166400, 15)]);
        assert!(BlobSchedule::from_config_yaml("BLOB_SCHEDULE: 3").is_err());
    }
}
