// Pieces both session sides share: cancellation, timing, results.
import { DeviceState } from "../fsm/states.js";
import { isVfioMigrationError, VfioMigrationError } from "../errors.js";
import { MigrationCancelledError } from "./errors.js";
import type { DeviceResult, MigrationStatus } from "./result.js";
import type { Clock, ClockTimer } from "../clock.js";
import type { Side, TracedDevice, TraceRecorder } from "./trace.js";

/**
 * Turns an AbortSignal into a promise that rejects with a typed cancel error, for racing against
 * waits that only the peer could end (a reply, SHUT). `race` never leaves a listener behind.
 */
export class Cancellation {
  readonly signal: AbortSignal | undefined;
  readonly #listeners = new Set<() => void>();
  readonly #onAbort = (): void => {
    for (const listener of this.#listeners) listener();
  };

  constructor(signal: AbortSignal | undefined) {
    this.signal = signal;
    signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  get aborted(): boolean {
    return this.signal?.aborted ?? false;
  }

  throwIfAborted(subject?: string): void {
    if (this.aborted) throw new MigrationCancelledError(subject);
  }

  /** Runs `listener` on abort (at once if already aborted); returns its remover. */
  onAbort(listener: () => void): () => void {
    if (this.aborted) listener();
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves like `promise`, or rejects with a cancel error when the signal aborts first. */
  async race<T>(promise: Promise<T>, subject?: string): Promise<T> {
    this.throwIfAborted(subject);
    let remove = (): void => {};
    const aborted = new Promise<never>((_, reject) => {
      remove = this.onAbort(() => reject(new MigrationCancelledError(subject)));
    });
    try {
      return await Promise.race([promise, aborted]);
    } finally {
      remove();
    }
  }

  dispose(): void {
    this.signal?.removeEventListener("abort", this.#onAbort);
    this.#listeners.clear();
  }
}

/** The status a failed run ends with. */
export function failureStatus(err: unknown, cancel: Cancellation): MigrationStatus {
  return cancel.aborted || (isVfioMigrationError(err) && err.code === "ERR_MIGRATION_CANCELLED") ? "cancelled" : "failed";
}

/** Our typed error as is; anything else thrown wrapped (kept as `cause`), so results always carry a code. */
export function asError(err: unknown): VfioMigrationError {
  if (isVfioMigrationError(err)) return err;
  return new VfioMigrationError("ERR_MIGRATION_FAILED", err instanceof Error ? err.message : String(err), { cause: err });
}

export function deviceResults(
  devices: readonly TracedDevice[],
  side: Side,
  trace: TraceRecorder,
  digests: readonly (string | undefined)[],
  bytes: readonly number[],
): DeviceResult[] {
  return devices.map((d, i) => ({
    name: d.name,
    instanceId: d.instanceId,
    flags: d.flags,
    bytes: bytes[i] ?? 0,
    digest: digests[i],
    finalState: DeviceState[d.state] as keyof typeof DeviceState,
    history: trace.history(side, d.name),
  }));
}

/** Takes each device's digest; a device whose digest throws (e.g. corrupt data) reports the error text. */
export function takeDigests(devices: readonly TracedDevice[]): (string | undefined)[] {
  return devices.map((d) => {
    try {
      return d.digest?.();
    } catch (err) {
      return `error: ${asError(err).message}`;
    }
  });
}

/** True if `promise` settles within `ms` on `clock` (its rejection counts as settling); never leaves a timer behind. */
export async function settlesWithin(clock: Clock, promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<Clock["setTimeout"]> | undefined;
  const expired = new Promise<boolean>((resolve) => (timer = clock.setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), expired]);
  } finally {
    clock.clearTimeout(timer!);
  }
}

/** A deadline on `clock`: `expired` rejects with `error()` after `ms` unless cleared first. */
export function deadline(clock: Clock, ms: number, error: () => Error): { expired: Promise<never>; clear(): void } {
  let timer: ClockTimer | undefined;
  const expired = new Promise<never>((_, reject) => (timer = clock.setTimeout(() => reject(error()), ms)));
  expired.catch(() => {}); // raced by the caller; may expire while nothing awaits it
  return { expired, clear: () => timer && clock.clearTimeout(timer) };
}

/** `main`, or `main (ADDRESS)` when the caller named the peer. */
export function peerSubject(peerName: string | undefined): string {
  return peerName ? `main (${peerName})` : "main";
}
