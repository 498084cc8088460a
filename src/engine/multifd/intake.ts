import {
  type CheckAhead, deviceStatePacketBytes, DEVICE_STATE_DATA_OFFSET, DEVICE_STATE_HEADER_BYTES, DEVICE_STATE_IDSTR_BYTES, DEVICE_STATE_IDSTR_OFFSET,
  packetHeader, packetIdstr, type ChecksumOption, type MultifdScanner, type ScannedPacket,
} from "../../codec/index.js";
import type { Channel, ReadSink } from "../../transport/types.js";
import { MultifdError, type MultifdPlace } from "./errors.js";
import type { ChannelTraffic } from "./lanes.js";
import type { SlotPool } from "./pool.js";

/** What a channel's intake needs from the receiver. */
export interface IntakeHost {
  /** The arena's bytes: slots, where the channel's bytes land. */
  readonly memory: Uint8Array;
  readonly pool: SlotPool;
  readonly scanner: MultifdScanner;
  /** The smallest packet on the wire (a header, a VFIO header, the checksum if negotiated). */
  readonly minWireBytes: number;
  /**
   * A complete, scanned packet lies at the start of `slot`: queue it (the slot then belongs to its
   * device) and return true, or return false while the queue bound holds it back (`retry` later).
   * Throws for a packet that can never be loaded.
   */
  deliver(slot: number, packet: ScannedPacket, channel: string): boolean;
  /**
   * Without a checksum: `have` bytes of the packet in `slot` have landed and its headers have been
   * checked; the device may take its data so far now, while it is in the cache.
   */
  landing?(slot: number, have: number, channel: string): void;
  /** The channel ended cleanly between packets. */
  ended(intake: ChannelIntake): void;
  failed(error: unknown): void;
}

/**
 * One multifd channel's receive side: the channel's bytes land in a pool slot of the receiver's
 * arena (read there by the socket itself where the channel can, see `Channel.readInto`), one scan
 * finds each packet where it lies, and the slot goes to the device's queue as it is: no copy of
 * the payload. Reads are sized to end at most one smallest packet past the current packet, so the
 * few header bytes of the next packet that arrive with it are all that is ever moved (to the next
 * slot, through `carry`). With a checksum negotiated, each read's bytes are hashed right after they
 * land (`MultifdScanner.checkAhead`, while they are in the cache), and the scan that finds the
 * packet complete only finishes the check.
 */
export class ChannelIntake implements ReadSink {
  readonly traffic: ChannelTraffic;
  isEnded = false;
  private readonly carry: Uint8Array;
  private carried = 0;
  private slot = -1;
  private slotStart = 0;
  private have = 0;
  /** The current packet's wire length once its header has been scanned, else 0. */
  private wanted = 0;
  /** The current slot holds a complete packet the queue bound holds back. */
  private held = false;
  private eof = false;
  private finished = false;
  private streamOffset: number;
  private readonly packet = {} as ScannedPacket;
  private wake: () => void = () => undefined;

  constructor(
    private readonly host: IntakeHost,
    readonly channel: Channel,
    streamOffset: number,
    /** The negotiated check, run over the current packet's bytes as they land (none: unused). */
    private readonly ahead: CheckAhead,
  ) {
    this.traffic = { channel: channel.name, bytes: 0, packets: 0 };
    this.streamOffset = streamOffset;
    this.carry = new Uint8Array(host.minWireBytes);
  }

  /** Starts taking the channel's bytes. */
  start(): void {
    this.wake = this.channel.readInto ? this.channel.readInto(this) : readLoop(this.channel, this, () => this.finished);
  }

  /** The queue or the pool changed: offer a held packet again, and take bytes again if there is room now. */
  retry(): void {
    if (this.finished) return;
    try {
      if (this.held) this.offer();
      if (this.held) return;
      if (this.eof) this.settleEnd();
      else this.wake();
    } catch (error) {
      this.fail(error);
    }
  }

  target(): Uint8Array | undefined {
    if (this.finished) return undefined;
    try {
      for (;;) {
        if (this.held) return undefined;
        if (this.slot >= 0) {
          const limit = (this.wanted > 0 ? this.wanted : 0) + this.host.minWireBytes;
          return this.host.memory.subarray(this.slotStart + this.have, this.slotStart + limit);
        }
        if (!this.begin()) return undefined;
      }
    } catch (error) {
      this.fail(error);
      return undefined;
    }
  }

  landed(n: number): void {
    if (this.finished) return;
    this.have += n;
    try {
      this.advance();
      // Still inside a packet whose header has been scanned: check what just landed while it is in the
      // cache, or with nothing to check, let the device take it.
      if (this.slot >= 0 && !this.held && this.wanted > 0) {
        this.host.scanner.checkAhead(this.slotStart, this.have, this.ahead);
        this.host.landing?.(this.slot, this.have, this.channel.name);
      }
    } catch (error) {
      this.fail(error);
    }
  }

  ended(): void {
    if (this.finished) return;
    this.eof = true;
    try {
      this.settleEnd();
    } catch (error) {
      this.fail(error);
    }
  }

  failed(error: Error): void {
    this.fail(error);
  }

  /** Stops for good (the receiver failed or closed): the slot being filled returns to the pool. */
  stop(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.slot >= 0 && !this.held) this.host.pool.release(this.slot);
    this.slot = -1;
    this.wake();
  }

  private fail(error: unknown): void {
    if (this.finished) return;
    this.stop();
    this.host.failed(error);
  }

  /** Takes a free slot for the next packet, starting with the bytes carried over; false if none is free. */
  private begin(): boolean {
    const slot = this.host.pool.tryAcquire();
    if (slot === undefined) return false;
    this.slot = slot;
    this.slotStart = this.host.pool.offset(slot);
    this.host.memory.set(this.carry.subarray(0, this.carried), this.slotStart);
    this.ahead.reset();
    this.have = this.carried;
    this.carried = 0;
    this.wanted = 0;
    this.advance();
    return true;
  }

  /** Scans once the current packet can be complete (or its header told its length); hands a complete one on. */
  private advance(): void {
    const { scanner, memory } = this.host;
    while (this.slot >= 0 && !this.held && this.have >= (this.wanted > 0 ? this.wanted : this.host.minWireBytes)) {
      const count = scanner.scanCount(this.slotStart, this.have, this.ahead);
      if (count < 0) throw this.scanFailure();
      if (count === 0) {
        this.wanted = this.have + scanner.needed;
        continue;
      }
      const packet = scanner.packet(0, this.packet);
      const wire = packet.wireLength;
      this.carried = this.have - wire;
      this.carry.set(memory.subarray(this.slotStart + wire, this.slotStart + this.have));
      this.have = wire;
      this.streamOffset += wire;
      this.traffic.bytes += wire;
      this.traffic.packets++;
      this.held = true;
      this.offer();
    }
  }

  private offer(): void {
    if (!this.host.deliver(this.slot, this.packet, this.channel.name)) return;
    this.held = false;
    this.slot = -1;
  }

  /** At the peer's end: finish the carried bytes, then end cleanly between packets or fail truncated. */
  private settleEnd(): void {
    while (!this.held && this.slot < 0 && this.carried > 0) {
      if (!this.begin()) return; // retried when a slot frees
    }
    if (this.held) return;
    const partial = (this.slot >= 0 ? this.have : 0) + this.carried;
    if (partial > 0) {
      // Bytes too few to be a packet may still be bad ones: report what is wrong with them first.
      if (this.slot >= 0 && this.host.scanner.scanCount(this.slotStart, this.have) < 0) throw this.scanFailure();
      throw new MultifdError("ERR_MULTIFD_TRUNCATED", `channel ended inside a packet, ${partial} bytes into it`, { channel: this.channel.name });
    }
    this.isEnded = true;
    this.stop();
    this.host.ended(this);
  }

  /**
   * The scanner's error for the current slot, naming the device and idx when the bad field lies past
   * them (a packet broken before its idstr names no device).
   */
  private scanFailure(): MultifdError {
    const { scanner, memory } = this.host;
    const error = scanner.scan(this.slotStart, this.have, this.streamOffset).error!;
    const at = error.offset - this.streamOffset;
    const place: MultifdPlace = { channel: this.channel.name };
    if (at >= DEVICE_STATE_IDSTR_OFFSET + DEVICE_STATE_IDSTR_BYTES) place.device = packetIdstr(memory, this.slotStart);
    if (at >= DEVICE_STATE_HEADER_BYTES && this.have >= DEVICE_STATE_DATA_OFFSET) place.idx = packetHeader(memory, this.slotStart).idx;
    return new MultifdError(error.code as MultifdError["code"], error.message, place, { cause: error });
  }
}

/** The smallest packet on the wire. */
export function minWireBytes(checksum: ChecksumOption): number {
  return deviceStatePacketBytes(0, checksum);
}

/**
 * `readInto` for channels that lack it: reads into the sink's targets with `read` (the channel's
 * own copy), waiting for `wake` while the sink has no room. Returns `wake`.
 */
function readLoop(channel: Channel, sink: ReadSink, stopped: () => boolean): () => void {
  let resume: (() => void) | undefined;
  const wake = () => {
    const woken = resume;
    resume = undefined;
    woken?.();
  };
  void (async () => {
    try {
      for (;;) {
        if (stopped()) return;
        const target = sink.target();
        if (!target) {
          await new Promise<void>((resolve) => (resume = resolve));
          continue;
        }
        const n = await channel.read(target);
        if (n === 0) return sink.ended();
        sink.landed(n);
      }
    } catch (error) {
      sink.failed(error instanceof Error ? error : new Error(String(error)));
    }
  })();
  return wake;
}
