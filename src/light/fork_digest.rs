//! `compute_fork_digest`, which tags each chunk of the Beacon API `light_client/updates` SSZ
//! stream (and every p2p message) with the fork its payload belongs to.
//!
//! Up to Electra the digest is the first 4 bytes of `compute_fork_data_root(version, gvr)`.
//! Fulu (EIP-7892, blob-parameter-only forks) XORs that root with
//! `sha256(uint64(blob_params.epoch) ++ uint64(blob_params.max_blobs_per_block))` first, so the
//! digest changes at every `BLOB_SCHEDULE` entry even though the fork version does not.
//! Each network's schedule is part of its [`crate::config::NetworkConfig`]
//! (`blob_schedule`): a built-in network's from [`BlobSchedule::for_network`], any other one's
//! from its config (config.yaml or `/eth/v1/config/spec`), never from its name.

use sha2::{Digest, Sha256};

use crate::config::{compute_fork_data_root, NetworkConfig};
pub use crate::config::{BlobParameters, BlobSchedule};
use crate::types::{Epoch, ForkName, FAR_FUTURE_EPOCH};

/// A 4-byte fork digest.
pub type ForkDigest = [u8; 4];

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

/// Every (digest, fork, first epoch) the network can produce: one per fork from Altair on that
/// is ever active, plus one per blob-schedule entry from Fulu on. Used to map a stream chunk's digest
/// back to the SSZ type of its payload.
pub fn known_fork_digests(
    config: &NetworkConfig,
    blobs: &BlobSchedule,
) -> Vec<(ForkDigest, ForkName, Epoch)> {
    let mut out = Vec::new();
    for fork in ForkName::ALL.into_iter().skip(1) {
        let epoch = config.fork_schedule(fork).epoch;
        // A fork scheduled at the same epoch as a later one (a dev chain with every fork at
        // epoch 0) never produces a digest of its own: at that epoch the later fork is active.
        if epoch == FAR_FUTURE_EPOCH || config.fork_at_epoch(epoch) != fork {
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

    fn bp(epoch: Epoch, max_blobs_per_block: u64) -> BlobParameters {
        BlobParameters {
            epoch,
            max_blobs_per_block,
        }
    }

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
        // Flow style with string numbers (a spec served as JSON), amid lines no YAML reader
        // takes as one document.
        let text = "A: 0x01\nBLOB_SCHEDULE: [{\"EPOCH\":\"0\",\"MAX_BLOBS_PER_BLOCK\":\"6\"}]\nB: {unclosed\nMAX_BLOBS_PER_BLOCK_ELECTRA: '12'\n";
        let s = BlobSchedule::from_config_yaml(text).unwrap();
        assert_eq!(s.entries, vec![bp(0, 6)]);
        assert_eq!(s.max_blobs_per_block_electra, 12);
        let none = BlobSchedule::from_config_yaml("BLOB_SCHEDULE:\nX: 1\n").unwrap();
        assert!(none.entries.is_empty());
        assert_eq!(none.max_blobs_per_block_electra, 9);
    }

    /// A dev chain with every fork at epoch 0 only ever produces Fulu digests; the earlier
    /// forks must not claim them (their payload types differ).
    #[test]
    fn forks_superseded_at_their_epoch_have_no_digest() {
        // A Fulu chain: every fork up to Fulu at genesis (Gloas stays unscheduled).
        let mut config = NetworkConfig::mainnet();
        for f in &mut config.forks[..ForkName::Fulu as usize] {
            f.epoch = 0;
        }
        let blobs = BlobSchedule {
            entries: vec![bp(0, 6), bp(10, 12)],
            max_blobs_per_block_electra: 9,
        };
        let known = known_fork_digests(&config, &blobs);
        assert!(
            known.iter().all(|(_, fork, _)| *fork == ForkName::Fulu),
            "{known:?}"
        );
        assert_eq!(known.len(), 3);
        assert_eq!(known[0].0, compute_fork_digest(&config, &blobs, 0));
        assert_eq!(known[2].0, compute_fork_digest(&config, &blobs, 10));
        assert_ne!(known[0].0, known[2].0);
    }

    /// `BLOB_SCHEDULE` reaches the network config from a served spec (JSON list) and from a
    /// config.yaml (block list); built-in networks keep their own.
    #[test]
    fn the_network_config_carries_its_blob_schedule() {
        let mut spec = serde_json::Map::new();
        for (k, v) in [
            ("PRESET_BASE", "minimal"),
            ("SECONDS_PER_SLOT", "6"),
            ("GENESIS_TIME", "1700000000"),
            ("GENESIS_FORK_VERSION", "0x00000001"),
            ("MIN_PER_EPOCH_CHURN_LIMIT", "2"),
            ("CHURN_LIMIT_QUOTIENT", "32"),
            ("MAX_PER_EPOCH_ACTIVATION_CHURN_LIMIT", "4"),
            ("MIN_VALIDATOR_WITHDRAWABILITY_DELAY", "256"),
            ("MAX_BLOBS_PER_BLOCK_ELECTRA", "8"),
        ] {
            spec.insert(k.into(), v.into());
        }
        spec.insert(
            "BLOB_SCHEDULE".into(),
            serde_json::json!([{"EPOCH": "5", "MAX_BLOBS_PER_BLOCK": "12"}]),
        );
        let net = crate::config::network_from_spec(&spec, Some([0; 32])).unwrap();
        assert_eq!(net.blob_schedule.entries, vec![bp(5, 12)]);
        assert_eq!(net.blob_schedule.max_blobs_per_block_electra, 8);
        let mut yaml = String::new();
        for (k, v) in &spec {
            if let Some(v) = v.as_str() {
                yaml.push_str(&format!("{k}: {v}\n"));
            }
        }
        yaml.push_str("BLOB_SCHEDULE:\n  - EPOCH: 7\n    MAX_BLOBS_PER_BLOCK: 14\n");
        let net = NetworkConfig::from_config_yaml(&yaml, Some(Default::default())).unwrap();
        assert_eq!(net.blob_schedule.entries, vec![bp(7, 14)]);
        assert_eq!(
            NetworkConfig::mainnet().blob_schedule,
            BlobSchedule::for_network("mainnet")
        );
    }

    /// Every built-in network that has scheduled Fulu carries the blob-parameter-only forks of
    /// its eth-clients `config.yaml`: each entry after Fulu changes the digest, the epoch before
    /// it keeps the previous one. An empty table would keep one digest from Fulu on.
    #[test]
    fn built_in_networks_with_fulu_carry_their_bpo_schedule() {
        // (network, its config, the first two (epoch, max blobs per block) after Fulu)
        type Bpo = (&'static str, NetworkConfig, [(Epoch, u64); 2]);
        let expected: [Bpo; 4] = [
            (
                "mainnet",
                NetworkConfig::mainnet(),
                [(412672, 15), (419072, 21)],
            ),
            (
                "sepolia",
                NetworkConfig::sepolia(),
                [(274176, 15), (275712, 21)],
            ),
            (
                "holesky",
                NetworkConfig::holesky(),
                [(166400, 15), (167936, 21)],
            ),
            ("hoodi", NetworkConfig::hoodi(), [(52480, 15), (54016, 21)]),
        ];
        for (name, config, entries) in expected {
            let blobs = BlobSchedule::for_network(name);
            let want: Vec<_> = entries.iter().map(|&(e, m)| bp(e, m)).collect();
            assert_eq!(blobs.entries, want, "{name}");
            let fulu = config.fork_schedule(ForkName::Fulu).epoch;
            assert!(fulu < entries[0].0, "{name}: Fulu at {fulu}");
            for (epoch, _) in entries {
                assert_ne!(
                    compute_fork_digest(&config, &blobs, epoch - 1),
                    compute_fork_digest(&config, &blobs, epoch),
                    "{name}: the digest must change at epoch {epoch}"
                );
            }
        }
    }
}
