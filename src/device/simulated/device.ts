// A simulated VFIO device with seed-derived content of any size: content is a function of
// (seed, block index, block generation), generated on read and verified on write, so both ends of
// a multi-GiB migration fit in one process.
import { DeviceState } from "../../fsm/states.js";
import { arcEffect, checkArc, isPrecopyState, isRunningState, isSavingState, issuesPeerDma } from "../arcs.js";
import { DeviceError } from "../errors.js";
import { losesPeerWrites, type PeerGroup, type PeerMember } from "../peers.js";
import type { MigratableDevice, PrecopyInfo } from "../types.js";
import { HEADER_RECORD_BYTES, Pattern, TRAILER_RECORD_BYTES, blocksCrc, configBytes, stateDigest } from "./layout.js";
import { resolveOptions, type ResolvedOptions, type SimulatedDeviceOptions } from "./options.js";
import { Pacer } from "./pacer.js";
import { ResumingStream } from "./resume-stream.js";
import { SavingStream, type SavingSource } from "./save-stream.js";

export class SimulatedDevice implements MigratableDevice, PeerMember {
  readonly name: string;
  readonly instanceId: number;
  readonly flags: number;
  /** The resolved options (with defaults); for tests and tools. @internal */
  readonly options: Readonly<ResolvedOptions>;
  private current = DeviceState.RUNNING;
  private pattern: Pattern;
  private generations: Uint32Array;
  private config: Uint8Array;
  private saving: SavingStream | undefined;
  private resuming: ResumingStream | undefined;
  private lostDma = 0;
  private lostBeforeResume = 0;
  /** The guest workload runs (dirtying, peer writes); off for an incoming device until resumed. */
  private workload: boolean;
  private group: PeerGroup | undefined;
  private readonly savePacer: Pacer | undefined;
  private readonly loadPacer: Pacer | undefined;
  // Workload: dirtying walks the blocks with a stride coprime to their count.
  private lastTick: number;
  private dirtyCarry = 0;
  private dirtyCursor = 0;
  private peerCursor: number;
  private readonly stride: number;
  // Per-block CRCs of the current content, recomputed only for blocks whose generation moved.
  private readonly crcs: Uint32Array;
  private readonly crcFor: Uint32Array;

  constructor(options: SimulatedDeviceOptions = {}) {
    const resolved = resolveOptions(options);
    this.options = resolved;
    this.name = resolved.name;
    this.workload = !resolved.incoming;
    this.instanceId = resolved.instanceId;
    this.flags = resolved.flags;
    const { geometry } = resolved;
    this.pattern = new Pattern(resolved.seed, geometry);
    this.generations = new Uint32Array(geometry.count);
    this.config = configBytes(resolved.seed, resolved.configSize);
    this.crcs = new Uint32Array(geometry.count);
    this.crcFor = new Uint32Array(geometry.count);
    this.stride = coprimeStride(geometry.count);
    this.peerCursor = Math.floor(geometry.count / 2);
    this.savePacer = resolved.saveBytesPerSecond ? new Pacer(resolved.clock, resolved.saveBytesPerSecond) : undefined;
    this.loadPacer = resolved.loadBytesPerSecond ? new Pacer(resolved.clock, resolved.loadBytesPerSecond) : undefined;
    this.lastTick = resolved.clock.now();
  }

  get state(): DeviceState {
    return this.current;
  }

  /** True while this device initiates peer-to-peer DMA: RUNNING or PRE_COPY, with its workload on. */
  get issuesPeerWrites(): boolean {
    return this.workload && issuesPeerDma(this.current);
  }

  /** Peer-to-peer DMA writes that reached this device while it could not take them. */
  get lostDmaWrites(): number {
    return this.lostDma;
  }

  async setState(next: DeviceState): Promise<void> {
    const from = this.current;
    checkArc(this.name, this.flags, from, next);
    if (next === from) return;
    const effect = arcEffect(from, next);
    this.beforeChange();
    switch (effect) {
      case "open-saving":
        this.saving = new SavingStream(this.savingSource());
        break;
      case "close-saving":
        this.saving = undefined;
        break;
      case "open-resuming":
        this.resuming = new ResumingStream({ name: this.name, geometry: this.options.geometry, configSize: this.options.configSize, pattern: this.pattern });
        this.config = new Uint8Array(this.options.configSize);
        this.lostBeforeResume = this.lostDma;
        this.loadPacer?.restart();
        break;
      case "close-resuming":
        this.closeResuming();
        break;
      case "none":
        break;
    }
    if (next === DeviceState.STOP_COPY) this.savePacer?.restart();
    this.enter(next);
  }

  async read(buf: Uint8Array): Promise<number> {
    const stream = this.saving;
    if (!stream || !isSavingState(this.current)) throw this.wrongState("read the saving stream");
    this.catchUp();
    const stopCopy = this.current === DeviceState.STOP_COPY;
    const n = stream.read(buf, Math.min(buf.length, this.options.readChunk), stopCopy);
    if (stopCopy && n > 0) await this.savePacer?.consume(n);
    return n;
  }

  async write(bytes: Uint8Array): Promise<void> {
    const stream = this.resuming;
    if (!stream || this.current !== DeviceState.RESUMING) throw this.wrongState("write the resuming stream");
    const initialLoaded = stream.write(bytes);
    if (initialLoaded && this.options.loadDelayMs > 0) await this.options.clock.sleep(this.options.loadDelayMs);
    await this.loadPacer?.consume(bytes.length);
  }

  precopyInfo(): PrecopyInfo {
    if (!this.saving || !isPrecopyState(this.current)) throw this.wrongState("report pre-copy info");
    this.catchUp();
    return { initialBytes: this.saving.initialBytes, dirtyBytes: this.saving.dirtyBytes };
  }

  stopCopySize(): number {
    this.catchUp();
    if (this.saving) return this.saving.stopCopyBytes;
    const { geometry } = this.options;
    return HEADER_RECORD_BYTES + geometry.recordBytes(0, geometry.count) + TRAILER_RECORD_BYTES;
  }

  saveConfig(): Uint8Array {
    return this.config.slice();
  }

  async loadConfig(blob: Uint8Array): Promise<void> {
    if (!this.resuming || this.current !== DeviceState.RESUMING) throw this.wrongState("load a config");
    const pattern = this.resuming.streamPattern;
    if (!pattern) throw new DeviceError("ERR_DEVICE_CONFIG", this.name, "config arrived before the device state");
    const expected = configBytes(pattern.seed, this.options.configSize);
    if (blob.length !== expected.length || !blob.every((byte, i) => byte === expected[i])) {
      throw new DeviceError("ERR_DEVICE_CONFIG", this.name, `config blob of ${blob.length} bytes does not match the device (${expected.length} bytes expected)`);
    }
    this.config = blob.slice();
  }

  async reset(): Promise<void> {
    this.beforeChange();
    this.saving = undefined;
    this.resuming = undefined;
    this.enter(DeviceState.RUNNING);
  }

  /** Digest of the whole state now (while RESUMING: of what has been written so far). */
  digest(): string {
    if (this.resuming) return stateDigest(blocksCrc(this.resuming.crcs), this.config, this.lostDma);
    this.catchUp();
    return stateDigest(this.currentBlocksCrc(), this.config, this.lostDma);
  }

  /** The current content of block `index` (for tests and tools; the stream carries the same bytes). */
  blockContent(index: number): Uint8Array {
    const length = this.options.geometry.blockLength(index);
    const out = new Uint8Array(length);
    out.set(this.pattern.body.subarray(0, length - 16));
    this.pattern.writeStamp(new DataView(out.buffer), length - 16, index, this.generations[index]);
    return out;
  }

  // --- peers and workload -------------------------------------------------------------------

  joinGroup(group: PeerGroup): void {
    this.group = group;
  }

  catchUp(): void {
    const now = this.options.clock.now();
    const { dirtyRate, geometry } = this.options;
    if (dirtyRate > 0 && this.workload && isRunningState(this.current)) {
      const bytes = this.dirtyCarry + (dirtyRate * (now - this.lastTick)) / 1000;
      let blocks = Math.floor(bytes / geometry.blockSize);
      this.dirtyCarry = bytes - blocks * geometry.blockSize;
      if (blocks > geometry.count) {
        blocks = geometry.count;
        this.dirtyCarry = 0;
      }
      for (let i = 0; i < blocks; i++) {
        this.bump(this.dirtyCursor);
        this.dirtyCursor = (this.dirtyCursor + this.stride) % geometry.count;
      }
    }
    this.lastTick = now;
  }

  receivePeerWrite(_from: PeerMember): void {
    if (losesPeerWrites(this.current)) {
      this.lostDma++;
      return;
    }
    this.bump(this.peerCursor);
    this.peerCursor = (this.peerCursor + this.stride) % this.options.geometry.count;
  }

  private bump(index: number): void {
    this.generations[index]++;
    this.saving?.markDirty(index);
  }

  private beforeChange(): void {
    if (this.group) this.group.beforeChange();
    else this.catchUp();
  }

  private enter(next: DeviceState): void {
    this.current = next;
    this.group?.afterChange();
  }

  private closeResuming(): void {
    const stream = this.resuming!;
    this.resuming = undefined;
    try {
      stream.finish(this.lostDma - this.lostBeforeResume);
    } catch (err) {
      // The driver failed the arc; like a real driver that cannot load, the device is left in ERROR.
      this.enter(DeviceState.ERROR);
      throw err;
    }
    // The migrated state replaces the old one, lost writes included (the source had none), and
    // the migrated workload runs here from now on.
    this.lostDma = 0;
    this.workload = true;
    const pattern = stream.streamPattern!;
    if (pattern.seed !== this.pattern.seed) this.pattern = pattern;
    this.generations = stream.generations;
    this.crcs.set(stream.crcs);
    for (let i = 0; i < this.crcFor.length; i++) this.crcFor[i] = this.generations[i] + 1;
  }

  private currentBlocksCrc(): number {
    for (let i = 0; i < this.generations.length; i++) {
      const tag = this.generations[i] + 1;
      if (this.crcFor[i] !== tag) {
        this.crcs[i] = this.pattern.blockCrc(i, this.generations[i]);
        this.crcFor[i] = tag;
      }
    }
    return blocksCrc(this.crcs);
  }

  private savingSource(): SavingSource {
    return {
      pattern: this.pattern,
      generations: this.generations,
      initialBlocks: this.options.initialBlocks,
      configSize: this.options.configSize,
      blocksCrc: () => this.currentBlocksCrc(),
      lostDmaWrites: () => this.lostDma,
    };
  }

  private wrongState(what: string): DeviceError {
    return new DeviceError("ERR_DEVICE_WRONG_STATE", this.name, `cannot ${what} in state ${DeviceState[this.current]}`);
  }
}

/** A stride near count/φ with gcd 1, so stepping by it visits every block before repeating. */
function coprimeStride(count: number): number {
  if (count <= 2) return 1;
  let stride = Math.max(1, Math.floor(count * 0.6180339887));
  while (gcd(stride, count) !== 1) stride++;
  return stride;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
