import { createInstance, type CodecInstance } from "../../codec/index.js";
import { VfioMigrationError } from "../../errors.js";

const ALIGN = 64;

export function align64(bytes: number): number {
  return Math.ceil(bytes / ALIGN) * ALIGN;
}

/**
 * Carves 64-byte aligned regions out of one codec instance's linear memory, created at the size the
 * regions need. The memory never grows, so every view taken of it stays valid for the session.
 */
export class Arena {
  readonly instance: CodecInstance;
  private next: number;
  private readonly end: number;

  constructor(regionBytes: readonly number[]) {
    const total = regionBytes.reduce((sum, bytes) => sum + align64(bytes), 0);
    this.instance = createInstance(total);
    this.next = this.instance.heapBase;
    this.end = this.instance.heapBase + total;
  }

  /** The offset of a new region of `bytes`; regions must be taken as sized in the constructor. */
  take(bytes: number): number {
    const offset = this.next;
    if (offset + align64(bytes) > this.end) {
      throw new VfioMigrationError("ERR_MULTIFD_LAYOUT", `multifd arena: region of ${bytes} bytes exceeds the ${this.end - this.instance.heapBase} reserved`);
    }
    this.next += align64(bytes);
    return offset;
  }
}

/**
 * A fixed set of equal, 64-byte aligned slots in an arena, allocated once and never grown. A slot
 * is a number; `offset(slot)` is its first byte in the instance's memory.
 */
export class SlotPool {
  readonly slotBytes: number;
  readonly count: number;
  private readonly base: number;
  private readonly freeSlots: number[];

  constructor(arena: Arena, slotBytes: number, count: number) {
    this.slotBytes = align64(slotBytes);
    this.count = count;
    this.base = arena.take(this.slotBytes * count);
    // Pop from the end: the lowest slots are reused first, keeping the hot set small.
    this.freeSlots = Array.from({ length: count }, (_, i) => count - 1 - i);
  }

  /** Bytes needed in an arena for `count` slots of `slotBytes`. */
  static regionBytes(slotBytes: number, count: number): number {
    return align64(slotBytes) * count;
  }

  get available(): number {
    return this.freeSlots.length;
  }

  offset(slot: number): number {
    return this.base + slot * this.slotBytes;
  }

  /** A free slot, or undefined when all are taken. */
  tryAcquire(): number | undefined {
    return this.freeSlots.pop();
  }

  release(slot: number): void {
    this.freeSlots.push(slot);
  }
}
