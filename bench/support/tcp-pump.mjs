// The raw two-process TCP pump bench/e2e.bench.ts compares migrations against: what plain Node
// moves over loopback with nothing but sockets. Plain JS run by bare `node`, so its start costs no
// more than the CLI's. Usage:
//   node tcp-pump.mjs receive CONNECTIONS BYTES_EACH [passes|checked]   prints "listening on PORT", then reads
//   node tcp-pump.mjs send PORT CONNECTIONS BYTES_EACH [passes|checked] prints {"ms": ...} once every byte arrived
// The receiver reads with `onread` into one 64-byte aligned 1 MiB buffer per connection (counting
// is all it does) and answers one byte per connection when all of its bytes arrived; the sender
// writes 1 MiB at a time from one 64-byte aligned buffer, waiting for 'drain' past the high-water
// mark, and its time runs from before connecting to the last answer.
//
// With `passes` (both ends), the pump also does the two byte passes every honest device transfer
// pays, and nothing else: the sender copies each write's bytes from a 64 KiB pattern first (a
// device's read is a copy), the receiver compares every byte it reads with that pattern (what the
// simulated destination device does). Memcpy and memcmp run as in the simulated device
// (`TypedArray.set`, `Buffer.prototype.compare`), on the cheapest memory: two hot 1 MiB buffers
// per connection. Its time is the ceiling of a migration with those passes on the same machine.
//
// `checked` adds an integrity check to the passes, as `--checksum xxh3` does: the bytes go in
// records of 256 KiB (the size of a checked packet) and an 8-byte XXH3-64, computed by our WASM
// kernel where the bytes lie in WASM memory (the sender's fill lands there, the receiver reads into
// it), and the receiver checks every record's hash and compares its bytes with the pattern.
import * as net from "node:net";
import { createInstance, init } from "../../dist/codec/index.js";

const MiB = 1 << 20;
const PATTERN_BYTES = 64 * 1024;
const compare = Buffer.prototype.compare;

/** A `bytes`-long view of fresh memory starting on a 64-byte boundary. */
function aligned(bytes) {
  const backing = new ArrayBuffer(bytes + 64);
  return new Uint8Array(backing, 0, bytes + 64).subarray(0, bytes);
}

/** xorshift32 bytes: content that no byte-level shortcut can guess. */
function pattern() {
  const words = new Uint32Array(PATTERN_BYTES / 4);
  let x = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return new Uint8Array(words.buffer);
}

/** True when `bytes[0, n)` equals the pattern stream from stream offset `at`. */
function matches(source, bytes, n, at) {
  for (let i = 0, p = at % PATTERN_BYTES; i < n; p = 0) {
    const length = Math.min(n - i, PATTERN_BYTES - p);
    if (compare.call(source, bytes, i, i + length, p, p + length) !== 0) return false;
    i += length;
  }
  return true;
}

const RECORD_DATA = 256 * 1024;
const RECORD = RECORD_DATA + 8;

const [role, ...rest] = process.argv.slice(2);
const mode = ["passes", "checked"].includes(rest.at(-1)) ? rest.at(-1) : "raw";
const passes = mode !== "raw";
const args = mode === "raw" ? rest : rest.slice(0, -1);
const numbers = args.map(Number);
if (numbers.some((n) => !Number.isSafeInteger(n) || n <= 0) || numbers.length !== (role === "send" ? 3 : 2) || (mode === "checked" && numbers.at(-1) % RECORD_DATA !== 0)) {
  process.stderr.write(`tcp-pump: bad arguments ${rest.join(" ")}\n`);
  process.exit(2);
}
const source = pattern();
if (mode === "checked") {
  await init();
  if (role === "receive") receiveChecked(...numbers);
  else await sendChecked(...numbers);
} else if (role === "receive") {
  const [connections, each] = numbers;
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
        callback: (n, bytes) => {
          if (passes && !matches(source, bytes, n, got)) {
            process.stderr.write(`tcp-pump: bytes at ${got} differ from the pattern\n`);
            process.exit(1);
          }
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
  const [port, connections, each] = numbers;
  const chunk = aligned(MiB).fill(0xa5);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: connections }, () => new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true, noDelay: true });
      // With passes: a buffer is filled again only once the socket has let go of its last write.
      const free = passes ? [aligned(MiB), aligned(MiB)] : [];
      let freed;
      const take = async () => {
        while (free.length === 0) await new Promise((r) => (freed = r));
        return free.pop();
      };
      socket.on("error", reject);
      socket.on("data", () => resolve());
      socket.once("connect", async () => {
        for (let sent = 0; sent < each; sent += MiB) {
          const n = Math.min(MiB, each - sent);
          let ok;
          if (passes) {
            const buffer = await take();
            for (let at = 0; at < n; at += PATTERN_BYTES) buffer.set(source.subarray(0, Math.min(PATTERN_BYTES, n - at)), at);
            ok = socket.write(buffer.subarray(0, n), () => {
              free.push(buffer);
              freed?.();
            });
          } else {
            ok = socket.write(n === MiB ? chunk : chunk.subarray(0, n));
          }
          if (!ok) await new Promise((r) => socket.once("drain", r));
        }
        socket.end();
      });
    })),
  );
  process.stdout.write(`${JSON.stringify({ ms: performance.now() - start })}\n`);
} else {
  process.stderr.write("usage: tcp-pump.mjs receive CONNECTIONS BYTES_EACH [passes|checked] | send PORT CONNECTIONS BYTES_EACH [passes|checked]\n");
  process.exit(2);
}

/** Accepts `connections`, each carrying `each` bytes in checked records; answers when all arrived. */
function receiveChecked(connections, each) {
  const records = each / RECORD_DATA;
  const wasm = createInstance(connections * RECORD + 64 * connections);
  let open = connections;
  let regions = 0;
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
  server.on("connection", (accepted) => {
    const handle = accepted._handle;
    accepted._handle = null;
    accepted.destroy();
    const at = wasm.heapBase + regions++ * (RECORD + 64);
    const record = wasm.bytes.subarray(at, at + RECORD);
    let have = 0;
    let done = 0;
    const socket = new net.Socket({
      handle,
      allowHalfOpen: true,
      readable: true,
      writable: true,
      onread: {
        // Each read lands where the record continues, so a record is whole in WASM memory.
        buffer: () => record.subarray(have),
        callback: (n) => {
          have += n;
          if (have < RECORD) return true;
          const hash = BigInt.asUintN(64, wasm.exports.xxh3(at, RECORD_DATA));
          const sent = new DataView(wasm.bytes.buffer, at + RECORD_DATA, 8).getBigUint64(0, true);
          if (hash !== sent || !matches(source, record, RECORD_DATA, 0)) {
            process.stderr.write(`tcp-pump: record ${done} fails its check\n`);
            process.exit(1);
          }
          have = 0;
          if (++done === records) {
            socket.end(new Uint8Array([1]));
            if (--open === 0) server.close();
          }
          return true;
        },
      },
    });
  });
  server.listen(0, "127.0.0.1", () => process.stdout.write(`listening on ${server.address().port}\n`));
}

/** Sends `each` bytes per connection in checked records, filled and hashed in two WASM buffers per connection. */
async function sendChecked(port, connections, each) {
  const wasm = createInstance(connections * 2 * (RECORD + 64));
  const start = performance.now();
  await Promise.all(
    Array.from({ length: connections }, (_, c) => new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true, noDelay: true });
      const free = [0, 1].map((i) => wasm.heapBase + (2 * c + i) * (RECORD + 64));
      let freed;
      socket.on("error", reject);
      socket.on("data", () => resolve());
      socket.once("connect", async () => {
        for (let sent = 0; sent < each; sent += RECORD_DATA) {
          while (free.length === 0) await new Promise((r) => (freed = r));
          const at = free.pop();
          const record = wasm.bytes.subarray(at, at + RECORD);
          for (let i = 0; i < RECORD_DATA; i += PATTERN_BYTES) record.set(source, i);
          new DataView(wasm.bytes.buffer, at + RECORD_DATA, 8).setBigUint64(0, wasm.exports.xxh3(at, RECORD_DATA), true);
          const ok = socket.write(record, () => {
            free.push(at);
            freed?.();
          });
          if (!ok) await new Promise((r) => socket.once("drain", r));
        }
        socket.end();
      });
    })),
  );
  process.stdout.write(`${JSON.stringify({ ms: performance.now() - start })}\n`);
}
