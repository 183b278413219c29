//! The hashing primitives under every root the project computes: SHA-256 of node pairs in batched
//! kernels ([`sha256`]), binary-tree reduction over zero-padded subtrees ([`tree`]) and the
//! progressive tree shape of EIP-7916/EIP-7495 ([`progressive`]).
//!
//! They know nothing of beacon-chain types, so both the typed containers (`crate::types`) and
//! the byte-level merkleizer (`crate::merkle`, which re-exports these modules) build on them
//! without depending on each other in both directions.

pub mod progressive;
pub mod sha256;
pub mod tree;
