import { VfioMigrationError } from "../errors.js";

/** Why the kernel's `vfio_mig_get_next_state()` answers -EINVAL. */
export type InvalidTransitionReason =
  /** The current state is out of range or not supported by the flags (a driver bug; the kernel warns). */
  | "current-unsupported"
  /** The target is out of range or not supported by the flags (a user error). */
  | "target-unsupported"
  /** The table leads to ERROR: the blocked arcs STOP_COPY -> PRE_COPY and STOP_COPY -> PRE_COPY_P2P. */
  | "blocked";

/** The kernel would refuse this transition with -EINVAL. */
export class InvalidTransitionError extends VfioMigrationError {
  readonly reason: InvalidTransitionReason;
  readonly flags: number;
  readonly from: number;
  readonly to: number;

  constructor(reason: InvalidTransitionReason, flags: number, from: number, to: number, message: string) {
    super(reason === "blocked" ? "ERR_FSM_BLOCKED_ARC" : "ERR_FSM_UNSUPPORTED_STATE", message);
    this.reason = reason;
    this.flags = flags;
    this.from = from;
    this.to = to;
  }
}

/** A state or flag name that is not part of the uAPI. */
export class UnknownNameError extends VfioMigrationError {
  constructor(message: string) {
    super("ERR_FSM_UNKNOWN_NAME", message);
  }
}
