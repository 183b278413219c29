//! The light-client inputs: the `light_client/updates` SSZ stream (`[u64 LE length][4-byte
//! fork digest][LightClientUpdate]` repeated), the JSON forms, and the bootstrap / finality /
//! optimistic parsers with a known fork or none (then the fork is found from the bytes), on
//! mainnet's fork schedule. The input's last byte picks the preset, the parser and the fork.
//!
//! Besides the input as it comes, the input is also framed as one update of a fork (a valid
//! length and that fork's digest in front), so the payload decoders and the digest-against-epoch
//! check are reached without the fuzzer having to guess a digest. A stream that parses
//! re-encodes to exactly the input; JSON updates that parse survive the trip through the SSZ
//! stream unchanged.
#![no_main]

use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::light::fork_digest::{known_fork_digests, BlobSchedule};
use beacon_lightsync::light::input::{
    encode_updates_ssz, looks_like_json, parse_bootstrap, parse_finality_update,
    parse_optimistic_update, parse_updates, parse_updates_json, parse_updates_ssz,
};
use beacon_lightsync::types::{ForkName, Mainnet, Minimal, Preset};
use beacon_lightsync_fuzz::{selector, views};
use libfuzzer_sys::fuzz_target;

fn run<P: Preset>(config: &NetworkConfig, blobs: &BlobSchedule, data: &[u8], sel: usize) {
    let forks = [
        None,
        Some(ForkName::Altair),
        Some(ForkName::Capella),
        Some(ForkName::Deneb),
        Some(ForkName::Electra),
    ];
    let fork = forks[(sel >> 3) % forks.len()];
    match (sel >> 1) % 4 {
        0 => {
            let _ = parse_bootstrap::<P>(config, data, fork);
        }
        1 => {
            let _ = parse_finality_update::<P>(config, data, fork);
        }
        2 => {
            let _ = parse_optimistic_update::<P>(config, data, fork);
        }
        _ if looks_like_json(data) => {
            if let Ok(updates) = parse_updates_json::<P>(data) {
                let stream = encode_updates_ssz(config, blobs, &updates);
                // The JSON may name a fork other than the one its slot is at on this network:
                // the stream's digest check then refuses it, rightly; else it is the same list.
                if let Ok(back) = parse_updates_ssz::<P>(config, blobs, &stream) {
                    assert_eq!(back, updates, "JSON -> SSZ stream -> updates differs");
                }
            }
        }
        _ => {
            if let Ok(updates) = parse_updates::<P>(config, blobs, data) {
                let again = encode_updates_ssz(config, blobs, &updates);
                assert_eq!(again, data, "stream re-encoding differs");
            }
            let digests = known_fork_digests(config, blobs);
            let (digest, _, _) = digests[(sel >> 3) % digests.len()];
            let mut framed = ((data.len() + 4) as u64).to_le_bytes().to_vec();
            framed.extend_from_slice(&digest);
            framed.extend_from_slice(data);
            let _ = parse_updates_ssz::<P>(config, blobs, &framed);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let config = NetworkConfig::mainnet();
    let blobs = BlobSchedule::for_network("mainnet");
    let sel = selector(data);
    for bytes in views(data) {
        if sel & 1 == 0 {
            run::<Minimal>(&config, &blobs, &bytes, sel);
        } else {
            run::<Mainnet>(&config, &blobs, &bytes, sel);
        }
    }
});
