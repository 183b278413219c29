//! Resolving the network option (a built-in name, a config, or `spec`) against the providers.
//!
//! A config says which forks activate when and with which constants, but usually not when the
//! chain started nor which validators it started with: `/eth/v1/config/spec` serves neither, and
//! `MIN_GENESIS_TIME + GENESIS_DELAY` is only the earliest possible genesis (every real network
//! started later, as genesis waits for enough deposits). Taking that sum as the genesis time puts
//! the wall clock's epoch millions of epochs off and makes every anchor look stale. So:
//!
//! - a **built-in name** carries its genesis; the flows still check each provider they use
//!   against its genesis validators root;
//! - a **config** (`config.yaml` text, a JS object, or `spec`: the first answering provider's
//!   `/eth/v1/config/spec`) takes its genesis time and validators root from `/eth/v1/beacon/genesis`
//!   of **every** provider. Those that answer must agree with each other (time, root, fork
//!   version) and with whatever the config itself says; a provider that fails is reported and
//!   the others decide (at least one must answer);
//! - with **no provider** at all, the genesis comes from a local state (a `BeaconState` holds
//!   `genesis_time` and `genesis_validators_root`), else from the config's own keys; only then may
//!   `MIN_GENESIS_TIME + GENESIS_DELAY` stand in for a missing `GENESIS_TIME`, with a warning.

use std::fmt;

use crate::beacon_api::{ApiError, BeaconApi, Genesis};
use crate::config::{ConfigError, ConfigFile, NetworkConfig};
use crate::types::{hex0x, Hash256};

/// How the user named the network.
#[derive(Debug, Clone, PartialEq)]
pub enum NetworkChoice {
    /// A built-in network (`mainnet`, `sepolia`, `hoodi`, `holesky`).
    BuiltIn(String),
    /// `config.yaml` text; `origin` names it in messages (a file path). Command line only: the
    /// browser API takes config objects, so the wasm carries no YAML reader.
    #[cfg(not(target_arch = "wasm32"))]
    Yaml { text: String, origin: String },
    /// Config keys and values (a JS config object).
    Config(serde_json::Map<String, serde_json::Value>),
    /// Read the config from the providers' `/eth/v1/config/spec`.
    Spec,
}

#[cfg(not(target_arch = "wasm32"))]
impl NetworkChoice {
    /// A command-line `--network` value: a built-in name, `spec`, or the path of a config.yaml
    /// (read here). Errors are usage errors, worded "expected …, got …".
    pub fn from_arg(arg: &str) -> Result<Self, String> {
        if NetworkConfig::BUILT_IN.contains(&arg) {
            return Ok(NetworkChoice::BuiltIn(arg.to_string()));
        }
        if arg == "spec" {
            return Ok(NetworkChoice::Spec);
        }
        match std::fs::read_to_string(arg) {
            Ok(text) => Ok(NetworkChoice::Yaml {
                text,
                origin: arg.to_string(),
            }),
            Err(e) => Err(format!(
                "--network: expected {}, `spec` or a readable config.yaml, got `{arg}` ({e})",
                NetworkConfig::BUILT_IN.join(", ")
            )),
        }
    }
}

/// The genesis a local `BeaconState` records: `genesis_time` (bytes 0..8) and
/// `genesis_validators_root` (8..40), the same offsets in every fork.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateGenesis {
    /// `genesis_time`, Unix seconds.
    pub genesis_time: u64,
    /// `genesis_validators_root`.
    pub genesis_validators_root: [u8; 32],
}

impl StateGenesis {
    /// The genesis fields of a local state file, read from its first 40 bytes before the
    /// network is resolved; `None` when it is shorter.
    pub async fn from_state_file(
        file: &crate::checkpoint::StateFile,
    ) -> Result<Option<Self>, crate::checkpoint::CheckpointError> {
        Ok(Self::from_state_ssz(&file.read_at(0, 40).await?))
    }

    /// The genesis fields of an SSZ `BeaconState`, or `None` when the bytes are too short.
    pub fn from_state_ssz(bytes: &[u8]) -> Option<Self> {
        let time = bytes.get(0..8)?;
        let root = bytes.get(8..40)?;
        Some(StateGenesis {
            genesis_time: u64::from_le_bytes(time.try_into().ok()?),
            genesis_validators_root: root.try_into().ok()?,
        })
    }
}

/// A resolved network and what the user should know about how it was resolved.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The network.
    pub network: NetworkConfig,
    /// `(code, message)` warnings: `CONFIG_FROM_PROVIDER`, `CONFIG_GENESIS_FROM_PROVIDER`,
    /// `CONFIG_GVR_FROM_PROVIDER`, `CONFIG_GENESIS_FROM_STATE`, `CONFIG_GVR_FROM_STATE`,
    /// `CONFIG_GENESIS_ESTIMATED`, `PROVIDER_FAILED`.
    pub warnings: Vec<(&'static str, String)>,
}

/// Why the network could not be resolved. Nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkError {
    /// The config is invalid (or lacks what no provider or state could supply).
    Config(ConfigError),
    /// `spec` (or a config without genesis and no state) needs a Beacon API; none was given.
    NoProviders {
        /// What needed one.
        what: &'static str,
    },
    /// No provider answered `what`; each failure in provider order.
    Unanswered {
        /// The endpoint asked.
        what: &'static str,
        /// `(provider, error)` per provider.
        failures: Vec<(String, ApiError)>,
    },
    /// The providers that answered `/eth/v1/beacon/genesis` disagree: they serve different
    /// chains. Check which one is on the intended network.
    GenesisDisagreement {
        /// `(provider, answer)` per provider that answered.
        answers: Vec<(String, Genesis)>,
    },
    /// The config (or built-in network) and a provider or state name different chains.
    WrongNetwork {
        /// The config key compared (`GENESIS_TIME`, `GENESIS_VALIDATORS_ROOT`,
        /// `GENESIS_FORK_VERSION`).
        key: &'static str,
        /// The config's value.
        expected: String,
        /// What the provider or state says.
        actual: String,
        /// Who said it (a provider's base URL, or `state file`).
        source: String,
    },
}

impl NetworkError {
    /// A stable code: `CONFIG`, `NO_PROVIDERS`, the first failure's code when no provider
    /// answered, `PROVIDER_DISAGREEMENT`, `WRONG_NETWORK`.
    pub fn code(&self) -> &'static str {
        match self {
            NetworkError::Config(_) => "CONFIG",
            NetworkError::NoProviders { .. } => "NO_PROVIDERS",
            NetworkError::Unanswered { failures, .. } => {
                failures.first().map_or("NO_PROVIDERS", |(_, e)| e.code())
            }
            NetworkError::GenesisDisagreement { .. } => "PROVIDER_DISAGREEMENT",
            NetworkError::WrongNetwork { .. } => "WRONG_NETWORK",
        }
    }

    /// `(expected, actual)` where two values were compared.
    pub fn expected_actual(&self) -> Option<(String, String)> {
        match self {
            NetworkError::WrongNetwork {
                expected, actual, ..
            } => Some((expected.clone(), actual.clone())),
            _ => None,
        }
    }
}

fn genesis_text(g: &Genesis) -> String {
    format!(
        "genesis_time {}, genesis_validators_root {}, genesis_fork_version {}",
        g.genesis_time,
        hex0x(g.genesis_validators_root),
        hex0x(g.genesis_fork_version)
    )
}

impl fmt::Display for NetworkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetworkError::Config(e) => e.fmt(f),
            NetworkError::NoProviders { what } => {
                write!(f, "{what}: expected at least one Beacon API URL, got none")
            }
            NetworkError::Unanswered { what, failures } => {
                write!(f, "{what}: expected an answer from at least one provider, got none")?;
                for (p, e) in failures {
                    write!(f, "; {p}: {e}")?;
                }
                Ok(())
            }
            NetworkError::GenesisDisagreement { answers } => {
                f.write_str("/eth/v1/beacon/genesis: expected every provider to serve the same genesis, got")?;
                for (i, (p, g)) in answers.iter().enumerate() {
                    let sep = if i == 0 { " " } else { "; " };
                    write!(f, "{sep}{p}: {}", genesis_text(g))?;
                }
                Ok(())
            }
            NetworkError::WrongNetwork {
                key,
                expected,
                actual,
                source,
            } => write!(
                f,
                "wrong network: expected {key} {expected} (the network config), got {actual} from {source}"
            ),
        }
    }
}

impl std::error::Error for NetworkError {}

impl From<ConfigError> for NetworkError {
    fn from(e: ConfigError) -> Self {
        NetworkError::Config(e)
    }
}

/// What every provider says at `/eth/v1/beacon/genesis`: the one genesis they agree on and the
/// providers that failed (`(provider, error)`). Errors when none answered or when two disagree.
pub async fn providers_genesis<A: BeaconApi>(
    providers: &[A],
) -> Result<(Genesis, Vec<(String, ApiError)>), NetworkError> {
    let mut answers: Vec<(String, Genesis)> = Vec::new();
    let mut failures = Vec::new();
    for p in providers {
        match p.genesis().await {
            Ok(g) => answers.push((p.base_url().to_string(), g)),
            Err(e) => failures.push((p.base_url().to_string(), e)),
        }
    }
    let Some((_, first)) = answers.first() else {
        return Err(NetworkError::Unanswered {
            what: "/eth/v1/beacon/genesis",
            failures,
        });
    };
    let first = *first;
    if answers.iter().any(|(_, g)| *g != first) {
        return Err(NetworkError::GenesisDisagreement { answers });
    }
    Ok((first, failures))
}

/// Every provider that answers `/eth/v1/beacon/genesis` must serve `network`'s genesis
/// validators root (the flows that used only the first provider's word could never tell a
/// provider of another network). Returns the providers that failed to answer.
pub async fn check_providers_genesis<A: BeaconApi>(
    network: &NetworkConfig,
    providers: &[A],
) -> Result<Vec<(String, ApiError)>, NetworkError> {
    let mut failures = Vec::new();
    let mut answered = false;
    for p in providers {
        match p.genesis().await {
            Ok(g) if g.genesis_validators_root != network.genesis_validators_root.0 => {
                return Err(NetworkError::WrongNetwork {
                    key: "GENESIS_VALIDATORS_ROOT",
                    expected: format!(
                        "{} ({})",
                        hex0x(network.genesis_validators_root),
                        network.name
                    ),
                    actual: hex0x(g.genesis_validators_root),
                    source: p.base_url().to_string(),
                })
            }
            Ok(_) => answered = true,
            Err(e) => failures.push((p.base_url().to_string(), e)),
        }
    }
    if !answered {
        return Err(NetworkError::Unanswered {
            what: "/eth/v1/beacon/genesis",
            failures,
        });
    }
    Ok(failures)
}

fn failed_warnings(failures: &[(String, ApiError)]) -> Vec<(&'static str, String)> {
    failures
        .iter()
        .map(|(p, e)| {
            (
                "PROVIDER_FAILED",
                format!("{p} did not answer ({}): {e}", e.code()),
            )
        })
        .collect()
}

/// Resolves `choice` against `providers` (see the module docs). `state` is the genesis of a
/// local state file, used when there is no provider to ask.
pub async fn resolve<A: BeaconApi>(
    choice: &NetworkChoice,
    providers: &[A],
    state: Option<StateGenesis>,
) -> Result<Resolved, NetworkError> {
    let mut warnings = Vec::new();
    let (config, origin) = match choice {
        NetworkChoice::BuiltIn(name) => {
            return Ok(Resolved {
                network: NetworkConfig::by_name(name)?,
                warnings,
            })
        }
        #[cfg(not(target_arch = "wasm32"))]
        NetworkChoice::Yaml { text, origin } => (ConfigFile::parse_yaml(text)?, origin.clone()),
        NetworkChoice::Config(map) => (ConfigFile::from_spec(map)?, "the network config".into()),
        NetworkChoice::Spec => {
            if providers.is_empty() {
                return Err(NetworkError::NoProviders {
                    what: "network `spec`",
                });
            }
            let mut failures = Vec::new();
            let mut found = None;
            for p in providers {
                match p.spec().await {
                    Ok(spec) => {
                        found = Some((spec, p.base_url().to_string()));
                        break;
                    }
                    Err(e) => failures.push((p.base_url().to_string(), e)),
                }
            }
            let Some((spec, from)) = found else {
                return Err(NetworkError::Unanswered {
                    what: "/eth/v1/config/spec",
                    failures,
                });
            };
            warnings.extend(failed_warnings(&failures));
            warnings.push((
                "CONFIG_FROM_PROVIDER",
                format!("the network config is {from}'s /eth/v1/config/spec; its genesis comes from the providers' /eth/v1/beacon/genesis"),
            ));
            (ConfigFile::from_spec(&spec)?, format!("{from}'s spec"))
        }
    };
    let from_spec = matches!(choice, NetworkChoice::Spec);
    if !providers.is_empty() {
        let (g, failures) = providers_genesis(providers).await?;
        warnings.extend(failed_warnings(&failures));
        let source = providers
            .iter()
            .map(|p| p.base_url())
            .filter(|u| !failures.iter().any(|(f, _)| f == u))
            .collect::<Vec<_>>()
            .join(", ");
        check_config_against(&config, &g, &source, true)?;
        if config.genesis_time.is_none() && !from_spec {
            warnings.push((
                "CONFIG_GENESIS_FROM_PROVIDER",
                format!(
                    "{origin} has no GENESIS_TIME; using {} from {source} (MIN_GENESIS_TIME + GENESIS_DELAY is only the earliest possible genesis)",
                    g.genesis_time
                ),
            ));
        }
        if config.genesis_validators_root.is_none() && !from_spec {
            warnings.push((
                "CONFIG_GVR_FROM_PROVIDER",
                format!(
                    "{origin} has no GENESIS_VALIDATORS_ROOT; using {} from {source}",
                    hex0x(g.genesis_validators_root)
                ),
            ));
        }
        let network = config.complete(g.genesis_time, Hash256::from(g.genesis_validators_root));
        return Ok(Resolved { network, warnings });
    }
    if let Some(s) = state {
        let genesis = Genesis {
            genesis_time: s.genesis_time,
            genesis_validators_root: s.genesis_validators_root,
            genesis_fork_version: config.genesis_fork_version().0,
        };
        let source = crate::checkpoint::STATE_FILE;
        check_config_against(&config, &genesis, source, false)?;
        if config.genesis_time.is_none() {
            warnings.push((
                "CONFIG_GENESIS_FROM_STATE",
                format!(
                    "{origin} has no GENESIS_TIME; using the state's genesis_time {}",
                    s.genesis_time
                ),
            ));
        }
        if config.genesis_validators_root.is_none() {
            warnings.push((
                "CONFIG_GVR_FROM_STATE",
                format!(
                    "{origin} has no GENESIS_VALIDATORS_ROOT; using the state's {}",
                    hex0x(s.genesis_validators_root)
                ),
            ));
        }
        let network = config.complete(s.genesis_time, Hash256::from(s.genesis_validators_root));
        return Ok(Resolved { network, warnings });
    }
    if config.genesis_time.is_none() {
        if let Some(t) = config.earliest_genesis_time {
            warnings.push((
                "CONFIG_GENESIS_ESTIMATED",
                format!(
                    "{origin} has no GENESIS_TIME and no provider was given; assuming MIN_GENESIS_TIME + GENESIS_DELAY = {t}, the earliest possible genesis (wrong for a network that started later)"
                ),
            ));
        }
    }
    Ok(Resolved {
        network: config.complete_offline(None)?,
        warnings,
    })
}

/// The config's own genesis keys, where present, must match what `source` says. The fork
/// version is compared only when `source` reported one (`with_fork_version`).
fn check_config_against(
    config: &ConfigFile,
    g: &Genesis,
    source: &str,
    with_fork_version: bool,
) -> Result<(), NetworkError> {
    let wrong = |key, expected: String, actual: String| NetworkError::WrongNetwork {
        key,
        expected,
        actual,
        source: source.to_string(),
    };
    if let Some(t) = config.genesis_time {
        if t != g.genesis_time {
            return Err(wrong(
                "GENESIS_TIME",
                t.to_string(),
                g.genesis_time.to_string(),
            ));
        }
    }
    if let Some(r) = config.genesis_validators_root {
        if r.0 != g.genesis_validators_root {
            return Err(wrong(
                "GENESIS_VALIDATORS_ROOT",
                hex0x(r),
                hex0x(g.genesis_validators_root),
            ));
        }
    }
    let v = config.genesis_fork_version();
    if with_fork_version && v.0 != g.genesis_fork_version {
        return Err(wrong(
            "GENESIS_FORK_VERSION",
            hex0x(v),
            hex0x(g.genesis_fork_version),
        ));
    }
    Ok(())
}
