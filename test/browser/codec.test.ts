import { describe, expect, it } from "vitest";
import { createInstance, crc32c, init } from "../../src/codec/index.js";
import { FLAVORS } from "../support/flavors.js";

describe("the WASM codec in a real browser", () => {
  it("runs in Chromium, not a Node shim", () => {
    expect(navigator.userAgent).toMatch(/Chrom/);
    expect((globalThis as { process?: unknown }).process).toBeUndefined();
  });

  it.each(FLAVORS)("computes CRC32C with the %s build", async (flavor) => {
    await init({ flavor });
    expect(createInstance(0, flavor).flavor).toBe(flavor);
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
  });
});
