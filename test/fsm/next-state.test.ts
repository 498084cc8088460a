import { describe, expect, it } from "vitest";
import {
  DeviceState,
  InvalidTransitionError,
  MigrationFlags,
  isStateSupported,
  nextState,
  stateName,
  transitionPath,
} from "../../src/fsm/index.js";
import { SPEC_FLAG_VALUES, SPEC_REQUIRED, SPEC_VALUES, parseSpecTable, specNextState } from "./spec-table.js";

const NAMES = Object.keys(SPEC_VALUES);
const nameOf = (value: number): string => NAMES.find((name) => SPEC_VALUES[name] === value)!;
const FLAG_SETS: Record<string, number> = {
  "STOP_COPY": 1,
  "STOP_COPY|P2P": 3,
  "STOP_COPY|PRE_COPY": 5,
  "STOP_COPY|P2P|PRE_COPY": 7,
};
const FULL = 7;
const SAVING_GROUP = new Set(["PRE_COPY", "PRE_COPY_P2P", "STOP_COPY"]);

function specPath(flags: number, cur: string, target: string): string[] | "EINVAL" {
  const path = [cur];
  while (path[path.length - 1] !== target || path.length === 1) {
    const answer = specNextState(flags, path[path.length - 1], target);
    if (!answer.ok) return "EINVAL";
    if (answer.next === path[path.length - 1]) break; // cur == target
    path.push(answer.next);
  }
  return path;
}

describe("states and flags", () => {
  it("have the uAPI's values", () => {
    for (const name of NAMES) expect(DeviceState[name as keyof typeof DeviceState]).toBe(SPEC_VALUES[name]);
    for (const [name, value] of Object.entries(SPEC_FLAG_VALUES)) {
      expect(MigrationFlags[name as keyof typeof MigrationFlags]).toBe(value);
    }
  });

  it("are supported exactly when (required & flags) == required", () => {
    for (const flags of [0, ...Object.values(FLAG_SETS)]) {
      for (const name of NAMES) {
        const need = SPEC_REQUIRED[name];
        const expected = need !== "never" && need.every((flag) => (flags & SPEC_FLAG_VALUES[flag]) !== 0);
        expect(isStateSupported(flags, SPEC_VALUES[name]), `${name} with flags ${flags}`).toBe(expected);
      }
    }
  });
});

describe("nextState: the kernel's vfio_mig_get_next_state()", () => {
  for (const [flagsName, flags] of Object.entries(FLAG_SETS)) {
    it(`answers as the spec's table and algorithm for all 8 x 8 with ${flagsName}`, () => {
      let checked = 0;
      for (const cur of NAMES) {
        for (const target of NAMES) {
          const want = specNextState(flags, cur, target);
          const label = `${cur} -> ${target} (${flagsName})`;
          if (want.ok) {
            expect(stateName(nextState(flags, SPEC_VALUES[cur], SPEC_VALUES[target])), label).toBe(want.next);
          } else {
            expect(() => nextState(flags, SPEC_VALUES[cur], SPEC_VALUES[target]), label).toThrow(InvalidTransitionError);
          }
          checked++;
        }
      }
      expect(checked).toBe(64);
    });
  }

  it("with every feature is the spec's table itself wherever the answer is not ERROR", () => {
    const table = parseSpecTable();
    for (const cur of NAMES.filter((n) => n !== "ERROR")) {
      for (const target of NAMES.filter((n) => n !== "ERROR")) {
        const cell = table[cur][target];
        if (cell === "ERROR") continue;
        expect(stateName(nextState(FULL, SPEC_VALUES[cur], SPEC_VALUES[target])), `${cur} -> ${target}`).toBe(cell);
      }
    }
  });

  it("returns cur when cur == target for every supported state", () => {
    for (const flags of Object.values(FLAG_SETS)) {
      for (const name of NAMES.filter((n) => isStateSupported(flags, SPEC_VALUES[n]))) {
        expect(nextState(flags, SPEC_VALUES[name], SPEC_VALUES[name])).toBe(SPEC_VALUES[name]);
      }
    }
  });

  it("blocks STOP_COPY -> PRE_COPY and STOP_COPY -> PRE_COPY_P2P with ERR_FSM_BLOCKED_ARC", () => {
    for (const target of [DeviceState.PRE_COPY, DeviceState.PRE_COPY_P2P]) {
      const err = catchError(() => nextState(FULL, DeviceState.STOP_COPY, target));
      expect(err.code).toBe("ERR_FSM_BLOCKED_ARC");
      expect(err.reason).toBe("blocked");
      expect(err.message).toContain(`STOP_COPY -> ${stateName(target)}`);
    }
    // Without P2P, PRE_COPY_P2P is unsupported: the target check fails first.
    expect(catchError(() => nextState(5, DeviceState.STOP_COPY, DeviceState.PRE_COPY_P2P)).reason).toBe("target-unsupported");
    expect(catchError(() => nextState(5, DeviceState.STOP_COPY, DeviceState.PRE_COPY)).reason).toBe("blocked");
  });

  it("refuses ERROR as target and as current state (only reset leaves ERROR)", () => {
    for (const flags of Object.values(FLAG_SETS)) {
      for (const name of NAMES) {
        expect(catchError(() => nextState(flags, SPEC_VALUES[name], DeviceState.ERROR)).code).toBe("ERR_FSM_UNSUPPORTED_STATE");
        expect(catchError(() => nextState(flags, DeviceState.ERROR, SPEC_VALUES[name])).reason).toBe("current-unsupported");
      }
    }
  });

  it("refuses states the flags do not support, current before target", () => {
    const noP2p = FLAG_SETS["STOP_COPY|PRE_COPY"];
    expect(catchError(() => nextState(noP2p, DeviceState.RUNNING_P2P, DeviceState.RUNNING)).reason).toBe("current-unsupported");
    expect(catchError(() => nextState(noP2p, DeviceState.RUNNING, DeviceState.RUNNING_P2P)).reason).toBe("target-unsupported");
    expect(catchError(() => nextState(1, DeviceState.PRE_COPY, DeviceState.RUNNING_P2P)).reason).toBe("current-unsupported");
    expect(catchError(() => nextState(0, DeviceState.RUNNING, DeviceState.STOP)).reason).toBe("current-unsupported");
  });

  it("refuses out-of-range and non-integer values", () => {
    for (const bad of [-1, 8, 9, 255, 2 ** 32 + 2, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const asCur = catchError(() => nextState(FULL, bad, DeviceState.STOP));
      expect(asCur.code).toBe("ERR_FSM_UNSUPPORTED_STATE");
      expect(asCur.reason).toBe("current-unsupported");
      expect(asCur.from).toBe(bad);
      expect(catchError(() => nextState(FULL, DeviceState.STOP, bad)).reason).toBe("target-unsupported");
    }
  });

  it("ignores flag bits outside the uAPI's three", () => {
    for (const cur of NAMES) {
      for (const target of NAMES) {
        const a = attempt(() => nextState(FULL | 8 | 0x100, SPEC_VALUES[cur], SPEC_VALUES[target]));
        const b = attempt(() => nextState(FULL, SPEC_VALUES[cur], SPEC_VALUES[target]));
        expect(a, `${cur} -> ${target}`).toEqual(b);
      }
    }
  });
});

describe("transitionPath", () => {
  it("matches the spec's examples literally", () => {
    const path = (flags: number, cur: DeviceState, target: DeviceState) => transitionPath(flags, cur, target).map(stateName).join(">");
    expect(path(FLAG_SETS["STOP_COPY|PRE_COPY"], DeviceState.RUNNING, DeviceState.STOP_COPY)).toBe("RUNNING>STOP>STOP_COPY");
    expect(path(FLAG_SETS["STOP_COPY"], DeviceState.RUNNING, DeviceState.STOP_COPY)).toBe("RUNNING>STOP>STOP_COPY");
    expect(path(FULL, DeviceState.RUNNING, DeviceState.STOP_COPY)).toBe("RUNNING>RUNNING_P2P>STOP>STOP_COPY");
    expect(path(FLAG_SETS["STOP_COPY|P2P"], DeviceState.RUNNING, DeviceState.STOP_COPY)).toBe("RUNNING>RUNNING_P2P>STOP>STOP_COPY");
    expect(path(FULL, DeviceState.RESUMING, DeviceState.RUNNING)).toBe("RESUMING>STOP>RUNNING_P2P>RUNNING");
    expect(path(FULL, DeviceState.RESUMING, DeviceState.PRE_COPY)).toBe("RESUMING>STOP>RUNNING_P2P>RUNNING>PRE_COPY");
    expect(path(FULL, DeviceState.PRE_COPY, DeviceState.STOP_COPY)).toBe("PRE_COPY>PRE_COPY_P2P>STOP_COPY");
    expect(path(FULL, DeviceState.RUNNING, DeviceState.RUNNING)).toBe("RUNNING");
    // QEMU's load_setup: "RUNNING->STOP->RESUMING, or via RUNNING_P2P for P2P devices".
    expect(path(FLAG_SETS["STOP_COPY"], DeviceState.RUNNING, DeviceState.RESUMING)).toBe("RUNNING>STOP>RESUMING");
    expect(path(FULL, DeviceState.RUNNING, DeviceState.RESUMING)).toBe("RUNNING>RUNNING_P2P>STOP>RESUMING");
  });

  for (const [flagsName, flags] of Object.entries(FLAG_SETS)) {
    it(`walks the spec's algorithm for all 8 x 8 with ${flagsName}`, () => {
      for (const cur of NAMES) {
        for (const target of NAMES) {
          const want = specPath(flags, cur, target);
          const label = `${cur} -> ${target} (${flagsName})`;
          if (want === "EINVAL") {
            expect(() => transitionPath(flags, SPEC_VALUES[cur], SPEC_VALUES[target]), label).toThrow(InvalidTransitionError);
          } else {
            expect(transitionPath(flags, SPEC_VALUES[cur], SPEC_VALUES[target]).map(nameOf), label).toEqual(want);
          }
        }
      }
    });

    it(`has the spec's shape for every valid pair with ${flagsName}: single arcs, shortest, no saving-group interior`, () => {
      const supported = NAMES.filter((n) => isStateSupported(flags, SPEC_VALUES[n]));
      const isArc = (a: string, b: string) => {
        const hop = attempt(() => nextState(flags, SPEC_VALUES[a], SPEC_VALUES[b]));
        return a !== b && hop.ok && hop.value === SPEC_VALUES[b];
      };
      for (const cur of supported) {
        for (const target of supported) {
          const result = attempt(() => transitionPath(flags, SPEC_VALUES[cur], SPEC_VALUES[target]).map(nameOf));
          if (!result.ok) {
            expect(cur, `only STOP_COPY -> pre-copy is refused, not ${cur} -> ${target}`).toBe("STOP_COPY");
            expect(["PRE_COPY", "PRE_COPY_P2P"]).toContain(target);
            continue;
          }
          const path = result.value as string[];
          expect(path[0]).toBe(cur);
          expect(path[path.length - 1]).toBe(target);
          for (let i = 1; i < path.length; i++) expect(isArc(path[i - 1], path[i]), `${path.join(">")}`).toBe(true);
          const interior = path.slice(1, -1);
          const sanctioned = path.join(">") === "PRE_COPY>PRE_COPY_P2P>STOP_COPY";
          if (!sanctioned) expect(interior.filter((s) => SAVING_GROUP.has(s)), path.join(">")).toEqual([]);
          expect(path.length - 1, path.join(">")).toBe(shortest(supported, isArc, cur, target, sanctioned));
        }
      }
    });
  }

  it("fails only on the first hop: every interior state of a path can reach the target", () => {
    for (const flags of Object.values(FLAG_SETS)) {
      for (const cur of NAMES) {
        for (const target of NAMES) {
          const result = attempt(() => transitionPath(flags, SPEC_VALUES[cur], SPEC_VALUES[target]));
          if (!result.ok) continue;
          for (const state of result.value as DeviceState[]) expect(() => transitionPath(flags, state, SPEC_VALUES[target])).not.toThrow();
        }
      }
    }
  });
});

/** BFS length over single arcs, with saving-group states allowed only as endpoints (or the sanctioned walk). */
function shortest(states: string[], isArc: (a: string, b: string) => boolean, from: string, to: string, sanctioned: boolean): number {
  const distance = new Map([[from, 0]]);
  const queue = [from];
  while (queue.length) {
    const at = queue.shift()!;
    if (at === to) return distance.get(at)!;
    if (at !== from && SAVING_GROUP.has(at) && !sanctioned) continue;
    for (const next of states) {
      if (!distance.has(next) && isArc(at, next)) {
        distance.set(next, distance.get(at)! + 1);
        queue.push(next);
      }
    }
  }
  return -1;
}

function catchError(fn: () => unknown): InvalidTransitionError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidTransitionError) return err;
    throw err;
  }
  throw new Error("expected an InvalidTransitionError");
}

function attempt(fn: () => unknown): { ok: true; value: unknown } | { ok: false; code: string } {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    return { ok: false, code: (err as InvalidTransitionError).code };
  }
}
