// Return-path messages (destination -> source on the main connection): `be16 type | be16 len | data`.
// QEMU's types we speak plus our JSON types above QEMU's range (docs/wire-format.md). The headers
// are written here; ReturnPathParser reads them with the WASM core (assembly/main-wire.ts).
import { checkField, dataView, jsonBytes, U16_MAX, U32_MAX } from "./bytes.js";
import { RETURN_PATH_HEADER_BYTES, ReturnPathType } from "./constants.js";

export type ReturnPathMessage =
  | { type: "shut"; /** 0 ok, anything else failed (QEMU's error flag). */ status: number }
  | { type: "pong"; value: number }
  | { type: "resume-ack"; value: number }
  | { type: "switchover-ack" }
  | { type: "config"; json: unknown }
  | { type: "report"; json: unknown };

/** Bytes of one JSON message's body: its be16 length bounds it. */
export const MAX_RETURN_PATH_JSON_BYTES = U16_MAX;

/** A message of `length` body bytes with its header written; the caller fills the body. */
function withHeader(type: ReturnPathType, length: number): { out: Uint8Array; view: DataView } {
  const out = new Uint8Array(RETURN_PATH_HEADER_BYTES + length);
  const view = dataView(out);
  view.setUint16(0, type);
  view.setUint16(2, length);
  return { out, view };
}

function fixed(type: ReturnPathType, value: number, what: string): Uint8Array {
  const checked = checkField(value, U32_MAX, what);
  const { out, view } = withHeader(type, 4);
  view.setUint32(RETURN_PATH_HEADER_BYTES, checked);
  return out;
}

function json(type: ReturnPathType.CONFIG | ReturnPathType.REPORT, value: unknown, what: string): Uint8Array {
  const body = jsonBytes(value, MAX_RETURN_PATH_JSON_BYTES, what);
  const { out } = withHeader(type, body.length);
  out.set(body, RETURN_PATH_HEADER_BYTES);
  return out;
}

export function encodeReturnPath(message: ReturnPathMessage): Uint8Array {
  switch (message.type) {
    case "shut":
      return fixed(ReturnPathType.SHUT, message.status, "shut status");
    case "pong":
      return fixed(ReturnPathType.PONG, message.value, "pong value");
    case "resume-ack":
      return fixed(ReturnPathType.RESUME_ACK, message.value, "resume-ack value");
    case "switchover-ack":
      return withHeader(ReturnPathType.SWITCHOVER_ACK, 0).out;
    case "config":
      return json(ReturnPathType.CONFIG, message.json, "return-path CONFIG");
    case "report":
      return json(ReturnPathType.REPORT, message.json, "return-path REPORT");
  }
}
