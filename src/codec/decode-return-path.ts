// Incremental parser of the return path: `be16 type | be16 len | data` messages.
import type { ByteQueue } from "./byte-queue.js";
import { dataView } from "./bytes.js";
import { RETURN_PATH_HEADER_BYTES } from "./constants.js";
import type { NeedMore } from "./decode-main.js";
import { checkReturnPathHeader, decodeReturnPathBody, type ReturnPathMessage } from "./return-path.js";

export type ReturnPathRecord = ReturnPathMessage & { offset: number };

export class ReturnPathParser {
  constructor(private readonly subject?: string) {}

  next(q: ByteQueue): ReturnPathRecord | NeedMore {
    if (q.length < RETURN_PATH_HEADER_BYTES) return { type: "need-more", needed: RETURN_PATH_HEADER_BYTES - q.length };
    const offset = q.position;
    const view = dataView(q.peek(RETURN_PATH_HEADER_BYTES));
    const type = view.getUint16(0);
    const length = view.getUint16(2);
    checkReturnPathHeader(type, length, offset, this.subject);
    const total = RETURN_PATH_HEADER_BYTES + length;
    if (q.length < total) return { type: "need-more", needed: total - q.length };
    const body = q.take(total).subarray(RETURN_PATH_HEADER_BYTES);
    return { ...decodeReturnPathBody(type, body, offset + RETURN_PATH_HEADER_BYTES, this.subject), offset };
  }
}
