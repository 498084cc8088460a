// The source half of QEMU's `savevm_vfio_handlers` (hw/vfio/migration.c) for one device.
import {
  DATA_STATE_HEADER_BYTES,
  encodeConfigState,
  SectionType,
  VfioMarker,
  writeDataStateHeader,
  writeMarker,
  writeSectionFooter,
  writeSectionPart,
  writeSectionStart,
  sectionStartBytes,
} from "../codec/index.js";
import { setDeviceState } from "../device/index.js";
import { DeviceState, MigrationFlags } from "../fsm/states.js";
import { VfioMigrationError, named } from "../errors.js";
import { CHUNK_HEADROOM, type MainWriter } from "./main-writer.js";
import { DEVICE_CHUNK_BYTES, UNKNOWN_STOP_COPY_SIZE } from "./options.js";
import type { VmStateChangeHandler } from "./runstate.js";
import type { TracedDevice } from "./trace.js";

const VFIO_SECTION_VERSION = 1;
const FOOTER_BYTES = 5;
const MARKER_BYTES = 8;

const inPrecopy = (s: DeviceState): boolean => s === DeviceState.PRE_COPY || s === DeviceState.PRE_COPY_P2P;

export class VfioSaveHandler implements VmStateChangeHandler {
  readonly device: TracedDevice;
  readonly sectionId: number;
  readonly #switchoverAck: boolean;
  /** Cached `VFIO_MIG_GET_PRECOPY_INFO` figures (`precopy_init_size`, `precopy_dirty_size`). */
  #precopyInit = 0;
  #precopyDirty = 0;
  #initialDataSent = false;
  /** `data_buffer_size`: min(1 MiB, stop-copy size). */
  #chunkBytes = DEVICE_CHUNK_BYTES;
  /** Device data bytes sent (DEV_DATA_STATE payloads). */
  bytes = 0;

  constructor(device: TracedDevice, sectionId: number, switchoverAck: boolean) {
    this.device = device;
    this.sectionId = sectionId;
    this.#switchoverAck = switchoverAck;
  }

  get initialDataSent(): boolean {
    return this.#initialDataSent;
  }

  /** `vfio_save_setup`: START section with DEV_SETUP_STATE; RUNNING -> PRE_COPY when supported. */
  async saveSetup(w: MainWriter): Promise<void> {
    const d = this.device;
    const size = d.stopCopySize();
    this.#chunkBytes = Math.min(DEVICE_CHUNK_BYTES, size ?? DEVICE_CHUNK_BYTES);
    if (this.#chunkBytes <= 0) {
      throw new VfioMigrationError("ERR_SAVE_SETUP", named(d.name, "Failed to allocate migration data buffer (stop-copy size 0)"));
    }
    const header = { type: SectionType.START, sectionId: this.sectionId, idstr: d.name, instanceId: d.instanceId, version: VFIO_SECTION_VERSION } as const;
    w.putWith(sectionStartBytes(header), (t, o) => writeSectionStart(t, o, header));
    w.putWith(MARKER_BYTES, (t, o) => writeMarker(t, o, VfioMarker.DEV_SETUP_STATE));
    if (d.flags & MigrationFlags.PRE_COPY && d.state === DeviceState.RUNNING) {
      await setDeviceState(d, DeviceState.PRE_COPY);
      this.#queryPrecopy();
    } else if (d.state !== DeviceState.STOP && d.state !== DeviceState.RUNNING) {
      throw new VfioMigrationError("ERR_SAVE_SETUP", named(d.name, `cannot start saving in state ${DeviceState[d.state]}`));
    }
    this.#endSection(w, VfioMarker.END_OF_STATE);
  }

  /** `vfio_state_pending_estimate`: cached initial + dirty bytes, only in pre-copy. */
  pendingEstimate(): number {
    return inPrecopy(this.device.state) ? this.#precopyInit + this.#precopyDirty : 0;
  }

  /** `vfio_state_pending_exact`: the stop-copy size (100 GiB if unknown); refreshes the pre-copy info without adding it. */
  pendingExact(): number {
    if (inPrecopy(this.device.state)) this.#queryPrecopy();
    return this.device.stopCopySize() ?? UNKNOWN_STOP_COPY_SIZE;
  }

  /** `vfio_is_active_iterate`. */
  isActiveIterate(): boolean {
    return inPrecopy(this.device.state);
  }

  /**
   * `vfio_save_iterate`: one PART section with at most one chunk; DEV_INIT_DATA_SENT replaces
   * END_OF_STATE once, when switchover-ack is on and the initial bytes are all sent. Returns the
   * bytes of device data it sent.
   */
  async saveLiveIterate(w: MainWriter): Promise<number> {
    w.putWith(5, (t, o) => writeSectionPart(t, o, SectionType.PART, this.sectionId));
    const n = await this.#sendBlock(w);
    if (n === 0) {
      this.#precopyInit = 0;
      this.#precopyDirty = 0;
    } else {
      const fromInit = Math.min(n, this.#precopyInit);
      this.#precopyInit -= fromInit;
      this.#precopyDirty = Math.max(0, this.#precopyDirty - (n - fromInit));
    }
    let marker: VfioMarker = VfioMarker.END_OF_STATE;
    if (this.#switchoverAck && this.#precopyInit === 0 && !this.#initialDataSent) {
      marker = VfioMarker.DEV_INIT_DATA_SENT;
      this.#initialDataSent = true;
      this.device.mark("DEV_INIT_DATA_SENT");
    }
    this.#endSection(w, marker);
    return n;
  }

  /** `vfio_save_complete_precopy` (main channel): STOP_COPY, chunks until a 0-byte read, END_OF_STATE. */
  async saveComplete(w: MainWriter, multifd: boolean): Promise<void> {
    w.putWith(5, (t, o) => writeSectionPart(t, o, SectionType.END, this.sectionId));
    if (!multifd) {
      await this.enterStopCopy();
      while ((await this.#sendBlock(w)) > 0);
    }
    this.#endSection(w, VfioMarker.END_OF_STATE);
  }

  /** The start of `save_complete_precopy_thread`: STOP_COPY (recover STOP) before the multifd save worker reads. */
  async enterStopCopy(): Promise<void> {
    await setDeviceState(this.device, DeviceState.STOP_COPY, { recover: DeviceState.STOP });
  }

  /** `vfio_save_state`: a FULL section with the config blob (main channel) or only END_OF_STATE (multifd). */
  async saveState(w: MainWriter, multifd: boolean): Promise<void> {
    const d = this.device;
    const header = { type: SectionType.FULL, sectionId: this.sectionId, idstr: d.name, instanceId: d.instanceId, version: VFIO_SECTION_VERSION } as const;
    const config = multifd ? undefined : encodeConfigState(d.saveConfig());
    // Units: header, then marker, length, blob, END_OF_STATE (or END_OF_STATE alone), footer; each may carry a check.
    const size = sectionStartBytes(header) + (config?.length ?? MARKER_BYTES) + FOOTER_BYTES + (config ? 6 : 3) * w.checkBytes;
    if (size > w.stageCapacity) throw new VfioMigrationError("ERR_CONFIG_BLOB_TOO_LARGE", named(d.name, `config blob of ${config?.length} bytes does not fit the main channel's 64 KiB staging area`));
    if (size > w.stageRoom) await w.flush();
    w.putWith(sectionStartBytes(header), (t, o) => writeSectionStart(t, o, header));
    if (config) {
      // One unit per field the destination reads as one: marker, length, blob, END_OF_STATE.
      const blobEnd = config.length - MARKER_BYTES;
      for (const [from, to] of [[0, MARKER_BYTES], [MARKER_BYTES, 2 * MARKER_BYTES], [2 * MARKER_BYTES, blobEnd], [blobEnd, config.length]]) w.put(config.subarray(from, to));
    } else w.putWith(MARKER_BYTES, (t, o) => writeMarker(t, o, VfioMarker.END_OF_STATE));
    w.putWith(FOOTER_BYTES, (t, o) => writeSectionFooter(t, o, this.sectionId));
  }

  /** `vfio_save_cleanup`, after completion and outside the downtime window: STOP_COPY -> STOP. */
  async saveCleanup(): Promise<void> {
    // QEMU's vfio_migration_set_state_or_reset: no recover state, a failure resets the device.
    if (this.device.state === DeviceState.STOP_COPY) await setDeviceState(this.device, DeviceState.STOP, { recover: DeviceState.ERROR });
  }

  /** `vfio_vmstate_change_prepare`, registered only for P2P devices. */
  async prepare(): Promise<void> {
    if (!(this.device.flags & MigrationFlags.P2P)) return;
    await setDeviceState(this.device, this.device.state === DeviceState.PRE_COPY ? DeviceState.PRE_COPY_P2P : DeviceState.RUNNING_P2P);
  }

  /** `vfio_vmstate_change`: RUNNING on start; on stop STOP_COPY from pre-copy, else STOP. */
  async change(running: boolean): Promise<void> {
    const next = running ? DeviceState.RUNNING : inPrecopy(this.device.state) ? DeviceState.STOP_COPY : DeviceState.STOP;
    await setDeviceState(this.device, next);
  }

  /** `vfio_save_block`: reads one chunk and sends it as DEV_DATA_STATE; 0 at the end of data. */
  async #sendBlock(w: MainWriter): Promise<number> {
    const buffer = await w.acquire();
    const n = await this.device.read(buffer.bytes.subarray(CHUNK_HEADROOM, CHUNK_HEADROOM + this.#chunkBytes));
    if (n > 0) {
      await w.sendChunk(buffer, n, DATA_STATE_HEADER_BYTES, (t, o) => writeDataStateHeader(t, o, n));
      this.bytes += n;
    }
    return n;
  }

  #queryPrecopy(): void {
    const info = this.device.precopyInfo();
    this.#precopyInit = info.initialBytes;
    this.#precopyDirty = info.dirtyBytes;
  }

  #endSection(w: MainWriter, marker: VfioMarker): void {
    w.putWith(MARKER_BYTES, (t, o) => writeMarker(t, o, marker));
    w.putWith(FOOTER_BYTES, (t, o) => writeSectionFooter(t, o, this.sectionId));
  }
}
