// The engine options that simulate, send and receive take from the command line.
import type { MigrateOptions, MultifdOptions } from "../engine/options.js";
import { integer, milliseconds, multifdMode, optionalSize } from "./options.js";

export interface MigrationArgs {
  channels: string;
  multifd: string;
  checksum: boolean;
  bandwidth?: string;
  "switchover-bandwidth"?: string;
  "downtime-limit": string;
  "switchover-ack": boolean;
}

export function capabilitiesFrom(args: MigrationArgs): MigrateOptions["capabilities"] {
  return { switchoverAck: args["switchover-ack"] };
}

export function multifdFrom(args: MigrationArgs): MultifdOptions {
  return { channels: integer(args.channels, "channels", 1, 64), mode: multifdMode(args.multifd), checksum: args.checksum };
}

/** Source-only knobs: convergence and rate limiting. */
export function sourceTuning(args: MigrationArgs): Pick<MigrateOptions, "downtimeLimitMs" | "maxBandwidth" | "switchoverBandwidth"> {
  return {
    downtimeLimitMs: milliseconds(args["downtime-limit"], "downtime-limit"),
    maxBandwidth: optionalSize(args.bandwidth, "bandwidth"),
    switchoverBandwidth: optionalSize(args["switchover-bandwidth"], "switchover-bandwidth"),
  };
}
