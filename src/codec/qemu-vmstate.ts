// Reads one device's vmstate through its entry in the VM description (the JSON QEMU writes after EOF),
// walking fields, arrays, structs and subsections the way QEMU's scripts/analyze-migration.py does, and
// giving values in that tool's formatting: integers as fixed-width hex ("0x%0*x", negatives followed by
// their decimal), bools as booleans, everything else as space-separated hex bytes.
import type { Cursor } from "./qemu-cursor.js";
import { WireFormatError } from "./errors.js";
import { fromUtf8 } from "./bytes.js";
import { SectionType } from "./constants.js";

/** A field of the VM description (`vmsd_desc_field_start/end` in QEMU's migration/vmstate.c). */
export interface VmsdField {
  name: string;
  type: string;
  size?: number;
  index?: number;
  array_len?: number;
  struct?: VmsdStruct;
}

/** A vmstate description: a device entry, a struct field's `struct`, or a subsection. */
export interface VmsdStruct {
  vmsd_name?: string;
  version?: number;
  fields?: VmsdField[];
  subsections?: VmsdStruct[];
}

export interface VmsdDevice extends VmsdStruct {
  name: string;
  instance_id: number;
}

export interface VmDescription {
  page_size: number;
  devices: VmsdDevice[];
}

/** A decoded value, as analyze-migration.py's `-d state` prints it. */
export type VmstateValue = string | boolean | VmstateValue[] | { [name: string]: VmstateValue };

/** Integer types by signedness, as analyze-migration.py reads them (its table, including its quirks). */
const SIGNED = new Set(["int8", "int16", "int32", "int32 equal", "int32 le", "int64", "int64 equal", "uint8 equal", "uint16 equal"]);
const UNSIGNED = new Set(["uint8", "uint16", "uint32", "uint32 equal", "uint64"]);

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hexBytes(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += (i ? " " : "") + HEX[bytes[i]];
  return out;
}

function integer(bytes: Uint8Array, signed: boolean): string {
  let hex = "";
  for (const b of bytes) hex += HEX[b];
  const text = `0x${hex || "0"}`;
  if (!signed || bytes.length === 0 || bytes[0] < 0x80) return text;
  return `${text} (${BigInt(text) - (1n << BigInt(bytes.length * 8))})`;
}

export class VmstateReader {
  /** Arrays the description compresses (`array_len`) unfolded once per struct, as the tool does. */
  private readonly unfolded = new WeakMap<VmsdStruct, VmsdField[]>();

  /** `subject` names the device in errors. */
  constructor(private readonly subject: string) {}

  private fail(code: string, message: string, offset: number): never {
    throw new WireFormatError(code, message, offset, this.subject);
  }

  private fields(desc: VmsdStruct): VmsdField[] {
    let fields = this.unfolded.get(desc);
    if (fields) return fields;
    fields = [];
    for (const field of desc.fields ?? []) {
      if (field.array_len === undefined) fields.push(field);
      else for (let i = 0; i < field.array_len; i++) fields.push({ ...field, array_len: undefined, index: i });
    }
    this.unfolded.set(desc, fields);
    return fields;
  }

  /** The fields then the subsections of `desc`, read at the cursor. */
  struct(c: Cursor, desc: VmsdStruct): { [name: string]: VmstateValue } {
    const out: { [name: string]: VmstateValue } = {};
    for (const field of this.fields(desc)) {
      const value = this.field(c, field);
      if (field.index === undefined) {
        out[field.name] = value;
        continue;
      }
      const list = (out[field.name] ??= []) as VmstateValue[];
      if (!Array.isArray(list) || list.length !== field.index) {
        this.fail("ERR_VMSTATE_BAD_DESCRIPTION", `field ${field.name} index ${field.index} out of order`, c.offset);
      }
      list.push(value);
    }
    for (const sub of desc.subsections ?? []) {
      const at = c.offset;
      if (c.u8() !== SectionType.SUBSECTION) this.fail("ERR_VMSTATE_NO_SUBSECTION", `subsection ${sub.vmsd_name} not found`, at);
      const nameAt = c.offset;
      const name = fromUtf8(c.bytes(c.u8()));
      if (name === undefined) this.fail("ERR_WIRE_BAD_IDSTR", "subsection name is not UTF-8", nameAt);
      c.u32(); // version_id: the description already is the one written
      out[name] = this.struct(c, sub);
    }
    return out;
  }

  private field(c: Cursor, field: VmsdField): VmstateValue {
    if (field.type === "struct") {
      if (!field.struct) this.fail("ERR_VMSTATE_BAD_DESCRIPTION", `struct field ${field.name} has no struct`, c.offset);
      return this.struct(c, field.struct);
    }
    if (field.type === "capability") return fromUtf8(c.bytes(c.u8())) ?? "";
    const size = Number(field.size);
    if (!Number.isInteger(size) || size < 0) this.fail("ERR_VMSTATE_BAD_DESCRIPTION", `field ${field.name} has no size`, c.offset);
    const bytes = c.bytes(size);
    if (field.type === "bool") return size > 0 && bytes[0] !== 0;
    if (field.type === "nullptr") return "nullptr";
    if (SIGNED.has(field.type)) return integer(bytes, true);
    if (UNSIGNED.has(field.type)) return integer(bytes, false);
    return hexBytes(bytes);
  }
}

/** The devices of a description by `idstr` and instance id, as sections name them. */
export function devicesByKey(desc: VmDescription): Map<string, VmsdDevice> {
  return new Map(desc.devices.map((d) => [`${d.name}\0${d.instance_id}`, d]));
}
