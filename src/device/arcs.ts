// What each single arc of the uAPI does to the data streams (vfio-uapi.md, "Arcs and the data stream").
import { stateName } from "../fsm/names.js";
import { nextState } from "../fsm/next-state.js";
import { DeviceState as S } from "../fsm/states.js";
import { DeviceError } from "./errors.js";

export type ArcEffect =
  /** RUNNING -> PRE_COPY, RUNNING_P2P -> PRE_COPY_P2P, STOP -> STOP_COPY: a new saving stream. */
  | "open-saving"
  /** STOP_COPY -> STOP, PRE_COPY -> RUNNING, PRE_COPY_P2P -> RUNNING_P2P: the saving stream ends. */
  | "close-saving"
  /** STOP -> RESUMING: a new resuming stream. */
  | "open-resuming"
  /** RESUMING -> STOP: the driver validates and applies what was written; may fail. */
  | "close-resuming"
  /** Any other arc: streams unchanged (PRE_COPY <-> PRE_COPY_P2P and PRE_COPY* -> STOP_COPY keep the saving stream). */
  | "none";

export function arcEffect(from: S, to: S): ArcEffect {
  if ((from === S.RUNNING && to === S.PRE_COPY) || (from === S.RUNNING_P2P && to === S.PRE_COPY_P2P) || (from === S.STOP && to === S.STOP_COPY)) {
    return "open-saving";
  }
  if ((from === S.STOP_COPY && to === S.STOP) || (from === S.PRE_COPY && to === S.RUNNING) || (from === S.PRE_COPY_P2P && to === S.RUNNING_P2P)) {
    return "close-saving";
  }
  if (from === S.STOP && to === S.RESUMING) return "open-resuming";
  if (from === S.RESUMING && to === S.STOP) return "close-resuming";
  return "none";
}

/** States in which the saving stream can be read. */
export function isSavingState(state: S): boolean {
  return state === S.PRE_COPY || state === S.PRE_COPY_P2P || state === S.STOP_COPY;
}

export function isPrecopyState(state: S): boolean {
  return state === S.PRE_COPY || state === S.PRE_COPY_P2P;
}

/** States in which the device runs (and a simulated workload changes its state). */
export function isRunningState(state: S): boolean {
  return state === S.RUNNING || state === S.RUNNING_P2P || state === S.PRE_COPY || state === S.PRE_COPY_P2P;
}

/** States in which the device may initiate peer-to-peer DMA: running and not P2P-quiesced. */
export function issuesPeerDma(state: S): boolean {
  return state === S.RUNNING || state === S.PRE_COPY;
}

/**
 * Throws ERR_DEVICE_NOT_AN_ARC unless `next` is one arc from `cur` for a device with `flags`
 * (the hop the kernel would take first towards `next`). Devices take single arcs only.
 */
export function checkArc(name: string, flags: number, cur: S, next: S): void {
  let hop: S | undefined;
  try {
    hop = nextState(flags, cur, next);
  } catch (cause) {
    throw new DeviceError("ERR_DEVICE_NOT_AN_ARC", name, `${stateName(cur)} -> ${stateName(next)} is not a valid arc`, { cause });
  }
  if (hop !== next) {
    throw new DeviceError(
      "ERR_DEVICE_NOT_AN_ARC",
      name,
      `${stateName(cur)} -> ${stateName(next)} is not a single arc (the kernel goes through ${stateName(hop)}); walk it with setDeviceState()`,
    );
  }
}
