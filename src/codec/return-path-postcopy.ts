// QEMU's postcopy return-path messages (migration/migration.c, enum mig_rp_message_type), which the
// engine never speaks but tools read from captures:
//   REQ_PAGES_ID 3: be64 start | be32 len | u8 n | n bytes block idstr
//   REQ_PAGES    4: be64 start | be32 len (12 bytes; the block is the last one named)
//   RECV_BITMAP  5: u8 n | n bytes block idstr; then, outside the message, the block's received bitmap:
//                   be64 size | size bytes | be64 0x0123456789abcdef (ram.c ramblock_recv_bitmap_send)
import type { ByteQueue } from "./byte-queue.js";
import { RETURN_PATH_HEADER_BYTES } from "./constants.js";
import type { NeedMore } from "./decode-main.js";
import { WireFormatError } from "./errors.js";

export type PostcopyReturnPathMessage =
  | { type: "req-pages-id"; start: number; length: number; block: string }
  | { type: "req-pages"; start: number; length: number }
  | { type: "recv-bitmap"; block: string; bitmapBytes: number };

export const POSTCOPY_RETURN_PATH_TYPES: ReadonlyMap<number, PostcopyReturnPathMessage["type"]> = new Map([
  [3, "req-pages-id"],
  [4, "req-pages"],
  [5, "recv-bitmap"],
]);

const RECV_BITMAP_ENDING = 0x0123456789abcdefn;
/** Our bound on one received bitmap: 1 bit per 4 KiB page, so 16 MiB covers 512 GiB of RAM. */
export const MAX_RECV_BITMAP_BYTES = 16 << 20;

const utf8 = new TextDecoder("utf-8");

/**
 * The postcopy message of `type` and `length` at the queue's head (its header checked by the caller),
 * consumed whole, or how many bytes it still needs.
 */
export function readPostcopyMessage(q: ByteQueue, type: number, length: number, subject?: string): (PostcopyReturnPathMessage & { offset: number }) | NeedMore {
  const offset = q.position;
  const name = POSTCOPY_RETURN_PATH_TYPES.get(type)!;
  const fail = (message: string, at: number) => new WireFormatError("ERR_RP_BAD_LENGTH", `return-path ${name.toUpperCase()} ${message}`, offset + at, subject);
  const total = RETURN_PATH_HEADER_BYTES + length;
  if (q.length < total) return { type: "need-more", needed: total - q.length };
  const body = q.peek(total).subarray(RETURN_PATH_HEADER_BYTES);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const start = () => {
    const value = view.getBigUint64(0);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`start 0x${value.toString(16)} is beyond 2^53`, 4);
    return Number(value);
  };
  switch (name) {
    case "req-pages":
      if (length !== 12) throw fail(`has length ${length}, expected 12`, 2);
      q.skip(total);
      return { type: name, start: start(), length: view.getUint32(8), offset };
    case "req-pages-id": {
      if (length < 13 || length !== 13 + body[12]) throw fail(`has length ${length}, not 13 + its idstr length`, 2);
      const message = { type: name, start: start(), length: view.getUint32(8), block: utf8.decode(body.subarray(13)), offset };
      q.skip(total);
      return message;
    }
    case "recv-bitmap": {
      if (length < 1 || length !== 1 + body[0]) throw fail(`has length ${length}, not 1 + its idstr length`, 2);
      // The bitmap follows the message; wait for it whole (bounded) so the record is all or nothing.
      if (q.length < total + 8) return { type: "need-more", needed: total + 8 - q.length };
      const sizeBytes = q.peek(total + 8).subarray(total);
      const size = new DataView(sizeBytes.buffer, sizeBytes.byteOffset, 8).getBigUint64(0);
      if (size > BigInt(MAX_RECV_BITMAP_BYTES)) throw fail(`bitmap of ${size} bytes is over ${MAX_RECV_BITMAP_BYTES}`, total);
      const end = total + 8 + Number(size) + 8;
      if (q.length < end) return { type: "need-more", needed: end - q.length };
      const tail = q.peek(end).subarray(end - 8);
      if (new DataView(tail.buffer, tail.byteOffset, 8).getBigUint64(0) !== RECV_BITMAP_ENDING) {
        throw new WireFormatError("ERR_RP_BAD_LENGTH", "return-path RECV_BITMAP bitmap does not end with 0x0123456789abcdef", offset + end - 8, subject);
      }
      const message = { type: name, block: utf8.decode(body.subarray(1)), bitmapBytes: Number(size), offset };
      q.skip(end);
      return message;
    }
  }
}
