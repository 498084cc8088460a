import { beforeAll, describe, expect, it } from "vitest";
import { createInstance, crc32c, init } from "../../src/codec/index.js";
import { FLAVORS } from "../support/flavors.js";
import { KNOWN_ANSWERS } from "./crc32c-vectors.js";

const ascii = (text: string) => new TextEncoder().encode(text);

describe.each(FLAVORS)("crc32c (%s build)", (flavor) => {
  beforeAll(async () => {
    await init({ flavor });
  });

  it("uses the requested build", () => {
    expect(createInstance(0, flavor).flavor).toBe(flavor);
  });

  it.each(KNOWN_ANSWERS)("matches the known answer for %s", (_name, bytes, expected) => {
    expect(crc32c(bytes)).toBe(expected);
  });

  it("continues from a seed", () => {
    const whole = ascii("123456789");
    expect(crc32c(whole.subarray(4), crc32c(whole.subarray(0, 4)))).toBe(0xe3069283);
  });
});
