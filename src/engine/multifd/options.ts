import { MultifdError } from "./errors.js";

/** QEMU's `data_buffer_size`: a device read, and so a data packet, carries at most 1 MiB. */
export const DEFAULT_MAX_CHUNK_BYTES = 1024 * 1024;
/**
 * What our source reads per packet when a checksum extension is negotiated: a quarter of QEMU's. The
 * sender's whole slot pool (8 slots with 4 channels) then fits a 2 MiB L2, and so do the packets a
 * receiver is filling, through the device's fill, both checks and the sockets' copies (XXH3
 * migrations 5-6% faster than with 512 KiB, 6% faster again than 1 MiB; docs/BENCHMARKS.md).
 * Without a checksum the stream is QEMU's exact bytes, so its 1 MiB reads stay, although 256 KiB
 * measured 4-9% faster there too.
 */
export const DEFAULT_CHECKED_CHUNK_BYTES = 256 * 1024;
/** Default bound on packet data queued for load workers (QEMU's cap is unlimited; ours is finite). */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;
/** The idstr field holds 255 bytes and a NUL. */
const MAX_IDSTR_BYTES = 255;

/** Largest WASM memory we ask for: 32-bit linear memory tops out at 4 GiB, and engines often below. */
const MAX_POOL_BYTES = 2 * 1024 * 1024 * 1024;

/** Refuses a size option that is not a positive integer. */
export function checkSize(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new MultifdError("ERR_MULTIFD_OPTIONS", `multifd option ${name} must be a positive integer, got ${value}`);
  }
}

/** Refuses options that would need a buffer pool larger than WASM memory can hold. */
export function checkPool(poolBytes: number, what: string): void {
  if (poolBytes > MAX_POOL_BYTES) {
    throw new MultifdError("ERR_MULTIFD_OPTIONS", `multifd ${what} need a ${poolBytes}-byte buffer pool, over ${MAX_POOL_BYTES}`);
  }
}

/** What one device sent or received over multifd. */
export interface DeviceTraffic {
  device: string;
  instanceId: number;
  /** Packet payload bytes including each packet's 12-byte VFIO header, as QEMU's `vfio.transferred`. */
  bytes: number;
  packets: number;
}

const utf8 = new TextEncoder();

/** Refuses a device name the packet's idstr field cannot carry (255 bytes, no NUL inside). */
export function checkIdstr(name: string): void {
  const bytes = utf8.encode(name);
  if (bytes.length === 0 || bytes.length > MAX_IDSTR_BYTES || bytes.includes(0)) {
    throw new MultifdError("ERR_MULTIFD_IDSTR", `device id string must be 1..${MAX_IDSTR_BYTES} bytes without NUL, got ${bytes.length}`, { device: name });
  }
}

/** Routing key of (idstr, instance_id). */
export function deviceKey(name: string, instanceId: number): string {
  return `${instanceId >>> 0}\u0000${name}`;
}
