// The raw two-process TCP pump bench/e2e.bench.ts compares migrations against: what plain Node
// moves over loopback with nothing but sockets. Plain JS run by bare `node`, so its start costs no
// more than the CLI's. Usage:
//   node tcp-pump.mjs receive CONNECTIONS BYTES_EACH   prints "listening on PORT", then reads
//   node tcp-pump.mjs send PORT CONNECTIONS BYTES_EACH prints {"ms": ...} once every byte arrived
// The receiver reads with `onread` into one 64-byte aligned 1 MiB buffer per connection (counting
// is all it does) and answers one byte per connection when all of its bytes arrived; the sender
// writes 1 MiB at a time from one 64-byte aligned buffer, waiting for 'drain' past the high-water
// mark, and its time runs from before connecting to the last answer.
import * as net from "node:net";

const MiB = 1 << 20;

/** A `bytes`-long view of fresh memory starting on a 64-byte boundary. */
function aligned(bytes) {
  const backing = new ArrayBuffer(bytes + 64);
  return new Uint8Array(backing, 0, bytes + 64).subarray(0, bytes);
}

const [role, ...args] = process.argv.slice(2);
const numbers = args.map(Number);
if (numbers.some((n) => !Number.isSafeInteger(n) || n <= 0) || numbers.length !== (role === "send" ? 3 : 2)) {
  process.stderr.write(`tcp-pump: bad arguments ${args.join(" ")}\n`);
  process.exit(2);
}
if (role === "receive") {
  const [connections, each] = args.map(Number);
  let open = connections;
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
  // net.Server takes no onread option: wrap each accepted (paused) handle in a socket that has one.
  server.on("connection", (accepted) => {
    const handle = accepted._handle;
    accepted._handle = null;
    accepted.destroy();
    let got = 0;
    const socket = new net.Socket({
      handle,
      allowHalfOpen: true,
      readable: true,
      writable: true,
      onread: {
        buffer: aligned(MiB),
        callback: (n) => {
          got += n;
          if (got === each) {
            socket.end(new Uint8Array([1]));
            if (--open === 0) server.close();
          }
          return true;
        },
      },
    });
  });
  server.listen(0, "127.0.0.1", () => process.stdout.write(`listening on ${server.address().port}\n`));
} else if (role === "send") {
  const [port, connections, each] = args.map(Number);
  const chunk = aligned(MiB).fill(0xa5);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: connections }, () => new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true, noDelay: true });
      socket.on("error", reject);
      socket.on("data", () => resolve());
      socket.once("connect", async () => {
        for (let sent = 0; sent < each; sent += MiB) {
          const n = Math.min(MiB, each - sent);
          if (!socket.write(n === MiB ? chunk : chunk.subarray(0, n))) await new Promise((r) => socket.once("drain", r));
        }
        socket.end();
      });
    })),
  );
  process.stdout.write(`${JSON.stringify({ ms: performance.now() - start })}\n`);
} else {
  process.stderr.write("usage: tcp-pump.mjs receive CONNECTIONS BYTES_EACH | send PORT CONNECTIONS BYTES_EACH\n");
  process.exit(2);
}
