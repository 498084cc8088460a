import { DeviceState as S, MttyDevice, SimulatedDevice, setDeviceState, type MigratableDevice } from "../../src/index.js";
import { VirtualClock } from "../../src/virtual-clock.js";
import { deviceCompliance } from "./compliance.js";

// The P2P dirtying device runs on virtual time: it dirties when its test advances it, not while the machine is busy.
const clock = new VirtualClock();

const sim = (options: ConstructorParameters<typeof SimulatedDevice>[0]) => (role: "source" | "destination") =>
  new SimulatedDevice({ name: `sim-${role}/vfio`, ...options, seed: role === "source" ? options?.seed ?? 11 : 99, incoming: role === "destination" });

deviceCompliance({
  label: "SimulatedDevice (defaults, 1 MiB)",
  make: sim({}),
  deterministic: true,
});

deviceCompliance({
  label: "SimulatedDevice (odd size, 4 KiB blocks, part initial, small reads, STOP_COPY only)",
  make: sim({ stateSize: 100_003, blockSize: 4096, initialBytes: 30_000, readChunk: 5000, configSize: 17, flags: 1 }),
  deterministic: true,
});

deviceCompliance({
  label: "SimulatedDevice (PRE_COPY without P2P, no initial bytes, tiny state)",
  make: sim({ stateSize: 40, blockSize: 64, initialBytes: 0, configSize: 0, flags: 5 }),
  deterministic: true,
});

deviceCompliance({
  label: "SimulatedDevice (P2P without PRE_COPY, dirtying)",
  make: sim({ stateSize: 300_000, blockSize: 1024, dirtyRate: 200e6, flags: 3, clock }),
  mutate: async (device: MigratableDevice) => {
    // Running 5 ms dirties about a million bytes' worth of blocks; a STOP forces the catch-up.
    await clock.advance(5);
    await setDeviceState(device, S.STOP);
    await setDeviceState(device, S.RUNNING);
  },
  deterministic: false,
});

deviceCompliance({
  label: "SimulatedDevice (all flags, dirtying while in pre-copy)",
  make: sim({ stateSize: 2_000_000, blockSize: 8192, initialBytes: 500_000, dirtyRate: 100e6 }),
  deterministic: false,
});

for (const ports of [1, 2] as const) {
  deviceCompliance({
    label: `MttyDevice (${ports} port${ports > 1 ? "s" : ""})`,
    make: (role) => new MttyDevice({ name: `mtty-${role}/vfio`, ports }),
    mutate: (device) => {
      const mtty = device as MttyDevice;
      for (let p = 0; p < ports; p++) {
        mtty.port(p).write(7, 0x5a + p); // scratch register
        for (const byte of [0x68, 0x69]) mtty.port(p).write(0, byte); // "hi" into the loopback FIFO
      }
    },
    deterministic: true,
  });
}
