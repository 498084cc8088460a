import { beforeAll, describe, expect, it } from "vitest";
import { createInstance, crc32c, init } from "../../src/codec/index.js";
import { FLAVORS } from "../support/flavors.js";

const ascii = (text: string) => new TextEncoder().encode(text);

describe.each(FLAVORS)("crc32c (%s build)", (flavor) => {
  beforeAll(async () => {
    await init({ flavor });
  });

  it("uses the requested build", () => {
    expect(createInstance(0, flavor).flavor).toBe(flavor);
  });

  it("matches the check value 0xE3069283 for '123456789'", () => {
    expect(crc32c(ascii("123456789"))).toBe(0xe3069283);
  });

  // RFC 3720 appendix B.4 vectors.
  it.each([
    ["32 bytes of zeros", new Uint8Array(32), 0x8a9136aa],
    ["32 bytes of 0xff", new Uint8Array(32).fill(0xff), 0x62a8ab43],
    ["32 incrementing bytes", Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    ["32 decrementing bytes", Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
  ])("matches RFC 3720 for %s", (_name, bytes, expected) => {
    expect(crc32c(bytes)).toBe(expected);
  });

  it("continues from a seed", () => {
    const whole = ascii("123456789");
    expect(crc32c(whole.subarray(4), crc32c(whole.subarray(0, 4)))).toBe(0xe3069283);
  });
});
