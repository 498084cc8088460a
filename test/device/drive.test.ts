import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../../src/codec/index.js";
import {
  DeviceState as S,
  DeviceTransitionError,
  InvalidTransitionError,
  SimulatedDevice,
  setDeviceState,
  stateName,
  type MigratableDevice,
} from "../../src/index.js";

/** A device that follows the arcs it is given and fails the ones it is told to. */
class ScriptedDevice implements MigratableDevice {
  readonly name = "0000:00:05.0/vfio";
  readonly instanceId = 0;
  state = S.RUNNING;
  readonly calls: string[] = [];
  constructor(
    readonly flags: number,
    private readonly failArcs: string[] = [],
    private readonly opts: { failReset?: boolean; errorOnFail?: boolean; lie?: boolean } = {},
  ) {}
  async setState(next: S): Promise<void> {
    const arc = `${stateName(this.state)}>${stateName(next)}`;
    this.calls.push(arc);
    if (this.failArcs.includes(arc)) {
      if (this.opts.errorOnFail) this.state = S.ERROR;
      throw new Error(`arc ${arc} failed`);
    }
    if (!this.opts.lie) this.state = next;
  }
  async reset(): Promise<void> {
    this.calls.push("reset");
    if (this.opts.failReset) throw new Error("reset failed");
    this.state = S.RUNNING;
  }
  async read(): Promise<number> {
    return 0;
  }
  async write(): Promise<void> {}
  precopyInfo() {
    return { initialBytes: 0, dirtyBytes: 0 };
  }
  stopCopySize() {
    return 0;
  }
  saveConfig() {
    return new Uint8Array();
  }
  async loadConfig(): Promise<void> {}
}

async function failure(promise: Promise<unknown>): Promise<DeviceTransitionError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeviceTransitionError);
  return err as DeviceTransitionError;
}

describe("setDeviceState", () => {
  beforeAll(async () => {
    await init();
  });

  it("walks the kernel's path one arc at a time", async () => {
    const device = new ScriptedDevice(7);
    const seen: string[] = [];
    await setDeviceState(device, S.STOP_COPY, { onArc: (a, b) => seen.push(`${stateName(a)}>${stateName(b)}`) });
    expect(device.calls).toEqual(["RUNNING>RUNNING_P2P", "RUNNING_P2P>STOP", "STOP>STOP_COPY"]);
    expect(seen).toEqual(device.calls);
    expect(device.state).toBe(S.STOP_COPY);
  });

  it("takes direct arcs on a device without P2P", async () => {
    const device = new ScriptedDevice(5);
    await setDeviceState(device, S.RESUMING);
    expect(device.calls).toEqual(["RUNNING>STOP", "STOP>RESUMING"]);
  });

  it("does nothing when the device is already there", async () => {
    const device = new ScriptedDevice(7);
    await setDeviceState(device, S.RUNNING);
    expect(device.calls).toEqual([]);
  });

  it("recovers to the starting state by default when an arc fails", async () => {
    const device = new ScriptedDevice(7, ["STOP>STOP_COPY"]);
    const err = await failure(setDeviceState(device, S.STOP_COPY));
    expect(err.code).toBe("ERR_DEVICE_TRANSITION_FAILED");
    expect(err.message.startsWith("0000:00:05.0/vfio: ")).toBe(true);
    expect(err.message).toContain("RUNNING -> STOP_COPY at STOP");
    expect(err).toMatchObject({ from: S.RUNNING, target: S.STOP_COPY, failedAt: S.STOP, recoveredTo: S.RUNNING, reset: false });
    expect((err.cause as Error).message).toBe("arc STOP>STOP_COPY failed");
    expect(device.calls).toEqual(["RUNNING>RUNNING_P2P", "RUNNING_P2P>STOP", "STOP>STOP_COPY", "STOP>RUNNING_P2P", "RUNNING_P2P>RUNNING"]);
    expect(device.state).toBe(S.RUNNING);
  });

  it("uses the recover state it is given (QEMU's save_complete recovers to STOP)", async () => {
    const device = new ScriptedDevice(7, ["STOP>STOP_COPY"]);
    const err = await failure(setDeviceState(device, S.STOP_COPY, { recover: S.STOP }));
    expect(err.recoveredTo).toBe(S.STOP);
    expect(device.state).toBe(S.STOP);
    expect(device.calls.at(-1)).toBe("STOP>STOP_COPY");
  });

  it("resets to RUNNING when the recover walk fails too", async () => {
    const device = new ScriptedDevice(7, ["STOP>STOP_COPY", "STOP>RUNNING_P2P"]);
    const err = await failure(setDeviceState(device, S.STOP_COPY));
    expect(err).toMatchObject({ recoveredTo: S.RUNNING, reset: true, failedAt: S.STOP });
    expect(err.message).toContain("device reset to RUNNING");
    expect(device.calls.at(-1)).toBe("reset");
    expect(device.state).toBe(S.RUNNING);
  });

  it("resets at once with recover ERROR (vfio_migration_set_state_or_reset)", async () => {
    const device = new ScriptedDevice(7, ["RUNNING_P2P>STOP"]);
    const err = await failure(setDeviceState(device, S.STOP, { recover: S.ERROR }));
    expect(err.reset).toBe(true);
    expect(device.calls).toEqual(["RUNNING>RUNNING_P2P", "RUNNING_P2P>STOP", "reset"]);
  });

  it("resets a device the failure left in ERROR (no path leaves ERROR)", async () => {
    const device = new ScriptedDevice(7, ["STOP>RESUMING"], { errorOnFail: true });
    const err = await failure(setDeviceState(device, S.RESUMING));
    expect(err).toMatchObject({ failedAt: S.ERROR, recoveredTo: S.RUNNING, reset: true });
    expect(device.state).toBe(S.RUNNING);
  });

  it("treats a refused transition as a failure and recovers (blocked STOP_COPY -> PRE_COPY)", async () => {
    const device = new ScriptedDevice(7);
    await setDeviceState(device, S.STOP_COPY);
    device.calls.length = 0;
    const err = await failure(setDeviceState(device, S.PRE_COPY));
    expect(err.cause).toBeInstanceOf(InvalidTransitionError);
    expect((err.cause as InvalidTransitionError).code).toBe("ERR_FSM_BLOCKED_ARC");
    expect(err).toMatchObject({ recoveredTo: S.STOP_COPY, reset: false });
    expect(device.calls).toEqual([]);
  });

  it("reports ERR_DEVICE_RESET_FAILED when even the reset fails", async () => {
    const device = new ScriptedDevice(7, ["RUNNING>RUNNING_P2P"], { failReset: true });
    const err = await setDeviceState(device, S.STOP, { recover: S.ERROR }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ERR_DEVICE_RESET_FAILED", device: "0000:00:05.0/vfio" });
    expect((err as Error).message).toMatch(/^0000:00:05.0\/vfio: device reset failed/);
  });

  it("catches a device that does not move where it was told", async () => {
    const device = new ScriptedDevice(7, [], { lie: true });
    const err = await failure(setDeviceState(device, S.STOP, { recover: S.ERROR }));
    expect((err.cause as { code: string }).code).toBe("ERR_DEVICE_STATE_MISMATCH");
    expect(device.state).toBe(S.RUNNING);
  });

  it("recovers a real device whose resume validation fails: ERROR, then reset", async () => {
    const device = new SimulatedDevice({ name: "dst/vfio", stateSize: 4096, blockSize: 1024 });
    await setDeviceState(device, S.RESUMING);
    const err = await failure(setDeviceState(device, S.RUNNING));
    expect(err).toMatchObject({ failedAt: S.ERROR, recoveredTo: S.RUNNING, reset: true });
    expect((err.cause as { code: string }).code).toBe("ERR_DEVICE_DATA_SHORT");
    expect(err.message.startsWith("dst/vfio: ")).toBe(true);
    expect(device.state).toBe(S.RUNNING);
  });
});
