//! The deterministic chain generator (in progress: the containers it builds are landing in
//! `crate::types`).

use std::fmt;

/// What chain to generate.
#[derive(Clone, Debug)]
pub struct ChainOptions {
    /// Registry size.
    pub validators: u64,
    /// Number of slots after genesis.
    pub slots: u64,
    /// `mainnet` or `minimal`.
    pub preset: String,
    /// Fork of every epoch (all forks at epoch 0 on the devnet's own config).
    pub fork: String,
    /// Seed of every deterministic choice (keys, empty slots, roots of unserved states).
    pub seed: u64,
    /// Unix time of genesis, seconds; `None` = now minus the chain's length.
    pub genesis_time: Option<u64>,
    /// Share of empty slots, percent.
    pub empty_slot_percent: u32,
}

impl Default for ChainOptions {
    fn default() -> Self {
        ChainOptions {
            validators: 2048,
            slots: 256,
            preset: "minimal".into(),
            fork: "fulu".into(),
            seed: 1,
            genesis_time: None,
            empty_slot_percent: 5,
        }
    }
}

/// Why a chain could not be generated.
#[derive(Debug)]
pub enum ChainError {
    /// An option is out of range.
    BadOption {
        name: &'static str,
        expected: String,
        got: String,
    },
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainError::BadOption {
                name,
                expected,
                got,
            } => {
                write!(f, "--{name}: expected {expected}, got {got}")
            }
        }
    }
}

impl std::error::Error for ChainError {}

/// Generates the chain described by `opts`.
pub fn generate(opts: &ChainOptions) -> Result<super::data::ChainData, ChainError> {
    Err(ChainError::BadOption {
        name: "replay",
        expected: "replay mode while the generator is being written".into(),
        got: format!("{opts:?}"),
    })
}
