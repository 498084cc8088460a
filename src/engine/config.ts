import { MigrationFlags } from "../fsm/states.js";
import type { MigratableDevice } from "../device/types.js";
import type { MultifdPlan } from "./options.js";
import { checksumAlgorithm, CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from "../codec/checksum.js";

/**
 * The setup configuration both ends exchange (source: CONFIGURATION section after the file header;
 * destination: CONFIG message on the return path). Everything in it must agree.
 */
export interface SetupConfig {
  version: 1;
  /** Per-migration id, echoed in each multifd channel's hello. */
  uuid: string;
  /** `checksum`: the multifd CHECKSUM extension's algorithm (a peer that sends a boolean means none or CRC32C). */
  capabilities: { returnPath: true; switchoverAck: boolean; multifd: boolean; checksum: ChecksumAlgorithm };
  multifdChannels: number;
  /** How the config blob travels on the main channel (our one deviation from QEMU). */
  configBlob: "length-delimited";
  devices: { name: string; instanceId: number; flags: string; stopCopySize: number | null }[];
}

export function flagNames(flags: number): string {
  const names = [MigrationFlags.STOP_COPY, MigrationFlags.P2P, MigrationFlags.PRE_COPY]
    .filter((f) => (flags & f) !== 0)
    .map((f) => MigrationFlags[f]);
  return names.join("|") || "0";
}

export function describeDevices(devices: readonly MigratableDevice[]): SetupConfig["devices"] {
  return devices.map((d) => ({
    name: d.name,
    instanceId: d.instanceId,
    flags: flagNames(d.flags),
    stopCopySize: d.stopCopySize() ?? null,
  }));
}

/** One end's configuration: what it will do and with which devices. */
export function buildConfig(uuid: string, switchoverAck: boolean, multifd: MultifdPlan, devices: readonly MigratableDevice[]): SetupConfig {
  return {
    version: 1,
    uuid,
    capabilities: { returnPath: true, switchoverAck, multifd: multifd.transfer, checksum: multifd.checksum },
    multifdChannels: multifd.channels,
    configBlob: "length-delimited",
    devices: describeDevices(devices),
  };
}

/** Every difference between the two configurations, each naming the field and both values. */
export function compareConfigs(source: SetupConfig, destination: SetupConfig): string[] {
  const out: string[] = [];
  const differ = (what: string, a: unknown, b: unknown): void => {
    if (a !== b) out.push(`${what}: source ${String(a)}, destination ${String(b)}`);
  };
  differ("version", source.version, destination.version);
  for (const key of ["switchoverAck", "multifd", "checksum"] as const) {
    differ(`capability ${key}`, source.capabilities[key], destination.capabilities[key]);
  }
  if (source.capabilities.multifd && destination.capabilities.multifd) {
    differ("multifd channels", source.multifdChannels, destination.multifdChannels);
  }
  differ("config blob format", source.configBlob, destination.configBlob);
  const names = (c: SetupConfig): string => c.devices.map((d) => `${d.name}#${d.instanceId}`).join(",") || "none";
  if (names(source) !== names(destination)) {
    out.push(`devices: source ${names(source)}, destination ${names(destination)}`);
    return out;
  }
  source.devices.forEach((s, i) => {
    const d = destination.devices[i];
    differ(`${s.name} flags`, s.flags, d.flags);
    if (s.stopCopySize !== null && d.stopCopySize !== null) differ(`${s.name} state size`, s.stopCopySize, d.stopCopySize);
  });
  return out;
}

/** Parses and shape-checks a peer's configuration; throws a plain message for the caller to wrap. */
export function parseConfig(json: unknown): SetupConfig {
  const c = json as SetupConfig;
  const ok =
    typeof c === "object" &&
    c !== null &&
    typeof c.uuid === "string" &&
    typeof c.capabilities === "object" &&
    c.capabilities !== null &&
    Number.isInteger(c.multifdChannels) &&
    Array.isArray(c.devices) &&
    c.devices.every((d) => typeof d?.name === "string" && Number.isInteger(d.instanceId) && typeof d.flags === "string");
  if (!ok) throw new Error("malformed setup configuration");
  const checksum = c.capabilities.checksum as unknown;
  if (typeof checksum !== "boolean" && !CHECKSUM_ALGORITHMS.includes(checksum as ChecksumAlgorithm)) {
    throw new Error(`unknown checksum '${String(checksum)}' in setup configuration`);
  }
  return { ...c, capabilities: { ...c.capabilities, checksum: checksumAlgorithm(checksum as ChecksumAlgorithm | boolean) } };
}
