// What `inspect` lists for a stream that is neither a main nor a multifd channel but parses completely
// as return-path messages (the destination's direction of a capture): QEMU's types, postcopy's
// included, and ours.
import { ByteQueue } from "./byte-queue.js";
import { ReturnPathParser, type PostcopyReturnPathRecord, type ReturnPathRecord } from "./decode-return-path.js";
import { isWireFormatError, WireFormatError } from "./errors.js";

type WithoutOffset<T> = T extends unknown ? Omit<T, "offset"> : never;
export type InspectReturnPathMessage = WithoutOffset<ReturnPathRecord | PostcopyReturnPathRecord>;

export class ReturnPathInspector {
  private readonly queue = new ByteQueue();
  private readonly parser = new ReturnPathParser();
  /** Messages read and not yet taken. */
  private messages: InspectReturnPathMessage[] = [];
  /** Whether any message was read: a stream whose first message fails is no return path. */
  private read = false;

  /** The messages read since the last call. */
  take(): InspectReturnPathMessage[] {
    const taken = this.messages;
    this.messages = [];
    return taken;
  }

  /** Bad bytes after good messages: thrown once those are taken. */
  private failure: unknown;

  /** Takes more bytes; throws WireFormatError when they are not return-path messages. */
  push(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    this.queue.push(chunk);
    for (;;) {
      let record: ReturnPathRecord | PostcopyReturnPathRecord | { type: "need-more" };
      try {
        record = this.parser.nextWithPostcopy(this.queue);
      } catch (err) {
        const failure = !this.read && isWireFormatError(err) ? notAStream(err) : err;
        if (this.messages.length === 0) throw failure;
        this.failure = failure;
        return;
      }
      if (record.type === "need-more") return;
      const { offset: _offset, ...message } = record;
      this.messages.push(message as InspectReturnPathMessage);
      this.read = true;
    }
  }

  end(): void {
    if (this.failure) throw this.failure;
    if (this.queue.length > 0) {
      const message = `return path ends inside a message: ${this.queue.length} bytes left at byte ${this.queue.position}`;
      const err = new WireFormatError("ERR_WIRE_TRUNCATED", message, this.queue.position);
      throw this.read ? err : notAStream(err);
    }
  }
}

/** A stream whose first message does not parse is none of the streams inspect knows. */
function notAStream(err: WireFormatError): WireFormatError {
  return new WireFormatError(
    "ERR_WIRE_BAD_MAGIC",
    `the stream is neither a main channel (first be32 0x5145564d), a multifd channel (0x11223344), nor a return path (${err.message.replace(/ \(at byte \d+\)$/, "")})`,
    0,
  );
}
