// Test fixtures for multifd: a small device whose state is a byte array (read in STOP_COPY, written
// in RESUMING) and channel pairs over memory or real loopback TCP.
import { crc32c } from "../../../src/codec/index.js";
import type { MigratableDevice, PrecopyInfo } from "../../../src/device/types.js";
import { DeviceState, MigrationFlags } from "../../../src/fsm/states.js";
import { memoryPair } from "../../../src/transport/index.js";
import { tcpConnect, tcpListen } from "../../../src/transport/tcp.js";
import type { Channel } from "../../../src/transport/types.js";
import { seededBytes } from "../../codec/helpers.js";

export { seededBytes };

/** A byte-array device: the source reads `content` in chunks of at most `readChunk`; the destination appends writes. */
export class ArrayDevice implements MigratableDevice {
  readonly flags = MigrationFlags.STOP_COPY | MigrationFlags.P2P;
  state: DeviceState;
  content: Uint8Array;
  config: Uint8Array;
  loadedConfig: Uint8Array | undefined;
  readonly writes: number[] = [];
  private readAt = 0;
  private written = 0;

  constructor(
    readonly name: string,
    options: { size?: number; seed?: number; readChunk?: number; configSize?: number; destination?: boolean; instanceId?: number } = {},
    readonly instanceId = options.instanceId ?? 0,
  ) {
    const size = options.size ?? 0;
    this.readChunk = options.readChunk ?? Infinity;
    this.content = options.destination ? new Uint8Array(size) : seededBytes(size, options.seed ?? 1);
    this.config = options.destination ? new Uint8Array(0) : seededBytes(options.configSize ?? 64, (options.seed ?? 1) + 1000);
    this.state = options.destination ? DeviceState.RESUMING : DeviceState.STOP_COPY;
  }

  readonly readChunk: number;

  async setState(next: DeviceState): Promise<void> {
    this.state = next;
  }

  async read(buf: Uint8Array): Promise<number> {
    if (this.state !== DeviceState.STOP_COPY) throw new Error(`${this.name}: read outside STOP_COPY`);
    const n = Math.min(buf.length, this.readChunk, this.content.length - this.readAt);
    buf.set(this.content.subarray(this.readAt, this.readAt + n));
    this.readAt += n;
    return n;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.state !== DeviceState.RESUMING) throw new Error(`${this.name}: write outside RESUMING`);
    if (this.written + bytes.length > this.content.length) {
      const grown = new Uint8Array(Math.max(this.written + bytes.length, this.content.length * 2));
      grown.set(this.content.subarray(0, this.written));
      this.content = grown;
    }
    this.content.set(bytes, this.written);
    this.written += bytes.length;
    this.writes.push(bytes.length);
  }

  precopyInfo(): PrecopyInfo {
    throw new Error("no pre-copy");
  }

  stopCopySize(): number {
    return this.content.length - this.readAt;
  }

  saveConfig(): Uint8Array {
    return this.config;
  }

  async loadConfig(blob: Uint8Array): Promise<void> {
    this.loadedConfig = blob;
    this.config = blob;
  }

  async reset(): Promise<void> {
    this.state = DeviceState.RUNNING;
  }

  /** Bytes loaded so far (destination). */
  loaded(): Uint8Array {
    return this.content.subarray(0, this.written);
  }

  digest(): string {
    const data = this.state === DeviceState.RESUMING || this.written > 0 ? this.loaded() : this.content;
    return `${data.length}:${crc32c(data).toString(16)}:${crc32c(this.config).toString(16)}`;
  }
}

export type TransportKind = "memory" | "tcp";

/** `count` connected channel pairs: `source[i]` talks to `destination[i]`. */
export async function channelPairs(count: number, kind: TransportKind): Promise<{ source: Channel[]; destination: Channel[]; close(): Promise<void> }> {
  if (kind === "memory") {
    const pairs = Array.from({ length: count }, (_, i) => memoryPair({ names: [`multifd/${i}`, `multifd/${i}`] }));
    return {
      source: pairs.map(([a]) => a),
      destination: pairs.map(([, b]) => b),
      close: async () => {
        for (const [a, b] of pairs) {
          a.destroy();
          b.destroy();
        }
        await Promise.all(pairs.flatMap(([a, b]) => [a.closed, b.closed]));
      },
    };
  }
  const acceptor = await tcpListen({ port: 0 });
  const dialer = tcpConnect(acceptor.address);
  const source: Channel[] = [];
  const destination: Channel[] = [];
  for (let i = 0; i < count; i++) {
    const [dialed, accepted] = await Promise.all([dialer.dial(`multifd/${i}`), acceptor.accept()]);
    accepted.name = `multifd/${i}`;
    source.push(dialed);
    destination.push(accepted);
  }
  return {
    source,
    destination,
    close: async () => {
      for (const channel of [...source, ...destination]) channel.destroy();
      await Promise.all([...source, ...destination].map((channel) => channel.closed));
      await acceptor.close();
    },
  };
}

/** Fisher-Yates with a seeded generator, so a failing order can be replayed. */
export function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let x = seed || 1;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export interface SpecPacket {
  idstr: string;
  instanceId?: number;
  idx: number;
  /** VFIO flags (1 = config). */
  vfioFlags?: number;
  data: Uint8Array;
  checksum?: boolean;
  /** Overrides for malformed packets. */
  packetFlags?: number;
  vfioVersion?: number;
  nextPacketSize?: number;
  idstrField?: Uint8Array;
}

/**
 * A device-state packet built field by field from shared/spec/qemu-wire.md section 3 (independent
 * of the codec, so tests check the codec and the engine against the spec itself).
 */
export function specPacket(p: SpecPacket): Uint8Array {
  const payload = 12 + p.data.length;
  const out = new Uint8Array(276 + payload + (p.checksum ? 4 : 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x11223344);
  view.setUint32(4, 1);
  view.setUint32(8, p.packetFlags ?? (p.checksum ? 0x40 | 0x80 : 0x40));
  out.set(p.idstrField ?? new TextEncoder().encode(p.idstr), 12);
  view.setUint32(268, p.instanceId ?? 0);
  view.setUint32(272, p.nextPacketSize ?? payload);
  view.setUint32(276, p.vfioVersion ?? 0);
  view.setUint32(280, p.idx);
  view.setUint32(284, p.vfioFlags ?? 0);
  out.set(p.data, 288);
  if (p.checksum) view.setUint32(288 + p.data.length, crc32c(out.subarray(276, 276 + payload)));
  return out;
}

/** `be64 DEV_CONFIG_STATE | blob | be64 END_OF_STATE`, from the spec. */
export function specConfigData(blob: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + blob.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, 0xffffffffef100002n);
  out.set(blob, 8);
  view.setBigUint64(8 + blob.length, 0xffffffffef100001n);
  return out;
}
