import type { Channel } from "./types.js";

const CHUNK = 256 * 1024;

/**
 * Copies everything `from` carries into `to`, then ends `to`. Reads rotate over `depth` buffers, so
 * up to `depth - 1` writes may still hold theirs (a socket keeps a buffer until the kernel takes it)
 * while the next read fills another; a buffer is reused only once its write resolved. A failure on
 * either side destroys both with the same error, so the far ends see it typed.
 */
export async function pipeChannels(from: Channel, to: Channel, depth = 4): Promise<void> {
  const slots = Array.from({ length: depth }, () => ({ buf: new Uint8Array(CHUNK), written: Promise.resolve() }));
  try {
    for (let i = 0; ; i = (i + 1) % depth) {
      const slot = slots[i];
      await slot.written;
      const n = await from.read(slot.buf);
      if (n === 0) break;
      slot.written = to.write(slot.buf.subarray(0, n));
      // Settled later by the await above or the final Promise.all; do not report it unhandled meanwhile.
      slot.written.catch(() => {});
    }
    await Promise.all(slots.map((s) => s.written));
    await to.end();
  } catch (err) {
    from.destroy(err as Error);
    to.destroy(err as Error);
  }
}
