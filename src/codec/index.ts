export { init, createInstance, type CodecInstance, type InitOptions, type WasmFlavor } from "./wasm/load.js";
export type { CodecExports } from "./wasm/exports.js";
export { crc32c } from "./crc32c.js";
