/**
 * `vfio-migration/capture`: Writes what a channel carries, in each direction, to files (Node), for `inspect` and for tests.
 *
 * @module vfio-migration/capture
 */
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import type { Channel } from "./types.js";
import { ChannelError } from "./errors.js";

export interface CaptureOptions {
  /** Folder for the files; created if missing. */
  dir: string;
  /** Files are `NAME.out.bin` (what we wrote) and `NAME.in.bin` (what we read), truncated first. */
  name: string;
  /** Bytes a file may lag behind the channel before the data path waits for the disk. Default 16 MiB. */
  maxBuffered?: number;
}

const DEFAULT_MAX_BUFFERED = 16 << 20;

/** One capture file: appends copies, waits for the disk only past `maxBuffered`. */
class CaptureFile {
  private readonly stream: WriteStream;
  private error: Error | undefined;
  readonly done: Promise<void>;

  constructor(
    readonly path: string,
    private readonly maxBuffered: number,
  ) {
    this.stream = createWriteStream(path, { flags: "w" });
    this.stream.on("error", (err) => (this.error ??= err));
    this.done = new Promise((resolve) => this.stream.once("close", () => resolve()));
  }

  async append(bytes: Uint8Array, channel: string): Promise<void> {
    if (this.error) throw new ChannelError("ERR_CHANNEL_IO", channel, `capture to ${this.path} failed: ${this.error.message}`, { cause: this.error });
    if (bytes.length === 0) return;
    // A copy: the channel's caller may reuse its buffer as soon as we return.
    this.stream.write(bytes.slice());
    if (this.stream.writableLength > this.maxBuffered) {
      await new Promise<void>((resolve) => {
        const onDone = () => {
          this.stream.off("drain", onDone);
          this.stream.off("close", onDone);
          resolve();
        };
        this.stream.on("drain", onDone);
        this.stream.on("close", onDone);
      });
    }
  }

  /** Flushes what is buffered and closes the file. */
  finish(): Promise<void> {
    if (!this.stream.closed) this.stream.end();
    return this.done;
  }
}

/**
 * Records a channel's traffic without changing it: every byte written (once the channel took it)
 * goes to `NAME.out.bin`, every byte read to `NAME.in.bin`. The files are flushed and closed when
 * the channel closes; the returned channel's `closed` settles only after that.
 */
export function captureChannel(channel: Channel, options: CaptureOptions): Channel {
  mkdirSync(options.dir, { recursive: true });
  const maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
  const out = new CaptureFile(join(options.dir, `${options.name}.out.bin`), maxBuffered);
  const inbound = new CaptureFile(join(options.dir, `${options.name}.in.bin`), maxBuffered);
  const closed = channel.closed.then(() => Promise.all([out.finish(), inbound.finish()])).then(() => {});
  return {
    get name() {
      return channel.name;
    },
    set name(value: string) {
      channel.name = value;
    },
    closed,
    async write(bytes: Uint8Array): Promise<void> {
      await channel.write(bytes);
      await out.append(bytes, channel.name);
    },
    async read(target: Uint8Array): Promise<number> {
      const n = await channel.read(target);
      await inbound.append(target.subarray(0, n), channel.name);
      return n;
    },
    end: () => channel.end(),
    destroy: (reason?: Error) => channel.destroy(reason),
  };
}
