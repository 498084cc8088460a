// A read position inside the bytes a ByteQueue holds, for readers of QEMU records whose length is only
// known by walking them (vmstate fields, RAM pages, commands). A record is read whole or not at all: when
// the queued bytes run out, the cursor throws NEED_MORE, the caller keeps the queue as it was and retries
// the record once more bytes arrived. Nothing is consumed until the caller commits `at` bytes.
import type { ByteQueue } from "./byte-queue.js";

/** Thrown (never escapes a reader's `next`) when a record runs past the queued bytes. */
export const NEED_MORE: unique symbol = Symbol("need-more");

export class Cursor {
  at = 0;
  /** The queue's first chunk, read directly while the cursor is inside it (the common case). */
  private readonly chunk: Uint8Array;
  private readonly head: number;

  constructor(readonly q: ByteQueue) {
    const { chunk, head } = q.front;
    this.chunk = chunk ?? new Uint8Array(0);
    this.head = head;
  }

  /** Stream offset of the next byte. */
  get offset(): number {
    return this.q.position + this.at;
  }

  /** Bytes queued past the cursor. */
  get available(): number {
    return this.q.length - this.at;
  }

  private need(n: number): void {
    if (this.at + n > this.q.length) throw NEED_MORE;
  }

  u8(): number {
    const i = this.head + this.at;
    if (i < this.chunk.length) {
      this.at++;
      return this.chunk[i];
    }
    this.need(1);
    return this.q.byteAt(this.at++);
  }

  u16(): number {
    return (this.u8() << 8) | this.u8();
  }

  u32(): number {
    return ((this.u8() << 24) | (this.u8() << 16) | (this.u8() << 8) | this.u8()) >>> 0;
  }

  /** A be64 as a bigint (RAM addresses and flags, sizes). */
  u64(): bigint {
    const hi = BigInt(this.u32());
    return (hi << 32n) | BigInt(this.u32());
  }

  /** The next `n` bytes: a view of the queued bytes when they lie in one chunk, else a copy. */
  bytes(n: number): Uint8Array {
    this.need(n);
    const i = this.head + this.at;
    const out = i + n <= this.chunk.length ? this.chunk.subarray(i, i + n) : this.q.peekAt(this.at, n);
    this.at += n;
    return out;
  }

  skip(n: number): void {
    this.need(n);
    this.at += n;
  }

  /** The byte `i` ahead without moving, or undefined past the queued bytes (no NEED_MORE). */
  peekByte(i = 0): number | undefined {
    return this.at + i < this.q.length ? this.q.byteAt(this.at + i) : undefined;
  }
}
