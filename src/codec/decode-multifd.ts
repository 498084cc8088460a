// Incremental parser of a multifd channel: the hello, then device-state packets validated by the
// WASM scanner (the engine scans its own pool instead; this serves tools and any reader of plain
// byte arrays). Bytes wait in the caller's queue; each scan copies them into one window shared by
// every parser in the process (one instance for this purpose, not one per parser), so a parser
// costs no WASM memory of its own and packets are copied at most twice: once to learn a partial
// packet's length, once whole.
import type { ByteQueue } from "./byte-queue.js";
import { checksumAlgorithm, checksumTrailerBytes, type ChecksumOption } from "./checksum.js";
import { DEVICE_STATE_DATA_OFFSET, DEVICE_STATE_HEADER_BYTES, MULTIFD_HELLO_BYTES } from "./constants.js";
import type { NeedMore } from "./decode-main.js";
import { decodeMultifdHello, type HelloExpectations } from "./multifd.js";
import { MultifdScanner, packetIdstr, scanResultsBytes } from "./scan.js";
import { createInstance, currentFlavor, type CodecInstance } from "./wasm/load.js";

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
      /** The verified trailer's first 4 bytes as be32 (a CRC32C whole), when the extension is on. */
      checksum?: number;
      /** The device bytes after the VFIO header (a copy). */
      data: Uint8Array;
    };

const MAX_RECORDS = 64;
const RESULTS_BYTES = scanResultsBytes(MAX_RECORDS);
/** The shared window starts this far into the host area, 64-byte aligned: copies into a misaligned destination run far slower. */
const WINDOW_OFFSET = Math.ceil(RESULTS_BYTES / 64) * 64;
const FIRST_WINDOW_BYTES = 1 << 20;

let scanInstance: CodecInstance | undefined;

/**
 * The shared scan instance, replaced by one with a window twice as large when `bytes` do not fit
 * (rare: once per size step), or by one of the new build after `init({ flavor })` switched it.
 */
function scanInstanceFor(bytes: number): CodecInstance {
  const hostBytes = WINDOW_OFFSET + bytes;
  if (!scanInstance || scanInstance.flavor !== currentFlavor() || scanInstance.byteLength - scanInstance.heapBase < hostBytes) {
    let size = FIRST_WINDOW_BYTES;
    while (size < hostBytes) size *= 2;
    scanInstance = createInstance(size);
  }
  return scanInstance;
}

export interface MultifdParserOptions extends HelloExpectations {
  maxPacketBytes: number;
  /** The negotiated CHECKSUM extension (`true`: CRC32C). */
  checksum: ChecksumOption;
}

export class MultifdStreamParser {
  private helloDone = false;
  /** The largest packet on the wire: the most one scan needs to see. */
  private readonly capacity: number;
  private scanner: MultifdScanner | undefined;
  /** Queued bytes needed before a scan can find more than the last one did. */
  private wanted = 0;
  private readonly ready: MultifdRecord[] = [];
  /** A bad packet found after good ones: thrown once those are delivered. */
  private failure: Error | undefined;
  private readonly checksumOn: boolean;

  constructor(private readonly options: MultifdParserOptions) {
    const algorithm = checksumAlgorithm(options.checksum);
    this.checksumOn = algorithm !== "none";
    this.capacity = DEVICE_STATE_HEADER_BYTES + options.maxPacketBytes + checksumTrailerBytes(algorithm);
  }

  /** True at a packet boundary with nothing buffered. */
  get complete(): boolean {
    return this.helloDone && this.ready.length === 0;
  }

  get expecting(): string {
    return this.helloDone ? "packet" : "hello";
  }

  next(q: ByteQueue): MultifdRecord | NeedMore {
    if (!this.helloDone) return this.hello(q);
    const ready = this.ready.shift();
    if (ready) return ready;
    if (this.failure) throw this.failure;
    if (q.length < Math.max(1, this.wanted)) return { type: "need-more", needed: Math.max(1, this.wanted - q.length) };
    const take = Math.min(q.length, this.capacity);
    const instance = scanInstanceFor(take);
    const window = instance.heapBase + WINDOW_OFFSET;
    const scanner = this.scannerOn(instance);
    const windowOffset = q.position;
    q.copyTo(instance.bytes, window, take);
    const summary = scanner.scan(window, take, windowOffset);
    const bytes = instance.bytes;
    for (let i = 0; i < summary.count; i++) {
      const p = scanner.packet(i);
      const start = window + p.offset;
      this.ready.push({
        type: "packet",
        offset: windowOffset + p.offset,
        idstr: packetIdstr(bytes, start),
        instanceId: p.instanceId,
        idx: p.idx,
        flags: p.vfioFlags,
        packetFlags: p.packetFlags,
        ...(this.checksumOn ? { checksum: p.checksum } : {}),
        data: bytes.slice(start + DEVICE_STATE_DATA_OFFSET, start + DEVICE_STATE_HEADER_BYTES + p.payloadLength),
      });
    }
    q.skip(summary.consumed);
    // After a full results area the next scan may find more at once; after "need-more", only once
    // the packet the window ends in can complete.
    this.wanted = summary.stop === "need-more" ? take - summary.consumed + summary.needed : 0;
    this.failure = summary.error;
    if (this.failure && this.ready.length === 0) throw this.failure;
    return this.ready.shift() ?? { type: "need-more", needed: Math.max(1, this.wanted - q.length) };
  }

  /** This parser's scanner over the shared instance (rebuilt when the instance was replaced). */
  private scannerOn(instance: CodecInstance): MultifdScanner {
    if (this.scanner?.instance !== instance) {
      this.scanner = new MultifdScanner(instance, {
        results: instance.heapBase,
        maxRecords: MAX_RECORDS,
        maxPayloadBytes: this.options.maxPacketBytes,
        checksum: this.options.checksum,
        subject: this.options.subject,
      });
    }
    return this.scanner;
  }

  private hello(q: ByteQueue): MultifdRecord | NeedMore {
    if (q.length < MULTIFD_HELLO_BYTES) return { type: "need-more", needed: MULTIFD_HELLO_BYTES - q.length };
    const offset = q.position;
    const hello = decodeMultifdHello(q.peek(MULTIFD_HELLO_BYTES), this.options);
    q.skip(MULTIFD_HELLO_BYTES);
    this.helloDone = true;
    return { type: "hello", offset, ...hello };
  }
}
