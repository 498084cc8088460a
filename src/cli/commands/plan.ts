// `vfio-migration plan`: predicted downtime and total time for every combination of settings, from
// the real engine on virtual time (src/plan).
import { plan, type DeviceModel, type Plan, type PlanObjective, type PlanSweep } from "../../plan/index.js";
import { prepare } from "../command.js";
import { DEVICE_OPTIONS, integer, milliseconds, multifdMode, onOff, optionalSize, parseFlags, usageError } from "../options.js";
import { describeInputs, formatPlan } from "../plan-table.js";
import { parseSize } from "../sizes.js";
import { sweepValues } from "../sweep-values.js";
import { writePlanReport, checkReportPath } from "../plan-report.js";

const USAGE = `usage: vfio-migration plan --link-bandwidth R [--link-latency MS] [device options] [settings] [--objective downtime|total]
  [--horizon S] [--json] [--report FILE.html]
device options (as simulate): --devices N --state-size S --initial-size S --dirty-rate R --load-delay MS
  --save-speed R --load-speed R --flags STOP_COPY,P2P,PRE_COPY
settings, each a value, a list (0,2,4) or a range (100..1000/100):
  --channels N (default 2)  --multifd on|off|auto (default auto)  --switchover-ack on|off (default off)
  --downtime-limit MS (default 300)  --bandwidth R (pre-copy limit, default 128MiB; 0 = none)  --switchover-bandwidth R
sizes: 60, 300MB (10^6), 100MiB (2^20), 1TiB; rates in bytes/s with the same suffixes`;

const { devices, "state-size": stateSize, "initial-size": initialSize, "dirty-rate": dirtyRate, "load-delay": loadDelay, "save-speed": saveSpeed, "load-speed": loadSpeed, flags } = DEVICE_OPTIONS;

const OPTIONS = {
  devices,
  "state-size": stateSize,
  "initial-size": initialSize,
  "dirty-rate": dirtyRate,
  "load-delay": loadDelay,
  "save-speed": saveSpeed,
  "load-speed": loadSpeed,
  flags,
  "link-bandwidth": { type: "string" },
  "link-latency": { type: "string", default: "0" },
  channels: { type: "string" },
  multifd: { type: "string" },
  "switchover-ack": { type: "string" },
  "downtime-limit": { type: "string" },
  bandwidth: { type: "string" },
  "switchover-bandwidth": { type: "string" },
  objective: { type: "string", default: "downtime" },
  horizon: { type: "string", default: "600" },
  json: { type: "boolean", default: false },
  report: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** The largest state the planner takes per device (a planned run never holds it). */
const MAX_PLAN_STATE_BYTES = 2 ** 50;

export async function run(argv: string[]): Promise<number> {
  const prepared = await prepare(argv, OPTIONS, USAGE, (args) => {
    if (args["link-bandwidth"] === undefined) throw usageError("--link-bandwidth is required (bytes/s each way, e.g. 10GB; 0 = unlimited)");
    const objective = args.objective;
    if (objective !== "downtime" && objective !== "total") throw usageError(`--objective: expected downtime or total, got '${objective}'`);
    if (args.report !== undefined) checkReportPath(args.report);
    return {
      device: deviceModel(args),
      link: { bandwidth: parseSize(args["link-bandwidth"], "--link-bandwidth"), latencyMs: milliseconds(args["link-latency"], "link-latency") },
      sweep: sweep(args),
      objective: objective as PlanObjective,
      horizonMs: milliseconds(args.horizon, "horizon") * 1000,
      report: args.report,
    };
  });
  if (prepared.exit !== undefined) return prepared.exit;
  const { json, setup } = prepared;
  const progress = !json && process.stderr.isTTY;
  const result: Plan = await plan({
    ...setup,
    onRow: progress ? (_, i, total) => process.stderr.write(`\rplanned ${i + 1} of ${total}`) : undefined,
  });
  if (progress) process.stderr.write("\r\x1b[K");
  if (setup.report !== undefined) await writePlanReport(setup.report, result, describeInputs(setup), `vfio-migration plan ${argv.join(" ")}`);
  process.stdout.write(json ? JSON.stringify(result) + "\n" : formatPlan(result, setup) + "\n");
  return result.best === null ? 1 : 0;
}

type Args = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { type: "boolean" } ? boolean : string };

function deviceModel(args: Args): DeviceModel {
  const size = parseSize(args["state-size"]!, "--state-size");
  if (size < 16 || size > MAX_PLAN_STATE_BYTES) throw usageError(`--state-size: ${size} bytes is outside 16 B..1 PiB`);
  const initialBytes = optionalSize(args["initial-size"], "initial-size");
  if (initialBytes !== undefined && initialBytes > size) throw usageError("--initial-size: larger than --state-size");
  return {
    devices: integer(args.devices!, "devices", 1, 64),
    stateSize: size,
    initialBytes,
    dirtyRate: parseSize(args["dirty-rate"]!, "--dirty-rate"),
    loadDelayMs: milliseconds(args["load-delay"]!, "load-delay"),
    saveBytesPerSecond: positiveRate(args["save-speed"], "save-speed"),
    loadBytesPerSecond: positiveRate(args["load-speed"], "load-speed"),
    flags: parseFlags(args.flags!),
  };
}

function positiveRate(text: string | undefined, option: string): number | undefined {
  const rate = optionalSize(text, option);
  if (rate === 0) throw usageError(`--${option}: must be above 0 (leave it out for an unbounded device)`);
  return rate;
}

function sweep(args: Args): PlanSweep {
  const size = (option: string) => (v: string) => parseSize(v, `--${option}`);
  const same = (n: number): number => n;
  const list = <T>(option: keyof Args & string, parse: (v: string) => T, ranged = false): T[] | undefined => {
    const text = args[option];
    if (typeof text !== "string") return undefined;
    return ranged ? sweepValues(text, option, parse, same as unknown as (v: T) => number, same as unknown as (n: number) => T) : sweepValues(text, option, parse);
  };
  return {
    channels: list("channels", (v) => integer(v, "channels", 0, 64), true),
    multifd: list("multifd", multifdMode),
    switchoverAck: list("switchover-ack", (v) => onOff(v, "switchover-ack")),
    downtimeLimit: list("downtime-limit", (v) => milliseconds(v, "downtime-limit"), true),
    bandwidth: list("bandwidth", size("bandwidth"), true),
    switchoverBandwidth: list("switchover-bandwidth", size("switchover-bandwidth"), true),
  };
}

