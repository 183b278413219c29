//! The runner of the consensus-spec-tests `light_client/sync` format (minimal preset), shared by
//! the light-client conformance tests: bootstrap from `meta.yaml`'s trusted root, then each
//! `process_update` / `force_update` step with its `checks` on the store's finalized and
//! optimistic headers (slot, beacon root, `get_lc_execution_root`).
//!
//! [`Mode::UpgradedToGloas`] runs a pre-Gloas case the way a Gloas store meets older data
//! (`light-client/fork.md`): Gloas is scheduled after the case's last slot, the store is upgraded
//! with `upgrade_lc_store_to_gloas` at a chosen step, and every update from that step on is
//! upgraded with `upgrade_lc_update_to_gloas`, sent through its SSZ bytes and decoded as Gloas
//! data. The spec's checks still hold: the upgrade changes shapes, never the outcome.
#![allow(dead_code)]

use std::path::Path;

use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::light::error::UpdateKind;
use beacon_lightsync::light::fork_digest::{compute_fork_digest, BlobSchedule};
use beacon_lightsync::light::gloas::{
    upgrade_lc_bootstrap_to_gloas, upgrade_lc_store_to_gloas, upgrade_lc_update_to_gloas,
};
use beacon_lightsync::light::sync_protocol::{
    compute_epoch_at_slot, get_lc_execution_root, initialize_light_client_store,
    process_light_client_store_force_update, process_with_context,
};
use beacon_lightsync::ssz_io::read_ssz_file;
use beacon_lightsync::types::light_client::{self as lc, LightClientBootstrap, LightClientUpdate};
use beacon_lightsync::types::{ForkName, Hash256, Minimal, Preset};
use ssz::Encode;
use tree_hash::TreeHash;

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

pub fn root(s: &str) -> Hash256 {
    s.parse().expect("root literal")
}

#[derive(serde::Deserialize)]
pub struct Meta {
    pub genesis_validators_root: String,
    pub trusted_block_root: String,
    pub bootstrap_fork_digest: String,
}

#[derive(serde::Deserialize)]
pub struct HeaderCheck {
    pub slot: u64,
    pub beacon_root: String,
    pub execution_root: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct Checks {
    pub finalized_header: HeaderCheck,
    pub optimistic_header: HeaderCheck,
}

/// One step of `steps.yaml`: `{process_update: {...}}` or `{force_update: {...}}`.
#[derive(serde::Deserialize)]
pub struct Step {
    pub process_update: Option<ProcessUpdate>,
    pub force_update: Option<ForceUpdate>,
}

#[derive(serde::Deserialize)]
pub struct ProcessUpdate {
    pub update_fork_digest: String,
    pub update: String,
    pub current_slot: u64,
    pub checks: Checks,
}

#[derive(serde::Deserialize)]
pub struct ForceUpdate {
    pub current_slot: u64,
    pub checks: Checks,
}

/// How a case's data reaches the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// As served, at the case's fork.
    AsServed,
    /// Gloas scheduled at `GLOAS_EPOCH_AFTER_DATA`; the store and the updates upgraded to Gloas
    /// from step `from_step` on (0: the bootstrap too).
    UpgradedToGloas { from_step: usize },
}

/// A Gloas epoch after every slot of the pre-Gloas sync cases (their slots stay below 400).
pub const GLOAS_EPOCH_AFTER_DATA: u64 = 1_000;

pub fn lc_kind() -> UpdateKind {
    UpdateKind::Update
}

fn check_header<P: Preset>(
    config: &NetworkConfig,
    what: &str,
    h: &lc::LightClientHeader<P>,
    c: &HeaderCheck,
) {
    assert_eq!(h.beacon().slot, c.slot, "{what} slot");
    assert_eq!(
        format!("{:#x}", h.beacon().tree_hash_root()),
        c.beacon_root,
        "{what} beacon_root"
    );
    if let Some(er) = &c.execution_root {
        assert_eq!(
            format!("{:#x}", get_lc_execution_root(config, h)),
            *er,
            "{what} execution_root"
        );
    }
}

fn digest_hex(config: &NetworkConfig, blobs: &BlobSchedule, slot: u64) -> String {
    let epoch = compute_epoch_at_slot::<Minimal>(slot);
    format!(
        "0x{}",
        hex::encode(compute_fork_digest(config, blobs, epoch))
    )
}

/// Runs one `light_client/sync` case of `fork` in `mode`; returns the number of steps checked.
pub fn run_sync_case(fork: ForkName, dir: &Path, mode: Mode) -> usize {
    let meta: Meta = serde_yaml::from_slice(&read(&dir.join("meta.yaml"))).unwrap();
    let gvr = root(&meta.genesis_validators_root);
    let config_text = String::from_utf8(read(&dir.join("config.yaml"))).unwrap();
    let mut config = NetworkConfig::from_config_yaml(&config_text, Some(gvr)).unwrap();
    let blobs = BlobSchedule::from_config_yaml(&config_text).unwrap();
    let bootstrap_bytes = read_ssz_file(dir.join("bootstrap.ssz_snappy")).unwrap();
    let bootstrap =
        LightClientBootstrap::<Minimal>::from_ssz_bytes(fork, &bootstrap_bytes).unwrap();
    // The fork digests of the vectors are known answers for compute_fork_digest (at the epoch
    // of the object's header, as the p2p `ForkDigest`-context is).
    assert_eq!(
        digest_hex(&config, &blobs, bootstrap.header().beacon().slot),
        meta.bootstrap_fork_digest,
        "{}: bootstrap fork digest",
        dir.display()
    );
    let upgrade_from = match mode {
        Mode::AsServed => usize::MAX,
        Mode::UpgradedToGloas { from_step } => {
            assert!(fork < ForkName::Gloas, "only pre-Gloas data is upgraded");
            config.forks[ForkName::Gloas as usize - 1].epoch = GLOAS_EPOCH_AFTER_DATA;
            from_step
        }
    };
    let bootstrap = if upgrade_from == 0 {
        let up = upgrade_lc_bootstrap_to_gloas(&config, &bootstrap);
        LightClientBootstrap::from_ssz_bytes(ForkName::Gloas, &up.as_ssz_bytes()).unwrap()
    } else {
        bootstrap
    };
    let mut store =
        initialize_light_client_store(&config, root(&meta.trusted_block_root), &bootstrap).unwrap();
    let steps: Vec<Step> = serde_yaml::from_slice(&read(&dir.join("steps.yaml"))).unwrap();
    let mut n = 0;
    for (i, step) in steps.iter().enumerate() {
        if i == upgrade_from {
            upgrade_lc_store_to_gloas(&config, &mut store);
            assert!(matches!(
                store.finalized_header,
                lc::LightClientHeader::Gloas(_)
            ));
        }
        let checks = match (&step.process_update, &step.force_update) {
            (
                Some(ProcessUpdate {
                    update_fork_digest,
                    update,
                    current_slot,
                    checks,
                }),
                None,
            ) => {
                let bytes = read_ssz_file(dir.join(format!("{update}.ssz_snappy"))).unwrap();
                let mut u = LightClientUpdate::<Minimal>::from_ssz_bytes(fork, &bytes).unwrap();
                assert_eq!(
                    digest_hex(&config, &blobs, u.attested_beacon().slot),
                    *update_fork_digest,
                    "{} step {i}: update fork digest",
                    dir.display()
                );
                if i >= upgrade_from {
                    let up = upgrade_lc_update_to_gloas(&config, &u);
                    u = LightClientUpdate::from_ssz_bytes(ForkName::Gloas, &up.as_ssz_bytes())
                        .unwrap();
                }
                process_with_context(
                    &config,
                    &mut store,
                    &u.parts(),
                    *current_slot,
                    lc_kind(),
                    Some(i),
                )
                .unwrap_or_else(|e| panic!("{} step {i} ({mode:?}): {e}", dir.display()));
                checks
            }
            (
                None,
                Some(ForceUpdate {
                    current_slot,
                    checks,
                }),
            ) => {
                process_light_client_store_force_update(&mut store, *current_slot);
                checks
            }
            _ => panic!(
                "{} step {i}: expected exactly one of process_update, force_update",
                dir.display()
            ),
        };
        let what = format!("{} step {i} ({mode:?})", dir.display());
        check_header(
            &config,
            &format!("{what} finalized"),
            &store.finalized_header,
            &checks.finalized_header,
        );
        check_header(
            &config,
            &format!("{what} optimistic"),
            &store.optimistic_header,
            &checks.optimistic_header,
        );
        n += 1;
    }
    n
}
