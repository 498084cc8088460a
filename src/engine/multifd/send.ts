import {
  checksumAlgorithm, DEVICE_STATE_DATA_OFFSET, MAX_CHECKSUM_BYTES, type ChecksumOption, encodeMultifdConfigData, frameDeviceStatePacket, MARKER_BYTES, VFIO_CONFIG_FLAG, VFIO_HEADER_BYTES,
} from "../../codec/index.js";
import type { MigratableDevice } from "../../device/types.js";
import { DeviceState } from "../../fsm/states.js";
import type { Channel } from "../../transport/types.js";
import { cancelled, MultifdError } from "./errors.js";
import { Lanes, type ChannelTraffic } from "./lanes.js";
import { checkIdstr, checkPool, checkSize, DEFAULT_CHECKED_CHUNK_BYTES, DEFAULT_MAX_CHUNK_BYTES, type DeviceTraffic } from "./options.js";
import { Arena, SlotPool } from "./pool.js";

export interface MultifdSendOptions {
  /** The checksum trailer every packet carries (negotiated at setup; `true`: CRC32C; off = QEMU's exact bytes). */
  checksum?: ChecksumOption;
  /**
   * Largest device read, so a packet's data: by default QEMU's `data_buffer_size` (1 MiB, the most a
   * destination takes), 256 KiB with a checksum negotiated (`DEFAULT_CHECKED_CHUNK_BYTES`).
   */
  maxChunkBytes?: number;
  /** Packet writes in flight per channel. */
  writesPerChannel?: number;
}

/** What a multifd send carried, per channel and per device. */
export interface MultifdSendReport {
  channels: ChannelTraffic[];
  devices: DeviceTraffic[];
}

/** One `send()`: the channels' lanes and the first failure, shared by every save worker. */
interface SendRun {
  lanes: Lanes;
  /** The device still sending that should take a freed channel: the one with the most left. */
  heir(): number | undefined;
  stop(): Error | undefined;
  fail(error: unknown): void;
}

/**
 * The source half of multifd device-state transfer (QEMU's `save_complete_precopy_thread`). Built
 * at setup: its buffer pool is allocated once, one slot for each of the `writesPerChannel` packets
 * every channel may have in flight, and never grows.
 */
export class MultifdSender {
  private readonly channels: readonly Channel[];
  private readonly checksum: ChecksumOption;
  private readonly maxChunkBytes: number;
  private readonly writesPerChannel: number;
  private readonly arena: Arena;
  private readonly pool: SlotPool;

  constructor(channels: readonly Channel[], options: MultifdSendOptions = {}) {
    if (channels.length === 0) throw new MultifdError("ERR_MULTIFD_NO_CHANNELS", "multifd transfer needs at least one multifd channel");
    this.channels = channels;
    this.checksum = options.checksum ?? false;
    this.maxChunkBytes = options.maxChunkBytes ?? (checksumAlgorithm(this.checksum) === "none" ? DEFAULT_MAX_CHUNK_BYTES : DEFAULT_CHECKED_CHUNK_BYTES);
    this.writesPerChannel = options.writesPerChannel ?? 2;
    checkSize("maxChunkBytes", this.maxChunkBytes);
    checkSize("writesPerChannel", this.writesPerChannel);
    const slotBytes = DEVICE_STATE_DATA_OFFSET + this.maxChunkBytes + MAX_CHECKSUM_BYTES;
    // One slot per write the lanes allow in flight: a save worker takes one only with a reservation.
    const slots = channels.length * this.writesPerChannel;
    checkPool(SlotPool.regionBytes(slotBytes, slots), `maxChunkBytes ${this.maxChunkBytes} and writesPerChannel ${this.writesPerChannel}`);
    this.arena = new Arena([SlotPool.regionBytes(slotBytes, slots)]);
    this.pool = new SlotPool(this.arena, slotBytes, slots);
  }

  /**
   * Streams every device's STOP_COPY data, then its config packet: all devices in parallel, each
   * from its own save worker. Devices must be in STOP_COPY. On failure or abort it destroys the
   * channels (the peer must not wait for packets that will not come), waits for every write and
   * worker to settle, and rejects with the first error.
   */
  async send(devices: readonly MigratableDevice[], signal?: AbortSignal): Promise<MultifdSendReport> {
    const lanes = new Lanes(this.channels, this.writesPerChannel, devices.length);
    let failure: Error | undefined;
    const traffic = devices.map((device) => ({ device: device.name, instanceId: device.instanceId, bytes: 0, packets: 0 }));
    const run: SendRun = {
      lanes,
      heir: () => heir(lanes.active(), devices, traffic),
      stop: () => failure,
      fail: (error) => {
        if (failure) return;
        failure = error instanceof Error ? error : new Error(String(error));
        for (const channel of this.channels) channel.destroy(failure);
        lanes.interrupt();
      },
    };
    const onAbort = () => run.fail(cancelled({}, signal?.reason));
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await Promise.all(devices.map((device, i) => this.saveDevice(device, i, traffic[i], run).catch(run.fail)));
      await lanes.drain();
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    if (failure) throw failure;
    return { channels: lanes.traffic(), devices: traffic };
  }

  /**
   * One device's save worker: data packets idx 0, 1, ... until a 0-byte read, then the config
   * packet. Each packet first reserves room on a lane, then the device fills a slot and the slot is
   * written at once, so the socket copies bytes that are still in the cache.
   */
  private async saveDevice(device: MigratableDevice, sender: number, traffic: DeviceTraffic, run: SendRun): Promise<void> {
    if (device.state !== DeviceState.STOP_COPY) {
      throw new MultifdError("ERR_MULTIFD_DEVICE_STATE", `multifd save needs the device in STOP_COPY, it is in ${DeviceState[device.state]}`, { device: device.name });
    }
    checkIdstr(device.name);
    const memory = this.arena.instance.bytes;
    const chunk = this.maxChunkBytes;
    for (let idx = 0; ; idx++) {
      // Await only while the sender's lanes are full: room found is taken without a promise.
      let lane = run.stop() ? undefined : run.lanes.tryReserve(sender);
      if (lane === undefined) lane = await run.lanes.reserve(sender, run.stop);
      const slot = this.slotFor();
      const data = this.pool.offset(slot) + DEVICE_STATE_DATA_OFFSET;
      let length: number;
      try {
        // The device reads straight into the slot, behind the room left for both headers.
        length = await device.read(memory.subarray(data, data + chunk));
        if (!Number.isInteger(length) || length < 0 || length > chunk) {
          throw new MultifdError("ERR_MULTIFD_DEVICE_READ", `device read returned ${length} for a ${chunk}-byte buffer`, { device: device.name, idx });
        }
      } catch (error) {
        this.giveBack(lane, slot, run);
        throw error;
      }
      if (length > 0) {
        this.sendSlot(lane, slot, device, idx, 0, length, traffic, run);
        continue;
      }
      const blob = device.saveConfig();
      if (blob.length + 2 * MARKER_BYTES > chunk) {
        this.giveBack(lane, slot, run);
        throw new MultifdError("ERR_MULTIFD_CONFIG_TOO_LARGE", `config blob of ${blob.length} bytes does not fit a ${chunk}-byte packet`, { device: device.name, idx });
      }
      const config = encodeMultifdConfigData(blob);
      memory.set(config, data);
      this.sendSlot(lane, slot, device, idx, VFIO_CONFIG_FLAG, config.length, traffic, run);
      run.lanes.retire(sender, run.heir);
      return;
    }
  }

  /** The slot for a write just reserved: the pool holds one for every write the lanes allow in flight. */
  private slotFor(): number {
    const slot = this.pool.tryAcquire();
    if (slot === undefined) throw new Error("multifd send: no free slot behind a lane reservation (a bug)");
    return slot;
  }

  private giveBack(lane: number, slot: number, run: SendRun): void {
    this.pool.release(slot);
    run.lanes.unreserve(lane);
  }

  /** Frames the slot in place and writes it on its reserved lane; the slot returns to the pool when the write settles. */
  private sendSlot(lane: number, slot: number, device: MigratableDevice, idx: number, flags: number, dataLength: number, traffic: DeviceTraffic, run: SendRun): void {
    const { instance } = this.arena;
    const start = this.pool.offset(slot);
    let packet: Uint8Array;
    try {
      const fields = { idstr: device.name, instanceId: device.instanceId, idx, flags, dataLength, checksum: this.checksum };
      packet = instance.bytes.subarray(start, start + frameDeviceStatePacket(instance, start, fields));
    } catch (error) {
      this.giveBack(lane, slot, run);
      throw error;
    }
    run.lanes.write(lane, packet, (error) => {
      this.pool.release(slot);
      if (error) return run.fail(error);
      traffic.bytes += VFIO_HEADER_BYTES + dataLength;
      traffic.packets++;
    });
  }
}

/**
 * Of the devices still sending, the one with the most STOP_COPY bytes left (the device's own
 * estimate, `VFIO_DEVICE_FEATURE_MIG_DATA_SIZE`); when one cannot say, the one that has sent the
 * fewest bytes so far.
 */
function heir(active: readonly number[], devices: readonly MigratableDevice[], traffic: readonly DeviceTraffic[]): number | undefined {
  const left = active.map((i) => {
    try {
      return devices[i].stopCopySize();
    } catch {
      return undefined; // only a hint: a device that cannot tell is judged by what it has sent
    }
  });
  if (left.every((bytes) => bytes !== undefined)) return active[left.indexOf(Math.max(...(left as number[])))];
  let best: number | undefined;
  for (const i of active) if (best === undefined || traffic[i].bytes < traffic[best].bytes) best = i;
  return best;
}

/** A one-shot sender (the engine builds a `MultifdSender` at setup instead, outside the downtime). */
export function sendDeviceState(
  devices: readonly MigratableDevice[],
  channels: readonly Channel[],
  options: MultifdSendOptions & { signal?: AbortSignal } = {},
): Promise<MultifdSendReport> {
  return new MultifdSender(channels, options).send(devices, options.signal);
}
