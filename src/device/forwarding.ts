import type { DeviceState } from "../fsm/states.js";
import type { MigratableDevice, PrecopyInfo } from "./types.js";

/**
 * A device that forwards every call to `inner`: the base of wrappers that watch or change a few
 * calls (the engine's trace, the simulation's faults) and leave the rest to the device.
 */
export class ForwardingDevice implements MigratableDevice {
  readonly #inner: MigratableDevice;

  constructor(inner: MigratableDevice) {
    this.#inner = inner;
  }

  /** The wrapped device. */
  get inner(): MigratableDevice {
    return this.#inner;
  }
  get name(): string {
    return this.#inner.name;
  }
  get instanceId(): number {
    return this.#inner.instanceId;
  }
  get flags(): number {
    return this.#inner.flags;
  }
  get state(): DeviceState {
    return this.#inner.state;
  }
  setState(next: DeviceState): Promise<void> {
    return this.#inner.setState(next);
  }
  reset(): Promise<void> {
    return this.#inner.reset();
  }
  read(buf: Uint8Array): Promise<number> {
    return this.#inner.read(buf);
  }
  write(bytes: Uint8Array): Promise<void> {
    return this.#inner.write(bytes);
  }
  precopyInfo(): PrecopyInfo {
    return this.#inner.precopyInfo();
  }
  stopCopySize(): number | undefined {
    return this.#inner.stopCopySize();
  }
  saveConfig(): Uint8Array {
    return this.#inner.saveConfig();
  }
  loadConfig(blob: Uint8Array): Promise<void> {
    return this.#inner.loadConfig(blob);
  }
  /** The device's own digest, if it has one. */
  get digest(): (() => string) | undefined {
    const inner = this.#inner;
    return inner.digest ? () => inner.digest!() : undefined;
  }
}
