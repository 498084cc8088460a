import { DeviceState } from "../fsm/states.js";
import { ForwardingDevice } from "../device/forwarding.js";
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
export class TracedDevice extends ForwardingDevice {
  readonly #side: Side;
  readonly #trace: TraceRecorder;
  #last: DeviceState;

  constructor(inner: MigratableDevice, side: Side, trace: TraceRecorder) {
    super(inner);
    this.#side = side;
    this.#trace = trace;
    this.#last = inner.state;
  }

  /** Notes an event of this device (DEV_INIT_DATA_SENT) in the trace. */
  mark(kind: TraceEventKind): void {
    this.#trace.mark(this.#side, kind, this.name);
  }

  override async setState(next: DeviceState): Promise<void> {
    try {
      await super.setState(next);
    } finally {
      this.#observe();
    }
  }

  override async reset(): Promise<void> {
    try {
      await super.reset();
    } finally {
      this.#observe();
    }
  }

  override read(buf: Uint8Array): Promise<number> {
    return super.read(buf).catch(this.#named);
  }
  override write(bytes: Uint8Array): Promise<void> {
    return super.write(bytes).catch(this.#named);
  }
  override precopyInfo(): PrecopyInfo {
    try {
      return super.precopyInfo();
    } catch (err) {
      return this.#named(err);
    }
  }
  override stopCopySize(): number | undefined {
    try {
      return super.stopCopySize();
    } catch (err) {
      return this.#named(err);
    }
  }
  override saveConfig(): Uint8Array {
    try {
      return super.saveConfig();
    } catch (err) {
      return this.#named(err);
    }
  }
  override loadConfig(blob: Uint8Array): Promise<void> {
    return super.loadConfig(blob).catch(this.#named);
  }

  /** A device's own error (not one of ours) becomes ERR_DEVICE_FAILED, named after the device, the original as `cause`. */
  readonly #named = (err: unknown): never => {
    if (isVfioMigrationError(err)) throw err;
    throw new DeviceError("ERR_DEVICE_FAILED", this.name, err instanceof Error ? err.message : String(err), { cause: err });
  };

  #observe(): void {
    const now = this.state;
    if (now !== this.#last) {
      this.#last = now;
      this.#trace.record(this.#side, this.name, now);
    }
  }
}
