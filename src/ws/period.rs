//! `compute_weak_subjectivity_period` in its three spec versions, and the staleness check.

use super::{WsCheckpoint, WsError};
use crate::config::NetworkConfig;
use crate::types::PresetName;

/// `ETH_TO_GWEI` from phase0 weak-subjectivity.md: the phase0 formula works in whole Ether so that
/// its products stay inside `uint64`.
pub const ETH_TO_GWEI: u64 = 1_000_000_000;

/// The configuration and preset values the weak-subjectivity formulas read.
///
/// Names and units are the spec's. Values for a network come from its config and preset
/// (`WsConfig::MAINNET` holds mainnet's; a test checks them against the consensus-specs files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WsConfig {
    /// `SAFETY_DECAY`: the tolerated loss, in percent, of the one-third FFG safety margin.
    pub safety_decay: u64,
    /// `MIN_VALIDATOR_WITHDRAWABILITY_DELAY`, in epochs: the floor of every period.
    pub min_validator_withdrawability_delay: u64,
    /// `MAX_EFFECTIVE_BALANCE` (phase0 preset), in Gwei. The phase0 formula's `T`.
    pub max_effective_balance: u64,
    /// `EFFECTIVE_BALANCE_INCREMENT`, in Gwei: churn limits are rounded down to it and
    /// `get_total_active_balance` never returns less.
    pub effective_balance_increment: u64,
    /// `MAX_DEPOSITS` per block. With `SLOTS_PER_EPOCH` it bounds balance top-ups per epoch.
    pub max_deposits: u64,
    /// `SLOTS_PER_EPOCH`.
    pub slots_per_epoch: u64,
    /// `MIN_PER_EPOCH_CHURN_LIMIT`, in validators (phase0 churn).
    pub min_per_epoch_churn_limit: u64,
    /// `CHURN_LIMIT_QUOTIENT` (phase0 and Electra churn).
    pub churn_limit_quotient: u64,
    /// `MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA`, in Gwei (Electra and Gloas balance churn).
    pub min_per_epoch_churn_limit_electra: u64,
    /// `CHURN_LIMIT_QUOTIENT_GLOAS` (Gloas activation and exit churn).
    pub churn_limit_quotient_gloas: u64,
    /// `CONSOLIDATION_CHURN_LIMIT_QUOTIENT` (Gloas consolidation churn).
    pub consolidation_churn_limit_quotient: u64,
    /// `MAX_PER_EPOCH_ACTIVATION_CHURN_LIMIT_GLOAS`, in Gwei (Gloas activation churn cap).
    pub max_per_epoch_activation_churn_limit_gloas: u64,
}

impl WsConfig {
    /// Mainnet's values (consensus-specs `configs/mainnet.yaml`, `presets/mainnet`, and
    /// `SAFETY_DECAY` from phase0 weak-subjectivity.md). Every public network shares them today.
    pub const MAINNET: WsConfig = WsConfig {
        safety_decay: 10,
        min_validator_withdrawability_delay: 256,
        max_effective_balance: 32 * ETH_TO_GWEI,
        effective_balance_increment: ETH_TO_GWEI,
        max_deposits: 16,
        slots_per_epoch: 32,
        min_per_epoch_churn_limit: 4,
        churn_limit_quotient: 65_536,
        min_per_epoch_churn_limit_electra: 128 * ETH_TO_GWEI,
        churn_limit_quotient_gloas: 32_768,
        consolidation_churn_limit_quotient: 65_536,
        max_per_epoch_activation_churn_limit_gloas: 256 * ETH_TO_GWEI,
    };
}

impl WsConfig {
    /// The values of a network: churn and withdrawability (Gloas's too) from its config,
    /// balance and deposit bounds from its preset.
    pub fn for_network(config: &NetworkConfig) -> WsConfig {
        use crate::types::preset::{Mainnet, Minimal, Preset};
        use typenum::Unsigned;
        let (max_effective_balance, increment, max_deposits) = match config.preset {
            PresetName::Mainnet => (
                Mainnet::MAX_EFFECTIVE_BALANCE,
                Mainnet::EFFECTIVE_BALANCE_INCREMENT,
                <Mainnet as Preset>::MaxDeposits::U64,
            ),
            PresetName::Minimal => (
                Minimal::MAX_EFFECTIVE_BALANCE,
                Minimal::EFFECTIVE_BALANCE_INCREMENT,
                <Minimal as Preset>::MaxDeposits::U64,
            ),
        };
        WsConfig {
            safety_decay: WsConfig::MAINNET.safety_decay,
            min_validator_withdrawability_delay: config.min_validator_withdrawability_delay,
            max_effective_balance,
            effective_balance_increment: increment,
            max_deposits,
            slots_per_epoch: config.slots_per_epoch(),
            min_per_epoch_churn_limit: config.min_per_epoch_churn_limit,
            churn_limit_quotient: config.churn_limit_quotient,
            min_per_epoch_churn_limit_electra: config.min_per_epoch_churn_limit_electra,
            churn_limit_quotient_gloas: config.gloas_churn.churn_limit_quotient,
            consolidation_churn_limit_quotient: config
                .gloas_churn
                .consolidation_churn_limit_quotient,
            max_per_epoch_activation_churn_limit_gloas: config
                .gloas_churn
                .max_per_epoch_activation_churn_limit,
        }
    }
}

/// Which version of `compute_weak_subjectivity_period` applies to a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WsFormula {
    /// phase0 weak-subjectivity.md; unchanged through Altair, Bellatrix, Capella and Deneb.
    /// Depends on the active validator count and their average balance.
    Phase0,
    /// electra weak-subjectivity.md; also Fulu. Depends only on the total active balance, through
    /// `get_balance_churn_limit` (EIP-7251 made churn balance-based).
    Electra,
    /// gloas weak-subjectivity.md: weighted exit, activation and consolidation churn (EIP-8061).
    Gloas,
}

impl WsFormula {
    /// The formula for a fork, by its lower-case spec name (the `Eth-Consensus-Version` value).
    pub fn for_fork(name: &str) -> Result<WsFormula, WsError> {
        match name {
            "phase0" | "altair" | "bellatrix" | "capella" | "deneb" => Ok(WsFormula::Phase0),
            "electra" | "fulu" => Ok(WsFormula::Electra),
            "gloas" => Ok(WsFormula::Gloas),
            other => Err(WsError::UnknownFork {
                got: other.to_string(),
            }),
        }
    }
}

/// What `compute_weak_subjectivity_period` reads from a state, extracted by the caller so that
/// the maths does not depend on a state type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WsInputs {
    /// The formula of the state's fork (see [`WsFormula::for_fork`]).
    pub fork: WsFormula,
    /// `get_total_active_balance(state)`, in Gwei: the sum of the effective balances of the
    /// validators active in the state's current epoch. A raw sum below
    /// `EFFECTIVE_BALANCE_INCREMENT` is raised to it, as the spec function does.
    pub total_active_balance: u64,
    /// `len(get_active_validator_indices(state, get_current_epoch(state)))`.
    pub active_validator_count: u64,
    /// The network's constants.
    pub config: WsConfig,
}

impl WsInputs {
    fn total_active_balance(&self) -> u64 {
        self.total_active_balance
            .max(self.config.effective_balance_increment)
    }
}

/// `get_validator_churn_limit` (phase0), in validators per epoch.
pub fn get_validator_churn_limit(
    active_validator_count: u64,
    config: &WsConfig,
) -> Result<u64, WsError> {
    let quotient = divisor(config.churn_limit_quotient, "CHURN_LIMIT_QUOTIENT")?;
    Ok(config
        .min_per_epoch_churn_limit
        .max(active_validator_count / quotient))
}

/// `value`, which the caller divides by; [`WsError::ZeroDenominator`] naming `term` when it is 0.
fn divisor<T: PartialEq + Default>(value: T, term: &'static str) -> Result<T, WsError> {
    if value == T::default() {
        return Err(WsError::ZeroDenominator { term });
    }
    Ok(value)
}

/// `get_balance_churn_limit` (Electra), in Gwei per epoch: `max(MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA,
/// total_active_balance // CHURN_LIMIT_QUOTIENT)` rounded down to `EFFECTIVE_BALANCE_INCREMENT`.
pub fn get_balance_churn_limit(
    total_active_balance: u64,
    config: &WsConfig,
) -> Result<u64, WsError> {
    churn_limit(
        total_active_balance,
        (config.churn_limit_quotient, "CHURN_LIMIT_QUOTIENT"),
        config,
    )
}

/// `max(MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA, total_active_balance // quotient)` rounded down to
/// `EFFECTIVE_BALANCE_INCREMENT`: the churn of Electra's balance churn limit and of Gloas's exit
/// churn limit, which differ only in the quotient (`term` names it in the error).
fn churn_limit(
    total_active_balance: u64,
    (quotient, term): (u64, &'static str),
    config: &WsConfig,
) -> Result<u64, WsError> {
    let churn = config
        .min_per_epoch_churn_limit_electra
        .max(total_active_balance / divisor(quotient, term)?);
    round_down_to_increment(churn, config)
}

fn round_down_to_increment(churn: u64, config: &WsConfig) -> Result<u64, WsError> {
    let increment = divisor(
        config.effective_balance_increment,
        "EFFECTIVE_BALANCE_INCREMENT",
    )?;
    Ok(churn - churn % increment)
}

/// `get_activation_churn_limit` (Gloas), in Gwei per epoch.
fn get_activation_churn_limit(
    total_active_balance: u64,
    config: &WsConfig,
) -> Result<u64, WsError> {
    Ok(config
        .max_per_epoch_activation_churn_limit_gloas
        .min(get_exit_churn_limit(total_active_balance, config)?))
}

/// `get_exit_churn_limit` (Gloas), in Gwei per epoch.
fn get_exit_churn_limit(total_active_balance: u64, config: &WsConfig) -> Result<u64, WsError> {
    churn_limit(
        total_active_balance,
        (
            config.churn_limit_quotient_gloas,
            "CHURN_LIMIT_QUOTIENT_GLOAS",
        ),
        config,
    )
}

/// `get_consolidation_churn_limit` as modified in Gloas, in Gwei per epoch.
fn get_consolidation_churn_limit_gloas(
    total_active_balance: u64,
    config: &WsConfig,
) -> Result<u64, WsError> {
    let quotient = divisor(
        config.consolidation_churn_limit_quotient,
        "CONSOLIDATION_CHURN_LIMIT_QUOTIENT",
    )?;
    round_down_to_increment(total_active_balance / quotient, config)
}

fn to_u64(value: u128, what: &'static str) -> Result<u64, WsError> {
    u64::try_from(value).map_err(|_| WsError::Overflow { what })
}

/// `compute_weak_subjectivity_period(state)`, in epochs, with the formula of `inputs.fork`.
///
/// Intermediate products are computed in 128 bits, so no input a `uint64` state can hold
/// overflows where the spec's `uint64` arithmetic would; only a result above `u64::MAX` is an error.
pub fn compute_weak_subjectivity_period(inputs: &WsInputs) -> Result<u64, WsError> {
    match inputs.fork {
        WsFormula::Phase0 => phase0_period(inputs),
        WsFormula::Electra => {
            let t = inputs.total_active_balance();
            let delta = get_balance_churn_limit(t, &inputs.config)?;
            balance_churn_period(t, delta, &inputs.config)
        }
        WsFormula::Gloas => {
            let t = inputs.total_active_balance();
            let c = &inputs.config;
            let exit = u128::from(get_exit_churn_limit(t, c)?);
            let activation = u128::from(get_activation_churn_limit(t, c)?);
            let consolidation = u128::from(get_consolidation_churn_limit_gloas(t, c)?);
            let delta = to_u64(
                2 * exit / 3 + activation / 3 + consolidation,
                "Gloas churn delta",
            )?;
            balance_churn_period(t, delta, c)
        }
    }
}

/// The Electra/Gloas shape: `MIN_VALIDATOR_WITHDRAWABILITY_DELAY + SAFETY_DECAY * t // (2 * delta * 100)`.
fn balance_churn_period(t: u64, delta: u64, config: &WsConfig) -> Result<u64, WsError> {
    divisor(delta, "balance churn limit")?;
    let epochs_for_validator_set_churn =
        u128::from(config.safety_decay) * u128::from(t) / (2 * u128::from(delta) * 100);
    let total =
        u128::from(config.min_validator_withdrawability_delay) + epochs_for_validator_set_churn;
    to_u64(total, "weak subjectivity period")
}

fn phase0_period(inputs: &WsInputs) -> Result<u64, WsError> {
    let config = &inputs.config;
    let n = u128::from(inputs.active_validator_count);
    if n == 0 {
        return Err(WsError::NoActiveValidators);
    }
    let t = u128::from(inputs.total_active_balance()) / n / u128::from(ETH_TO_GWEI);
    let cap = u128::from(config.max_effective_balance / ETH_TO_GWEI);
    let delta = u128::from(get_validator_churn_limit(
        inputs.active_validator_count,
        config,
    )?);
    let top_ups = u128::from(config.max_deposits) * u128::from(config.slots_per_epoch);
    let d = u128::from(config.safety_decay);

    let mut ws_period = u128::from(config.min_validator_withdrawability_delay);
    if t * (200 + 12 * d) > cap * (200 + 3 * d) {
        let churn_denominator = divisor(600 * delta * (2 * t + cap), "validator churn limit")?;
        divisor(top_ups, "MAX_DEPOSITS * SLOTS_PER_EPOCH")?;
        let epochs_for_validator_set_churn =
            n * (t * (200 + 12 * d) - cap * (200 + 3 * d)) / churn_denominator;
        let epochs_for_balance_top_ups = n * (200 + 3 * d) / (600 * top_ups);
        ws_period += epochs_for_validator_set_churn.max(epochs_for_balance_top_ups);
    } else {
        // Here t < T unless SAFETY_DECAY is 0, in which case T - t can be 0.
        let denominator = divisor(
            200 * top_ups * cap.saturating_sub(t),
            "200 * Delta * (T - t)",
        )?;
        ws_period += 3 * n * d * t / denominator;
    }
    to_u64(ws_period, "weak subjectivity period")
}

/// The spec's second assert of `is_within_weak_subjectivity_period`, for the caller that holds the
/// state: `get_block_root(ws_state, ws_checkpoint.epoch) == ws_checkpoint.root`.
///
/// `state_block_root_at_checkpoint_epoch` is the state's block root at the first slot of the
/// checkpoint epoch (from `block_roots`, or from `latest_block_header` with its state root filled
/// in when the state sits at that very slot, where `get_block_root` itself cannot answer).
pub fn verify_ws_state_block_root(
    state_block_root_at_checkpoint_epoch: &[u8; 32],
    ws_checkpoint: &WsCheckpoint,
) -> Result<(), WsError> {
    if state_block_root_at_checkpoint_epoch != &ws_checkpoint.root {
        return Err(WsError::CheckpointRootMismatch {
            expected: ws_checkpoint.root,
            got: *state_block_root_at_checkpoint_epoch,
        });
    }
    Ok(())
}

/// `is_within_weak_subjectivity_period`: whether `current_epoch <= ws_state_epoch + ws_period`.
///
/// `ws_state_epoch` is `compute_epoch_at_slot(ws_state.slot)`; the spec's assert that it equals
/// the checkpoint's epoch is a [`WsError::CheckpointEpochMismatch`]. The root assert needs the
/// state itself and is [`verify_ws_state_block_root`]. `ws_period` comes from
/// [`compute_weak_subjectivity_period`] (or from the stored anchor), `current_epoch` from
/// [`ChainClock::current_epoch`](super::ChainClock::current_epoch). All in epochs.
pub fn is_within_weak_subjectivity_period(
    current_epoch: u64,
    ws_state_epoch: u64,
    ws_checkpoint: &WsCheckpoint,
    ws_period: u64,
) -> Result<bool, WsError> {
    if ws_state_epoch != ws_checkpoint.epoch {
        return Err(WsError::CheckpointEpochMismatch {
            expected: ws_checkpoint.epoch,
            got: ws_state_epoch,
        });
    }
    // The spec's uint64 sum would raise on overflow; a period reaching past u64::MAX epochs
    // covers every representable current epoch, so saturating gives the same answer.
    Ok(current_epoch <= ws_state_epoch.saturating_add(ws_period))
}
