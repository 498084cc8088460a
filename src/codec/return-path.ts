// Return-path messages (destination -> source on the main connection): `be16 type | be16 len | data`.
// QEMU's types we speak plus our JSON types above QEMU's range (docs/wire-format.md).
import { checkField, dataView, jsonBytes, parseJsonBytes, U16_MAX, U32_MAX } from "./bytes.js";
import { RETURN_PATH_HEADER_BYTES, ReturnPathType } from "./constants.js";
import { WireFormatError } from "./errors.js";

export type ReturnPathMessage =
  | { type: "shut"; /** 0 ok, anything else failed (QEMU's error flag). */ status: number }
  | { type: "pong"; value: number }
  | { type: "resume-ack"; value: number }
  | { type: "switchover-ack" }
  | { type: "config"; json: unknown }
  | { type: "report"; json: unknown };

/** Bytes of one JSON message's body: its be16 length bounds it. */
export const MAX_RETURN_PATH_JSON_BYTES = U16_MAX;

/** Fixed body lengths; the JSON types have any length up to the be16 bound. */
const FIXED_LENGTHS: ReadonlyMap<ReturnPathType, number> = new Map([
  [ReturnPathType.SHUT, 4],
  [ReturnPathType.PONG, 4],
  [ReturnPathType.RESUME_ACK, 4],
  [ReturnPathType.SWITCHOVER_ACK, 0],
]);

function frame(type: ReturnPathType, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(RETURN_PATH_HEADER_BYTES + body.length);
  const view = dataView(out);
  view.setUint16(0, type);
  view.setUint16(2, checkField(body.length, U16_MAX, "return-path length"));
  out.set(body, RETURN_PATH_HEADER_BYTES);
  return out;
}

function be32Body(value: number, what: string): Uint8Array {
  const body = new Uint8Array(4);
  dataView(body).setUint32(0, checkField(value, U32_MAX, what));
  return body;
}

export function encodeReturnPath(message: ReturnPathMessage): Uint8Array {
  switch (message.type) {
    case "shut":
      return frame(ReturnPathType.SHUT, be32Body(message.status, "shut status"));
    case "pong":
      return frame(ReturnPathType.PONG, be32Body(message.value, "pong value"));
    case "resume-ack":
      return frame(ReturnPathType.RESUME_ACK, be32Body(message.value, "resume-ack value"));
    case "switchover-ack":
      return frame(ReturnPathType.SWITCHOVER_ACK, new Uint8Array(0));
    case "config":
      return frame(ReturnPathType.CONFIG, jsonBytes(message.json, MAX_RETURN_PATH_JSON_BYTES, "return-path CONFIG"));
    case "report":
      return frame(ReturnPathType.REPORT, jsonBytes(message.json, MAX_RETURN_PATH_JSON_BYTES, "return-path REPORT"));
  }
}

/**
 * Checks a header read from the wire: a known type with its exact length. `offset` is where the
 * header starts in the stream, for the error.
 */
export function checkReturnPathHeader(type: number, length: number, offset: number, subject?: string): void {
  if (type !== ReturnPathType.CONFIG && type !== ReturnPathType.REPORT) {
    const fixed = FIXED_LENGTHS.get(type);
    if (fixed === undefined) throw new WireFormatError("ERR_RP_UNKNOWN_TYPE", `unknown return-path message type ${type}`, offset, subject);
    if (length !== fixed) {
      throw new WireFormatError("ERR_RP_BAD_LENGTH", `return-path ${ReturnPathType[type]} has length ${length}, expected ${fixed}`, offset + 2, subject);
    }
  }
}

/** Decodes a body whose header passed `checkReturnPathHeader`; `offset` is where the body starts. */
export function decodeReturnPathBody(type: ReturnPathType, body: Uint8Array, offset: number, subject?: string): ReturnPathMessage {
  const view = dataView(body);
  switch (type) {
    case ReturnPathType.SHUT:
      return { type: "shut", status: view.getUint32(0) };
    case ReturnPathType.PONG:
      return { type: "pong", value: view.getUint32(0) };
    case ReturnPathType.RESUME_ACK:
      return { type: "resume-ack", value: view.getUint32(0) };
    case ReturnPathType.SWITCHOVER_ACK:
      return { type: "switchover-ack" };
    default: {
      const parsed = parseJsonBytes(body);
      if (!parsed.ok) throw new WireFormatError("ERR_RP_BAD_JSON", `return-path ${ReturnPathType[type]} is not UTF-8 JSON`, offset, subject);
      return { type: type === ReturnPathType.CONFIG ? "config" : "report", json: parsed.value };
    }
  }
}
