import { beforeAll, describe, expect, it } from "vitest";
import { createInstance, init } from "../../src/codec/index.js";
import { WASM_CONSTANTS } from "../../src/codec/wasm/constants.js";
import { FLAVORS } from "../support/flavors.js";

describe.each(FLAVORS)("wire constants mirrored in assembly/ (%s build)", (flavor) => {
  beforeAll(async () => {
    await init({ flavor });
  });

  it("agree with the TypeScript values, one by one", () => {
    const wasm = createInstance(0, flavor).exports;
    const got = WASM_CONSTANTS.map(([name], which) => [name, BigInt.asUintN(64, wasm.wireConstant(which))]);
    expect(got).toEqual(WASM_CONSTANTS.map(([name, value]) => [name, value]));
    expect(wasm.wireConstant(WASM_CONSTANTS.length)).toBe(0n);
  });
});

describe("wire constants from the spec", () => {
  it("have the spec's values", async () => {
    const c = await import("../../src/codec/constants.js");
    expect(c.QEMU_VM_FILE_MAGIC).toBe(0x5145564d);
    expect(c.QEMU_VM_FILE_VERSION).toBe(3);
    expect(c.MULTIFD_MAGIC).toBe(0x11223344);
    expect(c.MULTIFD_VERSION).toBe(1);
    expect(c.MULTIFD_HELLO_BYTES).toBe(64);
    expect(c.DEVICE_STATE_HEADER_BYTES).toBe(276);
    expect(c.VFIO_HEADER_BYTES).toBe(12);
    expect(c.VFIO_CONFIG_FLAG).toBe(1);
    expect([c.MultifdFlag.SYNC, c.MultifdFlag.COMPRESSION_MASK, c.MultifdFlag.DEVICE_STATE, c.MultifdFlag.CHECKSUM]).toEqual([0x01, 0x3e, 0x40, 0x80]);
    expect([c.MainCommand.OPEN_RETURN_PATH, c.MainCommand.PING, c.MainCommand.PACKAGED, c.MainCommand.SWITCHOVER_START]).toEqual([1, 2, 7, 11]);
    expect([c.ReturnPathType.SHUT, c.ReturnPathType.PONG, c.ReturnPathType.RESUME_ACK, c.ReturnPathType.SWITCHOVER_ACK]).toEqual([1, 2, 6, 7]);
    expect([c.ReturnPathType.CONFIG, c.ReturnPathType.REPORT]).toEqual([0x0100, 0x0101]);
    expect(Object.values(c.VfioMarker)).toEqual([1n, 2n, 3n, 4n, 5n, 6n].map((n) => 0xffffffffef100000n | n));
    expect([c.SectionType.EOF, c.SectionType.START, c.SectionType.PART, c.SectionType.END, c.SectionType.FULL]).toEqual([0, 1, 2, 3, 4]);
    expect([c.SectionType.SUBSECTION, c.SectionType.VMDESCRIPTION, c.SectionType.CONFIGURATION, c.SectionType.COMMAND, c.SectionType.FOOTER]).toEqual([5, 6, 7, 8, 0x7e]);
  });
});
