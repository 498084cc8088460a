// The driver helper: walks multi-arc transitions one arc at a time with the kernel's nextState()
// and recovers like QEMU's vfio_migration_set_state(): on failure try the recover state, and if
// that fails too (or there is none) reset the device to RUNNING.
import { stateName } from "../fsm/names.js";
import { nextState } from "../fsm/next-state.js";
import { DeviceState } from "../fsm/states.js";
import { DeviceError, DeviceResetError, DeviceTransitionError } from "./errors.js";
import type { MigratableDevice } from "./types.js";

export interface SetDeviceStateOptions {
  /**
   * Where to go if the transition fails. Default: the state the device was in. `DeviceState.ERROR`
   * means no recover state: reset at once (QEMU's `vfio_migration_set_state_or_reset`).
   */
  recover?: DeviceState;
  /** Called after each arc the device took, e.g. for events and logs. */
  onArc?: (from: DeviceState, to: DeviceState) => void;
}

async function walk(device: MigratableDevice, target: DeviceState, onArc?: (from: DeviceState, to: DeviceState) => void): Promise<void> {
  while (device.state !== target) {
    const from = device.state;
    const next = nextState(device.flags, from, target);
    await device.setState(next);
    if (device.state !== next) {
      throw new DeviceError("ERR_DEVICE_STATE_MISMATCH", device.name, `setState(${stateName(next)}) left the device in ${stateName(device.state)}`);
    }
    onArc?.(from, next);
  }
}

/**
 * Moves `device` to `target` along the kernel's path (a no-op when already there). On failure it
 * recovers (see `SetDeviceStateOptions.recover`) and rejects with `DeviceTransitionError`
 * (ERR_DEVICE_TRANSITION_FAILED), or with `DeviceResetError` if even the reset failed.
 */
export async function setDeviceState(device: MigratableDevice, target: DeviceState, options: SetDeviceStateOptions = {}): Promise<void> {
  const from = device.state;
  if (from === target) return;
  const recover = options.recover ?? from;
  try {
    await walk(device, target, options.onArc);
    return;
  } catch (cause) {
    const failedAt = device.state;
    if (recover !== DeviceState.ERROR) {
      try {
        await walk(device, recover, options.onArc);
        throw new DeviceTransitionError(device.name, { from, target, failedAt, recoveredTo: recover, reset: false }, cause);
      } catch (err) {
        if (err instanceof DeviceTransitionError) throw err;
        // The recover walk failed as well: fall through to the reset.
      }
    }
    try {
      await device.reset();
    } catch (resetCause) {
      throw new DeviceResetError(device.name, resetCause);
    }
    if (device.state !== DeviceState.RUNNING) {
      throw new DeviceResetError(device.name, new Error(`reset left the device in ${stateName(device.state)}`));
    }
    throw new DeviceTransitionError(device.name, { from, target, failedAt, recoveredTo: DeviceState.RUNNING, reset: true }, cause);
  }
}
