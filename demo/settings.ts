// The demo's settings: the CLI's device and migration options, by the same names, from the query string.
import type { DeviceArgs } from "../src/cli/devices.js";
import type { MigrationArgs } from "../src/cli/migration-options.js";
import { DEVICE_OPTIONS, MIGRATION_OPTIONS, usageError } from "../src/cli/options.js";

const OPTIONS = { ...DEVICE_OPTIONS, ...MIGRATION_OPTIONS } as Record<string, { type: "string" | "boolean"; default?: string | boolean }>;
/** Options that make no sense in a page (files, output format, cancellation timers). */
const NOT_HERE = new Set(["capture", "cancel-after", "json", "help"]);

/** What the demo changes from the CLI's defaults: several devices, switchover-ack, a visible pre-copy. */
export const DEMO_DEFAULTS: Record<string, string> = {
  devices: "3",
  "state-size": "16MiB",
  "dirty-rate": "2MiB",
  "switchover-ack": "1",
  multifd: "on",
  channels: "2",
  bandwidth: "64MiB",
};

export type DemoArgs = DeviceArgs & MigrationArgs;

export function demoArgs(search: string): DemoArgs {
  const given = { ...DEMO_DEFAULTS, ...Object.fromEntries(new URLSearchParams(search)) };
  const args: Record<string, string | boolean | undefined> = {};
  for (const [name, option] of Object.entries(OPTIONS)) if (!NOT_HERE.has(name)) args[name] = option.default;
  for (const [name, value] of Object.entries(given)) {
    const option = OPTIONS[name];
    if (!option || NOT_HERE.has(name)) throw usageError(`unknown setting '${name}' in the query string`);
    args[name] = option.type === "boolean" ? !["0", "false", "off", "no"].includes(value.toLowerCase()) : value;
  }
  return args as unknown as DemoArgs;
}
