#![cfg(not(target_arch = "wasm32"))]
//! Native side of the light-client benchmark (not a test: `#[ignore]`, run by
//! `node scripts/bench.mjs light` or `cargo test --release --test light_rebuild_bench --
//! --ignored --nocapture`; `lightsync bench light` prints the same line). Same work as
//! `www/bench/light.html`: the real mainnet helios bootstrap and six updates (periods 862..867),
//! each round from scratch, each committee's preparation timed apart from each update's
//! verification, plus the bootstrap committee's keys timed three ways (`KeyValidate` of all 512,
//! decompression of all 512, decompression of `aggregate_pubkey`). Prints one
//! `LIGHT_BENCH {json}` line (milliseconds).

use beacon_lightsync::cli::bench::light_bench;
use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::light::input::{parse_bootstrap, parse_updates_json};
use beacon_lightsync::ssz_io::require_fixtures_dir;
use beacon_lightsync::types::Mainnet;

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
    // Every round verifies every update (a failure is an error), so all six real ones verify.
    let out = light_bench(&net, &bootstrap, &updates, rounds).unwrap();
    assert_eq!(out["updatesPerRound"], 6, "all six real updates verify");
    println!("LIGHT_BENCH {out}");
}
