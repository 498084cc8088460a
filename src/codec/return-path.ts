// Return-path messages (destination -> source on the main connection): `be16 type | be16 len | data`.
// QEMU's types we speak plus our JSON types above QEMU's range (docs/wire-format.md). The headers
// are written by the WASM core (assembly/main-wire.ts); ReturnPathParser reads them.
import { checkField, encodeWith, jsonBytes, U16_MAX, U32_MAX } from "./bytes.js";
import { RETURN_PATH_HEADER_BYTES, ReturnPathType } from "./constants.js";
import { writeHeader } from "./wire-wasm.js";

export type ReturnPathMessage =
  | { type: "shut"; /** 0 ok, anything else failed (QEMU's error flag). */ status: number }
  | { type: "pong"; value: number }
  | { type: "resume-ack"; value: number }
  | { type: "switchover-ack" }
  | { type: "config"; json: unknown }
  | { type: "report"; json: unknown };

/** Bytes of one JSON message's body: its be16 length bounds it. */
export const MAX_RETURN_PATH_JSON_BYTES = U16_MAX;

function fixed(type: ReturnPathType, value: number, what: string): Uint8Array {
  const out = new Uint8Array(RETURN_PATH_HEADER_BYTES + 4);
  const checked = checkField(value, U32_MAX, what);
  writeHeader(out, 0, (wasm) => wasm.exports.writeReturnPath(wasm.at, type, 4, checked));
  return out;
}

function json(type: ReturnPathType.CONFIG | ReturnPathType.REPORT, value: unknown, what: string): Uint8Array {
  const body = jsonBytes(value, MAX_RETURN_PATH_JSON_BYTES, what);
  const out = new Uint8Array(RETURN_PATH_HEADER_BYTES + body.length);
  writeHeader(out, 0, (wasm) => wasm.exports.writeReturnPath(wasm.at, type, body.length, 0));
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
      return encodeWith(RETURN_PATH_HEADER_BYTES, (t, o) => writeHeader(t, o, (wasm) => wasm.exports.writeReturnPath(wasm.at, ReturnPathType.SWITCHOVER_ACK, 0, 0)));
    case "config":
      return json(ReturnPathType.CONFIG, message.json, "return-path CONFIG");
    case "report":
      return json(ReturnPathType.REPORT, message.json, "return-path REPORT");
  }
}
