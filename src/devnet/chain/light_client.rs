//! The chain's light-client objects: bootstraps, updates, finality and optimistic updates, each
//! with its faulted forms (a signature that does not verify, a changed branch node), signed by
//! the sync committee's real keys and proven against the known states' field roots.

use super::*;
use crate::light::gloas::{normalize_merkle_branch, EXECUTION_BLOCK_HASH_GINDEX_GLOAS};
use crate::types::json::encode_json;
use crate::types::light_client::gloas as lcg;
use crate::types::{Root, SszSchema};

/// The light-client objects of one (attested, signature) block pair.
pub(super) struct LcUpdates {
    /// Sync-committee period of the attested block (the `updates` key).
    pub(super) period: u64,
    pub(super) update: LcObject,
    pub(super) finality: LcObject,
    pub(super) optimistic: LcObject,
}

/// A branch as the fixed-length vector of its container (a wrong length gives zero nodes, which
/// no verifier accepts; the lengths here always match).
fn fvec<N: ssz_types::typenum::Unsigned>(b: &[[u8; 32]]) -> FixedVector<B256, N> {
    FixedVector::new(b.iter().map(|x| b256(*x)).collect())
        .unwrap_or_else(|_| FixedVector::from_elem(B256::ZERO))
}

/// A light-client header in the shape of the light-client data it is part of: Deneb's (Electra
/// and Fulu data) or Gloas's.
#[derive(Clone)]
pub(super) enum AnyLcHeader<P: Preset> {
    Deneb(Box<LightClientHeader<P>>),
    Gloas(lcg::LightClientHeader),
}

impl<P: Preset> Generator<P> {
    /// `block_to_light_client_header` of `blk` for data of `family` (the fork of the attested
    /// block): a Gloas block proves its bid's `parent_block_hash`; an earlier block in Gloas data
    /// proves its payload's `block_hash` with the Deneb branch normalized to Gloas's depth.
    pub(super) fn lc_header(&self, blk: &Blk<P>, family: ForkName) -> AnyLcHeader<P> {
        match &blk.body {
            BlkBody::Gloas(g) => AnyLcHeader::Gloas(lcg::LightClientHeader {
                beacon: blk.header,
                execution_block_hash: g
                    .block
                    .body
                    .signed_execution_payload_bid
                    .message
                    .parent_block_hash,
                execution_branch: fvec(&g.exec_branch),
            }),
            BlkBody::Electra {
                body_leaves,
                payload_header,
                ..
            } => {
                let (_, branch) = root_and_branch(body_leaves, 9);
                if family < ForkName::Gloas {
                    return AnyLcHeader::Deneb(Box::new(LightClientHeader {
                        beacon: blk.header,
                        execution: (**payload_header).clone(),
                        execution_branch: fvec(&branch),
                    }));
                }
                let schema = crate::types::deneb::ExecutionPayloadHeader::<P>::ssz_type();
                let inner = crate::merkle::container_proof(
                    schema,
                    &payload_header.as_ssz_bytes(),
                    &["block_hash"],
                )
                .map(|p| p.branch)
                .unwrap_or_default();
                let mut full = inner;
                full.extend(branch);
                let full = normalize_merkle_branch(&full, EXECUTION_BLOCK_HASH_GINDEX_GLOAS)
                    .unwrap_or_default();
                AnyLcHeader::Gloas(lcg::LightClientHeader {
                    beacon: blk.header,
                    execution_block_hash: payload_header.block_hash,
                    execution_branch: fvec(&full),
                })
            }
        }
    }

    /// The finalized header of a known state at `slot` (in the shape of `slot`'s light-client
    /// data) and its finality branch (`finalized_checkpoint.root`).
    pub(super) fn finality(&self, slot: u64) -> Option<(AnyLcHeader<P>, Vec<[u8; 32]>)> {
        let known = self.known.get(&slot)?;
        let cps = self.checkpoints_at(slot);
        let fin_blk = self.block_at_or_before(cps.finalized.epoch * self.spe())?;
        let state_branch = self.state_branch(slot, &known.leaves, "finalized_checkpoint");
        let mut branch = vec![u64_leaf(cps.finalized.epoch)];
        branch.extend(state_branch);
        Some((self.lc_header(fin_blk, self.fork_at(slot)), branch))
    }

    /// A sync aggregate over `attested_root` by the committee of `signature_slot`'s period, all
    /// members participating. One signature by the sum of the members' secret keys equals the
    /// aggregate of their individual signatures (BLS is linear in the key), which saves
    /// SYNC_COMMITTEE_SIZE - 1 signings.
    pub(super) fn sync_aggregate(
        &mut self,
        attested_root: [u8; 32],
        signature_slot: u64,
        honest: bool,
    ) -> Result<SyncAggregate<P>, ChainError> {
        let (_, members) = self.committee(self.period(signature_slot))?;
        let sk = self.summed_key(&members)?;
        // The fork of the slot before the signature slot signs (`compute_fork_version` of
        // `max(signature_slot, 1) - 1` in `validate_light_client_update`).
        let domain = self.domain_at(DOMAIN_SYNC_COMMITTEE, signature_slot.max(1) - 1);
        // The faulted form signs another message: a valid point that does not verify.
        let object = if honest {
            attested_root
        } else {
            h(self.seed, "wrong-message", signature_slot, 0)
        };
        let signing_root = crate::config::compute_signing_root(b256(object), domain);
        let mut bits = BitVector::<P::SyncCommitteeSize>::new();
        for i in 0..members.len() {
            let _ = bits.set(i, true);
        }
        Ok(SyncAggregate {
            sync_committee_bits: bits,
            sync_committee_signature: BlsSignature::from(
                sk.sign(signing_root.as_slice()).to_bytes(),
            ),
        })
    }

    /// Fulu `compute_fork_digest` at the epoch of `slot`.
    pub(super) fn fork_digest(&self, slot: u64) -> [u8; 4] {
        let version = FixedBytes::from(fork_version(self.fork_at(slot)));
        let base = crate::config::compute_fork_data_root(version, self.gvr());
        let mut d = [base[0], base[1], base[2], base[3]];
        if self.fork_at(slot) >= ForkName::Fulu {
            // XOR with hash(blob params epoch ++ max blobs); before the first BLOB_SCHEDULE
            // entry, Electra's (epoch 0, MAX_BLOBS_PER_BLOCK_ELECTRA) apply.
            let params = BlobSchedule {
                entries: self.opts.blob_schedule.clone(),
                max_blobs_per_block_electra: MAX_BLOBS_PER_BLOCK_ELECTRA,
            }
            .blob_parameters_at(0, slot / P::SLOTS_PER_EPOCH);
            let mut s = Sha256::new();
            s.update(params.epoch.to_le_bytes());
            s.update(params.max_blobs_per_block.to_le_bytes());
            let mask: [u8; 32] = s.finalize().into();
            for i in 0..4 {
                d[i] ^= mask[i];
            }
        }
        d
    }

    /// The light-client object whose (attested) header is at `slot`.
    pub(super) fn lc_object<T: SszSchema + Encode>(
        &self,
        slot: u64,
        honest: &T,
        bad_sig: Option<&T>,
        bad_branch: Option<&T>,
    ) -> LcObject {
        let form = |v: &T| LcForm {
            json: encode_json(v),
            ssz: Some(v.as_ssz_bytes()),
        };
        LcObject {
            fork: self.fork_at(slot).as_str().to_string(),
            fork_digest: self.fork_digest(slot),
            honest: form(honest),
            bad_signature: bad_sig.map(form),
            bad_branch: bad_branch.map(form),
            raw: None,
        }
    }

    /// The light-client bootstrap of the block at `slot`, proven against its post-state (whose
    /// field roots are known): (block root, object). `None` when the slot has no such block.
    pub(super) fn bootstrap(&mut self, slot: u64) -> Result<Option<(Root, LcObject)>, ChainError> {
        let period = self.period(slot);
        let committee = self.committee(period)?.0;
        let (Some(blk), Some(known)) = (self.blocks.get(&slot), self.known.get(&slot)) else {
            return Ok(None);
        };
        let branch = self.state_branch(slot, &known.leaves, "current_sync_committee");
        let mut bad = branch.clone();
        bad[0][0] ^= 0xff;
        macro_rules! object {
            ($m:ident, $header:expr) => {{
                let make = |branch: &[[u8; 32]]| $m::LightClientBootstrap::<P> {
                    header: $header.clone(),
                    current_sync_committee: committee.clone(),
                    current_sync_committee_branch: fvec(branch),
                };
                self.lc_object(slot, &make(&branch), None, Some(&make(&bad)))
            }};
        }
        let obj = match self.lc_header(blk, self.fork_at(slot)) {
            AnyLcHeader::Deneb(h) => object!(lc, *h),
            AnyLcHeader::Gloas(h) => object!(lcg, h),
        };
        Ok(Some((blk.root, obj)))
    }

    /// The light-client update, finality update and optimistic update whose attested block is
    /// at `att` and whose sync aggregate is in the block at `sig`. `None` when `att` has no
    /// block or no known post-state.
    pub(super) fn lc_updates(
        &mut self,
        att: u64,
        sig: u64,
    ) -> Result<Option<LcUpdates>, ChainError> {
        let Some(att_blk) = self.blocks.get(&att) else {
            return Ok(None);
        };
        let att_root = att_blk.root;
        let family = self.fork_at(att);
        let attested_header = self.lc_header(att_blk, family);
        let Some((fin_header, fin_branch)) = self.finality(att) else {
            return Ok(None);
        };
        let period = self.period(att);
        let next = self.committee(period + 1)?.0;
        let next_branch = self.state_branch(att, &self.known[&att].leaves, "next_sync_committee");
        let agg = self.sync_aggregate(att_root, sig, true)?;
        let bad_agg = self.sync_aggregate(att_root, sig, false)?;
        let mut fb = fin_branch.clone();
        fb[1][0] ^= 0xff;
        // A copy of `$value` with one field replaced: the forged forms of an object.
        macro_rules! forged {
            ($value:expr, $field:ident = $forged:expr) => {{
                let mut v = $value.clone();
                v.$field = $forged;
                v
            }};
        }
        macro_rules! objects {
            ($m:ident, $att:expr, $fin:expr) => {{
                let update = $m::LightClientUpdate::<P> {
                    attested_header: $att.clone(),
                    next_sync_committee: next,
                    next_sync_committee_branch: fvec(&next_branch),
                    finalized_header: $fin.clone(),
                    finality_branch: fvec(&fin_branch),
                    sync_aggregate: agg.clone(),
                    signature_slot: sig,
                };
                let bad_sig = forged!(update, sync_aggregate = bad_agg.clone());
                let bad_branch = forged!(update, finality_branch = fvec(&fb));
                let fin_update = $m::LightClientFinalityUpdate::<P> {
                    attested_header: $att.clone(),
                    finalized_header: $fin,
                    finality_branch: fvec(&fin_branch),
                    sync_aggregate: agg.clone(),
                    signature_slot: sig,
                };
                let fu_bad_sig = forged!(fin_update, sync_aggregate = bad_agg.clone());
                let fu_bad_branch = forged!(fin_update, finality_branch = fvec(&fb));
                let opt = $m::LightClientOptimisticUpdate::<P> {
                    attested_header: $att,
                    sync_aggregate: agg,
                    signature_slot: sig,
                };
                let opt_bad = forged!(opt, sync_aggregate = bad_agg);
                LcUpdates {
                    period,
                    update: self.lc_object(att, &update, Some(&bad_sig), Some(&bad_branch)),
                    finality: self.lc_object(
                        att,
                        &fin_update,
                        Some(&fu_bad_sig),
                        Some(&fu_bad_branch),
                    ),
                    optimistic: self.lc_object(att, &opt, Some(&opt_bad), None),
                }
            }};
        }
        let out = match (attested_header, fin_header) {
            (AnyLcHeader::Deneb(a), AnyLcHeader::Deneb(f)) => objects!(lc, *a, *f),
            (AnyLcHeader::Gloas(a), AnyLcHeader::Gloas(f)) => objects!(lcg, a, f),
            _ => {
                return Err(ChainError::Ssz {
                    what: "light-client update",
                    detail: "expected the attested and finalized headers in one shape".into(),
                })
            }
        };
        Ok(Some(out))
    }
}
