//! The payload status of a Gloas anchor block (consensus-specs v1.7.0-alpha.13, EIP-7732).
//!
//! A Gloas block carries a bid; its payload comes in a separate `SignedExecutionPayloadEnvelope`
//! and is applied by the next block (`process_parent_execution_payload`). The post-block state a
//! node serves as finalized therefore holds the block's bid but reads the same whether the
//! payload came or not: `process_execution_payload_bid` asserts `bid.parent_block_hash ==
//! state.latest_block_hash`, so `bid.block_hash != latest_block_hash` in every post-block state.
//! The state decides FULL alone only when it already holds the bid's payload (the state of the
//! fork upgrade, where both hashes are the last Fulu payload's). Otherwise the envelope decides,
//! as in the spec's fork choice, where a block whose envelope was not verified
//! (`is_payload_verified`) is EMPTY: the provider's 404 is EMPTY, and a served envelope counts
//! only after [`verify_execution_payload_envelope`] held against the verified state.
//!
//! Everything is read from bytes with the byte-level merkleizer's schemas, so no typed Gloas
//! payload decoder reaches the wasm.

use crate::beacon_api::RawBody;
use crate::config::{compute_signing_root, NetworkConfig};
use crate::light::bls::{PublicKey, Signature};
use crate::merkle::{self, KeptState, SszType, StateView};
use crate::store::{AnchorPayload, PayloadStatus};
use crate::types::{hex0x, DomainType, ForkName, Hash256, Mainnet, Minimal, PresetName, SszSchema};

use super::{CheckpointError, Root};

/// `DOMAIN_BEACON_BUILDER`.
pub const DOMAIN_BEACON_BUILDER: [u8; 4] = [0x0b, 0, 0, 0];
/// `BUILDER_INDEX_SELF_BUILD`: the proposer built the payload itself (and signs the envelope
/// with its validator key).
pub const BUILDER_INDEX_SELF_BUILD: u64 = u64::MAX;
/// Size of an SSZ `Builder` (pubkey 48, version 1, execution_address 20, balance 8,
/// deposit_epoch 8, withdrawable_epoch 8); its pubkey comes first.
const BUILDER_LEN: usize = 93;

/// The anchor's payload fields from a verified state: `None` before Gloas. `status` is FULL when
/// the state itself holds the bid's payload, else `None` (the envelope must decide).
pub fn from_state(view: &StateView) -> Option<AnchorPayload> {
    let g = crate::execution::gloas_payload_from_state_view(view)?;
    Some(AnchorPayload {
        status: (g.status == PayloadStatus::Full).then_some(PayloadStatus::Full),
        block_hash: g.bid_block_hash,
        latest_block_hash: g.latest_block_hash,
    })
}

fn signed_envelope_schema(preset: PresetName) -> &'static SszType {
    match preset {
        PresetName::Mainnet => {
            crate::types::gloas::SignedExecutionPayloadEnvelope::<Mainnet>::ssz_type()
        }
        PresetName::Minimal => {
            crate::types::gloas::SignedExecutionPayloadEnvelope::<Minimal>::ssz_type()
        }
    }
}

/// One failed check, as the typed error.
fn mismatch(
    provider: &str,
    what: &'static str,
    expected: String,
    actual: String,
) -> CheckpointError {
    CheckpointError::EnvelopeMismatch {
        provider: provider.to_string(),
        what,
        expected,
        actual,
    }
}

/// Reads fields of one SSZ value by path, each failure a typed [`CheckpointError`].
struct Reader<'b> {
    ty: &'static SszType,
    bytes: &'b [u8],
    provider: &'b str,
    what: &'static str,
}

impl<'b> Reader<'b> {
    fn field(&self, path: &[&str]) -> Result<(&'b [u8], SszType), CheckpointError> {
        match merkle::field_at(self.ty, self.bytes, path) {
            Ok(Some(found)) => Ok(found),
            Ok(None) => Err(mismatch(
                self.provider,
                self.what,
                format!("a field {}", path.join(".")),
                "none".into(),
            )),
            Err(e) => Err(mismatch(
                self.provider,
                self.what,
                format!("SSZ of a {}", self.ty.name()),
                e.to_string(),
            )),
        }
    }

    fn bytes(&self, path: &[&str]) -> Result<&'b [u8], CheckpointError> {
        self.field(path).map(|(b, _)| b)
    }

    fn root(&self, path: &[&str]) -> Result<[u8; 32], CheckpointError> {
        let (bytes, ty) = self.field(path)?;
        merkle::hash_tree_root(&ty, bytes).map_err(|e| {
            mismatch(
                self.provider,
                self.what,
                format!("SSZ of {}", path.join(".")),
                e.to_string(),
            )
        })
    }

    fn u64(&self, path: &[&str]) -> Result<u64, CheckpointError> {
        let b = self.bytes(path)?;
        Ok(u64::from_le_bytes(b.try_into().map_err(|_| {
            mismatch(
                self.provider,
                self.what,
                "8 bytes".into(),
                b.len().to_string(),
            )
        })?))
    }
}

/// Compares one field of the envelope with what the verified state says it must be.
fn check<T: PartialEq>(
    provider: &str,
    what: &'static str,
    expected: T,
    actual: T,
    show: impl Fn(&T) -> String,
) -> Result<(), CheckpointError> {
    if expected == actual {
        Ok(())
    } else {
        Err(mismatch(provider, what, show(&expected), show(&actual)))
    }
}

/// The path of a field of the envelope's `message`.
fn env<'a>(path: &[&'a str]) -> Vec<&'a str> {
    let mut p = vec!["message"];
    p.extend_from_slice(path);
    p
}

fn hex(b: &[u8]) -> String {
    hex0x(b)
}

/// gloas `verify_execution_payload_envelope` of the envelope `raw` served for the anchor block
/// `block_root`, against the anchor's verified state `view` (the block's post-state, or that
/// state advanced through empty slots: both hold the block's header and bid): the builder's
/// signature (`verify_execution_payload_envelope_signature`), the block root and parent root,
/// the fields the bid commits to (builder, prev_randao, gas limit, block hash, execution
/// requests root), and the payload's parent hash, slot, timestamp and withdrawals. The
/// execution engine's own check of the payload is the one assert a light client cannot run.
pub fn verify_execution_payload_envelope(
    network: &NetworkConfig,
    state: &KeptState,
    block_root: &Root,
    raw: &RawBody,
) -> Result<(), CheckpointError> {
    let view = &state.view();
    let provider = raw.url.as_str();
    if let Some(named) = raw.consensus_version.filter(|f| *f != ForkName::Gloas) {
        return Err(mismatch(
            provider,
            "Eth-Consensus-Version",
            ForkName::Gloas.to_string(),
            named.to_string(),
        ));
    }
    let signed = Reader {
        ty: signed_envelope_schema(network.preset),
        bytes: &raw.body,
        provider,
        what: "SSZ",
    };
    let message_root = signed.root(&["message"])?;
    let signature = signed.bytes(&["signature"])?;
    let state_bytes = |name: &'static str| {
        view.field_bytes(name).ok_or_else(|| {
            mismatch(
                provider,
                "state",
                format!("a Gloas state with {name}"),
                "none".into(),
            )
        })
    };
    let bid = Reader {
        ty: crate::types::gloas::ExecutionPayloadBid::ssz_type(),
        bytes: state_bytes("latest_execution_payload_bid")?,
        provider,
        what: "state bid",
    };
    let header = view.latest_block_header();

    check(
        provider,
        "beacon_block_root",
        block_root.as_slice(),
        signed.bytes(&env(&["beacon_block_root"]))?,
        |b| hex(b),
    )?;
    check(
        provider,
        "parent_beacon_block_root",
        &header.parent_root[..],
        signed.bytes(&env(&["parent_beacon_block_root"]))?,
        |b| hex(b),
    )?;
    let builder_index = signed.u64(&env(&["builder_index"]))?;
    check(
        provider,
        "builder_index (the bid's)",
        bid.u64(&["builder_index"])?,
        builder_index,
        u64::to_string,
    )?;
    for (what, bid_field, payload_field) in [
        (
            "payload.prev_randao (the bid's)",
            "prev_randao",
            "prev_randao",
        ),
        ("payload.gas_limit (the bid's)", "gas_limit", "gas_limit"),
        ("payload.block_hash (the bid's)", "block_hash", "block_hash"),
    ] {
        check(
            provider,
            what,
            bid.bytes(&[bid_field])?,
            signed.bytes(&env(&["payload", payload_field]))?,
            |b| hex(b),
        )?;
    }
    check(
        provider,
        "execution_requests root (the bid's execution_requests_root)",
        bid.bytes(&["execution_requests_root"])?,
        &signed.root(&env(&["execution_requests"]))?[..],
        |b| hex(b),
    )?;
    let slot = bid.u64(&["slot"])?;
    check(
        provider,
        "payload.slot_number (the bid's slot)",
        slot,
        signed.u64(&env(&["payload", "slot_number"]))?,
        u64::to_string,
    )?;
    check(
        provider,
        "payload.parent_hash (the state's latest_block_hash)",
        state_bytes("latest_block_hash")?,
        signed.bytes(&env(&["payload", "parent_hash"]))?,
        |b| hex(b),
    )?;
    check(
        provider,
        "payload.timestamp (the slot's start)",
        view.genesis_time()
            .saturating_add(slot.saturating_mul(network.seconds_per_slot)),
        signed.u64(&env(&["payload", "timestamp"]))?,
        u64::to_string,
    )?;
    let expected_withdrawals = {
        let name = "payload_expected_withdrawals";
        let schema = merkle::beacon_state_schema(ForkName::Gloas, network.preset);
        let ty = schema
            .field_index(name)
            .map(|i| schema.fields()[i].1)
            .ok_or_else(|| mismatch(provider, "state", format!("a field {name}"), "none".into()))?;
        merkle::hash_tree_root(&ty, state_bytes(name)?)
            .map_err(|e| mismatch(provider, "state", format!("SSZ of {name}"), e.to_string()))?
    };
    check(
        provider,
        "payload.withdrawals root (the state's payload_expected_withdrawals)",
        expected_withdrawals,
        signed.root(&env(&["payload", "withdrawals"]))?,
        |b| hex(b),
    )?;
    let pubkey = if builder_index == BUILDER_INDEX_SELF_BUILD {
        state
            .validator(header.proposer_index as usize)
            .map(|v| v.pubkey())
            .ok_or_else(|| {
                mismatch(
                    provider,
                    "proposer",
                    "a validator of the state".into(),
                    header.proposer_index.to_string(),
                )
            })?
    } else {
        let builders = state_bytes("builders")?;
        usize::try_from(builder_index)
            .ok()
            .and_then(|i| builders.get(i * BUILDER_LEN..i * BUILDER_LEN + 48))
            .ok_or_else(|| {
                mismatch(
                    provider,
                    "builder_index",
                    format!(
                        "one of the state's {} builders",
                        builders.len() / BUILDER_LEN
                    ),
                    builder_index.to_string(),
                )
            })?
    };
    let fork = view.fork();
    let epoch = network.compute_epoch_at_slot(view.slot());
    let version = if epoch < fork.epoch {
        fork.previous_version
    } else {
        fork.current_version
    };
    let domain = network.compute_domain(DomainType::from(DOMAIN_BEACON_BUILDER), version.into());
    let signing_root = compute_signing_root(Hash256::from(message_root), domain);
    let verified = match (
        PublicKey::from_bytes(pubkey),
        Signature::from_bytes(signature),
    ) {
        (Ok(key), Ok(sig)) => sig.verify(&key, signing_root.as_slice()),
        _ => false,
    };
    if !verified {
        return Err(mismatch(
            provider,
            "signature",
            format!("a BLS signature by {} over the envelope", hex(pubkey)),
            hex(signature),
        ));
    }
    Ok(())
}
