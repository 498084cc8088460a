import type { DeviceState } from "../fsm/states.js";

/** `VFIO_MIG_GET_PRECOPY_INFO`: valid only in PRE_COPY and PRE_COPY_P2P. */
export interface PrecopyInfo {
  /** Initial pre-copy bytes still to read; falls to 0 as they are read. */
  readonly initialBytes: number;
  /** State changed since it was last read; rises while the device runs. */
  readonly dirtyBytes: number;
}

/**
 * The device contract: the TypeScript face of the VFIO migration uAPI (v2). The library talks to
 * devices only through it; implement it to migrate your own device.
 */
export interface MigratableDevice {
  /** The id string on the wire, e.g. `0000:00:04.0/vfio`. */
  readonly name: string;
  /** Instance id on the wire, normally 0. */
  readonly instanceId: number;
  /** `MigrationFlags` bits this device supports (STOP_COPY is mandatory). */
  readonly flags: number;
  /** The current `DeviceState`. */
  readonly state: DeviceState;
  /**
   * Takes one arc of the state machine (`VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE` with an adjacent
   * state: the hop `nextState()` gives). Opens and closes the saving and resuming data streams on
   * the uAPI's arcs. On failure it rejects and the device may be left in its old state or in ERROR.
   * Multi-arc transitions go through `setDeviceState()`, which walks the path and recovers.
   */
  setState(next: DeviceState): Promise<void>;
  /**
   * Reads the saving stream into `buf` and resolves with the byte count. In STOP_COPY a 0-byte read
   * is the permanent end; in PRE_COPY* a 0-byte read is a temporary end (no data right now).
   */
  read(buf: Uint8Array): Promise<number>;
  /** Appends to the resuming stream (RESUMING only); any segmentation is allowed. */
  write(bytes: Uint8Array): Promise<void>;
  /** Pre-copy sizes; throws unless the device is in PRE_COPY or PRE_COPY_P2P. */
  precopyInfo(): PrecopyInfo;
  /** `VFIO_DEVICE_FEATURE_MIG_DATA_SIZE`: estimated STOP_COPY bytes, or undefined if unknown. */
  stopCopySize(): number | undefined;
  /** The device's config state (QEMU's PCI config VMState), saved after the data in stop-copy. */
  saveConfig(): Uint8Array;
  /** Loads a config blob saved by the source's `saveConfig()`; called while RESUMING, after the data. */
  loadConfig(blob: Uint8Array): Promise<void>;
  /** Device reset: back to RUNNING from any state, ERROR included, discarding any data stream. */
  reset(): Promise<void>;
  /**
   * Optional: a digest of the device's whole state now (data and config), so a migration can prove
   * byte equality. Compare the source's, taken once its STOP_COPY data was read, with the
   * destination's, taken once all data and the config were written (in RESUMING, or after
   * RESUMING -> STOP) and before it runs: a running device changes its state.
   */
  digest?(): string;
}
