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

  constructor(channel: Channel, chunkBytes: number, onWritten: (bytes: number) => void = () => {}) {
    this.channel = channel;
    this.#onWritten = onWritten;
    this.#buffers = Array.from({ length: CHUNK_BUFFERS }, () => ({ bytes: new Uint8Array(CHUNK_HEADROOM + chunkBytes), pending: undefined }));
  }

  /** Stages small bytes (copied now, sent with the next chunk or flush). */
  put(bytes: Uint8Array): void {
    if (this.#staged + bytes.length > STAGE_BYTES) throw new Error("main writer: staged bytes over 64 KiB; flush first");
    this.#stage.set(bytes, this.#staged);
    this.#staged += bytes.length;
  }

  /** Stages `size` bytes written in place by `write(target, offset)`, which returns the end offset. */
  putWith(size: number, write: (target: Uint8Array, offset: number) => number): void {
    if (this.#staged + size > STAGE_BYTES) throw new Error("main writer: staged bytes over 64 KiB; flush first");
    this.#staged = write(this.#stage, this.#staged);
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
    if (this.#staged + headerBytes > CHUNK_HEADROOM) await this.flush();
    const start = CHUNK_HEADROOM - headerBytes - this.#staged;
    buffer.bytes.set(this.#stage.subarray(0, this.#staged), start);
    this.#staged = 0;
    writeHeader(buffer.bytes, CHUNK_HEADROOM - headerBytes);
    buffer.pending = this.#write(buffer.bytes.subarray(start, CHUNK_HEADROOM + length));
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
