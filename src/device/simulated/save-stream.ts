// The source side of a SimulatedDevice's saving stream: which record comes next, and filling a
// caller's buffer from the seed pattern plus a 16-byte stamp per block (no per-byte work but a copy).
import {
  Geometry,
  HEADER_PAYLOAD_BYTES,
  HEADER_RECORD_BYTES,
  KIND_BLOCK,
  KIND_HEADER,
  KIND_TRAILER,
  PREFIX_BYTES,
  STAMP_BYTES,
  STREAM_VERSION,
  TRAILER_RECORD_BYTES,
  type Pattern,
} from "./layout.js";

/** What the stream reads from the device it belongs to. */
export interface SavingSource {
  readonly pattern: Pattern;
  readonly generations: Uint32Array;
  readonly initialBlocks: number;
  readonly configSize: number;
  /** `blocksCrc` of the current content, for the trailer. */
  blocksCrc(): number;
  lostDmaWrites(): number;
}

const enum Part {
  Initial,
  Dirty,
  Rest,
  Trailer,
}

export class SavingStream {
  private readonly geometry: Geometry;
  /** Generation + 1 at which each block was last sent in this stream; 0 = never sent. */
  private readonly sentGeneration: Uint32Array;
  private readonly queued: Uint8Array;
  /** Ring of dirty block indices; each block is queued at most once, so `count` slots suffice. */
  private readonly dirtyRing: Int32Array;
  private dirtyHead = 0;
  private dirtyLength = 0;
  private nextInitial = 0;
  private nextRest: number;
  private headerStarted = false;
  private trailerStarted = false;

  // The record being read: head bytes (prefix, or a whole header/trailer) from `scratch`, then
  // `bodyLength` bytes of the pattern, then the stamp from `scratch` after the head.
  private readonly scratch = new Uint8Array(PREFIX_BYTES + HEADER_PAYLOAD_BYTES);
  private readonly scratchView = new DataView(this.scratch.buffer);
  private active = false;
  private part = Part.Initial;
  private offset = 0;
  private headLength = 0;
  private bodyLength = 0;
  private recordLength = 0;

  private initialRemaining: number;
  private dirtyRemaining = 0;
  private restRemaining: number;
  private trailerRemaining = TRAILER_RECORD_BYTES;

  constructor(private readonly source: SavingSource) {
    const geometry = source.pattern.geometry;
    this.geometry = geometry;
    this.sentGeneration = new Uint32Array(geometry.count);
    this.queued = new Uint8Array(geometry.count);
    this.dirtyRing = new Int32Array(geometry.count);
    this.nextRest = source.initialBlocks;
    this.initialRemaining = HEADER_RECORD_BYTES + geometry.recordBytes(0, source.initialBlocks);
    this.restRemaining = geometry.recordBytes(source.initialBlocks, geometry.count);
  }

  /** Initial bytes still to read: the header and the initial blocks. */
  get initialBytes(): number {
    return this.initialRemaining;
  }

  /** Bytes of blocks sent in this stream and changed since. */
  get dirtyBytes(): number {
    return this.dirtyRemaining;
  }

  /** What STOP_COPY would still read from here. */
  get stopCopyBytes(): number {
    return this.initialRemaining + this.dirtyRemaining + this.restRemaining + this.trailerRemaining;
  }

  /** True once the trailer has been read: the permanent end. */
  get finished(): boolean {
    return this.trailerStarted && !this.active;
  }

  /** Block `index` changed (its generation was bumped): queue it again if it was already sent. */
  markDirty(index: number): void {
    if (this.sentGeneration[index] === 0 || this.queued[index] === 1) return;
    this.queued[index] = 1;
    this.dirtyRing[(this.dirtyHead + this.dirtyLength) % this.dirtyRing.length] = index;
    this.dirtyLength++;
    this.dirtyRemaining += this.geometry.recordLength(index);
  }

  /**
   * Fills `out[0, limit)` with the next bytes and returns the count. In pre-copy only the initial
   * and dirty data is offered (0 = nothing pending right now); in stop-copy everything, then the
   * trailer, then 0 for good.
   */
  read(out: Uint8Array, limit: number, stopCopy: boolean): number {
    let filled = 0;
    while (filled < limit) {
      if (!this.active && !this.startRecord(stopCopy)) break;
      const n = this.emit(out, filled, limit - filled);
      filled += n;
      this.consumed(n);
    }
    return filled;
  }

  private startRecord(stopCopy: boolean): boolean {
    if (!this.headerStarted) {
      this.headerStarted = true;
      this.startHeader();
    } else if (this.nextInitial < this.source.initialBlocks) {
      this.startBlock(this.nextInitial++, Part.Initial);
    } else if (this.dirtyLength > 0) {
      const index = this.dirtyRing[this.dirtyHead];
      this.dirtyHead = (this.dirtyHead + 1) % this.dirtyRing.length;
      this.dirtyLength--;
      this.queued[index] = 0;
      this.startBlock(index, Part.Dirty);
    } else if (!stopCopy) {
      return false;
    } else if (this.nextRest < this.geometry.count) {
      this.startBlock(this.nextRest++, Part.Rest);
    } else if (!this.trailerStarted) {
      this.trailerStarted = true;
      this.startTrailer();
    } else {
      return false;
    }
    this.active = true;
    this.offset = 0;
    return true;
  }

  private startHeader(): void {
    const v = this.scratchView;
    const { geometry, seed } = this.source.pattern;
    v.setUint32(0, KIND_HEADER, true);
    v.setUint32(4, STREAM_VERSION, true);
    v.setUint32(8, seed, true);
    v.setUint32(12, geometry.blockSize, true);
    v.setUint32(16, geometry.count, true);
    v.setUint32(20, geometry.stateSize % 2 ** 32, true);
    v.setUint32(24, Math.floor(geometry.stateSize / 2 ** 32), true);
    v.setUint32(28, this.source.initialBlocks, true);
    v.setUint32(32, this.source.configSize, true);
    v.setUint32(36, 0, true);
    this.part = Part.Initial;
    this.setShape(HEADER_RECORD_BYTES, 0, HEADER_RECORD_BYTES);
  }

  private startBlock(index: number, part: Part): void {
    const generation = this.source.generations[index];
    this.sentGeneration[index] = generation + 1;
    const v = this.scratchView;
    v.setUint32(0, KIND_BLOCK, true);
    v.setUint32(4, index, true);
    this.source.pattern.writeStamp(v, PREFIX_BYTES, index, generation);
    const length = this.geometry.blockLength(index);
    this.part = part;
    this.setShape(PREFIX_BYTES, length - STAMP_BYTES, PREFIX_BYTES + length);
  }

  private startTrailer(): void {
    const v = this.scratchView;
    v.setUint32(0, KIND_TRAILER, true);
    v.setUint32(4, 0, true);
    v.setUint32(8, this.source.blocksCrc(), true);
    v.setUint32(12, this.source.lostDmaWrites(), true);
    v.setUint32(16, this.geometry.count, true);
    v.setUint32(20, 0, true);
    this.part = Part.Trailer;
    this.setShape(TRAILER_RECORD_BYTES, 0, TRAILER_RECORD_BYTES);
  }

  private setShape(headLength: number, bodyLength: number, recordLength: number): void {
    this.headLength = headLength;
    this.bodyLength = bodyLength;
    this.recordLength = recordLength;
  }

  /** Copies up to `room` bytes of the current record into `out` at `at`. */
  private emit(out: Uint8Array, at: number, room: number): number {
    const end = Math.min(this.recordLength, this.offset + room);
    let from = this.offset;
    let to = at;
    const bodyEnd = this.headLength + this.bodyLength;
    const scratch = this.scratch;
    // Heads and stamps are a few bytes: a loop, not a view and a set() each.
    if (from < this.headLength) {
      const stop = Math.min(end, this.headLength);
      for (let i = from; i < stop; i++) out[to++] = scratch[i];
      from = stop;
    }
    if (from < end && from < bodyEnd) {
      const stop = Math.min(end, bodyEnd);
      out.set(this.source.pattern.body.subarray(from - this.headLength, stop - this.headLength), to);
      to += stop - from;
      from = stop;
    }
    // The stamp follows the head in scratch.
    for (let i = from - bodyEnd + this.headLength, stop = end - bodyEnd + this.headLength; i < stop; i++) out[to++] = scratch[i];
    const n = end - this.offset;
    this.offset = end;
    if (end === this.recordLength) this.active = false;
    return n;
  }

  private consumed(n: number): void {
    switch (this.part) {
      case Part.Initial:
        this.initialRemaining -= n;
        break;
      case Part.Dirty:
        this.dirtyRemaining -= n;
        break;
      case Part.Rest:
        this.restRemaining -= n;
        break;
      case Part.Trailer:
        this.trailerRemaining -= n;
        break;
    }
  }
}
