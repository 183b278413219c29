//! The light-client verification benchmark: what verifying a chain of updates costs, per
//! committee preparation and per update, what each step of one update's verification costs
//! (so a cut can aim at the step that holds the time), and what a committee's keys cost three
//! ways.
//!
//! Why here and shared: the same measurement runs natively (`lightsync bench light`, the
//! release-build figures) and in a page (the wasm `benchLightVerify` export behind
//! `www/bench/light.html`), so the two platforms time exactly the same work. The platform only
//! supplies its monotonic clock (`now_ms`). The light rebuild itself keeps none of this: it
//! verifies with [`super::sync_protocol`] directly.

use tree_hash::TreeHash;

use super::bls::{BlsError, MessagePoint, MillerLoops, PublicKey, PublicKeyPoint, Signature};
use super::error::{LightClientError, UpdateFailure, UpdateKind};
use super::sync_protocol::{
    compute_sync_committee_period_at_slot, initialize_light_client_store, process_updates_batched,
    process_with_context, sync_committee_root, sync_committee_signing_root,
    validate_light_client_update_before_signature, LightClientStore, TrustedCommittee,
};
use crate::config::NetworkConfig;
use crate::types::altair::SyncCommittee;
use crate::types::light_client::{LightClientBootstrap, LightClientUpdate, UpdateParts};
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
    /// Milliseconds for the same pass with the signatures checked as one batch
    /// ([`process_updates_batched`]: what a rebuild runs over one answer), from a fresh store
    /// (store from bootstrap and every committee's preparation included).
    pub batched_ms: f64,
}

/// The store a chain's walk starts from (trusting the bootstrap's own header), and the clock
/// slot it is walked at: the latest signature slot, so that every update is already signed.
fn chain_start<P: Preset>(
    network: &NetworkConfig,
    bootstrap: &LightClientBootstrap<P>,
    updates: &[LightClientUpdate<P>],
) -> Result<(LightClientStore<P>, u64), LightClientError> {
    let root = bootstrap.header().beacon().tree_hash_root();
    let store = initialize_light_client_store(network, root, bootstrap)?;
    let current_slot = updates
        .iter()
        .map(|u| u.signature_slot())
        .max()
        .unwrap_or(0);
    Ok((store, current_slot))
}

/// Verifies `updates` in order from a bootstrap (as a rebuild does from an anchor's committees),
/// timing each committee's preparation apart from each update's verification. `now_ms` is the
/// platform's monotonic clock in milliseconds. Used by the benchmark in both wasm and native.
pub fn measure_update_chain<P: Preset>(
    network: &NetworkConfig,
    bootstrap: &LightClientBootstrap<P>,
    updates: &[LightClientUpdate<P>],
    now_ms: &dyn Fn() -> f64,
) -> Result<ChainTimings, BenchError> {
    let start = now_ms();
    let (mut store, current_slot) = chain_start(network, bootstrap, updates)?;
    let mut out = ChainTimings::default();
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
    let start = now_ms();
    let (mut store, current_slot) = chain_start(network, bootstrap, updates)?;
    let parts: Vec<UpdateParts<P>> = updates.iter().map(LightClientUpdate::parts).collect();
    let processed = process_updates_batched(network, &mut store, &parts, current_slot, &|_| false);
    out.batched_ms = now_ms() - start;
    if processed != Some(updates.len()) {
        // The one-by-one pass above verified every update, so the batch must hold too.
        return Err(BenchError::BatchDisagrees);
    }
    Ok(out)
}

/// What each step of one update's verification costs, in milliseconds, the steps run one by one
/// on a committee fresh from its preparation (as the first update it signs finds it): the
/// update's checks before the signature, then `FastAggregateVerify` cut into its parts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UpdateStepTimings {
    /// `validate_light_client_update` before the signature: headers (`hash_tree_root`,
    /// execution branch), the finality branch, the next sync committee's root and branch.
    pub branches_ms: f64,
    /// Of [`Self::branches_ms`]: `hash_tree_root` of the update's `next_sync_committee` alone
    /// (0 without one).
    pub next_committee_root_ms: f64,
    /// `pubkey_to_point` of the member keys the aggregate needs (the absent members').
    pub decompress_keys_ms: f64,
    /// The participants' aggregate: `aggregate_pubkey` minus the absent members (point
    /// additions), or the sum of the participants.
    pub aggregate_ms: f64,
    /// `KeyValidate` of the aggregate (affine conversion, identity and G1 subgroup checks).
    pub aggregate_key_validate_ms: f64,
    /// The signing root (fork version, domain, `hash_tree_root` of the attested header).
    pub signing_root_ms: f64,
    /// `hash_to_point` of the signing root (hash-to-curve to G2).
    pub hash_to_curve_ms: f64,
    /// `signature_to_point`: the signature's decompression and G2 subgroup check.
    pub signature_ms: f64,
    /// The Miller loops of the pairing check.
    pub miller_loops_ms: f64,
    /// The final exponentiation of the pairing check.
    pub final_exponentiation_ms: f64,
}

/// Times [`UpdateStepTimings`] for every update of the chain, walking it from `bootstrap` as
/// [`measure_update_chain`] does (each update is processed, untimed, after its steps). Each
/// step's result feeds the next, and an update whose steps do not verify is an error.
pub fn measure_update_steps<P: Preset>(
    network: &NetworkConfig,
    bootstrap: &LightClientBootstrap<P>,
    updates: &[LightClientUpdate<P>],
    now_ms: &dyn Fn() -> f64,
) -> Result<Vec<UpdateStepTimings>, LightClientError> {
    let (mut store, current_slot) = chain_start(network, bootstrap, updates)?;
    let mut out = Vec::with_capacity(updates.len());
    for (i, u) in updates.iter().enumerate() {
        let parts = u.parts();
        let fail = |failure| LightClientError::Update {
            kind: UpdateKind::Update,
            index: Some(i),
            period: compute_sync_committee_period_at_slot::<P>(parts.signature_slot),
            attested_slot: parts.attested_header.beacon().slot,
            signature_slot: parts.signature_slot,
            failure,
        };
        let steps = update_steps(network, &store, &parts, current_slot, now_ms).map_err(fail)?;
        out.push(steps);
        process_with_context(
            network,
            &mut store,
            &parts,
            current_slot,
            UpdateKind::Update,
            Some(i),
        )?;
    }
    Ok(out)
}

/// The steps of one update against `store`, on a fresh copy of the signing committee.
fn update_steps<P: Preset>(
    network: &NetworkConfig,
    store: &LightClientStore<P>,
    parts: &UpdateParts<P>,
    current_slot: u64,
    now_ms: &dyn Fn() -> f64,
) -> Result<UpdateStepTimings, UpdateFailure> {
    let t0 = now_ms();
    let signer =
        validate_light_client_update_before_signature(network, store, parts, current_slot)?;
    let t1 = now_ms();
    if let Some((committee, _)) = &parts.next_sync_committee {
        std::hint::black_box(sync_committee_root(committee));
    }
    let t2 = now_ms();
    let committee = TrustedCommittee::new(signer.committee.clone());
    committee.prepare();
    let bits = &parts.sync_aggregate.sync_committee_bits;
    let participants = bits.num_set_bits() as u64;
    let t3 = now_ms();
    committee.prepare_for(bits);
    let t4 = now_ms();
    let (sum, _) = committee.participants_aggregate(bits)?;
    let t5 = now_ms();
    let key = sum
        .key_validate()
        .map_err(|reason| UpdateFailure::InvalidAggregatePublicKey {
            participants,
            reason,
        })?;
    let t6 = now_ms();
    let signing_root = sync_committee_signing_root(network, parts);
    let t7 = now_ms();
    let message = MessagePoint::hash(signing_root.as_slice());
    let t8 = now_ms();
    let signature = Signature::from_bytes(parts.sync_aggregate.sync_committee_signature.as_slice())
        .map_err(|reason| UpdateFailure::InvalidSignatureEncoding { reason })?;
    let t9 = now_ms();
    let loops = MillerLoops::of(&key, &message, &signature);
    let t10 = now_ms();
    let verified = loops.final_exponentiation_is_one();
    let t11 = now_ms();
    if !verified {
        return Err(UpdateFailure::Signature { participants });
    }
    Ok(UpdateStepTimings {
        branches_ms: t1 - t0,
        next_committee_root_ms: t2 - t1,
        decompress_keys_ms: t4 - t3,
        aggregate_ms: t5 - t4,
        aggregate_key_validate_ms: t6 - t5,
        signing_root_ms: t7 - t6,
        hash_to_curve_ms: t8 - t7,
        signature_ms: t9 - t8,
        miller_loops_ms: t10 - t9,
        final_exponentiation_ms: t11 - t10,
    })
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
    /// The steps of each update's verification (a separate pass after the chain's).
    pub steps: Vec<UpdateStepTimings>,
}

/// Why a round could not run: the data did not verify, or a key did not decode.
#[derive(Debug, Clone, PartialEq)]
pub enum BenchError {
    /// An update (or the bootstrap) failed verification.
    Verify(LightClientError),
    /// A committee key is no BLS public key.
    Key(BlsError),
    /// The batched pass did not verify the chain the one-by-one pass verified.
    BatchDisagrees,
}

impl From<LightClientError> for BenchError {
    fn from(e: LightClientError) -> Self {
        BenchError::Verify(e)
    }
}

impl BenchError {
    /// A stable code: the verification's (`LC_…`), or `BLS` for a key.
    pub fn code(&self) -> &'static str {
        match self {
            BenchError::Verify(e) => e.code(),
            BenchError::Key(_) => "BLS",
            BenchError::BatchDisagrees => "LC_BATCH_DISAGREES",
        }
    }
}

impl std::fmt::Display for BenchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BenchError::Verify(e) => write!(f, "{e}"),
            BenchError::Key(e) => write!(f, "committee key: {e}"),
            BenchError::BatchDisagrees => f.write_str(
                "the batched pass did not verify the chain the one-by-one pass verified",
            ),
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
            let chain = measure_update_chain(network, bootstrap, updates, now_ms)?;
            let keys = measure_committee_keys(bootstrap.current_sync_committee(), now_ms)
                .map_err(BenchError::Key)?;
            let steps = measure_update_steps(network, bootstrap, updates, now_ms)
                .map_err(BenchError::Verify)?;
            Ok(Round { chain, keys, steps })
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
    let batched = median(each(&|r| vec![r.chain.batched_ms]));
    let per_update = |ms: f64| ms / updates_per_round.max(1) as f64;
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
        "roundPerUpdateMedianMs": per_update(round),
        "batchedRoundMedianMs": batched,
        "batchedPerUpdateMedianMs": per_update(batched),
        "stepsMedianMs": step_medians(rounds),
    })
}

/// The median of each [`UpdateStepTimings`] field over every update of every round, keyed by
/// the step's name (camelCase), with their sum as `total`.
fn step_medians(rounds: &[Round]) -> serde_json::Value {
    type Field = fn(&UpdateStepTimings) -> f64;
    let fields: [(&str, Field); 10] = [
        ("branches", |s| s.branches_ms),
        ("nextCommitteeRoot", |s| s.next_committee_root_ms),
        ("decompressKeys", |s| s.decompress_keys_ms),
        ("aggregate", |s| s.aggregate_ms),
        ("aggregateKeyValidate", |s| s.aggregate_key_validate_ms),
        ("signingRoot", |s| s.signing_root_ms),
        ("hashToCurve", |s| s.hash_to_curve_ms),
        ("signature", |s| s.signature_ms),
        ("millerLoops", |s| s.miller_loops_ms),
        ("finalExponentiation", |s| s.final_exponentiation_ms),
    ];
    let steps = || rounds.iter().flat_map(|r| r.steps.iter());
    let mut out = serde_json::Map::new();
    for (name, field) in fields {
        out.insert(name.into(), median(steps().map(field).collect()).into());
    }
    // `nextCommitteeRoot` is part of `branches`, so it is left out of the sum.
    let total = |s: &UpdateStepTimings| {
        s.branches_ms
            + s.decompress_keys_ms
            + s.aggregate_ms
            + s.aggregate_key_validate_ms
            + s.signing_root_ms
            + s.hash_to_curve_ms
            + s.signature_ms
            + s.miller_loops_ms
            + s.final_exponentiation_ms
    };
    out.insert("total".into(), median(steps().map(total).collect()).into());
    serde_json::Value::Object(out)
}
