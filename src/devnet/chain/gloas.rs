//! Gloas blocks (EIP-7732, consensus-specs v1.7.0-alpha.13 `specs/gloas/`): the body commits to
//! a builder's bid, the payload comes afterwards in a signed `ExecutionPayloadEnvelope`, and the
//! next block applies it (`process_parent_execution_payload`).
//!
//! What the generator models, slot by slot, is what the state records of the execution side:
//! - `process_slot` unsets the availability bit of the slot being entered;
//! - a block first applies its parent's payload when that payload was revealed (FULL): the bit of
//!   the parent's slot is set and `latest_block_hash` becomes the parent bid's `block_hash`; the
//!   block then carries the parent envelope's `execution_requests` (always empty here) as
//!   `parent_execution_requests`, and builds its own bid on `latest_block_hash`. A withheld
//!   payload (EMPTY) changes nothing, and the next bid builds on the older hash;
//! - the bid is recorded as `latest_execution_payload_bid`. Its value is zero, so no builder
//!   payment is ever pending and no withdrawal is due (`payload_expected_withdrawals` stays
//!   empty, as `process_withdrawals` leaves it for a registry with no excess balance).
//!
//! Bids: one builder, with a real key, is in the registry from genesis (`deposit_epoch` 0). Until
//! the chain finalizes an epoch after it, `is_active_builder` is false and proposers self-build
//! (`BUILDER_INDEX_SELF_BUILD`, value 0, the G2 point at infinity as signature, the envelope
//! signed by the proposer); afterwards the builder bids and signs bid and envelope
//! (`DOMAIN_BEACON_BUILDER`). Whether a slot's payload is withheld is a seeded roll
//! ([`ChainOptions::withheld_payload_percent`]): its envelope is never published (404). The
//! finalized checkpoint block's payload is revealed unless
//! [`ChainOptions::withhold_checkpoint_payload`] asks otherwise.
//!
//! Payload attestations: a block whose parent is in the previous slot carries the parent slot's
//! payload-timeliness committee's attestation (every member, `payload_present` as revealed),
//! signed under `DOMAIN_PTC_ATTESTER` (one signature by the members' summed keys, as for sync
//! aggregates). The committee is a seeded draw over the real-key validators, as proposers are,
//! and `ptc_window` holds exactly those committees.

use super::*;
use crate::types::gloas as g;
use crate::types::{ProgressiveList, SszSchema};

/// `DOMAIN_BEACON_BUILDER`.
pub(super) const DOMAIN_BEACON_BUILDER: [u8; 4] = [0x0b, 0, 0, 0];
/// `DOMAIN_PTC_ATTESTER`.
pub(super) const DOMAIN_PTC_ATTESTER: [u8; 4] = [0x0c, 0, 0, 0];
/// `BUILDER_INDEX_SELF_BUILD`.
const BUILDER_INDEX_SELF_BUILD: u64 = u64::MAX;
/// `PAYLOAD_BUILDER_VERSION`.
const PAYLOAD_BUILDER_VERSION: crate::types::Uint8 = crate::types::Uint8(0);
/// The devnet builder's balance: 1000 ETH, in Gwei.
const BUILDER_BALANCE_GWEI: u64 = 1_000_000_000_000;
/// The devnet builder's `deposit_epoch` (in the registry from genesis).
const BUILDER_DEPOSIT_EPOCH: u64 = 0;

/// `bls.G2_POINT_AT_INFINITY`: the signature of a self-built bid.
fn g2_point_at_infinity() -> [u8; 96] {
    let mut s = [0u8; 96];
    s[0] = 0xc0;
    s
}

/// The Gloas part of a generated block.
pub(super) struct GloasBlk<P: Preset> {
    pub(super) block: g::BeaconBlock<P>,
    /// Branch of `signed_execution_payload_bid.message.parent_block_hash` in the body
    /// (`EXECUTION_BLOCK_HASH_GINDEX_GLOAS`, 11 nodes), for light-client headers.
    pub(super) exec_branch: Vec<[u8; 32]>,
    /// The signed envelope of the block's payload; `None` when the payload is withheld.
    pub(super) envelope: Option<g::SignedExecutionPayloadEnvelope<P>>,
}

/// The execution side of the state after the latest generated slot (see the module docs).
#[derive(Clone)]
pub(super) struct ExecState<P: Preset> {
    pub(super) latest_block_hash: B256,
    pub(super) latest_bid: g::ExecutionPayloadBid,
    /// Whether the payload of `latest_bid` was revealed (its envelope published).
    revealed: bool,
    pub(super) availability: BitVector<P::SlotsPerHistoricalRoot>,
    /// Execution block number of the latest revealed payload.
    block_number: u64,
}

/// The Gloas-only fields of a served state.
pub(super) struct GloasParts<P: Preset> {
    pub(super) exec: ExecState<P>,
    pub(super) builders: Vec<g::Builder>,
    pub(super) ptc_window: Vec<Vec<u64>>,
}

/// `ExecutionRequests()`: what every devnet payload requests.
pub(super) fn no_requests() -> g::ExecutionRequests {
    g::ExecutionRequests {
        deposits: ProgressiveList::new(Vec::new()),
        withdrawals: ProgressiveList::new(Vec::new()),
        consolidations: ProgressiveList::new(Vec::new()),
        builder_deposits: ProgressiveList::new(Vec::new()),
        builder_exits: ProgressiveList::new(Vec::new()),
    }
}

/// The devnet builder's secret key (derived like the validators', from its own seed).
pub(super) fn builder_key(seed: u64) -> SecretKey {
    SecretKey::from_seed(format!("lightsync-devnet-builder-{seed}").as_bytes(), 0)
}

impl<P: Preset> Generator<P> {
    /// The devnet builder's secret key (derived once, at the generator's start).
    fn builder_key(&self) -> SecretKey {
        self.builder_key
            .clone()
            .unwrap_or_else(|| builder_key(self.seed))
    }

    /// `state.builders`: the devnet builder on a chain that starts in Gloas; none on a chain that
    /// forks to it (`upgrade_to_gloas` starts an empty registry, and onboards builders only from
    /// pending deposits, of which this chain has none).
    pub(super) fn builders(&self) -> Vec<g::Builder> {
        if self.gloas_at > 0 {
            return Vec::new();
        }
        let mut address = [0u8; 20];
        address[..8].copy_from_slice(b"builder0");
        vec![g::Builder {
            pubkey: BlsPublicKey::from(self.builder_key().public_key().to_bytes()),
            version: PAYLOAD_BUILDER_VERSION,
            execution_address: address.into(),
            balance: BUILDER_BALANCE_GWEI,
            deposit_epoch: BUILDER_DEPOSIT_EPOCH,
            withdrawable_epoch: FAR_FUTURE_EPOCH,
        }]
    }

    /// The execution side at the first Gloas state, as `upgrade_to_gloas` sets it: the bid and
    /// `latest_block_hash` both name the last execution block, every availability bit is set.
    fn initial_exec(&self) -> ExecState<P> {
        let mut availability = BitVector::new();
        for i in 0..P::SLOTS_PER_HISTORICAL_ROOT as usize {
            let _ = availability.set(i, true);
        }
        ExecState {
            latest_block_hash: b256(self.parent_hash),
            latest_bid: g::ExecutionPayloadBid {
                block_hash: b256(self.parent_hash),
                gas_limit: GAS_LIMIT,
                execution_requests_root: no_requests().tree_hash_root(),
                ..Default::default()
            },
            revealed: true,
            availability,
            block_number: 0,
        }
    }

    /// The payload-timeliness committee of `slot` (`PTC_SIZE` real-key validators).
    fn ptc(&self, slot: u64) -> Vec<u64> {
        (0..P::PTC_SIZE)
            .map(|j| h64(self.seed, "ptc", slot, j) % self.real)
            .collect()
    }

    /// `ptc_window` of a state at `slot`: the previous, current and `MIN_SEED_LOOKAHEAD` next
    /// epochs' committees; the epoch before the first Gloas epoch is all zero
    /// (`initialize_ptc_window`).
    pub(super) fn ptc_window(&self, slot: u64) -> Vec<Vec<u64>> {
        let spe = self.spe();
        let epoch = slot / spe;
        let len = (2 + P::MIN_SEED_LOOKAHEAD) * spe;
        (0..len)
            .map(|i| {
                // Entry i is for slot (epoch - 1) * spe + i.
                let first_epoch = epoch == self.gloas_epoch() && i < spe;
                match (epoch * spe + i).checked_sub(spe) {
                    Some(s) if !first_epoch => self.ptc(s),
                    _ => vec![0; P::PTC_SIZE as usize],
                }
            })
            .collect()
    }

    /// The first Gloas epoch of the chain.
    pub(super) fn gloas_epoch(&self) -> u64 {
        self.gloas_at
    }

    /// The Gloas fields of a served state at the latest generated slot.
    pub(super) fn gloas_parts(&self, slot: u64) -> Result<GloasParts<P>, ChainError> {
        let exec = self.exec.clone().ok_or_else(|| ChainError::Ssz {
            what: "Gloas state",
            detail: "expected the execution side to be initialised at the first Gloas slot".into(),
        })?;
        Ok(GloasParts {
            exec,
            builders: self.builders(),
            ptc_window: self.ptc_window(slot),
        })
    }

    /// `is_active_builder` of the devnet builder in a state at `slot`.
    fn builder_active(&self, slot: u64) -> bool {
        self.gloas_at == 0 && BUILDER_DEPOSIT_EPOCH < self.checkpoints_at(slot).finalized.epoch
    }

    /// Whether the payload of the block at `slot` is withheld (no envelope is ever published):
    /// a seeded roll, except for the finalized checkpoint block (on a live chain: every
    /// checkpoint block, each of which becomes finalized), whose payload is withheld only when
    /// asked (so a checkpoint's FULL or EMPTY status is chosen, not rolled).
    pub(super) fn payload_withheld(&self, slot: u64) -> bool {
        let checkpoint = match self.live {
            true => self.live_checkpoint_epoch(slot).is_some(),
            false => Some(slot) == self.checkpoint_block_slot,
        };
        if checkpoint {
            return self.opts.withhold_checkpoint_payload;
        }
        h64(self.seed, "withheld-payload", slot, 0) % 100
            < self.opts.withheld_payload_percent as u64
    }

    /// The body of the genesis block (`BeaconBlockBody()`: every field zero or empty).
    fn genesis_body(&self) -> g::BeaconBlockBody<P> {
        g::BeaconBlockBody {
            randao_reveal: BlsSignature::from([0u8; 96]),
            eth1_data: Eth1Data::default(),
            graffiti: B256::ZERO,
            proposer_slashings: ProgressiveList::new(Vec::new()),
            attester_slashings: ProgressiveList::new(Vec::new()),
            attestations: ProgressiveList::new(Vec::new()),
            deposits: ProgressiveList::new(Vec::new()),
            voluntary_exits: ProgressiveList::new(Vec::new()),
            sync_aggregate: SyncAggregate {
                sync_committee_bits: BitVector::new(),
                sync_committee_signature: BlsSignature::from([0u8; 96]),
            },
            bls_to_execution_changes: ProgressiveList::new(Vec::new()),
            signed_execution_payload_bid: g::SignedExecutionPayloadBid {
                message: Default::default(),
                signature: BlsSignature::from([0u8; 96]),
            },
            payload_attestations: ProgressiveList::new(Vec::new()),
            parent_execution_requests: no_requests(),
        }
    }

    /// A Gloas block at `slot` on the latest canonical block, and the execution side after it:
    /// the parent's payload applied if it was revealed, the block's bid recorded.
    fn gloas_block(
        &self,
        slot: u64,
        graffiti: &str,
    ) -> Result<(g::BeaconBlock<P>, ExecState<P>), ChainError> {
        let mut exec = match &self.exec {
            Some(e) => e.clone(),
            None => self.initial_exec(),
        };
        if slot == 0 {
            let block = g::BeaconBlock {
                slot: 0,
                proposer_index: 0,
                parent_root: B256::ZERO,
                state_root: B256::ZERO,
                body: self.genesis_body(),
            };
            return Ok((block, exec));
        }
        // process_parent_execution_payload
        let parent_revealed = exec.revealed;
        if parent_revealed {
            let parent_slot = exec.latest_bid.slot;
            let sphr = P::SLOTS_PER_HISTORICAL_ROOT;
            let _ = exec.availability.set((parent_slot % sphr) as usize, true);
            exec.latest_block_hash = exec.latest_bid.block_hash;
        }
        let active = self.builder_active(slot);
        let bid = g::ExecutionPayloadBid {
            parent_block_hash: exec.latest_block_hash,
            parent_block_root: b256(self.parent_root),
            block_hash: b256(h(self.seed, &format!("el-block-{graffiti}"), slot, 0)),
            prev_randao: self.randao_mix_at(slot),
            fee_recipient: if active {
                self.builders()[0].execution_address
            } else {
                Default::default()
            },
            gas_limit: GAS_LIMIT,
            builder_index: if active { 0 } else { BUILDER_INDEX_SELF_BUILD },
            slot,
            value: 0,
            execution_payment: 0,
            blob_kzg_commitments: ProgressiveList::new(Vec::new()),
            execution_requests_root: no_requests().tree_hash_root(),
        };
        let bid_signature = if active {
            let domain = self.domain_at(DOMAIN_BEACON_BUILDER, slot);
            let root = crate::config::compute_signing_root(bid.tree_hash_root(), domain);
            self.builder_key().sign(root.as_slice()).to_bytes()
        } else {
            g2_point_at_infinity()
        };
        let payload_attestations = match self.blocks.keys().next_back() {
            // Only a Gloas parent has a payload-timeliness committee.
            Some(&p) if p >= 1 && p + 1 == slot && self.fork_at(p) == ForkName::Gloas => {
                vec![self.payload_attestation(p, self.parent_root, parent_revealed)?]
            }
            _ => Vec::new(),
        };
        let electra = self.make_block(slot, self.parent_root, self.parent_hash, graffiti)?;
        let e = electra.body;
        let body = g::BeaconBlockBody {
            randao_reveal: e.randao_reveal,
            eth1_data: e.eth1_data,
            graffiti: e.graffiti,
            proposer_slashings: ProgressiveList::new(Vec::new()),
            attester_slashings: ProgressiveList::new(Vec::new()),
            attestations: ProgressiveList::new(Vec::new()),
            deposits: ProgressiveList::new(Vec::new()),
            voluntary_exits: ProgressiveList::new(Vec::new()),
            sync_aggregate: e.sync_aggregate,
            bls_to_execution_changes: ProgressiveList::new(Vec::new()),
            signed_execution_payload_bid: g::SignedExecutionPayloadBid {
                message: bid.clone(),
                signature: BlsSignature::from(bid_signature),
            },
            payload_attestations: ProgressiveList::new(payload_attestations),
            // The parent envelope's requests when it was revealed (`ExecutionRequests()` here),
            // and `ExecutionRequests()` when it was not.
            parent_execution_requests: no_requests(),
        };
        exec.latest_bid = bid;
        exec.revealed = false;
        let block = g::BeaconBlock {
            slot,
            proposer_index: electra.proposer_index,
            parent_root: electra.parent_root,
            state_root: B256::ZERO,
            body,
        };
        Ok((block, exec))
    }

    /// `get_randao_mix(state, epoch of slot)` of the devnet's states.
    fn randao_mix_at(&self, slot: u64) -> B256 {
        let i = (slot / self.spe()) % P::EPOCHS_PER_HISTORICAL_VECTOR;
        b256(h(self.seed, "randao-mix", i, 0))
    }

    /// The payload attestation of `slot`'s committee for the block `root` at `slot`.
    fn payload_attestation(
        &self,
        slot: u64,
        root: [u8; 32],
        present: bool,
    ) -> Result<g::PayloadAttestation<P>, ChainError> {
        let members = self.ptc(slot);
        let data = g::PayloadAttestationData {
            beacon_block_root: b256(root),
            slot,
            payload_present: present,
            blob_data_available: true,
        };
        let domain = self.domain_at(DOMAIN_PTC_ATTESTER, slot);
        let signing_root = crate::config::compute_signing_root(data.tree_hash_root(), domain);
        let signature = self.summed_key(&members)?.sign(signing_root.as_slice());
        let mut bits = BitVector::<P::PtcSize>::new();
        for i in 0..members.len() {
            let _ = bits.set(i, true);
        }
        Ok(g::PayloadAttestation {
            aggregation_bits: bits,
            data,
            signature: BlsSignature::from(signature.to_bytes()),
        })
    }

    /// A block with its post-state root: header, root and the light-client branch.
    fn finish_gloas(
        &self,
        mut block: g::BeaconBlock<P>,
        state_root: [u8; 32],
        canonical: bool,
    ) -> Result<Blk<P>, ChainError> {
        block.state_root = b256(state_root);
        let proof = crate::merkle::container_proof(
            g::BeaconBlockBody::<P>::ssz_type(),
            &block.body.as_ssz_bytes(),
            &[
                "signed_execution_payload_bid",
                "message",
                "parent_block_hash",
            ],
        )
        .map_err(ssz_err("block body proof"))?;
        let header = BeaconBlockHeader {
            slot: block.slot,
            proposer_index: block.proposer_index,
            parent_root: block.parent_root,
            state_root: block.state_root,
            body_root: b256(proof.root),
        };
        Ok(Blk {
            root: header.tree_hash_root().0,
            header,
            signature: [0; 96],
            canonical,
            body: BlkBody::Gloas(Box::new(GloasBlk {
                block,
                exec_branch: proof.branch,
                envelope: None,
            })),
        })
    }

    /// The signed envelope of the block `blk` (canonical, its bid in `exec.latest_bid`).
    fn envelope(
        &self,
        blk: &Blk<P>,
        exec: &ExecState<P>,
    ) -> Result<g::SignedExecutionPayloadEnvelope<P>, ChainError> {
        let bid = &exec.latest_bid;
        let slot = blk.header.slot;
        let payload = g::ExecutionPayload::<P> {
            parent_hash: exec.latest_block_hash,
            fee_recipient: bid.fee_recipient,
            state_root: b256(h(self.seed, "el-state", slot, 0)),
            receipts_root: b256(h(self.seed, "el-receipts", slot, 0)),
            logs_bloom: FixedVector::from_elem(0),
            prev_randao: bid.prev_randao,
            block_number: exec.block_number + 1,
            gas_limit: bid.gas_limit,
            gas_used: 0,
            timestamp: self.genesis_time + slot * self.sps,
            extra_data: VariableList::new(b"lightsync-devnet".to_vec())
                .map_err(ssz_err("extra_data"))?,
            base_fee_per_gas: U256::from(7u64),
            block_hash: bid.block_hash,
            transactions: ProgressiveList::new(Vec::new()),
            // `payload_expected_withdrawals` (empty: see the module docs).
            withdrawals: ProgressiveList::new(Vec::new()),
            blob_gas_used: 0,
            excess_blob_gas: 0,
            block_access_list: ProgressiveList::new(Vec::new()),
            slot_number: slot,
        };
        let message = g::ExecutionPayloadEnvelope {
            payload,
            execution_requests: no_requests(),
            builder_index: bid.builder_index,
            beacon_block_root: b256(blk.root),
            parent_beacon_block_root: blk.header.parent_root,
        };
        let key = if bid.builder_index == BUILDER_INDEX_SELF_BUILD {
            self.secret_keys[blk.header.proposer_index as usize].clone()
        } else {
            self.builder_key()
        };
        let domain = self.domain_at(DOMAIN_BEACON_BUILDER, slot);
        let root = crate::config::compute_signing_root(message.tree_hash_root(), domain);
        Ok(g::SignedExecutionPayloadEnvelope {
            message,
            signature: BlsSignature::from(key.sign(root.as_slice()).to_bytes()),
        })
    }

    /// [`Generator::gen_slot`] for a Gloas slot.
    pub(super) fn gen_gloas_slot(
        &mut self,
        slot: u64,
        kind: SlotKind,
        summaries: &[HistoricalSummary],
    ) -> Result<Option<Vec<u8>>, ChainError> {
        if self.exec.is_none() {
            // The first Gloas slot: `upgrade_to_gloas` runs after `process_slot`, so every
            // availability bit is still set.
            self.exec = Some(self.initial_exec());
        } else {
            // process_slot(slot - 1) unsets the bit of the slot being entered.
            let sphr = P::SLOTS_PER_HISTORICAL_ROOT;
            if let Some(e) = self.exec.as_mut() {
                let _ = e.availability.set((slot % sphr) as usize, false);
            }
        }
        if !kind.block {
            if kind.served {
                // A Gloas node serves the post-state of the checkpoint block, never an empty
                // slot's (see `plan_states`).
                return unreachable_block();
            }
            let prev = self.block_roots.last().copied().unwrap_or([0; 32]);
            self.state_roots.push(h(self.seed, "state-root", slot, 0));
            self.block_roots.push(prev);
            if h64(self.seed, "orphan", slot, 0) % 100 < ORPHAN_PERCENT_OF_EMPTY {
                let (ob, _) = self.gloas_block(slot, "lightsync orphan")?;
                let blk = self.finish_gloas(ob, h(self.seed, "orphan-state", slot, 0), false)?;
                self.orphans.insert(slot, blk);
            }
            return Ok(None);
        }
        let (block, exec) = self.gloas_block(slot, "lightsync devnet")?;
        self.exec = Some(exec);
        // The block's header with a zero state root is what its post-state records.
        let pre = self.finish_gloas(block.clone(), [0; 32], true)?;
        let (state_root, served_bytes) =
            self.post_state(slot, &kind, &pre.header, summaries, &Default::default())?;
        let mut blk = self.finish_gloas(block, state_root, true)?;
        if slot > 0 && !self.payload_withheld(slot) {
            let exec = self.exec.as_ref().ok_or_else(|| ChainError::Ssz {
                what: "envelope",
                detail: "expected the execution side after the block".into(),
            })?;
            let envelope = self.envelope(&blk, exec)?;
            if let BlkBody::Gloas(g) = &mut blk.body {
                g.envelope = Some(envelope);
            }
            if let Some(e) = self.exec.as_mut() {
                e.revealed = true;
                e.block_number += 1;
            }
        }
        self.state_roots.push(state_root);
        self.block_roots.push(blk.root);
        self.parent_root = blk.root;
        self.blocks.insert(slot, blk);
        Ok(served_bytes)
    }
}
