// Pure-TypeScript reference of assembly/reorder.ts: the test oracle and bench baseline.
import { VFIO_INVALID_IDX } from "../constants.js";

export class ReorderReference {
  private readonly present = new Map<number, number>();
  next = 0;

  constructor(readonly capacity: number) {}

  /** 0 ok, 1 invalid idx, 2 duplicate, 3 already written, 4 beyond the window. */
  record(idx: number, handle: number): number {
    if (idx === VFIO_INVALID_IDX) return 1;
    if (idx < this.next) return 3;
    if (idx >= this.next + this.capacity) return 4;
    if (this.present.has(idx)) return 2;
    this.present.set(idx, handle);
    return 0;
  }

  get queued(): number {
    return this.present.size;
  }

  run(): number {
    let run = 0;
    while (run < this.capacity && this.present.has(this.next + run)) run++;
    return run;
  }

  handle(idx: number): number {
    return this.present.get(idx) ?? 0;
  }

  advance(count: number): number {
    for (let i = 0; i < count; i++) this.present.delete(this.next++);
    return this.next;
  }
}
