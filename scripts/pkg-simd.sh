#!/usr/bin/env bash
# Makes the package in PKG (default pkg/, already built by `wasm-pack build --profile wasm-release`
# with default target features) carry two builds of the same code: the top-level glue +
# beacon_lightsync_bg.wasm built with `+simd128` (the 4-lane SHA-256 kernel of merkle::sha256),
# which is the package's default entry, and scalar/ with the default build, an opt-in export
# (`beacon-lightsync/scalar`) for engines without WebAssembly SIMD that no page loads unless asked.
# WebAssembly validates a whole module before running it, so one module cannot test for SIMD at
# run time; `init-best.js` asks `WebAssembly.validate` about a tiny SIMD module and loads the glue
# and .wasm of the right build. Each build keeps its own glue: wasm-bindgen's glue names closure
# shims by function index, which differs between the two builds.
#
# WASM_FEATURES: cargo features of both builds (`bench` for pkg-bench/, as the scalar build was made).
#
# The SIMD build uses its own target dir (target/simd128): different RUSTFLAGS would otherwise
# rebuild every dependency of the shared target dir on each switch.
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=${1:-pkg}
[ -f "$PKG/beacon_lightsync_bg.wasm" ] || { echo "pkg-simd: $PKG/beacon_lightsync_bg.wasm missing; run wasm-pack build first" >&2; exit 1; }
TMP=target/simd128/pkg
features=()
[ -n "${WASM_FEATURES:-}" ] && features=(-- --features "$WASM_FEATURES")
CARGO_TARGET_DIR=target/simd128 RUSTFLAGS="-C target-feature=+simd128" \
  wasm-pack build --profile wasm-release --target web --out-dir "$TMP" "${features[@]}" >&2
rm -rf "$PKG/scalar"
mkdir -p "$PKG/scalar"
mv "$PKG/beacon_lightsync.js" "$PKG/beacon_lightsync_bg.wasm" "$PKG/scalar/"
if [ -d "$PKG/snippets" ]; then mv "$PKG/snippets" "$PKG/scalar/"; fi
# The typings of the two builds declare the same API; the top-level ones are the SIMD build's.
cp "$TMP/beacon_lightsync.js" "$TMP/beacon_lightsync_bg.wasm" "$TMP/beacon_lightsync.d.ts" \
  "$TMP/beacon_lightsync_bg.wasm.d.ts" "$PKG/"
if [ -d "$TMP/snippets" ]; then cp -r "$TMP/snippets" "$PKG/"; fi
node scripts/init-best.mjs "$PKG"
echo "pkg-simd: $PKG has the simd128 build at the top and the scalar build in scalar/" >&2
