// Loads the SIMD build of beacon-lightsync where the engine supports WebAssembly SIMD (every
// browser since 2021: Chrome 91, Firefox 89, Safari 16.4) and the scalar build elsewhere. A module
// with one SIMD instruction fails validation as a whole on an engine without SIMD, so the probe is
// a separate tiny module: (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt).
import init from "./beacon_lightsync.js";
export * from "./beacon_lightsync.js";

const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/** Whether this engine validates WebAssembly SIMD (128-bit) instructions. */
export const simdSupported = WebAssembly.validate(SIMD_PROBE);

/** URL of the .wasm this engine should run. */
export const wasmUrl = new URL(
  simdSupported ? "./beacon_lightsync_bg.wasm" : "./beacon_lightsync_scalar_bg.wasm",
  import.meta.url,
);

/** Initialises the package with the best build; resolves to the wasm exports. */
export default function initBest() {
  return init({ module_or_path: wasmUrl });
}
