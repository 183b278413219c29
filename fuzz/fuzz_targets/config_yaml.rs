//! `config.yaml` (a network's consensus config: top-level `KEY: value`, a key given twice is an
//! error) and its `BLOB_SCHEDULE`, then what the sync reads from the resulting network: fork at
//! an epoch, fork digests, blob parameters, slot times.
#![no_main]

use beacon_lightsync::config::{ConfigFile, NetworkConfig};
use beacon_lightsync::light::fork_digest::{compute_fork_digest, known_fork_digests, BlobSchedule};
use beacon_lightsync::types::FAR_FUTURE_EPOCH;
use libfuzzer_sys::fuzz_target;

fn exercise(config: &NetworkConfig, blobs: &BlobSchedule) {
    for epoch in [
        0,
        1,
        74_240,
        412_672,
        1 << 40,
        FAR_FUTURE_EPOCH - 1,
        FAR_FUTURE_EPOCH,
    ] {
        let _ = config.fork_at_epoch(epoch);
        let _ = compute_fork_digest(config, blobs, epoch);
        let _ = blobs.get_blob_parameters(config, epoch);
        let slot = config.compute_start_slot_at_epoch(epoch);
        let _ = config.slot_start_time(slot);
        let _ = config.fork_at_slot(slot);
    }
    let _ = known_fork_digests(config, blobs);
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let blobs = BlobSchedule::from_config_yaml(text);
    match ConfigFile::parse_yaml(text) {
        Ok(file) => {
            let _ = (file.name().to_string(), file.genesis_fork_version());
            if let Ok(config) = file.complete_offline(Some([7; 32].into())) {
                exercise(
                    &config,
                    blobs.as_ref().unwrap_or(&BlobSchedule::for_network("")),
                );
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    if let Ok(config) = NetworkConfig::from_config_yaml(text, Some([7; 32].into())) {
        let _ = config.slots_per_epoch();
    }
});
