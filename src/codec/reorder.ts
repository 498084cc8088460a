// The TypeScript face of the WASM per-device reorder index (assembly/reorder.ts).
import { VfioMigrationError } from "../errors.js";
import { ReorderError } from "./errors.js";
import type { CodecInstance } from "./wasm/load.js";

/** Bytes of the state region for `capacity` indices (rounded up to a multiple of 32). */
export function reorderStateBytes(capacity: number): number {
  const slots = roundCapacity(capacity);
  return 16 + slots / 8 + slots * 4;
}

const roundCapacity = (capacity: number): number => Math.ceil(capacity / 32) * 32;

const REFUSALS: ReadonlyArray<readonly [string, (idx: number, capacity: number, next: number) => string]> = [
  ["", () => ""],
  ["ERR_REORDER_INVALID_IDX", () => "packet index is invalid (0xffffffff)"],
  ["ERR_REORDER_DUPLICATE", (idx) => `state buffer ${idx} already filled`],
  ["ERR_REORDER_DUPLICATE", (idx) => `state buffer ${idx} already filled (and written to the device)`],
  ["ERR_REORDER_BEYOND_WINDOW", (idx, capacity, next) => `packet index ${idx} is ${capacity} or more ahead of the next to write (${next})`],
];

/**
 * Which packet indices of one device have arrived, with a u32 handle each (the caller's buffer for
 * it), and the run from `next` that can be written in order. Holds at most `capacity` indices ahead
 * of `next`: a sender further out of order than that is refused (a bounded queue).
 */
export class ReorderIndex {
  readonly capacity: number;

  /** `state` is `reorderStateBytes(capacity)` bytes of `instance`'s host memory, 4-byte aligned. */
  constructor(
    private readonly instance: CodecInstance,
    private readonly state: number,
    capacity: number,
    private readonly subject?: string,
  ) {
    this.capacity = roundCapacity(capacity);
    if (!(this.capacity >= 32 && this.capacity <= 1 << 24) || state % 4 !== 0 || state < instance.heapBase || state + reorderStateBytes(capacity) > instance.byteLength) {
      throw new VfioMigrationError("ERR_REORDER_STATE", "reorder index state region is misaligned, outside host memory, or its capacity is outside 1..2^24");
    }
    instance.exports.reorderInit(state, this.capacity);
  }

  /** Records packet `idx` held in buffer `handle` (a u32); throws ReorderError for refused indices. */
  record(idx: number, handle: number): void {
    const status = this.instance.exports.reorderRecord(this.state, idx, handle);
    if (status !== 0) {
      const [code, message] = REFUSALS[status];
      throw new ReorderError(code, message(idx >>> 0, this.capacity, this.next), idx >>> 0, this.subject);
    }
  }

  /** The next index to write to the device. */
  get next(): number {
    return this.instance.exports.reorderNext(this.state) >>> 0;
  }

  /** Indices queued and not yet written. */
  get queued(): number {
    return this.instance.exports.reorderQueued(this.state) >>> 0;
  }

  /** How many indices from `next` on can be written now, in order. */
  run(): number {
    return this.instance.exports.reorderRun(this.state) >>> 0;
  }

  /** The handle recorded for `idx`, an index of the current run. */
  handle(idx: number): number {
    return this.instance.exports.reorderHandle(this.state, idx) >>> 0;
  }

  /** Marks the first `count` indices of the run written; they can never be recorded again. */
  advance(count: number): void {
    const run = this.run();
    if (!(Number.isInteger(count) && count >= 0 && count <= run)) {
      throw new VfioMigrationError("ERR_REORDER_STATE", `cannot advance ${count} past a run of ${run}`);
    }
    this.instance.exports.reorderAdvance(this.state, count);
  }
}
