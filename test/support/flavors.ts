import type { WasmFlavor } from "../../src/codec/index.js";

/** Every test of WASM code runs against both builds. */
export const FLAVORS: WasmFlavor[] = ["scalar", "simd"];
