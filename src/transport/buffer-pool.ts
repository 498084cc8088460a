/** One receive buffer lent to a socket: `bytes` starts on a 64-byte boundary of its memory. */
export interface PoolSlot {
  readonly bytes: Uint8Array;
}

const ALIGN = 64;
const WASM_PAGE = 65536;

/**
 * A fixed set of equal receive buffers carved from one region, each starting 64-byte aligned.
 * By default the region is a fresh `WebAssembly.Memory`, whose buffer is page-aligned, so the
 * offsets are truly 64-byte aligned in memory; a caller may pass a region of its own (e.g. WASM
 * linear memory past `heapBase`) so sockets read straight into memory the codec scans.
 */
export class BufferPool {
  private readonly free: PoolSlot[] = [];
  readonly slotSize: number;
  readonly slotCount: number;

  constructor(options: { slotSize?: number; slots?: number; region?: Uint8Array } = {}) {
    const slotSize = Math.ceil((options.slotSize ?? 64 * 1024) / ALIGN) * ALIGN;
    const wanted = options.slots ?? 8;
    if (!(slotSize > 0) || !(wanted >= 2)) {
      throw new RangeError(`BufferPool: needs slotSize > 0 and at least 2 slots, got ${slotSize} x ${wanted}`);
    }
    const region = options.region ?? new Uint8Array(new WebAssembly.Memory({ initial: Math.ceil((slotSize * wanted) / WASM_PAGE) }).buffer);
    const skip = (ALIGN - (region.byteOffset % ALIGN)) % ALIGN;
    const count = Math.min(wanted, Math.floor((region.length - skip) / slotSize));
    if (count < 2) throw new RangeError(`BufferPool: region of ${region.length} bytes holds fewer than 2 slots of ${slotSize}`);
    for (let i = 0; i < count; i++) {
      this.free.push({ bytes: region.subarray(skip + i * slotSize, skip + (i + 1) * slotSize) });
    }
    this.slotSize = slotSize;
    this.slotCount = count;
  }

  get available(): number {
    return this.free.length;
  }

  /** A free slot, or undefined when all are lent. */
  take(): PoolSlot | undefined {
    return this.free.pop();
  }

  give(slot: PoolSlot): void {
    this.free.push(slot);
  }
}
