import type { RunningCheck } from "../codec/main-check.js";
import type { Channel } from "../transport/types.js";

/** Room in front of each chunk for the bytes staged before it plus its DEV_DATA_STATE header. */
export const CHUNK_HEADROOM = 256;
const STAGE_BYTES = 64 * 1024;
const CHUNK_BUFFERS = 4;

/** A buffer a device reads one chunk into, at `CHUNK_HEADROOM`, so its header can go in front without a copy. */
export interface ChunkBuffer {
  readonly bytes: Uint8Array;
  /** The write that still holds this buffer, if any. */
  pending: Promise<void> | undefined;
}

/**
 * Writes the main channel with few, large writes: small pieces (section headers, markers, footers)
 * are staged and go out in front of the next chunk, inside that chunk's headroom, so each device
 * chunk costs one channel write and no copy of its data. Up to 4 chunk writes are in flight, so the
 * device reads the next chunk while the channel sends the last.
 */
export class MainWriter {
  readonly channel: Channel;
  /** Bytes handed to the channel. */
  bytesWritten = 0;
  readonly #onWritten: (bytes: number) => void;
  readonly #stage = new Uint8Array(STAGE_BYTES);
  #staged = 0;
  readonly #buffers: ChunkBuffer[];
  #next = 0;
  #error: unknown;
  #unitCheck: RunningCheck | undefined;

  constructor(channel: Channel, chunkBytes: number, onWritten: (bytes: number) => void = () => {}) {
    this.channel = channel;
    this.#onWritten = onWritten;
    this.#buffers = Array.from({ length: CHUNK_BUFFERS }, () => ({ bytes: new Uint8Array(CHUNK_HEADROOM + chunkBytes), pending: undefined }));
  }

  /**
   * Our integrity extension: from now on every `put`, `putWith`, chunk header and chunk's data is
   * one unit the destination's parser reads as one, and is followed by `check` of all units so far.
   */
  startChecks(check: RunningCheck): void {
    this.#unitCheck = check;
  }

  /** EOF is the last unit checked: what follows it (COMMIT) goes out as it is, as the parser reads it. */
  stopChecks(): void {
    this.#unitCheck = undefined;
  }

  /** Bytes each unit's check adds (0 without checks). */
  get checkBytes(): number {
    return this.#unitCheck?.bytes ?? 0;
  }

  /** Stages small bytes (copied now, sent with the next chunk or flush): one unit. */
  put(bytes: Uint8Array): void {
    this.putWith(bytes.length, (target, offset) => {
      target.set(bytes, offset);
      return offset + bytes.length;
    });
  }

  /** Stages `size` bytes written in place by `write(target, offset)`, which returns the end offset: one unit. */
  putWith(size: number, write: (target: Uint8Array, offset: number) => number): void {
    if (this.#staged + size + this.checkBytes > STAGE_BYTES) throw new Error("main writer: staged bytes over 64 KiB; flush first");
    const start = this.#staged;
    this.#staged = write(this.#stage, start);
    this.#sealUnit(this.#stage, start, this.#staged);
  }

  /** With checks on: covers `target[start, end)` and writes the check at `end`, advancing the stage if it is there. */
  #sealUnit(target: Uint8Array, start: number, end: number): void {
    const check = this.#unitCheck;
    if (!check) return;
    check.update(target.subarray(start, end));
    const after = check.write(target, end);
    if (target === this.#stage) this.#staged = after;
  }

  /** Room left in the stage. */
  get stageRoom(): number {
    return STAGE_BYTES - this.#staged;
  }

  /** The most one piece may stage (the whole stage). */
  get stageCapacity(): number {
    return STAGE_BYTES;
  }

  /** The next free chunk buffer (waits for its previous write to finish). */
  async acquire(): Promise<ChunkBuffer> {
    const buffer = this.#buffers[this.#next];
    this.#next = (this.#next + 1) % this.#buffers.length;
    if (buffer.pending) await buffer.pending;
    this.#check();
    return buffer;
  }

  /**
   * Sends the staged bytes, then `header` bytes written just before the chunk's data by `writeHeader`,
   * then `length` data bytes that a device read into `buffer` at `CHUNK_HEADROOM`: one channel write.
   */
  async sendChunk(
    buffer: ChunkBuffer,
    length: number,
    headerBytes: number,
    writeHeader: (target: Uint8Array, offset: number) => number,
  ): Promise<void> {
    const checkBytes = this.checkBytes;
    if (this.#staged + headerBytes + checkBytes > CHUNK_HEADROOM) await this.flush();
    const headerAt = CHUNK_HEADROOM - checkBytes - headerBytes;
    const start = headerAt - this.#staged;
    buffer.bytes.set(this.#stage.subarray(0, this.#staged), start);
    this.#staged = 0;
    writeHeader(buffer.bytes, headerAt);
    this.#sealUnit(buffer.bytes, headerAt, CHUNK_HEADROOM - checkBytes);
    // The data's check cannot follow it in this buffer: it is staged, in front of whatever comes next.
    if (this.#unitCheck && length > 0) this.#unitCheck.update(buffer.bytes.subarray(CHUNK_HEADROOM, CHUNK_HEADROOM + length));
    buffer.pending = this.#write(buffer.bytes.subarray(start, CHUNK_HEADROOM + length));
    if (this.#unitCheck && length > 0) this.#staged = this.#unitCheck.write(this.#stage, 0);
  }

  /** Sends what is staged and waits until the channel has taken it. */
  async flush(): Promise<void> {
    this.#check();
    if (this.#staged === 0) return;
    const bytes = this.#stage.subarray(0, this.#staged);
    this.#staged = 0;
    await this.#write(bytes);
    this.#check();
  }

  /** Flushes and waits for every chunk write in flight. */
  async drain(): Promise<void> {
    await this.flush();
    await Promise.all(this.#buffers.map((b) => b.pending));
    this.#check();
  }

  #write(bytes: Uint8Array): Promise<void> {
    this.bytesWritten += bytes.length;
    this.#onWritten(bytes.length);
    return this.channel.write(bytes).then(
      () => {},
      (err: unknown) => {
        this.#error ??= err;
      },
    );
  }

  #check(): void {
    if (this.#error !== undefined) throw this.#error;
  }
}
