//! One-call verification over a whole input set, as the CLI and the long-range `light` mode
//! use it: a store (from a bootstrap or from trusted committees), then every update in order,
//! then an optional finality and optimistic update. The first failure stops the walk and names
//! the update.

use tree_hash::TreeHash;

use crate::config::NetworkConfig;
use crate::light::error::{LightClientError, UpdateKind};
use crate::light::sync_protocol::{
    process_light_client_finality_update, process_light_client_optimistic_update, process_updates,
    LightClientStore,
};
use crate::types::light_client::{
    LightClientFinalityUpdate, LightClientOptimisticUpdate, LightClientUpdate,
};
use crate::types::{Hash256, Preset, Slot};

/// A verified header: its slot and `hash_tree_root(beacon)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VerifiedHeader {
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    pub root: Hash256,
}

/// What a verification walk established.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VerificationSummary {
    /// Latest finalized header the store accepted.
    pub finalized: VerifiedHeader,
    /// Latest optimistic header (attested with more than the safety threshold).
    pub optimistic: VerifiedHeader,
    /// `LightClientUpdate`s that passed validation.
    pub updates_processed: usize,
    /// Sync-committee period of the finalized header.
    pub period: u64,
    /// Whether the next period's committee is known.
    pub next_sync_committee_known: bool,
}

fn verified<P: Preset>(h: &crate::types::light_client::LightClientHeader<P>) -> VerifiedHeader {
    VerifiedHeader {
        slot: h.beacon().slot,
        root: h.beacon().tree_hash_root(),
    }
}

/// Summarises a store.
pub fn summarize<P: Preset>(
    store: &LightClientStore<P>,
    updates_processed: usize,
) -> VerificationSummary {
    VerificationSummary {
        finalized: verified(&store.finalized_header),
        optimistic: verified(&store.optimistic_header),
        updates_processed,
        period: store.period(),
        next_sync_committee_known: store.next_sync_committee.is_some(),
    }
}

/// Processes `updates` in order (their signatures checked in one batch, see
/// [`process_updates`]), then the finality and optimistic updates, against `store`.
/// `current_slot` is the local clock's slot (the spec's `current_slot`).
pub fn verify_updates<P: Preset>(
    config: &NetworkConfig,
    store: &mut LightClientStore<P>,
    updates: &[LightClientUpdate<P>],
    finality: Option<&LightClientFinalityUpdate<P>>,
    optimistic: Option<&LightClientOptimisticUpdate<P>>,
    current_slot: Slot,
) -> Result<VerificationSummary, LightClientError> {
    let parts: Vec<_> = updates.iter().map(LightClientUpdate::parts).collect();
    process_updates(
        config,
        store,
        &parts,
        current_slot,
        UpdateKind::Update,
        |_| false,
    )?;
    if let Some(f) = finality {
        process_light_client_finality_update(config, store, f, current_slot)?;
    }
    if let Some(o) = optimistic {
        process_light_client_optimistic_update(config, store, o, current_slot)?;
    }
    Ok(summarize(store, updates.len()))
}
