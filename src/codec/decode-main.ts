// Incremental parser of a main channel (a savevm stream carrying VFIO sections), accepting what
// QEMU's qemu_loadvm_state and vfio_load_state accept, plus our extensions (docs/wire-format.md).
// Every header is checked by the WASM core (assembly/main-wire.ts); the state machine is here.
import type { ByteQueue } from "./byte-queue.js";
import { fromUtf8, parseJsonBytes } from "./bytes.js";
import {
  COMMAND_LENGTHS, FILE_HEADER_BYTES, MainCommand, MARKER_BYTES, MAX_CONFIGURATION_BYTES, MAX_VM_DESCRIPTION_BYTES,
  QEMU_VM_FILE_VERSION, SectionType, VFIO_MARKER_NAMES, type VfioMarkerName,
} from "./constants.js";
import { WireFormatError } from "./errors.js";
import { checkOf, type RunningCheck } from "./main-check.js";
import { HEADER_ERROR_CODES, headerArea, HeaderError, MAX_HEADER_BYTES, outU64, readQueued, type HeaderArea } from "./wire-wasm.js";

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
  /** The config blob's bytes, after its checked length. */
  | { at: "config-blob"; sectionId: number; offset: number; length: number }
  /** The check after a DEV_DATA_STATE chunk's data (our integrity extension). */
  | { at: "data-check"; sectionId: number }
  | { at: "footer"; sectionId: number }
  | { at: "after-eof" }
  | { at: "done" };

/** What `next` returns when the queued bytes do not hold the next record: how many more it needs. */
export type NeedMore = { type: "need-more"; needed: number };

const need = (needed: number): NeedMore => ({ type: "need-more", needed });

export class MainStreamParser {
  private state: State = { at: "header" };
  private readonly sections = new Set<number>();
  /** Our integrity extension, on from the CONFIGURATION that asks for it until EOF. */
  private check: RunningCheck | undefined;

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

  /**
   * Reads the VFIO payload of section `sectionId` whose header another reader consumed (the inspector,
   * which reads every section kind): it is done when `expecting` turns to "footer".
   */
  enterPayload(sectionId: number): void {
    this.sections.add(sectionId);
    this.state = { at: "payload", sectionId };
  }

  /**
   * Continues a stream whose header and CONFIGURATION another reader consumed (the inspector), with the
   * checks that CONFIGURATION turned on.
   */
  resumeAfterConfiguration(configuration: unknown, offset: number): void {
    this.check = checkOf(configuration, offset, this.subject);
    this.state = { at: "top", started: true };
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
        return this.configLength(q, s.sectionId);
      case "config-blob":
        return this.configBlob(q, s);
      case "data-check":
        return this.dataCheck(q, s.sectionId);
      case "footer":
        return this.footer(q, s.sectionId);
      case "after-eof":
        return this.afterEof(q);
      case "done":
        if (q.length > 0) this.fail("ERR_WIRE_TRAILING_BYTES", "bytes after the end of the stream", q.position);
        return need(0);
    }
  }

  /**
   * Runs a WASM header reader (assembly/main-wire.ts) on up to `max` queued bytes: the header's
   * length, or need-more; a bad header throws with `describe`'s message at the field's offset.
   * With checks on, the header's check must follow it and match before anything acts on the
   * header: the length returned then includes the check, and the caller consumes it at once.
   */
  private read(
    q: ByteQueue,
    max: number,
    read: (wasm: HeaderArea, avail: number) => number,
    describe: (error: HeaderError, out: Uint32Array) => string,
  ): number | NeedMore {
    const result = readQueued(q, max, read);
    const { out } = headerArea();
    if (result > 0) return this.verify(q, result) ?? result + (this.check?.bytes ?? 0);
    if (result === 0) return need(out[0]);
    return this.fail(HEADER_ERROR_CODES[-result], describe(-result, out), q.position + out[0]);
  }

  /**
   * With checks on: need-more until the `covered` bytes at the queue's head and their check are
   * there, then covers them and throws unless the check matches. Undefined once it matched (or
   * with checks off); the caller must then consume the bytes and the check before asking again.
   */
  private verify(q: ByteQueue, covered: number): NeedMore | undefined {
    const check = this.check;
    if (!check) return undefined;
    const total = covered + check.bytes;
    if (q.length < total) return need(total - q.length);
    const bytes = q.peek(total);
    check.update(bytes.subarray(0, covered));
    const expected = new Uint8Array(check.bytes);
    check.write(expected, 0);
    if (expected.some((b, i) => b !== bytes[covered + i])) {
      const found = Array.from(bytes.subarray(covered), (b) => b.toString(16).padStart(2, "0")).join("");
      this.fail("ERR_WIRE_CHECKSUM_MISMATCH", `main-channel ${check.algorithm} check ${found} does not match the stream's ${check.hex}`, q.position + covered);
    }
    return undefined;
  }

  private header(q: ByteQueue): MainRecord | NeedMore {
    const offset = q.position;
    const got = this.read(
      q,
      FILE_HEADER_BYTES,
      (wasm, avail) => wasm.exports.readFileHeader(wasm.at, avail, wasm.outPtr),
      (error, out) =>
        error === HeaderError.FILE_MAGIC ? `stream magic 0x${out[1].toString(16)}, expected 0x5145564d` : `stream version ${out[2]}, expected ${QEMU_VM_FILE_VERSION}`,
    );
    if (typeof got !== "number") return got;
    const version = headerArea().out[2];
    q.skip(got);
    this.state = { at: "top", started: false };
    return { type: "header", offset, version };
  }

  /** The body of `u8 type | be32 len | len bytes` of JSON, whose header a reader checked. */
  private jsonBody(q: ByteQueue, length: number, what: string): { offset: number; json: unknown } | NeedMore {
    if (q.length < 5 + length) return need(5 + length - q.length);
    const offset = q.position;
    q.skip(5);
    const parsed = parseJsonBytes(q.take(length));
    if (!parsed.ok) this.fail("ERR_WIRE_BAD_JSON", `${what} is not UTF-8 JSON`, offset + 5);
    return { offset, json: parsed.value };
  }

  private top(q: ByteQueue, started: boolean): MainRecord | NeedMore {
    const offset = q.position;
    const got = this.read(
      q,
      MAX_HEADER_BYTES,
      (wasm, avail) => wasm.exports.readTopLevel(wasm.at, avail, started ? 1 : 0, MAX_CONFIGURATION_BYTES, wasm.outPtr),
      topError,
    );
    if (typeof got !== "number") return got;
    const { out, bytes, at } = headerArea();
    const type = out[1] as SectionType;
    switch (type) {
      case SectionType.CONFIGURATION: {
        const body = this.jsonBody(q, out[2], "CONFIGURATION");
        if ("type" in body) return body;
        this.check = checkOf(body.json, offset + 5, this.subject);
        this.state = { at: "top", started: true };
        return { type: "configuration", offset, json: body.json };
      }
      case SectionType.START:
      case SectionType.FULL: {
        const [, , sectionId, idstrLength, instanceId, version] = out;
        const idstr = fromUtf8(bytes.subarray(at + 6, at + 6 + idstrLength));
        if (idstr === undefined) this.fail("ERR_WIRE_BAD_IDSTR", "section idstr is not UTF-8", offset + 6);
        q.skip(got);
        this.sections.add(sectionId);
        this.state = { at: "payload", sectionId };
        return { type: type === SectionType.START ? "start" : "full", offset, sectionId, idstr, instanceId, version };
      }
      case SectionType.PART:
      case SectionType.END: {
        const sectionId = out[2];
        if (!this.sections.has(sectionId)) this.fail("ERR_WIRE_UNKNOWN_SECTION_ID", `section ${sectionId} was never started`, offset + 1);
        q.skip(got);
        this.state = { at: "payload", sectionId };
        return { type: type === SectionType.PART ? "part" : "end", offset, sectionId };
      }
      case SectionType.COMMAND: {
        const [, , command, length, value] = out;
        q.skip(got);
        this.state = { at: "top", started: true };
        const name = MainCommand[command] as keyof typeof MainCommand;
        return length === 4 ? { type: "command", offset, command: name, value } : { type: "command", offset, command: name };
      }
      default:
        q.skip(got);
        // EOF is the last unit checked: what may follow (a VM description) is not device state.
        this.check = undefined;
        this.state = { at: "after-eof" };
        return { type: "eof", offset };
    }
  }

  private marker(q: ByteQueue, sectionId: number): MainRecord | NeedMore {
    const offset = q.position;
    // DEV_DATA_STATE is read with its length in one step, so a bad length fails before the marker is consumed.
    const got = this.read(
      q,
      2 * MARKER_BYTES,
      (wasm, avail) => wasm.exports.readMarker(wasm.at, avail, this.maxPacketBytes, wasm.outPtr),
      (error, out) =>
        error === HeaderError.UNKNOWN_MARKER
          ? `Unknown tag 0x${outU64(out, 2).toString(16)}`
          : `DEV_DATA_STATE chunk of ${outU64(out, 2)} bytes is over the bound of ${this.maxPacketBytes}`,
    );
    if (typeof got !== "number") return got;
    const { out } = headerArea();
    const marker = MARKER_BY_FLAG[out[1]];
    const length = out[2];
    q.skip(got);
    switch (marker) {
      case "DEV_DATA_STATE":
        this.state = length === 0 ? { at: "payload", sectionId } : { at: "data", sectionId, remaining: length };
        return { type: "marker", offset, marker, length };
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
    return { type: "marker", offset, marker };
  }

  private data(q: ByteQueue, s: { sectionId: number; remaining: number }): MainRecord | NeedMore {
    if (q.length === 0) return need(s.remaining);
    const offset = q.position;
    const bytes = q.takePiece(s.remaining);
    // Pieces are delivered before the chunk's check arrives: a mismatch fails the stream at the check.
    this.check?.update(bytes);
    s.remaining -= bytes.length;
    if (s.remaining === 0) this.state = this.check ? { at: "data-check", sectionId: s.sectionId } : { at: "payload", sectionId: s.sectionId };
    return { type: "data", offset, bytes };
  }

  private dataCheck(q: ByteQueue, sectionId: number): MainRecord | NeedMore {
    const pending = this.verify(q, 0);
    if (pending) return pending;
    q.skip(this.check!.bytes);
    this.state = { at: "payload", sectionId };
    return this.next(q);
  }

  private configLength(q: ByteQueue, sectionId: number): MainRecord | NeedMore {
    const offset = q.position;
    const got = this.read(
      q,
      MARKER_BYTES,
      (wasm, avail) => wasm.exports.readConfigLength(wasm.at, avail, this.maxPacketBytes, wasm.outPtr),
      (_error, out) => `config blob of ${outU64(out, 2)} bytes is over the bound of ${this.maxPacketBytes}`,
    );
    if (typeof got !== "number") return got;
    const length = headerArea().out[2];
    q.skip(got);
    this.state = { at: "config-blob", sectionId, offset, length };
    return this.next(q);
  }

  private configBlob(q: ByteQueue, s: { sectionId: number; offset: number; length: number }): MainRecord | NeedMore {
    if (q.length < s.length) return need(s.length - q.length);
    const pending = this.verify(q, s.length);
    if (pending) return pending;
    const bytes = q.take(s.length);
    if (this.check) q.skip(this.check.bytes);
    this.state = { at: "eos", sectionId: s.sectionId, after: "config state: end flag incorrect" };
    return { type: "config", offset: s.offset, bytes };
  }

  private endOfState(q: ByteQueue, sectionId: number, message: string): MainRecord | NeedMore {
    const offset = q.position;
    const got = this.read(q, MARKER_BYTES, (wasm, avail) => wasm.exports.readEndOfState(wasm.at, avail, wasm.outPtr), () => message);
    if (typeof got !== "number") return got;
    q.skip(got);
    this.state = { at: "footer", sectionId };
    return { type: "marker", offset, marker: "END_OF_STATE" };
  }

  private footer(q: ByteQueue, sectionId: number): MainRecord | NeedMore {
    const offset = q.position;
    const got = this.read(
      q,
      FOOTER_BYTES,
      (wasm, avail) => wasm.exports.readFooter(wasm.at, avail, sectionId, wasm.outPtr),
      (error, out) =>
        error === HeaderError.FOOTER_MISSING ? `missing section footer for section ${sectionId}` : `section footer ${out[2]} does not match section ${sectionId}`,
    );
    if (typeof got !== "number") return got;
    q.skip(got);
    this.state = { at: "top", started: true };
    return { type: "footer", offset, sectionId };
  }

  private afterEof(q: ByteQueue): MainRecord | NeedMore {
    const offset = q.position;
    const got = this.read(
      q,
      5,
      (wasm, avail) => wasm.exports.readVmDescription(wasm.at, avail, MAX_VM_DESCRIPTION_BYTES, wasm.outPtr),
      (error, out) =>
        error === HeaderError.TRAILING_BYTES
          ? "bytes after EOF that are not a VM description or COMMIT"
          : error === HeaderError.UNKNOWN_COMMAND
            ? `command ${out[2]} after EOF, only COMMIT (${MainCommand.COMMIT}) may come there`
            : error === HeaderError.COMMAND_LENGTH
              ? `COMMIT has length ${out[3]}, expected 0`
              : `VM description of ${out[2]} bytes is over the bound of ${MAX_VM_DESCRIPTION_BYTES}`,
    );
    if (typeof got !== "number") return got;
    if (headerArea().out[1] === SectionType.COMMAND) {
      // Our commit protocol's last word (docs/wire-format.md 5.5): nothing may follow it.
      q.skip(got);
      this.state = { at: "done" };
      return { type: "command", offset, command: "COMMIT" };
    }
    const body = this.jsonBody(q, headerArea().out[2], "VM description");
    if ("type" in body) return body;
    this.state = { at: "done" };
    return { type: "vmdescription", offset, json: body.json };
  }
}

const FOOTER_BYTES = 5;

/** Marker names by their flag (the low byte of the be64). */
const MARKER_BY_FLAG: readonly MarkerName[] = (() => {
  const names: MarkerName[] = [];
  for (const [value, name] of VFIO_MARKER_NAMES) names[Number(value & 0xffn)] = name;
  return names;
})();

function topError(error: HeaderError, out: Uint32Array): string {
  switch (error) {
    case HeaderError.UNEXPECTED_SECTION:
      return "CONFIGURATION is allowed only right after the stream header";
    case HeaderError.TOO_LARGE:
      return `CONFIGURATION of ${out[2]} bytes is over the bound of ${MAX_CONFIGURATION_BYTES}`;
    case HeaderError.UNKNOWN_COMMAND:
      return `unknown command ${out[2]}`;
    case HeaderError.UNSUPPORTED_COMMAND:
      return `command ${MainCommand[out[2]]} is not supported (postcopy and COLO are out of scope)`;
    case HeaderError.COMMAND_LENGTH:
      return `command ${MainCommand[out[2]]} has length ${out[3]}, expected ${COMMAND_LENGTHS.get(out[2])}`;
    default:
      return `unknown or misplaced section type 0x${out[1].toString(16)}`;
  }
}
