//! beacon-lightsync: a trusted, persistent view of the Ethereum beacon chain for the browser.
//!
//! The crate is a pure-Rust core with thin platform edges. `types`, `merkle`, `ws`, `checkpoint`,
//! `backfill`, `light` (verification only) and `longrange` (the overseer, the light rebuild,
//! following) are plain Rust and are tested natively with `cargo test`; only `js`, the wasm half
//! of `beacon_api` and the IndexedDB half of `store` touch browser APIs. Every flow runs with one
//! run context (`ctx::Ctx`, `ctx::Env`) and reports one `event::Event`.
//! The native-only `devnet` (a local Beacon API) and `cli` back the `lightsync` binary.

// The fork tables expand the 46-field Gloas `BeaconState` one field per macro step.
#![recursion_limit = "256"]

pub mod backfill;
pub mod beacon_api;
pub mod checkpoint;
pub mod config;
pub mod ctx;
pub mod event;
pub mod execution;
pub mod hash;
pub mod light;
pub mod longrange;
pub mod merkle;
pub mod network;
pub mod options;
pub mod policy;
pub mod ssz_io;
pub mod store;
pub mod types;
pub mod warning;
pub mod ws;

#[cfg(target_arch = "wasm32")]
pub mod js;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
#[cfg(not(target_arch = "wasm32"))]
pub mod devnet;
