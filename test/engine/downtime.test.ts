import { describe, expect, it } from "vitest";
import { init } from "../../src/codec/index.js";
import { SimulatedDevice } from "../../src/device/index.js";
import { DeviceState } from "../../src/fsm/states.js";
import { VirtualClock } from "../../src/virtual-clock.js";
import { deviceName, runBoth } from "./support.js";

await init();

/** A device whose STOP_COPY -> STOP arc takes `ms` on `clock` (a slow driver teardown). */
class SlowStopDevice extends SimulatedDevice {
  constructor(
    readonly ms: number,
    readonly clock: VirtualClock,
  ) {
    super({ name: deviceName(0), stateSize: 1 << 20, clock });
  }
  override async setState(next: DeviceState): Promise<void> {
    if (this.state === DeviceState.STOP_COPY && next === DeviceState.STOP) await this.clock.sleep(this.ms);
    return super.setState(next);
  }
}

describe("downtime", () => {
  it("does not include a slow STOP_COPY -> STOP: that arc runs in cleanup", async () => {
    const clock = new VirtualClock();
    const source = new SlowStopDevice(400, clock);
    const destination = new SimulatedDevice({ name: deviceName(0), stateSize: 1 << 20, incoming: true, clock });
    const r = await runBoth([source], [destination], { clock });
    expect(r.source.status).toBe("completed");
    expect(r.source.downtimeMs!).toBeLessThan(300);
    // On the virtual clock the slow arc is exactly 400 ms, all of it outside the downtime.
    expect(r.source.totalMs - r.source.downtimeMs!).toBeGreaterThanOrEqual(400);
    expect(r.source.devices[0].history.at(-1)).toBe("STOP");
  });
});
