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
/** Where record `i` of a WASM region of records lies, 64-byte aligned. */
const recordAt = (wasm, i) => wasm.heapBase + i * (RECORD + 64);

function fail(message) {
  process.stderr.write(`tcp-pump: ${message}\n`);
  process.exit(1);
}

/**
 * Listens, prints the port, and reads every accepted connection with `onread` from
 * `reader(index, done)`; `done()` answers that connection's one byte (all of its bytes arrived).
 */
function serve(connections, reader) {
  let open = connections;
  let accepted = 0;
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
  // net.Server takes no onread option: wrap each accepted (paused) handle in a socket that has one.
  server.on("connection", (connection) => {
    const handle = connection._handle;
    connection._handle = null;
    connection.destroy();
    const index = accepted++;
    let finished = false;
    const done = () => {
      finished = true;
      socket.end(new Uint8Array([1]));
      if (--open === 0) server.close();
    };
    const socket = new net.Socket({ handle, allowHalfOpen: true, readable: true, writable: true, onread: reader(index, done) });
    // A sender gone before all of its bytes arrived would otherwise leave this receiver waiting.
    socket.on("end", () => finished || fail(`connection ${index} ended before all of its bytes arrived`));
    socket.on("error", (error) => fail(`connection ${index}: ${error.message}`));
  });
  server.listen(0, "127.0.0.1", () => process.stdout.write(`listening on ${server.address().port}\n`));
}

/**
 * Connects `connections` times, runs `writer(socket, index, write)` on each, and prints the time from
 * before connecting until every connection answered. `write` waits for 'drain' past the high-water mark.
 */
async function send(port, connections, writer) {
  const start = performance.now();
  await Promise.all(
    Array.from({ length: connections }, (_, index) => new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true, noDelay: true });
      const write = async (bytes, written) => {
        if (!socket.write(bytes, written)) await new Promise((r) => socket.once("drain", r));
      };
      socket.on("error", reject);
      socket.on("data", () => resolve());
      socket.once("connect", () => writer(index, write).then(() => socket.end(), reject));
    })),
  );
  process.stdout.write(`${JSON.stringify({ ms: performance.now() - start })}\n`);
}

/** Buffers a writer fills again only once the socket has let go of their last write. */
function recycled(buffers) {
  const free = [...buffers];
  let freed;
  return {
    async take() {
      while (free.length === 0) await new Promise((r) => (freed = r));
      return free.pop();
    },
    give(buffer) {
      free.push(buffer);
      freed?.();
    },
  };
}

const [role, ...rest] = process.argv.slice(2);
const mode = ["passes", "checked"].includes(rest.at(-1)) ? rest.at(-1) : "raw";
const numbers = (mode === "raw" ? rest : rest.slice(0, -1)).map(Number);
if (
  !["send", "receive"].includes(role) ||
  numbers.some((n) => !Number.isSafeInteger(n) || n <= 0) ||
  numbers.length !== (role === "send" ? 3 : 2) ||
  (mode === "checked" && numbers.at(-1) % RECORD_DATA !== 0)
) {
  process.stderr.write("usage: tcp-pump.mjs receive CONNECTIONS BYTES_EACH [passes|checked] | send PORT CONNECTIONS BYTES_EACH [passes|checked]\n");
  process.exit(2);
}
const source = pattern();
if (mode === "checked") await init();

if (role === "receive") {
  const [connections, each] = numbers;
  if (mode === "checked") {
    const wasm = createInstance(connections * (RECORD + 64));
    serve(connections, (index, done) => {
      const at = recordAt(wasm, index);
      const record = wasm.bytes.subarray(at, at + RECORD);
      let have = 0;
      let records = 0;
      return {
        // Each read lands where the record continues, so a record is whole in WASM memory.
        buffer: () => record.subarray(have),
        callback: (n) => {
          have += n;
          if (have < RECORD) return true;
          const hash = BigInt.asUintN(64, wasm.exports.xxh3(at, RECORD_DATA));
          const sent = new DataView(wasm.bytes.buffer, at + RECORD_DATA, 8).getBigUint64(0, true);
          if (hash !== sent || !matches(source, record, RECORD_DATA, 0)) fail(`record ${records} fails its check`);
          have = 0;
          if (++records * RECORD_DATA === each) done();
          return true;
        },
      };
    });
  } else {
    serve(connections, (_, done) => {
      let got = 0;
      return {
        buffer: aligned(MiB),
        callback: (n, bytes) => {
          if (mode === "passes" && !matches(source, bytes, n, got)) fail(`bytes at ${got} differ from the pattern`);
          got += n;
          if (got === each) done();
          return true;
        },
      };
    });
  }
} else {
  const [port, connections, each] = numbers;
  if (mode === "raw") {
    const chunk = aligned(MiB).fill(0xa5);
    await send(port, connections, async (_, write) => {
      for (let sent = 0; sent < each; sent += MiB) await write(chunk.subarray(0, Math.min(MiB, each - sent)));
    });
  } else if (mode === "passes") {
    await send(port, connections, async (_, write) => {
      const buffers = recycled([aligned(MiB), aligned(MiB)]);
      for (let sent = 0; sent < each; sent += MiB) {
        const n = Math.min(MiB, each - sent);
        const buffer = await buffers.take();
        for (let at = 0; at < n; at += PATTERN_BYTES) buffer.set(source.subarray(0, Math.min(PATTERN_BYTES, n - at)), at);
        await write(buffer.subarray(0, n), () => buffers.give(buffer));
      }
    });
  } else {
    const wasm = createInstance(connections * 2 * (RECORD + 64));
    await send(port, connections, async (index, write) => {
      const buffers = recycled([recordAt(wasm, 2 * index), recordAt(wasm, 2 * index + 1)]);
      for (let sent = 0; sent < each; sent += RECORD_DATA) {
        const at = await buffers.take();
        const record = wasm.bytes.subarray(at, at + RECORD);
        for (let i = 0; i < RECORD_DATA; i += PATTERN_BYTES) record.set(source, i);
        new DataView(wasm.bytes.buffer, at + RECORD_DATA, 8).setBigUint64(0, wasm.exports.xxh3(at, RECORD_DATA), true);
        await write(record, () => buffers.give(at));
      }
    });
  }
}
