// Incremental parser of a multifd channel: the hello, then device-state packets validated by the
// WASM scanner over a private window (the engine scans its own pool instead; this serves tools and
// any reader of plain byte arrays). With `ram`, QEMU's RAM packets between them are read too.
import type { ByteQueue } from "./byte-queue.js";
import { CHECKSUM_BYTES, DEVICE_STATE_DATA_OFFSET, DEVICE_STATE_HEADER_BYTES, MULTIFD_HELLO_BYTES } from "./constants.js";
import type { NeedMore } from "./decode-main.js";
import { decodeMultifdHello, type HelloExpectations } from "./multifd.js";
import { decodeMultifdRamHeader, multifdRamHeaderBytes, type MultifdRamHeader, type MultifdRamLayout } from "./multifd-ram.js";
import { MultifdScanner, packetIdstr, scanResultsBytes } from "./scan.js";
import { createInstance, type CodecInstance } from "./wasm/load.js";
import { WireFormatError } from "./errors.js";

export type MultifdRecord =
  | { type: "hello"; offset: number; uuid: Uint8Array; channelId: number }
  | {
      type: "packet";
      offset: number;
      idstr: string;
      instanceId: number;
      idx: number;
      /** VFIO flags: 1 = the config packet. */
      flags: number;
      /** The 12-byte packet header's flags. */
      packetFlags: number;
      /** The verified CRC32C trailer, when the extension is on. */
      checksum?: number;
      /** The device bytes after the VFIO header (a copy). */
      data: Uint8Array;
    }
  | (MultifdRamHeader & {
      type: "ram";
      offset: number;
      /** The normal pages' data as sent: pages in offset order, or the compressed bytes (a copy). */
      payload: Uint8Array;
    });

export type MultifdRamRecord = Extract<MultifdRecord, { type: "ram" }>;

const MAX_RECORDS = 64;

export interface MultifdParserOptions extends HelloExpectations {
  maxPacketBytes: number;
  checksum: boolean;
  /** Read QEMU's RAM packets in this layout; unset, a RAM packet is an error (ERR_MULTIFD_NOT_DEVICE_STATE). */
  ram?: MultifdRamLayout;
}

export class MultifdStreamParser {
  private helloDone = false;
  private readonly instance: CodecInstance;
  private readonly scanner: MultifdScanner;
  private readonly window: number;
  private readonly capacity: number;
  private filled = 0;
  /** Stream offset of the window's first byte. */
  private windowOffset = 0;
  private readonly ready: MultifdRecord[] = [];
  /** A bad packet found after good ones: thrown once those are delivered. */
  private failure: Error | undefined;

  constructor(private readonly options: MultifdParserOptions) {
    this.capacity = DEVICE_STATE_HEADER_BYTES + options.maxPacketBytes + CHECKSUM_BYTES;
    // The window starts 64-byte aligned (heapBase is): copies into a misaligned destination run far slower.
    const resultsBytes = scanResultsBytes(MAX_RECORDS);
    this.instance = createInstance(this.capacity + 4 + resultsBytes);
    this.window = this.instance.heapBase;
    const results = this.window + this.capacity + ((4 - (this.capacity % 4)) % 4);
    this.scanner = new MultifdScanner(this.instance, {
      results,
      maxRecords: MAX_RECORDS,
      maxPayloadBytes: options.maxPacketBytes,
      checksum: options.checksum,
      subject: options.subject,
    });
  }

  /** True at a packet boundary with nothing buffered. */
  get complete(): boolean {
    return this.helloDone && this.filled === 0 && this.ready.length === 0;
  }

  get expecting(): string {
    return this.helloDone ? "packet" : "hello";
  }

  next(q: ByteQueue): MultifdRecord | NeedMore {
    if (!this.helloDone) return this.hello(q);
    const ready = this.ready.shift();
    if (ready) return ready;
    if (this.failure) throw this.failure;
    const take = Math.min(q.length, this.capacity - this.filled);
    q.copyTo(this.instance.bytes, this.window + this.filled, take);
    q.skip(take);
    this.filled += take;
    const summary = this.scanner.scan(this.window, this.filled, this.windowOffset);
    const bytes = this.instance.bytes;
    for (let i = 0; i < summary.count; i++) {
      const p = this.scanner.packet(i);
      const start = this.window + p.offset;
      this.ready.push({
        type: "packet",
        offset: this.windowOffset + p.offset,
        idstr: packetIdstr(bytes, start),
        instanceId: p.instanceId,
        idx: p.idx,
        flags: p.vfioFlags,
        packetFlags: p.packetFlags,
        ...(this.options.checksum ? { checksum: p.checksum } : {}),
        data: bytes.slice(start + DEVICE_STATE_DATA_OFFSET, start + DEVICE_STATE_HEADER_BYTES + p.payloadLength),
      });
    }
    bytes.copyWithin(this.window, this.window + summary.consumed, this.window + this.filled);
    this.filled -= summary.consumed;
    this.windowOffset += summary.consumed;
    let needed = summary.needed;
    if (summary.error?.code === "ERR_MULTIFD_NOT_DEVICE_STATE" && this.options.ram) {
      // The window now starts with a RAM packet: read it whole, or wait for the rest of it.
      const ram = this.ramPacket(this.options.ram);
      if (typeof ram === "number") needed = ram;
      else this.ready.push(ram);
    } else this.failure = summary.error;
    if (this.failure && this.ready.length === 0) throw this.failure;
    return this.ready.shift() ?? { type: "need-more", needed: Math.max(1, needed - q.length) };
  }

  /** The RAM packet at the window's start, or how many more bytes it needs. */
  private ramPacket(layout: MultifdRamLayout): MultifdRecord | number {
    const bytes = this.instance.bytes;
    const at = (n: number) => bytes.subarray(this.window, this.window + n);
    if (this.filled < 16) return 16 - this.filled;
    const headerBytes = multifdRamHeaderBytes(at(16), this.windowOffset, this.options.subject);
    if (this.filled < headerBytes) return headerBytes - this.filled;
    const header = decodeMultifdRamHeader(at(headerBytes), layout, this.windowOffset, this.options.subject);
    const total = headerBytes + header.payloadBytes;
    if (total > this.capacity) {
      throw new WireFormatError("ERR_MULTIFD_PACKET_TOO_LARGE", `multifd RAM packet of ${header.payloadBytes} data bytes is over the configured maximum`, this.windowOffset + 20, this.options.subject);
    }
    if (this.filled < total) return total - this.filled;
    const record: MultifdRecord = { type: "ram", offset: this.windowOffset, ...header, payload: bytes.slice(this.window + headerBytes, this.window + total) };
    bytes.copyWithin(this.window, this.window + total, this.window + this.filled);
    this.filled -= total;
    this.windowOffset += total;
    return record;
  }

  private hello(q: ByteQueue): MultifdRecord | NeedMore {
    if (q.length < MULTIFD_HELLO_BYTES) return { type: "need-more", needed: MULTIFD_HELLO_BYTES - q.length };
    const offset = q.position;
    const hello = decodeMultifdHello(q.peek(MULTIFD_HELLO_BYTES), this.options);
    q.skip(MULTIFD_HELLO_BYTES);
    this.helloDone = true;
    this.windowOffset = q.position;
    return { type: "hello", offset, ...hello };
  }
}
