//! Progressive SSZ (EIP-7916 `ProgressiveList`/`ProgressiveBitlist`, EIP-7495
//! `ProgressiveContainer`) against the consensus-spec-tests `ssz_generic` vectors of the shared
//! fixtures (`basic_progressive_list`, `progressive_bitlist`, `progressive_containers`), and the
//! byte-level merkleizer against the typed one on random values.
//!
//! Every valid case decodes into the typed value, re-encodes byte for byte, parses from
//! `value.yaml` into the same value, and hashes to `meta.yaml`'s root three ways: the typed
//! `TreeHash`, `merkle::hash_tree_root` from the bytes, and (containers) the streaming task plan.
//! Every invalid case fails both to decode and to hash from the bytes. The test-struct shapes are
//! those of consensus-specs `tests/formats/ssz_generic/README.md`.
#![cfg(not(target_arch = "wasm32"))]

use std::fmt::Debug;
use std::path::{Path, PathBuf};

use beacon_lightsync::merkle::{self, StatePlan, TaskHasher};
use beacon_lightsync::progressive_container;
use beacon_lightsync::ssz_io::{read_ssz_file, require_fixtures_dir};
use beacon_lightsync::types::{
    ContainerType, ProgressiveBitlist, ProgressiveList, SszSchema, SszType, VariableList, U128,
    U256,
};
use serde::de::DeserializeOwned;
use ssz::{Decode, Encode};
use ssz_derive::{Decode, Encode};
use ssz_types::typenum::{U10, U1024, U1099511627776, U123};
use tree_hash::TreeHash;
use tree_hash_derive::TreeHash;

// ---- the ssz_generic test structs -------------------------------------------------------------

/// `class SmallTestStruct(Container): A: uint16; B: uint16`
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TreeHash, serde::Deserialize)]
pub struct SmallTestStruct {
    #[serde(rename = "A")]
    a: u16,
    #[serde(rename = "B")]
    b: u16,
}

impl SszSchema for SmallTestStruct {
    const SSZ_TYPE: SszType = SszType::Container(&ContainerType {
        name: "SmallTestStruct",
        fields: &[("A", SszType::Uint(2)), ("B", SszType::Uint(2))],
    });
}

/// `class VarTestStruct(Container): A: uint16; B: List[uint16, 1024]; C: uint8`
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TreeHash, serde::Deserialize)]
pub struct VarTestStruct {
    #[serde(rename = "A")]
    a: u16,
    #[serde(rename = "B")]
    b: VariableList<u16, U1024>,
    #[serde(rename = "C")]
    c: u8,
}

impl SszSchema for VarTestStruct {
    const SSZ_TYPE: SszType = SszType::Container(&ContainerType {
        name: "VarTestStruct",
        fields: &[
            ("A", SszType::Uint(2)),
            ("B", VariableList::<u16, U1024>::SSZ_TYPE),
            ("C", SszType::Uint(1)),
        ],
    });
}

progressive_container! {
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
    #[derive(serde::Deserialize)]
    pub struct ProgressiveSingleFieldContainerTestStruct active_fields [1] {
        #[serde(rename = "A")]
        a: u8,
    }
}

progressive_container! {
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
    #[derive(serde::Deserialize)]
    pub struct ProgressiveSingleListContainerTestStruct active_fields [0, 0, 0, 0, 1] {
        #[serde(rename = "C")]
        c: ProgressiveBitlist,
    }
}

progressive_container! {
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
    #[derive(serde::Deserialize)]
    pub struct ProgressiveVarTestStruct active_fields [1, 0, 1, 0, 1] {
        #[serde(rename = "A")]
        a: u8,
        #[serde(rename = "B")]
        b: VariableList<u16, U123>,
        #[serde(rename = "C")]
        c: ProgressiveBitlist,
    }
}

progressive_container! {
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
    #[derive(serde::Deserialize)]
    pub struct ProgressiveComplexTestStruct
        active_fields [1, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1]
    {
        #[serde(rename = "A")]
        a: u8,
        #[serde(rename = "B")]
        b: VariableList<u16, U123>,
        #[serde(rename = "C")]
        c: ProgressiveBitlist,
        #[serde(rename = "D")]
        d: ProgressiveList<u64>,
        #[serde(rename = "E")]
        e: ProgressiveList<SmallTestStruct>,
        #[serde(rename = "F")]
        f: ProgressiveList<ProgressiveList<VarTestStruct>>,
        #[serde(rename = "G")]
        g: VariableList<ProgressiveSingleFieldContainerTestStruct, U10>,
        #[serde(rename = "H")]
        h: ProgressiveList<ProgressiveVarTestStruct>,
    }
}

/// `uint128`/`uint256` as `value.yaml` writes them: decimal strings. SSZ and hashing are the
/// inner type's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Dec<T: Encode + Decode + TreeHash>(T);

impl<T: Encode + Decode + TreeHash> Encode for Dec<T> {
    fn is_ssz_fixed_len() -> bool {
        <T as Encode>::is_ssz_fixed_len()
    }
    fn ssz_fixed_len() -> usize {
        <T as Encode>::ssz_fixed_len()
    }
    fn ssz_append(&self, buf: &mut Vec<u8>) {
        self.0.ssz_append(buf)
    }
    fn ssz_bytes_len(&self) -> usize {
        self.0.ssz_bytes_len()
    }
}

impl<T: Encode + Decode + TreeHash> Decode for Dec<T> {
    fn is_ssz_fixed_len() -> bool {
        <T as Decode>::is_ssz_fixed_len()
    }
    fn ssz_fixed_len() -> usize {
        <T as Decode>::ssz_fixed_len()
    }
    fn from_ssz_bytes(bytes: &[u8]) -> Result<Self, ssz::DecodeError> {
        T::from_ssz_bytes(bytes).map(Dec)
    }
}

impl<T: Encode + Decode + TreeHash> TreeHash for Dec<T> {
    fn tree_hash_type() -> tree_hash::TreeHashType {
        T::tree_hash_type()
    }
    fn tree_hash_packed_encoding(&self) -> tree_hash::PackedEncoding {
        self.0.tree_hash_packed_encoding()
    }
    fn tree_hash_packing_factor() -> usize {
        T::tree_hash_packing_factor()
    }
    fn tree_hash_root(&self) -> tree_hash::Hash256 {
        self.0.tree_hash_root()
    }
}

impl<'de, T: Encode + Decode + TreeHash + std::str::FromStr> serde::Deserialize<'de> for Dec<T>
where
    T::Err: std::fmt::Display,
{
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map(Dec).map_err(serde::de::Error::custom)
    }
}

impl<T: Encode + Decode + TreeHash + SszSchema> SszSchema for Dec<T> {
    const SSZ_TYPE: SszType = T::SSZ_TYPE;
}

// ---- one case --------------------------------------------------------------------------------

fn handler_dir(handler: &str, validity: &str) -> PathBuf {
    require_fixtures_dir()
        .join("consensus-spec-tests-gloas/tests/general/phase0/ssz_generic")
        .join(handler)
        .join(validity)
}

/// Sorted case folders of a handler (fails when there are none: a moved fixture must not pass).
fn cases(handler: &str, validity: &str) -> Vec<PathBuf> {
    let dir = handler_dir(handler, validity);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no cases in {}", dir.display());
    out
}

fn meta_root(case: &Path) -> [u8; 32] {
    #[derive(serde::Deserialize)]
    struct Meta {
        root: String,
    }
    let text = std::fs::read_to_string(case.join("meta.yaml")).unwrap();
    let meta: Meta = serde_yaml::from_str(&text).unwrap();
    hex::decode(meta.root.trim_start_matches("0x"))
        .unwrap()
        .try_into()
        .unwrap()
}

/// A valid case: decode, re-encode, `value.yaml`, and the root three ways.
fn check_valid<T>(case: &Path, value_yaml: bool)
where
    T: Decode + Encode + TreeHash + SszSchema + DeserializeOwned + PartialEq + Debug,
{
    let label = case.display();
    let bytes = read_ssz_file(case.join("serialized.ssz_snappy")).unwrap();
    let want = meta_root(case);
    let value = T::from_ssz_bytes(&bytes).unwrap_or_else(|e| panic!("{label}: decode: {e:?}"));
    assert!(
        value.as_ssz_bytes() == bytes,
        "{label}: re-encoding differs"
    );
    assert_eq!(value.tree_hash_root().0, want, "{label}: typed root");
    let schema = T::ssz_type();
    assert_eq!(
        merkle::hash_tree_root(schema, &bytes),
        Ok(want),
        "{label}: root from the bytes"
    );
    if !schema.fields().is_empty() {
        assert_eq!(
            plan_root(schema, &bytes, 64),
            want,
            "{label}: task plan root"
        );
    }
    if value_yaml {
        let text = std::fs::read_to_string(case.join("value.yaml")).unwrap();
        let parsed: T =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{label}: value.yaml: {e}"));
        assert_eq!(parsed, value, "{label}: value.yaml");
    }
}

/// An invalid case: neither the typed decoder nor the byte-level merkleizer accepts it.
fn check_invalid<T: Decode + SszSchema + Debug>(case: &Path) {
    let label = case.display();
    let bytes = read_ssz_file(case.join("serialized.ssz_snappy")).unwrap();
    let decoded = T::from_ssz_bytes(&bytes);
    assert!(decoded.is_err(), "{label}: decoded {decoded:?}");
    let hashed = merkle::hash_tree_root(T::ssz_type(), &bytes);
    assert!(hashed.is_err(), "{label}: hashed to {hashed:?}");
}

/// The root through the streaming task plan: tasks of about `task_bytes` bytes, each hashed by
/// a `TaskHasher` from its own bytes only, combined by the plan.
fn plan_root(schema: &'static SszType, bytes: &[u8], task_bytes: usize) -> [u8; 32] {
    let plan = StatePlan::of_container(schema, bytes, bytes.len(), task_bytes)
        .unwrap_or_else(|e| panic!("plan: {e}"));
    let mut worker = TaskHasher::of_container(schema);
    let roots: Vec<[u8; 32]> = plan
        .tasks()
        .iter()
        .map(|t| worker.hash(&t.spec, &bytes[t.range.clone()]).unwrap())
        .collect();
    plan.combine(&roots, &mut merkle::tree::Reducer::new())
        .unwrap()
}

// ---- the three handlers ----------------------------------------------------------------------

/// `proglist_<type>_...`: the element type of a `basic_progressive_list` case.
fn element_type(case: &Path) -> String {
    let name = case.file_name().unwrap().to_str().unwrap();
    name.split('_').nth(1).unwrap().to_string()
}

macro_rules! by_element {
    ($case:expr, $check:ident $(, $arg:expr)*) => {
        match element_type($case).as_str() {
            "bool" => $check::<ProgressiveList<bool>>($case $(, $arg)*),
            "uint8" => $check::<ProgressiveList<u8>>($case $(, $arg)*),
            "uint16" => $check::<ProgressiveList<u16>>($case $(, $arg)*),
            "uint32" => $check::<ProgressiveList<u32>>($case $(, $arg)*),
            "uint64" => $check::<ProgressiveList<u64>>($case $(, $arg)*),
            "uint128" => $check::<ProgressiveList<Dec<U128>>>($case $(, $arg)*),
            "uint256" => $check::<ProgressiveList<Dec<U256>>>($case $(, $arg)*),
            other => panic!("{}: unknown element type {other}", $case.display()),
        }
    };
}

#[test]
fn basic_progressive_list_valid() {
    for case in cases("basic_progressive_list", "valid") {
        by_element!(&case, check_valid, true);
    }
}

#[test]
fn basic_progressive_list_invalid() {
    for case in cases("basic_progressive_list", "invalid") {
        by_element!(&case, check_invalid);
    }
}

#[test]
fn progressive_bitlist_valid() {
    for case in cases("progressive_bitlist", "valid") {
        check_valid::<ProgressiveBitlist>(&case, true);
    }
}

#[test]
fn progressive_bitlist_invalid() {
    for case in cases("progressive_bitlist", "invalid") {
        check_invalid::<ProgressiveBitlist>(&case);
    }
}

macro_rules! by_struct {
    ($case:expr, $check:ident $(, $arg:expr)*) => {{
        let name = $case.file_name().unwrap().to_str().unwrap();
        match name.split('_').next().unwrap() {
            "ProgressiveSingleFieldContainerTestStruct" => {
                $check::<ProgressiveSingleFieldContainerTestStruct>($case $(, $arg)*)
            }
            "ProgressiveSingleListContainerTestStruct" => {
                $check::<ProgressiveSingleListContainerTestStruct>($case $(, $arg)*)
            }
            "ProgressiveVarTestStruct" => $check::<ProgressiveVarTestStruct>($case $(, $arg)*),
            "ProgressiveComplexTestStruct" => {
                $check::<ProgressiveComplexTestStruct>($case $(, $arg)*)
            }
            other => panic!("{}: unknown struct {other}", $case.display()),
        }
    }};
}

#[test]
fn progressive_containers_valid() {
    for case in cases("progressive_containers", "valid") {
        by_struct!(&case, check_valid, true);
    }
}

#[test]
fn progressive_containers_invalid() {
    for case in cases("progressive_containers", "invalid") {
        by_struct!(&case, check_invalid);
    }
}

// ---- random values: typed == bytes == task plan -----------------------------------------------

/// SplitMix64: a seeded generator, so a failure names a reproducible case.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A length in `0..max`, biased to the small lengths and the subtree edges (1, 5, 21, 85).
    fn len(&mut self, max: usize) -> usize {
        match self.next() % 4 {
            0 => [0usize, 1, 4, 5, 6, 20, 21, 22, 84, 85, 86][self.next() as usize % 11].min(max),
            1 => (self.next() % 8) as usize,
            _ => (self.next() % max as u64) as usize,
        }
    }

    fn bits(&mut self, max: usize) -> ProgressiveBitlist {
        let n = self.len(max);
        ProgressiveBitlist::from_bools(&(0..n).map(|_| self.next() & 1 == 1).collect::<Vec<_>>())
    }

    fn u16s<N: ssz_types::typenum::Unsigned>(&mut self, max: usize) -> VariableList<u16, N> {
        let n = self.len(max.min(N::USIZE));
        VariableList::new((0..n).map(|_| self.next() as u16).collect()).unwrap()
    }

    fn var(&mut self) -> VarTestStruct {
        VarTestStruct {
            a: self.next() as u16,
            b: self.u16s(40),
            c: self.next() as u8,
        }
    }

    fn prog_var(&mut self) -> ProgressiveVarTestStruct {
        ProgressiveVarTestStruct {
            a: self.next() as u8,
            b: self.u16s(123),
            c: self.bits(600),
        }
    }

    fn complex(&mut self) -> ProgressiveComplexTestStruct {
        let d = (0..self.len(300)).map(|_| self.next()).collect::<Vec<_>>();
        let e = (0..self.len(100))
            .map(|_| SmallTestStruct {
                a: self.next() as u16,
                b: self.next() as u16,
            })
            .collect::<Vec<_>>();
        let f = (0..self.len(7))
            .map(|_| {
                let inner: Vec<VarTestStruct> = (0..self.len(6)).map(|_| self.var()).collect();
                ProgressiveList::from(inner)
            })
            .collect::<Vec<_>>();
        let g = (0..self.len(10))
            .map(|_| ProgressiveSingleFieldContainerTestStruct {
                a: self.next() as u8,
            })
            .collect::<Vec<_>>();
        let h = (0..self.len(25))
            .map(|_| self.prog_var())
            .collect::<Vec<_>>();
        ProgressiveComplexTestStruct {
            a: self.next() as u8,
            b: self.u16s(123),
            c: self.bits(2000),
            d: d.into(),
            e: e.into(),
            f: f.into(),
            g: VariableList::new(g).unwrap(),
            h: h.into(),
        }
    }
}

fn same_root_three_ways<T: Encode + TreeHash + SszSchema>(value: &T, seed: u64) {
    let bytes = value.as_ssz_bytes();
    let want = value.tree_hash_root().0;
    let schema = T::ssz_type();
    assert_eq!(
        merkle::hash_tree_root(schema, &bytes),
        Ok(want),
        "seed {seed}"
    );
    if !schema.fields().is_empty() {
        for task_bytes in [1, 300, usize::MAX] {
            assert_eq!(plan_root(schema, &bytes, task_bytes), want, "seed {seed}");
        }
    }
}

#[test]
fn random_values_hash_alike_typed_and_from_bytes() {
    for seed in 0..200u64 {
        let mut rng = Rng(seed);
        same_root_three_ways(&rng.complex(), seed);
        same_root_three_ways(&rng.prog_var(), seed);
        same_root_three_ways(&rng.bits(3000), seed);
        let n = rng.len(2000);
        let list: ProgressiveList<u64> = (0..n).map(|_| rng.next()).collect::<Vec<_>>().into();
        same_root_three_ways(&list, seed);
        let bools: ProgressiveList<bool> = (0..rng.len(5000))
            .map(|_| rng.next() & 1 == 1)
            .collect::<Vec<_>>()
            .into();
        same_root_three_ways(&bools, seed);
    }
}

progressive_container! {
    /// A state-like progressive container: a big list field that the task plan splits into
    /// parts, between progressive fields, with an inactive position.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
    pub struct StateLike active_fields [1, 1, 0, 1, 1] {
        slot: u64,
        balances: VariableList<u64, U1099511627776>,
        bits: ProgressiveBitlist,
        history: ProgressiveList<SmallTestStruct>,
    }
}

#[test]
fn split_list_fields_of_a_progressive_container_combine_to_its_root() {
    let mut rng = Rng(7);
    let state = StateLike {
        slot: 12345,
        balances: VariableList::new((0..20_000).map(|_| rng.next()).collect()).unwrap(),
        bits: rng.bits(5000),
        history: (0..300)
            .map(|i| SmallTestStruct { a: i, b: !i })
            .collect::<Vec<_>>()
            .into(),
    };
    let bytes = state.as_ssz_bytes();
    let want = state.tree_hash_root().0;
    let schema = StateLike::ssz_type();
    let plan = StatePlan::of_container(schema, &bytes, bytes.len(), 4096).unwrap();
    assert!(plan.tasks().len() > 30, "balances is split into parts");
    assert_eq!(plan_root(schema, &bytes, 4096), want);
    // A task root that is off by one bit changes the root.
    let mut worker = TaskHasher::of_container(schema);
    let mut roots: Vec<[u8; 32]> = plan
        .tasks()
        .iter()
        .map(|t| worker.hash(&t.spec, &bytes[t.range.clone()]).unwrap())
        .collect();
    roots[3][0] ^= 1;
    assert_ne!(
        plan.combine(&roots, &mut merkle::tree::Reducer::new())
            .unwrap(),
        want
    );
}

/// Bad bytes inside progressive values give the byte-level merkleizer's typed errors, naming the
/// value.
#[test]
fn bad_bytes_give_typed_errors_with_paths() {
    use merkle::MerkleError;
    let bools = ProgressiveList::<bool>::ssz_type();
    assert_eq!(
        merkle::hash_tree_root(bools, &[1, 0, 2]),
        Err(MerkleError::BadBoolean {
            path: "value[2]".into(),
            got: 2
        })
    );
    let u64s = ProgressiveList::<u64>::ssz_type();
    assert_eq!(
        merkle::hash_tree_root(u64s, &[0; 12]),
        Err(MerkleError::NotMultiple {
            path: "value".into(),
            element_size: 8,
            got: 12
        })
    );
    assert_eq!(
        merkle::hash_tree_root(&SszType::ProgressiveBitlist, &[0x05, 0x00]),
        Err(MerkleError::MissingBitlistDelimiter {
            path: "value".into()
        })
    );
    let mut rng = Rng(3);
    let mut v = rng.prog_var();
    v.c = ProgressiveBitlist::with_len(3);
    let mut bytes = v.as_ssz_bytes();
    let last = bytes.len() - 1;
    bytes[last] = 0;
    assert_eq!(
        merkle::hash_tree_root(ProgressiveVarTestStruct::ssz_type(), &bytes),
        Err(MerkleError::MissingBitlistDelimiter {
            path: "value.c".into()
        })
    );
}
