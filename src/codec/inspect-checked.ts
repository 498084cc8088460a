// Our own streams with the main-channel checks on (docs/wire-format.md 5.4): a check follows every
// unit, so the inspector hands everything between CONFIGURATION and EOF to the engine's parser, which
// verifies each check, and lists what it reads in the inspector's records.
import type { ByteQueue } from "./byte-queue.js";
import { crc32c } from "./crc32c.js";
import type { MainRecord, MainStreamParser, NeedMore } from "./decode-main.js";
import type { InspectMainRecord, InspectMarker } from "./qemu-main.js";

/** A VFIO payload as the inspector lists it: its markers, and each DEV_DATA_STATE's length and CRC32C. */
export interface PayloadList {
  markers: InspectMarker[];
  data?: { marker: "DEV_DATA_STATE"; length: number; crc32c: number };
}

/** Adds one of the engine parser's marker or data records to `list`. */
export function collectPayload(list: PayloadList, record: MainRecord): void {
  if (record.type === "marker") {
    if (record.marker === "DEV_DATA_STATE") {
      list.data = { marker: "DEV_DATA_STATE", length: record.length ?? 0, crc32c: 0 };
      list.markers.push(list.data);
    } else list.markers.push({ marker: record.marker });
  } else if (record.type === "data") {
    list.data!.crc32c = crc32c(record.bytes, list.data!.crc32c);
  }
}

type Head =
  | { type: "start" | "full"; sectionId: number; idstr: string; instanceId: number; version: number }
  | { type: "part" | "end"; sectionId: number };

export class CheckedMainReader {
  #section: (PayloadList & { head: Head }) | undefined;
  #done = false;

  /** `parser` must have been resumed after the CONFIGURATION (`resumeAfterConfiguration`). */
  constructor(private readonly parser: MainStreamParser) {}

  /** True once EOF was read: what follows (a VM description) is not checked. */
  get done(): boolean {
    return this.#done;
  }

  get expecting(): string {
    return this.parser.expecting;
  }

  next(q: ByteQueue): InspectMainRecord | NeedMore {
    for (;;) {
      const record = this.parser.next(q);
      switch (record.type) {
        case "need-more":
          return record;
        case "start":
        case "full":
          this.#section = { head: { type: record.type, sectionId: record.sectionId, idstr: record.idstr, instanceId: record.instanceId, version: record.version }, markers: [] };
          break;
        case "part":
        case "end":
          this.#section = { head: { type: record.type, sectionId: record.sectionId }, markers: [] };
          break;
        case "marker":
        case "data":
          collectPayload(this.#section!, record);
          break;
        case "footer": {
          const { head, markers } = this.#section!;
          this.#section = undefined;
          return { ...head, markers };
        }
        case "command":
          return record.value === undefined ? { type: "command", command: record.command } : { type: "command", command: record.command, value: record.value };
        case "eof":
          this.#done = true;
          return { type: "eof" };
        default:
          // "config" records carry the blob the markers already list; nothing else occurs before EOF.
          break;
      }
    }
  }
}
