import { describe, expect, it } from "vitest";
import { init } from "../../src/codec/index.js";
import { SimulatedDevice } from "../../src/device/index.js";
import { DeviceState } from "../../src/fsm/states.js";
import { deviceName, runBoth } from "./support.js";

await init();

/** A device whose STOP_COPY -> STOP arc takes `ms` (a slow driver teardown). */
class SlowStopDevice extends SimulatedDevice {
  constructor(readonly ms: number) {
    super({ name: deviceName(0), stateSize: 1 << 20 });
  }
  override async setState(next: DeviceState): Promise<void> {
    if (this.state === DeviceState.STOP_COPY && next === DeviceState.STOP) await new Promise((r) => setTimeout(r, this.ms));
    return super.setState(next);
  }
}

describe("downtime", () => {
  it("does not include a slow STOP_COPY -> STOP: that arc runs in cleanup", async () => {
    const source = new SlowStopDevice(400);
    const destination = new SimulatedDevice({ name: deviceName(0), stateSize: 1 << 20 });
    const r = await runBoth([source], [destination]);
    expect(r.source.status).toBe("completed");
    expect(r.source.downtimeMs!).toBeLessThan(300);
    expect(r.source.totalMs).toBeGreaterThan(400);
    expect(r.source.devices[0].history.at(-1)).toBe("STOP");
  });
});
