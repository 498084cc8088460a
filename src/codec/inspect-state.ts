// `inspect --state`: the object analyze-migration.py's `-d state` prints, built from inspect's records:
// one key per section, "idstr (section id)", in the order sections started; `ram` as its block sizes,
// every other device as its fields; VFIO sections (which QEMU's tool cannot read) as their markers.
import type { InspectMainRecord, InspectMarker } from "./qemu-main.js";
import type { VmstateValue } from "./qemu-vmstate.js";

type StateValue = VmstateValue | InspectMarker[] | null;
type StateObject = { [name: string]: StateValue | StateObject };

export class StateBuilder {
  private readonly sections = new Map<number, { key: string; value: StateObject }>();

  add(record: InspectMainRecord): void {
    if (!("sectionId" in record)) return;
    let entry = this.sections.get(record.sectionId);
    if (record.type === "start" || record.type === "full") {
      entry = { key: `${record.idstr} (${record.sectionId})`, value: {} };
      this.sections.set(record.sectionId, entry);
    }
    if (!entry) return;
    const value = entry.value;
    if ("ram" in record) {
      value["section sizes"] ??= {};
      for (const block of record.ram.blocks ?? []) {
        (value["section sizes"] as StateObject)[block.name] = `0x${block.length.toString(16).padStart(16, "0")}`;
      }
    } else if ("markers" in record) {
      ((value.markers ??= []) as InspectMarker[]).push(...record.markers);
    } else if ("fields" in record) {
      if (record.fields) Object.assign(value, record.fields);
      else value.undecoded = record.undecoded ?? null;
    }
  }

  /** The whole object, keys in section order. */
  toObject(): StateObject {
    const out: StateObject = {};
    for (const { key, value } of this.sections.values()) out[key] = value;
    return out;
  }
}

/** JSON as Python's `json` module prints it with indent=4 (and ensure_ascii): what QEMU's tool prints. */
export function pythonJson(value: unknown): string {
  return JSON.stringify(value, null, 4).replace(/[\u007f-\uffff]/g, (ch) => (ch === "\u007f" ? ch : `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`));
}
