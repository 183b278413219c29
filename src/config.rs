//! Network configurations: genesis, fork schedule and the run-time constants the sync needs.
//!
//! A network is a preset (fixed at compile time, see [`crate::types::preset`]) plus a config:
//! when each fork activates and with which version, when genesis was, and churn parameters for
//! the weak-subjectivity maths. The built-in networks copy the eth-clients `config.yaml` values;
//! a test reads those files and compares. Custom networks come from [`NetworkConfig::from_config_yaml`].

mod blob_schedule;
pub use blob_schedule::{BlobParameters, BlobSchedule};

use std::collections::BTreeMap;
use std::fmt;

use tree_hash::TreeHash;

use crate::types::phase0::{ForkData, SigningData};
use crate::types::{
    Domain, DomainType, Epoch, ForkName, Hash256, PresetName, Slot, TypesError, Version,
    FAR_FUTURE_EPOCH,
};

/// One scheduled fork: the version it signs with and the epoch it activates at
/// (`FAR_FUTURE_EPOCH` = not scheduled).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForkSchedule {
    pub version: Version,
    pub epoch: Epoch,
}

impl ForkSchedule {
    /// A fork the config does not mention: version zero (never matched by
    /// [`NetworkConfig::fork_for_version`]) at `FAR_FUTURE_EPOCH`.
    pub const UNSCHEDULED: ForkSchedule = ForkSchedule {
        version: Version::ZERO,
        epoch: FAR_FUTURE_EPOCH,
    };
}

/// A network's consensus configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkConfig {
    /// `CONFIG_NAME` (e.g. "mainnet").
    pub name: String,
    /// `PRESET_BASE`.
    pub preset: PresetName,
    /// The beacon chain's genesis time (Unix seconds): `eth1 timestamp + GENESIS_DELAY` of the
    /// block that triggered genesis, which equals `MIN_GENESIS_TIME + GENESIS_DELAY` only for
    /// networks started at their minimum time (not mainnet: 1606824023).
    pub genesis_time: u64,
    /// `genesis_validators_root` of the genesis state: part of every signing domain.
    pub genesis_validators_root: Hash256,
    /// Seconds per slot (`SECONDS_PER_SLOT`, or `SLOT_DURATION_MS / 1000`).
    pub seconds_per_slot: u64,
    /// `GENESIS_FORK_VERSION` (phase0's version; phase0 starts at epoch 0).
    pub genesis_fork_version: Version,
    /// Altair..Gloas schedule, indexed by `ForkName as usize - 1`. A fork the config does not
    /// mention has version zero and epoch `FAR_FUTURE_EPOCH` ([`ForkSchedule::UNSCHEDULED`]).
    pub forks: [ForkSchedule; 7],
    /// `MIN_PER_EPOCH_CHURN_LIMIT` (validators per epoch).
    pub min_per_epoch_churn_limit: u64,
    /// `CHURN_LIMIT_QUOTIENT`.
    pub churn_limit_quotient: u64,
    /// `MAX_PER_EPOCH_ACTIVATION_CHURN_LIMIT` (validators per epoch, Deneb).
    pub max_per_epoch_activation_churn_limit: u64,
    /// `MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA` (Gwei per epoch).
    pub min_per_epoch_churn_limit_electra: u64,
    /// `MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT` (Gwei per epoch).
    pub max_per_epoch_activation_exit_churn_limit: u64,
    /// `MIN_VALIDATOR_WITHDRAWABILITY_DELAY` (epochs).
    pub min_validator_withdrawability_delay: u64,
    /// `MIN_EPOCHS_FOR_BLOCK_REQUESTS` (epochs): how far back peers must serve blocks.
    pub min_epochs_for_block_requests: u64,
    /// `BLOB_SCHEDULE` and `MAX_BLOBS_PER_BLOCK_ELECTRA`: Fulu fork digests depend on them.
    pub blob_schedule: BlobSchedule,
    /// The Gloas churn constants (EIP-8061) that weak subjectivity reads.
    pub gloas_churn: GloasChurn,
}

/// The Gloas churn constants of a config (consensus-specs `configs/*.yaml`, EIP-8061). A config
/// that predates Gloas leaves them out; they then take the value of the preset's base config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GloasChurn {
    /// `CHURN_LIMIT_QUOTIENT_GLOAS`.
    pub churn_limit_quotient: u64,
    /// `CONSOLIDATION_CHURN_LIMIT_QUOTIENT`.
    pub consolidation_churn_limit_quotient: u64,
    /// `MAX_PER_EPOCH_ACTIVATION_CHURN_LIMIT_GLOAS`, in Gwei.
    pub max_per_epoch_activation_churn_limit: u64,
}

impl GloasChurn {
    /// The values of the preset's base config (`configs/mainnet.yaml`, `configs/minimal.yaml`).
    pub const fn of_preset(preset: PresetName) -> GloasChurn {
        match preset {
            PresetName::Mainnet => GloasChurn {
                churn_limit_quotient: 32_768,
                consolidation_churn_limit_quotient: 65_536,
                max_per_epoch_activation_churn_limit: 256_000_000_000,
            },
            PresetName::Minimal => GloasChurn {
                churn_limit_quotient: 16,
                consolidation_churn_limit_quotient: 32,
                max_per_epoch_activation_churn_limit: 128_000_000_000,
            },
        }
    }
}

/// Errors from building or querying a network config. Retrying with the same input will not
/// help; the caller must fix the config (or pick a known network).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// `by_name` with a name that is not built in.
    UnknownNetwork { got: String },
    /// The config text is not YAML.
    Yaml { reason: String },
    /// A key appears twice (YAML leaves the meaning open; clients differ on which wins).
    DuplicateKey {
        key: String,
        /// 1-based line of the first occurrence.
        first_line: usize,
        /// 1-based line of the second occurrence.
        second_line: usize,
    },
    /// A required key is missing.
    MissingKey { key: &'static str },
    /// A key has a value of the wrong form.
    BadValue {
        key: String,
        expected: &'static str,
        got: String,
    },
    /// The genesis validators root was given neither separately nor in the config.
    MissingGenesisValidatorsRoot,
    /// Fork epochs that go backwards.
    UnorderedForks { earlier: ForkName, later: ForkName },
    /// A type error (unknown preset, fork version).
    Types(TypesError),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::UnknownNetwork { got } => write!(
                f,
                "unknown network: expected mainnet, sepolia, hoodi or holesky, got {got:?}"
            ),
            ConfigError::Yaml { reason } => write!(f, "invalid config: expected YAML, got {reason}"),
            ConfigError::DuplicateKey {
                key,
                first_line,
                second_line,
            } => write!(
                f,
                "invalid config: expected each key once, got {key} on line {first_line} and again on line {second_line}"
            ),
            ConfigError::MissingKey { key } => write!(f, "invalid config: expected key {key}, got none"),
            ConfigError::BadValue { key, expected, got } => {
                write!(f, "invalid config value for {key}: expected {expected}, got {got:?}")
            }
            ConfigError::MissingGenesisValidatorsRoot => write!(
                f,
                "invalid config: expected a genesis validators root (argument or GENESIS_VALIDATORS_ROOT), got none"
            ),
            ConfigError::UnorderedForks { earlier, later } => write!(
                f,
                "invalid config: expected {earlier} to activate no later than {later}, got the reverse"
            ),
            ConfigError::Types(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ConfigError {}

impl From<TypesError> for ConfigError {
    fn from(e: TypesError) -> Self {
        ConfigError::Types(e)
    }
}

fn v(bytes: [u8; 4]) -> Version {
    Version::from(bytes)
}

fn root(hex_str: &str) -> Hash256 {
    hex_str.parse().expect("built-in root literal is valid hex")
}

/// Mainnet genesis validators root (also in the genesis state fixture and helios' README).
const MAINNET_GVR: &str = "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95";
const SEPOLIA_GVR: &str = "0xd8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078";
const HOLESKY_GVR: &str = "0x9143aa7c615a7f7115e2b6aac319c03529df8242ae705fba9df39b79c59fa8b1";
const HOODI_GVR: &str = "0x212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f";

/// Churn and request constants shared by every built-in network (identical in their configs).
fn with_common_constants(
    name: &str,
    genesis_time: u64,
    gvr: &str,
    genesis: Version,
    forks: [ForkSchedule; 7],
) -> NetworkConfig {
    NetworkConfig {
        name: name.to_string(),
        preset: PresetName::Mainnet,
        genesis_time,
        genesis_validators_root: root(gvr),
        seconds_per_slot: 12,
        genesis_fork_version: genesis,
        forks,
        min_per_epoch_churn_limit: 4,
        churn_limit_quotient: 65536,
        max_per_epoch_activation_churn_limit: 8,
        min_per_epoch_churn_limit_electra: 128_000_000_000,
        max_per_epoch_activation_exit_churn_limit: 256_000_000_000,
        min_validator_withdrawability_delay: 256,
        min_epochs_for_block_requests: 33024,
        blob_schedule: BlobSchedule::for_network(name),
        gloas_churn: GloasChurn::of_preset(PresetName::Mainnet),
    }
}

fn fs(version: [u8; 4], epoch: Epoch) -> ForkSchedule {
    ForkSchedule {
        version: v(version),
        epoch,
    }
}

impl NetworkConfig {
    /// Names accepted by [`NetworkConfig::by_name`].
    pub const BUILT_IN: [&'static str; 4] = ["mainnet", "sepolia", "hoodi", "holesky"];

    /// Ethereum mainnet (fork schedule through Fulu at epoch 411392).
    pub fn mainnet() -> Self {
        with_common_constants(
            "mainnet",
            1_606_824_023,
            MAINNET_GVR,
            v([0, 0, 0, 0]),
            [
                fs([1, 0, 0, 0], 74240),
                fs([2, 0, 0, 0], 144896),
                fs([3, 0, 0, 0], 194048),
                fs([4, 0, 0, 0], 269568),
                fs([5, 0, 0, 0], 364032),
                fs([6, 0, 0, 0], 411392),
                fs([7, 0, 0, 0], FAR_FUTURE_EPOCH),
            ],
        )
    }

    /// Sepolia testnet. The eth-clients snapshot in the fixtures predates Fulu; Fulu's version
    /// and epoch (0x90000075 at 272640) are the published schedule every client ships.
    pub fn sepolia() -> Self {
        with_common_constants(
            "sepolia",
            1_655_733_600,
            SEPOLIA_GVR,
            v([0x90, 0, 0, 0x69]),
            [
                fs([0x90, 0, 0, 0x70], 50),
                fs([0x90, 0, 0, 0x71], 100),
                fs([0x90, 0, 0, 0x72], 56832),
                fs([0x90, 0, 0, 0x73], 132608),
                fs([0x90, 0, 0, 0x74], 222464),
                fs([0x90, 0, 0, 0x75], 272640),
                ForkSchedule::UNSCHEDULED,
            ],
        )
    }

    /// Holesky testnet.
    pub fn holesky() -> Self {
        with_common_constants(
            "holesky",
            1_695_902_400,
            HOLESKY_GVR,
            v([1, 1, 0x70, 0]),
            [
                fs([2, 1, 0x70, 0], 0),
                fs([3, 1, 0x70, 0], 0),
                fs([4, 1, 0x70, 0], 256),
                fs([5, 1, 0x70, 0], 29696),
                fs([6, 1, 0x70, 0], 115968),
                fs([7, 1, 0x70, 0], 165120),
                ForkSchedule::UNSCHEDULED,
            ],
        )
    }

    /// Hoodi testnet. The eth-clients snapshot in the fixtures leaves Fulu unscheduled; Fulu
    /// activated at epoch 50688 (the published schedule every client ships).
    pub fn hoodi() -> Self {
        with_common_constants(
            "hoodi",
            1_742_213_400,
            HOODI_GVR,
            v([0x10, 0, 0x09, 0x10]),
            [
                fs([0x20, 0, 0x09, 0x10], 0),
                fs([0x30, 0, 0x09, 0x10], 0),
                fs([0x40, 0, 0x09, 0x10], 0),
                fs([0x50, 0, 0x09, 0x10], 0),
                fs([0x60, 0, 0x09, 0x10], 2048),
                fs([0x70, 0, 0x09, 0x10], 50688),
                ForkSchedule::UNSCHEDULED,
            ],
        )
    }

    /// A built-in network by name (`mainnet`, `sepolia`, `hoodi`, `holesky`).
    pub fn by_name(name: &str) -> Result<Self, ConfigError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "mainnet" => Ok(Self::mainnet()),
            "sepolia" => Ok(Self::sepolia()),
            "hoodi" => Ok(Self::hoodi()),
            "holesky" => Ok(Self::holesky()),
            _ => Err(ConfigError::UnknownNetwork {
                got: name.to_string(),
            }),
        }
    }

    /// Reads a consensus-layer `config.yaml` for use without any Beacon API to ask (a test, a
    /// local file offline). The genesis validators root comes from the argument, else from a
    /// `GENESIS_VALIDATORS_ROOT` key; the genesis time from a `GENESIS_TIME` key, else
    /// `MIN_GENESIS_TIME + GENESIS_DELAY`, which is only a lower bound (real networks started
    /// later: mainnet at 1606824023, not 1606824000). Where a provider can be asked,
    /// [`crate::network::resolve`] takes both from its `/eth/v1/beacon/genesis` instead.
    /// Forks missing from the config are unscheduled (`FAR_FUTURE_EPOCH`).
    pub fn from_config_yaml(
        text: &str,
        genesis_validators_root: Option<Hash256>,
    ) -> Result<Self, ConfigError> {
        ConfigFile::parse_yaml(text)?.complete_offline(genesis_validators_root)
    }

    /// Replaces the genesis time (Unix seconds), for configs whose genesis was not at
    /// `MIN_GENESIS_TIME + GENESIS_DELAY`.
    pub fn with_genesis_time(mut self, genesis_time: u64) -> Self {
        self.genesis_time = genesis_time;
        self
    }

    /// Slots per epoch of this network's preset.
    pub fn slots_per_epoch(&self) -> u64 {
        use crate::types::Preset;
        match self.preset {
            PresetName::Mainnet => crate::types::Mainnet::SLOTS_PER_EPOCH,
            PresetName::Minimal => crate::types::Minimal::SLOTS_PER_EPOCH,
        }
    }

    /// Spec `compute_epoch_at_slot` for this network's preset.
    pub fn compute_epoch_at_slot(&self, slot: Slot) -> Epoch {
        slot / self.slots_per_epoch()
    }

    /// Spec `compute_start_slot_at_epoch` (saturating instead of overflowing for huge epochs).
    pub fn compute_start_slot_at_epoch(&self, epoch: Epoch) -> Slot {
        epoch.saturating_mul(self.slots_per_epoch())
    }

    /// The schedule entry of `fork` (phase0: genesis version at epoch 0).
    pub fn fork_schedule(&self, fork: ForkName) -> ForkSchedule {
        match fork {
            ForkName::Phase0 => ForkSchedule {
                version: self.genesis_fork_version,
                epoch: 0,
            },
            other => self.forks[other as usize - 1],
        }
    }

    /// The fork active at `epoch`. A fork at `FAR_FUTURE_EPOCH` is not scheduled and never
    /// active, not even at epoch `FAR_FUTURE_EPOCH` itself.
    pub fn fork_at_epoch(&self, epoch: Epoch) -> ForkName {
        ForkName::ALL
            .into_iter()
            .rev()
            .find(|f| {
                let at = self.fork_schedule(*f).epoch;
                at != FAR_FUTURE_EPOCH && at <= epoch
            })
            .unwrap_or(ForkName::Phase0)
    }

    /// The fork active at `slot`.
    pub fn fork_at_slot(&self, slot: Slot) -> ForkName {
        self.fork_at_epoch(self.compute_epoch_at_slot(slot))
    }

    /// The fork version active at `epoch` (spec `compute_fork_version`).
    pub fn fork_version_at_epoch(&self, epoch: Epoch) -> Version {
        self.fork_schedule(self.fork_at_epoch(epoch)).version
    }

    /// The fork whose version is `version`, scheduled or not (a Fulu state on a network whose
    /// config predates the Fulu date is still recognised by its version). A fork the config
    /// does not mention has version zero and never matches (mainnet's genesis version is zero).
    pub fn fork_for_version(&self, version: Version) -> Result<ForkName, TypesError> {
        ForkName::ALL
            .into_iter()
            .rev()
            .find(|f| {
                let s = self.fork_schedule(*f);
                s.version == version && (*f == ForkName::Phase0 || s.version != Version::ZERO)
            })
            .ok_or_else(|| TypesError::UnknownForkVersion {
                version,
                network: self.name.clone(),
            })
    }

    /// The fork of a `BeaconState` from its SSZ bytes: `fork.current_version` mapped through
    /// this network's versions.
    pub fn fork_of_state_ssz(&self, state_bytes: &[u8]) -> Result<ForkName, TypesError> {
        self.fork_for_version(crate::types::state_fork_version_from_ssz(state_bytes)?)
    }

    /// Spec `compute_fork_data_root(current_version, genesis_validators_root)`.
    pub fn compute_fork_data_root(&self, current_version: Version) -> Hash256 {
        compute_fork_data_root(current_version, self.genesis_validators_root)
    }

    /// Spec `compute_domain(domain_type, fork_version, genesis_validators_root)` with this
    /// network's genesis validators root.
    pub fn compute_domain(&self, domain_type: DomainType, fork_version: Version) -> Domain {
        compute_domain(domain_type, fork_version, self.genesis_validators_root)
    }

    /// Unix time (seconds) at which `slot` starts.
    pub fn slot_start_time(&self, slot: Slot) -> u64 {
        self.genesis_time
            .saturating_add(slot.saturating_mul(self.seconds_per_slot))
    }
}

/// A config as written (`config.yaml` text, `/eth/v1/config/spec` data or a JS object), before
/// its genesis is known. A config names the fork schedule and constants, but often not *when*
/// genesis was nor the genesis validators root: spec endpoints do not serve them, and
/// `MIN_GENESIS_TIME + GENESIS_DELAY` is only the earliest time genesis could have been. The
/// genesis comes from the providers' `/eth/v1/beacon/genesis` (or a state) through
/// [`crate::network::resolve`], which then calls [`ConfigFile::complete`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigFile {
    /// Everything but the genesis (whose fields hold placeholders until [`ConfigFile::complete`]).
    base: NetworkConfig,
    /// `GENESIS_TIME`, when the config has it (Unix seconds).
    pub genesis_time: Option<u64>,
    /// `GENESIS_VALIDATORS_ROOT`, when the config has it.
    pub genesis_validators_root: Option<Hash256>,
    /// `MIN_GENESIS_TIME + GENESIS_DELAY`, when both are present: the earliest possible genesis.
    pub earliest_genesis_time: Option<u64>,
}

impl ConfigFile {
    /// Reads `config.yaml` text (top-level `KEY: value` lines; a key given twice is an error).
    /// YAML text is read only where a file can be given (the command line and tests); the
    /// browser takes a config object or `/eth/v1/config/spec` ([`Self::from_spec`]), so no YAML
    /// reader reaches the wasm.
    pub fn parse_yaml(text: &str) -> Result<Self, ConfigError> {
        let raw = top_level_scalars(text)?;
        let blob_schedule = BlobSchedule::from_config_yaml(text).map_err(bad_blob_schedule)?;
        Self::from_scalars(&raw, blob_schedule)
    }

    /// The config from its scalar values (`KEY` → value as written) and its blob schedule.
    fn from_scalars(
        raw: &BTreeMap<String, String>,
        blob_schedule: BlobSchedule,
    ) -> Result<Self, ConfigError> {
        let get = |key: &'static str| raw.get(key);
        let num = |key: &'static str| -> Result<Option<u64>, ConfigError> {
            match get(key) {
                None => Ok(None),
                Some(value) => value.trim().parse::<u64>().ok().map(Some).ok_or_else(|| {
                    ConfigError::BadValue {
                        key: key.to_string(),
                        expected: "an unsigned 64-bit integer",
                        got: value.clone(),
                    }
                }),
            }
        };
        let req = |key: &'static str| num(key)?.ok_or(ConfigError::MissingKey { key });
        let version = |key: &'static str| -> Result<Option<Version>, ConfigError> {
            match get(key) {
                None => Ok(None),
                Some(value) => {
                    parse_version(value)
                        .map(Some)
                        .ok_or_else(|| ConfigError::BadValue {
                            key: key.to_string(),
                            expected: "a 4-byte 0x-hex fork version",
                            got: value.clone(),
                        })
                }
            }
        };
        let string = |key: &'static str| get(key).cloned();

        let preset = match string("PRESET_BASE") {
            Some(p) => p.parse::<PresetName>()?,
            None => return Err(ConfigError::MissingKey { key: "PRESET_BASE" }),
        };
        let name = string("CONFIG_NAME").unwrap_or_else(|| "custom".to_string());
        let genesis_time = num("GENESIS_TIME")?;
        let earliest_genesis_time = match (num("MIN_GENESIS_TIME")?, num("GENESIS_DELAY")?) {
            (Some(t), Some(d)) => t.checked_add(d),
            _ => None,
        };
        let seconds_per_slot = match (num("SECONDS_PER_SLOT")?, num("SLOT_DURATION_MS")?) {
            (Some(s), _) => s,
            (None, Some(ms)) => ms / 1000,
            (None, None) => {
                return Err(ConfigError::MissingKey {
                    key: "SECONDS_PER_SLOT",
                })
            }
        };
        let gvr = match get("GENESIS_VALIDATORS_ROOT") {
            Some(value) => Some(
                value
                    .parse::<Hash256>()
                    .map_err(|_| ConfigError::BadValue {
                        key: "GENESIS_VALIDATORS_ROOT".into(),
                        expected: "a 32-byte 0x-hex root",
                        got: value.clone(),
                    })?,
            ),
            None => None,
        };
        const FORK_KEYS: [(&str, &str); 7] = [
            ("ALTAIR_FORK_VERSION", "ALTAIR_FORK_EPOCH"),
            ("BELLATRIX_FORK_VERSION", "BELLATRIX_FORK_EPOCH"),
            ("CAPELLA_FORK_VERSION", "CAPELLA_FORK_EPOCH"),
            ("DENEB_FORK_VERSION", "DENEB_FORK_EPOCH"),
            ("ELECTRA_FORK_VERSION", "ELECTRA_FORK_EPOCH"),
            ("FULU_FORK_VERSION", "FULU_FORK_EPOCH"),
            ("GLOAS_FORK_VERSION", "GLOAS_FORK_EPOCH"),
        ];
        let genesis_fork_version =
            version("GENESIS_FORK_VERSION")?.ok_or(ConfigError::MissingKey {
                key: "GENESIS_FORK_VERSION",
            })?;
        let mut forks = [ForkSchedule::UNSCHEDULED; 7];
        for (i, (vk, ek)) in FORK_KEYS.into_iter().enumerate() {
            forks[i] = ForkSchedule {
                version: version(vk)?.unwrap_or(Version::ZERO),
                epoch: num(ek)?.unwrap_or(FAR_FUTURE_EPOCH),
            };
        }
        for i in 1..forks.len() {
            if forks[i].epoch < forks[i - 1].epoch {
                return Err(ConfigError::UnorderedForks {
                    earlier: ForkName::ALL[i],
                    later: ForkName::ALL[i + 1],
                });
            }
        }
        let base = NetworkConfig {
            name,
            preset,
            // Placeholders until `complete`: see `ConfigFile`.
            genesis_time: 0,
            genesis_validators_root: Hash256::ZERO,
            seconds_per_slot,
            genesis_fork_version,
            forks,
            min_per_epoch_churn_limit: req("MIN_PER_EPOCH_CHURN_LIMIT")?,
            churn_limit_quotient: req("CHURN_LIMIT_QUOTIENT")?,
            max_per_epoch_activation_churn_limit: req("MAX_PER_EPOCH_ACTIVATION_CHURN_LIMIT")?,
            min_per_epoch_churn_limit_electra: num("MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA")?
                .unwrap_or(128_000_000_000),
            max_per_epoch_activation_exit_churn_limit: num(
                "MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT",
            )?
            .unwrap_or(256_000_000_000),
            min_validator_withdrawability_delay: req("MIN_VALIDATOR_WITHDRAWABILITY_DELAY")?,
            // Newer spec configs drop the key: it is defined as
            // MIN_VALIDATOR_WITHDRAWABILITY_DELAY + CHURN_LIMIT_QUOTIENT // 2.
            min_epochs_for_block_requests: match num("MIN_EPOCHS_FOR_BLOCK_REQUESTS")? {
                Some(n) => n,
                None => req("MIN_VALIDATOR_WITHDRAWABILITY_DELAY")?
                    .saturating_add(req("CHURN_LIMIT_QUOTIENT")? / 2),
            },
            blob_schedule,
            gloas_churn: {
                let base = GloasChurn::of_preset(preset);
                GloasChurn {
                    churn_limit_quotient: num("CHURN_LIMIT_QUOTIENT_GLOAS")?
                        .unwrap_or(base.churn_limit_quotient),
                    consolidation_churn_limit_quotient: num("CONSOLIDATION_CHURN_LIMIT_QUOTIENT")?
                        .unwrap_or(base.consolidation_churn_limit_quotient),
                    max_per_epoch_activation_churn_limit: num(
                        "MAX_PER_EPOCH_ACTIVATION_CHURN_LIMIT_GLOAS",
                    )?
                    .unwrap_or(base.max_per_epoch_activation_churn_limit),
                }
            },
        };
        Ok(ConfigFile {
            base,
            genesis_time,
            genesis_validators_root: gvr,
            earliest_genesis_time,
        })
    }

    /// Reads a config given as key/value pairs: the `data` of `/eth/v1/config/spec`, or a JS
    /// config object with `config.yaml` keys. `BLOB_SCHEDULE` is read as a list of
    /// `{EPOCH, MAX_BLOBS_PER_BLOCK}`; other non-scalar values and keys that are not
    /// `[A-Za-z0-9_]+` are skipped.
    pub fn from_spec(
        spec: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self, ConfigError> {
        let mut raw = BTreeMap::new();
        for (key, value) in spec {
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                // An integer as written; another number as [`NumberText`] writes it.
                serde_json::Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                    (Some(u), _) => u.to_string(),
                    (_, Some(i)) => i.to_string(),
                    _ => NumberText(n.as_f64().unwrap_or(f64::NAN)).to_string(),
                },
                _ => continue,
            };
            if key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                raw.insert(key.clone(), text);
            }
        }
        if raw.is_empty() {
            return Err(ConfigError::Yaml {
                reason: "no `KEY: value` entries".into(),
            });
        }
        let blob_schedule = BlobSchedule::from_spec(spec).map_err(bad_blob_schedule)?;
        Self::from_scalars(&raw, blob_schedule)
    }

    /// `CONFIG_NAME` (or `custom`).
    pub fn name(&self) -> &str {
        &self.base.name
    }

    /// `GENESIS_FORK_VERSION`.
    pub fn genesis_fork_version(&self) -> Version {
        self.base.genesis_fork_version
    }

    /// The network, with its genesis time (Unix seconds) and genesis validators root.
    pub fn complete(self, genesis_time: u64, genesis_validators_root: Hash256) -> NetworkConfig {
        NetworkConfig {
            genesis_time,
            genesis_validators_root,
            ..self.base
        }
    }

    /// The network from the config alone (see [`NetworkConfig::from_config_yaml`]): the root
    /// from `genesis_validators_root` or the config, the time from `GENESIS_TIME` or
    /// `MIN_GENESIS_TIME + GENESIS_DELAY`.
    pub fn complete_offline(
        self,
        genesis_validators_root: Option<Hash256>,
    ) -> Result<NetworkConfig, ConfigError> {
        let gvr = genesis_validators_root
            .or(self.genesis_validators_root)
            .ok_or(ConfigError::MissingGenesisValidatorsRoot)?;
        let time =
            self.genesis_time
                .or(self.earliest_genesis_time)
                .ok_or(ConfigError::MissingKey {
                    key: "GENESIS_TIME (or MIN_GENESIS_TIME and GENESIS_DELAY)",
                })?;
        Ok(self.complete(time, gvr))
    }
}

/// A number in a message, written with integer arithmetic only, so that the wasm carries no float
/// formatter (core's is about 14 KB): a whole number as an integer (`5`, `-3`,
/// `1000000000000000000000`), a fraction with up to six decimals, trailing zeros dropped
/// (`1.5`, `0.000001`), and beyond those (10^21 and up, or a non-zero magnitude below 10^-6)
/// one digit, up to six decimals and an exponent (`1e+300`, `2.5e-7`), where JS's
/// `Number.prototype.toString` also switches to exponents; `NaN`, `Infinity`, `-Infinity`.
/// Used for a config number that is no integer (shown only in an error: no key takes a
/// fraction) and for the numbers of other messages.
pub(crate) struct NumberText(pub(crate) f64);

impl fmt::Display for NumberText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        if x.is_nan() {
            return f.write_str("NaN");
        }
        let sign = if x.is_sign_negative() && x != 0.0 {
            "-"
        } else {
            ""
        };
        if x.is_infinite() {
            return write!(f, "{sign}Infinity");
        }
        let a = x.abs();
        if a == 0.0 || (1e-6..1e21).contains(&a) {
            f.write_str(sign)?;
            return write_six_decimals(f, a).map(|_| ());
        }
        // One digit before the point: scale by tens (exact enough for a message).
        let (mut m, mut e) = (a, 0i32);
        while m >= 10.0 {
            m /= 10.0;
            e += 1;
        }
        while m < 1.0 {
            m *= 10.0;
            e -= 1;
        }
        f.write_str(sign)?;
        if write_six_decimals(f, m)? {
            // `m` rounded up to 10: one more power of ten.
            e += 1;
        }
        if e >= 0 {
            write!(f, "e+{e}")
        } else {
            write!(f, "e{e}")
        }
    }
}

/// `a` (finite, not negative, below 10^21) with up to six decimals, trailing zeros dropped;
/// `true` when a mantissa in `[1, 10)` rounded up to 10 (then written as `1`).
fn write_six_decimals(f: &mut fmt::Formatter<'_>, a: f64) -> Result<bool, fmt::Error> {
    if a.fract() == 0.0 {
        // Exact, however large (every double from 2^53 up is whole).
        write!(f, "{}", a as u128)?;
        return Ok(false);
    }
    let scaled = (a * 1e6).round() as u128;
    let (mut whole, mut frac) = (scaled / 1_000_000, (scaled % 1_000_000) as u32);
    let carried = (1.0..10.0).contains(&a) && whole == 10;
    if carried {
        (whole, frac) = (1, 0);
    }
    write!(f, "{whole}")?;
    if frac > 0 {
        let mut digits = 6;
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        write!(f, ".{frac:0digits$}")?;
    }
    Ok(carried)
}

/// A [`NetworkConfig`] from key/value pairs (see [`ConfigFile::from_spec`]) for use without a
/// provider to ask; the genesis validators root comes from `genesis_validators_root` or a
/// `GENESIS_VALIDATORS_ROOT` key, the genesis time as in [`NetworkConfig::from_config_yaml`].
pub fn network_from_spec(
    spec: &serde_json::Map<String, serde_json::Value>,
    genesis_validators_root: Option<[u8; 32]>,
) -> Result<NetworkConfig, ConfigError> {
    ConfigFile::from_spec(spec)?.complete_offline(genesis_validators_root.map(Hash256::from))
}

/// Spec `compute_fork_data_root`.
pub fn compute_fork_data_root(
    current_version: Version,
    genesis_validators_root: Hash256,
) -> Hash256 {
    ForkData {
        current_version,
        genesis_validators_root,
    }
    .tree_hash_root()
}

/// Spec `compute_fork_digest` before Fulu: the first 4 bytes of the fork data root.
pub fn compute_fork_digest_pre_fulu(
    current_version: Version,
    genesis_validators_root: Hash256,
) -> [u8; 4] {
    let r = compute_fork_data_root(current_version, genesis_validators_root);
    [r[0], r[1], r[2], r[3]]
}

/// Spec `compute_domain`: the domain type followed by the first 28 bytes of the fork data root.
pub fn compute_domain(
    domain_type: DomainType,
    fork_version: Version,
    genesis_validators_root: Hash256,
) -> Domain {
    let fork_data_root = compute_fork_data_root(fork_version, genesis_validators_root);
    let mut out = [0u8; 32];
    out[..4].copy_from_slice(domain_type.as_slice());
    out[4..].copy_from_slice(&fork_data_root[..28]);
    Domain::from(out)
}

/// Spec `compute_signing_root(object_root, domain)`.
pub fn compute_signing_root(object_root: Hash256, domain: Domain) -> Hash256 {
    SigningData {
        object_root,
        domain,
    }
    .tree_hash_root()
}

/// A `BLOB_SCHEDULE` or `MAX_BLOBS_PER_BLOCK_ELECTRA` that does not read (`reason` says why).
fn bad_blob_schedule(reason: String) -> ConfigError {
    ConfigError::BadValue {
        key: "BLOB_SCHEDULE".into(),
        expected: "a list of {EPOCH, MAX_BLOBS_PER_BLOCK} unsigned integers",
        got: reason,
    }
}

/// Reads the top-level `KEY: value` lines of a config file as strings.
///
/// Not a general YAML parse on purpose: configs hold integers beyond u64
/// (`TERMINAL_TOTAL_DIFFICULTY`, an address YAML reads as a number) that generic YAML values
/// cannot represent, and YAML would read the unquoted version `0x01000000` as an integer.
/// Nested values (`BLOB_SCHEDULE` entries) are skipped.
fn top_level_scalars(text: &str) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut out = BTreeMap::new();
    let mut lines: BTreeMap<String, usize> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty()
            || line.starts_with('#')
            || line.starts_with(' ')
            || line.starts_with('-')
            || line.starts_with('\t')
            || line == "---"
        {
            continue;
        }
        let Some((key, rest)) = line.split_once(':') else {
            return Err(ConfigError::Yaml {
                reason: format!("line {} without `KEY: value`: {line:?}", n + 1),
            });
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(ConfigError::Yaml {
                reason: format!("line {} with an invalid key: {line:?}", n + 1),
            });
        }
        let value = match rest.find(" #") {
            Some(i) => &rest[..i],
            None => rest,
        };
        let value = value.trim().trim_matches(|c| c == '\'' || c == '"');
        if let Some(first_line) = lines.insert(key.to_string(), n + 1) {
            return Err(ConfigError::DuplicateKey {
                key: key.to_string(),
                first_line,
                second_line: n + 1,
            });
        }
        out.insert(key.to_string(), value.to_string());
    }
    if out.is_empty() {
        return Err(ConfigError::Yaml {
            reason: "no `KEY: value` lines".into(),
        });
    }
    Ok(out)
}

/// Parses a 4-byte 0x-hex fork version.
fn parse_version(value: &str) -> Option<Version> {
    crate::types::parse_hex0x::<4>(value.trim()).map(Version::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_text_writes_what_a_message_needs_without_a_float_formatter() {
        let cases: [(f64, &str); 16] = [
            (5.0, "5"),
            (-3.0, "-3"),
            (0.0, "0"),
            (-0.0, "0"),
            (1.5, "1.5"),
            (-0.25, "-0.25"),
            (0.000001, "0.000001"),
            (2.5e-7, "2.5e-7"),
            (1e-300, "1e-300"),
            (9_007_199_254_740_993.0, "9007199254740992"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1e300, "1e+300"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (x, text) in cases {
            assert_eq!(NumberText(x).to_string(), text, "{x:?}");
        }
        // A mantissa that rounds up to 10 moves to the next power.
        assert_eq!(NumberText(9.9999999e21).to_string(), "1e+22");
    }

    /// Gloas is found by its version whether or not it is scheduled, and by the schedule once a
    /// config (here a served spec) gives it an epoch; unscheduled, it is never active.
    #[test]
    fn gloas_by_version_and_by_schedule() {
        let m = NetworkConfig::mainnet();
        assert_eq!(
            m.fork_schedule(ForkName::Gloas),
            fs([7, 0, 0, 0], FAR_FUTURE_EPOCH)
        );
        assert_eq!(
            m.fork_for_version(v([7, 0, 0, 0])).unwrap(),
            ForkName::Gloas
        );
        assert_eq!(m.fork_at_epoch(FAR_FUTURE_EPOCH), ForkName::Fulu);
        // Sepolia's config has no Gloas: its zero version never matches.
        let s = NetworkConfig::sepolia();
        assert_eq!(s.fork_schedule(ForkName::Gloas), ForkSchedule::UNSCHEDULED);
        assert_eq!(
            s.fork_for_version(v([0x90, 0, 0, 0x75])).unwrap(),
            ForkName::Fulu
        );

        let mut spec = serde_json::Map::new();
        for (k, val) in [
            ("PRESET_BASE", "minimal"),
            ("SECONDS_PER_SLOT", "6"),
            ("GENESIS_FORK_VERSION", "0x00000001"),
            ("MIN_PER_EPOCH_CHURN_LIMIT", "2"),
            ("CHURN_LIMIT_QUOTIENT", "32"),
            ("MAX_PER_EPOCH_ACTIVATION_CHURN_LIMIT", "4"),
            ("MIN_VALIDATOR_WITHDRAWABILITY_DELAY", "256"),
            ("ALTAIR_FORK_VERSION", "0x01000001"),
            ("ALTAIR_FORK_EPOCH", "0"),
            ("BELLATRIX_FORK_VERSION", "0x02000001"),
            ("BELLATRIX_FORK_EPOCH", "0"),
            ("CAPELLA_FORK_VERSION", "0x03000001"),
            ("CAPELLA_FORK_EPOCH", "0"),
            ("DENEB_FORK_VERSION", "0x04000001"),
            ("DENEB_FORK_EPOCH", "0"),
            ("ELECTRA_FORK_VERSION", "0x05000001"),
            ("ELECTRA_FORK_EPOCH", "0"),
            ("FULU_FORK_VERSION", "0x06000001"),
            ("FULU_FORK_EPOCH", "1"),
            ("GLOAS_FORK_VERSION", "0x07000001"),
            ("GLOAS_FORK_EPOCH", "3"),
        ] {
            spec.insert(k.into(), serde_json::Value::String(val.into()));
        }
        let c = ConfigFile::from_spec(&spec)
            .unwrap()
            .complete(0, Hash256::ZERO);
        assert_eq!(c.fork_at_epoch(2), ForkName::Fulu);
        assert_eq!(c.fork_at_epoch(3), ForkName::Gloas);
        assert_eq!(c.fork_at_slot(3 * 8), ForkName::Gloas);
        assert_eq!(
            c.fork_for_version(v([7, 0, 0, 1])).unwrap(),
            ForkName::Gloas
        );
        assert_eq!(c.fork_version_at_epoch(4), v([7, 0, 0, 1]));
        let mut state = vec![0u8; 64];
        state[52..56].copy_from_slice(&[7, 0, 0, 1]);
        assert_eq!(c.fork_of_state_ssz(&state).unwrap(), ForkName::Gloas);
        // A Gloas epoch before Fulu's is refused, as for every other pair of forks.
        spec.insert(
            "GLOAS_FORK_EPOCH".into(),
            serde_json::Value::String("0".into()),
        );
        assert!(matches!(
            ConfigFile::from_spec(&spec),
            Err(ConfigError::UnorderedForks {
                earlier: ForkName::Fulu,
                later: ForkName::Gloas
            })
        ));
    }

    #[test]
    fn fork_schedule_lookups() {
        let m = NetworkConfig::mainnet();
        assert_eq!(m.fork_at_epoch(0), ForkName::Phase0);
        assert_eq!(m.fork_at_epoch(74239), ForkName::Phase0);
        assert_eq!(m.fork_at_epoch(74240), ForkName::Altair);
        assert_eq!(m.fork_at_slot(194048 * 32), ForkName::Capella);
        assert_eq!(m.fork_at_slot(194048 * 32 - 1), ForkName::Bellatrix);
        assert_eq!(m.fork_at_epoch(u64::MAX), ForkName::Fulu);
        assert_eq!(m.fork_version_at_epoch(269568), v([4, 0, 0, 0]));
        assert_eq!(
            m.fork_for_version(v([5, 0, 0, 0])).unwrap(),
            ForkName::Electra
        );
        assert!(matches!(
            m.fork_for_version(v([9, 9, 9, 9])),
            Err(TypesError::UnknownForkVersion { .. })
        ));
        let h = NetworkConfig::hoodi();
        assert_eq!(h.fork_at_epoch(0), ForkName::Deneb);
        assert_eq!(
            h.fork_for_version(v([0x70, 0, 0x09, 0x10])).unwrap(),
            ForkName::Fulu
        );
        assert!(matches!(
            NetworkConfig::by_name("goerli"),
            Err(ConfigError::UnknownNetwork { .. })
        ));
    }

    /// Known answers from the fixtures README: mainnet fork digests (pre-Fulu rule) for
    /// capella 0xbba4da96, deneb 0x6a95a1a9, electra 0xad532ceb.
    #[test]
    fn mainnet_fork_digests() {
        let m = NetworkConfig::mainnet();
        let d = |f| {
            hex::encode(compute_fork_digest_pre_fulu(
                m.fork_schedule(f).version,
                m.genesis_validators_root,
            ))
        };
        assert_eq!(d(ForkName::Capella), "bba4da96");
        assert_eq!(d(ForkName::Deneb), "6a95a1a9");
        assert_eq!(d(ForkName::Electra), "ad532ceb");
    }

    #[test]
    fn config_errors_are_typed() {
        assert!(matches!(
            NetworkConfig::from_config_yaml("[1, 2", None),
            Err(ConfigError::Yaml { .. })
        ));
        let err = NetworkConfig::from_config_yaml("PRESET_BASE: mainnet\n", Some(Hash256::ZERO))
            .unwrap_err();
        assert!(matches!(err, ConfigError::MissingKey { .. }), "{err}");
        let err = NetworkConfig::from_config_yaml("PRESET_BASE: gnosis\n", Some(Hash256::ZERO))
            .unwrap_err();
        assert!(err.to_string().contains("got \"gnosis\""), "{err}");
    }

    #[test]
    fn duplicate_keys_name_the_key_and_both_lines() {
        let text = "PRESET_BASE: minimal\n# comment\nSECONDS_PER_SLOT: 6\nPRESET_BASE: mainnet\n";
        let err = ConfigFile::parse_yaml(text).unwrap_err();
        assert_eq!(
            err,
            ConfigError::DuplicateKey {
                key: "PRESET_BASE".into(),
                first_line: 1,
                second_line: 4
            }
        );
        let text = err.to_string();
        assert!(
            text.contains("PRESET_BASE") && text.contains("line 1") && text.contains("line 4"),
            "{text}"
        );
    }

    #[test]
    fn a_config_keeps_its_genesis_keys_apart_from_the_earliest_genesis() {
        let mainnet = std::iter::once(("PRESET_BASE", "mainnet".to_string()))
            .chain([
                ("MIN_GENESIS_TIME", "1606824000".to_string()),
                ("GENESIS_DELAY", "604800".to_string()),
                ("SECONDS_PER_SLOT", "12".to_string()),
                ("GENESIS_FORK_VERSION", "0x00000000".to_string()),
                ("MIN_PER_EPOCH_CHURN_LIMIT", "4".to_string()),
                ("CHURN_LIMIT_QUOTIENT", "65536".to_string()),
                ("MAX_PER_EPOCH_ACTIVATION_CHURN_LIMIT", "8".to_string()),
                ("MIN_VALIDATOR_WITHDRAWABILITY_DELAY", "256".to_string()),
            ])
            .map(|(k, v)| format!("{k}: {v}\n"))
            .collect::<String>();
        let c = ConfigFile::parse_yaml(&mainnet).unwrap();
        assert_eq!(c.genesis_time, None);
        assert_eq!(c.genesis_validators_root, None);
        assert_eq!(c.earliest_genesis_time, Some(1_606_824_000 + 604_800));
        let n = c.clone().complete(1_606_824_023, Hash256::repeat_byte(1));
        assert_eq!(n.genesis_time, 1_606_824_023);
        assert_eq!(
            c.complete_offline(None),
            Err(ConfigError::MissingGenesisValidatorsRoot)
        );
    }
}
