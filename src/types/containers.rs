//! Every beacon-chain container from phase0 to Gloas, each declared once with the forks at which
//! it changed (see [`fork_container!`](super::forks) for the notation). Gloas (EIP-7688) turns
//! the state, the body, the payload, the requests and the attestations into
//! `ProgressiveContainer`s and their bounded lists into `ProgressiveList`s; those families say
//! `progressive [Gloas]`. The containers Gloas adds outright live in `gloas.rs`.
//!
//! Field order and types follow `specs/<fork>/beacon-chain.md` of ethereum/consensus-specs; SSZ
//! layout and hash tree roots depend on both, so nothing here is reordered for convenience.
//! `containers!(Fork, prev)` expands to the containers of one fork's module (`types/mod.rs`).

/// `ExecutionPayload` and `ExecutionPayloadHeader` share their first 13 fields (the header holds
/// roots where the payload holds lists); this declares one of them with its own tail.
/// `$after` follows Deneb's blob gas fields (Gloas appends to the payload).
macro_rules! execution_payload_family {
    ($fork:ident, $prev:ident; $(#[$attr:meta])* $name:ident in $versions:tt
        $(until $end:ident)? $(progressive $pf:tt)? { $($tail:tt)* } { $($after:tt)* }) => {
        $crate::types::forks::fork_container! { $fork, $prev;
            $(#[$attr])*
            pub struct $name<P> in $versions $(until $end)? $(progressive $pf)? {
                parent_hash: Hash32,
                fee_recipient: ExecutionAddress,
                state_root: Bytes32,
                receipts_root: Bytes32,
                logs_bloom: FixedVector<u8, P::BytesPerLogsBloom>,
                prev_randao: Bytes32,
                block_number: u64,
                gas_limit: u64,
                gas_used: u64,
                timestamp: u64,
                extra_data: VariableList<u8, P::MaxExtraDataBytes>,
                base_fee_per_gas: U256,
                block_hash: Hash32,
                $($tail)*
                [Deneb..] {
                    blob_gas_used: u64,
                    excess_blob_gas: u64,
                }
                $($after)*
            }
        }
    };
}
pub(crate) use execution_payload_family;

/// The containers of fork `$fork` (an identifier of the tables in `forks.rs`), whose previous
/// fork's module is `$prev`.
macro_rules! containers {
    ($fork:ident, $prev:ident) => {
        #[allow(unused_imports)]
        use super::*;
        #[allow(unused_imports)]
        use ssz_derive::{Decode, Encode};
        #[allow(unused_imports)]
        use tree_hash_derive::TreeHash;

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `Fork`: the fork a state is on, and when it started (epoch).
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct Fork in [Phase0] {
                previous_version: Version,
                current_version: Version,
                epoch: Epoch,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `ForkData`: hashed into the fork digest and signing domains.
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct ForkData in [Phase0] {
                current_version: Version,
                genesis_validators_root: Hash256,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `Checkpoint`: an epoch and the root of the block at its first slot (or earlier, if
            /// empty).
            /// Also serde, for the `finality_checkpoints` answer (`beacon_api::parse`).
            #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            #[derive(serde::Serialize, serde::Deserialize)]
            pub struct Checkpoint in [Phase0] {
                #[serde(with = "serde_utils::quoted_u64")]
                epoch: Epoch,
                root: Hash256,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `Validator`: one registry entry; balances are in Gwei, epochs may be
            /// `FAR_FUTURE_EPOCH`.
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct Validator in [Phase0] {
                pubkey: BlsPublicKey,
                withdrawal_credentials: Bytes32,
                effective_balance: Gwei,
                slashed: bool,
                activation_eligibility_epoch: Epoch,
                activation_epoch: Epoch,
                exit_epoch: Epoch,
                withdrawable_epoch: Epoch,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `AttestationData`.
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct AttestationData in [Phase0] {
                slot: Slot,
                index: CommitteeIndex,
                beacon_block_root: Hash256,
                source: Checkpoint,
                target: Checkpoint,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `IndexedAttestation`; Electra (EIP-7549) widens it to every committee of the slot.
            /// Gloas's has no preset parameter (module `gloas`).
            #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
            pub struct IndexedAttestation<P> in [Phase0 Electra] until Gloas {
                [Phase0..Electra]
                attesting_indices: VariableList<ValidatorIndex, P::MaxValidatorsPerCommittee>,
                [Electra..]
                attesting_indices: VariableList<ValidatorIndex, P::MaxValidatorsPerSlot>,
                data: AttestationData,
                signature: BlsSignature,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `PendingAttestation` (in the phase0 state only).
            #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
            pub struct PendingAttestation<P> in [Phase0] {
                aggregation_bits: BitList<P::MaxValidatorsPerCommittee>,
                data: AttestationData,
                inclusion_delay: Slot,
                proposer_index: ValidatorIndex,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `Eth1Data`.
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct Eth1Data in [Phase0] {
                deposit_root: Hash256,
                deposit_count: u64,
                block_hash: Hash32,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `HistoricalBatch`: the pre-Capella unit accumulated into `historical_roots`.
            #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
            pub struct HistoricalBatch<P> in [Phase0] {
                block_roots: FixedVector<Hash256, P::SlotsPerHistoricalRoot>,
                state_roots: FixedVector<Hash256, P::SlotsPerHistoricalRoot>,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `DepositMessage`: what a deposit signature signs.
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct DepositMessage in [Phase0] {
                pubkey: BlsPublicKey,
                withdrawal_credentials: Bytes32,
                amount: Gwei,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `DepositData`.
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct DepositData in [Phase0] {
                pubkey: BlsPublicKey,
                withdrawal_credentials: Bytes32,
                amount: Gwei,
                signature: BlsSignature,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `BeaconBlockHeader`: a block with its body replaced by the body root; hashes to the
            /// block root.
            #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct BeaconBlockHeader in [Phase0] {
                slot: Slot,
                proposer_index: ValidatorIndex,
                parent_root: Hash256,
                state_root: Hash256,
                body_root: Hash256,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `SigningData`: `hash_tree_root(SigningData(object_root, domain))` is what BLS signs.
            #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct SigningData in [Phase0] {
                object_root: Hash256,
                domain: Domain,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `SignedBeaconBlockHeader`.
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct SignedBeaconBlockHeader in [Phase0] {
                message: BeaconBlockHeader,
                signature: BlsSignature,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `ProposerSlashing`.
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct ProposerSlashing in [Phase0] {
                signed_header_1: SignedBeaconBlockHeader,
                signed_header_2: SignedBeaconBlockHeader,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `AttesterSlashing` (Electra's holds Electra's wider `IndexedAttestation`s).
            #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
            pub struct AttesterSlashing<P> in [Phase0 Electra] until Gloas {
                attestation_1: IndexedAttestation<P>,
                attestation_2: IndexedAttestation<P>,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `Attestation`; from Electra its aggregation bits span every committee of the slot,
            /// selected by `committee_bits`.
            #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
            pub struct Attestation<P> in [Phase0 Electra Gloas] progressive [Gloas] {
                [Phase0..Electra] aggregation_bits: BitList<P::MaxValidatorsPerCommittee>,
                [Electra..Gloas] aggregation_bits: BitList<P::MaxValidatorsPerSlot>,
                [Gloas..] aggregation_bits: ProgressiveBitlist,
                data: AttestationData,
                signature: BlsSignature,
                [Electra..] committee_bits: BitVector<P::MaxCommitteesPerSlot>,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `Deposit`: deposit data with its Merkle proof against the deposit contract root.
            #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
            pub struct Deposit in [Phase0] {
                proof: FixedVector<Bytes32, DepositProofLength>,
                data: DepositData,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `VoluntaryExit`.
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct VoluntaryExit in [Phase0] {
                epoch: Epoch,
                validator_index: ValidatorIndex,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `SignedVoluntaryExit`.
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct SignedVoluntaryExit in [Phase0] {
                message: VoluntaryExit,
                signature: BlsSignature,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `SyncCommittee` (Altair): `SYNC_COMMITTEE_SIZE` public keys and their aggregate.
            #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
            pub struct SyncCommittee<P> in [Altair] {
                pubkeys: FixedVector<BlsPublicKey, P::SyncCommitteeSize>,
                aggregate_pubkey: BlsPublicKey,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `SyncAggregate` (Altair): which committee members signed, and the aggregate
            /// signature.
            #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
            pub struct SyncAggregate<P> in [Altair] {
                sync_committee_bits: BitVector<P::SyncCommitteeSize>,
                sync_committee_signature: BlsSignature,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `Withdrawal` (Capella): an amount (Gwei) moved from a validator to an execution
            /// address.
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct Withdrawal in [Capella] {
                index: WithdrawalIndex,
                validator_index: ValidatorIndex,
                address: ExecutionAddress,
                amount: Gwei,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `BLSToExecutionChange` (Capella).
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct BLSToExecutionChange in [Capella] {
                validator_index: ValidatorIndex,
                from_bls_pubkey: BlsPublicKey,
                to_execution_address: ExecutionAddress,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `SignedBLSToExecutionChange` (Capella).
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct SignedBLSToExecutionChange in [Capella] {
                message: BLSToExecutionChange,
                signature: BlsSignature,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `HistoricalSummary` (Capella): replaces `HistoricalBatch` roots; its two roots are
            /// the roots of the batch's `block_roots` and `state_roots` vectors.
            #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct HistoricalSummary in [Capella] {
                block_summary_root: Hash256,
                state_summary_root: Hash256,
            }
        }

        $crate::types::containers::execution_payload_family! { $fork, $prev;
            /// `ExecutionPayload` (Bellatrix): the execution block inside the beacon block; from
            /// Gloas inside the `ExecutionPayloadEnvelope` instead.
            #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
            ExecutionPayload in [Bellatrix Capella Deneb Gloas] progressive [Gloas] {
                [Bellatrix..Gloas] {
                    transactions: VariableList<Transaction<P>, P::MaxTransactionsPerPayload>,
                }
                [Capella..Gloas] withdrawals: VariableList<Withdrawal, P::MaxWithdrawalsPerPayload>,
                [Gloas..] {
                    transactions: ProgressiveList<ProgressiveByteList>,
                    withdrawals: ProgressiveList<Withdrawal>,
                }
            } {
                [Gloas..] {
                    /// EIP-7928 block-level access list (opaque bytes to the consensus layer).
                    block_access_list: ProgressiveByteList,
                    /// EIP-7843: the payload's slot.
                    slot_number: u64,
                }
            }
        }

        $crate::types::containers::execution_payload_family! { $fork, $prev;
            /// `ExecutionPayloadHeader` (Bellatrix): the payload with its lists replaced by their
            /// roots.
            /// Gloas drops it from the state (the bid and `latest_block_hash` replace it).
            #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TreeHash)]
            ExecutionPayloadHeader in [Bellatrix Capella Deneb] until Gloas {
                transactions_root: Hash256,
                [Capella..] withdrawals_root: Hash256,
            } {}
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `DepositRequest` (Electra, EIP-6110): a deposit seen by the execution layer.
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct DepositRequest in [Electra] {
                pubkey: BlsPublicKey,
                withdrawal_credentials: Bytes32,
                amount: Gwei,
                signature: BlsSignature,
                index: u64,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `WithdrawalRequest` (Electra, EIP-7002): an execution-triggered exit or partial
            /// withdrawal.
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct WithdrawalRequest in [Electra] {
                source_address: ExecutionAddress,
                validator_pubkey: BlsPublicKey,
                amount: Gwei,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `ConsolidationRequest` (Electra, EIP-7251).
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct ConsolidationRequest in [Electra] {
                source_address: ExecutionAddress,
                source_pubkey: BlsPublicKey,
                target_pubkey: BlsPublicKey,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `ExecutionRequests` (Electra): the requests of one payload, carried in the block
            /// body (from Gloas in the envelope, and the next block's `parent_execution_requests`).
            /// Gloas's has no preset parameter (module `gloas`).
            #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
            pub struct ExecutionRequests<P> in [Electra] until Gloas {
                deposits: VariableList<DepositRequest, P::MaxDepositRequestsPerPayload>,
                withdrawals: VariableList<WithdrawalRequest, P::MaxWithdrawalRequestsPerPayload>,
                consolidations:
                    VariableList<ConsolidationRequest, P::MaxConsolidationRequestsPerPayload>,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `PendingDeposit` (Electra): a deposit waiting for churn (amount in Gwei).
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct PendingDeposit in [Electra] {
                pubkey: BlsPublicKey,
                withdrawal_credentials: Bytes32,
                amount: Gwei,
                signature: BlsSignature,
                slot: Slot,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `PendingPartialWithdrawal` (Electra).
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct PendingPartialWithdrawal in [Electra] {
                validator_index: ValidatorIndex,
                amount: Gwei,
                withdrawable_epoch: Epoch,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `PendingConsolidation` (Electra).
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode, TreeHash)]
            pub struct PendingConsolidation in [Electra] {
                source_index: ValidatorIndex,
                target_index: ValidatorIndex,
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `BeaconBlockBody` (Fulu's is Electra's). Gloas moves the payload, blob commitments
            /// and requests to the envelope and commits to the builder's bid instead.
            #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
            pub struct BeaconBlockBody<P> in [Phase0 Altair Bellatrix Capella Deneb Electra Gloas]
                progressive [Gloas] {
                randao_reveal: BlsSignature,
                eth1_data: Eth1Data,
                graffiti: Bytes32,
                [Phase0..Gloas]
                proposer_slashings: VariableList<ProposerSlashing, P::MaxProposerSlashings>,
                [Gloas..] proposer_slashings: ProgressiveList<ProposerSlashing>,
                [Phase0..Electra] {
                    attester_slashings: VariableList<AttesterSlashing<P>, P::MaxAttesterSlashings>,
                    attestations: VariableList<Attestation<P>, P::MaxAttestations>,
                }
                [Electra..Gloas] {
                    attester_slashings:
                        VariableList<AttesterSlashing<P>, P::MaxAttesterSlashingsElectra>,
                    attestations: VariableList<Attestation<P>, P::MaxAttestationsElectra>,
                }
                [Gloas..] {
                    attester_slashings: ProgressiveList<AttesterSlashing>,
                    attestations: ProgressiveList<Attestation<P>>,
                }
                [Phase0..Gloas] {
                    deposits: VariableList<Deposit, P::MaxDeposits>,
                    voluntary_exits: VariableList<SignedVoluntaryExit, P::MaxVoluntaryExits>,
                }
                [Gloas..] {
                    deposits: ProgressiveList<Deposit>,
                    voluntary_exits: ProgressiveList<SignedVoluntaryExit>,
                }
                [Altair..] sync_aggregate: SyncAggregate<P>,
                [Bellatrix..Gloas] execution_payload: ExecutionPayload<P>,
                [Capella..Gloas] bls_to_execution_changes:
                    VariableList<SignedBLSToExecutionChange, P::MaxBlsToExecutionChanges>,
                [Gloas..] bls_to_execution_changes: ProgressiveList<SignedBLSToExecutionChange>,
                [Deneb..Gloas] blob_kzg_commitments:
                    VariableList<KzgCommitment, P::MaxBlobCommitmentsPerBlock>,
                [Electra..Gloas] execution_requests: ExecutionRequests<P>,
                [Gloas..] {
                    signed_execution_payload_bid: SignedExecutionPayloadBid,
                    payload_attestations: ProgressiveList<PayloadAttestation<P>>,
                    parent_execution_requests: ExecutionRequests,
                }
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `BeaconBlock`: every fork's has the same five fields; only the body changes.
            #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
            pub struct BeaconBlock<P> in [Phase0 Altair Bellatrix Capella Deneb Electra Gloas] {
                slot: Slot,
                proposer_index: ValidatorIndex,
                parent_root: Hash256,
                state_root: Hash256,
                body: BeaconBlockBody<P>,
            }
            impl {
                impl<P: Preset> BeaconBlock<P> {
                    /// The header of this block (`body_root` = `hash_tree_root(body)`); it hashes
                    /// to the same root as the block.
                    pub fn block_header(&self) -> BeaconBlockHeader {
                        BeaconBlockHeader {
                            slot: self.slot,
                            proposer_index: self.proposer_index,
                            parent_root: self.parent_root,
                            state_root: self.state_root,
                            body_root: tree_hash::TreeHash::tree_hash_root(&self.body),
                        }
                    }
                }
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `SignedBeaconBlock`.
            #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TreeHash)]
            pub struct SignedBeaconBlock<P> in [Phase0 Altair Bellatrix Capella Deneb Electra Gloas] {
                message: BeaconBlock<P>,
                signature: BlsSignature,
            }
            impl {
                impl<P: Preset> SignedBeaconBlock<P> {
                    /// The block root: `hash_tree_root(message)`.
                    pub fn message_root(&self) -> Hash256 {
                        tree_hash::TreeHash::tree_hash_root(&self.message)
                    }

                    /// The signed header of this block.
                    pub fn signed_block_header(&self) -> SignedBeaconBlockHeader {
                        SignedBeaconBlockHeader {
                            message: self.message.block_header(),
                            signature: self.signature,
                        }
                    }
                }
            }
        }

        $crate::types::forks::fork_container! { $fork, $prev;
            /// `BeaconState`.
            #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
            pub struct BeaconState<P> in [Phase0 Altair Bellatrix Capella Deneb Electra Fulu Gloas]
                progressive [Gloas] {
                genesis_time: u64,
                genesis_validators_root: Hash256,
                slot: Slot,
                fork: Fork,
                latest_block_header: BeaconBlockHeader,
                block_roots: FixedVector<Hash256, P::SlotsPerHistoricalRoot>,
                state_roots: FixedVector<Hash256, P::SlotsPerHistoricalRoot>,
                historical_roots: VariableList<Hash256, P::HistoricalRootsLimit>,
                eth1_data: Eth1Data,
                eth1_data_votes: VariableList<Eth1Data, P::SlotsPerEth1VotingPeriod>,
                eth1_deposit_index: u64,
                [Phase0..Gloas] {
                    validators: VariableList<Validator, P::ValidatorRegistryLimit>,
                    balances: VariableList<Gwei, P::ValidatorRegistryLimit>,
                }
                [Gloas..] {
                    validators: ProgressiveList<Validator>,
                    balances: ProgressiveList<Gwei>,
                }
                randao_mixes: FixedVector<Bytes32, P::EpochsPerHistoricalVector>,
                slashings: FixedVector<Gwei, P::EpochsPerSlashingsVector>,
                [Phase0..Altair] {
                    previous_epoch_attestations:
                        VariableList<PendingAttestation<P>, P::MaxPendingAttestations>,
                    current_epoch_attestations:
                        VariableList<PendingAttestation<P>, P::MaxPendingAttestations>,
                }
                [Altair..Gloas] {
                    previous_epoch_participation:
                        VariableList<ParticipationFlags, P::ValidatorRegistryLimit>,
                    current_epoch_participation:
                        VariableList<ParticipationFlags, P::ValidatorRegistryLimit>,
                }
                [Gloas..] {
                    previous_epoch_participation: ProgressiveList<ParticipationFlags>,
                    current_epoch_participation: ProgressiveList<ParticipationFlags>,
                }
                justification_bits: BitVector<JustificationBitsLength>,
                previous_justified_checkpoint: Checkpoint,
                current_justified_checkpoint: Checkpoint,
                finalized_checkpoint: Checkpoint,
                [Altair..Gloas]
                inactivity_scores: VariableList<u64, P::ValidatorRegistryLimit>,
                [Gloas..]
                inactivity_scores: ProgressiveList<u64>,
                [Altair..] {
                    current_sync_committee: SyncCommittee<P>,
                    next_sync_committee: SyncCommittee<P>,
                }
                [Bellatrix..Gloas] latest_execution_payload_header: ExecutionPayloadHeader<P>,
                [Gloas..]
                /// The block hash of the latest execution payload delivered (Gloas, EIP-7732).
                latest_block_hash: Hash32,
                [Capella..] {
                    next_withdrawal_index: WithdrawalIndex,
                    next_withdrawal_validator_index: ValidatorIndex,
                    historical_summaries: VariableList<HistoricalSummary, P::HistoricalRootsLimit>,
                }
                [Electra..] {
                    deposit_requests_start_index: u64,
                    deposit_balance_to_consume: Gwei,
                    exit_balance_to_consume: Gwei,
                    earliest_exit_epoch: Epoch,
                    consolidation_balance_to_consume: Gwei,
                    earliest_consolidation_epoch: Epoch,
                }
                [Electra..Gloas] {
                    pending_deposits: VariableList<PendingDeposit, P::PendingDepositsLimit>,
                    pending_partial_withdrawals:
                        VariableList<PendingPartialWithdrawal, P::PendingPartialWithdrawalsLimit>,
                    pending_consolidations:
                        VariableList<PendingConsolidation, P::PendingConsolidationsLimit>,
                }
                [Gloas..] {
                    pending_deposits: ProgressiveList<PendingDeposit>,
                    pending_partial_withdrawals: ProgressiveList<PendingPartialWithdrawal>,
                    pending_consolidations: ProgressiveList<PendingConsolidation>,
                }
                [Fulu..]
                /// Proposer indices for the current and next `MIN_SEED_LOOKAHEAD` epochs, one per
                /// slot (EIP-7917).
                proposer_lookahead: FixedVector<ValidatorIndex, P::ProposerLookaheadSlots>,
                [Gloas..] {
                    builders: ProgressiveList<Builder>,
                    next_withdrawal_builder_index: BuilderIndex,
                    /// One bit per slot of the last `SLOTS_PER_HISTORICAL_ROOT`: was its
                    /// payload delivered.
                    execution_payload_availability: BitVector<P::SlotsPerHistoricalRoot>,
                    builder_pending_payments:
                        FixedVector<BuilderPendingPayment, P::BuilderPendingPaymentsLength>,
                    builder_pending_withdrawals: ProgressiveList<BuilderPendingWithdrawal>,
                    latest_execution_payload_bid: ExecutionPayloadBid,
                    payload_expected_withdrawals: ProgressiveList<Withdrawal>,
                    ptc_window: FixedVector<FixedVector<ValidatorIndex, P::PtcSize>, P::PtcWindowLength>,
                }
            }
        }
    };
}
pub(crate) use containers;
