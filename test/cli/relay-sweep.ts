// The relay sweep of issue 11: `send` and `receive` as two processes with a fault relay between them,
// checking guarantees 1-4 on what the two processes print. `test/cli/relay-sweep.test.ts` runs a
// small fixed sample; `npm run relay-sweep` runs every case (docs/reliability.md records a run).
import { spawn } from "node:child_process";
import type { CliReport } from "../../src/report/result.js";
import { faultRelay, type RelayConnection, type RelayFault } from "./fault-relay.js";
import { CLI } from "./run-cli.js";

/**
 * Tiny states over 2 multifd channels, no pre-copy data (so the main stream's bytes do not depend on
 * timing and a clean run places the cut points); short bounds so every faulted run ends in seconds.
 * The return path's count can still differ from the clean run's by a byte or two (REPORT carries a
 * load time in ms), so its cut points lie within that of the stated distance from the end.
 */
export const DEVICE_ARGS = ["--devices", "2", "--state-size", "256KiB", "--initial-size", "0", "--channels", "2"];
export const TIMEOUT_ARGS = ["--setup-timeout", "10000", "--stall-timeout", "500", "--resolution-timeout", "2000"];
/** A process that has not exited after this has broken guarantee 4. */
const HARD_LIMIT_MS = 30_000;
const SWITCHOVER_START = Uint8Array.from([0x08, 0x00, 0x0b, 0x00, 0x00]);
/** Cut points before the end of a direction of the main connection (the list). */
export const MAIN_CUTS = [1, 4, 8, 13, 24, 48, 96, 200, 400];

export interface SweepCase {
  name: string;
  fault?: RelayFault;
  /** Replaces TIMEOUT_ARGS on both ends. */
  timeoutArgs?: string[];
}

export interface SweepOutcome {
  name: string;
  fired: boolean;
  source?: CliReport;
  destination?: CliReport;
  codes: [number | null, number | null];
  connections: RelayConnection[];
  ms: number;
  /** Broken guarantees; empty when the run is sound. */
  violations: string[];
}

interface Exit {
  code: number | null;
  stdout: string;
  killed: boolean;
}

function spawnCli(args: string[], onStderr?: (text: string) => void): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, HARD_LIMIT_MS);
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => onStderr?.((stderr += c)));
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, killed });
    });
  });
}

function parse(stdout: string): CliReport | undefined {
  try {
    return JSON.parse(stdout) as CliReport;
  } catch {
    return undefined;
  }
}

/** One migration through the relay with `fault`; checks guarantees 1-4 on the printed reports. */
export async function runCase(c: SweepCase): Promise<SweepOutcome> {
  const started = performance.now();
  let resolvePort!: (port: number) => void;
  const port = new Promise<number>((resolve) => (resolvePort = resolve));
  const timeouts = c.timeoutArgs ?? TIMEOUT_ARGS;
  const receiving = spawnCli(["receive", "--listen", "127.0.0.1:0", ...DEVICE_ARGS, ...timeouts, "--json"], (text) => {
    const m = /listening on [^:]+:(\d+)/.exec(text);
    if (m) resolvePort(Number(m[1]));
  });
  const relay = await faultRelay(await port, c.fault);
  const sending = spawnCli(["send", "--connect", `127.0.0.1:${relay.port}`, ...DEVICE_ARGS, ...timeouts, "--switchover-bandwidth", "1GB", "--json"]);
  const [send, receive] = await Promise.all([sending, receiving]);
  await relay.close();
  const source = parse(send.stdout);
  const destination = parse(receive.stdout);
  const violations: string[] = [];
  if (send.killed || receive.killed) violations.push(`did not end within ${HARD_LIMIT_MS} ms (send ${send.killed ? "killed" : "ended"}, receive ${receive.killed ? "killed" : "ended"})`);
  if (!source || !destination) violations.push("a process printed no JSON report");
  if (source && destination) {
    const sourceRuns = source.status === "failed" || source.status === "cancelled";
    const destinationRuns = destination.status === "completed";
    if (sourceRuns && destinationRuns) violations.push("both VMs run");
    if (source.status === "completed" && !destinationRuns) violations.push("source completed while the destination did not start");
    const expectedCode = { completed: 0, failed: 1, cancelled: 1, "in-doubt": 3 }[source.status];
    if (send.code !== expectedCode) violations.push(`send exited ${send.code} for ${source.status}`);
    if (receive.code !== (destinationRuns ? 0 : 1)) violations.push(`receive exited ${receive.code} for ${destination.status}`);
    if (destinationRuns) {
      const sent = source.devices.map((d) => d.sourceDigest);
      const got = destination.devices.map((d) => d.destinationDigest);
      if (JSON.stringify(sent) !== JSON.stringify(got)) violations.push("the destination runs with a state other than the source's");
    }
    if (sourceRuns && source.devices.some((d) => d.finalState !== "RUNNING")) violations.push("the source says it runs but a device is not RUNNING");
  }
  return { name: c.name, fired: relay.fired, source, destination, codes: [send.code, receive.code], connections: relay.connections, ms: performance.now() - started, violations };
}

/** Every case of the sweep, placed by the byte counts of a clean run through the relay. */
export function sweepCases(clean: RelayConnection[]): SweepCase[] {
  const cases: SweepCase[] = [];
  const toSource = clean[0].bytes["to-source"];
  for (const before of MAIN_CUTS) {
    cases.push({ name: `main to-source cut ${before} B before its end`, fault: { connection: 0, direction: "to-source", cutAt: toSource - before } });
  }
  // The source's stream from SWITCHOVER_START to its end (sections, EOF, COMMIT) has the same length
  // in every run; the pre-copy before it does not, so the cut is placed from the switchover.
  const tail = clean[0].bytes["to-destination"] - clean[0].switchoverStartAt!;
  for (const before of MAIN_CUTS) {
    cases.push({ name: `main to-destination cut ${before} B before its end`, fault: { connection: 0, direction: "to-destination", cutAfterSwitchover: tail - before } });
  }
  cases.push({ name: "main stalled after SWITCHOVER_START", fault: { connection: 0, direction: "to-destination", stallAfter: SWITCHOVER_START } });
  for (let connection = 1; connection < clean.length; connection++) {
    const total = clean[connection].bytes["to-destination"];
    for (const share of [0.1, 0.5, 0.9]) {
      cases.push({ name: `multifd/${connection - 1} cut at ${share * 100}% of its bytes`, fault: { connection, direction: "to-destination", cutAt: Math.floor(total * share) } });
    }
    cases.push({ name: `multifd/${connection - 1} cut 1 B before its end`, fault: { connection, direction: "to-destination", cutAt: total - 1 } });
  }
  return cases;
}

/** Runs `cases` with at most `parallel` migrations at once, in order of the list. */
export async function runCases(cases: SweepCase[], parallel: number): Promise<SweepOutcome[]> {
  const out: SweepOutcome[] = new Array(cases.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < cases.length; i = next++) out[i] = await runCase(cases[i]);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, cases.length) }, worker));
  return out;
}
