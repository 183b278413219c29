#![cfg(not(target_arch = "wasm32"))]
//! Native side of the light-client benchmark (not a test: `#[ignore]`, run by
//! `node scripts/bench.mjs light` or `cargo test --release --test light_rebuild_bench --
//! --ignored --nocapture`). Same work as `www/bench/light.html`: the real mainnet helios
//! bootstrap and six updates (periods 862..867), each round from scratch, each committee's
//! preparation timed apart from each update's verification, plus the bootstrap committee's keys
//! timed three ways (`KeyValidate` of all 512, decompression of all 512, decompression of
//! `aggregate_pubkey`). Prints one `LIGHT_BENCH {json}` line (milliseconds).

use std::time::Instant;

use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::light::input::{parse_bootstrap, parse_updates_json};
use beacon_lightsync::longrange::rebuild::{measure_committee_keys, measure_update_chain};
use beacon_lightsync::ssz_io::require_fixtures_dir;
use beacon_lightsync::types::Mainnet;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn light_verification_benchmark() {
    let dir = require_fixtures_dir().join("helios/ethereum/testdata");
    let net = NetworkConfig::by_name("mainnet").unwrap();
    let bootstrap = parse_bootstrap::<Mainnet>(
        &net,
        &std::fs::read(dir.join("bootstrap.json")).unwrap(),
        None,
    )
    .unwrap();
    let updates =
        parse_updates_json::<Mainnet>(&std::fs::read(dir.join("updates.json")).unwrap()).unwrap();
    let rounds: usize = std::env::var("LIGHT_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let t0 = Instant::now();
    let now = move || t0.elapsed().as_secs_f64() * 1000.0;
    measure_update_chain(&net, &bootstrap, &updates, &now).unwrap();
    let (mut verify, mut prepare, mut both, mut totals) = (vec![], vec![], vec![], vec![]);
    let (mut kv_all, mut dec_all, mut dec_agg, mut decompressed) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        let t = measure_update_chain(&net, &bootstrap, &updates, &now).unwrap();
        assert_eq!(t.verify_ms.len(), 6, "all six real updates verify");
        for (v, p) in t.verify_ms.iter().zip(&t.prepare_ms) {
            both.push(v + p);
        }
        verify.extend(t.verify_ms);
        prepare.extend(t.prepare_ms.into_iter().filter(|p| *p > 0.0));
        decompressed.extend(t.decompressed_keys.into_iter().map(|k| k as f64));
        totals.push(t.total_ms);
        let k = measure_committee_keys(bootstrap.current_sync_committee(), &now).unwrap();
        kv_all.push(k.key_validate_all_ms);
        dec_all.push(k.decompress_all_ms);
        dec_agg.push(k.decompress_aggregate_ms);
    }
    let round = median(totals);
    println!(
        "LIGHT_BENCH {}",
        serde_json::json!({
            "platform": "native",
            "profile": if cfg!(debug_assertions) { "dev" } else { "release" },
            "rounds": rounds,
            "updatesPerRound": updates.len(),
            "verifyUpdateMedianMs": median(verify.clone()),
            "verifyUpdateBestMs": verify.iter().cloned().fold(f64::INFINITY, f64::min),
            "prepareCommitteeMedianMs": median(prepare),
            "updatePlusPrepareMedianMs": median(both),
            "decompressedKeysMedian": median(decompressed),
            "keyValidateAllMedianMs": median(kv_all),
            "decompressAllMedianMs": median(dec_all),
            "decompressAggregateMedianMs": median(dec_agg),
            "roundMedianMs": round,
            "rebuild13DaysEstimateMs": 2.0 * round,
        })
    );
}
