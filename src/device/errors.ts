import { VfioMigrationError, named } from "../errors.js";
import { stateName } from "../fsm/names.js";
import type { DeviceState } from "../fsm/states.js";

/** An error about one device; the message starts with the device's name, as QEMU's do. */
export class DeviceError extends VfioMigrationError {
  readonly device: string;

  constructor(code: DeviceErrorCode, device: string, message: string, options?: { cause?: unknown }) {
    super(code, named(device, message), options);
    this.device = device;
  }
}

export type DeviceErrorCode =
  | "ERR_DEVICE_OPTIONS"
  | "ERR_DEVICE_NOT_AN_ARC"
  | "ERR_DEVICE_WRONG_STATE"
  | "ERR_DEVICE_STATE_MISMATCH"
  | "ERR_DEVICE_DATA_SHORT"
  | "ERR_DEVICE_DATA_CORRUPT"
  | "ERR_DEVICE_DATA_OVERFLOW"
  | "ERR_DEVICE_LOST_DMA"
  | "ERR_DEVICE_CONFIG"
  | "ERR_DEVICE_FAILED"
  | "ERR_DEVICE_FAULT";

/**
 * A multi-arc transition failed; the driver helper then recovered like QEMU's
 * `vfio_migration_set_state()`: to the recover state, or by a reset to RUNNING. `cause` is the
 * original failure.
 */
export class DeviceTransitionError extends VfioMigrationError {
  readonly device: string;
  readonly from: DeviceState;
  readonly target: DeviceState;
  /** Where the device was when the arc failed. */
  readonly failedAt: DeviceState;
  /** Where recovery left the device (the recover state, or RUNNING after a reset). */
  readonly recoveredTo: DeviceState;
  readonly reset: boolean;

  constructor(
    device: string,
    info: { from: DeviceState; target: DeviceState; failedAt: DeviceState; recoveredTo: DeviceState; reset: boolean },
    cause: unknown,
  ) {
    const how = info.reset ? "device reset to RUNNING" : `recovered to ${stateName(info.recoveredTo)}`;
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      "ERR_DEVICE_TRANSITION_FAILED",
      named(device, `failed to change device state ${stateName(info.from)} -> ${stateName(info.target)} at ${stateName(info.failedAt)} (${how}): ${why}`),
      { cause },
    );
    this.device = device;
    this.from = info.from;
    this.target = info.target;
    this.failedAt = info.failedAt;
    this.recoveredTo = info.recoveredTo;
    this.reset = info.reset;
  }
}

/** Even the reset failed (QEMU calls hw_error here): the device is unusable. */
export class DeviceResetError extends VfioMigrationError {
  readonly device: string;

  constructor(device: string, cause: unknown) {
    super("ERR_DEVICE_RESET_FAILED", named(device, `device reset failed: ${cause instanceof Error ? cause.message : String(cause)}`), { cause });
    this.device = device;
  }
}
