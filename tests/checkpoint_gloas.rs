//! Checkpoint sync under Gloas (consensus-specs v1.7.0-alpha.13) over canned provider answers.
//!
//! The state is the spec vectors' minimal Gloas `BeaconState` (ssz_static case_0) made into a
//! block's post-state on a network with every fork at genesis: its header, bid, builder and
//! hashes set so that it links to a block root R, and the block's
//! `SignedExecutionPayloadEnvelope` (the vectors' case_0, rewritten) signed with a builder key
//! the state holds. Checked:
//! - a Gloas block one epoch before a `block_root:epoch` checkpoint is taken with its own,
//!   unaligned post-state, and the anchor keeps the checkpoint's epoch; two epochs before, the
//!   boundary state is still required; a pre-Gloas block is never taken that way;
//! - the anchor's payload: FULL with a verified envelope, EMPTY on 404, a typed
//!   `ENVELOPE_MISMATCH` for an envelope that fails a check, nothing stored then;
//! - a state file may be a Gloas post-block state at any slot, but not an advanced unaligned one;
//! - typed errors for a Gloas state on a network without Gloas, and for a state that does not
//!   link to the block.
#![cfg(not(target_arch = "wasm32"))]

use beacon_lightsync::beacon_api::{
    ApiError, BeaconApi, FinalityCheckpoints, Genesis, HeaderInfo, RawBody, SszState,
};
use beacon_lightsync::checkpoint::{
    CheckpointError, CheckpointOptions, CheckpointSync, Source, StateFile, Verified,
    DOMAIN_BEACON_BUILDER,
};
use beacon_lightsync::config::{compute_domain, compute_signing_root, NetworkConfig};
use beacon_lightsync::ctx::{Ctx, Quiet};
use beacon_lightsync::light::bls::SecretKey;
use beacon_lightsync::ssz_io::{read_ssz_file, require_fixtures_dir};
use beacon_lightsync::store::{MemoryStore, PayloadStatus, Store, Trust};
use beacon_lightsync::types::phase0::BeaconBlockHeader;
use beacon_lightsync::types::{
    fulu, gloas, DomainType, ForkName, Hash256, Minimal, TreeHash, B256, FAR_FUTURE_EPOCH,
};
use beacon_lightsync::ws::{FixedClock, WsCheckpoint};
use futures::executor::block_on;
use ssz::{Decode, Encode};

const GVR: [u8; 32] = [0x42; 32];
/// Minimal preset: 8 slots per epoch. Slot 21 is in epoch 2, five slots before epoch 3.
const SLOT: u64 = 21;

fn case(fork: &str, type_name: &str) -> Vec<u8> {
    read_ssz_file(
        require_fixtures_dir()
            .join("consensus-spec-tests-gloas/tests/minimal")
            .join(fork)
            .join("ssz_static")
            .join(type_name)
            .join("ssz_random/case_0/serialized.ssz_snappy"),
    )
    .unwrap()
}

/// The spec's minimal config, Altair..Fulu at genesis and Gloas at `gloas_epoch`.
fn network(gloas_epoch: u64, genesis_time: u64) -> NetworkConfig {
    let text = std::fs::read_to_string(
        require_fixtures_dir().join("consensus-specs-configs/configs/minimal.yaml"),
    )
    .unwrap();
    let mut net = NetworkConfig::from_config_yaml(&text, Some(B256::from(GVR))).unwrap();
    net.name = "gloas-test".into();
    net.genesis_time = genesis_time;
    for f in &ForkName::ALL[1..] {
        net.forks[*f as usize - 1].epoch = if *f == ForkName::Gloas {
            gloas_epoch
        } else {
            0
        };
    }
    net
}

fn builder_key() -> SecretKey {
    SecretKey::interop(7)
}

/// A block's post-state at `slot`, its block header (state root filled in), and the network.
struct Chain {
    net: NetworkConfig,
    state: gloas::BeaconState<Minimal>,
    header: BeaconBlockHeader,
}

impl Chain {
    fn new(slot: u64) -> Self {
        let mut s =
            gloas::BeaconState::<Minimal>::from_ssz_bytes(&case("gloas", "BeaconState")).unwrap();
        let net = network(0, s.genesis_time);
        s.slot = slot;
        s.genesis_validators_root = B256::from(GVR);
        s.fork.previous_version = net.fork_schedule(ForkName::Fulu).version;
        s.fork.current_version = net.fork_schedule(ForkName::Gloas).version;
        s.fork.epoch = 0;
        s.latest_block_header = BeaconBlockHeader {
            slot,
            proposer_index: 0,
            parent_root: B256::repeat_byte(1),
            state_root: B256::ZERO,
            body_root: B256::repeat_byte(2),
        };
        if s.builders.is_empty() {
            let b = gloas::Builder::from_ssz_bytes(&case("gloas", "Builder")).unwrap();
            s.builders.push(b);
        }
        s.builders[0].pubkey = builder_key().public_key().to_bytes().into();
        s.latest_block_hash = B256::repeat_byte(4);
        let bid = &mut s.latest_execution_payload_bid;
        bid.parent_block_hash = B256::repeat_byte(4);
        bid.block_hash = B256::repeat_byte(3);
        bid.builder_index = 0;
        bid.slot = slot;
        let mut chain = Chain {
            net,
            state: s,
            header: BeaconBlockHeader::default(),
        };
        chain.envelope_requests_root();
        chain.seal();
        chain
    }

    /// Commits the bid to the envelope's execution requests.
    fn envelope_requests_root(&mut self) {
        let e = envelope_case();
        self.state
            .latest_execution_payload_bid
            .execution_requests_root = e.message.execution_requests.tree_hash_root();
    }

    /// Recomputes the block header for the current state.
    fn seal(&mut self) {
        let mut h = self.state.latest_block_header;
        h.state_root = self.state.tree_hash_root();
        self.header = h;
    }

    fn root(&self) -> [u8; 32] {
        self.header.tree_hash_root().0
    }

    fn state_bytes(&self) -> Vec<u8> {
        self.state.as_ssz_bytes()
    }

    /// The block's envelope, matching the state and signed by `key`.
    fn envelope(&self, key: &SecretKey) -> gloas::SignedExecutionPayloadEnvelope<Minimal> {
        let mut e = envelope_case();
        let bid = &self.state.latest_execution_payload_bid;
        let m = &mut e.message;
        m.beacon_block_root = B256::from(self.root());
        m.parent_beacon_block_root = self.header.parent_root;
        m.builder_index = bid.builder_index;
        m.payload.block_hash = bid.block_hash;
        m.payload.prev_randao = bid.prev_randao;
        m.payload.gas_limit = bid.gas_limit;
        m.payload.parent_hash = self.state.latest_block_hash;
        m.payload.slot_number = bid.slot;
        m.payload.timestamp = self.state.genesis_time + bid.slot * self.net.seconds_per_slot;
        m.payload.withdrawals = self.state.payload_expected_withdrawals.clone();
        sign(&self.net, e, key)
    }
}

fn envelope_case() -> gloas::SignedExecutionPayloadEnvelope<Minimal> {
    gloas::SignedExecutionPayloadEnvelope::from_ssz_bytes(&case(
        "gloas",
        "SignedExecutionPayloadEnvelope",
    ))
    .unwrap()
}

fn sign(
    net: &NetworkConfig,
    mut e: gloas::SignedExecutionPayloadEnvelope<Minimal>,
    key: &SecretKey,
) -> gloas::SignedExecutionPayloadEnvelope<Minimal> {
    let domain = compute_domain(
        DomainType::from(DOMAIN_BEACON_BUILDER),
        net.fork_schedule(ForkName::Gloas).version,
        B256::from(GVR),
    );
    let root = compute_signing_root(e.message.tree_hash_root(), domain);
    e.signature = key.sign(root.as_slice()).to_bytes().into();
    e
}

/// What the provider answers for the envelope.
#[derive(Clone)]
enum Envelope {
    Served(Vec<u8>),
    NotFound,
    /// The trait's default: a provider without the call.
    Unsupported,
}

struct Fake {
    genesis: Genesis,
    header: HeaderInfo,
    states: Vec<(String, Vec<u8>, ForkName)>,
    envelope: Envelope,
}

impl Fake {
    fn new(chain: &Chain, envelope: Envelope) -> Self {
        let state_id = format!("0x{}", hex::encode(chain.header.state_root));
        Fake {
            genesis: Genesis {
                genesis_time: chain.net.genesis_time,
                genesis_validators_root: GVR,
                genesis_fork_version: chain.net.genesis_fork_version.0,
            },
            header: HeaderInfo {
                root: chain.root(),
                canonical: true,
                header: chain.header,
                signature: [0; 96],
            },
            states: vec![(state_id, chain.state_bytes(), ForkName::Gloas)],
            envelope,
        }
    }
}

fn not_served(what: &str) -> ApiError {
    ApiError::HttpStatus {
        url: format!("fake/{what}"),
        status: 404,
        retry_after_seconds: None,
        message: "not found".into(),
    }
}

impl BeaconApi for Fake {
    fn base_url(&self) -> &str {
        "fake://gloas"
    }
    async fn genesis(&self) -> Result<Genesis, ApiError> {
        Ok(self.genesis)
    }
    async fn spec(&self) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
        Ok(Default::default())
    }
    async fn header(&self, block_id: &str) -> Result<Option<HeaderInfo>, ApiError> {
        let me = format!("0x{}", hex::encode(self.header.root));
        Ok((block_id == me).then(|| self.header.clone()))
    }
    async fn headers_by_slots(&self, slots: &[u64]) -> Vec<Result<Option<HeaderInfo>, ApiError>> {
        slots.iter().map(|_| Ok(None)).collect()
    }
    async fn finality_checkpoints(&self, _: &str) -> Result<FinalityCheckpoints, ApiError> {
        Err(not_served("finality_checkpoints"))
    }
    async fn state_ssz(
        &self,
        state_id: &str,
        _: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<SszState, ApiError> {
        match self.states.iter().find(|(id, _, _)| id == state_id) {
            Some((_, bytes, fork)) => Ok(SszState {
                url: format!("fake/{state_id}"),
                consensus_version: Some(*fork),
                bytes: bytes.clone(),
            }),
            None => Err(not_served(state_id)),
        }
    }
    async fn block_ssz(&self, _: &[u8; 32]) -> Result<RawBody, ApiError> {
        Err(not_served("block"))
    }
    async fn execution_payload_envelope_ssz(
        &self,
        block_root: &[u8; 32],
    ) -> Result<Option<RawBody>, ApiError> {
        assert_eq!(*block_root, self.header.root, "the anchor block's envelope");
        let url = "fake/envelope".to_string();
        match &self.envelope {
            Envelope::Served(body) => Ok(Some(RawBody {
                url,
                consensus_version: Some(ForkName::Gloas),
                content_type: Some("application/octet-stream".into()),
                body: body.clone(),
            })),
            Envelope::NotFound => Ok(None),
            Envelope::Unsupported => Err(ApiError::HttpStatus {
                url,
                status: 501,
                retry_after_seconds: None,
                message: "not implemented".into(),
            }),
        }
    }
    async fn light_client_bootstrap(&self, _: &[u8; 32]) -> Result<RawBody, ApiError> {
        Err(not_served("bootstrap"))
    }
    async fn light_client_updates(&self, _: u64, _: u64) -> Result<RawBody, ApiError> {
        Err(not_served("updates"))
    }
    async fn light_client_finality_update(&self) -> Result<RawBody, ApiError> {
        Err(not_served("finality_update"))
    }
}

/// A checkpoint sync from `source` into a new store, with the clock a few epochs after genesis.
fn sync(
    net: &NetworkConfig,
    providers: &[Fake],
    source: &Source,
) -> (MemoryStore, Result<Verified, CheckpointError>) {
    let store = MemoryStore::new(&net.name, GVR);
    let clock = FixedClock(net.genesis_time + 5 * 8 * net.seconds_per_slot);
    let result = block_on(
        CheckpointSync {
            ctx: Ctx {
                network: net,
                providers,
                store: &store,
                clock: &clock,
            },
            env: &Quiet,
            options: CheckpointOptions::default(),
        }
        .run(source),
    );
    (store, result)
}

fn checkpoint(chain: &Chain, epoch: u64) -> Source {
    Source::Checkpoint(WsCheckpoint {
        root: chain.root(),
        epoch,
    })
}

fn stored_nothing(store: &MemoryStore) {
    assert!(block_on(store.anchors()).unwrap().is_empty());
}

#[test]
fn gloas_block_before_the_boundary_is_its_own_checkpoint_state() {
    let chain = Chain::new(SLOT);
    let served = chain.envelope(&builder_key()).as_ssz_bytes();
    let (store, result) = sync(
        &chain.net,
        &[Fake::new(&chain, Envelope::Served(served))],
        &checkpoint(&chain, 3),
    );
    let a = result.unwrap().anchor;
    assert_eq!(
        (a.slot, a.epoch),
        (SLOT, 3),
        "the checkpoint's epoch, not the slot's"
    );
    assert_eq!(a.block_root, chain.root());
    assert_eq!(a.state_root, chain.header.state_root.0);
    assert_eq!(a.fork, "gloas");
    assert_eq!(a.trust, Trust::Checkpoint);
    assert!(!a.linked_through_latest_block_header);
    assert_eq!(a.execution, None);
    let p = a.payload.unwrap();
    assert_eq!(p.status, Some(PayloadStatus::Full));
    assert_eq!(p.block_hash, [3; 32]);
    assert_eq!(p.latest_block_hash, [4; 32]);
    assert_eq!(block_on(store.anchors()).unwrap(), vec![a]);

    // Without an epoch the anchor's epoch is the state's (`get_current_epoch(anchor_state)`).
    let served = chain.envelope(&builder_key()).as_ssz_bytes();
    let (_, result) = sync(
        &chain.net,
        &[Fake::new(&chain, Envelope::Served(served))],
        &Source::TrustedBlockRoot(chain.root()),
    );
    let a = result.unwrap().anchor;
    assert_eq!((a.slot, a.epoch, a.trust), (SLOT, 2, Trust::BlockRoot));
}

#[test]
fn envelope_404_is_empty_and_a_missing_endpoint_is_an_error() {
    let chain = Chain::new(SLOT);
    let (_, result) = sync(
        &chain.net,
        &[Fake::new(&chain, Envelope::NotFound)],
        &checkpoint(&chain, 3),
    );
    let p = result.unwrap().anchor.payload.unwrap();
    assert_eq!(p.status, Some(PayloadStatus::Empty));

    let (store, result) = sync(
        &chain.net,
        &[Fake::new(&chain, Envelope::Unsupported)],
        &checkpoint(&chain, 3),
    );
    let err = result.unwrap_err();
    assert_eq!(err.code(), "HTTP_STATUS", "{err}");
    stored_nothing(&store);
}

#[test]
fn envelopes_that_fail_a_check_are_refused() {
    let chain = Chain::new(SLOT);
    let good = chain.envelope(&builder_key());
    let refused = |e: gloas::SignedExecutionPayloadEnvelope<Minimal>, what: &str| {
        let (store, result) = sync(
            &chain.net,
            &[Fake::new(&chain, Envelope::Served(e.as_ssz_bytes()))],
            &checkpoint(&chain, 3),
        );
        match result.unwrap_err() {
            CheckpointError::EnvelopeMismatch { what: got, .. } => {
                assert!(got.starts_with(what), "expected {what}, got {got}")
            }
            other => panic!("expected ENVELOPE_MISMATCH ({what}), got {other}"),
        }
        stored_nothing(&store);
    };
    // Signed by a key the state does not hold for the builder.
    refused(
        sign(&chain.net, good.clone(), &SecretKey::interop(8)),
        "signature",
    );
    // A payload other than the one the bid commits to (re-signed by the builder).
    let mut e = good.clone();
    e.message.payload.block_hash = B256::repeat_byte(9);
    refused(sign(&chain.net, e, &builder_key()), "payload.block_hash");
    let mut e = good.clone();
    e.message.beacon_block_root = B256::repeat_byte(9);
    refused(sign(&chain.net, e, &builder_key()), "beacon_block_root");
    let mut e = good.clone();
    e.message.payload.timestamp += 1;
    refused(sign(&chain.net, e, &builder_key()), "payload.timestamp");
    let mut e = good.clone();
    e.message.builder_index = 1;
    refused(sign(&chain.net, e, &builder_key()), "builder_index");
    // Bytes that are no envelope.
    let (_, result) = sync(
        &chain.net,
        &[Fake::new(&chain, Envelope::Served(vec![1, 2, 3]))],
        &checkpoint(&chain, 3),
    );
    assert_eq!(result.unwrap_err().code(), "ENVELOPE_MISMATCH");
}

#[test]
fn two_epochs_before_the_boundary_the_boundary_state_is_required() {
    let chain = Chain::new(SLOT);
    let (store, result) = sync(
        &chain.net,
        &[Fake::new(&chain, Envelope::NotFound)],
        &checkpoint(&chain, 4),
    );
    match result.unwrap_err() {
        CheckpointError::StateNotFound { state_id, .. } => assert_eq!(state_id, "32"),
        other => panic!("expected STATE_NOT_FOUND for the boundary state, got {other}"),
    }
    stored_nothing(&store);
    // A checkpoint epoch the block is after.
    let (_, result) = sync(
        &chain.net,
        &[Fake::new(&chain, Envelope::NotFound)],
        &checkpoint(&chain, 2),
    );
    assert_eq!(result.unwrap_err().code(), "INVALID_CHECKPOINT");
}

#[test]
fn wrong_fork_and_unlinked_states_are_refused() {
    let chain = Chain::new(SLOT);
    // The same Gloas state on a network where Gloas is not scheduled.
    let fulu_only = network(FAR_FUTURE_EPOCH, chain.net.genesis_time);
    let (store, result) = sync(
        &fulu_only,
        &[Fake::new(&chain, Envelope::NotFound)],
        &Source::TrustedBlockRoot(chain.root()),
    );
    let err = result.unwrap_err();
    assert!(["FORK_MISMATCH", "DECODE"].contains(&err.code()), "{err}");
    stored_nothing(&store);

    // A header whose state root is this state's, but the state's latest block is another one.
    let mut other = Chain::new(SLOT);
    other.state.latest_block_header.body_root = B256::repeat_byte(7);
    let state_root = other.state.tree_hash_root();
    let mut fake = Fake::new(&chain, Envelope::NotFound);
    fake.header.header.state_root = state_root;
    fake.header.root = fake.header.header.tree_hash_root().0;
    fake.states = vec![(
        format!("0x{}", hex::encode(state_root)),
        other.state_bytes(),
        ForkName::Gloas,
    )];
    let root = fake.header.root;
    let (store, result) = sync(
        &chain.net,
        &[fake],
        &Source::Checkpoint(WsCheckpoint { root, epoch: 3 }),
    );
    match result.unwrap_err() {
        CheckpointError::StateLinkMismatch { what, .. } => {
            assert_eq!(what, "latest_block_header root")
        }
        other => panic!("expected STATE_LINK_MISMATCH, got {other}"),
    }
    stored_nothing(&store);
}

#[test]
fn a_pre_gloas_block_before_the_boundary_still_needs_the_boundary_state() {
    // A Fulu post-block state at the same unaligned slot, on a network without Gloas.
    let mut s = fulu::BeaconState::<Minimal>::from_ssz_bytes(&case("fulu", "BeaconState")).unwrap();
    let net = network(FAR_FUTURE_EPOCH, s.genesis_time);
    s.slot = SLOT;
    s.genesis_validators_root = B256::from(GVR);
    s.fork.current_version = net.fork_schedule(ForkName::Fulu).version;
    s.fork.previous_version = net.fork_schedule(ForkName::Electra).version;
    s.fork.epoch = 0;
    s.latest_block_header = BeaconBlockHeader {
        slot: SLOT,
        proposer_index: 0,
        parent_root: B256::repeat_byte(1),
        state_root: B256::ZERO,
        body_root: B256::repeat_byte(2),
    };
    let mut header = s.latest_block_header;
    header.state_root = s.tree_hash_root();
    let bytes = s.as_ssz_bytes();
    let fake = Fake {
        genesis: Genesis {
            genesis_time: net.genesis_time,
            genesis_validators_root: GVR,
            genesis_fork_version: net.genesis_fork_version.0,
        },
        header: HeaderInfo {
            root: header.tree_hash_root().0,
            canonical: true,
            header,
            signature: [0; 96],
        },
        states: vec![(
            format!("0x{}", hex::encode(header.state_root)),
            bytes.clone(),
            ForkName::Fulu,
        )],
        envelope: Envelope::Unsupported,
    };
    let root = fake.header.root;
    let (store, result) = sync(
        &net,
        &[fake],
        &Source::Checkpoint(WsCheckpoint { root, epoch: 3 }),
    );
    match result.unwrap_err() {
        CheckpointError::StateNotFound { state_id, .. } => assert_eq!(state_id, "24"),
        other => panic!("expected STATE_NOT_FOUND for the boundary state, got {other}"),
    }
    stored_nothing(&store);
    // And as a local file it is not at an epoch's first slot.
    let (_, result) = sync(&net, &[], &Source::StateFile(StateFile::from_bytes(bytes)));
    assert!(matches!(
        result.unwrap_err(),
        CheckpointError::NotEpochAligned {
            expected_slot: 16,
            actual_slot: SLOT
        }
    ));
}

#[test]
fn gloas_state_files_may_be_post_block_states() {
    let chain = Chain::new(SLOT);
    let (_, result) = sync(
        &chain.net,
        &[],
        &Source::StateFile(StateFile::from_bytes(chain.state_bytes())),
    );
    let a = result.unwrap().anchor;
    assert_eq!((a.slot, a.epoch, a.trust), (SLOT, 2, Trust::File));
    assert_eq!(a.block_root, chain.root());
    // Nobody to ask for the envelope: the status stays unknown, the hashes are the state's.
    let p = a.payload.unwrap();
    assert_eq!(p.status, None);
    assert_eq!(p.block_hash, [3; 32]);

    // The same state advanced through an empty slot (its header's state root filled in) is not a
    // post-block state, and not at a boundary either.
    let mut advanced = Chain::new(SLOT);
    advanced.state.latest_block_header.state_root = Hash256::repeat_byte(5);
    advanced.state.slot = SLOT + 1;
    let (store, result) = sync(
        &advanced.net,
        &[],
        &Source::StateFile(StateFile::from_bytes(advanced.state_bytes())),
    );
    assert!(matches!(
        result.unwrap_err(),
        CheckpointError::NotEpochAligned {
            expected_slot: 16,
            actual_slot: 22
        }
    ));
    stored_nothing(&store);
}

#[test]
fn the_state_decides_full_when_it_holds_the_bids_payload() {
    // As in the state of the fork upgrade: the bid's block hash is the latest delivered one.
    let mut chain = Chain::new(SLOT);
    chain.state.latest_execution_payload_bid.block_hash = chain.state.latest_block_hash;
    chain.seal();
    // Served without the envelope call: the state alone decides.
    let (_, result) = sync(
        &chain.net,
        &[Fake::new(&chain, Envelope::Unsupported)],
        &Source::TrustedBlockRoot(chain.root()),
    );
    let p = result.unwrap().anchor.payload.unwrap();
    assert_eq!(p.status, Some(PayloadStatus::Full));
    assert_eq!(p.block_hash, p.latest_block_hash);
}
