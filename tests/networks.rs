//! Every built-in network equals what `NetworkConfig::from_config_yaml` reads from the
//! published config files in the fixtures, and its genesis validators root matches the value
//! recorded next to that network's data.
#![cfg(not(target_arch = "wasm32"))]

use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::ssz_io::require_fixtures_dir;
use beacon_lightsync::types::{ForkName, Hash256};

fn read(rel: &str) -> String {
    let path = require_fixtures_dir().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn from_fixture(rel: &str, built_in: &NetworkConfig) -> NetworkConfig {
    NetworkConfig::from_config_yaml(&read(rel), Some(built_in.genesis_validators_root))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The sepolia and hoodi snapshots in the fixtures predate their Fulu scheduling: everything up
/// to Electra must agree with them, and Fulu must be the published schedule (its blob-parameter
/// forks are pinned in `light::fork_digest`'s tests).
#[test]
fn sepolia_holesky_hoodi_equal_their_configs() {
    for (name, rel, fulu) in [
        (
            "sepolia",
            "network-configs/eth-clients-sepolia/config.yaml",
            ([0x90, 0, 0, 0x75], 272640),
        ),
        (
            "holesky",
            "network-configs/eth-clients-holesky/config.yaml",
            ([7, 1, 0x70, 0], 165120),
        ),
        (
            "hoodi",
            "network-configs/eth-clients-hoodi/config.yaml",
            ([0x70, 0, 0x09, 0x10], 50688),
        ),
    ] {
        let built_in = NetworkConfig::by_name(name).unwrap();
        let fixture = from_fixture(rel, &built_in);
        let fulu_at = ForkName::Fulu as usize - 1;
        let mut snapshot_view = built_in.clone();
        if fixture.forks[fulu_at].epoch == beacon_lightsync::types::FAR_FUTURE_EPOCH {
            snapshot_view.forks[fulu_at] = fixture.forks[fulu_at];
            // Nor their blob-parameter-only forks, which come with Fulu (pinned in fork_digest.rs).
            snapshot_view.blob_schedule = fixture.blob_schedule.clone();
        }
        assert_eq!(snapshot_view, fixture, "{name}");
        let f = built_in.fork_schedule(ForkName::Fulu);
        assert_eq!((f.version.0, f.epoch), fulu, "{name} Fulu");
    }
}

/// Mainnet's eth-clients config predates Fulu; the consensus-specs mainnet config has the full
/// schedule. Mainnet's genesis was not at MIN_GENESIS_TIME + GENESIS_DELAY, so the real genesis
/// time (checked against the genesis state in tests/known_roots.rs) is supplied.
#[test]
fn mainnet_equals_its_configs() {
    let built_in = NetworkConfig::mainnet();
    let specs = from_fixture("consensus-specs-configs/configs/mainnet.yaml", &built_in)
        .with_genesis_time(1_606_824_023);
    assert_eq!(built_in, specs);
    let eth_clients = from_fixture("network-configs/eth-clients-mainnet/config.yaml", &built_in)
        .with_genesis_time(1_606_824_023);
    let mut pre_fulu = built_in.clone();
    pre_fulu.forks[ForkName::Fulu as usize - 1] = eth_clients.forks[ForkName::Fulu as usize - 1];
    pre_fulu.forks[ForkName::Gloas as usize - 1] = eth_clients.forks[ForkName::Gloas as usize - 1];
    // The pre-Fulu snapshot has no BLOB_SCHEDULE (the full config above does, and matches).
    assert!(eth_clients.blob_schedule.entries.is_empty());
    pre_fulu.blob_schedule = eth_clients.blob_schedule.clone();
    assert_eq!(pre_fulu, eth_clients);
}

#[test]
fn genesis_validators_roots_match_recorded_values() {
    let hoodi: Hash256 = read("network-configs/eth-clients-hoodi/genesis_validators_root.txt")
        .trim()
        .parse()
        .unwrap();
    assert_eq!(NetworkConfig::hoodi().genesis_validators_root, hoodi);
    // Recorded in the READMEs next to real data of each network (helios: mainnet; gear-bridges:
    // holesky and sepolia).
    let helios = read("helios/README.md");
    let gear = read("gear-bridges/README.md");
    let hex = |r: Hash256| format!("{r:#x}");
    assert!(helios.contains(&format!(
        "genesis_validators_root = {}",
        hex(NetworkConfig::mainnet().genesis_validators_root)
    )));
    assert!(gear.contains(&format!(
        "holesky {}",
        hex(NetworkConfig::holesky().genesis_validators_root)
    )));
    assert!(gear.contains(&format!(
        "sepolia {}",
        hex(NetworkConfig::sepolia().genesis_validators_root)
    )));
}

#[test]
fn minimal_config_parses() {
    let minimal = NetworkConfig::from_config_yaml(
        &read("consensus-specs-configs/configs/minimal.yaml"),
        Some(Hash256::ZERO),
    )
    .unwrap();
    assert_eq!(minimal.slots_per_epoch(), 8);
    assert_eq!(minimal.compute_epoch_at_slot(17), 2);
    let err = NetworkConfig::from_config_yaml(
        &read("consensus-specs-configs/configs/minimal.yaml"),
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("genesis validators root"), "{err}");
}
