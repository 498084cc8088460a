// The guarantees of issue 11, checked on one run's outcome. Each violation names its guarantee and
// says what was seen, in virtual time.
import { isVfioMigrationError } from "../../errors.js";
import type { Side } from "../network.js";
import type { Outcome, VmEvent } from "./run.js";

export type Guarantee = 1 | 2 | 3 | 4 | 5 | 6;

/** What exactly broke: the guarantee's clauses, so a caller can tell apart what is known to be open. */
export type ViolationKind = "overlap" | "lost" | "dishonest" | "hang" | "leftover" | "unhandled" | "integrity" | "untyped";

export interface Violation {
  guarantee: Guarantee;
  kind: ViolationKind;
  message: string;
}

export const GUARANTEE_NAMES: Record<Guarantee, string> = {
  1: "never twice",
  2: "never silently lost",
  3: "decided or honest",
  4: "always ends",
  5: "integrity",
  6: "bounded",
};

const KIND_OF: Record<Guarantee, ViolationKind> = { 1: "overlap", 2: "lost", 3: "dishonest", 4: "hang", 5: "integrity", 6: "untyped" };

interface Interval {
  from: VmEvent;
  to: VmEvent | undefined;
}

/** The spans in which `side`'s VM ran, in event order; a crash ends the VM for good. */
function runSpans(events: readonly VmEvent[], side: Side, initiallyRunning: boolean): Interval[] {
  const spans: Interval[] = [];
  let open: VmEvent | undefined = initiallyRunning ? { seq: -1, t: 0, side, kind: "run" } : undefined;
  for (const e of events) {
    if (e.side !== side) continue;
    if (e.kind === "run") open ??= e;
    else {
      if (open) spans.push({ from: open, to: e });
      open = undefined;
      if (e.kind === "crash") return spans;
    }
  }
  if (open) spans.push({ from: open, to: undefined });
  return spans;
}

const overlaps = (a: Interval, b: Interval): boolean => a.from.seq < (b.to?.seq ?? Infinity) && b.from.seq < (a.to?.seq ?? Infinity);
const at = (e: VmEvent | undefined): string => (e ? `t=${round(e.t)} ms` : "the end");
const round = (ms: number): number => Math.round(ms * 1000) / 1000;

function hung(o: Outcome): string {
  if (o.ended === "idle") return "nothing left to move it";
  if (o.ended === "limit") return "virtual time limit";
  return `${o.steps} timers fired, virtual time still at ${round(o.virtualMs)} ms`;
}

export function checkGuarantees(o: Outcome): Violation[] {
  const violations: Violation[] = [];
  const fail = (guarantee: Guarantee, message: string, kind: ViolationKind = KIND_OF[guarantee]): void => void violations.push({ guarantee, kind, message });
  // Results that never came (the runs did not end even when aborted) cannot be checked further.
  if (!o.woundDown) {
    fail(4, `the run did not end on its own (${hung(o)}); it did not end when aborted either`);
    return violations;
  }
  const crashed = o.vm.find((e) => e.kind === "crash")?.side;
  const src = o.source.status as string;
  const dst = o.destination.status as string;

  // 1. Never twice: no instant at which both VMs run.
  const sourceSpans = runSpans(o.vm, "source", true);
  const destinationSpans = runSpans(o.vm, "destination", false);
  for (const s of sourceSpans) {
    for (const d of destinationSpans) {
      if (overlaps(s, d)) fail(1, `both VMs ran: source from ${at(s.from)} to ${at(s.to)}, destination from ${at(d.from)} to ${at(d.to)}`);
    }
  }

  // 2. Never silently lost.
  if ((src === "completed" || dst === "completed") && crashed === undefined) {
    if (!o.running.destination) fail(2, `source ${src}, destination ${dst}, but the destination VM does not run`);
    if (o.running.source) fail(2, `source ${src}, destination ${dst}, but the source VM runs again`);
  }
  if ((src === "failed" || src === "cancelled") && crashed !== "source") {
    if (!o.running.source) fail(2, `source ${src} but its VM does not run`);
    o.devices.source.forEach((d, i) => {
      if (d.state !== "RUNNING") fail(2, `source ${src} but device ${i} is ${d.state}`);
      if (d.digest?.startsWith("error") || d.digest?.includes("lost")) fail(2, `source ${src} but device ${i}'s state is not intact: ${d.digest}`);
    });
  }

  // 3. Decided or honest: the source's status matches what the destination did.
  if (src === "completed" && dst !== "completed" && crashed !== "destination") fail(3, `source completed but destination ${dst}`);
  if ((src === "failed" || src === "cancelled") && dst === "completed") fail(3, `source ${src} (and resumes) but the destination completed and runs`);
  if (dst !== "completed" && o.running.destination && crashed !== "destination") fail(3, `destination ${dst} but its VM runs`);
  if (src === "in-doubt") {
    if (o.running.source) fail(3, "source in doubt but its VM runs");
    o.devices.source.forEach((d, i) => {
      if (d.state === "RUNNING" || d.state === "ERROR") fail(3, `source in doubt but device ${i} is ${d.state}`);
    });
  }

  // 4. Always ends, leaving nothing behind.
  if (o.ended !== "settled") fail(4, `the run did not end on its own (${hung(o)})`);
  if (o.timersLeft > 0) fail(4, `${o.timersLeft} timer(s) left on the clock`, "leftover");
  if (o.channelsOpen > 0) fail(4, `${o.channelsOpen} channel end(s) left open`, "leftover");

  // 5. Integrity: a completed migration's destination state is the source's at switchover.
  if (src === "completed" && dst === "completed") {
    o.source.devices.forEach((d, i) => {
      const theirs = o.destination.devices[i]?.digest;
      if (!d.digest || d.digest !== theirs) fail(5, `device ${i}: source digest ${d.digest}, destination ${theirs}`);
    });
  }

  // 6. Bounded: every failure is one of ours, typed with a stable code.
  for (const r of [o.source, o.destination]) {
    // Typed as VfioMigrationError; checked at run time all the same, since that is the promise under test.
    const error: unknown = r.error;
    if (error && !isVfioMigrationError(error)) fail(6, `${r.side} failed with an untyped error: ${(error as Error).message}`);
  }
  return violations;
}
