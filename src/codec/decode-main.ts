// Incremental parser of a main channel (a savevm stream carrying VFIO sections), accepting what
// QEMU's qemu_loadvm_state and vfio_load_state accept, plus our extensions (docs/wire-format.md).
import type { ByteQueue } from "./byte-queue.js";
import { dataView, fromUtf8, parseJsonBytes } from "./bytes.js";
import {
  COMMAND_LENGTHS, FILE_HEADER_BYTES, MAIN_COMMAND_MAX, MainCommand, MARKER_BYTES, MAX_CONFIGURATION_BYTES,
  MAX_VM_DESCRIPTION_BYTES, QEMU_VM_FILE_MAGIC, QEMU_VM_FILE_VERSION, SectionType, VFIO_MARKER_NAMES, VfioMarker, type VfioMarkerName,
} from "./constants.js";
import { WireFormatError } from "./errors.js";

export type MarkerName = VfioMarkerName;

export type MainRecord =
  | { type: "header"; offset: number; version: number }
  | { type: "configuration"; offset: number; json: unknown }
  | { type: "start" | "full"; offset: number; sectionId: number; idstr: string; instanceId: number; version: number }
  | { type: "part" | "end"; offset: number; sectionId: number }
  /** `length` only for DEV_DATA_STATE: its data follows as "data" records. */
  | { type: "marker"; offset: number; marker: MarkerName; length?: number }
  /** A piece of DEV_DATA_STATE bytes, delivered as it arrives (a view of the pushed bytes). */
  | { type: "data"; offset: number; bytes: Uint8Array }
  /** The device config blob after DEV_CONFIG_STATE (our length-delimited form). */
  | { type: "config"; offset: number; bytes: Uint8Array }
  | { type: "footer"; offset: number; sectionId: number }
  | { type: "command"; offset: number; command: keyof typeof MainCommand; value?: number }
  | { type: "eof"; offset: number }
  | { type: "vmdescription"; offset: number; json: unknown };


type State =
  | { at: "header" }
  | { at: "top"; started: boolean }
  /** Inside a section's VFIO payload, expecting a marker. */
  | { at: "payload"; sectionId: number }
  | { at: "data"; sectionId: number; remaining: number }
  /** After DEV_SETUP_STATE or the config blob: END_OF_STATE must follow. */
  | { at: "eos"; sectionId: number; after: string }
  | { at: "config"; sectionId: number }
  | { at: "footer"; sectionId: number }
  | { at: "after-eof" }
  | { at: "done" };

/** What `next` returns when the queued bytes do not hold the next record: how many more it needs. */
export type NeedMore = { type: "need-more"; needed: number };

const need = (needed: number): NeedMore => ({ type: "need-more", needed });

export class MainStreamParser {
  private state: State = { at: "header" };
  private readonly sections = new Set<number>();

  constructor(
    private readonly maxPacketBytes: number,
    private readonly subject?: string,
  ) {}

  private fail(code: string, message: string, offset: number): never {
    throw new WireFormatError(code, message, offset, this.subject);
  }

  /** True between records at a point where the stream may end (after EOF and its optional trailer). */
  get complete(): boolean {
    return this.state.at === "after-eof" || this.state.at === "done";
  }

  /** Where the parser is, for a truncation error. */
  get expecting(): string {
    return this.state.at;
  }

  next(q: ByteQueue): MainRecord | NeedMore {
    const s = this.state;
    switch (s.at) {
      case "header":
        return this.header(q);
      case "top":
        return this.top(q, s.started);
      case "payload":
        return this.marker(q, s.sectionId);
      case "data":
        return this.data(q, s);
      case "eos":
        return this.endOfState(q, s.sectionId, s.after);
      case "config":
        return this.configBlob(q, s.sectionId);
      case "footer":
        return this.footer(q, s.sectionId);
      case "after-eof":
        return this.afterEof(q);
      case "done":
        if (q.length > 0) this.fail("ERR_WIRE_TRAILING_BYTES", "bytes after the end of the stream", q.position);
        return need(0);
    }
  }

  private header(q: ByteQueue): MainRecord | NeedMore {
    if (q.length < FILE_HEADER_BYTES) return need(FILE_HEADER_BYTES - q.length);
    const offset = q.position;
    const view = dataView(q.peek(FILE_HEADER_BYTES));
    const magic = view.getUint32(0);
    if (magic !== QEMU_VM_FILE_MAGIC) this.fail("ERR_WIRE_BAD_MAGIC", `stream magic 0x${magic.toString(16)}, expected 0x5145564d`, offset);
    const version = view.getUint32(4);
    if (version !== QEMU_VM_FILE_VERSION) this.fail("ERR_WIRE_BAD_VERSION", `stream version ${version}, expected ${QEMU_VM_FILE_VERSION}`, offset + 4);
    q.skip(FILE_HEADER_BYTES);
    this.state = { at: "top", started: false };
    return { type: "header", offset, version };
  }

  /** `u8 type | be32 len | len bytes` of JSON, bounded. */
  private lengthDelimitedJson(q: ByteQueue, max: number, what: string): { offset: number; json: unknown } | NeedMore {
    if (q.length < 5) return need(5 - q.length);
    const offset = q.position;
    const length = dataView(q.peek(5)).getUint32(1);
    if (length > max) this.fail("ERR_WIRE_TOO_LARGE", `${what} of ${length} bytes is over the bound of ${max}`, offset + 1);
    if (q.length < 5 + length) return need(5 + length - q.length);
    q.skip(5);
    const parsed = parseJsonBytes(q.take(length));
    if (!parsed.ok) this.fail("ERR_WIRE_BAD_JSON", `${what} is not UTF-8 JSON`, offset + 5);
    return { offset, json: parsed.value };
  }

  private top(q: ByteQueue, started: boolean): MainRecord | NeedMore {
    if (q.length < 1) return need(1);
    const offset = q.position;
    const type = q.byteAt(0);
    switch (type) {
      case SectionType.CONFIGURATION: {
        if (started) this.fail("ERR_WIRE_UNEXPECTED_SECTION", "CONFIGURATION is allowed only right after the stream header", offset);
        const got = this.lengthDelimitedJson(q, MAX_CONFIGURATION_BYTES, "CONFIGURATION");
        if ("type" in got) return got;
        this.state = { at: "top", started: true };
        return { type: "configuration", offset, json: got.json };
      }
      case SectionType.START:
      case SectionType.FULL:
        return this.sectionStart(q, type);
      case SectionType.PART:
      case SectionType.END: {
        if (q.length < 5) return need(5 - q.length);
        const sectionId = dataView(q.peek(5)).getUint32(1);
        if (!this.sections.has(sectionId)) this.fail("ERR_WIRE_UNKNOWN_SECTION_ID", `section ${sectionId} was never started`, offset + 1);
        q.skip(5);
        this.state = { at: "payload", sectionId };
        return { type: type === SectionType.PART ? "part" : "end", offset, sectionId };
      }
      case SectionType.COMMAND:
        return this.command(q);
      case SectionType.EOF:
        q.skip(1);
        this.state = { at: "after-eof" };
        return { type: "eof", offset };
      default:
        return this.fail("ERR_WIRE_UNKNOWN_SECTION", `unknown or misplaced section type 0x${type.toString(16)}`, offset);
    }
  }

  private sectionStart(q: ByteQueue, type: SectionType.START | SectionType.FULL): MainRecord | NeedMore {
    if (q.length < 6) return need(6 - q.length);
    const offset = q.position;
    const idstrLength = q.byteAt(5);
    const total = 6 + idstrLength + 8;
    if (q.length < total) return need(total - q.length);
    const bytes = q.take(total);
    const view = dataView(bytes);
    const idstr = fromUtf8(bytes.subarray(6, 6 + idstrLength));
    if (idstr === undefined) this.fail("ERR_WIRE_BAD_IDSTR", "section idstr is not UTF-8", offset + 6);
    const sectionId = view.getUint32(1);
    this.sections.add(sectionId);
    this.state = { at: "payload", sectionId };
    return {
      type: type === SectionType.START ? "start" : "full",
      offset,
      sectionId,
      idstr,
      instanceId: view.getUint32(6 + idstrLength),
      version: view.getUint32(6 + idstrLength + 4),
    };
  }

  private command(q: ByteQueue): MainRecord | NeedMore {
    if (q.length < 5) return need(5 - q.length);
    const offset = q.position;
    const view = dataView(q.peek(5));
    const command = view.getUint16(1);
    const length = view.getUint16(3);
    if (command === MainCommand.INVALID || command >= MAIN_COMMAND_MAX) this.fail("ERR_WIRE_UNKNOWN_COMMAND", `unknown command ${command}`, offset + 1);
    const expected = COMMAND_LENGTHS.get(command);
    if (expected === undefined) this.fail("ERR_WIRE_UNSUPPORTED_COMMAND", `command ${MainCommand[command]} is not supported (postcopy and COLO are out of scope)`, offset + 1);
    if (length !== expected) this.fail("ERR_WIRE_COMMAND_LENGTH", `command ${MainCommand[command]} has length ${length}, expected ${expected}`, offset + 3);
    if (q.length < 5 + length) return need(5 + length - q.length);
    const bytes = q.take(5 + length);
    this.state = { at: "top", started: true };
    const name = MainCommand[command] as keyof typeof MainCommand;
    return length === 4 ? { type: "command", offset, command: name, value: dataView(bytes).getUint32(5) } : { type: "command", offset, command: name };
  }

  private readMarker(q: ByteQueue): { offset: number; marker: MarkerName } | NeedMore {
    if (q.length < MARKER_BYTES) return need(MARKER_BYTES - q.length);
    const offset = q.position;
    const value = dataView(q.peek(MARKER_BYTES)).getBigUint64(0);
    const name = VFIO_MARKER_NAMES.get(value);
    if (name === undefined) this.fail("ERR_WIRE_UNKNOWN_MARKER", `Unknown tag 0x${value.toString(16)}`, offset);
    q.skip(MARKER_BYTES);
    return { offset, marker: name };
  }

  private marker(q: ByteQueue, sectionId: number): MainRecord | NeedMore {
    if (q.length < MARKER_BYTES) return need(MARKER_BYTES - q.length);
    // DEV_DATA_STATE is read with its length in one step, so a bad length fails before the marker is consumed.
    const peeked = dataView(q.peek(MARKER_BYTES)).getBigUint64(0);
    if (peeked === VfioMarker.DEV_DATA_STATE) return this.dataHeader(q, sectionId);
    const got = this.readMarker(q);
    if ("type" in got) return got;
    switch (got.marker) {
      case "END_OF_STATE":
      case "DEV_INIT_DATA_SENT":
      case "DEV_CONFIG_LOAD_READY":
        this.state = { at: "footer", sectionId };
        break;
      case "DEV_SETUP_STATE":
        this.state = { at: "eos", sectionId, after: "SETUP STATE: EOS not found" };
        break;
      case "DEV_CONFIG_STATE":
        this.state = { at: "config", sectionId };
        break;
    }
    return { type: "marker", offset: got.offset, marker: got.marker };
  }

  private dataHeader(q: ByteQueue, sectionId: number): MainRecord | NeedMore {
    const total = 2 * MARKER_BYTES;
    if (q.length < total) return need(total - q.length);
    const offset = q.position;
    const length = dataView(q.peek(total)).getBigUint64(MARKER_BYTES);
    if (length > BigInt(this.maxPacketBytes)) {
      this.fail("ERR_WIRE_TOO_LARGE", `DEV_DATA_STATE chunk of ${length} bytes is over the bound of ${this.maxPacketBytes}`, offset + MARKER_BYTES);
    }
    q.skip(total);
    this.state = length === 0n ? { at: "payload", sectionId } : { at: "data", sectionId, remaining: Number(length) };
    return { type: "marker", offset, marker: "DEV_DATA_STATE", length: Number(length) };
  }

  private data(q: ByteQueue, s: { sectionId: number; remaining: number }): MainRecord | NeedMore {
    if (q.length === 0) return need(s.remaining);
    const offset = q.position;
    const bytes = q.takePiece(s.remaining);
    s.remaining -= bytes.length;
    if (s.remaining === 0) this.state = { at: "payload", sectionId: s.sectionId };
    return { type: "data", offset, bytes };
  }

  private configBlob(q: ByteQueue, sectionId: number): MainRecord | NeedMore {
    if (q.length < MARKER_BYTES) return need(MARKER_BYTES - q.length);
    const offset = q.position;
    const length = dataView(q.peek(MARKER_BYTES)).getBigUint64(0);
    if (length > BigInt(this.maxPacketBytes)) {
      this.fail("ERR_WIRE_TOO_LARGE", `config blob of ${length} bytes is over the bound of ${this.maxPacketBytes}`, offset);
    }
    const total = MARKER_BYTES + Number(length);
    if (q.length < total) return need(total - q.length);
    q.skip(MARKER_BYTES);
    const bytes = q.take(Number(length));
    this.state = { at: "eos", sectionId, after: "config state: end flag incorrect" };
    return { type: "config", offset, bytes };
  }

  private endOfState(q: ByteQueue, sectionId: number, message: string): MainRecord | NeedMore {
    if (q.length < MARKER_BYTES) return need(MARKER_BYTES - q.length);
    const offset = q.position;
    if (dataView(q.peek(MARKER_BYTES)).getBigUint64(0) !== VfioMarker.END_OF_STATE) this.fail("ERR_WIRE_EXPECTED_END_OF_STATE", message, offset);
    q.skip(MARKER_BYTES);
    this.state = { at: "footer", sectionId };
    return { type: "marker", offset, marker: "END_OF_STATE" };
  }

  private footer(q: ByteQueue, sectionId: number): MainRecord | NeedMore {
    if (q.length < 5) return need(5 - q.length);
    const offset = q.position;
    const view = dataView(q.peek(5));
    if (view.getUint8(0) !== SectionType.FOOTER) this.fail("ERR_WIRE_BAD_FOOTER", `missing section footer for section ${sectionId}`, offset);
    const got = view.getUint32(1);
    if (got !== sectionId) this.fail("ERR_WIRE_BAD_FOOTER", `section footer ${got} does not match section ${sectionId}`, offset + 1);
    q.skip(5);
    this.state = { at: "top", started: true };
    return { type: "footer", offset, sectionId };
  }

  private afterEof(q: ByteQueue): MainRecord | NeedMore {
    if (q.length < 1) return need(1);
    const offset = q.position;
    if (q.byteAt(0) !== SectionType.VMDESCRIPTION) this.fail("ERR_WIRE_TRAILING_BYTES", "bytes after EOF that are not a VM description", offset);
    const got = this.lengthDelimitedJson(q, MAX_VM_DESCRIPTION_BYTES, "VM description");
    if ("type" in got) return got;
    this.state = { at: "done" };
    return { type: "vmdescription", offset, json: got.json };
  }
}
