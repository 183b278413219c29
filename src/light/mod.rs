//! Light-client verification: sync-committee BLS signatures and Merkle branches, as the
//! consensus specs' light-client sync protocol defines them (altair `sync-protocol.md` and its
//! capella, deneb, electra and gloas changes).
//!
//! This is what the client rebuilds trust with (`crate::longrange::rebuild`) once its stored
//! anchor is older than the weak-subjectivity period (DESIGN.md, "Long-range modes", `light`): starting from a sync
//! committee it already trusts, each `LightClientUpdate` proves the next committee and a newer
//! finalized header with a 2/3-style aggregate signature plus Merkle branches, so no provider has
//! to be believed.

pub mod bench;
pub mod bls;
pub mod branch;
pub mod error;
pub mod fork_digest;
pub mod gloas;
pub mod input;
pub mod sync_protocol;
pub mod verifier;
