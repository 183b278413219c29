//! SHA-256 of 64-byte messages (two child roots -> parent), many at once.
//!
//! Merkleizing a beacon state is almost entirely `sha256(left ++ right)` over 32-byte nodes.
//! A 64-byte message always takes two compression blocks and the second block is the constant
//! padding (`0x80`, zeros, bit length 512), so its message schedule `W[t] + K[t]` is computed
//! once at compile time ([`PAD_WK`]) and every kernel skips that half of the schedule work.
//!
//! Kernels (all produce identical output, checked against `sha2` and the NIST vectors):
//! - [`Kernel::Scalar`]: portable, one node at a time, precomputed padding block.
//! - [`Kernel::Sha2Crate`]: `sha2::compress256` over both blocks (uses SHA-NI/ARMv8 crypto when
//!   present); kept as the reference point and as the fallback on other native targets. Native
//!   only: the wasm's merkleization has the two kernels below (`sha2` itself stays in the wasm
//!   for the light client's branch and fork-digest hashes).
//! - [`Kernel::ShaNi`] (x86_64, `sha`+`sse4.1`): SHA-NI, two independent nodes interleaved so the
//!   `sha256rnds2` latency chain of one node hides behind the other.
//! - [`Kernel::Sse2x4`], [`Kernel::Avx2x8`], [`Kernel::Avx512x16`] (x86_64): one node per SIMD
//!   lane. The 4-lane SSE2 kernel is the same code shape as the wasm kernel, so the lane algorithm
//!   is exercised natively even though `cargo test` does not run wasm.
//! - [`Kernel::Simd128x4`] (wasm32): four nodes per `v128`.
//!
//! # Choosing a kernel in wasm
//! WebAssembly validates a whole module before running it, so a module containing a single SIMD
//! instruction fails to load in an engine without SIMD; run-time detection *inside* a module is
//! therefore impossible. The wasm kernel is compiled only when the crate is built with
//! `-C target-feature=+simd128` (`cfg(target_feature = "simd128")`). The intended packaging is
//! two builds (with and without `+simd128`) and a JS-side probe, `WebAssembly.validate` of a tiny
//! module using one `v128` instruction, to pick which `.wasm` to instantiate. Every browser since
//! 2021 (Chrome 91, Firefox 89, Safari 16.4) takes the SIMD build; the scalar build is the fallback.
//! Native x86_64 picks the fastest kernel the CPU supports at run time ([`best_kernel`]).

/// SHA-256 round constants (FIPS 180-4 §4.2.2).
pub(crate) const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// Initial hash value H(0) (FIPS 180-4 §5.3.3).
pub(crate) const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// `W[t] + K[t]` for the second block of every 64-byte message: word 0 is the `0x80` end marker,
/// word 15 the message length in bits (512), the rest zero. Computed at compile time.
pub(crate) const PAD_WK: [u32; 64] = pad_schedule();

const fn pad_schedule() -> [u32; 64] {
    let mut w = [0u32; 64];
    w[0] = 0x8000_0000;
    w[15] = 512;
    let mut t = 16;
    while t < 64 {
        let s0 = w[t - 15].rotate_right(7) ^ w[t - 15].rotate_right(18) ^ (w[t - 15] >> 3);
        let s1 = w[t - 2].rotate_right(17) ^ w[t - 2].rotate_right(19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16]
            .wrapping_add(s0)
            .wrapping_add(w[t - 7])
            .wrapping_add(s1);
        t += 1;
    }
    let mut wk = [0u32; 64];
    let mut i = 0;
    while i < 64 {
        wk[i] = w[i].wrapping_add(K[i]);
        i += 1;
    }
    wk
}

/// A SHA-256 implementation for 64-byte messages. Not every kernel exists on every target; see
/// [`Kernel::is_available`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// Portable scalar code with the precomputed padding schedule.
    Scalar,
    /// `sha2::compress256` on the message and padding blocks.
    Sha2Crate,
    /// x86_64 SHA-NI, two nodes interleaved.
    ShaNi,
    /// x86_64 SSE2, 4 nodes per call (same shape as the wasm kernel).
    Sse2x4,
    /// x86_64 AVX2, 8 nodes per call.
    Avx2x8,
    /// x86_64 AVX-512F, 16 nodes per call.
    Avx512x16,
    /// wasm32 `simd128`, 4 nodes per call.
    Simd128x4,
}

impl Kernel {
    /// Every kernel, in the order the benchmark prints them.
    pub const ALL: [Kernel; 7] = [
        Kernel::Scalar,
        Kernel::Sha2Crate,
        Kernel::ShaNi,
        Kernel::Sse2x4,
        Kernel::Avx2x8,
        Kernel::Avx512x16,
        Kernel::Simd128x4,
    ];

    /// Short name for tables and logs.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Scalar => "scalar",
            Kernel::Sha2Crate => "sha2-crate",
            Kernel::ShaNi => "sha-ni-x2",
            Kernel::Sse2x4 => "sse2-x4",
            Kernel::Avx2x8 => "avx2-x8",
            Kernel::Avx512x16 => "avx512-x16",
            Kernel::Simd128x4 => "simd128-x4",
        }
    }

    /// Whether this kernel is compiled in and the running CPU supports it.
    pub fn is_available(self) -> bool {
        match self {
            Kernel::Scalar => true,
            #[cfg(not(target_arch = "wasm32"))]
            Kernel::Sha2Crate => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::ShaNi => {
                std::is_x86_feature_detected!("sha")
                    && std::is_x86_feature_detected!("sse4.1")
                    && std::is_x86_feature_detected!("ssse3")
            }
            #[cfg(target_arch = "x86_64")]
            Kernel::Sse2x4 => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2x8 => std::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512x16 => std::is_x86_feature_detected!("avx512f"),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Kernel::Simd128x4 => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// Hashes `input.len() / 64` nodes: `out[32 i..32 i + 32] = sha256(input[64 i..64 i + 64])`.
    /// An unavailable kernel falls back to [`Kernel::Scalar`] (same output).
    ///
    /// # Panics
    /// If `input.len()` is not a multiple of 64 or `out.len() != input.len() / 2` (a caller bug,
    /// not a data error: merkleization sizes these buffers itself).
    pub fn hash_nodes(self, input: &[u8], out: &mut [u8]) {
        assert!(
            input.len().is_multiple_of(64) && out.len() * 2 == input.len(),
            "hash_nodes: expected input a multiple of 64 bytes and output half of it, got {} and {}",
            input.len(),
            out.len()
        );
        if !self.is_available() {
            return scalar::hash_nodes(input, out);
        }
        match self {
            Kernel::Scalar => scalar::hash_nodes(input, out),
            #[cfg(not(target_arch = "wasm32"))]
            Kernel::Sha2Crate => sha2_crate::hash_nodes(input, out),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: is_available() checked the CPU features each kernel is compiled for.
            Kernel::ShaNi => unsafe { x86::shani::hash_nodes(input, out) },
            #[cfg(target_arch = "x86_64")]
            Kernel::Sse2x4 => unsafe { lanes_driver(input, out, 4, x86::sse2::hash_lanes) },
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2x8 => unsafe { lanes_driver(input, out, 8, x86::avx2::hash_lanes) },
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512x16 => unsafe { lanes_driver(input, out, 16, x86::avx512::hash_lanes) },
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Kernel::Simd128x4 => unsafe { lanes_driver(input, out, 4, wasm::hash_lanes) },
            #[allow(unreachable_patterns)]
            _ => scalar::hash_nodes(input, out),
        }
    }
}

/// Runs a multi-lane kernel over full groups of `lanes` nodes and the scalar kernel on the tail.
///
/// # Safety
/// `f` must be callable on this CPU.
#[allow(dead_code)]
#[inline]
unsafe fn lanes_driver(input: &[u8], out: &mut [u8], lanes: usize, f: unsafe fn(&[u8], &mut [u8])) {
    let full = input.len() / 64 / lanes * lanes;
    for (i, o) in input[..full * 64]
        .chunks_exact(64 * lanes)
        .zip(out[..full * 32].chunks_exact_mut(32 * lanes))
    {
        f(i, o);
    }
    scalar::hash_nodes(&input[full * 64..], &mut out[full * 32..]);
}

/// The fastest available kernel on this machine, measured on the targets we ship for: on
/// x86_64 SHA-NI beats the lane kernels when present (see `lightsync bench`), then AVX-512,
/// AVX2, SSE2. Chosen once and cached.
pub fn best_kernel() -> Kernel {
    use std::sync::OnceLock;
    static BEST: OnceLock<Kernel> = OnceLock::new();
    *BEST.get_or_init(|| {
        let order = [
            Kernel::ShaNi,
            Kernel::Avx512x16,
            Kernel::Avx2x8,
            Kernel::Simd128x4,
            Kernel::Sse2x4,
            Kernel::Sha2Crate,
        ];
        order
            .into_iter()
            .find(|k| k.is_available())
            .unwrap_or(Kernel::Scalar)
    })
}

/// Hashes `input.len() / 64` pairs of 32-byte nodes into `out` with the [`best_kernel`].
///
/// # Panics
/// If `input.len()` is not a multiple of 64 or `out.len() != input.len() / 2`.
pub fn hash_nodes(input: &[u8], out: &mut [u8]) {
    best_kernel().hash_nodes(input, out)
}

/// `sha256(left ++ right)` for one pair, with the [`best_kernel`].
pub fn hash_pair(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut input = [0u8; 64];
    input[..32].copy_from_slice(left);
    input[32..].copy_from_slice(right);
    let mut out = [0u8; 32];
    hash_nodes(&input, &mut out);
    out
}

/// `unrolled!(0 1 2 ...; |t| body)`: `body` once per literal, with `t: usize` bound to it, so
/// every index in `body` is a constant.
macro_rules! unrolled {
    ($($n:literal)*; |$t:ident| $body:block) => {
        $({
            let $t: usize = $n;
            $body
        })*
    };
}

mod scalar {
    use super::{IV, K, PAD_WK};

    /// 64 rounds over `state` with the per-round `W[t] + K[t]` values in `wk`.
    #[inline(always)]
    fn rounds(state: &mut [u32; 8], wk: &[u32; 64]) {
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
        // Unrolled by hand: see `unrolled!`.
        unrolled!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29
            30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58
            59 60 61 62 63; |t| {
            let x = wk[t];
            let t1 = h
                .wrapping_add(e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25))
                .wrapping_add(g ^ (e & (f ^ g)))
                .wrapping_add(x);
            let t2 = (a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22))
                .wrapping_add((a & b) | (c & (a | b)));
            h = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        });
        let v = [a, b, c, d, e, f, g, h];
        unrolled!(0 1 2 3 4 5 6 7; |i| {
            state[i] = state[i].wrapping_add(v[i]);
        });
    }

    /// One SHA-256 compression of a 64-byte `block` into `state` (FIPS 180-4 §6.2.2). No
    /// iterator adapters: the package is built for size, where they are not inlined.
    #[inline(always)]
    pub(super) fn compress(state: &mut [u32; 8], block: &[u8; 64]) {
        let mut w = [0u32; 64];
        unrolled!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; |j| {
            w[j] = u32::from_be_bytes([
                block[4 * j],
                block[4 * j + 1],
                block[4 * j + 2],
                block[4 * j + 3],
            ]);
        });
        unrolled!(16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41
            42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63; |t| {
            let (w15, w2) = (w[t - 15], w[t - 2]);
            let s0 = w15.rotate_right(7) ^ w15.rotate_right(18) ^ (w15 >> 3);
            let s1 = w2.rotate_right(17) ^ w2.rotate_right(19) ^ (w2 >> 10);
            w[t] = w[t - 16]
                .wrapping_add(s0)
                .wrapping_add(w[t - 7])
                .wrapping_add(s1);
        });
        unrolled!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29
            30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58
            59 60 61 62 63; |t| {
            w[t] = w[t].wrapping_add(K[t]);
        });
        rounds(state, &w);
    }

    /// One node: `sha256(block)` for a 64-byte block; the padding block uses [`PAD_WK`].
    #[inline(always)]
    pub(super) fn hash_one(block: &[u8; 64], out: &mut [u8; 32]) {
        let mut state = IV;
        compress(&mut state, block);
        rounds(&mut state, &PAD_WK);
        unrolled!(0 1 2 3 4 5 6 7; |i| {
            let b = state[i].to_be_bytes();
            out[4 * i] = b[0];
            out[4 * i + 1] = b[1];
            out[4 * i + 2] = b[2];
            out[4 * i + 3] = b[3];
        });
    }

    pub(super) fn hash_nodes(input: &[u8], out: &mut [u8]) {
        let n = (input.len() / 64).min(out.len() / 32);
        for k in 0..n {
            // The slices are exactly 64 and 32 bytes long, so the conversions cannot fail.
            let block: &[u8; 64] = input[64 * k..64 * k + 64].try_into().expect("64 bytes");
            let node: &mut [u8; 32] = (&mut out[32 * k..32 * k + 32])
                .try_into()
                .expect("32 bytes");
            hash_one(block, node);
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod sha2_crate {
    use sha2::digest::generic_array::GenericArray;

    /// The padding block of a 64-byte message, as bytes.
    const PAD_BLOCK: [u8; 64] = {
        let mut b = [0u8; 64];
        b[0] = 0x80;
        b[62] = 0x02; // 512 bits, big-endian in the last 8 bytes
        b
    };

    pub(super) fn hash_nodes(input: &[u8], out: &mut [u8]) {
        let pad = *GenericArray::from_slice(&PAD_BLOCK);
        for (i, o) in input.chunks_exact(64).zip(out.chunks_exact_mut(32)) {
            let mut state = super::IV;
            sha2::compress256(&mut state, &[*GenericArray::from_slice(i), pad]);
            for (o, s) in o.chunks_exact_mut(4).zip(state) {
                o.copy_from_slice(&s.to_be_bytes());
            }
        }
    }
}

/// The lane-parallel kernel body, shared by SSE2/AVX2/AVX-512 and wasm `simd128`. It expands
/// inside a module that defines, for its vector type `V`, the helpers `splat`, `add`, `xor`,
/// `and`, `or`, `rotr`, `shr`, `load_w` (the 16 message words of every lane) and `store_fin`
/// (the digests back out), the last two from [`generic_io`] or the module's own, all compiled
/// for the same target feature as the kernel so they inline. Compiled only where a module
/// uses it (a scalar-only wasm build has none).
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
))]
macro_rules! lane_kernel {
    ($V:ty, $LANES:expr, $(#[$attr:meta])*) => {
        const LANES: usize = $LANES;

        /// Hashes exactly `LANES` nodes (`input`: `64 * LANES` bytes, `out`: `32 * LANES`).
        $(#[$attr])*
        // Unrolled, the last schedule words are written and never read.
        #[allow(unused_assignments)]
        pub(crate) unsafe fn hash_lanes(input: &[u8], out: &mut [u8]) {
            use super::super::{IV, K, PAD_WK};
            debug_assert!(input.len() == 64 * LANES && out.len() == 32 * LANES);
            let mut w: [$V; 16] = load_w(input);
            let iv: [$V; 8] = [
                splat(IV[0]), splat(IV[1]), splat(IV[2]), splat(IV[3]),
                splat(IV[4]), splat(IV[5]), splat(IV[6]), splat(IV[7]),
            ];
            let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = iv;
            macro_rules! round {
                ($wk:expr) => {{
                    let s1 = xor(xor(rotr(e, 6), rotr(e, 11)), rotr(e, 25));
                    let ch = xor(g, and(e, xor(f, g)));
                    let t1 = add(add(add(h, s1), ch), $wk);
                    let s0 = xor(xor(rotr(a, 2), rotr(a, 13)), rotr(a, 22));
                    let maj = or(and(a, b), and(c, or(a, b)));
                    let t2 = add(s0, maj);
                    h = g;
                    g = f;
                    f = e;
                    e = add(d, t1);
                    d = c;
                    c = b;
                    b = a;
                    a = add(t1, t2);
                }};
            }
            // The rounds are unrolled by hand (`unrolled!`), not left to the optimiser: with
            // constant indices `w` lives in locals, whatever the opt-level (the wasm package is
            // built for size, which does not unroll loops).
            unrolled!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; |t| {
                round!(add(w[t], splat(K[t])));
            });
            unrolled!(16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39
                40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63; |t| {
                let w15 = w[(t - 15) & 15];
                let w2 = w[(t - 2) & 15];
                let s0 = xor(xor(rotr(w15, 7), rotr(w15, 18)), shr(w15, 3));
                let s1 = xor(xor(rotr(w2, 17), rotr(w2, 19)), shr(w2, 10));
                let v = add(add(w[t & 15], s0), add(w[(t - 7) & 15], s1));
                w[t & 15] = v;
                round!(add(v, splat(K[t])));
            });
            let mid = [
                add(a, iv[0]), add(b, iv[1]), add(c, iv[2]), add(d, iv[3]),
                add(e, iv[4]), add(f, iv[5]), add(g, iv[6]), add(h, iv[7]),
            ];
            [a, b, c, d, e, f, g, h] = mid;
            unrolled!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27
                28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55
                56 57 58 59 60 61 62 63; |t| {
                round!(splat(PAD_WK[t]));
            });
            let fin = [
                add(a, mid[0]), add(b, mid[1]), add(c, mid[2]), add(d, mid[3]),
                add(e, mid[4]), add(f, mid[5]), add(g, mid[6]), add(h, mid[7]),
            ];
            store_fin(&fin, out);
        }
    };
}

/// Portable message loading and digest storing for [`lane_kernel`]: word `j` of every lane
/// gathered from the big-endian input into one vector (`load_w`), and back (`store_fin`). A
/// module may instead define its own `load_w`/`store_fin` with vector shuffles (wasm does, so
/// only x86 uses this; the module's `load`/`store` move one vector from/to `[u32; LANES]`).
#[cfg(target_arch = "x86_64")]
macro_rules! generic_io {
    ($V:ty, $LANES:expr, $(#[$attr:meta])*) => {
        #[inline]
        $(#[$attr])*
        unsafe fn load_w(input: &[u8]) -> [$V; 16] {
            let mut w: [$V; 16] = [splat(0); 16];
            for (j, wj) in w.iter_mut().enumerate() {
                let mut tmp = [0u32; $LANES];
                for (l, t) in tmp.iter_mut().enumerate() {
                    let p = l * 64 + 4 * j;
                    *t = u32::from_be_bytes([input[p], input[p + 1], input[p + 2], input[p + 3]]);
                }
                *wj = load(&tmp);
            }
            w
        }

        #[inline]
        $(#[$attr])*
        unsafe fn store_fin(fin: &[$V; 8], out: &mut [u8]) {
            for (j, v) in fin.iter().enumerate() {
                let mut tmp = [0u32; $LANES];
                store(*v, &mut tmp);
                for (l, t) in tmp.iter().enumerate() {
                    out[l * 32 + 4 * j..l * 32 + 4 * j + 4].copy_from_slice(&t.to_be_bytes());
                }
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    pub(super) mod sse2 {
        use core::arch::x86_64::*;
        type V = __m128i;
        #[inline(always)]
        unsafe fn splat(x: u32) -> V {
            _mm_set1_epi32(x as i32)
        }
        #[inline(always)]
        unsafe fn add(a: V, b: V) -> V {
            _mm_add_epi32(a, b)
        }
        #[inline(always)]
        unsafe fn xor(a: V, b: V) -> V {
            _mm_xor_si128(a, b)
        }
        #[inline(always)]
        unsafe fn and(a: V, b: V) -> V {
            _mm_and_si128(a, b)
        }
        #[inline(always)]
        unsafe fn or(a: V, b: V) -> V {
            _mm_or_si128(a, b)
        }
        #[inline(always)]
        unsafe fn shr(a: V, n: i32) -> V {
            _mm_srl_epi32(a, _mm_cvtsi32_si128(n))
        }
        #[inline(always)]
        unsafe fn rotr(a: V, n: i32) -> V {
            _mm_or_si128(
                _mm_srl_epi32(a, _mm_cvtsi32_si128(n)),
                _mm_sll_epi32(a, _mm_cvtsi32_si128(32 - n)),
            )
        }
        #[inline(always)]
        unsafe fn load(x: &[u32; 4]) -> V {
            _mm_loadu_si128(x.as_ptr() as *const V)
        }
        #[inline(always)]
        unsafe fn store(v: V, x: &mut [u32; 4]) {
            _mm_storeu_si128(x.as_mut_ptr() as *mut V, v)
        }
        generic_io!(V, 4,);
        lane_kernel!(V, 4,);
    }

    pub(super) mod avx2 {
        use core::arch::x86_64::*;
        type V = __m256i;
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn splat(x: u32) -> V {
            _mm256_set1_epi32(x as i32)
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn add(a: V, b: V) -> V {
            _mm256_add_epi32(a, b)
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn xor(a: V, b: V) -> V {
            _mm256_xor_si256(a, b)
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn and(a: V, b: V) -> V {
            _mm256_and_si256(a, b)
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn or(a: V, b: V) -> V {
            _mm256_or_si256(a, b)
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn shr(a: V, n: i32) -> V {
            _mm256_srl_epi32(a, _mm_cvtsi32_si128(n))
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn rotr(a: V, n: i32) -> V {
            _mm256_or_si256(
                _mm256_srl_epi32(a, _mm_cvtsi32_si128(n)),
                _mm256_sll_epi32(a, _mm_cvtsi32_si128(32 - n)),
            )
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn load(x: &[u32; 8]) -> V {
            _mm256_loadu_si256(x.as_ptr() as *const V)
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn store(v: V, x: &mut [u32; 8]) {
            _mm256_storeu_si256(x.as_mut_ptr() as *mut V, v)
        }
        generic_io!(V, 8, #[target_feature(enable = "avx2")]);
        lane_kernel!(V, 8, #[target_feature(enable = "avx2")]);
    }

    pub(super) mod avx512 {
        use core::arch::x86_64::*;
        type V = __m512i;
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn splat(x: u32) -> V {
            _mm512_set1_epi32(x as i32)
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn add(a: V, b: V) -> V {
            _mm512_add_epi32(a, b)
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn xor(a: V, b: V) -> V {
            _mm512_xor_si512(a, b)
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn and(a: V, b: V) -> V {
            _mm512_and_si512(a, b)
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn or(a: V, b: V) -> V {
            _mm512_or_si512(a, b)
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn shr(a: V, n: i32) -> V {
            _mm512_srl_epi32(a, _mm_cvtsi32_si128(n))
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn rotr(a: V, n: i32) -> V {
            _mm512_rorv_epi32(a, _mm512_set1_epi32(n))
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn load(x: &[u32; 16]) -> V {
            _mm512_loadu_si512(x.as_ptr() as *const V)
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn store(v: V, x: &mut [u32; 16]) {
            _mm512_storeu_si512(x.as_mut_ptr() as *mut V, v)
        }
        generic_io!(V, 16, #[target_feature(enable = "avx512f")]);
        lane_kernel!(V, 16, #[target_feature(enable = "avx512f")]);
    }

    pub(super) mod shani {
        //! SHA-NI keeps the state as two registers, ABEF and CDGH; `sha256rnds2` runs two rounds
        //! with `W + K` in the low 64 bits of its third operand. Two nodes are processed in
        //! lockstep because one node's rounds form a serial dependency chain.
        use super::super::{IV, K, PAD_WK};
        use core::arch::x86_64::*;

        #[inline]
        #[target_feature(enable = "sha,sse4.1,ssse3")]
        unsafe fn wk(t: usize) -> __m128i {
            _mm_loadu_si128(K.as_ptr().add(t) as *const __m128i)
        }

        #[inline]
        #[target_feature(enable = "sha,sse4.1,ssse3")]
        unsafe fn pad(t: usize) -> __m128i {
            _mm_loadu_si128(PAD_WK.as_ptr().add(t) as *const __m128i)
        }

        /// IV as (ABEF, CDGH).
        #[inline]
        #[target_feature(enable = "sha,sse4.1,ssse3")]
        unsafe fn initial() -> (__m128i, __m128i) {
            let dcba = _mm_loadu_si128(IV.as_ptr() as *const __m128i);
            let hgfe = _mm_loadu_si128(IV.as_ptr().add(4) as *const __m128i);
            let cdab = _mm_shuffle_epi32(dcba, 0xB1);
            let efgh = _mm_shuffle_epi32(hgfe, 0x1B);
            (
                _mm_alignr_epi8(cdab, efgh, 8),
                _mm_blend_epi16(efgh, cdab, 0xF0),
            )
        }

        /// Writes (ABEF, CDGH) as the 32-byte big-endian digest.
        #[inline]
        #[target_feature(enable = "sha,sse4.1,ssse3")]
        unsafe fn finish(s0: __m128i, s1: __m128i, out: &mut [u8]) {
            let feba = _mm_shuffle_epi32(s0, 0x1B);
            let dchg = _mm_shuffle_epi32(s1, 0xB1);
            let dcba = _mm_blend_epi16(feba, dchg, 0xF0);
            let hgfe = _mm_alignr_epi8(dchg, feba, 8);
            let bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
            let p = out.as_mut_ptr() as *mut __m128i;
            _mm_storeu_si128(p, _mm_shuffle_epi8(dcba, bswap));
            _mm_storeu_si128(p.add(1), _mm_shuffle_epi8(hgfe, bswap));
        }

        /// Hashes two nodes (`input`: 128 bytes, `out`: 64 bytes) in lockstep.
        #[inline]
        #[target_feature(enable = "sha,sse4.1,ssse3")]
        unsafe fn hash2(input: &[u8], out: &mut [u8]) {
            let bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
            let ip = input.as_ptr() as *const __m128i;
            let mut ma = [_mm_setzero_si128(); 4];
            let mut mb = [_mm_setzero_si128(); 4];
            for j in 0..4 {
                ma[j] = _mm_shuffle_epi8(_mm_loadu_si128(ip.add(j)), bswap);
                mb[j] = _mm_shuffle_epi8(_mm_loadu_si128(ip.add(4 + j)), bswap);
            }
            let (iv0, iv1) = initial();
            let (mut a0, mut a1, mut b0, mut b1) = (iv0, iv1, iv0, iv1);
            for g in 0..16 {
                let k = wk(4 * g);
                let xa = _mm_add_epi32(ma[g & 3], k);
                let xb = _mm_add_epi32(mb[g & 3], k);
                a1 = _mm_sha256rnds2_epu32(a1, a0, xa);
                b1 = _mm_sha256rnds2_epu32(b1, b0, xb);
                a0 = _mm_sha256rnds2_epu32(a0, a1, _mm_shuffle_epi32(xa, 0x0E));
                b0 = _mm_sha256rnds2_epu32(b0, b1, _mm_shuffle_epi32(xb, 0x0E));
                if g < 12 {
                    // W[4(g+4)..] from groups g..g+3 (FIPS 180-4 §6.2.2 step 1, four at a time).
                    let (i0, i1, i2, i3) = (g & 3, (g + 1) & 3, (g + 2) & 3, (g + 3) & 3);
                    ma[i0] = _mm_sha256msg2_epu32(
                        _mm_add_epi32(
                            _mm_sha256msg1_epu32(ma[i0], ma[i1]),
                            _mm_alignr_epi8(ma[i3], ma[i2], 4),
                        ),
                        ma[i3],
                    );
                    mb[i0] = _mm_sha256msg2_epu32(
                        _mm_add_epi32(
                            _mm_sha256msg1_epu32(mb[i0], mb[i1]),
                            _mm_alignr_epi8(mb[i3], mb[i2], 4),
                        ),
                        mb[i3],
                    );
                }
            }
            a0 = _mm_add_epi32(a0, iv0);
            a1 = _mm_add_epi32(a1, iv1);
            b0 = _mm_add_epi32(b0, iv0);
            b1 = _mm_add_epi32(b1, iv1);
            let (ma0, ma1, mb0, mb1) = (a0, a1, b0, b1);
            for g in 0..16 {
                let x = pad(4 * g);
                let xh = _mm_shuffle_epi32(x, 0x0E);
                a1 = _mm_sha256rnds2_epu32(a1, a0, x);
                b1 = _mm_sha256rnds2_epu32(b1, b0, x);
                a0 = _mm_sha256rnds2_epu32(a0, a1, xh);
                b0 = _mm_sha256rnds2_epu32(b0, b1, xh);
            }
            finish(
                _mm_add_epi32(a0, ma0),
                _mm_add_epi32(a1, ma1),
                &mut out[..32],
            );
            finish(
                _mm_add_epi32(b0, mb0),
                _mm_add_epi32(b1, mb1),
                &mut out[32..64],
            );
        }

        /// # Safety
        /// The CPU must support `sha`, `sse4.1` and `ssse3`.
        #[target_feature(enable = "sha,sse4.1,ssse3")]
        pub(in super::super) unsafe fn hash_nodes(input: &[u8], out: &mut [u8]) {
            let pairs = input.len() / 128;
            for (i, o) in input[..pairs * 128]
                .chunks_exact(128)
                .zip(out[..pairs * 64].chunks_exact_mut(64))
            {
                hash2(i, o);
            }
            if !input.len().is_multiple_of(128) {
                // One node left: hash it next to a dummy copy of itself.
                let mut buf = [0u8; 128];
                buf[..64].copy_from_slice(&input[pairs * 128..]);
                buf[64..].copy_from_slice(&input[pairs * 128..]);
                let mut o = [0u8; 64];
                hash2(&buf, &mut o);
                out[pairs * 64..].copy_from_slice(&o[..32]);
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm {
    use core::arch::wasm32::*;
    type V = v128;
    #[inline(always)]
    fn splat(x: u32) -> V {
        u32x4_splat(x)
    }
    #[inline(always)]
    fn add(a: V, b: V) -> V {
        i32x4_add(a, b)
    }
    #[inline(always)]
    fn xor(a: V, b: V) -> V {
        v128_xor(a, b)
    }
    #[inline(always)]
    fn and(a: V, b: V) -> V {
        v128_and(a, b)
    }
    #[inline(always)]
    fn or(a: V, b: V) -> V {
        v128_or(a, b)
    }
    #[inline(always)]
    fn shr(a: V, n: u32) -> V {
        u32x4_shr(a, n)
    }
    #[inline(always)]
    fn rotr(a: V, n: u32) -> V {
        v128_or(u32x4_shr(a, n), i32x4_shl(a, 32 - n))
    }
    /// Byte-swaps the first word of `a` and of `b` into lanes 0-1 and their second words into
    /// lanes 2-3 (`a0 b0 a1 b1`, big-endian to native): half of a 4x4 transpose in one shuffle.
    #[inline(always)]
    fn zip_lo_be(a: V, b: V) -> V {
        i8x16_shuffle::<3, 2, 1, 0, 19, 18, 17, 16, 7, 6, 5, 4, 23, 22, 21, 20>(a, b)
    }
    /// The same for the third and fourth words (`a2 b2 a3 b3`).
    #[inline(always)]
    fn zip_hi_be(a: V, b: V) -> V {
        i8x16_shuffle::<11, 10, 9, 8, 27, 26, 25, 24, 15, 14, 13, 12, 31, 30, 29, 28>(a, b)
    }
    /// Transposes four rows of four big-endian words into four native columns: column `j` holds
    /// word `j` of rows 0..3. It is its own inverse up to the byte order, so it serves both ways.
    #[inline(always)]
    fn transpose_be(r: [V; 4]) -> [V; 4] {
        let t0 = zip_lo_be(r[0], r[1]); // r0[0] r1[0] r0[1] r1[1]
        let t1 = zip_hi_be(r[0], r[1]); // r0[2] r1[2] r0[3] r1[3]
        let t2 = zip_lo_be(r[2], r[3]);
        let t3 = zip_hi_be(r[2], r[3]);
        [
            i64x2_shuffle::<0, 2>(t0, t2),
            i64x2_shuffle::<1, 3>(t0, t2),
            i64x2_shuffle::<0, 2>(t1, t3),
            i64x2_shuffle::<1, 3>(t1, t3),
        ]
    }
    /// The 16 message words of 4 nodes, word `j` of node `l` in lane `l` of `w[j]`: 16 vector
    /// loads and 24 shuffles instead of 256 byte loads and 64 lane inserts.
    ///
    /// # Safety
    /// `input` must hold at least 256 bytes.
    #[inline(always)]
    unsafe fn load_w(input: &[u8]) -> [V; 16] {
        debug_assert!(input.len() >= 256);
        let p = input.as_ptr() as *const v128;
        let mut w = [u32x4_splat(0); 16];
        unrolled!(0 1 2 3; |q| {
            // SAFETY: q + 4 * l < 16 and the caller guarantees 256 bytes (16 vectors).
            let rows = [
                v128_load(p.add(q)),
                v128_load(p.add(4 + q)),
                v128_load(p.add(8 + q)),
                v128_load(p.add(12 + q)),
            ];
            let cols = transpose_be(rows);
            w[4 * q..4 * q + 4].copy_from_slice(&cols);
        });
        w
    }
    /// Writes the 4 digests (big-endian) from the 8 state vectors.
    ///
    /// # Safety
    /// `out` must hold at least 128 bytes.
    #[inline(always)]
    unsafe fn store_fin(fin: &[V; 8], out: &mut [u8]) {
        debug_assert!(out.len() >= 128);
        let p = out.as_mut_ptr() as *mut v128;
        unrolled!(0 1; |q| {
            let rows = transpose_be([fin[4 * q], fin[4 * q + 1], fin[4 * q + 2], fin[4 * q + 3]]);
            unrolled!(0 1 2 3; |l| {
                // SAFETY: 2 * l + q < 8 and the caller guarantees 128 bytes (8 vectors).
                v128_store(p.add(2 * l + q), rows[l]);
            });
        });
    }
    pub(super) mod k {
        use super::*;
        lane_kernel!(V, 4, #[target_feature(enable = "simd128")]);
    }
    pub(crate) use k::hash_lanes;
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// Deterministic pseudo-random bytes (xorshift64*), so failures reproduce.
    fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
            })
            .collect()
    }

    #[test]
    fn pad_schedule_matches_sha2_padding() {
        // The padding block hashed from IV via sha2 must equal the scalar rounds with PAD_WK.
        let msg = [0u8; 64];
        let mut out = [0u8; 32];
        scalar::hash_nodes(&msg, &mut out);
        assert_eq!(out.as_slice(), Sha256::digest(msg).as_slice());
    }

    /// SHA-256 of any message with the scalar compression function, to check the round code
    /// against the NIST vectors (the kernels themselves only take 64-byte messages).
    fn scalar_sha256(msg: &[u8]) -> [u8; 32] {
        let mut padded = msg.to_vec();
        padded.push(0x80);
        while padded.len() % 64 != 56 {
            padded.push(0);
        }
        padded.extend_from_slice(&((msg.len() as u64) * 8).to_be_bytes());
        let mut state = IV;
        for block in padded.chunks_exact(64) {
            scalar::compress(&mut state, block.try_into().unwrap());
        }
        let mut out = [0u8; 32];
        for (o, s) in out.chunks_exact_mut(4).zip(state) {
            o.copy_from_slice(&s.to_be_bytes());
        }
        out
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn scalar_rounds_match_nist_vectors() {
        // FIPS 180-2 Appendix B.1, B.2 and B.3 (one block, two blocks, one million 'a').
        let cases: [(Vec<u8>, &str); 3] = [
            (
                b"abc".to_vec(),
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".to_vec(),
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            ),
            (
                vec![b'a'; 1_000_000],
                "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
            ),
        ];
        for (msg, want) in cases {
            assert_eq!(
                hex::encode(scalar_sha256(&msg)),
                want,
                "{} bytes",
                msg.len()
            );
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn every_kernel_agrees_with_sha2_on_random_nodes() {
        for n in [0usize, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 100] {
            let input = random_bytes(64 * n, n as u64 + 7);
            let want: Vec<u8> = input
                .chunks_exact(64)
                .flat_map(|c| Sha256::digest(c).to_vec())
                .collect();
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            assert!(Kernel::Simd128x4.is_available());
            for k in Kernel::ALL {
                let mut out = vec![0u8; 32 * n];
                k.hash_nodes(&input, &mut out);
                assert_eq!(out, want, "kernel {} on {n} nodes", k.name());
            }
        }
    }

    #[test]
    fn zero_pair_is_the_known_zero_hash() {
        // sha256(0^64) is zerohashes[1] in every SSZ implementation.
        let out = hash_pair(&[0; 32], &[0; 32]);
        assert_eq!(
            hex::encode(out),
            "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b"
        );
    }

    #[test]
    #[should_panic(expected = "multiple of 64")]
    fn wrong_output_length_is_a_caller_bug() {
        hash_nodes(&[0u8; 64], &mut [0u8; 31]);
    }
}
