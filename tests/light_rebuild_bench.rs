#![cfg(not(target_arch = "wasm32"))]
//! Native side of the light-client benchmark (not a test: `#[ignore]`, run by
//! `node scripts/bench.mjs light` or `cargo test --test light_rebuild_bench -- --ignored
//! --nocapture`). Same work as `www/bench/light.html`: the real mainnet helios bootstrap and six
//! updates (periods 862..867), each round from scratch, `KeyValidate` per committee timed apart
//! from each update's verification. Prints one `LIGHT_BENCH {json}` line.

use std::time::Instant;

use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::light::input::{parse_bootstrap, parse_updates_json};
use beacon_lightsync::light::rebuild::measure_update_chain;
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
    let (mut verify, mut keys, mut both, mut totals) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        let t = measure_update_chain(&net, &bootstrap, &updates, &now).unwrap();
        assert_eq!(t.verify_ms.len(), 6, "all six real updates verify");
        for (v, k) in t.verify_ms.iter().zip(&t.key_validate_ms) {
            both.push(v + k);
        }
        verify.extend(t.verify_ms);
        keys.extend(t.key_validate_ms.into_iter().filter(|k| *k > 0.0));
        totals.push(t.total_ms);
    }
    let round = median(totals);
    println!(
        "LIGHT_BENCH {}",
        serde_json::json!({
            "platform": "native",
            "rounds": rounds,
            "updatesPerRound": updates.len(),
            "verifyUpdateMedianMs": median(verify.clone()),
            "verifyUpdateBestMs": verify.iter().cloned().fold(f64::INFINITY, f64::min),
            "keyValidateMedianMs": median(keys.clone()),
            "updatePlusKeysMedianMs": median(both),
            "roundMedianMs": round,
            "rebuild13DaysEstimateMs": 2.0 * round,
        })
    );
}
