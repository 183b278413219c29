//! `lightsync root`: print the SSZ `hash_tree_root` of a file, as a reference for every other
//! implementation in the project (and for checking a state downloaded by hand).
//!
//! ```text
//! lightsync root --type T [--fork F] [--preset mainnet|minimal] [--network N] [--beacon-api URL] FILE
//! ```
//! N is a built-in name, a config.yaml path or `spec` (the config of the `--beacon-api`
//! provider); only its preset and fork schedule are read.
//! FILE is raw SSZ, or snappy raw (block format) when its name ends in `.ssz_snappy`. `Signed*`
//! types print the root of their message (for a block: the block root). Without `--fork`, a
//! `BeaconState`'s fork is read from its `fork.current_version`, a block's from its slot, both
//! mapped through the network (default mainnet). The hashing uses `tree_hash` over the typed
//! containers: slow for large states, but independent of the byte-level merkleizer it checks.

use std::fmt;

use tree_hash::TreeHash;

use super::checkpoint::providers;
use super::{is_help, network_of, parse_urls, quote_debug, Flags, Wording};
use crate::config::{ConfigError, ConfigFile, NetworkConfig};
use crate::network::NetworkChoice;
use crate::ssz_io::{read_ssz_file, SszIoError};
use crate::types::{
    altair, capella, decode_ssz, electra, gloas, light_client, phase0, AnyBeaconBlock,
    AnyBeaconBlockBody, AnyBeaconState, AnyExecutionPayload, AnyExecutionPayloadHeader,
    AnySignedBeaconBlock, ForkName, Hash256, Mainnet, Minimal, Preset, PresetName, TypesError,
};

const USAGE: &str =
    "usage: lightsync root --type T [--fork F] [--preset mainnet|minimal] [--network N] [--beacon-api URL] FILE
  N: mainnet | sepolia | hoodi | holesky, a config.yaml path, or `spec` (needs --beacon-api)";

/// Types `lightsync root` knows, by their spec names.
pub const SUPPORTED_TYPES: &[&str] = &[
    "BeaconState",
    "SignedBeaconBlock",
    "BeaconBlock",
    "BeaconBlockBody",
    "BeaconBlockHeader",
    "SignedBeaconBlockHeader",
    "ExecutionPayload",
    "ExecutionPayloadHeader",
    "HistoricalBatch",
    "HistoricalSummary",
    "Checkpoint",
    "Fork",
    "ForkData",
    "SigningData",
    "Validator",
    "Eth1Data",
    "SyncCommittee",
    "SyncAggregate",
    "Attestation",
    "IndexedAttestation",
    "AttesterSlashing",
    "PendingAttestation",
    "ProposerSlashing",
    "Deposit",
    "DepositData",
    "VoluntaryExit",
    "SignedVoluntaryExit",
    "BLSToExecutionChange",
    "SignedBLSToExecutionChange",
    "Withdrawal",
    "ExecutionRequests",
    "DepositRequest",
    "WithdrawalRequest",
    "ConsolidationRequest",
    "PendingDeposit",
    "PendingPartialWithdrawal",
    "PendingConsolidation",
    "LightClientHeader",
    "LightClientBootstrap",
    "LightClientUpdate",
    "LightClientFinalityUpdate",
    "LightClientOptimisticUpdate",
    "Builder",
    "BuilderPendingPayment",
    "BuilderPendingWithdrawal",
    "BuilderDepositRequest",
    "BuilderExitRequest",
    "PayloadAttestationData",
    "PayloadAttestationMessage",
    "PayloadAttestation",
    "IndexedPayloadAttestation",
    "ExecutionPayloadBid",
    "SignedExecutionPayloadBid",
    "ExecutionPayloadEnvelope",
    "SignedExecutionPayloadEnvelope",
];

/// What can go wrong in `lightsync root`; each prints as one line.
#[derive(Debug)]
pub enum RootError {
    /// Bad command line.
    Usage { problem: String },
    /// `--type` names a type this command does not know.
    UnknownType { got: String },
    /// A fork-dependent type without `--fork` and no way to detect it.
    ForkRequired { type_name: String },
    /// Reading or decompressing the file failed.
    Io(SszIoError),
    /// Decoding failed, or the type does not exist at the fork.
    Types(TypesError),
    /// `--network` is not a known network.
    Config(ConfigError),
    /// `--network spec` (or a config resolved against `--beacon-api`) failed: the stable code
    /// of [`crate::network::NetworkError`] and its message.
    Network { code: &'static str, message: String },
}

impl fmt::Display for RootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RootError::Usage { problem } => write!(f, "{problem} ({USAGE})"),
            RootError::UnknownType { got } => write!(
                f,
                "unknown --type: expected one of {}, got {got:?}",
                SUPPORTED_TYPES.join(", ")
            ),
            RootError::ForkRequired { type_name } => {
                write!(
                    f,
                    "{type_name} differs between forks: expected --fork, got none"
                )
            }
            RootError::Io(e) => e.fmt(f),
            RootError::Types(e) => e.fmt(f),
            RootError::Config(e) => e.fmt(f),
            RootError::Network { code, message } => write!(f, "{code}: {message}"),
        }
    }
}

impl From<SszIoError> for RootError {
    fn from(e: SszIoError) -> Self {
        RootError::Io(e)
    }
}
impl From<TypesError> for RootError {
    fn from(e: TypesError) -> Self {
        RootError::Types(e)
    }
}
impl From<ConfigError> for RootError {
    fn from(e: ConfigError) -> Self {
        RootError::Config(e)
    }
}

/// Parsed command line.
#[derive(Debug)]
struct Args {
    type_name: String,
    fork: Option<ForkName>,
    preset: Option<PresetName>,
    network: NetworkConfig,
    file: String,
}

fn parse_args(args: &[String]) -> Result<Args, RootError> {
    let (mut type_name, mut fork, mut preset, mut network, mut file) =
        (None, None, None, None, None);
    let mut urls = Vec::new();
    let mut flags = Flags::new(
        args,
        Wording {
            missing: |flag| format!("{flag} expects a value, got none"),
            quote: quote_debug,
        },
    );
    while let Some(arg) = flags.next() {
        let mut value = || {
            flags
                .value()
                .map_err(|problem| RootError::Usage { problem })
        };
        match arg {
            "--type" => type_name = Some(value()?),
            "--fork" => fork = Some(value()?.parse::<ForkName>()?),
            "--preset" => preset = Some(value()?.parse::<PresetName>()?),
            "--network" => {
                network = Some(
                    NetworkChoice::from_arg(&value()?)
                        .map_err(|problem| RootError::Usage { problem })?,
                )
            }
            "--beacon-api" => {
                urls = parse_urls(&value()?).map_err(|problem| RootError::Usage { problem })?
            }
            flag if flag.starts_with("--") => {
                return Err(RootError::Usage {
                    problem: flags.unknown(),
                })
            }
            path => {
                if file.replace(path.to_string()).is_some() {
                    return Err(RootError::Usage {
                        problem: format!("expected one FILE, got a second one {path:?}"),
                    });
                }
            }
        }
    }
    Ok(Args {
        type_name: type_name.ok_or(RootError::Usage {
            problem: "expected --type, got none".into(),
        })?,
        fork,
        preset,
        network: network_of_choice(network, &urls)?,
        file: file.ok_or(RootError::Usage {
            problem: "expected FILE, got none".into(),
        })?,
    })
}

/// The network to read fork versions and the preset from. Without a provider a config.yaml is
/// read alone: the genesis (which hashing never needs) is left at zero.
fn network_of_choice(
    choice: Option<NetworkChoice>,
    urls: &[String],
) -> Result<NetworkConfig, RootError> {
    match choice {
        None => Ok(NetworkConfig::mainnet()),
        Some(NetworkChoice::BuiltIn(name)) => Ok(NetworkConfig::by_name(&name)?),
        Some(NetworkChoice::Yaml { text, .. }) if urls.is_empty() => {
            Ok(ConfigFile::parse_yaml(&text)?.complete(0, Hash256::ZERO))
        }
        Some(NetworkChoice::Spec) if urls.is_empty() => Err(RootError::Usage {
            problem: "--network spec: expected --beacon-api URL to read the config from, got none"
                .into(),
        }),
        Some(choice) => network_of(&choice, &providers(urls, 10_000), None)
            .map_err(|(code, message)| RootError::Network { code, message }),
    }
}

/// Runs `lightsync root` with `args` (after the subcommand name); returns the exit code.
pub fn run(args: &[String]) -> i32 {
    if args.iter().any(|a| is_help(a)) {
        println!("{USAGE}\ntypes: {}", SUPPORTED_TYPES.join(", "));
        return 0;
    }
    match parse_args(args).and_then(|a| compute_root(&a)) {
        Ok(root) => {
            println!("{root:#x}");
            0
        }
        Err(e) => {
            eprintln!("error: {}", e.to_string().replace('\n', " "));
            1
        }
    }
}

fn compute_root(args: &Args) -> Result<Hash256, RootError> {
    if !SUPPORTED_TYPES.contains(&args.type_name.as_str()) {
        return Err(RootError::UnknownType {
            got: args.type_name.clone(),
        });
    }
    let bytes = read_ssz_file(&args.file)?;
    let preset = args.preset.unwrap_or(args.network.preset);
    match preset {
        PresetName::Mainnet => {
            root_of::<Mainnet>(&args.type_name, args.fork, &bytes, &args.network)
        }
        PresetName::Minimal => {
            root_of::<Minimal>(&args.type_name, args.fork, &bytes, &args.network)
        }
    }
}

/// Reads a little-endian u64 at `offset`, for slot sniffing.
fn u64_at(bytes: &[u8], offset: usize, what: &'static str) -> Result<u64, TypesError> {
    let slice = bytes.get(offset..offset + 8).ok_or(TypesError::TooShort {
        what,
        expected: offset + 8,
        got: bytes.len(),
    })?;
    Ok(u64::from_le_bytes(slice.try_into().expect("8-byte slice")))
}

/// The hash tree root of `bytes` decoded as `type_name` at `fork` (detected where possible).
pub fn root_of<P: Preset>(
    type_name: &str,
    fork: Option<ForkName>,
    bytes: &[u8],
    network: &NetworkConfig,
) -> Result<Hash256, RootError> {
    let need_fork = || {
        fork.ok_or(RootError::ForkRequired {
            type_name: type_name.to_string(),
        })
    };
    let not_in_fork = |f: ForkName| -> RootError {
        TypesError::TypeNotInFork {
            type_name: type_name.to_string(),
            fork: f,
        }
        .into()
    };
    // The root of `bytes` decoded as `$ty` at `$fork` (`.$field`'s root for a signed container).
    macro_rules! decoded {
        ($ty:ty, $fork:expr $(, $field:ident)?) => {
            Ok(decode_ssz::<$ty>(bytes, type_name_static(type_name), $fork)?
                $(.$field)?
                .tree_hash_root())
        };
    }
    // Fork-independent containers first: their layout is the same at every fork, so `--fork`
    // (if given) only has to name a fork where the type exists (`$since` on). For a signed
    // container, `message` names the field whose root is printed.
    macro_rules! fixed {
        ($ty:ty, $since:expr $(, $field:ident)?) => {{
            if let Some(f) = fork.filter(|f| *f < $since) {
                return Err(not_in_fork(f));
            }
            decoded!($ty, fork $(, $field)?)
        }};
    }
    // Containers whose layout changed at Electra (EIP-7549 attestations) and again at Gloas
    // (EIP-7688 progressive containers).
    macro_rules! by_electra {
        ($old:ty, $new:ty, $gloas:ty) => {{
            let f = need_fork()?;
            if f >= ForkName::Gloas {
                decoded!($gloas, Some(f))
            } else if f >= ForkName::Electra {
                decoded!($new, Some(f))
            } else {
                decoded!($old, Some(f))
            }
        }};
    }
    // A fork-tagged enum ([`crate::types::any`]), at the fork `--fork` names.
    macro_rules! any {
        ($any:ty) => {
            Ok(<$any>::from_ssz_bytes(need_fork()?, bytes)?.tree_hash_root())
        };
    }
    match type_name {
        "BeaconState" => {
            let f = match fork {
                Some(f) => f,
                None => network.fork_of_state_ssz(bytes)?,
            };
            Ok(AnyBeaconState::<P>::from_ssz_bytes(f, bytes)?.tree_hash_root())
        }
        "SignedBeaconBlock" => {
            // SignedBeaconBlock = [message offset (4)][signature (96)][message...]; slot leads.
            let f = match fork {
                Some(f) => f,
                None => network.fork_at_slot(u64_at(bytes, 100, "SignedBeaconBlock")?),
            };
            Ok(AnySignedBeaconBlock::<P>::from_ssz_bytes(f, bytes)?.message_root())
        }
        "BeaconBlock" => {
            let f = match fork {
                Some(f) => f,
                None => network.fork_at_slot(u64_at(bytes, 0, "BeaconBlock")?),
            };
            Ok(AnyBeaconBlock::<P>::from_ssz_bytes(f, bytes)?.tree_hash_root())
        }
        "BeaconBlockBody" => any!(AnyBeaconBlockBody<P>),
        "ExecutionPayload" => any!(AnyExecutionPayload<P>),
        "ExecutionPayloadHeader" => any!(AnyExecutionPayloadHeader<P>),
        "BeaconBlockHeader" => fixed!(phase0::BeaconBlockHeader, ForkName::Phase0),
        "SignedBeaconBlockHeader" => {
            fixed!(phase0::SignedBeaconBlockHeader, ForkName::Phase0, message)
        }
        "HistoricalBatch" => fixed!(phase0::HistoricalBatch<P>, ForkName::Phase0),
        "HistoricalSummary" => fixed!(capella::HistoricalSummary, ForkName::Capella),
        "Checkpoint" => fixed!(phase0::Checkpoint, ForkName::Phase0),
        "Fork" => fixed!(phase0::Fork, ForkName::Phase0),
        "ForkData" => fixed!(phase0::ForkData, ForkName::Phase0),
        "SigningData" => fixed!(phase0::SigningData, ForkName::Phase0),
        "Validator" => fixed!(phase0::Validator, ForkName::Phase0),
        "Eth1Data" => fixed!(phase0::Eth1Data, ForkName::Phase0),
        "SyncCommittee" => fixed!(altair::SyncCommittee<P>, ForkName::Altair),
        "SyncAggregate" => fixed!(altair::SyncAggregate<P>, ForkName::Altair),
        "PendingAttestation" => {
            let f = need_fork()?;
            if f != ForkName::Phase0 {
                return Err(not_in_fork(f));
            }
            fixed!(phase0::PendingAttestation<P>, ForkName::Phase0)
        }
        "ProposerSlashing" => fixed!(phase0::ProposerSlashing, ForkName::Phase0),
        "Deposit" => fixed!(phase0::Deposit, ForkName::Phase0),
        "DepositData" => fixed!(phase0::DepositData, ForkName::Phase0),
        "VoluntaryExit" => fixed!(phase0::VoluntaryExit, ForkName::Phase0),
        "SignedVoluntaryExit" => fixed!(phase0::SignedVoluntaryExit, ForkName::Phase0, message),
        "BLSToExecutionChange" => fixed!(capella::BLSToExecutionChange, ForkName::Capella),
        "SignedBLSToExecutionChange" => {
            fixed!(
                capella::SignedBLSToExecutionChange,
                ForkName::Capella,
                message
            )
        }
        "Withdrawal" => fixed!(capella::Withdrawal, ForkName::Capella),
        // Gloas's is a progressive container with the builder requests; without `--fork` the
        // Electra layout (the only one before Gloas) is assumed.
        "ExecutionRequests" if fork >= Some(ForkName::Gloas) => {
            fixed!(gloas::ExecutionRequests, ForkName::Gloas)
        }
        "ExecutionRequests" => fixed!(electra::ExecutionRequests<P>, ForkName::Electra),
        "DepositRequest" => fixed!(electra::DepositRequest, ForkName::Electra),
        "WithdrawalRequest" => fixed!(electra::WithdrawalRequest, ForkName::Electra),
        "ConsolidationRequest" => fixed!(electra::ConsolidationRequest, ForkName::Electra),
        "PendingDeposit" => fixed!(electra::PendingDeposit, ForkName::Electra),
        "PendingPartialWithdrawal" => fixed!(electra::PendingPartialWithdrawal, ForkName::Electra),
        "PendingConsolidation" => fixed!(electra::PendingConsolidation, ForkName::Electra),
        "Attestation" => by_electra!(
            phase0::Attestation<P>,
            electra::Attestation<P>,
            gloas::Attestation<P>
        ),
        "IndexedAttestation" => by_electra!(
            phase0::IndexedAttestation<P>,
            electra::IndexedAttestation<P>,
            gloas::IndexedAttestation
        ),
        "AttesterSlashing" => by_electra!(
            phase0::AttesterSlashing<P>,
            electra::AttesterSlashing<P>,
            gloas::AttesterSlashing
        ),
        "Builder" => fixed!(gloas::Builder, ForkName::Gloas),
        "BuilderPendingPayment" => fixed!(gloas::BuilderPendingPayment, ForkName::Gloas),
        "BuilderPendingWithdrawal" => fixed!(gloas::BuilderPendingWithdrawal, ForkName::Gloas),
        "BuilderDepositRequest" => fixed!(gloas::BuilderDepositRequest, ForkName::Gloas),
        "BuilderExitRequest" => fixed!(gloas::BuilderExitRequest, ForkName::Gloas),
        "PayloadAttestationData" => fixed!(gloas::PayloadAttestationData, ForkName::Gloas),
        "PayloadAttestationMessage" => fixed!(gloas::PayloadAttestationMessage, ForkName::Gloas),
        "PayloadAttestation" => fixed!(gloas::PayloadAttestation<P>, ForkName::Gloas),
        "IndexedPayloadAttestation" => {
            fixed!(gloas::IndexedPayloadAttestation<P>, ForkName::Gloas)
        }
        "ExecutionPayloadBid" => fixed!(gloas::ExecutionPayloadBid, ForkName::Gloas),
        "SignedExecutionPayloadBid" => {
            fixed!(gloas::SignedExecutionPayloadBid, ForkName::Gloas, message)
        }
        "ExecutionPayloadEnvelope" => fixed!(gloas::ExecutionPayloadEnvelope<P>, ForkName::Gloas),
        "SignedExecutionPayloadEnvelope" => {
            fixed!(
                gloas::SignedExecutionPayloadEnvelope<P>,
                ForkName::Gloas,
                message
            )
        }
        "LightClientHeader" => {
            let f = need_fork()?;
            match f {
                ForkName::Phase0 => Err(not_in_fork(f)),
                ForkName::Altair | ForkName::Bellatrix => {
                    decoded!(light_client::altair::LightClientHeader, Some(f))
                }
                ForkName::Capella => decoded!(light_client::capella::LightClientHeader<P>, Some(f)),
                ForkName::Deneb | ForkName::Electra | ForkName::Fulu => {
                    decoded!(light_client::deneb::LightClientHeader<P>, Some(f))
                }
                ForkName::Gloas => decoded!(light_client::gloas::LightClientHeader, Some(f)),
            }
        }
        "LightClientBootstrap" => any!(light_client::LightClientBootstrap<P>),
        "LightClientUpdate" => any!(light_client::LightClientUpdate<P>),
        "LightClientFinalityUpdate" => any!(light_client::LightClientFinalityUpdate<P>),
        "LightClientOptimisticUpdate" => any!(light_client::LightClientOptimisticUpdate<P>),
        other => Err(RootError::UnknownType {
            got: other.to_string(),
        }),
    }
}

/// The `&'static str` spelling of a supported type name (for error messages).
fn type_name_static(name: &str) -> &'static str {
    SUPPORTED_TYPES
        .iter()
        .find(|t| **t == name)
        .copied()
        .unwrap_or("container")
}
