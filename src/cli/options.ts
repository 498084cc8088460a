// Command-line options shared by simulate, send and receive.
import type { ParseArgsConfig } from "node:util";
import { VfioMigrationError } from "../errors.js";
import { MigrationFlags } from "../fsm/states.js";
import { parseSize } from "./sizes.js";

export const DEVICE_OPTIONS = {
  devices: { type: "string", default: "1" },
  mtty: { type: "boolean", default: false },
  "state-size": { type: "string", default: "64MiB" },
  "initial-size": { type: "string" },
  "dirty-rate": { type: "string", default: "0" },
  "load-delay": { type: "string", default: "0" },
  "save-speed": { type: "string" },
  "load-speed": { type: "string" },
  flags: { type: "string", default: "STOP_COPY,P2P,PRE_COPY" },
  "p2p-writes": { type: "boolean", default: false },
  seed: { type: "string", default: "1" },
} as const satisfies ParseArgsConfig["options"];

export const MIGRATION_OPTIONS = {
  channels: { type: "string", default: "2" },
  multifd: { type: "string", default: "auto" },
  checksum: { type: "string", default: "none" },
  bandwidth: { type: "string" },
  "switchover-bandwidth": { type: "string" },
  "downtime-limit": { type: "string", default: "300" },
  "switchover-ack": { type: "boolean", default: false },
  capture: { type: "string" },
  "cancel-after": { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies ParseArgsConfig["options"];

/** The bounds of `send` and `receive` (docs/reliability.md, "Timeouts"); all in ms. */
export const TIMEOUT_OPTIONS = {
  "setup-timeout": { type: "string", default: "5000" },
  "stall-timeout": { type: "string", default: "10000" },
  "resolution-timeout": { type: "string", default: "10000" },
} as const satisfies ParseArgsConfig["options"];

export const TIMEOUT_USAGE = "[--setup-timeout MS] [--stall-timeout MS] [--resolution-timeout MS]";

export function timeoutsFrom(args: { "setup-timeout": string; "stall-timeout": string; "resolution-timeout": string }): {
  setupTimeoutMs: number;
  stallTimeoutMs: number;
  resolutionTimeoutMs: number;
} {
  return {
    setupTimeoutMs: milliseconds(args["setup-timeout"], "setup-timeout"),
    stallTimeoutMs: milliseconds(args["stall-timeout"], "stall-timeout"),
    resolutionTimeoutMs: milliseconds(args["resolution-timeout"], "resolution-timeout"),
  };
}

export function usageError(message: string): VfioMigrationError {
  return new VfioMigrationError("ERR_CLI_USAGE", message);
}

export function integer(text: string, option: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw usageError(`--${option}: '${text}' is not an integer in ${min}..${max}`);
  return n;
}

export function milliseconds(text: string, option: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !Number.isFinite(n)) throw usageError(`--${option}: '${text}' is not a number of milliseconds`);
  return n;
}

export function optionalSize(text: string | undefined, option: string): number | undefined {
  return text === undefined ? undefined : parseSize(text, `--${option}`);
}

/** `STOP_COPY,P2P,PRE_COPY` (or `|`-separated) to flag bits; STOP_COPY is mandatory. */
export function parseFlags(text: string): number {
  let flags = 0;
  for (const name of text.split(/[,|]/).map((s) => s.trim().toUpperCase()).filter(Boolean)) {
    const bit = (MigrationFlags as unknown as Record<string, number>)[name];
    if (typeof bit !== "number") throw usageError(`--flags: unknown flag '${name}' (STOP_COPY, P2P, PRE_COPY)`);
    flags |= bit;
  }
  if (!(flags & MigrationFlags.STOP_COPY)) throw usageError("--flags: STOP_COPY is mandatory");
  return flags;
}

/** `HOST:PORT` (IPv6 in brackets). */
export function hostPort(text: string | undefined, option: string): { host: string; port: number } {
  const m = text === undefined ? null : /^\[?([^\]]*?)\]?:(\d+)$/.exec(text);
  if (!m) throw usageError(`--${option}: expected HOST:PORT, got '${text ?? ""}'`);
  return { host: m[1] || "127.0.0.1", port: integer(m[2], option, 0, 65535) };
}

export type MultifdCliMode = "on" | "off" | "auto";

export function multifdMode(text: string): MultifdCliMode {
  if (text !== "on" && text !== "off" && text !== "auto") throw usageError(`--multifd: expected on, off or auto, got '${text}'`);
  return text;
}

export function onOff(text: string, option: string): boolean {
  if (text !== "on" && text !== "off") throw usageError(`--${option}: expected on or off, got '${text}'`);
  return text === "on";
}
