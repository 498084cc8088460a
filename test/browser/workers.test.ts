import { describe, expect, it } from "vitest";
import type { DoneMessage, RunMessage, WorkerMessage } from "../../demo/protocol.js";

/** Runs one end in a real module Web Worker (the demo's own worker code) and resolves with its result. */
function run(worker: Worker, port: MessagePort, search: string): Promise<DoneMessage> {
  return new Promise((resolve, reject) => {
    worker.onmessage = ({ data }: MessageEvent<WorkerMessage>) => {
      if (data.type === "done") resolve(data);
      else if (data.type === "crash") reject(new Error(`${data.side}: ${data.message}`));
    };
    worker.onerror = (event) => reject(new Error(event.message));
    worker.postMessage({ type: "run", search, port } satisfies RunMessage, [port]);
  });
}

async function migrateBetweenWorkers(search: string): Promise<[DoneMessage, DoneMessage]> {
  const source = new Worker(new URL("../../demo/source-worker.ts", import.meta.url), { type: "module" });
  const destination = new Worker(new URL("../../demo/destination-worker.ts", import.meta.url), { type: "module" });
  const control = new MessageChannel();
  try {
    return await Promise.all([run(source, control.port1, search), run(destination, control.port2, search)]);
  } finally {
    source.terminate();
    destination.terminate();
  }
}

describe("migrate() and receive() in two real Web Workers over MessagePort channels", () => {
  it.each([
    ["main channel only", "?devices=2&state-size=2MiB&multifd=off&bandwidth=0&dirty-rate=0"],
    ["switchover-ack and multifd", "?devices=3&state-size=2MiB&switchover-ack=1&multifd=on&channels=2&bandwidth=0&dirty-rate=4MiB"],
  ])("%s: completes with every destination digest equal to its source's", async (_, search) => {
    const [source, destination] = await migrateBetweenWorkers(search);
    expect(source.result.error).toBeUndefined();
    expect(destination.result.error).toBeUndefined();
    expect([source.result.status, destination.result.status]).toEqual(["completed", "completed"]);
    expect(source.result.downtimeMs).toBeGreaterThan(0);
    const devices = new URLSearchParams(search).get("devices");
    expect(source.result.devices).toHaveLength(Number(devices));
    source.result.devices.forEach((device, i) => {
      expect(device.digest).toMatch(/\S/);
      expect(destination.result.devices[i].name).toBe(device.name);
      expect(destination.result.devices[i].digest).toBe(device.digest);
      expect(destination.result.devices[i].finalState).toBe("RUNNING");
    });
    // Channels really crossed between the workers: the source counted what it wrote on each.
    const multifd = new URLSearchParams(search).get("multifd") === "on" ? 2 : 0;
    expect(source.channels.map((c) => c.name)).toEqual(["main", ...Array.from({ length: multifd }, (_, i) => `multifd/${i}`)]);
    // Everything written on each channel: the engine's counts plus each multifd channel's 64-byte hello.
    expect(source.channels.map((c) => c.samples.at(-1)!.bytes)).toEqual([source.result.bytes.main, ...source.result.bytes.multifd.map((n) => n + 64)]);
  });
});
