// A hand-made three-device migration with switchover-ack, P2P and two multifd channels: the report's
// test data and the example rendered to check how the page looks.
import type { ByteSample, PendingSample, ReportData, ReportMarker, StateChange } from "../../src/report/index.js";

const MiB = 1024 * 1024;
const VM_STOP = 2400;
const VM_START = 2622;

function ramp(from: number, to: number, startBytes: number, bytesPerMs: number, every = 50): ByteSample[] {
  const samples: ByteSample[] = [];
  for (let t = from; t <= to; t += every) samples.push({ t, bytes: Math.round(startBytes + (t - from) * bytesPerMs) });
  return samples;
}

function pendingSamples(): PendingSample[] {
  const samples: PendingSample[] = [];
  for (let t = 100; t < VM_STOP; t += 100) {
    const pendingBytes = Math.max(6 * MiB, 300 * MiB - t * 0.128 * MiB + 3 * MiB * Math.sin(t / 300));
    samples.push({ t, pendingBytes, thresholdBytes: 38.4 * MiB * (0.9 + 0.1 * Math.cos(t / 500)) });
  }
  return samples;
}

function sourceStates(p2pAt: number): StateChange[] {
  return [
    { t: 0, state: "RUNNING" },
    { t: 9, state: "PRE_COPY" },
    { t: p2pAt, state: "PRE_COPY_P2P" },
    { t: VM_STOP + 3, state: "STOP_COPY" },
    { t: 2645, state: "STOP" },
  ];
}

function destinationStates(): StateChange[] {
  return [
    { t: 0, state: "RUNNING" },
    { t: 14, state: "RESUMING" },
    { t: VM_START - 3, state: "RUNNING_P2P" },
    { t: VM_START, state: "RUNNING" },
  ];
}

export function exampleReport(): ReportData {
  const names = ["0000:00:04.0/vfio", "0000:00:05.0/vfio", "0000:00:06.0/vfio"];
  const digest = (i: number) => `sha256:${(0x3f2a9c1e + i * 7919).toString(16)}e0b4d7a1c9f03e52b6d8a4f1c07e9b3d2a6f5`;
  const markers: ReportMarker[] = [
    { t: 1210, kind: "DEV_INIT_DATA_SENT", device: names[0] },
    { t: 1730, kind: "DEV_INIT_DATA_SENT", device: names[1] },
    { t: 2290, kind: "DEV_INIT_DATA_SENT", device: names[2] },
    { t: 2355, kind: "SWITCHOVER_ACK" },
    { t: VM_STOP, kind: "VM_STOP" },
    { t: VM_STOP + 4, kind: "SWITCHOVER_START" },
    { t: VM_START, kind: "VM_START" },
  ];
  const main = [...ramp(0, VM_STOP, 0, 0.128 * MiB), ...ramp(VM_STOP + 50, 2650, 0.128 * MiB * VM_STOP, 96)];
  return {
    title: "simulate: 3 devices, switchover-ack, 2 multifd channels",
    durationMs: 2700,
    devices: names.map((name, i) => ({
      name,
      flags: "STOP_COPY|P2P|PRE_COPY",
      source: sourceStates(VM_STOP + 1),
      destination: destinationStates(),
      sourceDigest: digest(i),
      destinationDigest: digest(i),
      bytes: 100 * MiB + i * 4096,
    })),
    channels: [
      { name: "main", samples: main },
      { name: "multifd/0", samples: [{ t: 0, bytes: 0 }, ...ramp(VM_STOP + 4, 2604, 0, 0.31 * MiB, 20), { t: 2700, bytes: 0.31 * MiB * 200 }] },
      { name: "multifd/1", samples: [{ t: 0, bytes: 0 }, ...ramp(VM_STOP + 4, 2598, 0, 0.29 * MiB, 20), { t: 2700, bytes: 0.29 * MiB * 194 }] },
    ],
    pending: pendingSamples(),
    markers,
    downtime: { startMs: VM_STOP, endMs: VM_START },
    summary: {
      status: "completed",
      error: null,
      setupMs: 14,
      totalMs: 2650,
      downtimeMs: VM_START - VM_STOP,
      details: [{ label: "Downtime limit", value: "300 ms" }],
    },
  };
}
