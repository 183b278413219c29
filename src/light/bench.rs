//! The light-client verification benchmark: what verifying a chain of updates costs, per
//! committee preparation and per update, and what a committee's keys cost three ways.
//!
//! Why here and shared: the same measurement runs natively (`lightsync bench light`, the
//! release-build figures) and in a page (the wasm `benchLightVerify` export behind
//! `www/bench/light.html`), so the two platforms time exactly the same work. The platform only
//! supplies its monotonic clock (`now_ms`). The light rebuild itself keeps none of this: it
//! verifies with [`super::sync_protocol`] directly.

use tree_hash::TreeHash;

use super::bls::{BlsError, PublicKey, PublicKeyPoint};
use super::error::{LightClientError, UpdateKind};
use super::sync_protocol::{
    compute_sync_committee_period_at_slot, initialize_light_client_store, process_with_context,
};
use crate::config::NetworkConfig;
use crate::types::altair::SyncCommittee;
use crate::types::light_client::{LightClientBootstrap, LightClientUpdate};
use crate::types::Preset;

/// Timings of one verification pass over a chain of updates (the benchmark's unit).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChainTimings {
    /// Per update: milliseconds to prepare the committee that signs it on its first use
    /// (decompressing its `aggregate_pubkey`), 0 when that committee was already prepared.
    pub prepare_ms: Vec<f64>,
    /// Per update: milliseconds of `process_light_client_update` after that (branches, the
    /// absent members' keys, aggregate `KeyValidate`, hash-to-curve, pairing).
    pub verify_ms: Vec<f64>,
    /// Per update: the member keys the signing committee has decompressed after it.
    pub decompressed_keys: Vec<usize>,
    /// Milliseconds for the whole pass (store from bootstrap included).
    pub total_ms: f64,
}

/// Verifies `updates` in order from a bootstrap (as a rebuild does from an anchor's committees),
/// timing each committee's preparation apart from each update's verification. `now_ms` is the
/// platform's monotonic clock in milliseconds. Used by the benchmark in both wasm and native.
pub fn measure_update_chain<P: Preset>(
    network: &NetworkConfig,
    bootstrap: &LightClientBootstrap<P>,
    updates: &[LightClientUpdate<P>],
    now_ms: &dyn Fn() -> f64,
) -> Result<ChainTimings, LightClientError> {
    let start = now_ms();
    let root = bootstrap.header().beacon().tree_hash_root();
    let mut store = initialize_light_client_store(network, root, bootstrap)?;
    let mut out = ChainTimings::default();
    let current_slot = updates
        .iter()
        .map(|u| u.signature_slot())
        .max()
        .unwrap_or(0);
    for (i, u) in updates.iter().enumerate() {
        let parts = u.parts();
        let signer_period = compute_sync_committee_period_at_slot::<P>(parts.signature_slot);
        // Read before timing and processing: the update may rotate the store's committees.
        let signer = if signer_period == store.period() {
            Some(store.current_sync_committee.committee.clone())
        } else {
            store
                .next_sync_committee
                .as_ref()
                .map(|c| c.committee.clone())
        };
        let t0 = now_ms();
        if signer_period == store.period() {
            store.current_sync_committee.prepare();
        } else if let Some(next) = &store.next_sync_committee {
            next.prepare();
        }
        let t1 = now_ms();
        process_with_context(
            network,
            &mut store,
            &parts,
            current_slot,
            UpdateKind::Update,
            Some(i),
        )?;
        let t2 = now_ms();
        out.prepare_ms.push(t1 - t0);
        out.verify_ms.push(t2 - t1);
        // The committee object that verified is the one now in the store (same period or
        // rotated from `next` to `current`): count its cache.
        let after = [
            Some(&store.current_sync_committee),
            store.next_sync_committee.as_ref(),
        ]
        .into_iter()
        .flatten()
        .filter(|c| signer.as_ref() == Some(&c.committee))
        .map(|c| c.decompressed_keys())
        .max()
        .unwrap_or(0);
        out.decompressed_keys.push(after);
    }
    out.total_ms = now_ms() - start;
    Ok(out)
}

/// What one committee's keys cost in the three ways a verifier can treat them, in
/// milliseconds: `KeyValidate` of all members (what this crate did per committee before),
/// `pubkey_to_point` of all members (the participants'-sum path with everyone taking part),
/// and `pubkey_to_point` of `aggregate_pubkey` alone (the committee-minus-absent path).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CommitteeKeyTimings {
    /// `KeyValidate` (decompression, subgroup and identity checks) of every member key.
    pub key_validate_all_ms: f64,
    /// Decompression of every member key, without subgroup checks.
    pub decompress_all_ms: f64,
    /// Decompression of `aggregate_pubkey`.
    pub decompress_aggregate_ms: f64,
}

/// Times [`CommitteeKeyTimings`] over `committee`; every key must decode.
pub fn measure_committee_keys<P: Preset>(
    committee: &SyncCommittee<P>,
    now_ms: &dyn Fn() -> f64,
) -> Result<CommitteeKeyTimings, BlsError> {
    let t0 = now_ms();
    for k in committee.pubkeys.iter() {
        std::hint::black_box(PublicKey::from_bytes(k.as_slice())?);
    }
    let t1 = now_ms();
    for k in committee.pubkeys.iter() {
        std::hint::black_box(PublicKeyPoint::from_bytes(k.as_slice())?);
    }
    let t2 = now_ms();
    std::hint::black_box(PublicKeyPoint::from_bytes(
        committee.aggregate_pubkey.as_slice(),
    )?);
    let t3 = now_ms();
    Ok(CommitteeKeyTimings {
        key_validate_all_ms: t1 - t0,
        decompress_all_ms: t2 - t1,
        decompress_aggregate_ms: t3 - t2,
    })
}

/// One round of the benchmark: a pass over the chain of updates from a fresh store, then the
/// bootstrap committee's keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Round {
    /// The pass over the updates.
    pub chain: ChainTimings,
    /// The bootstrap committee's keys.
    pub keys: CommitteeKeyTimings,
}

/// Why a round could not run: the data did not verify, or a key did not decode.
#[derive(Debug, Clone, PartialEq)]
pub enum BenchError {
    /// An update (or the bootstrap) failed verification.
    Verify(LightClientError),
    /// A committee key is no BLS public key.
    Key(BlsError),
}

impl BenchError {
    /// A stable code: the verification's (`LC_…`), or `BLS` for a key.
    pub fn code(&self) -> &'static str {
        match self {
            BenchError::Verify(e) => e.code(),
            BenchError::Key(_) => "BLS",
        }
    }
}

impl std::fmt::Display for BenchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BenchError::Verify(e) => write!(f, "{e}"),
            BenchError::Key(e) => write!(f, "committee key: {e}"),
        }
    }
}

impl std::error::Error for BenchError {}

/// `rounds` rounds (at least one), each from scratch: fresh committees, so every committee is
/// prepared again.
pub fn run_rounds<P: Preset>(
    network: &NetworkConfig,
    bootstrap: &LightClientBootstrap<P>,
    updates: &[LightClientUpdate<P>],
    rounds: usize,
    now_ms: &dyn Fn() -> f64,
) -> Result<Vec<Round>, BenchError> {
    (0..rounds.max(1))
        .map(|_| {
            let chain = measure_update_chain(network, bootstrap, updates, now_ms)
                .map_err(BenchError::Verify)?;
            let keys = measure_committee_keys(bootstrap.current_sync_committee(), now_ms)
                .map_err(BenchError::Key)?;
            Ok(Round { chain, keys })
        })
        .collect()
}

/// The median of `xs` (the upper one of an even count); `NaN` for none.
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The figures of a run of rounds, in milliseconds (medians over every update or round): what
/// the native bench prints after `LIGHT_BENCH` and compares with the page's. A committee
/// prepared in an earlier update of the same round (0 ms) does not count towards its median;
/// `rebuild13DaysEstimateMs` is two rounds (a rebuild over ~13 days of updates walks about twice
/// the six-update chain).
pub fn summary(rounds: &[Round], updates_per_round: usize) -> serde_json::Value {
    let each = |f: &dyn Fn(&Round) -> Vec<f64>| rounds.iter().flat_map(f).collect::<Vec<f64>>();
    let verify = each(&|r| r.chain.verify_ms.clone());
    let prepare = each(&|r| {
        r.chain
            .prepare_ms
            .iter()
            .copied()
            .filter(|p| *p > 0.0)
            .collect()
    });
    let both = each(&|r| {
        let c = &r.chain;
        c.verify_ms
            .iter()
            .zip(&c.prepare_ms)
            .map(|(v, p)| v + p)
            .collect()
    });
    let decompressed = each(&|r| {
        r.chain
            .decompressed_keys
            .iter()
            .map(|k| *k as f64)
            .collect()
    });
    let round = median(each(&|r| vec![r.chain.total_ms]));
    serde_json::json!({
        "rounds": rounds.len(),
        "updatesPerRound": updates_per_round,
        "verifyUpdateMedianMs": median(verify.clone()),
        "verifyUpdateBestMs": verify.iter().copied().fold(f64::INFINITY, f64::min),
        "prepareCommitteeMedianMs": median(prepare),
        "updatePlusPrepareMedianMs": median(both),
        "decompressedKeysMedian": median(decompressed),
        "keyValidateAllMedianMs": median(each(&|r| vec![r.keys.key_validate_all_ms])),
        "decompressAllMedianMs": median(each(&|r| vec![r.keys.decompress_all_ms])),
        "decompressAggregateMedianMs": median(each(&|r| vec![r.keys.decompress_aggregate_ms])),
        "roundMedianMs": round,
        "rebuild13DaysEstimateMs": 2.0 * round,
    })
}
