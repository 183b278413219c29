// A minimal application build: `beacon-lightsync` resolves to the generated package in pkg/ (as a
// `file:` dependency would), so the check covers the package's `exports`, its ES module glue and
// the `.wasm` asset that the glue locates with `new URL(…, import.meta.url)`.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  logLevel: "warn",
  resolve: { alias: { "beacon-lightsync": path.resolve(here, "../../pkg") } },
  build: { emptyOutDir: true, target: "es2022" },
});
