//! The Gloas light-client header (consensus-specs v1.7.0-alpha.13
//! `specs/gloas/light-client/sync-protocol.md` and `fork.md`): its validity check and the upgrade
//! of an Electra/Fulu-shaped header to it.
//!
//! From Gloas the header holds only the execution block hash and its branch into the body
//! (`execution_block_hash`, `execution_branch`, 11 nodes). In a Gloas block the hash is the bid's
//! `parent_block_hash` (the block's own payload comes later, in the envelope); a pre-Gloas header
//! upgraded to this shape keeps its payload header's `block_hash`, proven through the payload
//! header into the body and zero-padded at the leaf end to 11 nodes (`normalize_merkle_branch`),
//! so one check covers both, with the gindex of the header's own fork.
//!
//! The store here keeps each header in the shape it was served in (see
//! [`crate::light::sync_protocol`]), so Fulu data needs no upgrade to be judged; the upgrade
//! functions of `light-client/fork.md` are still given, for a store or data that must be held in
//! the Gloas shape (`upgrade_lc_store_to_gloas` turns every served header into that shape).

use ssz::Encode;

use ssz_types::typenum::Unsigned;
use tree_hash::TreeHash;

use super::branch::{
    compute_merkle_branch_root, floorlog2, get_subtree_index, is_valid_normalized_merkle_branch,
    Node, EXECUTION_PAYLOAD_GINDEX,
};
use super::sync_protocol::{LightClientStore, GENESIS_SLOT};
use crate::config::NetworkConfig;
use crate::merkle::{container_proof, SszType};
use crate::types::light_client::{
    capella_to_deneb_execution, deneb, deneb_to_capella_execution, gloas, LightClientBootstrap,
    LightClientFinalityUpdate, LightClientHeader, LightClientOptimisticUpdate, LightClientUpdate,
    SyncCommittee, UpdateParts,
};
use crate::types::{Bytes32, FixedVector, ForkName, Hash256, Preset, SszSchema};

/// `get_generalized_index(capella.BeaconBlockBody, 'execution_payload', 'block_hash')`.
pub const EXECUTION_BLOCK_HASH_GINDEX: u64 = 412;
/// `get_generalized_index(deneb.BeaconBlockBody, 'execution_payload', 'block_hash')`.
pub const EXECUTION_BLOCK_HASH_GINDEX_DENEB: u64 = 812;
/// `get_generalized_index(BeaconBlockBody, 'signed_execution_payload_bid', 'message',
/// 'parent_block_hash')` of Gloas's progressive body.
pub const EXECUTION_BLOCK_HASH_GINDEX_GLOAS: u64 = 2856;
/// `get_generalized_index(BeaconState, 'finalized_checkpoint', 'root')` of Gloas's state.
pub const FINALIZED_ROOT_GINDEX_GLOAS: u64 = 735;
/// `get_generalized_index(BeaconState, 'current_sync_committee')` of Gloas's state.
pub const CURRENT_SYNC_COMMITTEE_GINDEX_GLOAS: u64 = 2945;
/// `get_generalized_index(BeaconState, 'next_sync_committee')` of Gloas's state.
pub const NEXT_SYNC_COMMITTEE_GINDEX_GLOAS: u64 = 2946;
/// `get_generalized_index(capella.ExecutionPayloadHeader, 'block_hash')` (15 fields, 16 leaves).
pub const BLOCK_HASH_GINDEX_CAPELLA_PAYLOAD_HEADER: u64 = 28;
/// `get_generalized_index(deneb.ExecutionPayloadHeader, 'block_hash')` (17 fields, 32 leaves).
pub const BLOCK_HASH_GINDEX_DENEB_PAYLOAD_HEADER: u64 = 44;

/// Gloas `get_lc_execution_root` of a Gloas-shaped header: from Gloas the block hash itself;
/// before it (an upgraded header) the root of the payload header the block hash's branch leads
/// to, i.e. the branch's nodes below `EXECUTION_PAYLOAD_GINDEX`; the empty payload header's root
/// at the genesis slot; zero before Capella.
pub fn get_lc_execution_root<P: Preset>(
    config: &NetworkConfig,
    header: &gloas::LightClientHeader,
) -> Hash256 {
    let block_hash_gindex = match config.fork_at_slot(header.beacon.slot) {
        ForkName::Gloas => return header.execution_block_hash,
        ForkName::Phase0 | ForkName::Altair | ForkName::Bellatrix => return Hash256::ZERO,
        ForkName::Capella if header.beacon.slot == GENESIS_SLOT => {
            return crate::types::capella::ExecutionPayloadHeader::<P>::default().tree_hash_root()
        }
        ForkName::Capella => BLOCK_HASH_GINDEX_CAPELLA_PAYLOAD_HEADER,
        _ if header.beacon.slot == GENESIS_SLOT => {
            return crate::types::deneb::ExecutionPayloadHeader::<P>::default().tree_hash_root()
        }
        _ => BLOCK_HASH_GINDEX_DENEB_PAYLOAD_HEADER,
    };
    let branch: Vec<Node> = header.execution_branch.iter().map(|n| n.0).collect();
    let inner = &branch[..branch.len() - floorlog2(EXECUTION_PAYLOAD_GINDEX) as usize];
    let depth = floorlog2(block_hash_gindex);
    let root = compute_merkle_branch_root(
        &header.execution_block_hash.0,
        &inner[inner.len() - depth as usize..],
        depth,
        get_subtree_index(block_hash_gindex),
    )
    .expect("an 11-node branch holds the payload header's levels");
    Hash256::from(root)
}

/// Gloas `is_valid_light_client_header`: the execution block hash is proven against
/// `beacon.body_root` with the gindex of the fork of `beacon.slot` on `config`'s network
/// (Gloas, Deneb..Fulu, Capella); before Capella both execution fields must be zero.
pub fn is_valid_light_client_header(
    config: &NetworkConfig,
    header: &gloas::LightClientHeader,
) -> bool {
    let leaf: Node = header.execution_block_hash.0;
    let branch: Vec<Node> = header.execution_branch.iter().map(|n| n.0).collect();
    let gindex = match config.fork_at_slot(header.beacon.slot) {
        ForkName::Gloas => EXECUTION_BLOCK_HASH_GINDEX_GLOAS,
        ForkName::Deneb | ForkName::Electra | ForkName::Fulu => EXECUTION_BLOCK_HASH_GINDEX_DENEB,
        ForkName::Capella => EXECUTION_BLOCK_HASH_GINDEX,
        ForkName::Phase0 | ForkName::Altair | ForkName::Bellatrix => {
            return leaf == [0u8; 32] && branch.iter().all(|n| *n == [0u8; 32]);
        }
    };
    is_valid_normalized_merkle_branch(&leaf, &branch, gindex, &header.beacon.body_root.0)
}

/// `normalize_merkle_branch(branch, gindex)`: zero nodes prepended (at the leaf end) up to the
/// depth of `gindex`. `None` when the branch is already deeper than that.
pub fn normalize_merkle_branch(branch: &[Node], gindex: u64) -> Option<Vec<Node>> {
    let depth = floorlog2(gindex) as usize;
    let extra = depth.checked_sub(branch.len())?;
    let mut out = vec![[0u8; 32]; extra];
    out.extend_from_slice(branch);
    Some(out)
}

/// Gloas `upgrade_lc_header_to_gloas` of an Electra/Fulu-shaped (Deneb) header: the all-zero
/// header stays all zero; from Deneb the hash is proven through the Deneb payload header, at a
/// Capella slot through the Capella one, and before Capella only `beacon` is kept.
pub fn upgrade_lc_header_to_gloas<P: Preset>(
    config: &NetworkConfig,
    pre: &deneb::LightClientHeader<P>,
) -> gloas::LightClientHeader {
    let empty = pre.beacon == Default::default()
        && pre.execution == Default::default()
        && pre.execution_branch.iter().all(|n| n.is_zero());
    if empty {
        return gloas::LightClientHeader::default();
    }
    let (schema, bytes): (&SszType, Vec<u8>) = match config.fork_at_slot(pre.beacon.slot) {
        ForkName::Phase0 | ForkName::Altair | ForkName::Bellatrix => {
            return gloas::LightClientHeader {
                beacon: pre.beacon,
                ..Default::default()
            }
        }
        ForkName::Capella => {
            let c = deneb_to_capella_execution(&pre.execution);
            (
                crate::types::capella::ExecutionPayloadHeader::<P>::ssz_type(),
                c.as_ssz_bytes(),
            )
        }
        _ => (
            crate::types::deneb::ExecutionPayloadHeader::<P>::ssz_type(),
            pre.execution.as_ssz_bytes(),
        ),
    };
    let proof = container_proof(schema, &bytes, &["block_hash"])
        .expect("a payload header encoded by ssz_derive has a block_hash");
    let mut branch = proof.branch;
    branch.extend(pre.execution_branch.iter().map(|n| n.0));
    let branch = normalize_merkle_branch(&branch, EXECUTION_BLOCK_HASH_GINDEX_GLOAS)
        .expect("payload header (5) + body (4) levels fit in 11");
    gloas::LightClientHeader {
        beacon: pre.beacon,
        execution_block_hash: pre.execution.block_hash,
        execution_branch: FixedVector::new(branch.into_iter().map(Into::into).collect())
            .expect("normalized to 11 nodes"),
    }
}

/// A header of any shape as Gloas holds it: Deneb-shaped (Electra/Fulu) and Capella-shaped
/// headers through `upgrade_lc_header_to_gloas` (a Capella one first as
/// `upgrade_lc_header_to_deneb` makes it), a Gloas one as it is. An Altair-shaped header at a
/// slot before Capella becomes `LightClientHeader(beacon=...)`; from Capella on it is kept as it
/// is: only a store started from a verified anchor's block header holds one there, its execution
/// part unknown rather than empty, and nothing but its `beacon` is ever read.
pub fn upgrade_header_to_gloas<P: Preset>(
    config: &NetworkConfig,
    header: &LightClientHeader<P>,
) -> LightClientHeader<P> {
    let deneb_shaped = match header {
        LightClientHeader::Gloas(_) => return header.clone(),
        LightClientHeader::Altair(h) => {
            if config.fork_at_slot(h.beacon.slot) >= ForkName::Capella {
                return header.clone();
            }
            deneb::LightClientHeader {
                beacon: h.beacon,
                execution: Default::default(),
                execution_branch: Default::default(),
            }
        }
        LightClientHeader::Capella(h) => deneb::LightClientHeader {
            beacon: h.beacon,
            execution: capella_to_deneb_execution(&h.execution),
            execution_branch: h.execution_branch.clone(),
        },
        LightClientHeader::Deneb(h) => h.clone(),
    };
    LightClientHeader::Gloas(upgrade_lc_header_to_gloas(config, &deneb_shaped))
}

/// The Gloas-shaped header of [`upgrade_header_to_gloas`] (an Altair-shaped header from Capella
/// on, which has no Gloas form, gives only its `beacon`).
fn gloas_header<P: Preset>(
    config: &NetworkConfig,
    header: &LightClientHeader<P>,
) -> gloas::LightClientHeader {
    match upgrade_header_to_gloas(config, header) {
        LightClientHeader::Gloas(h) => h,
        other => gloas::LightClientHeader {
            beacon: *other.beacon(),
            ..Default::default()
        },
    }
}

/// `normalize_merkle_branch` into a branch type of Gloas's depth for `gindex`.
fn normalized<N: Unsigned>(branch: &[Bytes32], gindex: u64) -> FixedVector<Bytes32, N> {
    let nodes: Vec<Node> = branch.iter().map(|n| n.0).collect();
    let out = normalize_merkle_branch(&nodes, gindex).expect("a pre-Gloas branch is shallower");
    FixedVector::new(out.into_iter().map(Bytes32::from).collect())
        .expect("normalized to the depth of the Gloas gindex")
}

/// Gloas `upgrade_lc_bootstrap_to_gloas` of a bootstrap of any fork (a Gloas one is returned as
/// it is).
pub fn upgrade_lc_bootstrap_to_gloas<P: Preset>(
    config: &NetworkConfig,
    pre: &LightClientBootstrap<P>,
) -> gloas::LightClientBootstrap<P> {
    if let LightClientBootstrap::Gloas(b) = pre {
        return b.clone();
    }
    gloas::LightClientBootstrap {
        header: gloas_header(config, &pre.header()),
        current_sync_committee: pre.current_sync_committee().clone(),
        current_sync_committee_branch: normalized(
            pre.current_sync_committee_branch(),
            CURRENT_SYNC_COMMITTEE_GINDEX_GLOAS,
        ),
    }
}

/// Gloas `upgrade_lc_update_to_gloas` of an update of any fork.
pub fn upgrade_lc_update_to_gloas<P: Preset>(
    config: &NetworkConfig,
    pre: &LightClientUpdate<P>,
) -> gloas::LightClientUpdate<P> {
    if let LightClientUpdate::Gloas(u) = pre {
        return u.clone();
    }
    let p = pre.parts();
    let (next_sync_committee, next_sync_committee_branch) = match p.next_sync_committee {
        Some((committee, branch)) => (
            committee,
            normalized(&branch, NEXT_SYNC_COMMITTEE_GINDEX_GLOAS),
        ),
        // An all-zero branch stays all zero; the committee field is kept as sent.
        None => (pre_next_committee(pre), FixedVector::default()),
    };
    gloas::LightClientUpdate {
        attested_header: gloas_header(config, &p.attested_header),
        next_sync_committee,
        next_sync_committee_branch,
        finalized_header: gloas_header(config, &p.finalized_header),
        finality_branch: normalized(&p.finality_branch, FINALIZED_ROOT_GINDEX_GLOAS),
        sync_aggregate: p.sync_aggregate,
        signature_slot: p.signature_slot,
    }
}

/// The `next_sync_committee` field of an update as sent (the parts drop it with an empty branch).
fn pre_next_committee<P: Preset>(pre: &LightClientUpdate<P>) -> SyncCommittee<P> {
    macro_rules! field {
        ($($v:ident)|*) => {
            match pre { $(LightClientUpdate::$v(u) => u.next_sync_committee.clone(),)* }
        };
    }
    field!(Altair | Bellatrix | Capella | Deneb | Electra | Fulu | Gloas)
}

/// Gloas `upgrade_lc_finality_update_to_gloas` of a finality update of any fork.
pub fn upgrade_lc_finality_update_to_gloas<P: Preset>(
    config: &NetworkConfig,
    pre: &LightClientFinalityUpdate<P>,
) -> gloas::LightClientFinalityUpdate<P> {
    if let LightClientFinalityUpdate::Gloas(u) = pre {
        return u.clone();
    }
    let p = pre.parts();
    gloas::LightClientFinalityUpdate {
        attested_header: gloas_header(config, &p.attested_header),
        finalized_header: gloas_header(config, &p.finalized_header),
        finality_branch: normalized(&p.finality_branch, FINALIZED_ROOT_GINDEX_GLOAS),
        sync_aggregate: p.sync_aggregate,
        signature_slot: p.signature_slot,
    }
}

/// Gloas `upgrade_lc_optimistic_update_to_gloas` of an optimistic update of any fork.
pub fn upgrade_lc_optimistic_update_to_gloas<P: Preset>(
    config: &NetworkConfig,
    pre: &LightClientOptimisticUpdate<P>,
) -> gloas::LightClientOptimisticUpdate<P> {
    if let LightClientOptimisticUpdate::Gloas(u) = pre {
        return u.clone();
    }
    let p = pre.parts();
    gloas::LightClientOptimisticUpdate {
        attested_header: gloas_header(config, &p.attested_header),
        sync_aggregate: p.sync_aggregate,
        signature_slot: p.signature_slot,
    }
}

/// The sync-protocol view of an update upgraded to Gloas: headers as
/// [`upgrade_header_to_gloas`] makes them, branches normalized to Gloas's depths.
pub fn upgrade_update_parts_to_gloas<P: Preset>(
    config: &NetworkConfig,
    pre: &UpdateParts<P>,
) -> UpdateParts<P> {
    let norm = |branch: &[Bytes32], gindex| -> Vec<Bytes32> {
        let nodes: Vec<Node> = branch.iter().map(|n| n.0).collect();
        normalize_merkle_branch(&nodes, gindex)
            .expect("a pre-Gloas branch is shallower")
            .into_iter()
            .map(Bytes32::from)
            .collect()
    };
    UpdateParts {
        attested_header: upgrade_header_to_gloas(config, &pre.attested_header),
        next_sync_committee: pre
            .next_sync_committee
            .as_ref()
            .map(|(c, b)| (c.clone(), norm(b, NEXT_SYNC_COMMITTEE_GINDEX_GLOAS))),
        next_sync_committee_is_empty: pre.next_sync_committee_is_empty,
        finalized_header: upgrade_header_to_gloas(config, &pre.finalized_header),
        finality_branch: norm(&pre.finality_branch, FINALIZED_ROOT_GINDEX_GLOAS),
        sync_aggregate: pre.sync_aggregate.clone(),
        signature_slot: pre.signature_slot,
    }
}

/// Gloas `upgrade_lc_store_to_gloas`: the store's headers and best valid update in the Gloas
/// shape; committees and participation counts unchanged. Idempotent. Like the spec's, it may run
/// before `GLOAS_FORK_EPOCH`.
pub fn upgrade_lc_store_to_gloas<P: Preset>(
    config: &NetworkConfig,
    store: &mut LightClientStore<P>,
) {
    store.finalized_header = upgrade_header_to_gloas(config, &store.finalized_header);
    store.optimistic_header = upgrade_header_to_gloas(config, &store.optimistic_header);
    if let Some(best) = &store.best_valid_update {
        store.best_valid_update = Some(upgrade_update_parts_to_gloas(config, best));
    }
}
