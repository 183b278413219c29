//! Light-client containers (consensus specs `*/light-client/sync-protocol.md`), Altair to Gloas.
//!
//! The light-client data changed shape three times: Capella added the execution payload header
//! (and its Merkle branch into the block body) to `LightClientHeader`; Deneb's header carries the
//! Deneb payload header (blob gas fields); Electra's `BeaconState` grew past 32 fields, so the
//! state-rooted branches gained a level (current/next sync committee gindex 54/55 -> 86/87,
//! finalized root 105 -> 169). Bellatrix reuses Altair's types and Fulu reuses Electra's
//! (the Beacon API's `light_client/updates` table says so).
//!
//! Gloas (EIP-7732) replaces the payload header by `execution_block_hash` with an 11-node branch
//! into the block body, and its progressive `BeaconState` moves the state-rooted branches again
//! (2945/2946/735). Gloas data is served in the [`gloas`] family only; older data keeps its own
//! shape and is upgraded where a Gloas store needs it (`crate::light::gloas`).
//!
//! Each family lives in its own module ([`altair`], [`capella`], [`deneb`], [`electra`]) with
//! SSZ, `TreeHash` and its [`SszSchema`], which gives its Beacon API JSON ([`super::json`]); the
//! enums at the bottom tag a value with the fork it was served for (Beacon API `version`, or the
//! SSZ stream's fork digest) and expose the fork-independent view the sync protocol reads.

use ssz::Encode;
use ssz_derive::{Decode, Encode};
use ssz_types::typenum::{U11, U4, U5, U6, U7, U9};
use tree_hash::TreeHash;
use tree_hash_derive::TreeHash;

pub use super::altair::{BeaconBlockHeader, SyncAggregate, SyncCommittee};
use super::any::define_any;
use super::*;

/// `ExecutionBranch`: `floorlog2(EXECUTION_PAYLOAD_GINDEX) = 4` nodes (Capella on).
pub type ExecutionBranch = FixedVector<Bytes32, U4>;

/// Defines `LightClientBootstrap`, `LightClientUpdate`, `LightClientFinalityUpdate` and
/// `LightClientOptimisticUpdate` of one family, given its header type and branch depths.
macro_rules! lc_containers {
    ($header:ty, $csc_depth:ty, $finality_depth:ty, $nsc_depth:ty) => {
        /// `CurrentSyncCommitteeBranch` of this family.
        pub type CurrentSyncCommitteeBranch = FixedVector<Bytes32, $csc_depth>;
        /// `FinalityBranch` of this family.
        pub type FinalityBranch = FixedVector<Bytes32, $finality_depth>;
        /// `NextSyncCommitteeBranch` of this family.
        pub type NextSyncCommitteeBranch = FixedVector<Bytes32, $nsc_depth>;

        $crate::types::forks::container! {
            /// `LightClientBootstrap`: a header the client trusts by root, plus the sync committee
            /// of its state proven against `header.beacon.state_root`.
            #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
            pub struct LightClientBootstrap<P> {
                header: $header,
                current_sync_committee: SyncCommittee<P>,
                current_sync_committee_branch: CurrentSyncCommitteeBranch,
            }
        }

        $crate::types::forks::container! {
            /// `LightClientUpdate`: a header attested by the sync committee, optionally the next
            /// committee and a finalized header, each proven against the attested state root.
            #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
            pub struct LightClientUpdate<P> {
                attested_header: $header,
                next_sync_committee: SyncCommittee<P>,
                next_sync_committee_branch: NextSyncCommitteeBranch,
                finalized_header: $header,
                finality_branch: FinalityBranch,
                sync_aggregate: SyncAggregate<P>,
                /// Slot at which the aggregate signature was created (untrusted).
                signature_slot: Slot,
            }
        }

        $crate::types::forks::container! {
            /// `LightClientFinalityUpdate`: a `LightClientUpdate` without the next committee.
            #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
            pub struct LightClientFinalityUpdate<P> {
                attested_header: $header,
                finalized_header: $header,
                finality_branch: FinalityBranch,
                sync_aggregate: SyncAggregate<P>,
                signature_slot: Slot,
            }
        }

        $crate::types::forks::container! {
            /// `LightClientOptimisticUpdate`: only the attested header and its signature.
            #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
            pub struct LightClientOptimisticUpdate<P> {
                attested_header: $header,
                sync_aggregate: SyncAggregate<P>,
                signature_slot: Slot,
            }
        }
    };
}

/// Altair (and Bellatrix) light-client types: the header is the beacon header only.
pub mod altair {
    use super::*;

    crate::types::forks::container! {
        /// Altair `LightClientHeader`.
        #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TreeHash)]
        pub struct LightClientHeader {
            beacon: BeaconBlockHeader,
        }
    }

    lc_containers!(LightClientHeader, U5, U6, U5);
}

/// The `LightClientHeader` of a family from Capella on, whose header carries the execution
/// payload header `$payload` and its branch, and the family's other containers.
macro_rules! lc_family_with_payload {
    ($doc:literal, $payload:ty) => {
        crate::types::forks::container! {
            #[doc = $doc]
            #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
            pub struct LightClientHeader<P> {
                beacon: BeaconBlockHeader,
                execution: $payload,
                execution_branch: ExecutionBranch,
            }
        }

        lc_containers!(LightClientHeader<P>, U5, U6, U5);
    };
}

/// Capella light-client types: the header adds the Capella execution payload header.
pub mod capella {
    use super::*;

    lc_family_with_payload!(
        "Capella `LightClientHeader`.",
        crate::types::capella::ExecutionPayloadHeader<P>
    );
}

/// Deneb light-client types: the header carries the Deneb execution payload header.
pub mod deneb {
    use super::*;

    lc_family_with_payload!(
        "Deneb `LightClientHeader` (also Electra's and Fulu's).",
        crate::types::deneb::ExecutionPayloadHeader<P>
    );
}

/// Electra (and Fulu) light-client types: Deneb's header, one-level-deeper state branches.
pub mod electra {
    pub use super::deneb::LightClientHeader;
    use super::*;

    lc_containers!(LightClientHeader<P>, U6, U7, U6);
}

/// Gloas light-client types (v1.7.0-alpha.13): the header is the beacon header, the execution
/// block hash (`signed_execution_payload_bid.message.parent_block_hash` in a Gloas block, the
/// payload header's `block_hash` in an upgraded earlier one) and its branch into the body.
pub mod gloas {
    use super::*;

    /// `ExecutionBranch` of Gloas: `floorlog2(EXECUTION_BLOCK_HASH_GINDEX_GLOAS) = 11` nodes.
    pub type ExecutionBranch = FixedVector<Bytes32, U11>;

    crate::types::forks::container! {
        /// Gloas `LightClientHeader`.
        #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
        pub struct LightClientHeader {
            beacon: BeaconBlockHeader,
            execution_block_hash: Hash32,
            execution_branch: ExecutionBranch,
        }
    }

    impl Default for LightClientHeader {
        fn default() -> Self {
            LightClientHeader {
                beacon: BeaconBlockHeader::default(),
                execution_block_hash: Hash32::ZERO,
                execution_branch: FixedVector::from_elem(Bytes32::ZERO),
            }
        }
    }

    lc_containers!(LightClientHeader, U11, U9, U11);
}

/// The all-zero value of the Capella execution payload header (`ExecutionPayloadHeader()`).
pub fn empty_capella_execution<P: Preset>() -> crate::types::capella::ExecutionPayloadHeader<P> {
    Default::default()
}

/// Deneb's payload header with the Capella fields of `c` and zero blob gas: what the spec's
/// `upgrade_lc_header_to_deneb` builds.
pub fn capella_to_deneb_execution<P: Preset>(
    c: &crate::types::capella::ExecutionPayloadHeader<P>,
) -> crate::types::deneb::ExecutionPayloadHeader<P> {
    crate::types::deneb::ExecutionPayloadHeader {
        parent_hash: c.parent_hash,
        fee_recipient: c.fee_recipient,
        state_root: c.state_root,
        receipts_root: c.receipts_root,
        logs_bloom: c.logs_bloom.clone(),
        prev_randao: c.prev_randao,
        block_number: c.block_number,
        gas_limit: c.gas_limit,
        gas_used: c.gas_used,
        timestamp: c.timestamp,
        extra_data: c.extra_data.clone(),
        base_fee_per_gas: c.base_fee_per_gas,
        block_hash: c.block_hash,
        transactions_root: c.transactions_root,
        withdrawals_root: c.withdrawals_root,
        blob_gas_used: 0,
        excess_blob_gas: 0,
    }
}

/// The Capella payload header inside a Deneb one (dropping the blob gas fields): what Deneb's
/// `get_lc_execution_root` hashes for a pre-Deneb block.
pub fn deneb_to_capella_execution<P: Preset>(
    d: &crate::types::deneb::ExecutionPayloadHeader<P>,
) -> crate::types::capella::ExecutionPayloadHeader<P> {
    crate::types::capella::ExecutionPayloadHeader {
        parent_hash: d.parent_hash,
        fee_recipient: d.fee_recipient,
        state_root: d.state_root,
        receipts_root: d.receipts_root,
        logs_bloom: d.logs_bloom.clone(),
        prev_randao: d.prev_randao,
        block_number: d.block_number,
        gas_limit: d.gas_limit,
        gas_used: d.gas_used,
        timestamp: d.timestamp,
        extra_data: d.extra_data.clone(),
        base_fee_per_gas: d.base_fee_per_gas,
        block_hash: d.block_hash,
        transactions_root: d.transactions_root,
        withdrawals_root: d.withdrawals_root,
    }
}

/// A `LightClientHeader` of any family. Bellatrix data uses [`Self::Altair`] and Fulu data
/// [`Self::Deneb`]'s shape; the variant names the shape, not the fork it was served for (a
/// [`Self::Gloas`] header may be an older one upgraded by `upgrade_lc_header_to_gloas`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LightClientHeader<P: Preset> {
    Altair(altair::LightClientHeader),
    Capella(capella::LightClientHeader<P>),
    Deneb(deneb::LightClientHeader<P>),
    Gloas(gloas::LightClientHeader),
}

impl<P: Preset> LightClientHeader<P> {
    /// The beacon block header.
    pub fn beacon(&self) -> &BeaconBlockHeader {
        match self {
            Self::Altair(h) => &h.beacon,
            Self::Capella(h) => &h.beacon,
            Self::Deneb(h) => &h.beacon,
            Self::Gloas(h) => &h.beacon,
        }
    }

    /// Whether this is the all-zero `LightClientHeader()` of its family (used by updates that
    /// carry no finalized header).
    pub fn is_empty(&self) -> bool {
        let zero_branch = |b: &ExecutionBranch| b.iter().all(|n| n.is_zero());
        match self {
            Self::Altair(h) => h.beacon == BeaconBlockHeader::default(),
            Self::Capella(h) => {
                h.beacon == BeaconBlockHeader::default()
                    && h.execution == empty_capella_execution()
                    && zero_branch(&h.execution_branch)
            }
            Self::Deneb(h) => {
                h.beacon == BeaconBlockHeader::default()
                    && h.execution == Default::default()
                    && zero_branch(&h.execution_branch)
            }
            Self::Gloas(h) => *h == gloas::LightClientHeader::default(),
        }
    }

    /// SSZ encoding.
    pub fn as_ssz_bytes(&self) -> Vec<u8> {
        match self {
            Self::Altair(h) => h.as_ssz_bytes(),
            Self::Capella(h) => h.as_ssz_bytes(),
            Self::Deneb(h) => h.as_ssz_bytes(),
            Self::Gloas(h) => h.as_ssz_bytes(),
        }
    }

    /// `hash_tree_root` of the whole light-client header (not of `beacon`).
    pub fn tree_hash_root(&self) -> Hash256 {
        match self {
            Self::Altair(h) => h.tree_hash_root(),
            Self::Capella(h) => h.tree_hash_root(),
            Self::Deneb(h) => h.tree_hash_root(),
            Self::Gloas(h) => h.tree_hash_root(),
        }
    }
}

/// Defines a fork-tagged enum over one light-client container ([`define_any`]'s SSZ, JSON and
/// root helpers) with the Beacon API's `{"version", "data"}` envelope both ways.
macro_rules! lc_enum {
    ($(#[$doc:meta])* $name:ident, $type_name:literal) => {
        define_any!($(#[$doc])* $name, $type_name, {
            Altair => altair::$name<P>,
            Bellatrix => altair::$name<P>,
            Capella => capella::$name<P>,
            Deneb => deneb::$name<P>,
            Electra => electra::$name<P>,
            Fulu => electra::$name<P>,
            Gloas => gloas::$name<P>,
        });

        impl<P: Preset> $name<P> {
            /// Parses a Beacon API envelope `{"version": "<fork>", "data": {...}}`.
            pub fn from_versioned_json(value: serde_json::Value) -> Result<Self, TypesError> {
                let (fork, data) = split_versioned(value, $type_name)?;
                Self::from_json_value(fork, data)
            }

            /// The Beacon API envelope `{"version": "<fork>", "data": {...}}`.
            pub fn to_versioned_json(&self) -> serde_json::Value {
                serde_json::json!({ "version": self.fork().as_str(), "data": self.to_json() })
            }
        }
    };
}

/// Splits a `{"version", "data"}` envelope.
pub fn split_versioned(
    value: serde_json::Value,
    type_name: &'static str,
) -> Result<(ForkName, serde_json::Value), TypesError> {
    let serde_json::Value::Object(mut map) = value else {
        return Err(TypesError::Json {
            type_name,
            fork: ForkName::Altair,
            path: "$".into(),
            reason: "expected an object with `version` and `data`, got another JSON value".into(),
        });
    };
    let version = match map.get("version") {
        Some(serde_json::Value::String(s)) => s.parse::<ForkName>()?,
        _ => {
            return Err(TypesError::Json {
                type_name,
                fork: ForkName::Altair,
                path: "$.version".into(),
                reason: "expected a string `version` field, got none".into(),
            })
        }
    };
    let data = map.remove("data").ok_or(TypesError::Json {
        type_name,
        fork: version,
        path: "$".into(),
        reason: "expected a `data` field, got none".into(),
    })?;
    Ok((version, data))
}

lc_enum!(
    /// A `LightClientBootstrap` of any fork.
    LightClientBootstrap,
    "LightClientBootstrap"
);
lc_enum!(
    /// A `LightClientUpdate` of any fork.
    LightClientUpdate,
    "LightClientUpdate"
);
lc_enum!(
    /// A `LightClientFinalityUpdate` of any fork.
    LightClientFinalityUpdate,
    "LightClientFinalityUpdate"
);
lc_enum!(
    /// A `LightClientOptimisticUpdate` of any fork.
    LightClientOptimisticUpdate,
    "LightClientOptimisticUpdate"
);

/// Converts a family's header into the [`LightClientHeader`] enum.
pub trait IntoLightClientHeader<P: Preset> {
    /// The header, tagged with its family.
    fn to_light_client_header(&self) -> LightClientHeader<P>;
}

impl<P: Preset> IntoLightClientHeader<P> for altair::LightClientHeader {
    fn to_light_client_header(&self) -> LightClientHeader<P> {
        LightClientHeader::Altair(self.clone())
    }
}

impl<P: Preset> IntoLightClientHeader<P> for capella::LightClientHeader<P> {
    fn to_light_client_header(&self) -> LightClientHeader<P> {
        LightClientHeader::Capella(self.clone())
    }
}

impl<P: Preset> IntoLightClientHeader<P> for deneb::LightClientHeader<P> {
    fn to_light_client_header(&self) -> LightClientHeader<P> {
        LightClientHeader::Deneb(self.clone())
    }
}

impl<P: Preset> IntoLightClientHeader<P> for gloas::LightClientHeader {
    fn to_light_client_header(&self) -> LightClientHeader<P> {
        LightClientHeader::Gloas(self.clone())
    }
}

/// Evaluates `$body` with `$x` bound to the inner value of any variant.
macro_rules! with_inner {
    ($self:expr, $x:ident => $body:expr) => {
        match $self {
            Self::Altair($x) | Self::Bellatrix($x) => $body,
            Self::Capella($x) => $body,
            Self::Deneb($x) => $body,
            Self::Electra($x) | Self::Fulu($x) => $body,
            Self::Gloas($x) => $body,
        }
    };
}

impl<P: Preset> LightClientBootstrap<P> {
    /// The bootstrap header.
    pub fn header(&self) -> LightClientHeader<P> {
        with_inner!(self, x => x.header.to_light_client_header())
    }
    /// The current sync committee.
    pub fn current_sync_committee(&self) -> &SyncCommittee<P> {
        with_inner!(self, x => &x.current_sync_committee)
    }
    /// The current sync committee's branch, at its family's depth.
    pub fn current_sync_committee_branch(&self) -> &[Bytes32] {
        with_inner!(self, x => &x.current_sync_committee_branch[..])
    }
}

/// The fork-independent content of any light-client update, as the sync protocol reads it.
/// Finality and optimistic updates become `LightClientUpdate`s with empty fields, exactly as
/// `process_light_client_finality_update` / `_optimistic_update` build them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateParts<P: Preset> {
    pub attested_header: LightClientHeader<P>,
    /// `None` when the update carries no next sync committee (empty branch).
    pub next_sync_committee: Option<(SyncCommittee<P>, Vec<Bytes32>)>,
    /// The committee field as sent, even when the branch is empty (the spec requires it to be
    /// the empty `SyncCommittee()` then).
    pub next_sync_committee_is_empty: bool,
    pub finalized_header: LightClientHeader<P>,
    /// The finality branch as sent (all zeros = no finality).
    pub finality_branch: Vec<Bytes32>,
    pub sync_aggregate: SyncAggregate<P>,
    pub signature_slot: Slot,
}

/// Whether `c` is the all-zero `SyncCommittee()`.
pub fn is_empty_sync_committee<P: Preset>(c: &SyncCommittee<P>) -> bool {
    c.aggregate_pubkey.is_zero() && c.pubkeys.iter().all(|k| k.is_zero())
}

fn empty_header_like<P: Preset>(h: &LightClientHeader<P>) -> LightClientHeader<P> {
    match h {
        LightClientHeader::Altair(_) => LightClientHeader::Altair(Default::default()),
        LightClientHeader::Capella(_) => LightClientHeader::Capella(capella::LightClientHeader {
            beacon: Default::default(),
            execution: empty_capella_execution(),
            execution_branch: Default::default(),
        }),
        LightClientHeader::Deneb(_) => LightClientHeader::Deneb(deneb::LightClientHeader {
            beacon: Default::default(),
            execution: Default::default(),
            execution_branch: Default::default(),
        }),
        LightClientHeader::Gloas(_) => LightClientHeader::Gloas(Default::default()),
    }
}

impl<P: Preset> LightClientUpdate<P> {
    /// The sync-protocol view of this update.
    pub fn parts(&self) -> UpdateParts<P> {
        with_inner!(self, x => {
            let branch: Vec<Bytes32> = x.next_sync_committee_branch.to_vec();
            let has_next = branch.iter().any(|n| !n.is_zero());
            UpdateParts {
                attested_header: IntoLightClientHeader::to_light_client_header(&x.attested_header),
                next_sync_committee: has_next.then(|| (x.next_sync_committee.clone(), branch)),
                next_sync_committee_is_empty: is_empty_sync_committee(&x.next_sync_committee),
                finalized_header: IntoLightClientHeader::to_light_client_header(&x.finalized_header),
                finality_branch: x.finality_branch.to_vec(),
                sync_aggregate: x.sync_aggregate.clone(),
                signature_slot: x.signature_slot,
            }
        })
    }

    /// The attested header's beacon block header.
    pub fn attested_beacon(&self) -> BeaconBlockHeader {
        with_inner!(self, x => x.attested_header.beacon)
    }

    /// The slot at which the aggregate signature was created.
    pub fn signature_slot(&self) -> Slot {
        with_inner!(self, x => x.signature_slot)
    }
}

impl<P: Preset> LightClientFinalityUpdate<P> {
    /// The sync-protocol view: a `LightClientUpdate` without a next sync committee.
    pub fn parts(&self) -> UpdateParts<P> {
        with_inner!(self, x => UpdateParts {
            attested_header: IntoLightClientHeader::to_light_client_header(&x.attested_header),
            next_sync_committee: None,
            next_sync_committee_is_empty: true,
            finalized_header: IntoLightClientHeader::to_light_client_header(&x.finalized_header),
            finality_branch: x.finality_branch.to_vec(),
            sync_aggregate: x.sync_aggregate.clone(),
            signature_slot: x.signature_slot,
        })
    }
}

impl<P: Preset> LightClientOptimisticUpdate<P> {
    /// The sync-protocol view: a `LightClientUpdate` with only the attested header.
    pub fn parts(&self) -> UpdateParts<P> {
        with_inner!(self, x => {
            let attested = IntoLightClientHeader::to_light_client_header(&x.attested_header);
            UpdateParts {
                finalized_header: empty_header_like(&attested),
                attested_header: attested,
                next_sync_committee: None,
                next_sync_committee_is_empty: true,
                finality_branch: Vec::new(),
                sync_aggregate: x.sync_aggregate.clone(),
                signature_slot: x.signature_slot,
            }
        })
    }
}
