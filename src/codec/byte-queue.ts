// The bytes pushed into a decoder and not yet consumed: a list of the caller's chunks (never copied
// on push), read as small contiguous copies for fields and as zero-copy pieces for bulk data.

export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0;
  /** Unconsumed bytes. */
  length = 0;
  /** Stream offset of the first unconsumed byte. */
  position = 0;

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  /** Byte `i` ahead of the position (i < length). */
  byteAt(i: number): number {
    let at = this.head + i;
    for (const chunk of this.chunks) {
      if (at < chunk.length) return chunk[at];
      at -= chunk.length;
    }
    throw new RangeError(`byteAt(${i}) past ${this.length} queued bytes`);
  }

  /** The first `n` bytes (n <= length) contiguous, not consumed: a view when they lie in one chunk, else a copy. */
  peek(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first && first.length - this.head >= n) return first.subarray(this.head, this.head + n);
    const out = new Uint8Array(n);
    this.copyTo(out, 0, n);
    return out;
  }

  /** The first chunk and where its unconsumed bytes start, for readers that walk it directly. */
  get front(): { chunk: Uint8Array | undefined; head: number } {
    return { chunk: this.chunks[0], head: this.head };
  }

  /** `n` bytes starting `offset` ahead of the position (offset + n <= length), contiguous, not consumed. */
  peekAt(offset: number, n: number): Uint8Array {
    let at = this.head + offset;
    for (const [i, chunk] of this.chunks.entries()) {
      if (at < chunk.length) {
        if (chunk.length - at >= n) return chunk.subarray(at, at + n);
        const out = new Uint8Array(n);
        let filled = 0;
        for (let j = i; filled < n; j++, at = 0) {
          const take = Math.min(n - filled, this.chunks[j].length - at);
          out.set(this.chunks[j].subarray(at, at + take), filled);
          filled += take;
        }
        return out;
      }
      at -= chunk.length;
    }
    return new Uint8Array(0);
  }

  /** Copies the first `n` bytes (n <= length) into `target` at `offset`, without consuming them. */
  copyTo(target: Uint8Array, offset: number, n: number): void {
    let filled = 0;
    let head = this.head;
    for (const chunk of this.chunks) {
      if (filled === n) break;
      const take = Math.min(n - filled, chunk.length - head);
      target.set(chunk.subarray(head, head + take), offset + filled);
      filled += take;
      head = 0;
    }
  }

  /** Consumes `n` bytes (n <= length). */
  skip(n: number): void {
    this.length -= n;
    this.position += n;
    while (n > 0) {
      const rest = this.chunks[0].length - this.head;
      if (n < rest) {
        this.head += n;
        return;
      }
      n -= rest;
      this.chunks.shift();
      this.head = 0;
    }
  }

  /** Consumes and returns the first `n` bytes (a view when they lie in one chunk, else a copy). */
  take(n: number): Uint8Array {
    const out = this.peek(n);
    this.skip(n);
    return out;
  }

  /** Consumes up to `max` bytes from the first chunk only: a zero-copy piece of bulk data. */
  takePiece(max: number): Uint8Array {
    const first = this.chunks[0];
    const piece = first.subarray(this.head, this.head + Math.min(max, first.length - this.head));
    this.skip(piece.length);
    return piece;
  }
}
