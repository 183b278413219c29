//! Weak-subjectivity maths against published answers: the consensus-specs reference tables, the
//! real mainnet genesis state, the mainnet config files and the spec's checkpoint example.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;

use beacon_lightsync::config::NetworkConfig;
use beacon_lightsync::types::Hash256;

use beacon_lightsync::ws::{
    compute_weak_subjectivity_period, is_within_weak_subjectivity_period,
    verify_ws_state_block_root, ChainClock, CheckpointParseError, Clock, FixedClock, WsCheckpoint,
    WsConfig, WsError, WsFormula, WsInputs, ETH_TO_GWEI,
};

fn read_fixture(relative: &str) -> Vec<u8> {
    let path = beacon_lightsync::ssz_io::require_fixtures_dir().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading fixture {}: {e}", path.display()))
}

#[derive(serde::Deserialize)]
struct Phase0Row {
    safety_decay: u64,
    avg_balance_eth: u64,
    validator_count: u64,
    ws_period_epochs: u64,
}

#[derive(serde::Deserialize)]
struct ElectraRow {
    safety_decay: u64,
    total_active_balance_eth: u64,
    ws_period_epochs: u64,
}

#[derive(serde::Deserialize)]
struct Tables {
    phase0: Vec<Phase0Row>,
    electra: Vec<ElectraRow>,
}

fn tables() -> Tables {
    serde_yaml::from_slice(&read_fixture("weak-subjectivity/ws_period_tables.yaml"))
        .expect("ws_period_tables.yaml parses")
}

#[test]
fn phase0_formula_matches_every_published_row() {
    let tables = tables();
    assert_eq!(tables.phase0.len(), 12, "the phase0 table has 12 rows");
    for row in &tables.phase0 {
        let config = WsConfig {
            safety_decay: row.safety_decay,
            ..WsConfig::MAINNET
        };
        let inputs = WsInputs {
            fork: WsFormula::Phase0,
            total_active_balance: row.avg_balance_eth * row.validator_count * ETH_TO_GWEI,
            active_validator_count: row.validator_count,
            config,
        };
        assert_eq!(
            compute_weak_subjectivity_period(&inputs),
            Ok(row.ws_period_epochs),
            "avg balance {} ETH, {} validators",
            row.avg_balance_eth,
            row.validator_count
        );
    }
}

#[test]
fn electra_formula_matches_every_published_row_for_electra_and_fulu() {
    let tables = tables();
    assert_eq!(tables.electra.len(), 6, "the electra table has 6 rows");
    for fork in ["electra", "fulu"] {
        for row in &tables.electra {
            let inputs = WsInputs {
                fork: WsFormula::for_fork(fork).unwrap(),
                total_active_balance: row.total_active_balance_eth * ETH_TO_GWEI,
                // The Electra formula ignores the count; a value that would change the phase0
                // answer shows that it does.
                active_validator_count: 1,
                config: WsConfig {
                    safety_decay: row.safety_decay,
                    ..WsConfig::MAINNET
                },
            };
            assert_eq!(
                compute_weak_subjectivity_period(&inputs),
                Ok(row.ws_period_epochs),
                "{fork}: total active balance {} ETH",
                row.total_active_balance_eth
            );
        }
    }
}

/// No table is published for Gloas. These answers come from a separate transcription of the
/// spec's Python (gloas weak-subjectivity.md and the Gloas churn functions) evaluated with
/// mainnet constants, shown step by step so they can be re-derived by hand.
#[test]
fn gloas_formula_matches_the_spec_evaluated_by_hand() {
    // 2**20 ETH: exit churn = max(128, 2**20 / 2**15 = 32) = 128 ETH; activation = min(256, 128)
    // = 128 ETH; consolidation = 2**20 / 2**16 = 16 ETH. delta (Gwei) = 2*128e9//3 + 128e9//3 +
    // 16e9 = 85_333_333_333 + 42_666_666_666 + 16_000_000_000 = 143_999_999_999.
    // period = 256 + 10 * 2**20 * 1e9 // (2 * delta * 100) = 256 + 364 = 620.
    // 2**25 ETH: exit = 1024 ETH; activation = 256 ETH; consolidation = 512 ETH;
    // delta = 682_666_666_666 + 85_333_333_333 + 512_000_000_000 = 1_279_999_999_999;
    // period = 256 + 1310 = 1566.
    for (eth, expected) in [(1u64 << 20, 620u64), (1 << 25, 1566)] {
        let inputs = WsInputs {
            fork: WsFormula::for_fork("gloas").unwrap(),
            total_active_balance: eth * ETH_TO_GWEI,
            active_validator_count: 1,
            config: WsConfig::MAINNET,
        };
        assert_eq!(
            compute_weak_subjectivity_period(&inputs),
            Ok(expected),
            "{eth} ETH"
        );
    }
}

/// More hand-computed Gloas cases (mainnet constants), where the rounding down to
/// `EFFECTIVE_BALANCE_INCREMENT` and the activation cap matter and the balance is not a whole
/// number of ETH:
/// - 10**16 Gwei: exit = max(128e9, 10**16 // 32768 = 305_175_781_250) rounded = 305e9;
///   activation = min(256e9, 305e9) = 256e9; consolidation = 10**16 // 65536 = 152_587_890_625,
///   rounded 152e9; delta = 610e9 // 3 + 256e9 // 3 + 152e9 = 203_333_333_333 + 85_333_333_333 +
///   152_000_000_000 = 440_666_666_666; period = 256 + 10**17 // 88_133_333_333_200 = 256 + 1134.
/// - 10**16 + 123_456_789 Gwei: every churn rounds to the same values, so 1390 again.
/// - 3 * 10**15 + 7 Gwei: exit = 128e9 (3e15 // 32768 = 91_552_734_375 is below the minimum);
///   activation = 128e9; consolidation = 45_776_367_187 rounded 45e9; delta = 85_333_333_333 +
///   42_666_666_666 + 45e9 = 172_999_999_999; period = 256 + 3 * 10**16 // 34_599_999_999_800 =
///   256 + 867.
#[test]
fn gloas_formula_rounds_and_caps_as_the_spec() {
    for (gwei, expected) in [
        (10_000_000_000_000_000u64, 1390u64),
        (10_000_000_123_456_789, 1390),
        (3_000_000_000_000_007, 1123),
    ] {
        let inputs = WsInputs {
            fork: WsFormula::Gloas,
            total_active_balance: gwei,
            active_validator_count: 1,
            config: WsConfig::MAINNET,
        };
        assert_eq!(
            compute_weak_subjectivity_period(&inputs),
            Ok(expected),
            "{gwei} Gwei"
        );
    }
}

#[test]
fn fork_names_select_the_spec_formula() {
    for fork in ["phase0", "altair", "bellatrix", "capella", "deneb"] {
        assert_eq!(WsFormula::for_fork(fork), Ok(WsFormula::Phase0));
    }
    assert_eq!(WsFormula::for_fork("electra"), Ok(WsFormula::Electra));
    assert_eq!(WsFormula::for_fork("fulu"), Ok(WsFormula::Electra));
    assert_eq!(WsFormula::for_fork("gloas"), Ok(WsFormula::Gloas));
    assert_eq!(
        WsFormula::for_fork("Deneb"),
        Err(WsError::UnknownFork {
            got: "Deneb".into()
        })
    );
}

/// The few phase0 `BeaconState` fields the formula needs, read straight from SSZ.
struct GenesisSummary {
    genesis_time: u64,
    slot: u64,
    active_count: u64,
    total_active_balance: u64,
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

fn read_u32(bytes: &[u8], at: usize) -> usize {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize
}

fn summarize_phase0_state(state: &[u8], slots_per_epoch: u64) -> GenesisSummary {
    // Fixed-part offsets of the phase0 BeaconState (mainnet preset): genesis_time 0,
    // genesis_validators_root 8, slot 40, fork 48, latest_block_header 64 (112 bytes),
    // block_roots 176 and state_roots 262_320 (8192 x 32 each), historical_roots offset 524_464,
    // eth1_data 524_468 (72), eth1_data_votes offset 524_540, eth1_deposit_index 524_544,
    // validators offset 524_552, balances offset 524_556.
    const VALIDATORS_OFFSET: usize = 524_552;
    const BALANCES_OFFSET: usize = 524_556;
    const VALIDATOR_SIZE: usize = 121;
    let slot = read_u64(state, 40);
    let epoch = slot / slots_per_epoch;
    let start = read_u32(state, VALIDATORS_OFFSET);
    let end = read_u32(state, BALANCES_OFFSET);
    assert_eq!(
        (end - start) % VALIDATOR_SIZE,
        0,
        "validators list is whole records"
    );
    let mut active_count = 0;
    let mut total_active_balance = 0u64;
    for record in state[start..end].chunks_exact(VALIDATOR_SIZE) {
        // pubkey 48, withdrawal_credentials 32, effective_balance 80, slashed 88,
        // activation_eligibility_epoch 89, activation_epoch 97, exit_epoch 105.
        let effective_balance = read_u64(record, 80);
        let activation_epoch = read_u64(record, 97);
        let exit_epoch = read_u64(record, 105);
        if activation_epoch <= epoch && epoch < exit_epoch {
            active_count += 1;
            total_active_balance += effective_balance;
        }
    }
    GenesisSummary {
        genesis_time: read_u64(state, 0),
        slot,
        active_count,
        total_active_balance,
    }
}

#[test]
fn mainnet_genesis_state_has_a_519_epoch_period() {
    let state = read_fixture("genesis-states/mainnet-genesis.ssz");
    let summary = summarize_phase0_state(&state, 32);
    // Published facts about the mainnet genesis (genesis-states/README.md).
    assert_eq!(summary.genesis_time, 1_606_824_023);
    assert_eq!(summary.active_count, 21_063);
    let inputs = WsInputs {
        fork: WsFormula::Phase0,
        total_active_balance: summary.total_active_balance,
        active_validator_count: summary.active_count,
        config: WsConfig::MAINNET,
    };
    let period = compute_weak_subjectivity_period(&inputs).unwrap();
    assert_eq!(period, 519);

    // The genesis state as a checkpoint: within the period up to epoch 519, stale after.
    let genesis_root: [u8; 32] =
        hex::decode("4d611d5b93fdab69013a7f0a2f961caca0c853f87cfe9595fe50038163079360")
            .unwrap()
            .try_into()
            .unwrap();
    let checkpoint = WsCheckpoint {
        root: genesis_root,
        epoch: 0,
    };
    let chain = ChainClock::from_seconds_per_slot(summary.genesis_time, 12, 32);
    let state_epoch = chain.epoch_at_slot(summary.slot).unwrap();
    let last_safe = FixedClock(summary.genesis_time + 519 * 32 * 12 + 32 * 12 - 1);
    let first_stale = FixedClock(summary.genesis_time + 520 * 32 * 12);
    let now = chain.current_epoch(&last_safe).unwrap();
    assert_eq!(now, 519);
    assert_eq!(
        is_within_weak_subjectivity_period(now, state_epoch, &checkpoint, period),
        Ok(true)
    );
    let now = chain.current_epoch(&first_stale).unwrap();
    assert_eq!(
        is_within_weak_subjectivity_period(now, state_epoch, &checkpoint, period),
        Ok(false)
    );
}

/// `KEY: integer` lines of a consensus-specs config or preset file. Line by line: these files
/// hold integers (TERMINAL_TOTAL_DIFFICULTY) too large for a YAML parser's number types.
fn spec_numbers(relative: &str) -> BTreeMap<String, u64> {
    let text = String::from_utf8(read_fixture(relative)).expect("config is UTF-8");
    text.lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            let value = value.split('#').next()?.trim();
            Some((key.trim().to_string(), value.parse::<u64>().ok()?))
        })
        .collect()
}

/// Every weak-subjectivity constant of `c` against the consensus-specs files of `preset`.
fn assert_ws_config_is_the_specs(c: &WsConfig, preset: &str) {
    let config = spec_numbers(&format!("consensus-specs-configs/configs/{preset}.yaml"));
    let phase0 = spec_numbers(&format!(
        "consensus-specs-configs/presets/{preset}/phase0.yaml"
    ));
    let get = |map: &BTreeMap<String, u64>, key: &str| -> u64 {
        *map.get(key)
            .unwrap_or_else(|| panic!("{key} missing or not a number in the {preset} files"))
    };
    let pairs = [
        (
            c.min_validator_withdrawability_delay,
            get(&config, "MIN_VALIDATOR_WITHDRAWABILITY_DELAY"),
        ),
        (
            c.min_per_epoch_churn_limit,
            get(&config, "MIN_PER_EPOCH_CHURN_LIMIT"),
        ),
        (c.churn_limit_quotient, get(&config, "CHURN_LIMIT_QUOTIENT")),
        (
            c.min_per_epoch_churn_limit_electra,
            get(&config, "MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA"),
        ),
        (
            c.churn_limit_quotient_gloas,
            get(&config, "CHURN_LIMIT_QUOTIENT_GLOAS"),
        ),
        (
            c.consolidation_churn_limit_quotient,
            get(&config, "CONSOLIDATION_CHURN_LIMIT_QUOTIENT"),
        ),
        (
            c.max_per_epoch_activation_churn_limit_gloas,
            get(&config, "MAX_PER_EPOCH_ACTIVATION_CHURN_LIMIT_GLOAS"),
        ),
        (
            c.max_effective_balance,
            get(&phase0, "MAX_EFFECTIVE_BALANCE"),
        ),
        (
            c.effective_balance_increment,
            get(&phase0, "EFFECTIVE_BALANCE_INCREMENT"),
        ),
        (c.max_deposits, get(&phase0, "MAX_DEPOSITS")),
        (c.slots_per_epoch, get(&phase0, "SLOTS_PER_EPOCH")),
    ];
    for (i, (ours, spec)) in pairs.into_iter().enumerate() {
        assert_eq!(
            ours, spec,
            "{preset}: constant #{i} differs from the consensus specs"
        );
    }
}

#[test]
fn mainnet_constants_match_the_consensus_specs_files() {
    assert_ws_config_is_the_specs(&WsConfig::MAINNET, "mainnet");
    assert_ws_config_is_the_specs(&WsConfig::for_network(&NetworkConfig::mainnet()), "mainnet");
}

/// One WS config per network, read from its config: both presets' spec configs give the spec's
/// constants, and a config that predates Gloas (no Gloas churn keys) takes its preset's base values.
#[test]
fn every_preset_s_ws_config_is_read_from_its_config() {
    for preset in ["mainnet", "minimal"] {
        let yaml = String::from_utf8(read_fixture(&format!(
            "consensus-specs-configs/configs/{preset}.yaml"
        )))
        .unwrap();
        let network = NetworkConfig::from_config_yaml(&yaml, Some(Hash256::ZERO)).unwrap();
        assert_ws_config_is_the_specs(&WsConfig::for_network(&network), preset);
        let pre_gloas: String = yaml
            .lines()
            .filter(|l| {
                !l.contains("_GLOAS:") && !l.starts_with("CONSOLIDATION_CHURN_LIMIT_QUOTIENT")
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let older = NetworkConfig::from_config_yaml(&pre_gloas, Some(Hash256::ZERO)).unwrap();
        assert_eq!(older.gloas_churn, network.gloas_churn, "{preset}");
    }
}

#[test]
fn degenerate_inputs_are_typed_errors() {
    let inputs = WsInputs {
        fork: WsFormula::Phase0,
        total_active_balance: 0,
        active_validator_count: 0,
        config: WsConfig::MAINNET,
    };
    assert_eq!(
        compute_weak_subjectivity_period(&inputs),
        Err(WsError::NoActiveValidators)
    );
    let broken = WsInputs {
        fork: WsFormula::Electra,
        total_active_balance: 1,
        active_validator_count: 1,
        config: WsConfig {
            churn_limit_quotient: 0,
            ..WsConfig::MAINNET
        },
    };
    assert_eq!(
        compute_weak_subjectivity_period(&broken),
        Err(WsError::ZeroDenominator {
            term: "CHURN_LIMIT_QUOTIENT"
        })
    );
    // SAFETY_DECAY = 0 with every validator at the cap makes the spec's `T - t` zero.
    let zero_decay = WsInputs {
        fork: WsFormula::Phase0,
        total_active_balance: 32 * ETH_TO_GWEI * 100,
        active_validator_count: 100,
        config: WsConfig {
            safety_decay: 0,
            ..WsConfig::MAINNET
        },
    };
    assert!(matches!(
        compute_weak_subjectivity_period(&zero_decay),
        Err(WsError::ZeroDenominator { .. })
    ));
}

#[test]
fn the_spec_asserts_are_typed_errors() {
    let checkpoint = WsCheckpoint {
        root: [7; 32],
        epoch: 100,
    };
    assert_eq!(
        is_within_weak_subjectivity_period(150, 101, &checkpoint, 256),
        Err(WsError::CheckpointEpochMismatch {
            expected: 100,
            got: 101
        })
    );
    assert_eq!(
        is_within_weak_subjectivity_period(356, 100, &checkpoint, 256),
        Ok(true)
    );
    assert_eq!(
        is_within_weak_subjectivity_period(357, 100, &checkpoint, 256),
        Ok(false)
    );
    assert_eq!(verify_ws_state_block_root(&[7; 32], &checkpoint), Ok(()));
    assert_eq!(
        verify_ws_state_block_root(&[8; 32], &checkpoint),
        Err(WsError::CheckpointRootMismatch {
            expected: [7; 32],
            got: [8; 32]
        })
    );
}

#[test]
fn chain_clock_matches_the_mainnet_fork_schedule() {
    // configs/mainnet.yaml: ALTAIR_FORK_EPOCH 74240, "Oct 27, 2021, 10:56:23am UTC" = 1635332183.
    let mainnet = ChainClock::from_seconds_per_slot(1_606_824_023, 12, 32);
    assert_eq!(
        mainnet.current_epoch(&FixedClock(1_635_332_183)),
        Ok(74_240)
    );
    assert_eq!(
        mainnet.current_epoch(&FixedClock(1_635_332_182)),
        Ok(74_239)
    );
    // The slot-duration form is the same clock.
    let ms = ChainClock {
        genesis_time: 1_606_824_023,
        slot_duration_ms: 12_000,
        slots_per_epoch: 32,
    };
    assert_eq!(ms, mainnet);
    let clock: &dyn Clock = &FixedClock(1_606_824_022);
    assert_eq!(
        mainnet.current_epoch(clock),
        Err(WsError::BeforeGenesis {
            now: 1_606_824_022,
            genesis_time: 1_606_824_023
        })
    );
    let broken = ChainClock {
        slots_per_epoch: 0,
        ..mainnet
    };
    assert_eq!(
        broken.current_epoch(&FixedClock(1_635_332_183)),
        Err(WsError::InvalidTimeParameter {
            name: "SLOTS_PER_EPOCH"
        })
    );
}

const SPEC_EXAMPLE: &str =
    "0x8584188b86a9296932785cc2827b925f9deebacce6d72ad8d53171fa046b43d9:9544";

#[test]
fn checkpoint_parses_the_spec_example_and_round_trips() {
    let checkpoint = WsCheckpoint::parse(SPEC_EXAMPLE).unwrap();
    assert_eq!(checkpoint.epoch, 9544);
    assert_eq!(
        hex::encode(checkpoint.root),
        "8584188b86a9296932785cc2827b925f9deebacce6d72ad8d53171fa046b43d9"
    );
    assert_eq!(checkpoint.to_string(), SPEC_EXAMPLE);
    let upper = SPEC_EXAMPLE.replace("8584188b86a9", "8584188B86A9");
    assert_eq!(upper.parse::<WsCheckpoint>(), Ok(checkpoint));
    assert_eq!(
        WsCheckpoint::parse(&format!("0x{}:0", "00".repeat(32))).map(|c| c.epoch),
        Ok(0)
    );
    assert_eq!(
        WsCheckpoint::parse(&format!("0x{}:{}", "00".repeat(32), u64::MAX)).map(|c| c.epoch),
        Ok(u64::MAX)
    );
}

#[test]
fn checkpoint_parse_errors_say_exactly_what_is_wrong() {
    use CheckpointParseError as E;
    let root = "8584188b86a9296932785cc2827b925f9deebacce6d72ad8d53171fa046b43d9";
    let cases: Vec<(String, E)> = vec![
        (String::new(), E::Empty),
        (format!("0x{root}"), E::MissingColon),
        (format!("0x{root}:1:2"), E::ExtraColon { position: 68 }),
        (format!(" 0x{root}:1"), E::Whitespace { position: 0 }),
        (format!("0x{root}: 1"), E::Whitespace { position: 67 }),
        (format!("0x{root}:1\n"), E::Whitespace { position: 68 }),
        (
            format!("{root}:1"),
            E::MissingHexPrefix { got: root.into() },
        ),
        (
            format!("0X{root}:1"),
            E::MissingHexPrefix {
                got: format!("0X{root}"),
            },
        ),
        (
            format!("0x{}:1", &root[..63]),
            E::RootWrongLength { got: 63 },
        ),
        (format!("0x{root}00:1"), E::RootWrongLength { got: 66 }),
        (
            format!("0x{}g{}:1", &root[..10], &root[11..]),
            E::NonHexCharacter {
                position: 12,
                character: 'g',
            },
        ),
        (format!("0x{root}:"), E::EmptyEpoch),
        (format!("0x{root}:+1"), E::SignedEpoch { sign: '+' }),
        (format!("0x{root}:-1"), E::SignedEpoch { sign: '-' }),
        (format!("0x{root}:007"), E::LeadingZero),
        (
            format!("0x{root}:12a"),
            E::NonDecimalCharacter {
                position: 69,
                character: 'a',
            },
        ),
        (
            format!("0x{root}:1.5"),
            E::NonDecimalCharacter {
                position: 68,
                character: '.',
            },
        ),
        (
            format!("0x{root}:18446744073709551616"),
            E::EpochOverflow {
                got: "18446744073709551616".into(),
            },
        ),
    ];
    for (input, expected) in cases {
        let got = WsCheckpoint::parse(&input);
        assert_eq!(got, Err(expected.clone()), "input {input:?}");
        // Every message names what was expected and what was found.
        let message = expected.to_string();
        assert!(message.contains("expected"), "{message}");
        assert!(message.contains("got"), "{message}");
    }
}

#[test]
fn network_configs_give_the_same_constants_and_clock() {
    let mainnet = beacon_lightsync::config::NetworkConfig::mainnet();
    assert_eq!(WsConfig::for_network(&mainnet), WsConfig::MAINNET);
    assert_eq!(
        ChainClock::for_network(&mainnet),
        ChainClock::from_seconds_per_slot(1_606_824_023, 12, 32)
    );
}
