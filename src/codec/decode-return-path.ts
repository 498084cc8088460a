// Incremental parser of the return path: `be16 type | be16 len | data` messages. The WASM core
// (assembly/main-wire.ts readReturnPath) checks each header; the JSON bodies are parsed here.
import type { ByteQueue } from "./byte-queue.js";
import { parseJsonBytes } from "./bytes.js";
import { RETURN_PATH_HEADER_BYTES, ReturnPathType } from "./constants.js";
import type { NeedMore } from "./decode-main.js";
import { WireFormatError } from "./errors.js";
import type { ReturnPathMessage } from "./return-path.js";
import { POSTCOPY_RETURN_PATH_TYPES, readPostcopyMessage, type PostcopyReturnPathMessage } from "./return-path-postcopy.js";
import { HEADER_ERROR_CODES, HeaderError, readQueued } from "./wire-wasm.js";

export type ReturnPathRecord = ReturnPathMessage & { offset: number };
export type PostcopyReturnPathRecord = PostcopyReturnPathMessage & { offset: number };

/** A fixed-length message is at most its header and a be32. */
const MAX_FIXED_MESSAGE_BYTES = RETURN_PATH_HEADER_BYTES + 4;
const FIXED_LENGTHS: ReadonlyMap<number, number> = new Map([
  [ReturnPathType.SHUT, 4],
  [ReturnPathType.PONG, 4],
  [ReturnPathType.RESUME_ACK, 4],
  [ReturnPathType.SWITCHOVER_ACK, 0],
]);

export class ReturnPathParser {
  constructor(private readonly subject?: string) {}

  next(q: ByteQueue): ReturnPathRecord | NeedMore {
    return this.read(q, false) as ReturnPathRecord | NeedMore;
  }

  /** Also reads QEMU's postcopy messages, which the engine never speaks (tools reading captures). */
  nextWithPostcopy(q: ByteQueue): ReturnPathRecord | PostcopyReturnPathRecord | NeedMore {
    return this.read(q, true);
  }

  private read(q: ByteQueue, postcopy: boolean): ReturnPathRecord | PostcopyReturnPathRecord | NeedMore {
    let type = 0;
    let length = 0;
    let value = 0;
    let at = 0;
    const result = readQueued(q, MAX_FIXED_MESSAGE_BYTES, (wasm, avail) => {
      const n = wasm.exports.readReturnPath(wasm.at, avail, wasm.outPtr);
      [at, type, length, value] = wasm.out;
      return n;
    });
    const offset = q.position;
    if (result === 0) return { type: "need-more", needed: at };
    if (result < 0 && -result === HeaderError.RP_UNKNOWN_TYPE && postcopy && POSTCOPY_RETURN_PATH_TYPES.has(type)) {
      return readPostcopyMessage(q, type, length, this.subject);
    }
    if (result < 0) {
      const message =
        -result === HeaderError.RP_UNKNOWN_TYPE
          ? `unknown return-path message type ${type}`
          : `return-path ${ReturnPathType[type]} has length ${length}, expected ${FIXED_LENGTHS.get(type)}`;
      throw new WireFormatError(HEADER_ERROR_CODES[-result], message, offset + at, this.subject);
    }
    switch (type) {
      case ReturnPathType.SHUT:
        q.skip(result);
        return { type: "shut", status: value, offset };
      case ReturnPathType.PONG:
        q.skip(result);
        return { type: "pong", value, offset };
      case ReturnPathType.RESUME_ACK:
        q.skip(result);
        return { type: "resume-ack", value, offset };
      case ReturnPathType.SWITCHOVER_ACK:
        q.skip(result);
        return { type: "switchover-ack", offset };
      default: {
        const total = RETURN_PATH_HEADER_BYTES + length;
        if (q.length < total) return { type: "need-more", needed: total - q.length };
        const parsed = parseJsonBytes(q.take(total).subarray(RETURN_PATH_HEADER_BYTES));
        if (!parsed.ok) {
          throw new WireFormatError("ERR_RP_BAD_JSON", `return-path ${ReturnPathType[type]} is not UTF-8 JSON`, offset + RETURN_PATH_HEADER_BYTES, this.subject);
        }
        return { type: type === ReturnPathType.CONFIG ? "config" : "report", json: parsed.value, offset };
      }
    }
  }
}
