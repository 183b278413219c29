// Bundled by scripts/bench.mjs (esbuild) into lodestar.bundle.js for the state benchmark page:
// Lodestar's own SSZ types (the reference this benchmark races: decode + hash_tree_root) and
// @chainsafe/as-sha256 (the wasm SHA-256 Lodestar hashes with in browsers), unchanged.
export { ssz } from "@lodestar/types";
export { digest64, hashInto, simdEnabled } from "@chainsafe/as-sha256";
