import { MultifdError } from "./errors.js";

/** QEMU's `data_buffer_size`: a device read, and so a data packet, carries at most 1 MiB. */
export const DEFAULT_MAX_CHUNK_BYTES = 1024 * 1024;
/** Default bound on packet data queued for load workers (QEMU's cap is unlimited; ours is finite). */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;
/** The idstr field holds 255 bytes and a NUL. */
const MAX_IDSTR_BYTES = 255;

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
