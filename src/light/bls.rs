//! BLS12-381 signatures as the consensus layer uses them: public keys in G1 (48-byte compressed),
//! signatures in G2 (96-byte compressed), ciphersuite `BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`.
//!
//! # Why blst
//!
//! The light client has to check one sync-committee aggregate signature per update (up to 512
//! public keys, one hash-to-curve, two Miller loops), and it has to do it inside a browser tab.
//! Candidates that build for `wasm32-unknown-unknown` with the toolchain of this project:
//!
//! * `blst` (supranational, C compiled through the `cc` crate): the implementation Lighthouse,
//!   Teku, Prysm, Nimbus and Lodestar's native path ship, audited, constant-time, with the
//!   Ethereum checks (KeyValidate, subgroup checks) built in. Its build script recognises wasm32,
//!   switches itself to `no-threads`, and compiles its portable C with the `clang` that
//!   `scripts/setup.sh` installs. Natively it uses hand-written assembly and is several times
//!   faster than any pure-Rust option.
//! * zkcrypto `bls12_381` (pure Rust; hash-to-curve behind its `experimental` feature): builds
//!   anywhere without a C compiler, but has no ready-made "Ethereum" API (key validation, the
//!   POP ciphersuite, aggregate verification would all be ours to get right) and its pairing is
//!   markedly slower, which matters on a phone.
//!
//! A C toolchain for wasm32 is already a project requirement (`ring`, pulled by `tree_hash`), so
//! blst costs no new installation step; it was verified with
//! `cargo build --lib --target wasm32-unknown-unknown`. Everything outside this file sees only the
//! small types below, so the backend can be swapped without touching the sync protocol.
//!
//! # Spec checks
//!
//! * [`PublicKey::from_bytes`] is the IETF `KeyValidate` (draft v4/v5 section 2.5): the point
//!   must decompress, be in the prime-order subgroup and not be the identity.
//! * [`PublicKeyPoint::from_bytes`] is `pubkey_to_point` alone (decompression, on-curve), and
//!   [`PublicKeySum`] the point additions of `FastAggregateVerify` (section 3.3.4, steps 1-4).
//!   The draft does not `KeyValidate` each input key there: its precondition is that every key
//!   came with a proof of possession (section 3.3), and `CoreVerify` (section 2.7, step 4) then
//!   runs `KeyValidate` on the *aggregate*. [`PublicKeySum::key_validate`] is that step.
//!   The consensus specs' reference implementation (`py_ecc`) additionally `KeyValidate`s every
//!   input key, as a runtime stand-in for the proof-of-possession precondition it cannot check
//!   (cfrg/draft-irtf-cfrg-bls-signature issue 27; hence the spec test vector
//!   `fast_aggregate_verify_infinity_pubkey`). Where the precondition is established otherwise
//!   (sync-committee keys, see `sync_protocol::TrustedCommittee`) the per-key subgroup check can
//!   be dropped without changing any result.
//! * [`Signature::from_bytes`] is `signature_to_point` with its subgroup check. The identity
//!   (`0xc0` followed by zeros) is a valid encoding and is accepted here; it simply never verifies
//!   against a non-empty set of keys.
//! * [`fast_aggregate_verify`] is the IETF `FastAggregateVerify` over keys that already passed
//!   `KeyValidate` (no key may be missing: an empty key list is `false`),
//!   [`eth_fast_aggregate_verify`] the Altair wrapper that accepts the identity signature over an
//!   empty key list.

use blst::min_pk;
use blst::BLST_ERROR;
use sha2::{Digest, Sha256};

/// Domain separation tag of the Ethereum proof-of-possession ciphersuite (consensus specs,
/// "BLS signatures": `BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`).
pub const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/// Length in bytes of a compressed G1 public key.
pub const PUBLIC_KEY_BYTES_LEN: usize = 48;
/// Length in bytes of a compressed G2 signature.
pub const SIGNATURE_BYTES_LEN: usize = 96;
/// Length in bytes of a secret key (a big-endian scalar below the group order `r`).
pub const SECRET_KEY_BYTES_LEN: usize = 32;

/// The compressed encoding of the G2 identity (`G2_POINT_AT_INFINITY` in the Altair spec).
pub const G2_POINT_AT_INFINITY: [u8; SIGNATURE_BYTES_LEN] = {
    let mut b = [0u8; SIGNATURE_BYTES_LEN];
    b[0] = 0xc0;
    b
};

/// Why a key, signature or aggregation was rejected. None of these is retryable with the same
/// bytes: the input itself is malformed, so the caller must obtain other data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlsError {
    /// The byte string has the wrong length for the object it should encode.
    WrongLength {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// A public key failed `KeyValidate` (bad encoding, not on the curve, not in the subgroup,
    /// or the identity).
    InvalidPublicKey { reason: &'static str },
    /// A signature failed `signature_to_point` (bad encoding, not on the curve, not in the
    /// subgroup).
    InvalidSignature { reason: &'static str },
    /// A secret key is zero or not below the group order.
    InvalidSecretKey { reason: &'static str },
    /// Aggregation was asked for an empty list.
    EmptyAggregate { what: &'static str },
}

impl std::fmt::Display for BlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlsError::WrongLength {
                what,
                expected,
                got,
            } => write!(f, "{what}: expected {expected} bytes, got {got}"),
            BlsError::InvalidPublicKey { reason } => {
                write!(
                    f,
                    "invalid BLS public key: expected a valid G1 subgroup point, got {reason}"
                )
            }
            BlsError::InvalidSignature { reason } => {
                write!(
                    f,
                    "invalid BLS signature: expected a valid G2 subgroup point, got {reason}"
                )
            }
            BlsError::InvalidSecretKey { reason } => {
                write!(
                    f,
                    "invalid BLS secret key: expected a scalar in [1, r), got {reason}"
                )
            }
            BlsError::EmptyAggregate { what } => {
                write!(
                    f,
                    "cannot aggregate {what}: expected at least one, got none"
                )
            }
        }
    }
}

impl std::error::Error for BlsError {}

fn reason(e: BLST_ERROR) -> &'static str {
    match e {
        BLST_ERROR::BLST_SUCCESS => "success",
        BLST_ERROR::BLST_BAD_ENCODING => "a bad point encoding",
        BLST_ERROR::BLST_POINT_NOT_ON_CURVE => "a point not on the curve",
        BLST_ERROR::BLST_POINT_NOT_IN_GROUP => "a point outside the prime-order subgroup",
        BLST_ERROR::BLST_AGGR_TYPE_MISMATCH => "an aggregate type mismatch",
        BLST_ERROR::BLST_VERIFY_FAIL => "a failed verification",
        BLST_ERROR::BLST_PK_IS_INFINITY => "the point at infinity",
        BLST_ERROR::BLST_BAD_SCALAR => "a scalar out of range",
    }
}

/// A validated BLS public key (G1 point in the prime-order subgroup, not the identity), kept
/// decompressed so that aggregating a committee costs only point additions.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(min_pk::PublicKey);

impl PublicKey {
    /// `KeyValidate` over a 48-byte compressed key (or a 96-byte uncompressed one).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlsError> {
        if bytes.len() != PUBLIC_KEY_BYTES_LEN && bytes.len() != 2 * PUBLIC_KEY_BYTES_LEN {
            return Err(BlsError::WrongLength {
                what: "BLS public key",
                expected: PUBLIC_KEY_BYTES_LEN,
                got: bytes.len(),
            });
        }
        min_pk::PublicKey::key_validate(bytes)
            .map(PublicKey)
            .map_err(|e| BlsError::InvalidPublicKey { reason: reason(e) })
    }

    /// The 48-byte compressed encoding.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_BYTES_LEN] {
        self.0.compress()
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey(0x{})", hex::encode(self.to_bytes()))
    }
}

/// A public key after `pubkey_to_point` alone (IETF draft v4/v5, section 2.2 "Helper
/// functions"): decompressed and on the curve, but neither subgroup-checked nor checked for the
/// identity. This is all `FastAggregateVerify` (section 3.3.4) does to each input key; the
/// subgroup and identity checks (`KeyValidate`, section 2.5) run once, on the sum, inside
/// `CoreVerify` (section 2.7). See [`PublicKeySum::key_validate`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKeyPoint(min_pk::PublicKey);

impl PublicKeyPoint {
    /// `pubkey_to_point` over a 48-byte compressed key: a bad encoding or a point off the curve
    /// is an error; the identity and points outside the subgroup are not.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlsError> {
        if bytes.len() != PUBLIC_KEY_BYTES_LEN {
            return Err(BlsError::WrongLength {
                what: "BLS public key",
                expected: PUBLIC_KEY_BYTES_LEN,
                got: bytes.len(),
            });
        }
        min_pk::PublicKey::uncompress(bytes)
            .map(PublicKeyPoint)
            .map_err(|e| BlsError::InvalidPublicKey { reason: reason(e) })
    }

    /// Whether this is the G1 identity (the encoding `0xc0` followed by zeros).
    pub fn is_identity(&self) -> bool {
        let affine: &blst::blst_p1_affine = (&self.0).into();
        // SAFETY: `affine` points to a live, initialised affine point.
        unsafe { blst::blst_p1_affine_is_inf(affine) }
    }

    /// The 48-byte compressed encoding.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_BYTES_LEN] {
        self.0.compress()
    }
}

impl std::fmt::Debug for PublicKeyPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKeyPoint(0x{})", hex::encode(self.to_bytes()))
    }
}

/// A running sum of public-key points (projective G1), before `KeyValidate`: the
/// `aggregate` of `FastAggregateVerify` steps 1-4, which may also subtract points (the sum of a
/// committee minus its absent members).
#[derive(Clone, Copy, Debug)]
pub struct PublicKeySum(min_pk::AggregatePublicKey);

impl PublicKeySum {
    /// The sum of one point.
    pub fn new(first: &PublicKeyPoint) -> Self {
        PublicKeySum(min_pk::AggregatePublicKey::from_public_key(&first.0))
    }

    /// The sum of `points`; an empty list is an error (`FastAggregateVerify` needs a key).
    pub fn of(points: &[&PublicKeyPoint]) -> Result<Self, BlsError> {
        let (first, rest) = points.split_first().ok_or(BlsError::EmptyAggregate {
            what: "public keys",
        })?;
        let mut sum = PublicKeySum::new(first);
        for p in rest {
            sum.add(p);
        }
        Ok(sum)
    }

    /// Adds `point`.
    pub fn add(&mut self, point: &PublicKeyPoint) {
        // `false`: no per-key validation, by design (see the type's docs).
        let _ = self.0.add_public_key(&point.0, false);
    }

    /// Subtracts `point`.
    pub fn subtract(&mut self, point: &PublicKeyPoint) {
        self.0
            .sub_aggregate(&min_pk::AggregatePublicKey::from_public_key(&point.0));
    }

    /// The sum as an affine point, unchecked (e.g. to write a committee's `aggregate_pubkey`).
    pub fn to_point(&self) -> PublicKeyPoint {
        PublicKeyPoint(self.0.to_public_key())
    }

    /// `KeyValidate` of the sum (draft section 2.5, as `CoreVerify` step 4 runs it on the
    /// aggregate): not the identity and in the prime-order subgroup. The result can be used
    /// with [`Signature::verify`].
    pub fn key_validate(&self) -> Result<PublicKey, BlsError> {
        let pk = self.0.to_public_key();
        pk.validate()
            .map_err(|e| BlsError::InvalidPublicKey { reason: reason(e) })?;
        Ok(PublicKey(pk))
    }
}

/// A BLS signature whose point is in the G2 prime-order subgroup (possibly the identity).
#[derive(Clone, PartialEq, Eq)]
pub struct Signature(min_pk::Signature);

impl Signature {
    /// `signature_to_point` with the subgroup check, over a 96-byte compressed signature.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlsError> {
        if bytes.len() != SIGNATURE_BYTES_LEN {
            return Err(BlsError::WrongLength {
                what: "BLS signature",
                expected: SIGNATURE_BYTES_LEN,
                got: bytes.len(),
            });
        }
        // `false`: the identity is a valid encoding; it is rejected by verification instead.
        min_pk::Signature::sig_validate(bytes, false)
            .map(Signature)
            .map_err(|e| BlsError::InvalidSignature { reason: reason(e) })
    }

    /// The 96-byte compressed encoding.
    pub fn to_bytes(&self) -> [u8; SIGNATURE_BYTES_LEN] {
        self.0.compress()
    }

    /// Whether this is the G2 identity.
    pub fn is_infinity(&self) -> bool {
        self.to_bytes() == G2_POINT_AT_INFINITY
    }

    /// IETF `Verify` of a single signature under `DST`: `CoreVerify` (draft section 2.7) of a
    /// key and a signature that both passed their checks on construction, i.e. `hash_to_point`
    /// of `message` ([`MessagePoint::hash`]) and the pairing check ([`pairing_check`]).
    pub fn verify(&self, public_key: &PublicKey, message: &[u8]) -> bool {
        pairing_check(public_key, &MessagePoint::hash(message), self)
    }

    fn affine(&self) -> &blst::blst_p2_affine {
        (&self.0).into()
    }
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signature(0x{})", hex::encode(self.to_bytes()))
    }
}

/// A message hashed to G2: `hash_to_point(message)` of the ciphersuite (`hash_to_curve` with
/// `expand_message_xmd` over SHA-256 and `DST`, cofactor cleared), affine.
#[derive(Clone, Copy)]
pub struct MessagePoint(blst::blst_p2_affine);

impl MessagePoint {
    /// `hash_to_point(message)` under [`DST`].
    pub fn hash(message: &[u8]) -> Self {
        let mut point = blst::blst_p2::default();
        let mut affine = blst::blst_p2_affine::default();
        // SAFETY: all pointers reference live buffers of the lengths passed; no aug string.
        unsafe {
            blst::blst_hash_to_g2(
                &mut point,
                message.as_ptr(),
                message.len(),
                DST.as_ptr(),
                DST.len(),
                std::ptr::null(),
                0,
            );
            blst::blst_p2_to_affine(&mut affine, &point);
        }
        MessagePoint(affine)
    }
}

/// The product of the Miller loops of `CoreVerify`'s pairing check,
/// `e(PK, Q) * e(-P, signature)` before the final exponentiation (`P` the G1 generator, `Q` the
/// message's point), computed as one multi-Miller loop: the two loops share their squarings.
pub struct MillerLoops(blst::blst_fp12);

impl MillerLoops {
    /// The Miller loops of the pairing check of `signature` over `message` under `public_key`.
    /// A pair with the identity is left out: its pairing is 1.
    pub fn of(public_key: &PublicKey, message: &MessagePoint, signature: &Signature) -> Self {
        let pk: &blst::blst_p1_affine = (&public_key.0).into();
        let minus_generator = minus_g1_generator();
        let mut qs: [*const blst::blst_p2_affine; 2] = [std::ptr::null(); 2];
        let mut ps: [*const blst::blst_p1_affine; 2] = [std::ptr::null(); 2];
        let mut n = 0;
        let pairs = [(&message.0, pk), (signature.affine(), &minus_generator)];
        for (q, p) in pairs {
            // SAFETY: `q` and `p` reference live, initialised affine points.
            let identity =
                unsafe { blst::blst_p2_affine_is_inf(q) || blst::blst_p1_affine_is_inf(p) };
            if !identity {
                qs[n] = q;
                ps[n] = p;
                n += 1;
            }
        }
        let mut f = blst::blst_fp12::default();
        if n == 0 {
            // SAFETY: `blst_fp12_one` returns a pointer to a static element (read unaligned as
            // the generator above).
            f = unsafe { std::ptr::read_unaligned(blst::blst_fp12_one()) };
        } else {
            // SAFETY: `qs[..n]` and `ps[..n]` point to live affine points; `f` is writable.
            unsafe { blst::blst_miller_loop_n(&mut f, qs.as_ptr(), ps.as_ptr(), n) };
        }
        MillerLoops(f)
    }

    /// The final exponentiation, and whether it gives 1: the pairing check's answer.
    pub fn final_exponentiation_is_one(&self) -> bool {
        let mut gt = blst::blst_fp12::default();
        // SAFETY: both pointers reference live `blst_fp12` values.
        unsafe {
            blst::blst_final_exp(&mut gt, &self.0);
            blst::blst_fp12_is_one(&gt)
        }
    }
}

/// `CoreVerify` (draft section 2.7) steps 5-9 for a validated key and signature and an already
/// hashed message: `e(PK, Q) == e(P, signature)`, as one multi-Miller loop and one final
/// exponentiation.
pub fn pairing_check(
    public_key: &PublicKey,
    message: &MessagePoint,
    signature: &Signature,
) -> bool {
    MillerLoops::of(public_key, message, signature).final_exponentiation_is_one()
}

/// One `CoreVerify` to run inside a batch: a validated key, its message already hashed to G2,
/// and a subgroup-checked signature.
#[derive(Clone, Copy)]
pub struct SignatureSet<'a> {
    pub public_key: &'a PublicKey,
    pub message: &'a MessagePoint,
    pub signature: &'a Signature,
}

/// Bits of each random scalar of [`verify_batch`]: a forged set passes a batch with probability
/// at most 2^-64, for scalars the signer cannot know (Lighthouse and Prysm batch block signatures
/// the same way).
pub const BATCH_SCALAR_BITS: usize = 64;

/// Randomised batch verification: `true` when every set's pairing check holds, except with
/// probability at most 2^-64 per call for a batch holding a set that fails alone. With `r_i`
/// random non-zero `BATCH_SCALAR_BITS`-bit scalars (`scalars`, one per set, little-endian) it
/// checks `prod_i e(r_i * PK_i, Q_i) == e(P, sum_i r_i * S_i)`: one Miller loop per set (shared
/// squarings, in groups), one more for the signatures' sum, and a single final exponentiation,
/// where checking the sets one by one costs two Miller loops and a final exponentiation each.
/// The scalars must come from a source a provider cannot predict; a zero scalar, a length
/// mismatch or an empty batch is `false`. A `false` says only that some set fails: the caller
/// checks them one by one to learn which.
pub fn verify_batch(sets: &[SignatureSet<'_>], scalars: &[[u8; 8]]) -> bool {
    if sets.is_empty() || scalars.len() != sets.len() || scalars.contains(&[0u8; 8]) {
        return false;
    }
    let mut pairing = blst::Pairing::new(true, DST);
    let mut signature_sum = blst::blst_p2::default();
    for (i, (set, r)) in sets.iter().zip(scalars).enumerate() {
        let scaled_pk = p1_times((&set.public_key.0).into(), u64::from_le_bytes(*r));
        let mut scaled_pk_affine = blst::blst_p1_affine::default();
        let mut scaled_sig = blst::blst_p2::default();
        // SAFETY: every pointer references a live, initialised point, or the 8-byte scalar of
        // which `BATCH_SCALAR_BITS` bits are read; outputs are distinct from inputs except for
        // the running sum, which blst's addition allows.
        unsafe {
            blst::blst_p1_to_affine(&mut scaled_pk_affine, &scaled_pk);
            let mut sig = blst::blst_p2::default();
            blst::blst_p2_from_affine(&mut sig, set.signature.affine());
            blst::blst_p2_mult(&mut scaled_sig, &sig, r.as_ptr(), BATCH_SCALAR_BITS);
            if i == 0 {
                signature_sum = scaled_sig;
            } else {
                let sum = signature_sum;
                blst::blst_p2_add_or_double(&mut signature_sum, &sum, &scaled_sig);
            }
        }
        // `e(r * PK, Q)`, the message already on G2 (the hashing API would hash it again).
        pairing.raw_aggregate(&set.message.0, &scaled_pk_affine);
    }
    let mut sum_affine = blst::blst_p2_affine::default();
    // SAFETY: both pointers reference live points.
    let sum_is_identity = unsafe {
        blst::blst_p2_to_affine(&mut sum_affine, &signature_sum);
        blst::blst_p2_affine_is_inf(&sum_affine)
    };
    // `e(-P, sum r * S)`; a sum at the identity pairs to 1 and is left out.
    if !sum_is_identity {
        pairing.raw_aggregate(&sum_affine, &minus_g1_generator());
    }
    pairing.commit();
    // With no signature aggregated into the context, this is `final_exp(product) == 1`.
    pairing.finalverify(None)
}

/// `r * p` in G1 by double-and-add over the scalar's bits, with the doubling and addition the
/// wasm already carries: blst's windowed and GLV multiplication would add about 10 KB to it for
/// a 64-bit scalar, where this costs a few more additions.
fn p1_times(p: &blst::blst_p1_affine, r: u64) -> blst::blst_p1 {
    let mut acc = blst::blst_p1::default();
    let mut started = false;
    for bit in (0..u64::BITS).rev() {
        // SAFETY: live points; the inputs are copies, so no output aliases an input.
        unsafe {
            if started {
                let a = acc;
                blst::blst_p1_double(&mut acc, &a);
            }
            if (r >> bit) & 1 == 1 {
                if started {
                    let a = acc;
                    blst::blst_p1_add_or_double_affine(&mut acc, &a, p);
                } else {
                    blst::blst_p1_from_affine(&mut acc, p);
                    started = true;
                }
            }
        }
    }
    acc
}

/// `-P`, the negated G1 generator, affine.
fn minus_g1_generator() -> blst::blst_p1_affine {
    // SAFETY: `blst_p1_affine_generator` returns a pointer to a static, initialised point.
    // Read unaligned: blst's C aligns its constants to its limb, 4 bytes on wasm32, while the
    // Rust binding declares 64-bit limbs.
    let mut g = unsafe { std::ptr::read_unaligned(blst::blst_p1_affine_generator()) };
    let y = g.y;
    // SAFETY: both pointers reference live field elements.
    unsafe { blst::blst_fp_cneg(&mut g.y, &y, true) };
    g
}

/// IETF `AggregatePKs`-style sum of validated keys (used for `SyncCommittee.aggregate_pubkey`).
pub fn aggregate_public_keys(keys: &[&PublicKey]) -> Result<PublicKey, BlsError> {
    if keys.is_empty() {
        return Err(BlsError::EmptyAggregate {
            what: "public keys",
        });
    }
    let raw: Vec<&min_pk::PublicKey> = keys.iter().map(|k| &k.0).collect();
    let agg = min_pk::AggregatePublicKey::aggregate(&raw, false)
        .map_err(|e| BlsError::InvalidPublicKey { reason: reason(e) })?;
    Ok(PublicKey(agg.to_public_key()))
}

/// IETF `Aggregate` of signatures (the devnet builds sync aggregates with it).
pub fn aggregate_signatures(signatures: &[&Signature]) -> Result<Signature, BlsError> {
    if signatures.is_empty() {
        return Err(BlsError::EmptyAggregate { what: "signatures" });
    }
    let raw: Vec<&min_pk::Signature> = signatures.iter().map(|s| &s.0).collect();
    let agg = min_pk::AggregateSignature::aggregate(&raw, false)
        .map_err(|e| BlsError::InvalidSignature { reason: reason(e) })?;
    Ok(Signature(agg.to_signature()))
}

/// IETF `FastAggregateVerify`: every key signed the same `message`. An empty key list is `false`.
pub fn fast_aggregate_verify(keys: &[&PublicKey], message: &[u8], signature: &Signature) -> bool {
    if keys.is_empty() {
        return false;
    }
    let raw: Vec<&min_pk::PublicKey> = keys.iter().map(|k| &k.0).collect();
    signature.0.fast_aggregate_verify(false, message, DST, &raw) == BLST_ERROR::BLST_SUCCESS
}

/// Altair `eth_fast_aggregate_verify`: like [`fast_aggregate_verify`] but an empty key list with
/// the identity signature is `true` (a sync aggregate nobody took part in).
pub fn eth_fast_aggregate_verify(
    keys: &[&PublicKey],
    message: &[u8],
    signature: &Signature,
) -> bool {
    if keys.is_empty() && signature.is_infinity() {
        return true;
    }
    fast_aggregate_verify(keys, message, signature)
}

/// A BLS secret key. Only the devnet and tests sign; the light client itself never does.
#[derive(Clone)]
pub struct SecretKey(min_pk::SecretKey);

impl SecretKey {
    /// A secret key from its 32-byte big-endian scalar, which must be in `[1, r)`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlsError> {
        if bytes.len() != SECRET_KEY_BYTES_LEN {
            return Err(BlsError::WrongLength {
                what: "BLS secret key",
                expected: SECRET_KEY_BYTES_LEN,
                got: bytes.len(),
            });
        }
        if bytes.iter().all(|b| *b == 0) {
            return Err(BlsError::InvalidSecretKey { reason: "zero" });
        }
        min_pk::SecretKey::from_bytes(bytes)
            .map(SecretKey)
            .map_err(|e| BlsError::InvalidSecretKey { reason: reason(e) })
    }

    /// The deterministic "interop" key of validator `index` used by every client's devnet
    /// tooling (eth2.0-pm `interop/mocked_start`): `sk = int.from_bytes(sha256(index as 32-byte
    /// little-endian), "little") mod r`. Using the same keys lets devnet data be cross-checked
    /// with other clients' interop genesis tools.
    pub fn interop(index: u64) -> Self {
        let mut preimage = [0u8; 32];
        preimage[..8].copy_from_slice(&index.to_le_bytes());
        let digest: [u8; 32] = Sha256::digest(preimage).into();
        Self::from_le_bytes_mod_order(&digest)
    }

    /// A key derived from an arbitrary `seed` and an `index` with the IETF `KeyGen`
    /// (HKDF-based), for devnets that should not share keys with the public interop set.
    pub fn from_seed(seed: &[u8], index: u64) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(seed);
        hasher.update(index.to_le_bytes());
        let ikm: [u8; 32] = hasher.finalize().into();
        // `key_gen` only fails for an input key material shorter than 32 bytes.
        SecretKey(min_pk::SecretKey::key_gen(&ikm, &[]).expect("32-byte IKM is accepted"))
    }

    fn from_le_bytes_mod_order(le: &[u8; 32]) -> Self {
        let mut scalar = blst::blst_scalar::default();
        // SAFETY: `scalar` is a valid out-pointer, `le` a 32-byte readable buffer.
        unsafe { blst::blst_scalar_from_le_bytes(&mut scalar, le.as_ptr(), le.len()) };
        let mut be = [0u8; 32];
        // SAFETY: `be` is a 32-byte writable buffer, `scalar` is initialised above.
        unsafe { blst::blst_bendian_from_scalar(be.as_mut_ptr(), &scalar) };
        // A SHA-256 output reduced mod r is zero with probability 2^-255; none of the indices a
        // devnet uses hits it, and the fallback keeps this function total.
        Self::from_bytes(&be).unwrap_or_else(|_| Self::from_seed(le, 0))
    }

    /// The 32-byte big-endian scalar.
    pub fn to_bytes(&self) -> [u8; SECRET_KEY_BYTES_LEN] {
        self.0.to_bytes()
    }

    /// `SkToPk`.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.sk_to_pk())
    }

    /// `Sign` under the Ethereum ciphersuite.
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message, DST, &[]))
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_round_trip_and_tamper() {
        let sk = SecretKey::interop(3);
        let pk = sk.public_key();
        let sig = sk.sign(b"message");
        assert!(sig.verify(&pk, b"message"));
        assert!(!sig.verify(&pk, b"messagE"));
        let sig2 = Signature::from_bytes(&sig.to_bytes()).unwrap();
        assert_eq!(sig, sig2);
        assert_eq!(PublicKey::from_bytes(&pk.to_bytes()).unwrap(), pk);
    }

    #[test]
    fn aggregate_verify_needs_every_signer() {
        let sks: Vec<SecretKey> = (0..8).map(|i| SecretKey::from_seed(b"t", i)).collect();
        let pks: Vec<PublicKey> = sks.iter().map(|s| s.public_key()).collect();
        let sigs: Vec<Signature> = sks.iter().map(|s| s.sign(b"root")).collect();
        let agg = aggregate_signatures(&sigs.iter().collect::<Vec<_>>()).unwrap();
        let all: Vec<&PublicKey> = pks.iter().collect();
        assert!(fast_aggregate_verify(&all, b"root", &agg));
        assert!(!fast_aggregate_verify(&all[..7], b"root", &agg));
        assert!(!fast_aggregate_verify(&[], b"root", &agg));
        let inf = Signature::from_bytes(&G2_POINT_AT_INFINITY).unwrap();
        assert!(eth_fast_aggregate_verify(&[], b"root", &inf));
        assert!(!fast_aggregate_verify(&[], b"root", &inf));
        let apk = aggregate_public_keys(&all).unwrap();
        assert!(agg.verify(&apk, b"root"));
    }

    /// The multi-Miller-loop check agrees with blst's own `Verify` (its pairing context) on
    /// genuine, tampered and cross-key signatures, and treats the identity signature as the
    /// equation says (`e(PK, Q) == 1` is false for a key and a message point of prime order).
    #[test]
    fn pairing_check_agrees_with_blst_verify() {
        let sks: Vec<SecretKey> = (0..4).map(SecretKey::interop).collect();
        let inf = Signature::from_bytes(&G2_POINT_AT_INFINITY).unwrap();
        for (i, sk) in sks.iter().enumerate() {
            let pk = sk.public_key();
            for msg in [&b"root"[..], &[i as u8; 32][..]] {
                let sig = sk.sign(msg);
                let other = sks[(i + 1) % sks.len()].sign(msg);
                let blst_verify = |s: &Signature, m: &[u8]| {
                    s.0.verify(true, m, DST, &[], &pk.0, true) == BLST_ERROR::BLST_SUCCESS
                };
                for (s, m, expected) in [
                    (&sig, msg, true),
                    (&sig, &b"roou"[..], false),
                    (&other, msg, false),
                    (&inf, msg, false),
                ] {
                    assert_eq!(blst_verify(s, m), expected);
                    assert_eq!(s.verify(&pk, m), expected);
                    let q = MessagePoint::hash(m);
                    assert_eq!(pairing_check(&pk, &q, s), expected);
                    assert_eq!(
                        MillerLoops::of(&pk, &q, s).final_exponentiation_is_one(),
                        expected
                    );
                }
            }
        }
    }

    #[test]
    fn p1_times_is_blst_multiplication() {
        let pk = SecretKey::interop(2).public_key();
        let affine: &blst::blst_p1_affine = (&pk.0).into();
        for r in [
            1u64,
            2,
            3,
            0x8000_0000_0000_0000,
            0x9e37_79b9_7f4a_7c15,
            u64::MAX,
        ] {
            let mut projective = blst::blst_p1::default();
            let mut expected = blst::blst_p1::default();
            let got = p1_times(affine, r);
            // SAFETY: live points and an 8-byte little-endian scalar of 64 bits.
            unsafe {
                blst::blst_p1_from_affine(&mut projective, affine);
                blst::blst_p1_mult(&mut expected, &projective, r.to_le_bytes().as_ptr(), 64);
                assert!(blst::blst_p1_is_equal(&got, &expected), "r = {r:#x}");
            }
        }
    }

    #[test]
    fn batch_holds_exactly_when_every_set_does() {
        let sks: Vec<SecretKey> = (0..4).map(SecretKey::interop).collect();
        let pks: Vec<PublicKey> = sks.iter().map(SecretKey::public_key).collect();
        let msgs: Vec<[u8; 32]> = (0..4u8).map(|i| [i + 1; 32]).collect();
        let points: Vec<MessagePoint> = msgs.iter().map(|m| MessagePoint::hash(m)).collect();
        let sigs: Vec<Signature> = sks.iter().zip(&msgs).map(|(sk, m)| sk.sign(m)).collect();
        let inf = Signature::from_bytes(&G2_POINT_AT_INFINITY).unwrap();
        fn sets<'s>(sigs: &[&'s Signature]) -> Vec<(usize, &'s Signature)> {
            sigs.iter().copied().enumerate().collect()
        }
        let check = |pairs: Vec<(usize, &Signature)>, scalars: &[[u8; 8]]| {
            let sets: Vec<SignatureSet<'_>> = pairs
                .iter()
                .map(|&(i, s)| SignatureSet {
                    public_key: &pks[i],
                    message: &points[i],
                    signature: s,
                })
                .collect();
            verify_batch(&sets, scalars)
        };
        let scalars: Vec<[u8; 8]> = (0..4u64)
            .map(|i| (0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i + 1)).to_le_bytes())
            .collect();
        let all: Vec<&Signature> = sigs.iter().collect();
        assert!(check(sets(&all), &scalars));
        assert!(check(sets(&all[..1]), &scalars[..1]));
        // Each set verifies alone, as the batch says.
        for i in 0..4 {
            assert!(pairing_check(&pks[i], &points[i], &sigs[i]));
        }
        // One wrong signature anywhere (another key's, a swap, the identity) fails the batch.
        for bad in 0..4 {
            for wrong in [&sigs[(bad + 1) % 4], &inf] {
                let mut some = all.clone();
                some[bad] = wrong;
                assert!(!check(sets(&some), &scalars), "set {bad} wrong");
            }
        }
        // Two wrong signatures whose errors cancel in a plain sum: S0 + d and S1 - d pass an
        // unweighted check, not the randomised one.
        let d = sks[3].sign(b"offset");
        let (mut s0, mut s1) = (blst::blst_p2::default(), blst::blst_p2::default());
        let mut minus_d = blst::blst_p2::default();
        // SAFETY: live points; `blst_p2_cneg` negates in place.
        unsafe {
            blst::blst_p2_from_affine(&mut s0, sigs[0].affine());
            blst::blst_p2_from_affine(&mut s1, sigs[1].affine());
            blst::blst_p2_from_affine(&mut minus_d, d.affine());
            let mut dp = minus_d;
            let a = s0;
            blst::blst_p2_add_or_double(&mut s0, &a, &dp);
            blst::blst_p2_cneg(&mut dp, true);
            let b = s1;
            blst::blst_p2_add_or_double(&mut s1, &b, &dp);
        }
        let to_sig = |p: &blst::blst_p2| {
            let mut bytes = [0u8; 96];
            // SAFETY: live point, 96-byte output.
            unsafe { blst::blst_p2_compress(bytes.as_mut_ptr(), p) };
            Signature::from_bytes(&bytes).unwrap()
        };
        let (f0, f1) = (to_sig(&s0), to_sig(&s1));
        assert!(!check(vec![(0, &f0), (1, &f1)], &scalars[..2]));
        assert!(check(
            vec![(0, &f0), (1, &f1)],
            &[[1, 0, 0, 0, 0, 0, 0, 0]; 2]
        ));
        // No scalars, a zero scalar, a length mismatch, an empty batch: false.
        assert!(!check(sets(&all), &scalars[..3]));
        let mut zero = scalars.clone();
        zero[2] = [0; 8];
        assert!(!check(sets(&all), &zero));
        assert!(!verify_batch(&[], &[]));
    }

    #[test]
    fn interop_keys_match_other_clients() {
        // Known answers: the interop validator 0 and 1 keys as published in Prysm's interop
        // key manager tests and Teku's validator-loader tests.
        let sk0 = SecretKey::interop(0);
        assert_eq!(
            hex::encode(sk0.to_bytes()),
            "25295f0d1d592a90b333e26e85149708208e9f8e8bc18f6c77bd62f8ad7a6866"
        );
        assert_eq!(
            hex::encode(sk0.public_key().to_bytes()),
            "a99a76ed7796f7be22d5b7e85deeb7c5677e88e511e0b337618f8c4eb61349b4\
             bf2d153f649f7b53359fe8b94a38e44c"
        );
        assert_eq!(
            hex::encode(SecretKey::interop(1).to_bytes()),
            "51d0b65185db6989ab0b560d6deed19c7ead0e24b9b6372cbecb1f26bdfad000"
        );
    }

    #[test]
    fn rejects_identity_key_and_bad_lengths() {
        let mut inf_pk = [0u8; 48];
        inf_pk[0] = 0xc0;
        assert!(matches!(
            PublicKey::from_bytes(&inf_pk),
            Err(BlsError::InvalidPublicKey { .. })
        ));
        assert!(matches!(
            PublicKey::from_bytes(&[0u8; 47]),
            Err(BlsError::WrongLength {
                expected: 48,
                got: 47,
                ..
            })
        ));
        assert!(matches!(
            Signature::from_bytes(&[0u8; 95]),
            Err(BlsError::WrongLength {
                expected: 96,
                got: 95,
                ..
            })
        ));
        // All-zero bytes lack the compression flag: a bad encoding, not a point.
        assert!(matches!(
            Signature::from_bytes(&[0u8; 96]),
            Err(BlsError::InvalidSignature { .. })
        ));
        assert!(matches!(
            SecretKey::from_bytes(&[0u8; 32]),
            Err(BlsError::InvalidSecretKey { .. })
        ));
    }
}
