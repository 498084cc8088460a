import {
  CheckAhead, CHECK_AHEAD_BYTES, checksumAlgorithm, DEVICE_STATE_DATA_OFFSET, VFIO_CONFIG_FLAG, MAX_CHECKSUM_BYTES, type ChecksumOption, DEVICE_STATE_IDSTR_OFFSET,
  MultifdScanner, packetHeader, packetIdstr, ReorderIndex, reorderStateBytes, scanResultsBytes, VFIO_HEADER_BYTES,
  type ScannedPacket,
} from "../../codec/index.js";
import { realClock, type Clock } from "../../clock.js";
import type { MigratableDevice } from "../../device/types.js";
import type { Channel } from "../../transport/types.js";
import { cancelled, MultifdError, type MultifdPlace } from "./errors.js";
import { PeerClosedError } from "../errors.js";
import { ChannelIntake, minWireBytes, type IntakeHost } from "./intake.js";
import type { ChannelTraffic } from "./lanes.js";
import { DeviceLoad, type DeviceLoadProgress, type LoadContext } from "./load.js";
import { checkPool, checkSize, DEFAULT_MAX_CHUNK_BYTES, DEFAULT_MAX_QUEUED_BYTES, deviceKey, type DeviceTraffic } from "./options.js";
import { Arena, SlotPool } from "./pool.js";

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
  private readonly slotChannels: string[];
  /** Data bytes of the packet queued in each slot. */
  private readonly slotDataLengths: Uint32Array;
  private readonly queueSlots: number;
  private readonly intakes: ChannelIntake[] = [];
  private readonly intakeHost: IntakeHost;
  private readonly checkStates: CheckAhead[];
  /** Each device's routing key as the packet carries it: instance id and NUL-terminated idstr bytes. */
  private readonly routes: Array<{ instanceId: number; idstr: Uint8Array; load: DeviceLoad }> = [];
  private retryTurn = 0;
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
    // Room for the largest packet and the head of the next one, read with it (see ChannelIntake).
    const minWire = minWireBytes(this.options.checksum);
    const slotBytes = DEVICE_STATE_DATA_OFFSET + maxChunkBytes + MAX_CHECKSUM_BYTES + minWire;
    // One slot per channel to read into, the queue's share, and one per device so that every
    // device's next packet finds a slot even when the queue is full before switchover.
    this.queueSlots = Math.max(1, Math.ceil(maxQueuedBytes / maxChunkBytes));
    const slots = channels + this.queueSlots + devices.length;
    const poolBytes = SlotPool.regionBytes(slotBytes, slots);
    checkPool(poolBytes, `maxQueuedBytes ${maxQueuedBytes} and maxChunkBytes ${maxChunkBytes}`);
    const indexBytes = reorderStateBytes(reorderWindow);
    // Each channel's check state: the checksum runs over a packet's bytes as they land (ChannelIntake).
    this.arena = new Arena([poolBytes, scanResultsBytes(1), ...devices.map(() => indexBytes), ...Array.from({ length: channels }, () => CHECK_AHEAD_BYTES)]);
    this.pool = new SlotPool(this.arena, slotBytes, slots);
    this.slotChannels = new Array<string>(slots).fill("");
    this.slotDataLengths = new Uint32Array(slots);
    const { instance } = this.arena;
    this.scanner = new MultifdScanner(instance, {
      results: this.arena.take(scanResultsBytes(1)),
      maxRecords: 1,
      maxPayloadBytes: VFIO_HEADER_BYTES + maxChunkBytes,
      checksum: this.options.checksum,
    });
    const context: LoadContext = {
      instance,
      slotOffset: (slot) => this.pool.offset(slot),
      slotChannel: (slot) => this.slotChannels[slot],
      slotDataLength: (slot) => this.slotDataLengths[slot],
      release: (slot, dataLength) => {
        this.queuedBytes -= dataLength;
        this.queuedPackets--;
        this.pool.release(slot);
        this.retryIntakes();
      },
      failure: (place) => (this.failed ? this.stopError(place) : undefined),
      onPhase: options.onPhase,
      clock: options.clock ?? realClock,
    };
    for (const device of devices) {
      const key = deviceKey(device.name, device.instanceId);
      const index = new ReorderIndex(instance, this.arena.take(indexBytes), reorderWindow);
      const load = new DeviceLoad(device, context, index);
      this.loads.set(key, load);
      this.routes.push({ instanceId: device.instanceId >>> 0, idstr: utf8.encode(`${device.name}\0`), load });
    }
    this.checkStates = Array.from({ length: channels }, () => new CheckAhead(instance, this.arena.take(CHECK_AHEAD_BYTES)));
    this.intakeHost = {
      memory: instance.bytes,
      pool: this.pool,
      scanner: this.scanner,
      minWireBytes: minWire,
      deliver: (slot, packet, channel) => this.deliver(slot, packet, channel),
      // Only without a checksum: a checked packet reaches the device only once its check passed.
      landing: checksumAlgorithm(this.options.checksum) !== "none" ? undefined : (slot, have, channel) => this.landing(slot, have, channel),
      ended: () => this.channelEnded(),
      failed: (error) => this.fail(error),
    };
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
    if (this.intakes.length >= this.options.channels) {
      const error = new MultifdError("ERR_MULTIFD_EXTRA_CHANNEL", `more than the ${this.options.channels} multifd channels negotiated`, { channel: channel.name });
      channel.destroy(error);
      this.fail(error);
      return;
    }
    const intake = new ChannelIntake(this.intakeHost, channel, streamOffset, this.checkStates[this.intakes.length]);
    this.intakes.push(intake);
    intake.start();
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
    for (const intake of this.intakes) if (!intake.isEnded) intake.channel.destroy(error);
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
      await Promise.allSettled(this.intakes.map((intake) => intake.channel.end()));
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
      channels: this.intakes.map((intake) => ({ ...intake.traffic })),
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
    for (const intake of this.intakes) {
      intake.stop();
      intake.channel.destroy(this.failed);
    }
    for (const load of this.loads.values()) load.changed.notify();
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

  /** Offers held packets again and lets readers take bytes again, starting with a different channel each time. */
  private retryIntakes(): void {
    const n = this.intakes.length;
    this.retryTurn = (this.retryTurn + 1) % Math.max(1, n);
    for (let i = 0; i < n && !this.failed; i++) this.intakes[(this.retryTurn + i) % n].retry();
  }

  /**
   * Routes a complete packet to its device and queues it; false while the queue bound holds it
   * back (the channel stops reading), unless it is the packet its device's worker needs next,
   * which may never wait (no deadlock).
   */
  private deliver(slot: number, packet: ScannedPacket, channel: string): boolean {
    const start = this.pool.offset(slot);
    const load = this.route(start, packet.instanceId);
    const place = () => ({ device: packetIdstr(this.arena.instance.bytes, start), channel, idx: packet.idx });
    if (!load) {
      const key = deviceKey(packetIdstr(this.arena.instance.bytes, start), packet.instanceId);
      if (this.others.has(key)) throw new MultifdError("ERR_MULTIFD_NOT_MULTIFD", "got device state packet but not doing multifd transfer", place());
      throw new MultifdError("ERR_MULTIFD_UNKNOWN_DEVICE", `unknown device (instance ${packet.instanceId})`, place());
    }
    const failure = this.failed && this.stopError(place());
    if (failure) throw failure;
    const dataLength = packet.payloadLength - VFIO_HEADER_BYTES;
    load.check(packet.idx, packet.vfioFlags, channel);
    const fits = this.queuedBytes + dataLength <= this.options.maxQueuedBytes && this.queuedPackets < this.queueSlots;
    if (!fits && !load.isNext(packet.idx)) return false;
    load.enqueue(slot, packet.idx, packet.vfioFlags, dataLength, channel);
    this.slotChannels[slot] = channel;
    this.slotDataLengths[slot] = dataLength;
    this.queuedBytes += dataLength;
    this.queuedPackets++;
    load.changed.notify();
    return true;
  }

  /**
   * Part of a packet whose headers passed the scan has landed: if it is the data packet its device's
   * running worker writes next, the worker may write what has landed now (`DeviceLoad.landing`).
   */
  private landing(slot: number, have: number, channel: string): void {
    if (!this.workers || this.failed || have <= DEVICE_STATE_DATA_OFFSET) return;
    const start = this.pool.offset(slot);
    const header = packetHeader(this.arena.instance.bytes, start);
    const load = this.route(start, header.instanceId);
    if (!load || header.vfioFlags & VFIO_CONFIG_FLAG) return;
    load.landing(slot, header.idx, have - DEVICE_STATE_DATA_OFFSET, channel);
  }

  /** The device a packet at `start` is for, comparing its idstr bytes in place (no decode per packet). */
  private route(start: number, instanceId: number): DeviceLoad | undefined {
    const memory = this.arena.instance.bytes;
    const field = start + DEVICE_STATE_IDSTR_OFFSET;
    for (const route of this.routes) {
      if (route.instanceId !== instanceId) continue;
      const idstr = route.idstr;
      let i = 0;
      while (i < idstr.length && memory[field + i] === idstr[i]) i++;
      if (i === idstr.length) return route.load;
    }
    return undefined;
  }

  private channelEnded(): void {
    const open = this.intakes.filter((intake) => !intake.isEnded).length;
    if (open > 0 || this.intakes.length < this.options.channels || this.allDone()) return;
    const missing = [...this.loads.values()].filter((load) => !load.isDone()).map((load) => load.device.name);
    // Workers may still be writing what has arrived; fail only if some device lacks packets.
    const incomplete = [...this.loads.values()].filter((load) => !load.hasAllPackets());
    if (incomplete.length === 0) return;
    // No packet on any channel: the source went away before sending device state here (e.g. killed in
    // pre-copy); that is the peer closing, not multifd losing data.
    if (this.intakes.every((intake) => intake.traffic.packets === 0)) {
      this.fail(new PeerClosedError("multifd", "pre-copy: every multifd channel ended before any device state"));
      return;
    }
    this.fail(new MultifdError("ERR_MULTIFD_INCOMPLETE", `every multifd channel ended before all device state arrived (${missing.join(", ")})`, {}));
  }
}

const utf8 = new TextEncoder();
