import {
  DEVICE_STATE_DATA_OFFSET, MAX_CHECKSUM_BYTES, type ChecksumOption, DEVICE_STATE_HEADER_BYTES, DEVICE_STATE_IDSTR_BYTES, DEVICE_STATE_IDSTR_OFFSET,
  MultifdScanner, packetIdstr, ReorderIndex, reorderStateBytes, scanResultsBytes, VFIO_HEADER_BYTES,
  type ScannedPacket,
} from "../../codec/index.js";
import { realClock, type Clock } from "../../clock.js";
import type { MigratableDevice } from "../../device/types.js";
import type { Channel } from "../../transport/types.js";
import { cancelled, MultifdError, type MultifdPlace } from "./errors.js";
import type { ChannelTraffic } from "./lanes.js";
import { DeviceLoad, type DeviceLoadProgress, type LoadContext } from "./load.js";
import { checkPool, checkSize, DEFAULT_MAX_CHUNK_BYTES, DEFAULT_MAX_QUEUED_BYTES, deviceKey, type DeviceTraffic } from "./options.js";
import { Arena, SlotPool } from "./pool.js";
import { Wakeup } from "./wakeup.js";

export interface MultifdReceiveOptions {
  /** Devices whose stop-copy state and config arrive over multifd (all in RESUMING). */
  devices: readonly MigratableDevice[];
  /** The migration's other devices: a packet for one is "not doing multifd transfer", not unknown. */
  otherDevices?: readonly MigratableDevice[];
  /** Number of multifd channels that will be added. */
  channels: number;
  /** The CHECKSUM extension's negotiated algorithm (`true`: CRC32C). */
  checksum?: ChecksumOption;
  /** Largest packet data the sender may send (its `maxChunkBytes`); bounds next_packet_size. */
  maxChunkBytes?: number;
  /**
   * Bound on packet data queued for load workers. Readers stop reading while it is reached, except
   * for the packet a device's worker needs next (docs/wire-format.md, "Queue bound").
   */
  maxQueuedBytes?: number;
  /** Packets a device may run ahead of its next unwritten idx (a multiple of 32). */
  reorderWindow?: number;
  /** Told whenever a device's load worker changes phase, e.g. to "starved" while its next idx is missing. */
  onPhase?: (progress: DeviceLoadProgress) => void;
  /** Times the load workers' starved spells (default the real clock). */
  clock?: Clock;
}

/** What the receiver took in, per channel and per device. */
export interface MultifdReceiveReport {
  channels: ChannelTraffic[];
  devices: Array<DeviceTraffic & { starvedMs: number }>;
}

const DEFAULT_REORDER_WINDOW = 65536;

/**
 * The destination half of multifd device-state transfer. Channels are added as they are accepted
 * (after their hello); packets are read into pooled slots of WASM memory, checked by the WASM
 * scanner, routed by (idstr, instance_id) and queued by idx until `switchoverStart()` starts one
 * load worker per device. `finished()` settles when every device has loaded its config.
 */
export class MultifdReceiver {
  private readonly options: Required<Omit<MultifdReceiveOptions, "otherDevices" | "onPhase" | "clock">>;
  private readonly arena: Arena;
  private readonly pool: SlotPool;
  private readonly scanner: MultifdScanner;
  private readonly loads = new Map<string, DeviceLoad>();
  private readonly others = new Set<string>();
  private readonly changed = new Wakeup();
  private readonly slotChannels: string[];
  private readonly queueSlots: number;
  private readonly channels: Array<{ channel: Channel; traffic: ChannelTraffic; ended: boolean }> = [];
  private readonly tasks = new Set<Promise<void>>();
  private queuedBytes = 0;
  private queuedPackets = 0;
  private failed: Error | undefined;
  private closing = false;
  private workers: Promise<void>[] | undefined;
  private readonly done: Promise<MultifdReceiveReport>;
  private settle!: { resolve(report: MultifdReceiveReport): void; reject(error: Error): void };

  constructor(options: MultifdReceiveOptions) {
    const maxChunkBytes = options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES;
    this.options = {
      devices: options.devices,
      channels: options.channels,
      checksum: options.checksum ?? false,
      maxChunkBytes,
      maxQueuedBytes: options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
      reorderWindow: options.reorderWindow ?? DEFAULT_REORDER_WINDOW,
    };
    const { devices, channels, maxQueuedBytes, reorderWindow } = this.options;
    for (const [name, value] of [["maxChunkBytes", maxChunkBytes], ["maxQueuedBytes", maxQueuedBytes], ["channels", channels], ["reorderWindow", reorderWindow]] as const) {
      checkSize(name, value);
    }
    const slotBytes = DEVICE_STATE_DATA_OFFSET + maxChunkBytes + MAX_CHECKSUM_BYTES;
    // One slot per channel to read into, the queue's share, and one per device so that every
    // device's next packet finds a slot even when the queue is full before switchover.
    this.queueSlots = Math.max(1, Math.ceil(maxQueuedBytes / maxChunkBytes));
    const slots = channels + this.queueSlots + devices.length;
    const poolBytes = SlotPool.regionBytes(slotBytes, slots);
    checkPool(poolBytes, `maxQueuedBytes ${maxQueuedBytes} and maxChunkBytes ${maxChunkBytes}`);
    const indexBytes = reorderStateBytes(reorderWindow);
    this.arena = new Arena([poolBytes, scanResultsBytes(1), ...devices.map(() => indexBytes)]);
    this.pool = new SlotPool(this.arena, slotBytes, slots);
    this.slotChannels = new Array<string>(slots).fill("");
    const { instance } = this.arena;
    this.scanner = new MultifdScanner(instance, {
      results: this.arena.take(scanResultsBytes(1)),
      maxRecords: 1,
      maxPayloadBytes: VFIO_HEADER_BYTES + maxChunkBytes,
      checksum: this.options.checksum,
    });
    const context: LoadContext = {
      instance,
      changed: this.changed,
      slotOffset: (slot) => this.pool.offset(slot),
      slotChannel: (slot) => this.slotChannels[slot],
      release: (slot, dataLength) => {
        this.queuedBytes -= dataLength;
        this.queuedPackets--;
        this.pool.release(slot);
        this.changed.notify();
      },
      failure: (place) => (this.failed ? this.stopError(place) : undefined),
      onPhase: options.onPhase,
      clock: options.clock ?? realClock,
    };
    for (const device of devices) {
      const key = deviceKey(device.name, device.instanceId);
      const index = new ReorderIndex(instance, this.arena.take(indexBytes), reorderWindow);
      this.loads.set(key, new DeviceLoad(device, context, index));
    }
    for (const device of options.otherDevices ?? []) this.others.add(deviceKey(device.name, device.instanceId));
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // finished() may be awaited late or never (a failure before switchover): no unhandled rejection.
    this.done.catch(() => undefined);
  }

  /** Starts reading a multifd channel whose hello has been checked; `streamOffset` counts the hello. */
  addChannel(channel: Channel, streamOffset = 0): void {
    if (this.failed || this.closing) {
      channel.destroy(this.failed ?? new MultifdError("ERR_MULTIFD_EXTRA_CHANNEL", "multifd channel added after the receiver closed", { channel: channel.name }));
      return;
    }
    if (this.channels.length >= this.options.channels) {
      const error = new MultifdError("ERR_MULTIFD_EXTRA_CHANNEL", `more than the ${this.options.channels} multifd channels negotiated`, { channel: channel.name });
      channel.destroy(error);
      this.fail(error);
      return;
    }
    const entry = { channel, traffic: { channel: channel.name, bytes: 0, packets: 0 }, ended: false };
    this.channels.push(entry);
    this.track(this.readChannel(entry, streamOffset));
  }

  /** MIG_CMD_SWITCHOVER_START arrived: start one load worker per device (a second call is a no-op). */
  switchoverStart(): void {
    if (this.workers || this.failed) return;
    this.workers = [...this.loads.values()].map((load) => {
      const worker = load.run();
      this.track(worker);
      return worker;
    });
    Promise.all(this.workers).then(
      () => this.settle.resolve(this.report()),
      () => undefined,
    );
  }

  /** Settles once every device's load worker has loaded its config; rejects with the first failure. */
  finished(): Promise<MultifdReceiveReport> {
    return this.done;
  }

  /** Cancels: destroys the channels, ends the workers; `finished()` rejects once all have stopped. */
  abort(reason?: unknown): void {
    const error = cancelled({}, reason);
    // After a clean finish there is nothing to fail, but the readers must still stop.
    for (const entry of this.channels) if (!entry.ended) entry.channel.destroy(error);
    this.fail(error);
  }

  /**
   * Ends the receiver's part. After a clean `finished()` it ends our (unused) sending direction of
   * every channel, so each connection closes fully once the source has ended its own; nothing the
   * readers see after every device finished is reported (the device state is loaded). After a
   * failure it waits for every reader and worker to stop, then rejects with the failure.
   */
  async close(): Promise<void> {
    this.closing = true;
    if (!this.failed) {
      await Promise.allSettled(this.channels.map((entry) => entry.channel.end()));
      return;
    }
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
    throw this.failed;
  }

  progress(): DeviceLoadProgress[] {
    return [...this.loads.values()].map((load) => load.progress());
  }

  report(): MultifdReceiveReport {
    return {
      channels: this.channels.map((entry) => ({ ...entry.traffic })),
      devices: [...this.loads.values()].map((load) => ({ ...load.traffic(), starvedMs: load.progress().starvedMs })),
    };
  }

  private track(task: Promise<void>): void {
    const tracked = task.catch((error: unknown) => this.fail(error));
    this.tasks.add(tracked);
    void tracked.finally(() => this.tasks.delete(tracked));
  }

  private fail(error: unknown): void {
    if (this.failed || this.allDone()) return;
    this.failed = error instanceof Error ? error : new Error(String(error));
    for (const entry of this.channels) entry.channel.destroy(this.failed);
    this.changed.notify();
    this.pool.released.notify();
    // Reject only once every reader and worker has stopped: no promise is left pending.
    const failure = this.failed;
    const settleAll = async () => {
      while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
      this.settle.reject(failure);
    };
    void settleAll();
  }

  private stopError(place: MultifdPlace): Error {
    const failed = this.failed as Error;
    return failed instanceof MultifdError && failed.code === "ERR_MULTIFD_CANCELLED" ? cancelled(place, failed.cause) : failed;
  }

  private allDone(): boolean {
    return [...this.loads.values()].every((load) => load.isDone());
  }

  /** One channel's reader: a packet at a time into a pool slot, scanner-driven exact reads. */
  private async readChannel(entry: { channel: Channel; traffic: ChannelTraffic; ended: boolean }, streamOffset: number): Promise<void> {
    const { channel, traffic } = entry;
    const memory = this.arena.instance.bytes;
    const stop = () => (this.failed ? this.stopError({ channel: channel.name }) : undefined);
    for (;;) {
      const slot = await this.pool.acquire(stop);
      const start = this.pool.offset(slot);
      let packet: ScannedPacket | undefined;
      let have = 0;
      try {
        while (!packet) {
          const summary = this.scan(start, have, streamOffset, channel.name);
          if (summary.count === 1) {
            packet = this.scanner.packet(0);
            break;
          }
          const got = await readFull(channel, memory.subarray(start + have, start + have + summary.needed));
          if (got < summary.needed) {
            if (have + got === 0) {
              entry.ended = true;
              this.pool.release(slot);
              this.channelEnded();
              return;
            }
            throw new MultifdError("ERR_MULTIFD_TRUNCATED", `channel ended inside a packet, ${have + got} bytes into it`, { channel: channel.name });
          }
          have += got;
        }
        streamOffset += packet.wireLength;
        traffic.bytes += packet.wireLength;
        traffic.packets++;
        await this.queuePacket(slot, packet, channel.name);
      } catch (error) {
        this.pool.release(slot);
        throw error;
      }
    }
  }

  /** One scanner call over what has been read of the packet; a bad packet throws, naming what it can. */
  private scan(start: number, have: number, streamOffset: number, channel: string): { count: number; needed: number } {
    const summary = this.scanner.scan(start, have, streamOffset);
    if (summary.stop !== "error" && (summary.count === 1 || summary.needed > 0)) return summary;
    const error = summary.error ?? new MultifdError("ERR_MULTIFD_SCAN", "scanner stopped without a packet or a need", { channel });
    // Name the device and idx when the bad packet's header got that far.
    const memory = this.arena.instance.bytes;
    const place: MultifdPlace = { channel };
    if (have >= DEVICE_STATE_HEADER_BYTES && memory[start + DEVICE_STATE_IDSTR_OFFSET + DEVICE_STATE_IDSTR_BYTES - 1] === 0) {
      place.device = packetIdstr(memory, start);
    }
    if (have >= DEVICE_STATE_DATA_OFFSET) place.idx = new DataView(memory.buffer).getUint32(start + DEVICE_STATE_HEADER_BYTES + 4);
    throw new MultifdError((error as MultifdError).code, error.message, place, { cause: error });
  }

  /** Routes a complete packet to its device and queues it, waiting while the queue bound is reached. */
  private async queuePacket(slot: number, packet: ScannedPacket, channel: string): Promise<void> {
    const memory = this.arena.instance.bytes;
    const idstr = packetIdstr(memory, this.pool.offset(slot));
    const key = deviceKey(idstr, packet.instanceId);
    const load = this.loads.get(key);
    const place = { device: idstr, channel, idx: packet.idx };
    if (!load) {
      if (this.others.has(key)) throw new MultifdError("ERR_MULTIFD_NOT_MULTIFD", "got device state packet but not doing multifd transfer", place);
      throw new MultifdError("ERR_MULTIFD_UNKNOWN_DEVICE", `unknown device (instance ${packet.instanceId})`, place);
    }
    const dataLength = packet.payloadLength - VFIO_HEADER_BYTES;
    load.check(packet.idx, packet.vfioFlags, channel);
    // The queue bound: stop reading this channel (hold the packet) while the queue is full, unless
    // this is the packet its device's worker needs next, which may never wait (no deadlock).
    for (;;) {
      const failure = this.failed && this.stopError(place);
      if (failure) throw failure;
      if (load.isNext(packet.idx)) break;
      if (this.queuedBytes + dataLength <= this.options.maxQueuedBytes && this.queuedPackets < this.queueSlots) break;
      await this.changed.wait();
    }
    load.enqueue(slot, packet.idx, packet.vfioFlags, dataLength, channel);
    this.slotChannels[slot] = channel;
    this.queuedBytes += dataLength;
    this.queuedPackets++;
    this.changed.notify();
  }

  private channelEnded(): void {
    const open = this.channels.filter((entry) => !entry.ended).length;
    if (open > 0 || this.channels.length < this.options.channels || this.allDone()) return;
    const missing = [...this.loads.values()].filter((load) => !load.isDone()).map((load) => load.device.name);
    // Workers may still be writing what has arrived; fail only if some device lacks packets.
    const incomplete = [...this.loads.values()].filter((load) => !load.hasAllPackets());
    if (incomplete.length === 0) return;
    this.fail(new MultifdError("ERR_MULTIFD_INCOMPLETE", `every multifd channel ended before all device state arrived (${missing.join(", ")})`, {}));
  }
}

/** Reads until `target` is full or the channel ends; returns the bytes read. */
async function readFull(channel: Channel, target: Uint8Array): Promise<number> {
  let got = 0;
  while (got < target.length) {
    const n = await channel.read(target.subarray(got));
    if (n === 0) break;
    got += n;
  }
  return got;
}
