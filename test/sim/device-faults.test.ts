import { describe, expect, it } from "vitest";
import { init } from "../../src/codec/index.js";
import { DeviceState as S, SimulatedDevice, setDeviceState } from "../../src/index.js";
import { FaultyDevice } from "../../src/sim/device-faults.js";
import { VirtualClock } from "../../src/virtual-clock.js";

await init();

describe("FaultyDevice", () => {
  it("fails exactly the nth arc, leaving the device in its old state, then works again", async () => {
    const clock = new VirtualClock();
    const device = new FaultyDevice(new SimulatedDevice({ name: "f/vfio" }), { failArc: 2 }, clock);
    await device.setState(S.RUNNING_P2P);
    await expect(device.setState(S.STOP)).rejects.toMatchObject({ code: "ERR_DEVICE_FAULT", message: "f/vfio: injected fault: arc RUNNING_P2P -> STOP failed" });
    expect(device.state).toBe(S.RUNNING_P2P);
    await device.setState(S.STOP);
    expect(device.state).toBe(S.STOP);
  });

  it("fails the nth read and the nth write, and digests like the device it wraps", async () => {
    const clock = new VirtualClock();
    const inner = new SimulatedDevice({ stateSize: 64 << 10, blockSize: 4096 });
    const source = new FaultyDevice(inner, { failRead: 3 }, clock);
    expect(source.digest!()).toBe(inner.digest());
    await setDeviceState(source, S.STOP_COPY);
    const buf = new Uint8Array(8192);
    await source.read(buf);
    await source.read(buf);
    await expect(source.read(buf)).rejects.toMatchObject({ code: "ERR_DEVICE_FAULT" });
    const destination = new FaultyDevice(new SimulatedDevice({ stateSize: 64 << 10, blockSize: 4096, incoming: true }), { failWrite: 1 }, clock);
    await setDeviceState(destination, S.RESUMING);
    await expect(destination.write(buf)).rejects.toMatchObject({ code: "ERR_DEVICE_FAULT", message: /write of the resuming stream/ });
  });

  it("makes arcs and loads take their time on the clock", async () => {
    const clock = new VirtualClock();
    const device = new FaultyDevice(new SimulatedDevice({ stateSize: 4096, blockSize: 4096, incoming: true }), { arcMs: 30, loadMs: 7 }, clock);
    const resuming = setDeviceState(device, S.RESUMING); // RUNNING -> RUNNING_P2P -> STOP -> RESUMING: three arcs
    expect(await clock.run(resuming)).toBe("settled");
    expect(clock.now()).toBe(90);
    const writing = device.write(new Uint8Array(0));
    expect(await clock.run(writing)).toBe("settled");
    expect(clock.now()).toBe(97);
  });
});
