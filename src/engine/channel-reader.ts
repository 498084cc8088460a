import { StreamDecoder, type StreamKind, type StreamRecord } from "../codec/index.js";
import type { Channel } from "../transport/types.js";

/** Main channel: room for several 1 MiB chunks per read. */
const MAIN_WINDOW_BYTES = 4 * 1024 * 1024;
/** Return path: a few small messages (the largest is 64 KiB). */
const RETURN_PATH_WINDOW_BYTES = 256 * 1024;

/**
 * Reads a channel into reused windows and decodes it record by record. Records may be views of
 * the window (DEV_DATA_STATE pieces are), valid until the next `next()`; the decoder may still hold
 * a record's first bytes when a read ends, so a window is reused only once none of its bytes are held.
 */
export class ChannelReader<K extends StreamKind> {
  readonly channel: Channel;
  readonly decoder: StreamDecoder<K>;
  bytesRead = 0;
  readonly #windowBytes: number;
  readonly #windows: Uint8Array[];
  #current = 0;
  #end = 0;
  /** Bytes pushed from the current window: held bytes beyond it lie in the other window. */
  #pushedFromCurrent = 0;
  #ended = false;

  constructor(channel: Channel, kind: K) {
    this.channel = channel;
    this.decoder = new StreamDecoder({ kind, subject: channel.name });
    this.#windowBytes = kind === "return-path" ? RETURN_PATH_WINDOW_BYTES : MAIN_WINDOW_BYTES;
    this.#windows = [new Uint8Array(this.#windowBytes), new Uint8Array(this.#windowBytes)];
  }

  /** The next record, reading as needed; undefined at the peer's orderly end (throws if it cut a record). */
  async next(): Promise<StreamRecord<K> | undefined> {
    for (;;) {
      const record = this.decoder.next();
      if (record.type !== "need-more") return record as StreamRecord<K>;
      if (this.#ended) return undefined;
      const target = this.#target();
      const n = await this.channel.read(target);
      if (n === 0) {
        this.#ended = true;
        this.decoder.end();
        continue;
      }
      this.bytesRead += n;
      this.#end += n;
      this.#pushedFromCurrent += n;
      this.decoder.push(target.subarray(0, n));
    }
  }

  #target(): Uint8Array {
    // Below a quarter of a window left at its end, reading moves on to the other window.
    if (this.#windowBytes - this.#end < this.#windowBytes / 4) {
      const other = 1 - this.#current;
      // Held bytes reaching back past this window into the other one (a large record): keep that window.
      if (this.decoder.buffered > this.#pushedFromCurrent) this.#windows[other] = new Uint8Array(this.#windowBytes);
      this.#current = other;
      this.#end = 0;
      this.#pushedFromCurrent = 0;
    }
    return this.#windows[this.#current].subarray(this.#end);
  }
}
