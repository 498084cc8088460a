// Reads every record of a main stream, QEMU's or ours, for `inspect`: the CONFIGURATION in either form,
// sections by what they are (`ram` through qemu-ram.ts, `*/vfio` through the engine's own VFIO payload
// parser, every other device through the VM description), every command with its data, EOF and the
// VM description. The engine's parser (decode-main.ts) accepts only what the engine speaks; this one
// lists everything. Records come out one at a time, so a stream of any size reads in bounded memory.
import type { ByteQueue } from "./byte-queue.js";
import { fromUtf8, parseJsonBytes } from "./bytes.js";
import { QEMU_VM_FILE_MAGIC, QEMU_VM_FILE_VERSION, SectionType } from "./constants.js";
import { MainStreamParser, type NeedMore } from "./decode-main.js";
import { CheckedMainReader, collectPayload } from "./inspect-checked.js";
import { checkOf } from "./main-check.js";
import { WireFormatError } from "./errors.js";
import { readConfiguration, type Configuration } from "./qemu-config.js";
import { Cursor, NEED_MORE } from "./qemu-cursor.js";
import { countRamRecord, emptyRamSummary, RamReader, type RamRecord, type RamSummary } from "./qemu-ram.js";
import { devicesByKey, VmstateReader, type VmDescription, type VmsdDevice, type VmstateValue } from "./qemu-vmstate.js";
import { readCommand, type CommandData } from "./qemu-command.js";

export type InspectMarker = { marker: "DEV_DATA_STATE"; length: number; crc32c: number } | { marker: string };

type SectionHead =
  | { type: "start" | "full"; sectionId: number; idstr: string; instanceId: number; version: number }
  | { type: "part" | "end"; sectionId: number };

export type InspectMainRecord =
  | (SectionHead & { markers: InspectMarker[] })
  /** A `ram` section: its byte range and what its records carried. */
  | (SectionHead & { offset: number; length: number; ram: RamSummary })
  /** A device section: its fields through the VM description, or null (and why) without one. */
  | (SectionHead & { offset: number; length: number; fields: { [name: string]: VmstateValue } | null; undecoded?: string })
  | ({ type: "configuration"; offset: number } & Configuration)
  | ({ type: "command"; command: string } & CommandData)
  | { type: "eof" }
  | { type: "vmdescription"; offset: number; length: number; devices: number };

export interface QemuMainReaderOptions {
  /** The VM description, read ahead from the stream's end; without it, device sections are found through footers. */
  description?: VmDescription;
  /** Bound on a VFIO DEV_DATA_STATE chunk or config blob. */
  maxPacketBytes: number;
  /** Called with every RAM record as it is read (its bytes are views: copy what is kept). */
  onRam?: (record: RamRecord) => void;
}

/** Bound on the VM description after EOF: analyze-migration.py reads it from the file's last 10 MB. */
export const MAX_INSPECT_DESCRIPTION_BYTES = 10 * 1024 * 1024;

const DEFAULT_PAGE_SIZE = 4096;
const FOOTER_BYTES = 5;
/** Bytes that may start a top-level record after a footer (EOF, a section, a command). */
const AFTER_FOOTER = new Set([SectionType.EOF, SectionType.START, SectionType.PART, SectionType.END, SectionType.FULL, SectionType.COMMAND]);

interface Section {
  idstr: string;
  instanceId: number;
  kind: "ram" | "vfio" | "device";
}

type Pending = { head: SectionHead; offset: number };

type State =
  | { at: "header" }
  | { at: "top" }
  | { at: "ram"; pending: Pending; ram: RamSummary }
  | { at: "vfio"; pending: Pending; markers: InspectMarker[]; data?: { marker: "DEV_DATA_STATE"; length: number; crc32c: number } }
  | { at: "device"; pending: Pending; device: VmsdDevice; reader: VmstateReader }
  /** No description for this section: its end is the next footer naming it. */
  | { at: "scan"; pending: Pending; sectionId: number }
  | { at: "footer"; sectionId: number; record: InspectMainRecord }
  | { at: "after-eof" }
  | { at: "done" };

export class QemuMainReader {
  private state: State = { at: "header" };
  private readonly sections = new Map<number, Section>();
  private readonly devices: Map<string, VmsdDevice>;
  private readonly vfio: MainStreamParser;
  private ram: RamReader | undefined;
  private configuration: Configuration | undefined;
  /** Set for our own streams with main-channel checks, until their EOF. */
  private checked: CheckedMainReader | undefined;

  constructor(private readonly options: QemuMainReaderOptions) {
    this.devices = options.description ? devicesByKey(options.description) : new Map();
    this.vfio = new MainStreamParser(options.maxPacketBytes);
  }

  private fail(code: string, message: string, offset: number, subject?: string): never {
    throw new WireFormatError(code, message, offset, subject);
  }

  /** True where the stream may end: after EOF (and the VM description, if any). */
  get complete(): boolean {
    return this.state.at === "after-eof" || this.state.at === "done";
  }

  get expecting(): string {
    if (this.checked && !this.checked.done) return this.checked.expecting;
    return this.state.at;
  }

  /** The next record, or need-more. `final`: no more bytes will be pushed. Throws WireFormatError for bad bytes. */
  next(q: ByteQueue, final = false): InspectMainRecord | NeedMore {
    if (this.checked && !this.checked.done) {
      const record = this.checked.next(q);
      if (this.checked.done) this.state = { at: "after-eof" };
      return record;
    }
    for (;;) {
      const c = new Cursor(q);
      try {
        const record = this.step(c, final);
        q.skip(c.at);
        if (record) return record;
      } catch (err) {
        if (err !== NEED_MORE) throw err;
        return { type: "need-more", needed: 1 };
      }
    }
  }

  /** Reads one piece at the cursor and moves the state on; returns a record when one is complete. */
  private step(c: Cursor, final: boolean): InspectMainRecord | undefined {
    const s = this.state;
    switch (s.at) {
      case "header":
        return this.header(c);
      case "top":
        return this.top(c, final);
      case "ram":
        return this.ramRecord(c, s);
      case "vfio":
        return this.vfioRecord(c, s);
      case "device": {
        const fields = s.reader.struct(c, s.device);
        return this.sectionDone(s.pending, c, { fields });
      }
      case "scan":
        return this.scan(c, s, final);
      case "footer":
        return this.footer(c, s, final);
      case "after-eof":
        return this.afterEof(c);
      case "done":
        if (c.available > 0) this.fail("ERR_WIRE_TRAILING_BYTES", "bytes after the VM description", c.offset);
        throw NEED_MORE;
    }
  }

  private header(c: Cursor): undefined {
    const magic = c.u32();
    if (magic !== QEMU_VM_FILE_MAGIC) this.fail("ERR_WIRE_BAD_MAGIC", `stream magic 0x${magic.toString(16)}, expected 0x5145564d`, 0);
    const version = c.u32();
    if (version !== QEMU_VM_FILE_VERSION) this.fail("ERR_WIRE_BAD_VERSION", `stream version ${version}, expected ${QEMU_VM_FILE_VERSION}`, 4);
    this.state = { at: "top" };
    return undefined;
  }

  private top(c: Cursor, final: boolean): InspectMainRecord | undefined {
    const offset = c.offset;
    const type = c.u8();
    switch (type) {
      case SectionType.CONFIGURATION: {
        this.configuration = readConfiguration(c, final);
        if (this.configuration.form === "json" && checkOf(this.configuration.json, offset + 5)) {
          // Our stream with main-channel checks: the engine's parser reads (and verifies) it up to EOF.
          this.vfio.resumeAfterConfiguration(this.configuration.json, offset + 5);
          this.checked = new CheckedMainReader(this.vfio);
        }
        return { type: "configuration", offset, ...this.configuration };
      }
      case SectionType.START:
      case SectionType.FULL: {
        const sectionId = c.u32();
        const idstrAt = c.offset;
        const idstr = fromUtf8(c.bytes(c.u8()));
        if (idstr === undefined) this.fail("ERR_WIRE_BAD_IDSTR", "section idstr is not UTF-8", idstrAt);
        const instanceId = c.u32();
        const version = c.u32();
        const kind = idstr === "ram" ? "ram" : idstr.endsWith("/vfio") ? "vfio" : "device";
        this.sections.set(sectionId, { idstr, instanceId, kind });
        const head: SectionHead = { type: type === SectionType.START ? "start" : "full", sectionId, idstr, instanceId, version };
        this.enter(head, offset);
        return undefined;
      }
      case SectionType.PART:
      case SectionType.END: {
        const sectionId = c.u32();
        if (!this.sections.has(sectionId)) this.fail("ERR_WIRE_UNKNOWN_SECTION_ID", `section ${sectionId} was never started`, offset + 1);
        this.enter({ type: type === SectionType.PART ? "part" : "end", sectionId }, offset);
        return undefined;
      }
      case SectionType.COMMAND:
        return { type: "command", ...readCommand(c) };
      case SectionType.EOF:
        this.state = { at: "after-eof" };
        return { type: "eof" };
      default:
        return this.fail("ERR_WIRE_UNKNOWN_SECTION", `unknown or misplaced section type 0x${type.toString(16)}`, offset);
    }
  }

  /** Moves into a section's payload by what the section is. */
  private enter(head: SectionHead, offset: number): void {
    const section = this.sections.get(head.sectionId)!;
    const pending = { head, offset };
    if (section.kind === "ram") {
      this.ram ??= new RamReader({ pageSize: this.pageSize(), ignoreShared: this.hasCapability("x-ignore-shared") });
      this.state = { at: "ram", pending, ram: emptyRamSummary() };
    } else if (section.kind === "vfio") {
      this.vfio.enterPayload(head.sectionId);
      this.state = { at: "vfio", pending, markers: [] };
    } else {
      const device = this.devices.get(`${section.idstr}\0${section.instanceId}`);
      this.state = device
        ? { at: "device", pending, device, reader: new VmstateReader(section.idstr) }
        : { at: "scan", pending, sectionId: head.sectionId };
    }
  }

  private pageSize(): number {
    if (this.options.description?.page_size) return this.options.description.page_size;
    const bits = this.configuration?.form === "qemu" ? this.configuration.targetPageBits : undefined;
    return bits ? 2 ** bits : DEFAULT_PAGE_SIZE;
  }

  private hasCapability(name: string): boolean {
    return this.configuration?.form === "qemu" && (this.configuration.capabilities ?? []).includes(name);
  }

  private ramRecord(c: Cursor, s: { pending: Pending; ram: RamSummary }): InspectMainRecord | undefined {
    const record = this.ram!.read(c);
    this.options.onRam?.(record);
    countRamRecord(s.ram, record);
    return record.kind === "eos" ? this.sectionDone(s.pending, c, { ram: s.ram }) : undefined;
  }

  /** One record of the engine's VFIO payload parser, which reads straight from the queue. */
  private vfioRecord(c: Cursor, s: Extract<State, { at: "vfio" }>): InspectMainRecord | undefined {
    const record = this.vfio.next(c.q);
    if (record.type === "need-more") throw NEED_MORE;
    collectPayload(s, record);
    return this.vfio.expecting === "footer" ? this.sectionDone(s.pending, c, { markers: s.markers }, false) : undefined;
  }

  /** Without a description: the section ends at the next footer naming it that a top-level record follows. */
  private scan(c: Cursor, s: { pending: Pending; sectionId: number }, final: boolean): InspectMainRecord | undefined {
    const q = c.q;
    for (let i = 0; i + FOOTER_BYTES < q.length || (final && i + FOOTER_BYTES === q.length); i++) {
      if (q.byteAt(i) !== SectionType.FOOTER) continue;
      const id = ((q.byteAt(i + 1) << 24) | (q.byteAt(i + 2) << 16) | (q.byteAt(i + 3) << 8) | q.byteAt(i + 4)) >>> 0;
      const after = i + FOOTER_BYTES < q.length ? q.byteAt(i + FOOTER_BYTES) : undefined;
      if (id !== s.sectionId || (after !== undefined && !AFTER_FOOTER.has(after))) continue;
      c.skip(i);
      const reason = this.options.description ? "the VM description has no entry for this section" : "no VM description";
      return this.sectionDone(s.pending, c, { fields: null, undecoded: reason });
    }
    // Keep the last bytes, which may begin a footer; the rest is this section's.
    const keep = Math.min(q.length, FOOTER_BYTES);
    if (final) this.fail("ERR_WIRE_TRUNCATED", `no footer ends section ${s.sectionId}, whose fields cannot be read without a VM description`, s.pending.offset);
    c.skip(q.length - keep);
    if (c.at > 0) return undefined;
    throw NEED_MORE;
  }

  /** A section's payload is read: its optional footer follows, then its record. */
  private sectionDone(pending: Pending, c: Cursor, payload: object, withRange = true): undefined {
    const { head, offset } = pending;
    const range = withRange ? { offset, length: c.offset - offset } : {};
    const record = { ...head, ...range, ...payload } as InspectMainRecord;
    this.state = { at: "footer", sectionId: head.sectionId, record };
    return undefined;
  }

  private footer(c: Cursor, s: { sectionId: number; record: InspectMainRecord }, final: boolean): InspectMainRecord {
    const next = c.peekByte();
    if (next === undefined && !final) throw NEED_MORE;
    if (next === SectionType.FOOTER) {
      c.u8();
      const at = c.offset;
      const id = c.u32();
      if (id !== s.sectionId) this.fail("ERR_WIRE_BAD_FOOTER", `section footer ${id} does not match section ${s.sectionId}`, at);
    } else if (this.sections.get(s.sectionId)?.kind === "vfio") {
      // Our streams always carry footers: the engine's parser requires them, and so does this reader on VFIO sections.
      this.fail("ERR_WIRE_BAD_FOOTER", `missing section footer for section ${s.sectionId}`, c.offset);
    }
    this.state = { at: "top" };
    return s.record;
  }

  private afterEof(c: Cursor): InspectMainRecord {
    const offset = c.offset;
    const type = c.u8();
    if (type !== SectionType.VMDESCRIPTION) this.fail("ERR_WIRE_TRAILING_BYTES", "bytes after EOF that are not a VM description", offset);
    const length = c.u32();
    if (length > MAX_INSPECT_DESCRIPTION_BYTES) {
      this.fail("ERR_WIRE_TOO_LARGE", `VM description of ${length} bytes is over the bound of ${MAX_INSPECT_DESCRIPTION_BYTES}`, offset + 1);
    }
    const parsed = parseJsonBytes(c.bytes(length));
    if (!parsed.ok) this.fail("ERR_WIRE_BAD_JSON", "VM description is not UTF-8 JSON", offset + 5);
    const devices = (parsed.value as { devices?: unknown[] })?.devices;
    this.state = { at: "done" };
    return { type: "vmdescription", offset, length, devices: Array.isArray(devices) ? devices.length : 0 };
  }
}
