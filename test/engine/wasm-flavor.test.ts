// Which WASM build this project's engine tests run on: SIMD in the node project (where the engine has it),
// scalar in engine-scalar (vitest.config.ts sets VFIO_MIGRATION_WASM), so the same suite covers both.
import { expect, it } from "vitest";
import { init } from "../../src/codec/index.js";

it("runs on the build the project asks for", async () => {
  // Node 20's V8 has WASM SIMD, so without the variable the default build is the SIMD one.
  expect(await init()).toBe(process.env.VFIO_MIGRATION_WASM === "scalar" ? "scalar" : "simd");
});
