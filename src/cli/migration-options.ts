// The engine options that simulate, send and receive take from the command line.
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from "../codec/checksum.js";
import type { MigrateOptions, MultifdOptions } from "../engine/options.js";
import { integer, milliseconds, multifdMode, optionalSize, usageError } from "./options.js";

export interface MigrationArgs {
  channels: string;
  multifd: string;
  checksum: string;
  bandwidth?: string;
  "switchover-bandwidth"?: string;
  "downtime-limit": string;
  "switchover-ack": boolean;
}

export function capabilitiesFrom(args: MigrationArgs): MigrateOptions["capabilities"] {
  return { switchoverAck: args["switchover-ack"] };
}

export function multifdFrom(args: MigrationArgs): MultifdOptions {
  const checksum = args.checksum as ChecksumAlgorithm;
  if (!CHECKSUM_ALGORITHMS.includes(checksum)) throw usageError(`--checksum: expected ${CHECKSUM_ALGORITHMS.join(", ")}, got '${args.checksum}'`);
  return { channels: integer(args.channels, "channels", 0, 64), mode: multifdMode(args.multifd), checksum };
}

/** Source-only knobs: convergence and rate limiting. */
export function sourceTuning(args: MigrationArgs): Pick<MigrateOptions, "downtimeLimitMs" | "maxBandwidth" | "switchoverBandwidth"> {
  return {
    downtimeLimitMs: milliseconds(args["downtime-limit"], "downtime-limit"),
    maxBandwidth: optionalSize(args.bandwidth, "bandwidth"),
    switchoverBandwidth: optionalSize(args["switchover-bandwidth"], "switchover-bandwidth"),
  };
}
