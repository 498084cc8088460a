// A TCP relay between `send` and `receive` that counts every connection's bytes in each direction
// and injects one fault: a cut (both sockets reset) once a direction of one connection has carried
// a given number of bytes, or a stall (that direction stops forwarding, the connection stays up)
// after a byte pattern went through.
import { connect, createServer, type Server, type Socket } from "node:net";

export type Direction = "to-destination" | "to-source";

export interface RelayFault {
  /** Which connection, in the order the relay accepted them: 0 is main, then the multifd channels, then any recovery connection. */
  connection: number;
  direction: Direction;
  /** Reset both sockets once this many bytes of the direction went through. */
  cutAt?: number;
  /**
   * Reset both sockets this many bytes after the start of the first SWITCHOVER_START command in the
   * direction (instead of `cutAt`): places a cut relative to the switchover, whose tail is the same
   * length in every run, while the pre-copy before it is not.
   */
  cutAfterSwitchover?: number;
  /** Stop forwarding the direction right after these bytes went through (the connection stays open). */
  stallAfter?: Uint8Array;
}

export interface RelayConnection {
  bytes: Record<Direction, number>;
  /** Where SWITCHOVER_START (08 00 0b 00 00) began in the to-destination bytes, if it went through. */
  switchoverStartAt?: number;
}

const SWITCHOVER_START = Uint8Array.from([0x08, 0x00, 0x0b, 0x00, 0x00]);

export interface FaultRelay {
  port: number;
  connections: RelayConnection[];
  /** Whether the fault fired. */
  readonly fired: boolean;
  close(): Promise<void>;
}

export async function faultRelay(targetPort: number, fault?: RelayFault): Promise<FaultRelay> {
  const connections: RelayConnection[] = [];
  const sockets = new Set<Socket>();
  let fired = false;
  // Half-open connections pass through: an orderly end of one direction does not end the other.
  const server: Server = createServer({ allowHalfOpen: true }, (near) => {
    const index = connections.length;
    const record: RelayConnection = { bytes: { "to-destination": 0, "to-source": 0 } };
    connections.push(record);
    const far = connect({ port: targetPort, host: "127.0.0.1", allowHalfOpen: true });
    for (const s of [near, far]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => {
        sockets.delete(s);
        // One side gone: the other goes too, the way a broken path would look after its timeout.
        near.destroy();
        far.destroy();
      });
    }
    const cut = (): void => {
      fired = true;
      near.resetAndDestroy();
      far.resetAndDestroy();
    };
    const pipe = (from: Socket, to: Socket, direction: Direction): void => {
      const mine = fault && fault.connection === index && fault.direction === direction ? fault : undefined;
      let cutAt = mine?.cutAt;
      let stalled = false;
      let tail: Uint8Array = new Uint8Array(0);
      // The last bytes seen, to find SWITCHOVER_START across chunk boundaries.
      let recent: Uint8Array = new Uint8Array(0);
      from.on("data", (chunk: Buffer) => {
        if (stalled) return;
        let bytes: Uint8Array = chunk;
        const before = record.bytes[direction];
        if (direction === "to-destination" && record.switchoverStartAt === undefined) {
          const seen = concat(recent, bytes);
          const at = indexOf(seen, SWITCHOVER_START);
          if (at >= 0) {
            record.switchoverStartAt = before - recent.length + at;
            if (mine?.cutAfterSwitchover !== undefined) cutAt = record.switchoverStartAt + mine.cutAfterSwitchover;
          }
          recent = seen.subarray(Math.max(0, seen.length - SWITCHOVER_START.length + 1));
        }
        if (cutAt !== undefined && before + bytes.length >= cutAt) {
          to.write(bytes.subarray(0, cutAt - before), () => cut());
          record.bytes[direction] = cutAt;
          stalled = true;
          return;
        }
        if (mine?.stallAfter) {
          const seen = concat(tail, bytes);
          const at = indexOf(seen, mine.stallAfter);
          if (at >= 0) {
            const keep = at + mine.stallAfter.length - tail.length;
            bytes = bytes.subarray(0, keep);
            stalled = true;
            fired = true;
          } else {
            tail = seen.subarray(Math.max(0, seen.length - mine.stallAfter.length + 1));
          }
        }
        record.bytes[direction] += bytes.length;
        to.write(bytes);
      });
      from.on("end", () => {
        if (!stalled) to.end();
      });
    };
    pipe(near, far, "to-destination");
    pipe(far, near, "to-source");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    connections,
    get fired() {
      return fired;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
