// Simulated devices from the command line's device options; both ends build the same set.
import { connectPeers, MttyDevice, SimulatedDevice } from "../device/index.js";
import { deviceName } from "../device/simulated/names.js";
import type { MigratableDevice } from "../device/types.js";
import { integer, milliseconds, optionalSize, parseFlags, usageError } from "./options.js";
import { parseSize } from "./sizes.js";

export interface DeviceArgs {
  devices: string;
  mtty: boolean;
  "state-size": string;
  "initial-size"?: string;
  "dirty-rate": string;
  "load-delay": string;
  "save-speed"?: string;
  "load-speed"?: string;
  flags: string;
  "p2p-writes": boolean;
  seed: string;
}

export { deviceName };

/** The largest state one simulated device may have (the 2 GiB). */
const MAX_STATE_BYTES = 2 * 1024 ** 3;

/** The devices the options describe; `incoming` for a destination's (their content differs from any source's until loaded). */
export function buildDevices(args: DeviceArgs, incoming = false): MigratableDevice[] {
  const count = integer(args.devices, "devices", 1, 64);
  if (args.mtty) return Array.from({ length: count }, (_, i) => new MttyDevice({ name: deviceName(i) }));
  const stateSize = parseSize(args["state-size"], "--state-size");
  if (stateSize < 1 || stateSize > MAX_STATE_BYTES) throw usageError(`--state-size: ${stateSize} bytes is outside 1 B..2 GiB`);
  const initialBytes = optionalSize(args["initial-size"], "initial-size");
  if (initialBytes !== undefined && initialBytes > stateSize) throw usageError("--initial-size: larger than --state-size");
  const flags = parseFlags(args.flags);
  const seed = integer(args.seed, "seed", 0, 2 ** 31 - 1);
  const devices = Array.from(
    { length: count },
    (_, i) =>
      new SimulatedDevice({
        name: deviceName(i),
        stateSize,
        initialBytes,
        dirtyRate: parseSize(args["dirty-rate"], "--dirty-rate"),
        loadDelayMs: milliseconds(args["load-delay"], "load-delay"),
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
