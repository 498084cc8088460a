// The saving-stream format of SimulatedDevice (little-endian, like the host-layout structs real
// drivers copy). A stream is a sequence of records, each an 8-byte prefix (u32 kind, u32 argument)
// and a payload:
//   HEADER  (arg = version) 32 bytes: seed, blockSize, blockCount, stateSize lo, hi, initialBlocks, configSize, 0
//   BLOCK   (arg = index)   the block's content: a seed-derived pattern whose last 16 bytes are the
//                           stamp (STAMP_MAGIC, seed, index, generation)
//   TRAILER (arg = 0)       16 bytes: digest of the block CRCs, lost peer DMA writes, blockCount, 0
// Content is a function of (seed, index, generation), so neither end ever holds the whole state.
import { crc32c } from "../../codec/crc32c.js";
import { crc32cWord } from "../../codec/reference/crc32c.js";
import { DeviceError } from "../errors.js";

export const PREFIX_BYTES = 8;
export const STAMP_BYTES = 16;
export const HEADER_PAYLOAD_BYTES = 32;
export const TRAILER_PAYLOAD_BYTES = 16;
export const HEADER_RECORD_BYTES = PREFIX_BYTES + HEADER_PAYLOAD_BYTES;
export const TRAILER_RECORD_BYTES = PREFIX_BYTES + TRAILER_PAYLOAD_BYTES;
export const STREAM_VERSION = 1;

export const KIND_HEADER = 0x48534d53; // "SMSH"
export const KIND_BLOCK = 0x42534d53; // "SMSB"
export const KIND_TRAILER = 0x54534d53; // "SMST"
export const STAMP_MAGIC = 0x4b4c4253; // "SBLK"

export const DEFAULT_BLOCK_SIZE = 64 * 1024;
export const MAX_BLOCK_SIZE = 16 * 1024 * 1024;
const MAX_BLOCKS = 1 << 24;

/** How a state of `stateSize` bytes splits into blocks: all `blockSize` long but the last, which takes the remainder. */
export class Geometry {
  readonly count: number;
  readonly lastLength: number;

  constructor(
    readonly stateSize: number,
    readonly blockSize: number,
  ) {
    this.count = Math.max(1, Math.floor(stateSize / blockSize));
    this.lastLength = stateSize - (this.count - 1) * blockSize;
  }

  static check(name: string, stateSize: number, blockSize: number): Geometry {
    if (!Number.isInteger(blockSize) || blockSize < 64 || blockSize > MAX_BLOCK_SIZE || blockSize % 16 !== 0) {
      throw new DeviceError("ERR_DEVICE_OPTIONS", name, `blockSize must be a multiple of 16 from 64 to ${MAX_BLOCK_SIZE}, got ${blockSize}`);
    }
    if (!Number.isSafeInteger(stateSize) || stateSize < STAMP_BYTES) {
      throw new DeviceError("ERR_DEVICE_OPTIONS", name, `stateSize must be an integer of at least ${STAMP_BYTES} bytes, got ${stateSize}`);
    }
    const geometry = new Geometry(stateSize, blockSize);
    if (geometry.count > MAX_BLOCKS) {
      throw new DeviceError("ERR_DEVICE_OPTIONS", name, `stateSize ${stateSize} needs ${geometry.count} blocks of ${blockSize}; raise blockSize`);
    }
    return geometry;
  }

  blockLength(index: number): number {
    return index === this.count - 1 ? this.lastLength : this.blockSize;
  }

  recordLength(index: number): number {
    return PREFIX_BYTES + this.blockLength(index);
  }

  /** Bytes of the block records of blocks [from, to). */
  recordBytes(from: number, to: number): number {
    if (to <= from) return 0;
    const whole = (to - from) * (PREFIX_BYTES + this.blockSize);
    return to === this.count ? whole - this.blockSize + this.lastLength : whole;
  }

  /** The longest block, which bounds the pattern every block is cut from. */
  get maxBlockLength(): number {
    return Math.max(this.blockSize, this.lastLength);
  }
}

/** xorshift32 bytes from `seed`: the body every block of a device with that seed is cut from. */
export function seedPattern(seed: number, length: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(length / 4));
  let x = (seed ^ 0x9e3779b9) >>> 0 || 0x6d2b79f5;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return new Uint8Array(words.buffer, 0, length);
}

/** The pattern of one seed with the CRCs of its block bodies, for both ends of a stream. */
export class Pattern {
  readonly body: Uint8Array;
  /** Per block length: CRC32C of the body and the stamp's first two words (magic, seed), which every block of that length shares. */
  private readonly headCrcs = new Map<number, number>();

  constructor(
    readonly seed: number,
    readonly geometry: Geometry,
  ) {
    this.body = seedPattern(seed, geometry.maxBlockLength - STAMP_BYTES);
  }

  /** Writes the stamp of block `index` at `generation` into `out` at `at`. */
  writeStamp(out: DataView, at: number, index: number, generation: number): void {
    out.setUint32(at, STAMP_MAGIC, true);
    out.setUint32(at + 4, this.seed, true);
    out.setUint32(at + 8, index, true);
    out.setUint32(at + 12, generation, true);
  }

  /**
   * CRC32C of the whole content of block `index` at `generation`, without materializing it: the
   * shared part (body, magic, seed) once per block length in WASM, then the 8 bytes of index and
   * generation stepped here (a WASM call per block cost ~1 us; this is a few ns).
   */
  blockCrc(index: number, generation: number): number {
    const length = this.geometry.blockLength(index);
    let head = this.headCrcs.get(length);
    if (head === undefined) {
      head = crc32cWord(crc32cWord(crc32c(this.body.subarray(0, length - STAMP_BYTES)), STAMP_MAGIC), this.seed);
      this.headCrcs.set(length, head);
    }
    return crc32cWord(crc32cWord(head, index), generation);
  }
}

/** The device's config blob (QEMU's config state): seed-derived bytes. */
export function configBytes(seed: number, size: number): Uint8Array {
  return seedPattern((seed ^ 0xc0f16c0f) >>> 0, size).slice();
}

/** CRC32C over the per-block CRC32Cs (each the CRC of one whole block's content). */
export function blocksCrc(blockCrcs: Uint32Array): number {
  return crc32c(new Uint8Array(blockCrcs.buffer, blockCrcs.byteOffset, blockCrcs.byteLength));
}

/**
 * The digest both ends report: the blocks' CRC (`blocksCrc`) continued over the config's CRC32C.
 * Lost peer-to-peer writes are appended, so a device that lost one never matches a clean copy.
 */
export function stateDigest(blocks: number, config: Uint8Array, lostDma: number): string {
  const tail = new DataView(new ArrayBuffer(4));
  tail.setUint32(0, crc32c(config), true);
  const crc = crc32c(new Uint8Array(tail.buffer), blocks);
  const hex = crc.toString(16).padStart(8, "0");
  return lostDma > 0 ? `crc32c:${hex}+lost-dma:${lostDma}` : `crc32c:${hex}`;
}
