// Device faults for deterministic simulation: a wrapper that makes any device fail one arc, read or
// write, or take its time over arcs and loads, on the simulation's clock.
import type { Clock } from "../clock.js";
import { DeviceError } from "../device/errors.js";
import { ForwardingDevice } from "../device/forwarding.js";
import type { MigratableDevice } from "../device/types.js";
import { stateName } from "../fsm/names.js";
import type { DeviceState } from "../fsm/states.js";

export interface DeviceFaults {
  /** The nth `setState` call (1-based) fails, leaving the device in its old state (the uAPI allows it). */
  failArc?: number;
  /** The nth `read` call fails. */
  failRead?: number;
  /** The nth `write` call fails. */
  failWrite?: number;
  /** Every arc takes this long. */
  arcMs?: number;
  /** Every write and config load takes this long. */
  loadMs?: number;
}

/** A device that behaves like `inner` except for the faults it was given. */
export class FaultyDevice extends ForwardingDevice {
  readonly #faults: DeviceFaults;
  readonly #clock: Clock;
  #arcs = 0;
  #reads = 0;
  #writes = 0;

  constructor(inner: MigratableDevice, faults: DeviceFaults, clock: Clock) {
    super(inner);
    this.#faults = faults;
    this.#clock = clock;
  }

  override async setState(next: DeviceState): Promise<void> {
    const from = this.state;
    if (this.#faults.arcMs) await this.#clock.sleep(this.#faults.arcMs);
    if (++this.#arcs === this.#faults.failArc) throw this.#fault(`arc ${stateName(from)} -> ${stateName(next)}`);
    await super.setState(next);
  }

  override async read(buf: Uint8Array): Promise<number> {
    if (++this.#reads === this.#faults.failRead) throw this.#fault("read of the saving stream");
    return super.read(buf);
  }

  override async write(bytes: Uint8Array): Promise<void> {
    if (this.#faults.loadMs) await this.#clock.sleep(this.#faults.loadMs);
    if (++this.#writes === this.#faults.failWrite) throw this.#fault("write of the resuming stream");
    await super.write(bytes);
  }

  override async loadConfig(blob: Uint8Array): Promise<void> {
    if (this.#faults.loadMs) await this.#clock.sleep(this.#faults.loadMs);
    return super.loadConfig(blob);
  }

  #fault(what: string): DeviceError {
    return new DeviceError("ERR_DEVICE_FAULT", this.name, `injected fault: ${what} failed`);
  }
}
