import { DeviceState } from "../fsm/states.js";
import type { MigratableDevice, PrecopyInfo } from "../device/types.js";
import { realClock, type Clock } from "../clock.js";
import { DeviceError } from "../device/errors.js";
import { isVfioMigrationError } from "../errors.js";

export type Side = "source" | "destination";

/** One device state change, as the `trace` of results and `--json` lists it. */
export interface TraceEntry {
  seq: number;
  side: Side;
  device: string;
  state: keyof typeof DeviceState;
  /** When, in ms since the recorder started (not part of `--json`'s trace). */
  t: number;
}

/** The moments a timeline marks (the HTML report draws them). */
export type TraceEventKind = "DEV_INIT_DATA_SENT" | "SWITCHOVER_ACK" | "SWITCHOVER_START" | "VM_STOP" | "VM_START";

export interface TraceEvent {
  side: Side;
  kind: TraceEventKind;
  /** The device a DEV_INIT_DATA_SENT concerns. */
  device?: string;
  /** ms since the recorder started. */
  t: number;
}

/** Orders state changes of both sides; share one recorder between `migrate` and `receive` in one process. */
export class TraceRecorder {
  readonly entries: TraceEntry[] = [];
  readonly events: TraceEvent[] = [];
  readonly #clock: Clock;
  readonly #start: number;
  /**
   * The recorder's start on the shared wall clock (ms), so recorders in different workers can be
   * merged; on any other clock, its start on that clock.
   */
  readonly origin: number;

  /** Times entries on `clock` (default the real one); share the clock the migration runs on. */
  constructor(clock: Clock = realClock) {
    this.#clock = clock;
    this.#start = clock.now();
    this.origin = clock === realClock ? performance.timeOrigin + this.#start : this.#start;
  }

  /** ms since the recorder started. */
  now(): number {
    return this.#clock.now() - this.#start;
  }

  record(side: Side, device: string, state: DeviceState): void {
    this.entries.push({ seq: this.entries.length + 1, side, device, state: DeviceState[state] as keyof typeof DeviceState, t: this.now() });
  }

  mark(side: Side, kind: TraceEventKind, device?: string): void {
    this.events.push({ side, kind, device, t: this.now() });
  }

  /** The state changes of one device on one side, in order. */
  history(side: Side, device: string): TraceEntry["state"][] {
    return this.entries.filter((e) => e.side === side && e.device === device).map((e) => e.state);
  }
}

/**
 * Wraps a device so every state change it makes (each single arc, a reset, a failure into ERROR) is
 * recorded. The engine talks to the wrapper only; the device itself stays the caller's object.
 */
export class TracedDevice implements MigratableDevice {
  readonly #inner: MigratableDevice;
  readonly #side: Side;
  readonly #trace: TraceRecorder;
  #last: DeviceState;

  constructor(inner: MigratableDevice, side: Side, trace: TraceRecorder) {
    this.#inner = inner;
    this.#side = side;
    this.#trace = trace;
    this.#last = inner.state;
    if (inner.digest) this.digest = () => inner.digest!();
  }

  /** The device's own digest, if it has one. */
  readonly digest?: () => string;

  get inner(): MigratableDevice {
    return this.#inner;
  }
  /** Notes an event of this device (DEV_INIT_DATA_SENT) in the trace. */
  mark(kind: TraceEventKind): void {
    this.#trace.mark(this.#side, kind, this.#inner.name);
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

  async setState(next: DeviceState): Promise<void> {
    try {
      await this.#inner.setState(next);
    } finally {
      this.#observe();
    }
  }

  async reset(): Promise<void> {
    try {
      await this.#inner.reset();
    } finally {
      this.#observe();
    }
  }

  read(buf: Uint8Array): Promise<number> {
    return this.#inner.read(buf).catch(this.#named);
  }
  write(bytes: Uint8Array): Promise<void> {
    return this.#inner.write(bytes).catch(this.#named);
  }
  precopyInfo(): PrecopyInfo {
    try {
      return this.#inner.precopyInfo();
    } catch (err) {
      return this.#named(err);
    }
  }
  stopCopySize(): number | undefined {
    try {
      return this.#inner.stopCopySize();
    } catch (err) {
      return this.#named(err);
    }
  }
  saveConfig(): Uint8Array {
    try {
      return this.#inner.saveConfig();
    } catch (err) {
      return this.#named(err);
    }
  }
  loadConfig(blob: Uint8Array): Promise<void> {
    return this.#inner.loadConfig(blob).catch(this.#named);
  }

  /** A device's own error (not one of ours) becomes ERR_DEVICE_FAILED, named after the device, the original as `cause`. */
  readonly #named = (err: unknown): never => {
    if (isVfioMigrationError(err)) throw err;
    throw new DeviceError("ERR_DEVICE_FAILED", this.#inner.name, err instanceof Error ? err.message : String(err), { cause: err });
  };

  #observe(): void {
    const now = this.#inner.state;
    if (now !== this.#last) {
      this.#last = now;
      this.#trace.record(this.#side, this.#inner.name, now);
    }
  }
}
