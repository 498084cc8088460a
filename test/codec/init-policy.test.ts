// The one init() policy: before `await init()` every function that needs the WASM core throws
// ERR_WASM_NOT_INITIALIZED (the encoders, plain TypeScript, work); after it everything is synchronous.
// This file must not call init() before its first test: vitest gives each file fresh modules.
import { describe, expect, it, vi } from "vitest";
import {
  createInstance, crc32c, decodeMultifdHello, encodeDeviceStatePacket, encodeFileHeader, encodeMultifdHello, encodeReturnPath,
  encodeSectionStart, init, SectionType, StreamDecoder, xxh3,
} from "../../src/codec/index.js";
import { setDeviceState, SimulatedDevice } from "../../src/device/index.js";
import { DeviceState } from "../../src/fsm/index.js";
import { caught } from "./helpers.js";

const packet = { idstr: "dev", instanceId: 0, idx: 0, flags: 0, data: new Uint8Array(8), checksum: true };
const mainStream = () => {
  const decoder = new StreamDecoder({ kind: "main" });
  decoder.push(encodeFileHeader());
  return [...decoder.records()];
};
const returnPath = () => {
  const decoder = new StreamDecoder({ kind: "return-path" });
  decoder.push(encodeReturnPath({ type: "pong", value: 1 }));
  return [...decoder.records()];
};
const multifd = () => {
  const decoder = new StreamDecoder({ kind: "multifd" });
  decoder.push(encodeMultifdHello({ channelId: 0 }));
  return [...decoder.records()];
};

const NEEDS_CORE: ReadonlyArray<readonly [string, () => unknown]> = [
  ["crc32c", () => crc32c(new Uint8Array(4))],
  ["xxh3", () => xxh3(new Uint8Array(4))],
  ["createInstance", () => createInstance(64)],
  ["encodeDeviceStatePacket", () => encodeDeviceStatePacket(packet)],
  ["decodeMultifdHello", () => decodeMultifdHello(encodeMultifdHello({ channelId: 0 }))],
  ["StreamDecoder (main)", mainStream],
  ["StreamDecoder (return path)", returnPath],
  ["StreamDecoder (multifd)", multifd],
];

describe("init() policy", () => {
  it("before init(), every function that needs the core throws the same typed error", async () => {
    for (const [name, call] of NEEDS_CORE) expect([name, caught(call).code]).toEqual([name, "ERR_WASM_NOT_INITIALIZED"]);
    // A device does not load the core for the caller either: a state change works, its digest needs the core.
    const device = new SimulatedDevice({ name: "dev", stateSize: 4096 });
    await setDeviceState(device, DeviceState.STOP_COPY);
    expect(caught(() => device.digest()).code).toBe("ERR_WASM_NOT_INITIALIZED");
  });

  it("the header encoders need nothing", () => {
    expect(encodeFileHeader()).toEqual(Uint8Array.of(0x51, 0x45, 0x56, 0x4d, 0, 0, 0, 3));
    expect(encodeSectionStart({ type: SectionType.FULL, sectionId: 1, idstr: "d", instanceId: 0, version: 1 })).toHaveLength(15);
    expect(encodeMultifdHello({ channelId: 3 })[24]).toBe(3);
  });

  it("after init(), everything works; init() again is free and validates SIMD support only once", async () => {
    const validate = vi.spyOn(WebAssembly, "validate");
    const flavor = await init();
    for (const [name, call] of NEEDS_CORE) expect([name, typeof call()]).toEqual([name, expect.any(String)]);
    expect(await init()).toBe(flavor);
    expect(await init()).toBe(flavor);
    expect(validate.mock.calls.length).toBeLessThanOrEqual(1);
    validate.mockRestore();
  });
});
