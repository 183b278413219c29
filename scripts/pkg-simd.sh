#!/usr/bin/env bash
# Makes the package in PKG (default pkg/, already built by `wasm-pack build` with default flags)
# carry two builds of the same code: the top-level glue + beacon_lightsync_bg.wasm built with
# `+simd128` (the 4-lane SHA-256 kernel of merkle::sha256), and scalar/ with the default build.
# WebAssembly validates a whole module before running it, so one module cannot test for SIMD at
# run time; `init-best.js` asks `WebAssembly.validate` about a tiny SIMD module and loads the glue
# and .wasm of the right build. Each build keeps its own glue: wasm-bindgen's glue names closure
# shims by function index, which differs between the two builds.
#
# The SIMD build uses its own target dir (target/simd128): different RUSTFLAGS would otherwise
# rebuild every dependency of the shared target dir on each switch.
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=${1:-pkg}
[ -f "$PKG/beacon_lightsync_bg.wasm" ] || { echo "pkg-simd: $PKG/beacon_lightsync_bg.wasm missing; run wasm-pack build first" >&2; exit 1; }
TMP=target/simd128/pkg
CARGO_TARGET_DIR=target/simd128 RUSTFLAGS="-C target-feature=+simd128" \
  wasm-pack build --release --target web --out-dir "$TMP" >&2
rm -rf "$PKG/scalar"
mkdir -p "$PKG/scalar"
mv "$PKG/beacon_lightsync.js" "$PKG/beacon_lightsync_bg.wasm" "$PKG/scalar/"
[ -d "$PKG/snippets" ] && mv "$PKG/snippets" "$PKG/scalar/"
# The hash worker imports the glue beside it: each build has its own copy.
[ -f "$PKG/hash-worker.js" ] && cp "$PKG/hash-worker.js" "$PKG/scalar/"
cp "$TMP/beacon_lightsync.js" "$TMP/beacon_lightsync_bg.wasm" "$PKG/"
[ -d "$TMP/snippets" ] && cp -r "$TMP/snippets" "$PKG/"
node scripts/init-best.mjs "$PKG"
echo "pkg-simd: $PKG has the simd128 build at the top and the scalar build in scalar/; load with init-best.js" >&2
