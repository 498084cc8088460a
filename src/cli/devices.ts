// Simulated devices from the command line's device options; both ends build the same set.
import { connectPeers, MttyDevice, SimulatedDevice } from "../device/index.js";
import { deviceName } from "../device/simulated/names.js";
import type { MigratableDevice } from "../device/types.js";
import { flagsOption, integer, milliseconds, optionalSize, usageError } from "./options.js";
import { parseSize } from "./sizes.js";
import { STAMP_BYTES } from "../device/simulated/layout.js";

export interface DeviceArgs {
  devices: string;
  mtty: boolean;
  "state-size"?: string;
  "initial-size"?: string;
  "dirty-rate"?: string;
  "load-delay"?: string;
  "save-speed"?: string;
  "load-speed"?: string;
  flags?: string;
  "p2p-writes"?: boolean;
  seed?: string;
}

/** What a simulated device gets for each option not given. */
export const DEVICE_DEFAULTS = { "state-size": "64MiB", "dirty-rate": "0", "load-delay": "0", flags: "STOP_COPY,P2P,PRE_COPY", seed: "1" } as const;

/** The options of a simulated device, which the mtty device (a fixed 60-byte state, kernel sample) does not take. */
const SIMULATED_ONLY = ["state-size", "initial-size", "dirty-rate", "load-delay", "save-speed", "load-speed", "flags", "p2p-writes", "seed"] as const;

export { deviceName };

/** The largest state one simulated device may have (the issue's 2 GiB). */
const MAX_STATE_BYTES = 2 * 1024 ** 3;

/** The devices the options describe; `incoming` for a destination's (their content differs from any source's until loaded). */
export function buildDevices(args: DeviceArgs, incoming = false): MigratableDevice[] {
  const count = integer(args.devices, "devices", 1, 64);
  if (args.mtty) {
    const given = SIMULATED_ONLY.filter((option) => args[option] !== undefined);
    if (given.length) throw usageError(`--mtty: the mtty device has a fixed state and flags; it takes no ${given.map((o) => `--${o}`).join(", ")}`);
    return Array.from({ length: count }, (_, i) => new MttyDevice({ name: deviceName(i) }));
  }
  const stateSize = parseSize(args["state-size"] ?? DEVICE_DEFAULTS["state-size"], "--state-size");
  if (stateSize < STAMP_BYTES || stateSize > MAX_STATE_BYTES) throw usageError(`--state-size: ${stateSize} bytes is outside ${STAMP_BYTES} B..2 GiB`);
  const initialBytes = optionalSize(args["initial-size"], "initial-size");
  if (initialBytes !== undefined && initialBytes > stateSize) throw usageError("--initial-size: larger than --state-size");
  const flags = flagsOption(args.flags ?? DEVICE_DEFAULTS.flags);
  const seed = integer(args.seed ?? DEVICE_DEFAULTS.seed, "seed", 0, 2 ** 31 - 1);
  const dirtyRate = parseSize(args["dirty-rate"] ?? DEVICE_DEFAULTS["dirty-rate"], "--dirty-rate");
  const loadDelayMs = milliseconds(args["load-delay"] ?? DEVICE_DEFAULTS["load-delay"], "load-delay");
  const devices = Array.from(
    { length: count },
    (_, i) =>
      new SimulatedDevice({
        name: deviceName(i),
        stateSize,
        initialBytes,
        dirtyRate,
        loadDelayMs,
        saveBytesPerSecond: optionalSize(args["save-speed"], "save-speed"),
        loadBytesPerSecond: optionalSize(args["load-speed"], "load-speed"),
        flags,
        seed: seed + i,
        incoming,
      }),
  );
  if (args["p2p-writes"]) connectPeers(devices);
  return devices;
}
