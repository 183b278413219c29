#![cfg(not(target_arch = "wasm32"))]
//! The client copes with each way real beacon nodes legitimately answer differently from our
//! devnet's defaults (`src/devnet/behave.rs`), through the `lightsync` binary over real HTTP:
//!
//! - the still-running period's `light_client/updates` entry answered 500, 404 or left out:
//!   the light rebuild still reaches the newest finalized block;
//! - a light-client server that is off (501), failing (500) or absent (404) on one provider:
//!   the rebuild takes the next provider and says why; on every provider: a typed error, and
//!   checkpoint sync (which needs no light-client data) is unaffected;
//! - a node that is syncing (503 on data endpoints): that provider is skipped with its typed
//!   reason and the others decide; when all are syncing, a typed error.
//!
//! Event-stream behaviours (`events=off|drop`) are covered by `cli_follow_events.rs`.

mod devnet_common;
use devnet_common::{lightsync, CliOut};

use beacon_lightsync::devnet::chain::ChainOptions;
use beacon_lightsync::devnet::{Devnet, DevnetOptions};

/// Four sync-committee periods of the minimal preset (8-slot epochs, 8-epoch periods).
fn devnet(providers: usize, behaviours: &[(usize, &str)]) -> Devnet {
    Devnet::start(DevnetOptions {
        providers,
        behaviours: behaviours
            .iter()
            .map(|(i, b)| (*i, b.to_string()))
            .collect(),
        chain: ChainOptions {
            validators: 512,
            slots: 255,
            seed: 7,
            ..ChainOptions::default()
        },
        ..DevnetOptions::default()
    })
    .expect("devnet starts")
}

/// `checkpoint` from the genesis block against every provider of `devnet`; with `stale`, the
/// clock is one epoch past the genesis anchor's weak-subjectivity period (257 epochs here) and
/// the light rebuild runs.
fn checkpoint(devnet: &Devnet, stale: bool) -> CliOut {
    let urls = devnet.urls().join(",");
    let genesis_block = format!(
        "0x{}",
        hex::encode(devnet.chain().genesis_block_root.expect("genesis block"))
    );
    let genesis_time = devnet
        .chain()
        .genesis
        .as_ref()
        .expect("genesis")
        .genesis_time;
    let now = (genesis_time + 258 * 8 * 6).to_string();
    let mut args = vec![
        "checkpoint",
        "--network",
        "spec",
        "--beacon-api",
        &urls,
        "--trusted-block-root",
        &genesis_block,
    ];
    if stale {
        args.extend(["--long-range", "light", "--now", &now]);
    }
    lightsync(&args)
}

/// The rebuilt anchor is the devnet's newest finalized checkpoint.
fn assert_rebuilt_to_the_head(devnet: &Devnet, out: &CliOut) {
    assert_eq!(out.code, 0, "{}", out.stderr);
    let anchor = out.json();
    assert_eq!(anchor["trust"], "light-client", "{anchor}");
    let fin = devnet.chain().checkpoints.finalized;
    assert_eq!(anchor["epoch"], fin.epoch, "{anchor}");
    assert_eq!(
        anchor["block_root"],
        format!("0x{}", hex::encode(fin.root)),
        "{anchor}"
    );
}

#[test]
fn the_running_periods_update_refused_or_omitted_still_reaches_the_head() {
    for behaviour in [
        "running-update=500",
        "running-update=404",
        "running-update=omit",
    ] {
        let d = devnet(2, &[(0, behaviour), (1, behaviour)]);
        // The devnet does refuse (or leave out) the running period's update.
        let running = d.chain().head_slot.expect("head") / 64;
        let r = ureq::get(&format!(
            "{}/eth/v1/beacon/light_client/updates?start_period={running}&count=1",
            d.urls()[0]
        ))
        .set("Accept", "application/json")
        .call();
        match r {
            Ok(r) => {
                let list: serde_json::Value =
                    serde_json::from_str(&r.into_string().unwrap()).unwrap();
                assert_eq!(
                    list.as_array().map(Vec::len),
                    Some(0),
                    "{behaviour}: {list}"
                );
            }
            Err(ureq::Error::Status(code, _)) => {
                assert_eq!(behaviour, format!("running-update={code}"))
            }
            Err(e) => panic!("{e}"),
        }
        let out = checkpoint(&d, true);
        assert_rebuilt_to_the_head(&d, &out);
    }
}

#[test]
fn a_light_client_server_off_on_one_provider_means_the_next_one() {
    for status in ["off", "500", "404"] {
        let behaviour = format!("light-client={status}");
        let d = devnet(2, &[(0, behaviour.as_str())]);
        let out = checkpoint(&d, true);
        assert_rebuilt_to_the_head(&d, &out);
        assert!(
            out.stderr.contains("REBUILD_PROVIDER_REJECTED")
                && out.stderr.contains(&d.urls()[0])
                && out.stderr.contains("HTTP_STATUS"),
            "{behaviour}: {}",
            out.stderr
        );
    }
}

#[test]
fn no_light_client_server_anywhere_is_a_typed_error_and_checkpoint_sync_is_unaffected() {
    let d = devnet(2, &[(0, "light-client=off"), (1, "light-client=500")]);
    let out = checkpoint(&d, true);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let line = out.stderr.lines().last().unwrap_or("");
    assert!(
        line.starts_with("REBUILD_ALL_PROVIDERS_FAILED:")
            && line.contains(&d.urls()[0])
            && line.contains(&d.urls()[1]),
        "{}",
        out.stderr
    );
    let fresh = checkpoint(&d, false);
    assert_eq!(fresh.code, 0, "{}", fresh.stderr);
    assert_eq!(fresh.json()["mode"], "checkpoint");
}

#[test]
fn a_syncing_node_is_skipped_with_its_reason_and_all_syncing_is_a_typed_error() {
    let d = devnet(2, &[(0, "syncing")]);
    let out = checkpoint(&d, false);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["providers"][0], d.urls()[1], "{}", out.stdout);
    let out = checkpoint(&d, true);
    assert_rebuilt_to_the_head(&d, &out);

    let all = devnet(2, &[(0, "syncing"), (1, "syncing")]);
    let out = checkpoint(&all, false);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr.contains("503") && out.stderr.contains("syncing"),
        "{}",
        out.stderr
    );
}
