//! The light-client sync protocol of the consensus specs (altair `sync-protocol.md` with the
//! capella, deneb, electra and gloas modifications), over fork-tagged data.
//!
//! The spec keeps one `LightClientStore` typed at the newest fork and upgrades older objects
//! into it. Here the store holds [`LightClientHeader`] enums and each check reads a header in
//! the shape it was served in, with the same results: a Capella-shaped header in a Deneb epoch
//! is judged as `upgrade_lc_header_to_deneb` would make it (zero blob gas), a pre-Electra branch
//! for an Electra attested slot is too short and fails, an Electra branch for an older slot must
//! start with zero nodes (`is_valid_normalized_merkle_branch`). From Gloas the header shape
//! changes again (`execution_block_hash`): a Gloas-shaped header is valid at any slot through the
//! gindex of its slot's fork (an upgraded Fulu header proves its block hash through the payload
//! header), an older shape at a Gloas slot never is (see [`crate::light::gloas`]).
//!
//! Function names are the spec's. The network (fork epochs and versions, genesis validators
//! root) comes from [`NetworkConfig`]; epochs and periods use the preset `P`.

use ssz::Encode;
use tree_hash::TreeHash;

use crate::config::{compute_domain, compute_signing_root, NetworkConfig};
use crate::light::bls::{self, Signature};
use crate::light::branch::{
    floorlog2, get_subtree_index, is_valid_merkle_branch, is_valid_normalized_merkle_branch,
    CURRENT_SYNC_COMMITTEE_GINDEX, CURRENT_SYNC_COMMITTEE_GINDEX_ELECTRA, EXECUTION_PAYLOAD_GINDEX,
    FINALIZED_ROOT_GINDEX, FINALIZED_ROOT_GINDEX_ELECTRA, NEXT_SYNC_COMMITTEE_GINDEX,
    NEXT_SYNC_COMMITTEE_GINDEX_ELECTRA,
};
use crate::light::error::{HeaderRole, LightClientError, UpdateFailure, UpdateKind};
use crate::light::gloas;
use crate::types::altair::{BeaconBlockHeader, SyncCommittee};
use crate::types::light_client::{
    capella_to_deneb_execution, deneb_to_capella_execution, empty_capella_execution,
    is_empty_sync_committee, LightClientBootstrap, LightClientHeader, UpdateParts,
};
use crate::types::{
    DomainType, Epoch, ForkName, Hash256, Preset, Slot, SszSchema, FAR_FUTURE_EPOCH,
};

/// `MIN_SYNC_COMMITTEE_PARTICIPANTS` (altair preset, same in mainnet and minimal).
pub const MIN_SYNC_COMMITTEE_PARTICIPANTS: u64 = 1;
/// `DOMAIN_SYNC_COMMITTEE`.
pub const DOMAIN_SYNC_COMMITTEE: [u8; 4] = [7, 0, 0, 0];
/// `GENESIS_SLOT`.
pub const GENESIS_SLOT: Slot = 0;

/// `compute_epoch_at_slot` for preset `P`.
pub fn compute_epoch_at_slot<P: Preset>(slot: Slot) -> Epoch {
    slot / P::SLOTS_PER_EPOCH
}

/// `compute_sync_committee_period_at_slot` for preset `P`.
pub fn compute_sync_committee_period_at_slot<P: Preset>(slot: Slot) -> u64 {
    compute_epoch_at_slot::<P>(slot) / P::EPOCHS_PER_SYNC_COMMITTEE_PERIOD
}

fn fork_epoch(config: &NetworkConfig, fork: ForkName) -> Epoch {
    config.fork_schedule(fork).epoch
}

fn electra_at<P: Preset>(config: &NetworkConfig, slot: Slot) -> bool {
    let e = fork_epoch(config, ForkName::Electra);
    e != FAR_FUTURE_EPOCH && compute_epoch_at_slot::<P>(slot) >= e
}

/// gloas `finalized_root_gindex_at_slot`.
pub fn finalized_root_gindex_at_slot<P: Preset>(config: &NetworkConfig, slot: Slot) -> u64 {
    if at_or_after::<P>(config, ForkName::Gloas, slot) {
        gloas::FINALIZED_ROOT_GINDEX_GLOAS
    } else if electra_at::<P>(config, slot) {
        FINALIZED_ROOT_GINDEX_ELECTRA
    } else {
        FINALIZED_ROOT_GINDEX
    }
}

/// gloas `current_sync_committee_gindex_at_slot`.
pub fn current_sync_committee_gindex_at_slot<P: Preset>(config: &NetworkConfig, slot: Slot) -> u64 {
    if at_or_after::<P>(config, ForkName::Gloas, slot) {
        gloas::CURRENT_SYNC_COMMITTEE_GINDEX_GLOAS
    } else if electra_at::<P>(config, slot) {
        CURRENT_SYNC_COMMITTEE_GINDEX_ELECTRA
    } else {
        CURRENT_SYNC_COMMITTEE_GINDEX
    }
}

/// gloas `next_sync_committee_gindex_at_slot`.
pub fn next_sync_committee_gindex_at_slot<P: Preset>(config: &NetworkConfig, slot: Slot) -> u64 {
    if at_or_after::<P>(config, ForkName::Gloas, slot) {
        gloas::NEXT_SYNC_COMMITTEE_GINDEX_GLOAS
    } else if electra_at::<P>(config, slot) {
        NEXT_SYNC_COMMITTEE_GINDEX_ELECTRA
    } else {
        NEXT_SYNC_COMMITTEE_GINDEX
    }
}

fn at_or_after<P: Preset>(config: &NetworkConfig, fork: ForkName, slot: Slot) -> bool {
    let e = fork_epoch(config, fork);
    e != FAR_FUTURE_EPOCH && compute_epoch_at_slot::<P>(slot) >= e
}

/// gloas `get_lc_execution_root`: from Gloas the execution block hash; before it the root of
/// the header's execution payload header in the shape of the fork its slot belongs to (zero
/// before Capella). A Gloas-shaped header is read as [`gloas::get_lc_execution_root`] does; an
/// older shape at a Gloas slot gives the block hash its upgrade would carry.
pub fn get_lc_execution_root<P: Preset>(
    config: &NetworkConfig,
    header: &LightClientHeader<P>,
) -> Hash256 {
    let slot = header.beacon().slot;
    match header {
        LightClientHeader::Gloas(h) => return gloas::get_lc_execution_root::<P>(config, h),
        _ if at_or_after::<P>(config, ForkName::Gloas, slot) => {
            return match header {
                LightClientHeader::Deneb(h) => h.execution.block_hash,
                LightClientHeader::Capella(h) => h.execution.block_hash,
                _ => Hash256::ZERO,
            }
        }
        _ => {}
    }
    if at_or_after::<P>(config, ForkName::Deneb, slot) {
        return match header {
            LightClientHeader::Deneb(h) => h.execution.tree_hash_root(),
            LightClientHeader::Capella(h) => {
                capella_to_deneb_execution(&h.execution).tree_hash_root()
            }
            LightClientHeader::Altair(_) | LightClientHeader::Gloas(_) => {
                capella_to_deneb_execution(&empty_capella_execution::<P>()).tree_hash_root()
            }
        };
    }
    if at_or_after::<P>(config, ForkName::Capella, slot) {
        return match header {
            LightClientHeader::Deneb(h) => {
                deneb_to_capella_execution(&h.execution).tree_hash_root()
            }
            LightClientHeader::Capella(h) => h.execution.tree_hash_root(),
            LightClientHeader::Altair(_) | LightClientHeader::Gloas(_) => {
                empty_capella_execution::<P>().tree_hash_root()
            }
        };
    }
    Hash256::ZERO
}

/// deneb `is_valid_light_client_header`: before Deneb no blob gas; before Capella an empty
/// execution part; from Capella on the execution branch proves the payload header against the
/// block's `body_root`. A Gloas-shaped header is judged by [`gloas::is_valid_light_client_header`]
/// (at any slot: it may be an upgraded one); an older shape at a Gloas slot is invalid (a Gloas
/// body has no payload header).
pub fn is_valid_light_client_header<P: Preset>(
    config: &NetworkConfig,
    header: &LightClientHeader<P>,
) -> bool {
    let slot = header.beacon().slot;
    let gloas_slot = at_or_after::<P>(config, ForkName::Gloas, slot);
    let capella = at_or_after::<P>(config, ForkName::Capella, slot);
    let deneb = at_or_after::<P>(config, ForkName::Deneb, slot);
    let (execution_is_empty, branch) = match header {
        LightClientHeader::Gloas(h) => return gloas::is_valid_light_client_header(config, h),
        _ if gloas_slot => return false,
        // An Altair-shaped header upgrades to an empty execution part.
        LightClientHeader::Altair(_) => return !capella,
        LightClientHeader::Capella(h) => (
            h.execution == empty_capella_execution(),
            &h.execution_branch,
        ),
        LightClientHeader::Deneb(h) => {
            if !deneb && (h.execution.blob_gas_used != 0 || h.execution.excess_blob_gas != 0) {
                return false;
            }
            (
                deneb_to_capella_execution(&h.execution) == empty_capella_execution()
                    && h.execution.blob_gas_used == 0
                    && h.execution.excess_blob_gas == 0,
                &h.execution_branch,
            )
        }
    };
    if !capella {
        return execution_is_empty && branch.iter().all(|n| n.is_zero());
    }
    let branch: Vec<[u8; 32]> = branch.iter().map(|n| n.0).collect();
    is_valid_merkle_branch(
        &get_lc_execution_root(config, header).0,
        &branch,
        floorlog2(EXECUTION_PAYLOAD_GINDEX),
        get_subtree_index(EXECUTION_PAYLOAD_GINDEX),
        &header.beacon().body_root.0,
    )
}

/// `hash_tree_root` of a `SyncCommittee`: its 513 keys are 1 026 SHA-256 compressions of
/// leaves and about as many of the tree, the largest hashing job of an update. The crate's
/// schema hasher (`merkle`) takes the keys in batches through its multi-lane SHA-256 kernel
/// (simd128 in the wasm package), where `tree_hash` hashes them one at a time.
pub fn sync_committee_root<P: Preset>(committee: &SyncCommittee<P>) -> [u8; 32] {
    // The committee's own encoding has the schema's fixed size, so the schema hasher cannot
    // reject it; `tree_hash` stays as the fallback that keeps this function total.
    crate::merkle::hash_tree_root(SyncCommittee::<P>::ssz_type(), &committee.as_ssz_bytes())
        .unwrap_or_else(|_| committee.tree_hash_root().0)
}

fn nodes(branch: &[crate::types::Bytes32]) -> Vec<[u8; 32]> {
    branch.iter().map(|n| n.0).collect()
}

/// Which way [`TrustedCommittee::verify`] built the participants' aggregate key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregatePath {
    /// `aggregate_pubkey` minus the absent members (fewer than half absent).
    CommitteeMinusAbsent,
    /// The sum of the participants' keys, as the spec writes it.
    SumOfParticipants,
}

/// A sync committee the store trusts, with its keys decompressed on first use and kept (as
/// affine points) for every later update signed by the same committee, i.e. for its whole
/// period. Keys are cached one by one, so an update only pays for the keys it needs.
///
/// # How `FastAggregateVerify` is computed, and why it gives the spec's answer
///
/// The spec's `validate_light_client_update` calls `bls.FastAggregateVerify(participant_pubkeys,
/// signing_root, signature)`. The IETF draft (v4, which the consensus specs cite, and v5),
/// section 3.3.4, computes it as: `pubkey_to_point` of each key, the sum of the points, then
/// `CoreVerify(sum, message, signature)` (section 2.7), which checks the signature's subgroup and
/// runs `KeyValidate` (identity and subgroup, section 2.5) on the *sum*. It does not
/// `KeyValidate` each key: its precondition is a proof of possession for every key (section
/// 3.3). Here:
///
/// 1. **No per-key subgroup check.** Every key of a `SyncCommittee` produced by the state
///    transition was `KeyValidate`d: altair `get_next_sync_committee` computes
///    `aggregate_pubkey = eth_aggregate_pubkeys(pubkeys)`, which asserts `bls.KeyValidate` of
///    each key, and each key is a registry key whose deposit carried a proof of possession.
///    A committee enters the store only from a verified anchor state or bootstrap branch, or
///    through `apply_light_client_update` of an update signed by the committee before it
///    (at least 2/3 of it, except `force_update`, whose weaker guarantee is the spec's own).
///    Decompression and the on-curve check stay (they are what makes a point at all), an
///    identity key among the participants is still rejected (the spec's reference
///    implementation does, see `bls`), and the sum's `KeyValidate` still rejects a sum outside
///    the subgroup, which is what a non-subgroup participant produces.
/// 2. **`aggregate_pubkey` minus the absent members.** The committee carries
///    `aggregate_pubkey`, committed by the same Merkle proof as its `pubkeys` (the
///    next-sync-committee branch of the update that introduced it, the bootstrap's
///    current-sync-committee branch, or the verified anchor state). When fewer than half of the
///    members are absent, the participants' sum is computed as `aggregate_pubkey - Σ absent`:
///    one decompression plus one per absentee instead of one per participant. This is exactly
///    the spec's sum whenever `aggregate_pubkey == Σ pubkeys`, which holds for every committee
///    a valid state transition produced (`get_next_sync_committee` above). A committee violating
///    it can only reach the store through a state root signed by a dishonest supermajority of
///    the previous committee, which is outside the light client's security assumption, and such
///    a supermajority can already make the spec accept any committee of keys it controls, so the
///    shortcut grants it nothing new. With a wrong `aggregate_pubkey` a genuine signature simply
///    fails. If `aggregate_pubkey` or an absent key does not decompress, the full sum is used,
///    so undecodable keys of non-participants never change the result (the spec ignores them).
/// 3. Otherwise (half or more absent) the participants' points are summed, as the spec does.
#[derive(Clone, Debug)]
pub struct TrustedCommittee<P: Preset> {
    pub committee: SyncCommittee<P>,
    /// `pubkey_to_point` of each member, computed on first use.
    points: Vec<std::sync::OnceLock<Result<bls::PublicKeyPoint, bls::BlsError>>>,
    /// `pubkey_to_point` of `aggregate_pubkey`, computed on first use.
    aggregate: std::sync::OnceLock<Result<bls::PublicKeyPoint, bls::BlsError>>,
}

impl<P: Preset> PartialEq for TrustedCommittee<P> {
    fn eq(&self, other: &Self) -> bool {
        self.committee == other.committee
    }
}

impl<P: Preset> TrustedCommittee<P> {
    /// Wraps a committee; keys are decompressed on first use.
    pub fn new(committee: SyncCommittee<P>) -> Self {
        let n = committee.pubkeys.len();
        TrustedCommittee {
            committee,
            points: (0..n).map(|_| std::sync::OnceLock::new()).collect(),
            aggregate: std::sync::OnceLock::new(),
        }
    }

    /// Decompresses `aggregate_pubkey` now (otherwise done by the first verification), so a
    /// caller can pay that cost ahead of time.
    pub fn prepare(&self) {
        let _ = self.aggregate_point();
    }

    /// Decompresses every member's key now: what a verification with half or more of the
    /// committee absent needs.
    pub fn prepare_all(&self) {
        for i in 0..self.points.len() {
            let _ = self.point(i);
        }
    }

    /// How many member keys are decompressed so far (the cache's size).
    pub fn decompressed_keys(&self) -> usize {
        self.points.iter().filter(|p| p.get().is_some()).count()
    }

    fn point(&self, member: usize) -> &Result<bls::PublicKeyPoint, bls::BlsError> {
        self.points[member].get_or_init(|| {
            bls::PublicKeyPoint::from_bytes(self.committee.pubkeys[member].as_slice())
        })
    }

    fn aggregate_point(&self) -> &Result<bls::PublicKeyPoint, bls::BlsError> {
        self.aggregate.get_or_init(|| {
            bls::PublicKeyPoint::from_bytes(self.committee.aggregate_pubkey.as_slice())
        })
    }

    /// `aggregate_pubkey - Σ absent`, or `None` when an input does not decompress.
    fn committee_minus_absent(
        &self,
        bits: &ssz_types::BitVector<P::SyncCommitteeSize>,
    ) -> Option<bls::PublicKeySum> {
        let mut sum = bls::PublicKeySum::new(self.aggregate_point().as_ref().ok()?);
        for i in 0..self.points.len() {
            if !bits.get(i).unwrap_or(false) {
                sum.subtract(self.point(i).as_ref().ok()?);
            }
        }
        Some(sum)
    }

    /// The sum of the participants' points (the spec's way).
    fn sum_of_participants(
        &self,
        bits: &ssz_types::BitVector<P::SyncCommitteeSize>,
    ) -> Result<Option<bls::PublicKeySum>, UpdateFailure> {
        let mut sum: Option<bls::PublicKeySum> = None;
        for i in 0..self.points.len() {
            if !bits.get(i).unwrap_or(false) {
                continue;
            }
            let point = self
                .point(i)
                .as_ref()
                .map_err(|e| UpdateFailure::InvalidPublicKey {
                    member: i,
                    reason: e.clone(),
                })?;
            if point.is_identity() {
                return Err(UpdateFailure::InvalidPublicKey {
                    member: i,
                    reason: bls::BlsError::InvalidPublicKey {
                        reason: "the point at infinity",
                    },
                });
            }
            match &mut sum {
                Some(s) => s.add(point),
                None => sum = Some(bls::PublicKeySum::new(point)),
            }
        }
        Ok(sum)
    }

    /// Decompresses (and caches) the member keys that the participants' aggregate of `bits`
    /// needs: the absent members' when [`Self::participants_aggregate`] subtracts them, else the
    /// participants'. What a verification of `bits` would do first; a caller can pay it ahead.
    pub fn prepare_for(&self, bits: &ssz_types::BitVector<P::SyncCommitteeSize>) {
        let minus_absent = self.takes_committee_minus_absent(bits, true);
        for i in 0..self.points.len() {
            if bits.get(i).unwrap_or(false) != minus_absent {
                let _ = self.point(i);
            }
        }
    }

    /// Whether the aggregate of `bits` is taken as `aggregate_pubkey - Σ absent` (when
    /// allowed): at least one participant and fewer than half of the members absent.
    fn takes_committee_minus_absent(
        &self,
        bits: &ssz_types::BitVector<P::SyncCommitteeSize>,
        allowed: bool,
    ) -> bool {
        let n = self.points.len();
        let participants = (0..n).filter(|&i| bits.get(i).unwrap_or(false)).count();
        allowed && participants > 0 && 2 * (n - participants) < n
    }

    /// `FastAggregateVerify` steps 1-4 (the type's docs say how): the sum of the participants'
    /// keys, before its `KeyValidate`, and which way it was built.
    pub fn participants_aggregate(
        &self,
        bits: &ssz_types::BitVector<P::SyncCommitteeSize>,
    ) -> Result<(bls::PublicKeySum, AggregatePath), UpdateFailure> {
        self.participants_aggregate_by(bits, true)
    }

    fn participants_aggregate_by(
        &self,
        bits: &ssz_types::BitVector<P::SyncCommitteeSize>,
        allow_committee_minus_absent: bool,
    ) -> Result<(bls::PublicKeySum, AggregatePath), UpdateFailure> {
        let fast = if self.takes_committee_minus_absent(bits, allow_committee_minus_absent) {
            self.committee_minus_absent(bits)
        } else {
            None
        };
        match fast {
            Some(sum) => Ok((sum, AggregatePath::CommitteeMinusAbsent)),
            None => match self.sum_of_participants(bits)? {
                Some(sum) => Ok((sum, AggregatePath::SumOfParticipants)),
                // `FastAggregateVerify` over no keys is false.
                None => Err(UpdateFailure::Signature { participants: 0 }),
            },
        }
    }

    /// `FastAggregateVerify` of `signature` over `signing_root` by the members whose bit is set,
    /// computed as the type's docs explain. Returns which way the aggregate key was built.
    pub fn verify(
        &self,
        bits: &ssz_types::BitVector<P::SyncCommitteeSize>,
        signing_root: &Hash256,
        signature: &[u8],
    ) -> Result<AggregatePath, UpdateFailure> {
        self.verify_inner(bits, signing_root, signature, true)
    }

    /// [`Self::verify`] with the aggregate always built as the spec writes it (the sum of the
    /// participants' keys), whatever the participation; for cross-checks and benchmarks.
    pub fn verify_sum_of_participants(
        &self,
        bits: &ssz_types::BitVector<P::SyncCommitteeSize>,
        signing_root: &Hash256,
        signature: &[u8],
    ) -> Result<(), UpdateFailure> {
        self.verify_inner(bits, signing_root, signature, false)
            .map(|_| ())
    }

    fn verify_inner(
        &self,
        bits: &ssz_types::BitVector<P::SyncCommitteeSize>,
        signing_root: &Hash256,
        signature: &[u8],
        allow_committee_minus_absent: bool,
    ) -> Result<AggregatePath, UpdateFailure> {
        let (checked, path) =
            self.signature_check(bits, signing_root, signature, allow_committee_minus_absent)?;
        checked.verify().map(|()| path)
    }

    /// `FastAggregateVerify` of `signature` over `signing_root` up to its pairing check: the
    /// aggregate key (steps 1-4, `KeyValidate` included), the decoded signature (`CoreVerify`
    /// steps 1-3) and the message hashed to G2. Every failure before the pairing is returned
    /// here; what is left is [`SignatureCheck::verify`], alone or in a batch.
    fn signature_check(
        &self,
        bits: &ssz_types::BitVector<P::SyncCommitteeSize>,
        signing_root: &Hash256,
        signature: &[u8],
        allow_committee_minus_absent: bool,
    ) -> Result<(SignatureCheck, AggregatePath), UpdateFailure> {
        let (sum, path) = self.participants_aggregate_by(bits, allow_committee_minus_absent)?;
        let participants = sum_bits::<P>(bits);
        // `CoreVerify` steps 1-3: the signature decodes and is in the G2 subgroup.
        let signature = Signature::from_bytes(signature)
            .map_err(|reason| UpdateFailure::InvalidSignatureEncoding { reason })?;
        // Step 4: `KeyValidate` of the aggregate.
        let aggregate =
            sum.key_validate()
                .map_err(|reason| UpdateFailure::InvalidAggregatePublicKey {
                    participants,
                    reason,
                })?;
        // Steps 5-9 start with hash_to_point of the message; the pairing is left to the check.
        let message = bls::MessagePoint::hash(signing_root.as_slice());
        let check = SignatureCheck {
            aggregate,
            message,
            signature,
            participants,
        };
        Ok((check, path))
    }
}

/// A sync aggregate's signature with every check of `FastAggregateVerify` done but the pairing
/// (`CoreVerify` steps 5-9), so that the pairings of many updates can be checked in one batch.
pub struct SignatureCheck {
    aggregate: bls::PublicKey,
    message: bls::MessagePoint,
    signature: Signature,
    participants: u64,
}

impl SignatureCheck {
    /// The pairing check alone: `Signature` (with the participant count) when it fails.
    pub fn verify(&self) -> Result<(), UpdateFailure> {
        if bls::pairing_check(&self.aggregate, &self.message, &self.signature) {
            Ok(())
        } else {
            Err(UpdateFailure::Signature {
                participants: self.participants,
            })
        }
    }

    /// The check as one set of a [`bls::verify_batch`].
    pub fn set(&self) -> bls::SignatureSet<'_> {
        bls::SignatureSet {
            public_key: &self.aggregate,
            message: &self.message,
            signature: &self.signature,
        }
    }
}

/// altair `LightClientStore`. `next_sync_committee == None` is the spec's `SyncCommittee()`.
#[derive(Clone, Debug)]
pub struct LightClientStore<P: Preset> {
    /// Header that is finalized.
    pub finalized_header: LightClientHeader<P>,
    /// Sync committee of the finalized header's period.
    pub current_sync_committee: TrustedCommittee<P>,
    /// Sync committee of the following period, once known.
    pub next_sync_committee: Option<TrustedCommittee<P>>,
    /// Best update seen since the last finality change, for `force_update`.
    pub best_valid_update: Option<UpdateParts<P>>,
    /// Most recent header with enough participation to be reasonably safe.
    pub optimistic_header: LightClientHeader<P>,
    /// Max participants seen in the previous period (safety threshold).
    pub previous_max_active_participants: u64,
    /// Max participants seen in the current period.
    pub current_max_active_participants: u64,
}

fn sum_bits<P: Preset>(bits: &ssz_types::BitVector<P::SyncCommitteeSize>) -> u64 {
    bits.num_set_bits() as u64
}

/// altair `is_sync_committee_update`.
pub fn is_sync_committee_update<P: Preset>(update: &UpdateParts<P>) -> bool {
    update.next_sync_committee.is_some()
}

/// altair `is_finality_update`.
pub fn is_finality_update<P: Preset>(update: &UpdateParts<P>) -> bool {
    update.finality_branch.iter().any(|n| !n.is_zero())
}

/// altair `is_next_sync_committee_known`.
pub fn is_next_sync_committee_known<P: Preset>(store: &LightClientStore<P>) -> bool {
    store.next_sync_committee.is_some()
}

/// altair `get_safety_threshold`.
pub fn get_safety_threshold<P: Preset>(store: &LightClientStore<P>) -> u64 {
    store
        .previous_max_active_participants
        .max(store.current_max_active_participants)
        / 2
}

/// altair `is_better_update`.
pub fn is_better_update<P: Preset>(new: &UpdateParts<P>, old: &UpdateParts<P>) -> bool {
    let max = P::SYNC_COMMITTEE_SIZE;
    let new_n = sum_bits::<P>(&new.sync_aggregate.sync_committee_bits);
    let old_n = sum_bits::<P>(&old.sync_aggregate.sync_committee_bits);
    let new_super = new_n * 3 >= max * 2;
    let old_super = old_n * 3 >= max * 2;
    if new_super != old_super {
        return new_super;
    }
    if !new_super && new_n != old_n {
        return new_n > old_n;
    }
    let period = compute_sync_committee_period_at_slot::<P>;
    let relevant = |u: &UpdateParts<P>| {
        is_sync_committee_update(u)
            && period(u.attested_header.beacon().slot) == period(u.signature_slot)
    };
    let (new_rel, old_rel) = (relevant(new), relevant(old));
    if new_rel != old_rel {
        return new_rel;
    }
    let (new_fin, old_fin) = (is_finality_update(new), is_finality_update(old));
    if new_fin != old_fin {
        return new_fin;
    }
    if new_fin {
        let sc_fin = |u: &UpdateParts<P>| {
            period(u.finalized_header.beacon().slot) == period(u.attested_header.beacon().slot)
        };
        let (a, b) = (sc_fin(new), sc_fin(old));
        if a != b {
            return a;
        }
    }
    if new_n != old_n {
        return new_n > old_n;
    }
    let (na, oa) = (
        new.attested_header.beacon().slot,
        old.attested_header.beacon().slot,
    );
    if na != oa {
        return na < oa;
    }
    new.signature_slot < old.signature_slot
}

/// altair `initialize_light_client_store`: the bootstrap header must hash to the trusted root and
/// its current sync committee must be proven against its state root.
pub fn initialize_light_client_store<P: Preset>(
    config: &NetworkConfig,
    trusted_block_root: Hash256,
    bootstrap: &LightClientBootstrap<P>,
) -> Result<LightClientStore<P>, LightClientError> {
    let header = bootstrap.header();
    let slot = header.beacon().slot;
    if !is_valid_light_client_header(config, &header) {
        return Err(LightClientError::InvalidBootstrapHeader { slot });
    }
    let root = header.beacon().tree_hash_root();
    if root != trusted_block_root {
        return Err(LightClientError::TrustedRootMismatch {
            expected: trusted_block_root,
            got: root,
        });
    }
    let gindex = current_sync_committee_gindex_at_slot::<P>(config, slot);
    if !is_valid_normalized_merkle_branch(
        &sync_committee_root(bootstrap.current_sync_committee()),
        &nodes(bootstrap.current_sync_committee_branch()),
        gindex,
        &header.beacon().state_root.0,
    ) {
        return Err(LightClientError::CurrentSyncCommitteeBranch { slot, gindex });
    }
    Ok(LightClientStore {
        finalized_header: header.clone(),
        current_sync_committee: TrustedCommittee::new(bootstrap.current_sync_committee().clone()),
        next_sync_committee: None,
        best_valid_update: None,
        optimistic_header: header,
        previous_max_active_participants: 0,
        current_max_active_participants: 0,
    })
}

impl<P: Preset> LightClientStore<P> {
    /// A store that starts from sync committees already trusted, e.g. read from a verified
    /// anchor state (`state.current_sync_committee`, `state.next_sync_committee`) whose block
    /// header is `finalized`. No bootstrap or provider is involved: the committees are as
    /// trustworthy as the anchor they were taken from.
    pub fn from_trusted_committees(
        finalized: BeaconBlockHeader,
        current_sync_committee: SyncCommittee<P>,
        next_sync_committee: Option<SyncCommittee<P>>,
    ) -> Self {
        let header =
            LightClientHeader::Altair(crate::types::light_client::altair::LightClientHeader {
                beacon: finalized,
            });
        LightClientStore {
            finalized_header: header.clone(),
            current_sync_committee: TrustedCommittee::new(current_sync_committee),
            next_sync_committee: next_sync_committee
                .filter(|c| !is_empty_sync_committee(c))
                .map(TrustedCommittee::new),
            best_valid_update: None,
            optimistic_header: header,
            previous_max_active_participants: 0,
            current_max_active_participants: 0,
        }
    }

    /// Sync-committee period of the finalized header.
    pub fn period(&self) -> u64 {
        compute_sync_committee_period_at_slot::<P>(self.finalized_header.beacon().slot)
    }
}

/// altair `validate_light_client_update`: [`validate_light_client_update_before_signature`],
/// then `FastAggregateVerify` of the sync aggregate by the committee it returns.
pub fn validate_light_client_update<P: Preset>(
    config: &NetworkConfig,
    store: &LightClientStore<P>,
    update: &UpdateParts<P>,
    current_slot: Slot,
) -> Result<(), UpdateFailure> {
    check_light_client_update(config, store, update, current_slot)?.verify()
}

/// altair `validate_light_client_update` up to its pairing check: every check before the
/// signature's ([`validate_light_client_update_before_signature`]), then `FastAggregateVerify`
/// up to the pairing, which the returned [`SignatureCheck`] runs alone or in a batch.
pub fn check_light_client_update<P: Preset>(
    config: &NetworkConfig,
    store: &LightClientStore<P>,
    update: &UpdateParts<P>,
    current_slot: Slot,
) -> Result<SignatureCheck, UpdateFailure> {
    let committee =
        validate_light_client_update_before_signature(config, store, update, current_slot)?;
    let sync_aggregate = &update.sync_aggregate;
    let signing_root = sync_committee_signing_root(config, update);
    committee
        .signature_check(
            &sync_aggregate.sync_committee_bits,
            &signing_root,
            sync_aggregate.sync_committee_signature.as_slice(),
            true,
        )
        .map(|(check, _)| check)
}

/// Every check of altair `validate_light_client_update` before the signature's, in the spec's
/// order (participation, headers, slots, periods, relevance, the finality and next-sync-committee
/// branches), and the committee whose signature the update must then carry.
pub fn validate_light_client_update_before_signature<'s, P: Preset>(
    config: &NetworkConfig,
    store: &'s LightClientStore<P>,
    update: &UpdateParts<P>,
    current_slot: Slot,
) -> Result<&'s TrustedCommittee<P>, UpdateFailure> {
    let period = compute_sync_committee_period_at_slot::<P>;
    let sync_aggregate = &update.sync_aggregate;
    let participants = sum_bits::<P>(&sync_aggregate.sync_committee_bits);
    if participants < MIN_SYNC_COMMITTEE_PARTICIPANTS {
        return Err(UpdateFailure::Participation {
            expected_at_least: MIN_SYNC_COMMITTEE_PARTICIPANTS,
            got: participants,
        });
    }
    let attested_slot = update.attested_header.beacon().slot;
    if !is_valid_light_client_header(config, &update.attested_header) {
        return Err(UpdateFailure::InvalidHeader {
            role: HeaderRole::Attested,
            slot: attested_slot,
        });
    }
    let finalized_slot = update.finalized_header.beacon().slot;
    if !(current_slot >= update.signature_slot
        && update.signature_slot > attested_slot
        && attested_slot >= finalized_slot)
    {
        return Err(UpdateFailure::SlotOrdering {
            current_slot,
            signature_slot: update.signature_slot,
            attested_slot,
            finalized_slot,
        });
    }
    let store_period = store.period();
    let signature_period = period(update.signature_slot);
    let next_known = is_next_sync_committee_known(store);
    let period_ok = if next_known {
        signature_period == store_period || signature_period == store_period + 1
    } else {
        signature_period == store_period
    };
    if !period_ok {
        return Err(UpdateFailure::SignaturePeriod {
            store_period,
            next_committee_known: next_known,
            got: signature_period,
        });
    }
    let attested_period = period(attested_slot);
    let update_has_next_sync_committee =
        !next_known && is_sync_committee_update(update) && attested_period == store_period;
    if !(attested_slot > store.finalized_header.beacon().slot || update_has_next_sync_committee) {
        return Err(UpdateFailure::NotRelevant {
            attested_slot,
            store_finalized_slot: store.finalized_header.beacon().slot,
        });
    }
    let state_root = update.attested_header.beacon().state_root.0;
    if !is_finality_update(update) {
        if !update.finalized_header.is_empty() {
            return Err(UpdateFailure::UnexpectedFinalizedHeader);
        }
    } else {
        let finalized_root = if finalized_slot == GENESIS_SLOT {
            if !update.finalized_header.is_empty() {
                return Err(UpdateFailure::UnexpectedFinalizedHeader);
            }
            [0u8; 32]
        } else {
            if !is_valid_light_client_header(config, &update.finalized_header) {
                return Err(UpdateFailure::InvalidHeader {
                    role: HeaderRole::Finalized,
                    slot: finalized_slot,
                });
            }
            update.finalized_header.beacon().tree_hash_root().0
        };
        let gindex = finalized_root_gindex_at_slot::<P>(config, attested_slot);
        if !is_valid_normalized_merkle_branch(
            &finalized_root,
            &nodes(&update.finality_branch),
            gindex,
            &state_root,
        ) {
            return Err(UpdateFailure::FinalityBranch {
                gindex,
                branch_len: update.finality_branch.len(),
            });
        }
    }
    match &update.next_sync_committee {
        None => {
            if !update.next_sync_committee_is_empty {
                return Err(UpdateFailure::UnexpectedNextSyncCommittee);
            }
        }
        Some((committee, branch)) => {
            if attested_period == store_period {
                if let Some(known) = &store.next_sync_committee {
                    if known.committee != *committee {
                        return Err(UpdateFailure::NextSyncCommitteeMismatch);
                    }
                }
            }
            let gindex = next_sync_committee_gindex_at_slot::<P>(config, attested_slot);
            if !is_valid_normalized_merkle_branch(
                &sync_committee_root(committee),
                &nodes(branch),
                gindex,
                &state_root,
            ) {
                return Err(UpdateFailure::NextSyncCommitteeBranch {
                    gindex,
                    branch_len: branch.len(),
                });
            }
        }
    }
    if signature_period == store_period {
        Ok(&store.current_sync_committee)
    } else {
        // `period_ok` guarantees the next committee is known here.
        store
            .next_sync_committee
            .as_ref()
            .ok_or(UpdateFailure::SignaturePeriod {
                store_period,
                next_committee_known: false,
                got: signature_period,
            })
    }
}

/// The root the sync committee signs for `update` (altair `validate_light_client_update`: the
/// attested header under `DOMAIN_SYNC_COMMITTEE` and the fork version of the slot before the
/// signature slot).
pub fn sync_committee_signing_root<P: Preset>(
    config: &NetworkConfig,
    update: &UpdateParts<P>,
) -> Hash256 {
    let fork_version_slot = update.signature_slot.max(1) - 1;
    let fork_version = config.fork_version_at_epoch(compute_epoch_at_slot::<P>(fork_version_slot));
    let domain = compute_domain(
        DomainType::from(DOMAIN_SYNC_COMMITTEE),
        fork_version,
        config.genesis_validators_root,
    );
    compute_signing_root(update.attested_header.beacon().tree_hash_root(), domain)
}

/// altair `apply_light_client_update`. Returns `false` when the spec's assertion
/// (`update_finalized_period == store_period` while the next committee is unknown) fails; the
/// store is then unchanged.
pub fn apply_light_client_update<P: Preset>(
    store: &mut LightClientStore<P>,
    update: &UpdateParts<P>,
) -> bool {
    let store_period = store.period();
    let update_finalized_period =
        compute_sync_committee_period_at_slot::<P>(update.finalized_header.beacon().slot);
    let next = update
        .next_sync_committee
        .as_ref()
        .map(|(c, _)| TrustedCommittee::new(c.clone()));
    if !is_next_sync_committee_known(store) {
        if update_finalized_period != store_period {
            return false;
        }
        store.next_sync_committee = next;
    } else if update_finalized_period == store_period + 1 {
        if let Some(n) = store.next_sync_committee.take() {
            store.current_sync_committee = n;
        }
        store.next_sync_committee = next;
        store.previous_max_active_participants = store.current_max_active_participants;
        store.current_max_active_participants = 0;
    }
    if update.finalized_header.beacon().slot > store.finalized_header.beacon().slot {
        store.finalized_header = update.finalized_header.clone();
        if store.finalized_header.beacon().slot > store.optimistic_header.beacon().slot {
            store.optimistic_header = store.finalized_header.clone();
        }
    }
    true
}

/// altair `process_light_client_store_force_update`.
pub fn process_light_client_store_force_update<P: Preset>(
    store: &mut LightClientStore<P>,
    current_slot: Slot,
) {
    if current_slot > store.finalized_header.beacon().slot + P::UPDATE_TIMEOUT {
        if let Some(mut best) = store.best_valid_update.take() {
            if best.finalized_header.beacon().slot <= store.finalized_header.beacon().slot {
                best.finalized_header = best.attested_header.clone();
            }
            apply_light_client_update(store, &best);
        }
    }
}

/// altair `process_light_client_update`: validate, track the best update and participation,
/// advance the optimistic header, and apply the update when 2/3 of the committee signed it.
pub fn process_light_client_update<P: Preset>(
    config: &NetworkConfig,
    store: &mut LightClientStore<P>,
    update: &UpdateParts<P>,
    current_slot: Slot,
) -> Result<(), UpdateFailure> {
    validate_light_client_update(config, store, update, current_slot)?;
    accept_valid_update(store, update);
    Ok(())
}

/// What altair `process_light_client_update` does after `validate_light_client_update` passed.
fn accept_valid_update<P: Preset>(store: &mut LightClientStore<P>, update: &UpdateParts<P>) {
    let bits = &update.sync_aggregate.sync_committee_bits;
    let participants = sum_bits::<P>(bits);
    let better = match &store.best_valid_update {
        None => true,
        Some(best) => is_better_update(update, best),
    };
    if better {
        store.best_valid_update = Some(update.clone());
    }
    store.current_max_active_participants = store.current_max_active_participants.max(participants);
    if participants > get_safety_threshold(store)
        && update.attested_header.beacon().slot > store.optimistic_header.beacon().slot
    {
        store.optimistic_header = update.attested_header.clone();
    }
    let period = compute_sync_committee_period_at_slot::<P>;
    let update_has_finalized_next_sync_committee = !is_next_sync_committee_known(store)
        && is_sync_committee_update(update)
        && is_finality_update(update)
        && period(update.finalized_header.beacon().slot)
            == period(update.attested_header.beacon().slot);
    if participants * 3 >= P::SYNC_COMMITTEE_SIZE * 2
        && (update.finalized_header.beacon().slot > store.finalized_header.beacon().slot
            || update_has_finalized_next_sync_committee)
        && apply_light_client_update(store, update)
    {
        store.best_valid_update = None;
    }
}

/// [`process_with_context`] over `updates` in order (`index` the position in the list), where an
/// update whose failure `skip` accepts leaves the store as it was and the walk goes on, and any
/// other failure ends it. Returns how many updates were processed without failure.
///
/// The result, the store and the error are those of processing the updates one by one. The
/// pairing checks are run as one randomised batch ([`bls::verify_batch`], scalars from the
/// platform's secure random source): every other check runs as the spec orders it on a copy of
/// the store, each update assumed to verify, and the copy is kept only when the batch holds.
/// Since each update's checks depend only on the store the ones before it left, a batch that
/// holds means the one-by-one walk would have passed the same way. Any failure (a check, the
/// batch, no random source) walks the list again one by one, which finds and names it.
pub fn process_updates<P: Preset>(
    config: &NetworkConfig,
    store: &mut LightClientStore<P>,
    updates: &[UpdateParts<P>],
    current_slot: Slot,
    kind: UpdateKind,
    skip: impl Fn(&UpdateFailure) -> bool,
) -> Result<usize, LightClientError> {
    if let Some(processed) = process_updates_batched(config, store, updates, current_slot, &skip) {
        return Ok(processed);
    }
    let mut processed = 0;
    for (i, update) in updates.iter().enumerate() {
        match process_with_context(config, store, update, current_slot, kind, Some(i)) {
            Ok(()) => processed += 1,
            Err(LightClientError::Update { failure, .. }) if skip(&failure) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(processed)
}

/// The batched walk of [`process_updates`] alone: `Some(processed)` with the store advanced
/// when every check and the batched pairing hold, `None` with the store untouched when anything
/// fails (which update, and why, is what [`process_updates`] then finds one by one).
pub fn process_updates_batched<P: Preset>(
    config: &NetworkConfig,
    store: &mut LightClientStore<P>,
    updates: &[UpdateParts<P>],
    current_slot: Slot,
    skip: &dyn Fn(&UpdateFailure) -> bool,
) -> Option<usize> {
    let mut trial = store.clone();
    let mut checks = Vec::with_capacity(updates.len());
    for update in updates {
        match check_light_client_update(config, &trial, update, current_slot) {
            Ok(check) => {
                checks.push(check);
                accept_valid_update(&mut trial, update);
            }
            Err(failure) if skip(&failure) => {}
            Err(_) => return None,
        }
    }
    let holds = match checks.as_slice() {
        [] => true,
        [one] => one.verify().is_ok(),
        many => {
            let scalars = batch_scalars(many.len())?;
            let sets: Vec<bls::SignatureSet<'_>> = many.iter().map(SignatureCheck::set).collect();
            bls::verify_batch(&sets, &scalars)
        }
    };
    if !holds {
        return None;
    }
    *store = trial;
    Some(checks.len())
}

/// `n` random non-zero scalars for [`bls::verify_batch`] from the platform's secure random
/// source (the OS natively, `crypto.getRandomValues` in a page or worker); `None` without one.
fn batch_scalars(n: usize) -> Option<Vec<[u8; 8]>> {
    let mut scalars = vec![[0u8; 8]; n];
    getrandom::getrandom(scalars.as_flattened_mut()).ok()?;
    for r in &mut scalars {
        if *r == [0u8; 8] {
            r[0] = 1;
        }
    }
    Some(scalars)
}

/// Wraps [`process_light_client_update`] with the context a user needs to find the update.
pub fn process_with_context<P: Preset>(
    config: &NetworkConfig,
    store: &mut LightClientStore<P>,
    update: &UpdateParts<P>,
    current_slot: Slot,
    kind: UpdateKind,
    index: Option<usize>,
) -> Result<(), LightClientError> {
    process_light_client_update(config, store, update, current_slot).map_err(|failure| {
        LightClientError::Update {
            kind,
            index,
            period: compute_sync_committee_period_at_slot::<P>(update.signature_slot),
            attested_slot: update.attested_header.beacon().slot,
            signature_slot: update.signature_slot,
            failure,
        }
    })
}

/// altair `process_light_client_finality_update`.
pub fn process_light_client_finality_update<P: Preset>(
    config: &NetworkConfig,
    store: &mut LightClientStore<P>,
    finality_update: &crate::types::light_client::LightClientFinalityUpdate<P>,
    current_slot: Slot,
) -> Result<(), LightClientError> {
    let parts = finality_update.parts();
    process_with_context(
        config,
        store,
        &parts,
        current_slot,
        UpdateKind::Finality,
        None,
    )
}

/// altair `process_light_client_optimistic_update`.
pub fn process_light_client_optimistic_update<P: Preset>(
    config: &NetworkConfig,
    store: &mut LightClientStore<P>,
    optimistic_update: &crate::types::light_client::LightClientOptimisticUpdate<P>,
    current_slot: Slot,
) -> Result<(), LightClientError> {
    let parts = optimistic_update.parts();
    process_with_context(
        config,
        store,
        &parts,
        current_slot,
        UpdateKind::Optimistic,
        None,
    )
}
