// StreamDecoder: push bytes as they arrive, pull records until it answers "need-more". It never
// throws for "not enough bytes yet"; bad bytes throw a WireFormatError with a stable code and the
// stream offset. Lengths are checked against bounds before anything waits for or copies them.
import { ByteQueue } from "./byte-queue.js";
import type { ChecksumOption } from "./checksum.js";
import { DEFAULT_MAX_PACKET_BYTES } from "./constants.js";
import { MainStreamParser, type MainRecord, type NeedMore } from "./decode-main.js";
import { MultifdStreamParser, type MultifdRecord } from "./decode-multifd.js";
import { ReturnPathParser, type ReturnPathRecord } from "./decode-return-path.js";
import { WireEncodeError, WireFormatError } from "./errors.js";
import { MAX_SCAN_PAYLOAD_BYTES } from "./scan.js";

export type StreamKind = "main" | "multifd" | "return-path";

export type StreamRecord<K extends StreamKind> = K extends "main" ? MainRecord : K extends "multifd" ? MultifdRecord : ReturnPathRecord;

export interface StreamDecoderOptions<K extends StreamKind> {
  kind: K;
  /**
   * Bound on one multifd packet's payload, one main-channel DEV_DATA_STATE chunk and one config
   * blob (QEMU has none; hostile lengths over it are errors). Default 16 MiB.
   */
  maxPacketBytes?: number;
  /** Channel name, first in every error message. */
  subject?: string;
  /** multifd: the CHECKSUM extension's negotiated algorithm (`true`: CRC32C; default none). */
  checksum?: ChecksumOption;
  /** multifd: our uuid, which the hello must carry; unset, any uuid is accepted (tools reading captures). */
  uuid?: Uint8Array;
  /** multifd: number of channels; the hello's channel id must be below it. */
  channels?: number;
}

interface Parser<R> {
  next(q: ByteQueue): R | NeedMore;
}

export type { NeedMore };

export class StreamDecoder<K extends StreamKind> {
  readonly kind: K;
  private readonly queue = new ByteQueue();
  private readonly parser: Parser<StreamRecord<K>> & { complete?: boolean; expecting?: string };
  private readonly subject?: string;
  private failed: unknown;

  constructor(options: StreamDecoderOptions<K>) {
    const maxPacketBytes = options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
    if (!(Number.isInteger(maxPacketBytes) && maxPacketBytes >= 12 && maxPacketBytes <= MAX_SCAN_PAYLOAD_BYTES)) {
      throw new WireEncodeError("ERR_WIRE_ENCODE", `maxPacketBytes ${maxPacketBytes} is outside 12..${MAX_SCAN_PAYLOAD_BYTES}`);
    }
    this.kind = options.kind;
    this.subject = options.subject;
    const parser =
      options.kind === "main"
        ? new MainStreamParser(maxPacketBytes, options.subject)
        : options.kind === "multifd"
          ? new MultifdStreamParser({ ...options, maxPacketBytes, checksum: options.checksum ?? false })
          : new ReturnPathParser(options.subject);
    this.parser = parser as unknown as StreamDecoder<K>["parser"];
  }

  /** Stream offset of the next byte to decode. */
  get position(): number {
    return this.queue.position;
  }

  /** Bytes pushed and not yet decoded. */
  get buffered(): number {
    return this.queue.length;
  }

  /** Adds bytes. Records may be views of them: do not reuse the buffer until its records are handled. */
  push(bytes: Uint8Array): void {
    this.queue.push(bytes);
  }

  /** The next record, or "need-more" with how many bytes at least it needs. Throws for bad bytes, then again on every call. */
  next(): StreamRecord<K> | NeedMore {
    if (this.failed) throw this.failed;
    try {
      return this.parser.next(this.queue);
    } catch (err) {
      this.failed = err;
      throw err;
    }
  }

  /** Every record already decodable, until "need-more". */
  *records(): Generator<StreamRecord<K>, NeedMore> {
    for (;;) {
      const record = this.next();
      if (record.type === "need-more") return record as NeedMore;
      yield record as StreamRecord<K>;
    }
  }

  /**
   * Declares the stream over: throws ERR_WIRE_TRUNCATED unless it ended where it may (a main
   * stream after EOF, other kinds between records). Call after pulling every record.
   */
  end(): void {
    if (this.failed) throw this.failed;
    const complete = this.parser.complete ?? true;
    if (!complete || this.queue.length > 0) {
      const where = this.parser.expecting ? ` (expecting ${this.parser.expecting})` : "";
      throw new WireFormatError("ERR_WIRE_TRUNCATED", `stream ended inside a record${where}`, this.queue.position + this.queue.length, this.subject);
    }
  }
}
