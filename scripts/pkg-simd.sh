#!/usr/bin/env bash
# Makes the package in PKG (default pkg/, already built by `wasm-pack build` with default flags)
# carry two builds of the same code: beacon_lightsync_bg.wasm built with `+simd128` (the 4-lane
# SHA-256 kernel of merkle::sha256) and beacon_lightsync_scalar_bg.wasm without it. WebAssembly
# validates a whole module before running it, so one module cannot test for SIMD at run time;
# `init-best.js` asks `WebAssembly.validate` about a tiny SIMD module and loads the right file.
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
# The JS glue only depends on the exported bindings, so both builds must produce the same file;
# if they ever differ, one glue would drive the other module wrongly: refuse.
if ! cmp -s "$TMP/beacon_lightsync.js" "$PKG/beacon_lightsync.js"; then
  echo "pkg-simd: the SIMD and scalar builds have different JS glue; rebuild both from the same tree" >&2
  exit 1
fi
mv "$PKG/beacon_lightsync_bg.wasm" "$PKG/beacon_lightsync_scalar_bg.wasm"
cp "$TMP/beacon_lightsync_bg.wasm" "$PKG/beacon_lightsync_bg.wasm"
cp scripts/init-best.js "$PKG/init-best.js"
node -e '
const fs = require("fs"); const f = process.argv[1] + "/package.json";
const p = JSON.parse(fs.readFileSync(f, "utf8"));
p.files = [...new Set([...(p.files || []), "beacon_lightsync_scalar_bg.wasm", "init-best.js"])];
p.exports = { ...p.exports, "./init-best": "./init-best.js", "./wasm-scalar": "./beacon_lightsync_scalar_bg.wasm" };
fs.writeFileSync(f, JSON.stringify(p, null, 2) + "\n");
' "$PKG"
echo "pkg-simd: $PKG has beacon_lightsync_bg.wasm (simd128) and beacon_lightsync_scalar_bg.wasm; load with init-best.js" >&2
