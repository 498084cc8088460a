import {
  decodeMultifdConfigData, DEVICE_STATE_DATA_OFFSET, ReorderError, VFIO_CONFIG_FLAG, VFIO_HEADER_BYTES, WireFormatError,
  type CodecInstance, type ReorderIndex,
} from "../../codec/index.js";
import type { Clock } from "../../clock.js";
import type { MigratableDevice } from "../../device/types.js";
import { MultifdError, type MultifdPlace } from "./errors.js";
import { Wakeup } from "./wakeup.js";

/** Where a device's load stands: "starved" = its worker waits for the next idx to arrive. */
export type LoadPhase = "queued" | "loading" | "starved" | "done" | "failed";

export interface DeviceLoadProgress {
  device: string;
  instanceId: number;
  phase: LoadPhase;
  /** The next idx the worker writes. */
  nextIdx: number;
  queuedPackets: number;
  /** Data bytes queued (without headers), QEMU's `load_buf_queued_pending_buffers_size`. */
  queuedBytes: number;
  writtenBytes: number;
  /** Time the worker spent starved. */
  starvedMs: number;
}

/** What a device's load worker needs from the receiver. */
export interface LoadContext {
  readonly instance: CodecInstance;
  slotOffset(slot: number): number;
  /** Name of the channel a queued slot's packet came from. */
  slotChannel(slot: number): string;
  /** Data bytes (without the VFIO header) of the packet queued in a slot. */
  slotDataLength(slot: number): number;
  /** Returns a written slot to the pool and its data bytes to the queue bound. */
  release(slot: number, dataLength: number): void;
  /** Told whenever a device's load phase changes (e.g. to "starved"). */
  onPhase?(progress: DeviceLoadProgress): void;
  /** The receiver's failure, if any: workers stop with it. */
  failure(place: MultifdPlace): Error | undefined;
  /** Times starved spells. */
  readonly clock: Clock;
}

/**
 * One device's side of multifd reassembly (QEMU's `load_bufs`, `load_state_buffer` and load thread):
 * packets are queued by idx in a WASM reorder index, and the worker writes them to the device
 * strictly in idx order, then loads the config packet.
 */
export class DeviceLoad {
  readonly device: MigratableDevice;
  /**
   * Notified when a packet for this device is queued and on failure: what the worker waits for
   * while starved (one wake-up per arrival for its own device, not one per packet on any channel).
   */
  readonly changed = new Wakeup();
  private readonly context: LoadContext;
  private readonly index: ReorderIndex;
  private configIdx: number | undefined;
  private highestDataIdx = -1;
  private phase: LoadPhase = "queued";
  private queuedBytes = 0;
  private writtenBytes = 0;
  private receivedBytes = 0;
  private receivedPackets = 0;
  private starvedMs = 0;
  /** The next packet while it is still landing (no checksum): its slot and data bytes landed so far. */
  private arriving: { slot: number; idx: number; landed: number } | undefined;
  /** Data bytes of the next packet already written to the device. */
  private written = 0;

  constructor(device: MigratableDevice, context: LoadContext, index: ReorderIndex) {
    this.device = device;
    this.context = context;
    this.index = index;
  }

  /** True when `idx` is the packet the worker writes next: it must never wait behind the queue bound. */
  isNext(idx: number): boolean {
    return idx === this.index.next;
  }

  /**
   * Refuses a packet that can never be loaded: a second config packet or data after the config
   * packet (duplicates are the reorder index's to refuse). Called when the packet's header arrives and again when it is
   * queued (another channel may have queued a conflicting packet meanwhile).
   */
  check(idx: number, vfioFlags: number, channel: string): void {
    const place = { device: this.device.name, channel, idx };
    if (vfioFlags & VFIO_CONFIG_FLAG) {
      if (this.configIdx !== undefined) {
        throw new MultifdError("ERR_MULTIFD_SECOND_CONFIG", `second config packet; the config packet was idx ${this.configIdx}`, place);
      }
      if (idx < this.highestDataIdx) {
        throw new MultifdError("ERR_MULTIFD_DATA_AFTER_CONFIG", `config packet before data packet idx ${this.highestDataIdx}`, place);
      }
    } else if (this.configIdx !== undefined && idx > this.configIdx) {
      throw new MultifdError("ERR_MULTIFD_DATA_AFTER_CONFIG", `data packet after the config packet idx ${this.configIdx}`, place);
    }
  }

  /**
   * `landed` data bytes of data packet `idx` are in `slot` and its headers passed the scan, but it is
   * not complete. If it is the packet the worker writes next, the worker writes what has landed now,
   * while it is in the cache, and the rest once the packet is queued.
   */
  landing(slot: number, idx: number, landed: number, channel: string): void {
    if (idx !== this.index.next) return;
    // A second packet with this idx on another channel is a duplicate: the first one keeps the device.
    if (this.arriving && this.arriving.idx === idx && this.arriving.slot !== slot) return;
    this.check(idx, 0, channel);
    this.arriving = { slot, idx, landed };
    this.changed.notify();
  }

  /** Queues a complete packet held in `slot` (QEMU's `vfio_multifd_load_state_buffer`). */
  enqueue(slot: number, idx: number, vfioFlags: number, dataLength: number, channel: string): void {
    this.check(idx, vfioFlags, channel);
    try {
      this.index.record(idx, slot);
    } catch (error) {
      if (!(error instanceof ReorderError)) throw error;
      throw new MultifdError(error.code, error.message, { device: this.device.name, channel, idx }, { cause: error });
    }
    if (vfioFlags & VFIO_CONFIG_FLAG) this.configIdx = idx;
    else this.highestDataIdx = Math.max(this.highestDataIdx, idx);
    this.queuedBytes += dataLength;
    this.receivedBytes += VFIO_HEADER_BYTES + dataLength;
    this.receivedPackets++;
  }

  /**
   * The load worker (QEMU's `vfio_load_bufs_thread`): writes buffers strictly in idx order, waits
   * ("starved") while the next one is missing, then loads the config packet's blob.
   */
  async run(): Promise<void> {
    const { context, device } = this;
    const memory = context.instance.bytes;
    try {
      for (;;) {
        const idx = this.index.next;
        const failure = context.failure({ device: device.name, idx });
        if (failure) throw failure;
        if (this.index.run() === 0) {
          const arriving = this.arriving;
          if (arriving && arriving.idx === idx && arriving.landed > this.written) {
            const from = context.slotOffset(arriving.slot) + DEVICE_STATE_DATA_OFFSET;
            this.enter("loading");
            const landed = arriving.landed;
            await device.write(memory.subarray(from + this.written, from + landed));
            this.written = landed;
            continue;
          }
          this.enter("starved");
          const since = context.clock.now();
          await this.changed.wait();
          this.starvedMs += context.clock.now() - since;
          continue;
        }
        this.enter("loading");
        const slot = this.index.handle(idx);
        const start = context.slotOffset(slot);
        const dataLength = context.slotDataLength(slot);
        // What landed of it before it was complete has been written already.
        const data = memory.subarray(start + DEVICE_STATE_DATA_OFFSET + this.written, start + DEVICE_STATE_DATA_OFFSET + dataLength);
        if (idx === this.configIdx) {
          await this.loadConfig(data, { device: device.name, channel: context.slotChannel(slot), idx });
          this.finishWrite(slot, dataLength);
          this.enter("done");
          return;
        }
        // The device consumes the bytes before write() resolves; the slot is reused after that.
        if (data.length > 0) await device.write(data);
        this.writtenBytes += dataLength;
        this.finishWrite(slot, dataLength);
      }
    } catch (error) {
      this.enter("failed");
      throw error;
    }
  }

  private enter(phase: LoadPhase): void {
    if (this.phase === phase) return;
    this.phase = phase;
    this.context.onPhase?.(this.progress());
  }

  private finishWrite(slot: number, dataLength: number): void {
    this.arriving = undefined;
    this.written = 0;
    this.index.advance(1);
    this.queuedBytes -= dataLength;
    this.context.release(slot, dataLength);
  }

  private async loadConfig(data: Uint8Array, place: MultifdPlace): Promise<void> {
    let blob: Uint8Array;
    try {
      blob = decodeMultifdConfigData(data);
    } catch (error) {
      if (!(error instanceof WireFormatError)) throw error;
      throw new MultifdError(error.code, error.message, place, { cause: error });
    }
    // A copy: the device may keep its config, and the slot is reused.
    await this.device.loadConfig(blob.slice());
  }

  progress(): DeviceLoadProgress {
    return {
      device: this.device.name,
      instanceId: this.device.instanceId,
      phase: this.phase,
      nextIdx: this.index.next,
      queuedPackets: this.index.queued,
      queuedBytes: this.queuedBytes,
      writtenBytes: this.writtenBytes,
      starvedMs: this.starvedMs,
    };
  }

  traffic(): { device: string; instanceId: number; bytes: number; packets: number } {
    return { device: this.device.name, instanceId: this.device.instanceId, bytes: this.receivedBytes, packets: this.receivedPackets };
  }

  /** Every packet up to and including the config packet has arrived (some may still be unwritten). */
  hasAllPackets(): boolean {
    return this.configIdx !== undefined && this.index.next + this.index.run() > this.configIdx;
  }

  isDone(): boolean {
    return this.phase === "done";
  }
}
