// The kernel's vfio_mig_get_next_state() (drivers/vfio/vfio_main.c), as of the v7.2 fix of the
// blocked-arc loop: a next-hop table for a device with every feature, walked past the optional
// states a device lacks.
import { InvalidTransitionError, type InvalidTransitionReason } from "./errors.js";
import { flagNames, isDeviceState, stateName } from "./names.js";
import { DeviceState as S, MigrationFlags as F } from "./states.js";

/** `vfio_from_fsm_table[cur][target]`: the first hop for a device with STOP_COPY|P2P|PRE_COPY. */
const NEXT: readonly (readonly S[])[] = (() => {
  const rows: Record<S, Record<S, S>> = {
    [S.STOP]: {
      [S.STOP]: S.STOP, [S.RUNNING]: S.RUNNING_P2P, [S.STOP_COPY]: S.STOP_COPY, [S.RESUMING]: S.RESUMING,
      [S.RUNNING_P2P]: S.RUNNING_P2P, [S.PRE_COPY]: S.RUNNING_P2P, [S.PRE_COPY_P2P]: S.RUNNING_P2P, [S.ERROR]: S.ERROR,
    },
    [S.RUNNING]: {
      [S.STOP]: S.RUNNING_P2P, [S.RUNNING]: S.RUNNING, [S.STOP_COPY]: S.RUNNING_P2P, [S.RESUMING]: S.RUNNING_P2P,
      [S.RUNNING_P2P]: S.RUNNING_P2P, [S.PRE_COPY]: S.PRE_COPY, [S.PRE_COPY_P2P]: S.RUNNING_P2P, [S.ERROR]: S.ERROR,
    },
    [S.STOP_COPY]: {
      [S.STOP]: S.STOP, [S.RUNNING]: S.STOP, [S.STOP_COPY]: S.STOP_COPY, [S.RESUMING]: S.STOP,
      [S.RUNNING_P2P]: S.STOP, [S.PRE_COPY]: S.ERROR, [S.PRE_COPY_P2P]: S.ERROR, [S.ERROR]: S.ERROR,
    },
    [S.RESUMING]: {
      [S.STOP]: S.STOP, [S.RUNNING]: S.STOP, [S.STOP_COPY]: S.STOP, [S.RESUMING]: S.RESUMING,
      [S.RUNNING_P2P]: S.STOP, [S.PRE_COPY]: S.STOP, [S.PRE_COPY_P2P]: S.STOP, [S.ERROR]: S.ERROR,
    },
    [S.RUNNING_P2P]: {
      [S.STOP]: S.STOP, [S.RUNNING]: S.RUNNING, [S.STOP_COPY]: S.STOP, [S.RESUMING]: S.STOP,
      [S.RUNNING_P2P]: S.RUNNING_P2P, [S.PRE_COPY]: S.RUNNING, [S.PRE_COPY_P2P]: S.PRE_COPY_P2P, [S.ERROR]: S.ERROR,
    },
    [S.PRE_COPY]: {
      [S.STOP]: S.RUNNING, [S.RUNNING]: S.RUNNING, [S.STOP_COPY]: S.PRE_COPY_P2P, [S.RESUMING]: S.RUNNING,
      [S.RUNNING_P2P]: S.RUNNING, [S.PRE_COPY]: S.PRE_COPY, [S.PRE_COPY_P2P]: S.PRE_COPY_P2P, [S.ERROR]: S.ERROR,
    },
    [S.PRE_COPY_P2P]: {
      [S.STOP]: S.RUNNING_P2P, [S.RUNNING]: S.RUNNING_P2P, [S.STOP_COPY]: S.STOP_COPY, [S.RESUMING]: S.RUNNING_P2P,
      [S.RUNNING_P2P]: S.RUNNING_P2P, [S.PRE_COPY]: S.PRE_COPY, [S.PRE_COPY_P2P]: S.PRE_COPY_P2P, [S.ERROR]: S.ERROR,
    },
    [S.ERROR]: {
      [S.STOP]: S.ERROR, [S.RUNNING]: S.ERROR, [S.STOP_COPY]: S.ERROR, [S.RESUMING]: S.ERROR,
      [S.RUNNING_P2P]: S.ERROR, [S.PRE_COPY]: S.ERROR, [S.PRE_COPY_P2P]: S.ERROR, [S.ERROR]: S.ERROR,
    },
  };
  return Array.from({ length: 8 }, (_, cur) => Array.from({ length: 8 }, (_, target) => rows[cur as S][target as S]));
})();

/** `state_flags_table`: the flags a state needs. ERROR needs every bit, so no device supports it. */
const REQUIRED: readonly number[] = [
  /* ERROR */ ~0,
  /* STOP */ F.STOP_COPY,
  /* RUNNING */ F.STOP_COPY,
  /* STOP_COPY */ F.STOP_COPY,
  /* RESUMING */ F.STOP_COPY,
  /* RUNNING_P2P */ F.STOP_COPY | F.P2P,
  /* PRE_COPY */ F.STOP_COPY | F.PRE_COPY,
  /* PRE_COPY_P2P */ F.STOP_COPY | F.P2P | F.PRE_COPY,
];

/** True when a device with `flags` supports `state` (never for ERROR or out-of-range values). */
export function isStateSupported(flags: number, state: number): boolean {
  return isDeviceState(state) && (REQUIRED[state] & flags) === REQUIRED[state];
}

function invalid(reason: InvalidTransitionReason, flags: number, cur: number, target: number): InvalidTransitionError {
  const arc = `${stateName(cur)} -> ${stateName(target)}`;
  const withFlags = `flags ${flagNames(flags).join("|") || "0"}`;
  const why =
    reason === "current-unsupported"
      ? `the current state ${stateName(cur)} is not a state of a device with ${withFlags}`
      : reason === "target-unsupported"
        ? `the target ${stateName(target)} is not a state of a device with ${withFlags}`
        : "the kernel blocks this arc (STOP_COPY cannot return to pre-copy)";
  return new InvalidTransitionError(reason, flags, cur, target, `invalid transition ${arc}: ${why}`);
}

/**
 * The first hop from `cur` towards `target`, exactly as the kernel's `vfio_mig_get_next_state()`:
 * `cur` when equal; throws `InvalidTransitionError` (code ERR_FSM_UNSUPPORTED_STATE or
 * ERR_FSM_BLOCKED_ARC) where the kernel answers -EINVAL.
 */
export function nextState(flags: number, cur: number, target: number): S {
  if (!isStateSupported(flags, cur)) throw invalid("current-unsupported", flags, cur, target);
  if (!isStateSupported(flags, target)) throw invalid("target-unsupported", flags, cur, target);
  let next = NEXT[cur][target];
  // Skip optional states the device lacks; the lookup restarts from the skipped state.
  while (!isStateSupported(flags, next) && next !== S.ERROR) next = NEXT[next][target];
  if (next === S.ERROR) throw invalid("blocked", flags, cur, target);
  return next;
}

/**
 * The whole walk the kernel takes from `cur` to `target`, both included (`[cur]` when equal).
 * Errors are those of `nextState`, which can only fail on the first hop.
 */
export function transitionPath(flags: number, cur: number, target: number): S[] {
  const path: S[] = [];
  let state = cur;
  for (;;) {
    const next = nextState(flags, state, target);
    if (path.length === 0) path.push(state as S);
    if (next === state) return path;
    path.push(next);
    state = next;
    // The table's paths have at most 4 arcs; more would mean a corrupted table.
    if (path.length > 8) throw new Error(`transitionPath: no convergence towards ${stateName(target)}`);
  }
}
