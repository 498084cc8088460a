import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { MigrationProgress } from "../../src/engine/result.js";
import type { TraceEntry, TraceEvent } from "../../src/engine/trace.js";
import type { CliReport } from "../../src/report/result.js";
import { RunRecorder, reportData } from "../../src/report/from-run.js";
import { runCli, sendReceive } from "./run-cli.js";
import { renderReport, type ReportData } from "../../src/report/index.js";
import { formatBytes, formatMs } from "../../src/report/format.js";
import { ChannelMeter } from "../../src/report/meter.js";
import type { Channel, Dialer } from "../../src/transport/types.js";
import { byteTicks, niceTicks } from "../../src/report/scale.js";
import { stateSpans } from "../../src/report/timeline.js";
import { exampleReport } from "./report-example.js";

/** The opening tags of `tag` elements whose attributes include every given name="value". */
function tags(html: string, tag: string, attrs: Record<string, string> = {}): string[] {
  const all = html.match(new RegExp(`<${tag}\\b[^>]*>`, "g")) ?? [];
  return all.filter((t) => Object.entries(attrs).every(([k, v]) => t.includes(` ${k}="${v}"`)));
}

function attr(tag: string, name: string): number {
  const m = tag.match(new RegExp(` ${name}="([^"]*)"`));
  if (!m) throw new Error(`no ${name} in ${tag}`);
  return Number(m[1]);
}

/** The first <svg class="timeline"> (the whole run), without the zoomed one after it. */
function fullTimeline(html: string): string {
  const start = html.indexOf('<svg xmlns="http://www.w3.org/2000/svg" class="timeline"');
  return html.slice(start, html.indexOf("</svg>", start) + 6);
}

describe("renderReport", () => {
  const data = exampleReport();
  const html = renderReport(data);
  const full = fullTimeline(html);

  it("writes one self-contained HTML document that requests nothing", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html.trimEnd().endsWith("</html>")).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|@import|\ssrc=|href=/i);
    // The only url() references are the SVG's own clip paths.
    expect(html.match(/url\(([^)]*)\)/g)?.every((u) => u.startsWith("url(#"))).toBe(true);
  });

  it("draws every state span of every device on both sides as a coloured band", () => {
    for (const device of data.devices) expect(full).toContain(`>${device.name}<title>`);
    const spans = data.devices.flatMap((d) => [...stateSpans(d.source, 2700), ...stateSpans(d.destination, 2700)]);
    const bands = tags(full, "rect", { class: "band" });
    expect(bands).toHaveLength(spans.length);
    for (const state of ["RUNNING", "PRE_COPY", "PRE_COPY_P2P", "STOP_COPY", "STOP", "RESUMING", "RUNNING_P2P"]) {
      expect(tags(full, "rect", { class: "band", "data-state": state }).length, state).toBe(spans.filter((s) => s.state === state).length);
    }
    // Widths are proportional to time: PRE_COPY 9..2401 ms, STOP_COPY 2403..2645 ms.
    const width = (state: string) => attr(tags(full, "rect", { "data-state": state })[0], "width");
    expect(width("PRE_COPY") / width("STOP_COPY")).toBeCloseTo((2401 - 9) / (2645 - 2403), 1);
  });

  it("draws bytes per channel, pending and threshold", () => {
    for (const channel of data.channels) expect(tags(full, "path", { "data-channel": channel.name })).toHaveLength(1);
    expect(tags(full, "path", { class: "series pending" })).toHaveLength(1);
    expect(tags(full, "path", { class: "series threshold" })).toHaveLength(1);
    // A pending line with one step per convergence check.
    const d = tags(full, "path", { class: "series pending" })[0].match(/ d="([^"]*)"/)![1];
    expect(d.split("L").length).toBe(2 * data.pending.length);
  });

  it("marks DEV_INIT_DATA_SENT per device and the switchover events, with the downtime shaded between VM stop and VM start", () => {
    expect(tags(full, "path", { class: "marker marker-DEV_INIT_DATA_SENT" })).toHaveLength(3);
    for (const kind of ["SWITCHOVER_ACK", "SWITCHOVER_START", "VM_STOP", "VM_START"]) {
      expect(tags(full, "line", { class: `marker marker-${kind}` }), kind).toHaveLength(1);
    }
    const stop = attr(tags(full, "line", { class: "marker marker-VM_STOP" })[0], "x1");
    const start = attr(tags(full, "line", { class: "marker marker-VM_START" })[0], "x1");
    const shade = tags(full, "rect", { class: "downtime" });
    expect(shade).toHaveLength(1);
    expect(attr(shade[0], "x")).toBeCloseTo(stop, 0);
    expect(attr(shade[0], "x") + attr(shade[0], "width")).toBeCloseTo(start, 0);
    expect(full).toContain("downtime 222 ms");
  });

  it("adds a zoomed timeline when the downtime is a small part of the run, and a legend of what is drawn", () => {
    expect(tags(html, "svg", { class: "timeline" })).toHaveLength(2);
    expect(html).toContain("Switchover in detail");
    const whole = renderReport({ ...data, downtime: { startMs: 100, endMs: 2600 } });
    expect(tags(whole, "svg", { class: "timeline" })).toHaveLength(1);
    const legend = html.slice(html.indexOf('<section class="legend">'), html.indexOf("</section>", html.indexOf('<section class="legend">')));
    for (const key of ["RUNNING", "PRE_COPY_P2P", "STOP_COPY", "RESUMING", "DEV_INIT_DATA_SENT", "SWITCHOVER_ACK", "SWITCHOVER_START", "VM stop", "VM start", "downtime window", "multifd/1", "threshold"]) {
      expect(legend, key).toContain(key);
    }
    expect(legend).not.toContain("ERROR");
  });

  it("summarises the figures and compares digests", () => {
    for (const figure of ["2.65 s", "222 ms", "14 ms", "3 of 3 digests equal", "300 ms"]) expect(html).toContain(figure);
    expect(html.match(/class="ok">equal</g)).toHaveLength(3);
    const changed = { ...data, devices: data.devices.map((d, i) => (i === 1 ? { ...d, destinationDigest: "sha256:0000" } : d)) };
    const bad = renderReport(changed);
    expect(bad).toContain("2 of 3 digests equal");
    expect(bad).toContain('class="bad">DIFFERENT<');
  });

  it("shows a failed run with its error code, an ERROR band and no downtime", () => {
    const failed: ReportData = {
      ...data,
      devices: [{ name: "dev0", source: [{ t: 0, state: "RUNNING" }, { t: 5, state: "PRE_COPY" }, { t: 40, state: "RUNNING" }], destination: [{ t: 0, state: "RUNNING" }, { t: 3, state: "RESUMING" }, { t: 38, state: "ERROR" }], sourceDigest: "crc32c:1", destinationDigest: "crc32c:2" }],
      markers: [],
      downtime: null,
      summary: { status: "failed", error: { code: "ERR_CHANNEL_CLOSED", message: "main: peer closed the channel" } },
    };
    const out = renderReport(failed);
    expect(out).toContain('class="status status-failed"');
    expect(out).toContain("ERR_CHANNEL_CLOSED: main: peer closed the channel");
    expect(tags(out, "rect", { "data-state": "ERROR" })).toHaveLength(1);
    expect(tags(out, "rect", { class: "downtime" })).toHaveLength(0);
    // The destination's state of a failed run is discarded: its digests are not compared.
    expect(out).toContain("digests not compared");
    expect(out).not.toMatch(/class="(ok|bad)"/);
  });

  it("escapes every text that comes from data", () => {
    const hostile = '<script>alert("x")</script>&';
    const out = renderReport({ ...data, title: hostile, devices: [{ ...data.devices[0], name: hostile }], channels: [{ name: hostile, samples: [{ t: 0, bytes: 1 }] }] });
    expect(out).not.toContain("<script>");
    expect(out).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;");
  });
});

describe("report helpers", () => {
  it("formats sizes and times", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(300 * 1024 * 1024)).toBe("300 MiB");
    expect(formatMs(0.25)).toBe("250 µs");
    expect(formatMs(12.345)).toBe("12.3 ms");
    expect(formatMs(2650)).toBe("2.65 s");
  });

  it("picks round ticks that cover the data", () => {
    expect(niceTicks(0, 2700, 10)).toEqual([0, 500, 1000, 1500, 2000, 2500]);
    expect(niceTicks(2340, 2680, 8)).toEqual([2350, 2400, 2450, 2500, 2550, 2600, 2650]);
    const ticks = byteTicks(307 * 1024 * 1024, 4);
    expect(ticks).toEqual([0, 128, 256, 384].map((m) => m * 1024 * 1024));
  });

  it("turns state changes into spans that end at the next change or the end of the axis", () => {
    expect(stateSpans([{ t: 0, state: "RUNNING" }, { t: 5, state: "PRE_COPY" }], 20)).toEqual([
      { from: 0, to: 5, state: "RUNNING" },
      { from: 5, to: 20, state: "PRE_COPY" },
    ]);
  });
});

/** A channel that accepts writes and resolves each one when the test says so (the peer's backpressure). */
function sinkDialer(): { dialer: Dialer; written: number[]; release(): void } {
  const written: number[] = [];
  let waiting: (() => void)[] = [];
  const dialer: Dialer = {
    async dial(name) {
      const channel: Channel = {
        name,
        write: (bytes) => new Promise<void>((resolve) => waiting.push(() => (written.push(bytes.length), resolve()))),
        read: async () => 0,
        end: async () => {},
        destroy: () => {},
        closed: Promise.resolve(),
      };
      return channel;
    },
  };
  return { dialer, written, release: () => { const now = waiting; waiting = []; for (const w of now) w(); } };
}

describe("ChannelMeter", () => {
  it("records cumulative bytes per channel when each write completes, under the channel's current name", async () => {
    let clock = 0;
    const meter = new ChannelMeter(() => clock);
    const sink = sinkDialer();
    const dialer = meter.wrap(sink.dialer);
    const main = await dialer.dial("main");
    const multifd = await dialer.dial("pending");
    multifd.name = "multifd/0";
    clock = 10;
    const first = main.write(new Uint8Array(100));
    // Not counted before the channel took it.
    expect(meter.channels()[0].samples).toEqual([{ t: 0, bytes: 0 }]);
    clock = 12;
    sink.release();
    await first;
    clock = 20;
    const second = Promise.all([main.write(new Uint8Array(50)), multifd.write(new Uint8Array(7))]);
    sink.release();
    await second;
    expect(sink.written).toEqual([100, 50, 7]);
    expect(meter.channels()).toEqual([
      { name: "main", samples: [{ t: 0, bytes: 0 }, { t: 12, bytes: 100 }, { t: 20, bytes: 150 }] },
      { name: "multifd/0", samples: [{ t: 0, bytes: 0 }, { t: 20, bytes: 7 }] },
    ]);
  });

  it("merges writes less than a millisecond apart into one sample", async () => {
    let clock = 0;
    const meter = new ChannelMeter(() => clock);
    const sink = sinkDialer();
    const main = await meter.wrap(sink.dialer).dial("main");
    for (let i = 1; i <= 100; i++) {
      clock = 5 + i * 0.01;
      const write = main.write(new Uint8Array(10));
      sink.release();
      await write;
    }
    const samples = meter.channels()[0].samples;
    expect(samples.length).toBeLessThanOrEqual(3);
    expect(samples[samples.length - 1]).toEqual({ t: 6, bytes: 1000 });
  });
});

describe("reportData (a run's --json result plus its timeline)", () => {
  const result: CliReport = {
    status: "completed",
    error: null,
    setupMs: 3,
    totalMs: 50,
    downtimeMs: 12,
    bytes: { main: 1000, multifd: [] },
    devices: [{ name: "dev0", flags: "STOP_COPY|P2P|PRE_COPY", sourceDigest: "crc32c:1", destinationDigest: "crc32c:1", finalState: "RUNNING" }],
    trace: [],
  };
  const trace: TraceEntry[] = [
    { seq: 1, side: "destination", device: "dev0", state: "RESUMING", t: 2 },
    { seq: 2, side: "source", device: "dev0", state: "PRE_COPY", t: 4 },
    { seq: 3, side: "source", device: "dev0", state: "STOP_COPY", t: 30 },
    { seq: 4, side: "destination", device: "dev0", state: "RUNNING", t: 41 },
  ];
  const events: TraceEvent[] = [
    { side: "source", kind: "VM_STOP", t: 29.5 },
    { side: "destination", kind: "VM_START", t: 41 },
  ];

  it("starts every traced device in RUNNING, shades the downtime from VM stop for downtimeMs, and keeps the figures", () => {
    const data = reportData(result, { trace, events, channels: [{ name: "main", samples: [{ t: 0, bytes: 0 }] }], pending: [{ t: 10, pendingBytes: 5, thresholdBytes: 2 }] }, { title: "t" });
    expect(data.devices[0].source).toEqual([{ t: 0, state: "RUNNING" }, { t: 4, state: "PRE_COPY" }, { t: 30, state: "STOP_COPY" }]);
    expect(data.devices[0].destination).toEqual([{ t: 0, state: "RUNNING" }, { t: 2, state: "RESUMING" }, { t: 41, state: "RUNNING" }]);
    expect(data.downtime).toEqual({ startMs: 29.5, endMs: 41.5 });
    expect(data.markers).toEqual([{ t: 29.5, kind: "VM_STOP", device: undefined }, { t: 41, kind: "VM_START", device: undefined }]);
    expect(data.summary).toMatchObject({ status: "completed", setupMs: 3, totalMs: 50, downtimeMs: 12 });
    expect(data.devices[0]).toMatchObject({ flags: "STOP_COPY|P2P|PRE_COPY", sourceDigest: "crc32c:1", destinationDigest: "crc32c:1" });
  });

  it("draws no rows for a side that was not traced (send) and no downtime for a run that did not complete", () => {
    const failed = { ...result, status: "failed" as const, downtimeMs: null };
    const data = reportData(failed, { trace: trace.filter((e) => e.side === "source"), events, channels: [], pending: [] });
    expect(data.devices[0].destination).toEqual([]);
    expect(data.downtime).toBeNull();
  });

  it("collects pre-copy samples from progress events and bytes from the dialer, on the caller's clock", async () => {
    let clock = 0;
    const recorder = new RunRecorder(() => clock);
    const progress = (phase: MigrationProgress["phase"], pendingBytes: number): MigrationProgress => ({
      side: "source", phase, bytes: { main: 0, multifd: [] }, iteration: 0, pendingBytes, bandwidth: 0, thresholdBytes: 7, expectedDowntimeMs: 0, waitingForAck: false,
    });
    clock = 100;
    recorder.progress(progress("setup", 1));
    recorder.progress(progress("active", 50));
    clock = 200;
    recorder.progress(progress("active", 20));
    recorder.progress(progress("device", 0));
    expect(recorder.pending).toEqual([{ t: 100, pendingBytes: 50, thresholdBytes: 7 }, { t: 200, pendingBytes: 20, thresholdBytes: 7 }]);
    const sink = sinkDialer();
    const main = await recorder.dialer(sink.dialer).dial("main");
    const write = main.write(new Uint8Array(9));
    sink.release();
    await write;
    expect(recorder.channels()).toEqual([{ name: "main", samples: [{ t: 200, bytes: 0 }, { t: 200, bytes: 9 }] }]);
  });
});

describe("simulate --report", () => {
  it("writes one HTML file showing every device on both sides, the channel, pending/threshold, every marker and the downtime", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vfio-report-"));
    const file = join(dir, "run.html");
    try {
      const run = await runCli(["simulate", "--devices", "3", "--state-size", "4MiB", "--switchover-ack", "--bandwidth", "32MiB", "--json", "--report", file]);
      expect(run.code, run.stderr).toBe(0);
      const json = JSON.parse(run.stdout) as CliReport;
      // --json keeps issue 4's trace fields exactly.
      for (const entry of json.trace) expect(Object.keys(entry)).toEqual(["seq", "side", "device", "state"]);
      const html = await readFile(file, "utf8");
      const full = fullTimeline(html);
      for (const device of json.devices) {
        expect(full).toContain(`>${device.name}<title>`);
        for (const side of ["source", "destination"]) expect(full, `${device.name} ${side}`).toMatch(new RegExp(`<title>${device.name.replace(/[.]/g, "\\.")} \\(${side}\\): `));
      }
      for (const state of ["RUNNING", "PRE_COPY", "PRE_COPY_P2P", "STOP_COPY", "RESUMING"]) expect(tags(full, "rect", { "data-state": state }).length, state).toBeGreaterThan(0);
      expect(tags(full, "path", { "data-channel": "main" })).toHaveLength(1);
      expect(tags(full, "path", { class: "series pending" })).toHaveLength(1);
      expect(tags(full, "path", { class: "series threshold" })).toHaveLength(1);
      expect(tags(full, "path", { class: "marker marker-DEV_INIT_DATA_SENT" })).toHaveLength(3);
      for (const kind of ["SWITCHOVER_ACK", "SWITCHOVER_START", "VM_STOP", "VM_START"]) expect(tags(full, "line", { class: `marker marker-${kind}` }), kind).toHaveLength(1);
      expect(tags(full, "rect", { class: "downtime" })).toHaveLength(1);
      expect(html).toContain(`downtime ${formatMs(json.downtimeMs!)}`);
      expect(html).toContain("3 of 3 digests equal");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("send --report", () => {
  it("writes the source's view: its state rows, the channel, the markers it saw and the downtime", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vfio-report-"));
    const file = join(dir, "send.html");
    try {
      const device = ["--devices", "2", "--state-size", "2MiB", "--switchover-ack"];
      const { send, receive } = await sendReceive(device, [...device, "--bandwidth", "16MiB", "--report", file]);
      expect(receive.code).toBe(0);
      expect(send.code, send.stderr).toBe(0);
      const full = fullTimeline(await readFile(file, "utf8"));
      expect(tags(full, "rect", { "data-state": "PRE_COPY" })).toHaveLength(2);
      expect(tags(full, "rect", { "data-state": "RESUMING" })).toHaveLength(0);
      expect(tags(full, "path", { "data-channel": "main" })).toHaveLength(1);
      expect(tags(full, "path", { class: "marker marker-DEV_INIT_DATA_SENT" })).toHaveLength(2);
      for (const kind of ["SWITCHOVER_ACK", "SWITCHOVER_START", "VM_STOP"]) expect(tags(full, "line", { class: `marker marker-${kind}` }), kind).toHaveLength(1);
      expect(tags(full, "rect", { class: "downtime" })).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
