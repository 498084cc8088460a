// The destination side of a SimulatedDevice's stream. Every byte is hostile: records are parsed
// across any write segmentation with fixed-size scratch only, every block body is compared with
// the seed's pattern and its stamp checked, and only per-block generation and CRC are kept (never
// the content); the trailer's CRC over all blocks then proves they are the source's latest.
import { DeviceError } from "../errors.js";
import { equalRange } from "./equal-bytes.js";
import {
  Geometry,
  HEADER_PAYLOAD_BYTES,
  KIND_BLOCK,
  KIND_HEADER,
  KIND_TRAILER,
  PREFIX_BYTES,
  Pattern,
  STAMP_BYTES,
  STAMP_MAGIC,
  STREAM_VERSION,
  TRAILER_PAYLOAD_BYTES,
  blocksCrc,
} from "./layout.js";

const enum Phase {
  Prefix,
  Header,
  Block,
  Trailer,
  Done,
}

/** What the destination device expects of the stream. */
export interface ResumeExpectations {
  readonly name: string;
  readonly geometry: Geometry;
  readonly configSize: number;
  /** The device's own pattern, reused when the stream has the same seed. */
  readonly pattern: Pattern;
}

export class ResumingStream {
  readonly generations: Uint32Array;
  readonly crcs: Uint32Array;
  private readonly received: Uint8Array;
  private receivedCount = 0;
  private pattern: Pattern | undefined;
  private initialBlocks = 0;
  private initialSeen = 0;
  private trailer: { blocksCrc: number; lostDma: number; count: number } | undefined;
  private failure: DeviceError | undefined;
  private phase = Phase.Prefix;
  bytesWritten = 0;

  private readonly small = new Uint8Array(HEADER_PAYLOAD_BYTES);
  private readonly smallView = new DataView(this.small.buffer);
  private smallFill = 0;
  private readonly stamp = new Uint8Array(STAMP_BYTES);
  private readonly stampView = new DataView(this.stamp.buffer);
  private blockIndex = 0;
  private blockLength = 0;
  private blockOffset = 0;

  constructor(private readonly expect: ResumeExpectations) {
    this.generations = new Uint32Array(expect.geometry.count);
    this.crcs = new Uint32Array(expect.geometry.count);
    this.received = new Uint8Array(expect.geometry.count);
  }

  /** The seed pattern announced by the stream's header, once it arrived. */
  get streamPattern(): Pattern | undefined {
    return this.pattern;
  }

  /**
   * Consumes `bytes`; returns true when they completed the initial data (header and initial
   * blocks), which happens once per stream. Throws (and stays failed) on bad data.
   */
  write(bytes: Uint8Array): boolean {
    if (this.failure) throw this.failure;
    try {
      return this.consume(bytes);
    } catch (err) {
      if (err instanceof DeviceError) this.failure = err;
      throw err;
    }
  }

  private consume(bytes: Uint8Array): boolean {
    let completedInitial = false;
    let at = 0;
    while (at < bytes.length) {
      const left = bytes.length - at;
      switch (this.phase) {
        case Phase.Prefix:
        case Phase.Header:
        case Phase.Trailer: {
          const want = this.phase === Phase.Prefix ? PREFIX_BYTES : this.phase === Phase.Header ? HEADER_PAYLOAD_BYTES : TRAILER_PAYLOAD_BYTES;
          const take = Math.min(want - this.smallFill, left);
          // A few bytes: a loop, not a view and a set().
          for (let i = 0; i < take; i++) this.small[this.smallFill + i] = bytes[at + i];
          this.smallFill += take;
          at += take;
          if (this.smallFill === want) {
            this.smallFill = 0;
            if (this.phase === Phase.Prefix) this.onPrefix();
            else if (this.phase === Phase.Header) completedInitial = this.onHeader() || completedInitial;
            else this.onTrailer();
          }
          break;
        }
        case Phase.Block: {
          const take = Math.min(this.blockLength - this.blockOffset, left);
          const stampStart = this.blockLength - STAMP_BYTES;
          const end = this.blockOffset + take;
          // The body is the same for every generation: compare it as it arrives.
          const bodyEnd = Math.min(end, stampStart);
          if (this.blockOffset < bodyEnd && !equalRange(bytes, at, this.pattern!.body, this.blockOffset, bodyEnd - this.blockOffset)) {
            throw this.corrupt("ERR_DEVICE_DATA_CORRUPT", `block ${this.blockIndex} differs from the device's content`);
          }
          for (let from = Math.max(this.blockOffset, stampStart); from < end; from++) this.stamp[from - stampStart] = bytes[at + from - this.blockOffset];
          this.blockOffset = end;
          at += take;
          if (this.blockOffset === this.blockLength) completedInitial = this.onBlock() || completedInitial;
          break;
        }
        case Phase.Done:
          throw this.corrupt("ERR_DEVICE_DATA_OVERFLOW", `${left} byte(s) written after the end of the device state`);
      }
    }
    this.bytesWritten += bytes.length;
    return completedInitial;
  }

  private onPrefix(): void {
    const kind = this.smallView.getUint32(0, true);
    const arg = this.smallView.getUint32(4, true);
    if (!this.pattern) {
      if (kind !== KIND_HEADER) throw this.corrupt("ERR_DEVICE_DATA_CORRUPT", `the stream does not start with a header (record kind 0x${hex(kind)})`);
      if (arg !== STREAM_VERSION) throw this.corrupt("ERR_DEVICE_DATA_CORRUPT", `unsupported stream version ${arg}`);
      this.phase = Phase.Header;
      return;
    }
    if (kind === KIND_BLOCK) {
      if (arg >= this.expect.geometry.count) {
        throw this.corrupt("ERR_DEVICE_DATA_CORRUPT", `block index ${arg} out of range (${this.expect.geometry.count} blocks)`);
      }
      this.blockIndex = arg;
      this.blockLength = this.expect.geometry.blockLength(arg);
      this.blockOffset = 0;
      this.phase = Phase.Block;
    } else if (kind === KIND_TRAILER) {
      this.phase = Phase.Trailer;
    } else {
      throw this.corrupt("ERR_DEVICE_DATA_CORRUPT", `unexpected record kind 0x${hex(kind)}`);
    }
  }

  private onHeader(): boolean {
    const v = this.smallView;
    const seed = v.getUint32(0, true);
    const blockSize = v.getUint32(4, true);
    const count = v.getUint32(8, true);
    const stateSize = v.getUint32(12, true) + v.getUint32(16, true) * 2 ** 32;
    const initialBlocks = v.getUint32(20, true);
    const configSize = v.getUint32(24, true);
    const own = this.expect.geometry;
    if (stateSize !== own.stateSize || blockSize !== own.blockSize || count !== own.count) {
      throw this.corrupt(
        "ERR_DEVICE_DATA_CORRUPT",
        `the stream holds ${stateSize} bytes in ${count} blocks of ${blockSize}; this device holds ${own.stateSize} in ${own.count} of ${own.blockSize}`,
      );
    }
    if (configSize !== this.expect.configSize) {
      throw this.corrupt("ERR_DEVICE_DATA_CORRUPT", `the stream has a ${configSize}-byte config; this device has ${this.expect.configSize}`);
    }
    if (initialBlocks > count) throw this.corrupt("ERR_DEVICE_DATA_CORRUPT", `${initialBlocks} initial blocks of ${count}`);
    this.pattern = seed === this.expect.pattern.seed ? this.expect.pattern : new Pattern(seed, own);
    this.initialBlocks = initialBlocks;
    this.phase = Phase.Prefix;
    return initialBlocks === 0;
  }

  private onBlock(): boolean {
    const v = this.stampView;
    const magic = v.getUint32(0, true);
    const seed = v.getUint32(4, true);
    const index = v.getUint32(8, true);
    const generation = v.getUint32(12, true);
    const pattern = this.pattern!;
    if (magic !== STAMP_MAGIC || seed !== pattern.seed || index !== this.blockIndex) {
      throw this.corrupt("ERR_DEVICE_DATA_CORRUPT", `block ${this.blockIndex} has a bad stamp (magic 0x${hex(magic)}, seed ${seed}, index ${index})`);
    }
    this.generations[index] = generation;
    // The bytes equal the pattern and the stamp, so this is the CRC of the block as received.
    this.crcs[index] = pattern.blockCrc(index, generation);
    if (this.received[index] === 0) {
      this.received[index] = 1;
      this.receivedCount++;
    }
    this.phase = Phase.Prefix;
    this.initialSeen++;
    return this.initialSeen === this.initialBlocks;
  }

  private onTrailer(): void {
    const v = this.smallView;
    this.trailer = { blocksCrc: v.getUint32(0, true), lostDma: v.getUint32(4, true), count: v.getUint32(8, true) };
    this.phase = Phase.Done;
  }

  /**
   * The RESUMING -> STOP validation: the whole state arrived, nothing was lost, and the blocks are
   * the latest the source had (their CRCs match the source's trailer).
   */
  finish(lostHere: number): void {
    if (this.failure) throw this.failure;
    const { name, geometry } = this.expect;
    if (!this.pattern) throw new DeviceError("ERR_DEVICE_DATA_SHORT", name, "no device state was written");
    if (this.receivedCount < geometry.count) {
      throw new DeviceError("ERR_DEVICE_DATA_SHORT", name, `only ${this.receivedCount} of ${geometry.count} state blocks arrived (${this.bytesWritten} bytes)`);
    }
    if (!this.trailer || this.phase !== Phase.Done) {
      throw new DeviceError("ERR_DEVICE_DATA_SHORT", name, `the device state ended before its trailer (${this.bytesWritten} bytes)`);
    }
    const lost = this.trailer.lostDma + lostHere;
    if (lost > 0) {
      throw new DeviceError("ERR_DEVICE_LOST_DMA", name, `${lost} peer-to-peer DMA write(s) reached a stopped device; its state is inconsistent`);
    }
    if (this.trailer.count !== geometry.count || blocksCrc(this.crcs) !== this.trailer.blocksCrc) {
      throw new DeviceError("ERR_DEVICE_DATA_CORRUPT", name, "the state differs from the source's final state (a block is stale)");
    }
  }

  private corrupt(code: "ERR_DEVICE_DATA_CORRUPT" | "ERR_DEVICE_DATA_OVERFLOW", message: string): DeviceError {
    return new DeviceError(code, this.expect.name, message);
  }
}

function hex(value: number): string {
  return value.toString(16).padStart(8, "0");
}
