// The CONFIGURATION section (`0x07`), in either of the two forms a main stream may carry:
// - QEMU's: the `configuration` vmstate (migration/savevm.c): `be32 len | machine name`, then its optional
//   subsections, each `0x05 | u8 len | name | be32 version | fields`: target page bits (be32),
//   capabilities (be32 count, then `u8 len | name` each), uuid (16 bytes);
// - ours: `be32 len | UTF-8 JSON` of the setup config. JSON here always starts with `{`, which no machine
//   name does, so the first byte after the length tells them apart (docs/wire-format.md).
import type { Cursor } from "./qemu-cursor.js";
import { fromUtf8, parseJsonBytes } from "./bytes.js";
import { MAX_CONFIGURATION_BYTES, SectionType } from "./constants.js";
import { WireFormatError } from "./errors.js";

export type Configuration =
  | { form: "qemu"; machine: string; targetPageBits?: number; capabilities?: string[]; uuid?: string }
  | { form: "json"; json: unknown };

const OPEN_BRACE = 0x7b;

function fail(code: string, message: string, offset: number): never {
  throw new WireFormatError(code, message, offset, "configuration");
}

/** Reads the section after its type byte. `final`: no more bytes will come (a subsection cannot follow). */
export function readConfiguration(c: Cursor, final: boolean): Configuration {
  const lengthAt = c.offset;
  const length = c.u32();
  if (length > MAX_CONFIGURATION_BYTES) fail("ERR_WIRE_TOO_LARGE", `CONFIGURATION of ${length} bytes is over the bound of ${MAX_CONFIGURATION_BYTES}`, lengthAt);
  const body = c.bytes(length);
  if (body[0] === OPEN_BRACE) {
    const parsed = parseJsonBytes(body);
    if (!parsed.ok) fail("ERR_WIRE_BAD_JSON", "CONFIGURATION is not UTF-8 JSON", lengthAt + 4);
    return { form: "json", json: parsed.value };
  }
  const machine = fromUtf8(body);
  if (machine === undefined) fail("ERR_WIRE_BAD_IDSTR", "machine name is not UTF-8", lengthAt + 4);
  const config: Configuration = { form: "qemu", machine };
  for (;;) {
    const next = c.peekByte();
    if (next === undefined && !final) c.u8(); // need one more byte to know whether a subsection follows
    if (next !== SectionType.SUBSECTION) return config;
    const at = c.offset;
    c.u8();
    const name = fromUtf8(c.bytes(c.u8()));
    c.u32(); // version
    switch (name) {
      case "configuration/target-page-bits":
        config.targetPageBits = c.u32();
        break;
      case "configuration/capabilities": {
        const count = c.u32();
        const capabilities: string[] = [];
        for (let i = 0; i < count; i++) capabilities.push(fromUtf8(c.bytes(c.u8())) ?? "");
        config.capabilities = capabilities;
        break;
      }
      case "configuration/uuid": {
        const b = c.bytes(16);
        const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
        config.uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
        break;
      }
      default:
        fail("ERR_WIRE_UNKNOWN_SECTION", `unknown configuration subsection ${name}`, at);
    }
  }
}
