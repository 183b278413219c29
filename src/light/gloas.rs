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

use ssz::Encode;

use super::branch::{floorlog2, is_valid_normalized_merkle_branch, Node};
use crate::config::NetworkConfig;
use crate::merkle::{container_proof, SszType};
use crate::types::light_client::{deneb, deneb_to_capella_execution, gloas};
use crate::types::{FixedVector, ForkName, Preset, SszSchema};

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
    let (schema, bytes): (SszType, Vec<u8>) = match config.fork_at_slot(pre.beacon.slot) {
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
    let proof = container_proof(&schema, &bytes, &["block_hash"])
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
