// The kernel's mtty sample (samples/vfio-mdev/mtty.c) as a device: a 24-byte header offered as
// the only initial pre-copy data, the port registers appended in STOP_COPY, and the resume-side
// checks of mtty_resume_write() and mtty_load_state(), with the same quirks.
import { crc32c } from "../../codec/crc32c.js";
import { DeviceState as S, MigrationFlags } from "../../fsm/states.js";
import { arcEffect, checkArc, isPrecopyState, isSavingState } from "../arcs.js";
import { DeviceError } from "../errors.js";
import type { MigratableDevice, PrecopyInfo } from "../types.js";
import { CONFIG_SPACE_BYTES, HEADER_BYTES, PORT_BYTES, MAX_FIFO_SIZE, configSpace, headerProblem, mttyDataSize, writeHeader } from "./layout.js";
import { UartPort } from "./uart.js";

export interface MttyDeviceOptions {
  /** Id string on the wire. Default `0000:00:06.0/vfio`. */
  name?: string;
  instanceId?: number;
  /** 1 (mtty type "1", single port) or 2 (dual port). Default 1. */
  ports?: 1 | 2;
}

/** An mtty_migration_file: the raw struct mtty_data, its filled size and the file position. */
interface MigrationFile {
  readonly data: Uint8Array;
  filled: number;
  pos: number;
}

export class MttyDevice implements MigratableDevice {
  readonly name: string;
  readonly instanceId: number;
  /** mtty_init_dev(): STOP_COPY | P2P | PRE_COPY. */
  readonly flags = MigrationFlags.STOP_COPY | MigrationFlags.P2P | MigrationFlags.PRE_COPY;
  readonly nrPorts: number;
  private current = S.RUNNING;
  /** mdev_state->s[]: the ports' struct serial_port, back to back. */
  private readonly ports: Uint8Array;
  private config: Uint8Array;
  private saving: MigrationFile | undefined;
  private resuming: MigrationFile | undefined;

  constructor(options: MttyDeviceOptions = {}) {
    this.name = options.name ?? "0000:00:06.0/vfio";
    this.instanceId = options.instanceId ?? 0;
    const ports = options.ports ?? 1;
    if (ports !== 1 && ports !== 2) throw new DeviceError("ERR_DEVICE_OPTIONS", this.name, `mtty has 1 or 2 ports, not ${String(ports)}`);
    this.nrPorts = ports;
    this.ports = new Uint8Array(PORT_BYTES * ports);
    for (let i = 0; i < ports; i++) this.ports[i * PORT_BYTES + 33] = MAX_FIFO_SIZE; // s[i].max_fifo_size
    this.config = configSpace(ports);
  }

  get state(): S {
    return this.current;
  }

  /** The guest's I/O port access to port `index` (BAR0 or BAR1): UART registers 0..7. */
  port(index: number): UartPort {
    if (!Number.isInteger(index) || index < 0 || index >= this.nrPorts) throw new RangeError(`${this.name}: no port ${index}`);
    return new UartPort(this.ports.subarray(index * PORT_BYTES, (index + 1) * PORT_BYTES));
  }

  /** mtty_step_state() for one arc. */
  async setState(next: S): Promise<void> {
    const from = this.current;
    checkArc(this.name, this.flags, from, next);
    if (next === from) return;
    switch (arcEffect(from, next)) {
      case "open-saving":
        this.saving = this.newSaveFile(next === S.STOP_COPY);
        break;
      case "close-saving":
        this.saving = undefined;
        break;
      case "open-resuming":
        this.resuming = { data: new Uint8Array(mttyDataSize(this.nrPorts)), filled: 0, pos: 0 };
        break;
      case "close-resuming":
        this.loadState();
        this.resuming = undefined;
        break;
      case "none":
        // PRE_COPY_P2P -> STOP_COPY appends the ports to the open file (mtty_save_state()).
        if (next === S.STOP_COPY && this.saving) this.appendPorts(this.saving);
        break;
    }
    this.current = next;
  }

  /** mtty_save_read(): whatever is filled and not yet read; 0 once all of it was read. */
  async read(buf: Uint8Array): Promise<number> {
    const file = this.saving;
    if (!file || !isSavingState(this.current)) throw this.wrongState("read the saving stream");
    const len = Math.min(file.filled - file.pos, buf.length);
    buf.set(file.data.subarray(file.pos, file.pos + len));
    file.pos += len;
    return len;
  }

  /** mtty_resume_write(), including its quirk: a bad header is stored and counted, then refused. */
  async write(bytes: Uint8Array): Promise<void> {
    const file = this.resuming;
    if (!file || this.current !== S.RESUMING) throw this.wrongState("write the resuming stream");
    if (file.pos + bytes.length > file.data.length) {
      throw new DeviceError("ERR_DEVICE_DATA_OVERFLOW", this.name, `write of ${bytes.length} at ${file.pos} exceeds the ${file.data.length}-byte mtty state`);
    }
    file.data.set(bytes, file.pos);
    file.pos += bytes.length;
    let problem: string | undefined;
    if (file.filled < HEADER_BYTES && file.filled + bytes.length >= HEADER_BYTES) problem = headerProblem(file.data, this.nrPorts);
    file.filled += bytes.length;
    if (problem) throw new DeviceError("ERR_DEVICE_DATA_CORRUPT", this.name, `mtty header failed validation: ${problem}`);
  }

  /** mtty_precopy_ioctl(): initial_bytes = filled - pos, dirty_bytes = 0. */
  precopyInfo(): PrecopyInfo {
    if (!this.saving || !isPrecopyState(this.current)) throw this.wrongState("report pre-copy info");
    return { initialBytes: this.saving.filled - this.saving.pos, dirtyBytes: 0 };
  }

  /** mtty_get_data_size(): always the whole struct, whatever was read. */
  stopCopySize(): number {
    return mttyDataSize(this.nrPorts);
  }

  saveConfig(): Uint8Array {
    return this.config.slice();
  }

  async loadConfig(blob: Uint8Array): Promise<void> {
    if (this.current !== S.RESUMING) throw this.wrongState("load a config");
    if (blob.length !== CONFIG_SPACE_BYTES) {
      throw new DeviceError("ERR_DEVICE_CONFIG", this.name, `config space of ${blob.length} bytes, mtty has ${CONFIG_SPACE_BYTES}`);
    }
    this.config = blob.slice();
  }

  /** mtty_reset(): state RUNNING and the files disabled; the port registers are kept. */
  async reset(): Promise<void> {
    this.saving = undefined;
    this.resuming = undefined;
    this.current = S.RUNNING;
  }

  /** CRC32C of the ports' registers, then of the config space. */
  digest(): string {
    const crc = crc32c(this.config, crc32c(this.ports));
    return `crc32c:${crc.toString(16).padStart(8, "0")}`;
  }

  private newSaveFile(withPorts: boolean): MigrationFile {
    const file = { data: new Uint8Array(mttyDataSize(this.nrPorts)), filled: HEADER_BYTES, pos: 0 };
    writeHeader(file.data, this.nrPorts);
    if (withPorts) this.appendPorts(file);
    return file;
  }

  private appendPorts(file: MigrationFile): void {
    file.data.set(this.ports, HEADER_BYTES);
    file.filled += this.ports.length;
  }

  /** mtty_load_state(): the magic and version were checked on write; here only the size. */
  private loadState(): void {
    const file = this.resuming!;
    const need = mttyDataSize(this.nrPorts);
    if (file.filled < need) {
      throw new DeviceError("ERR_DEVICE_DATA_SHORT", this.name, `expected ${need} bytes of mtty state, got ${file.filled}`);
    }
    this.ports.set(file.data.subarray(HEADER_BYTES, need));
  }

  private wrongState(what: string): DeviceError {
    return new DeviceError("ERR_DEVICE_WRONG_STATE", this.name, `cannot ${what} in state ${S[this.current]}`);
  }
}
