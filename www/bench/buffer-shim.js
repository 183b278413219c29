// esbuild --inject: Lodestar's packages use Node's Buffer; browsers need the npm `buffer` polyfill.
export { Buffer } from "buffer";
