// Multifd send + receive throughput over real loopback TCP with 1, 2 and 4 channels, checksum none,
// crc32c and xxh3: two devices' STOP_COPY data framed in pooled WASM memory on one side, scanned, reordered
// and written in idx order on the other, both ends in this process (as `simulate` runs them).
// Device reads copy from a prepared block and device writes only count bytes, so the figure is the
// data path's own cost (framing, checksums, sockets, scanning, reordering), not a device model's.
import { Bench } from "tinybench";
import { init, type ChecksumAlgorithm } from "../src/codec/index.js";
import { MultifdReceiver, MultifdSender } from "../src/engine/multifd/index.js";
import type { MigratableDevice } from "../src/device/types.js";
import { DeviceState, MigrationFlags } from "../src/fsm/states.js";
import { tcpConnect, tcpListen } from "../src/transport/tcp.js";
import type { Channel } from "../src/transport/types.js";

const MiB = 1 << 20;
const DEVICE_BYTES = 64 * MiB;
const DEVICES = 2;
const block = new Uint8Array(MiB).map((_, i) => Math.imul(i, 2654435761) >>> 24);

/** The smallest honest device: reads copy from a block until `size` bytes, writes count them. */
function benchDevice(name: string, state: DeviceState): MigratableDevice & { loaded: number } {
  let readAt = 0;
  return {
    name, instanceId: 0, flags: MigrationFlags.STOP_COPY, state, loaded: 0,
    async setState() {},
    async read(buf) {
      const n = Math.min(buf.length, block.length, DEVICE_BYTES - readAt);
      buf.set(block.subarray(0, n));
      readAt += n;
      return n;
    },
    async write(bytes) {
      this.loaded += bytes.length;
    },
    precopyInfo: () => ({ initialBytes: 0, dirtyBytes: 0 }),
    stopCopySize: () => DEVICE_BYTES - readAt,
    saveConfig: () => new Uint8Array(64),
    async loadConfig() {},
    async reset() {},
  };
}

await init();
const acceptor = await tcpListen({ port: 0 });
const dialer = tcpConnect(acceptor.address);

interface Transfer { run(): Promise<void> }

/** Connects `channels` fresh TCP channels and builds both ends (untimed); `run()` is the transfer. */
async function prepare(channels: number, checksum: ChecksumAlgorithm): Promise<Transfer & { close(): Promise<void> }> {
  const source: Channel[] = [];
  const destination: Channel[] = [];
  for (let i = 0; i < channels; i++) {
    const [dialed, accepted] = await Promise.all([dialer.dial(`multifd/${i}`), acceptor.accept()]);
    source.push(dialed);
    destination.push(accepted);
  }
  const sources = Array.from({ length: DEVICES }, (_, i) => benchDevice(`0000:00:0${i}.0/vfio`, DeviceState.STOP_COPY));
  const destinations = sources.map((d) => benchDevice(d.name, DeviceState.RESUMING));
  const sender = new MultifdSender(source, { checksum });
  const receiver = new MultifdReceiver({ devices: destinations, channels, checksum });
  destination.forEach((channel) => receiver.addChannel(channel));
  receiver.switchoverStart();
  return {
    async run() {
      await Promise.all([sender.send(sources), receiver.finished()]);
      if (destinations.some((d) => d.loaded !== DEVICE_BYTES)) throw new Error("a device did not load all its bytes");
    },
    async close() {
      for (const channel of [...source, ...destination]) channel.destroy();
      await Promise.all([...source, ...destination].map((channel) => channel.closed));
    },
  };
}

// The machine is shared and noisy: configurations alternate in rounds, each round times one
// transfer of each. The table reports each configuration's median rate with its range, and ratios
// to the baseline as the median of per-round ratios with their range: medians of different rounds
// need not divide into the median ratio, and the ranges show by how much noise moves either.
const CHECKSUMS: ChecksumAlgorithm[] = ["none", "crc32c", "xxh3"];
const CONFIGS = CHECKSUMS.flatMap((checksum) => [1, 2, 4].map((channels) => ({ checksum, channels })));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const seconds = CONFIGS.map(() => [] as number[]);
// CPU time of the process (both ends) per MiB moved: what the data path costs, whatever else runs.
const cpuPerMiB = CONFIGS.map(() => [] as number[]);
const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];

async function timeOnce(channels: number, checksum: ChecksumAlgorithm): Promise<{ seconds: number; cpuMs: number }> {
  let transfer: (Transfer & { close(): Promise<void> }) | undefined;
  const bench = new Bench({ time: 0, iterations: 1, warmup: false });
  let cpu = 0;
  bench.add(`${channels} channels`, async () => {
    const start = process.cpuUsage();
    await transfer!.run();
    const used = process.cpuUsage(start);
    cpu = (used.user + used.system) / 1000;
  }, {
    beforeEach: async () => {
      transfer = await prepare(channels, checksum);
    },
    afterEach: async () => {
      await transfer!.close();
    },
  });
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (result.state !== "completed") throw new Error(`${channels} channels: ${result.state}`);
  return { seconds: result.latency.p50 / 1000, cpuMs: cpu };
}

await timeOnce(2, "crc32c"); // warm-up: JIT and first-touch of the pools
for (let round = 0; round < ROUNDS; round++) {
  for (const [i, { channels, checksum }] of CONFIGS.entries()) {
    const sample = await timeOnce(channels, checksum);
    seconds[i].push(sample.seconds);
    cpuPerMiB[i].push(sample.cpuMs / ((DEVICES * DEVICE_BYTES) / MiB));
  }
}
const spread = (values: number[]) => `${median(values).toFixed(2)} [${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}]`;
const rows = CONFIGS.map(({ channels, checksum }, i) => {
  const sameChecksum = CONFIGS.findIndex((c) => c.checksum === checksum && c.channels === 1);
  const noChecksum = CONFIGS.findIndex((c) => c.checksum === "none" && c.channels === channels);
  const ratios = (base: number) => spread(seconds[i].map((s, r) => seconds[base][r] / s));
  return {
    checksum,
    channels,
    rounds: ROUNDS,
    "GB/s median [range]": spread(seconds[i].map((s) => (DEVICES * DEVICE_BYTES) / s / 1e9)),
    "x 1 channel, per-round ratios": ratios(sameChecksum),
    "x none, per-round ratios": ratios(noChecksum),
    "CPU ms per MiB (median)": median(cpuPerMiB[i]).toFixed(2),
  };
});
console.table(rows);
await acceptor.close();
