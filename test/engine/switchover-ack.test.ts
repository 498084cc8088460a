import { describe, expect, it } from "vitest";
import { encodeCommand, encodeConfiguration, encodeFileHeader, encodeMarker, encodeReturnPath, encodeSectionFooter, encodeSectionPart, encodeSectionStart, init, MainCommand, SectionType, StreamDecoder, VfioMarker } from "../../src/codec/index.js";
import { describeDevices } from "../../src/engine/config.js";
import { migrate, receive, VmRunState, type MigrationProgress } from "../../src/engine/index.js";
import { MigrationFlags } from "../../src/fsm/states.js";
import { memoryNetwork } from "../../src/transport/index.js";
import type { Channel } from "../../src/transport/types.js";
import { decodeMain, decodeReturnPath, markersBySection, spyingDialer } from "./spy.js";
import { runBoth, simulatedPair, stateOf } from "./support.js";

await init();

const ACK = { capabilities: { switchoverAck: true } };
const NO_PRECOPY = MigrationFlags.STOP_COPY | MigrationFlags.P2P;

async function ackRun(devices: { precopy: number; plain: number }, loadDelayMs = 0) {
  const a = simulatedPair(devices.precopy, { stateSize: 2 << 20, initialBytes: 512 << 10, loadDelayMs });
  const b = simulatedPair(devices.precopy + devices.plain, { stateSize: 2 << 20, flags: NO_PRECOPY });
  const sources = [...a.sources, ...b.sources.slice(devices.precopy)];
  const destinations = [...a.destinations, ...b.destinations.slice(devices.precopy)];
  const network = memoryNetwork();
  const spy = spyingDialer(network.dialer);
  const progress: MigrationProgress[] = [];
  const run = await runBoth(sources, destinations, { ...ACK, onProgress: (p) => progress.push(p) }, ACK, { dialer: spy.dialer, acceptor: network.acceptor });
  const rp = decodeReturnPath(spy.read).map((m) => m.type);
  const markers = markersBySection(decodeMain(spy.written));
  return { ...run, rp, markers, progress };
}

describe("switchover-ack", () => {
  it("acknowledges at once when no device needs it (no PRE_COPY)", async () => {
    const r = await ackRun({ precopy: 0, plain: 2 });
    expect([r.source.status, r.destination.status]).toEqual(["completed", "completed"]);
    expect(r.rp.filter((t) => t === "switchover-ack")).toHaveLength(1);
    expect(r.rp.indexOf("switchover-ack")).toBe(r.rp.indexOf("config") + 1);
    expect([...r.markers.values()].flat()).not.toContain("DEV_INIT_DATA_SENT");
  });

  for (const precopy of [1, 3]) {
    it(`counts ${precopy} PRE_COPY device(s) among devices without it: one DEV_INIT_DATA_SENT each, one ACK`, async () => {
      const r = await ackRun({ precopy, plain: 1 });
      expect([r.source.status, r.destination.status]).toEqual(["completed", "completed"]);
      expect(r.destination.devices.map((d) => d.digest)).toEqual(r.source.devices.map((d) => d.digest));
      for (let id = 0; id < precopy + 1; id++) {
        const sent = r.markers.get(id)!.filter((m) => m === "DEV_INIT_DATA_SENT").length;
        expect(sent).toBe(id < precopy ? 1 : 0);
      }
      expect(r.rp.filter((t) => t === "switchover-ack")).toHaveLength(1);
      expect(r.rp.at(-1)).toBe("shut");
    });
  }

  it("hides the destination's load delay: downtime far below it with the ACK, above it without", async () => {
    const withAck = await ackRun({ precopy: 1, plain: 0 }, 400);
    expect(withAck.source.status).toBe("completed");
    expect(withAck.progress.some((p) => p.waitingForAck && p.notConverging === "waiting for the destination's switchover ack")).toBe(true);
    expect(withAck.source.downtimeMs!).toBeLessThan(300);

    const { sources, destinations } = simulatedPair(1, { stateSize: 2 << 20, initialBytes: 512 << 10, loadDelayMs: 400 });
    const without = await runBoth(sources, destinations);
    expect(without.source.status).toBe("completed");
    expect(without.source.downtimeMs!).toBeGreaterThan(300);
  });

  it("switches over without the ACK when the VM is paused during pre-copy", async () => {
    const { sources, destinations } = simulatedPair(2, { stateSize: 2 << 20, initialBytes: 1 << 20, loadDelayMs: 1500 });
    const vm = new VmRunState();
    let paused = false;
    const started = performance.now();
    const r = await runBoth(sources, destinations, {
      ...ACK,
      vm,
      maxBandwidth: 8 << 20, // initial data still going when the pause comes
      onProgress: (p) => {
        if (!paused && p.phase === "active") {
          paused = true;
          void vm.stop("paused");
        }
      },
    }, ACK);
    expect(paused).toBe(true);
    expect([r.source.status, r.destination.status]).toEqual(["completed", "completed"]);
    // The pause sent both devices straight to STOP_COPY (through PRE_COPY_P2P), the ACK never came.
    expect(r.source.devices[0].history).toEqual(["PRE_COPY", "PRE_COPY_P2P", "STOP_COPY", "STOP"]);
    expect(r.destination.devices.map((d) => d.digest)).toEqual(r.source.devices.map((d) => d.digest));
    expect(performance.now() - started).toBeGreaterThan(1500);
  });
});

/**
 * Plays a destination by hand: answers setup with the source's own configuration, then never
 * acknowledges; at EOF reports itself loaded and calls `onEof` once the COMMIT arrives.
 */
async function silentDestination(channel: Channel, onEof: () => Promise<void>): Promise<void> {
  const decoder = new StreamDecoder({ kind: "main" });
  const buffer = new Uint8Array(1 << 20);
  for (;;) {
    const n = await channel.read(buffer).catch(() => 0);
    if (n === 0) return;
    decoder.push(buffer.slice(0, n));
    for (const r of decoder.records()) {
      if (r.type === "configuration") await channel.write(encodeReturnPath({ type: "config", json: r.json }));
      if (r.type === "eof") await channel.write(encodeReturnPath({ type: "report", json: { status: "loaded" } }));
      if (r.type === "command" && r.command === "COMMIT") return onEof();
    }
  }
}

describe("a destination that never acknowledges", () => {
  for (const how of ["switchover-now", "cancel"] as const) {
    it(`keeps the source iterating until ${how}`, async () => {
      const { sources } = simulatedPair(1, { stateSize: 1 << 20, initialBytes: 256 << 10 });
      const before = sources[0].digest();
      const { dialer, acceptor } = memoryNetwork();
      const controller = new AbortController();
      const waiting: MigrationProgress[] = [];
      const handle = migrate({
        devices: sources,
        dialer,
        ...ACK,
        switchoverBandwidth: 1e9,
        signal: controller.signal,
        onProgress: (p) => {
          if (!p.waitingForAck) return;
          waiting.push(p);
          if (waiting.length === 3) {
            if (how === "cancel") controller.abort();
            else handle.switchoverNow();
          }
        },
      });
      const peer = await acceptor.accept();
      const playing = silentDestination(peer, async () => {
        await peer.write(encodeReturnPath({ type: "shut", status: 0 }));
        await peer.end();
      });
      const r = await handle;
      await playing;
      peer.destroy();
      expect(waiting.length).toBeGreaterThanOrEqual(3);
      expect(waiting.at(-1)!.iteration).toBeGreaterThan(waiting[0].iteration);
      if (how === "cancel") {
        expect(r.status).toBe("cancelled");
        expect(stateOf(sources[0])).toBe("RUNNING");
        expect(sources[0].digest()).toBe(before);
      } else {
        expect(r.status).toBe("completed");
        expect(r.devices[0].digest).toBe(before);
      }
    });
  }
});

/** Plays a source by hand up to the sections that `parts` writes. */
async function handSource(channel: Channel, devices: Parameters<typeof describeDevices>[0], ack: boolean, parts: Uint8Array[]): Promise<void> {
  const config = { version: 1, uuid: "00000000-0000-4000-8000-000000000000", capabilities: { returnPath: true, switchoverAck: ack, multifd: false, checksum: false, commit: true }, multifdChannels: 2, configBlob: "length-delimited", devices: describeDevices(devices) };
  await channel.write(encodeFileHeader());
  await channel.write(encodeConfiguration(config));
  await channel.write(encodeCommand(MainCommand.OPEN_RETURN_PATH));
  for (let id = 0; id < devices.length; id++) {
    const d = devices[id];
    await channel.write(encodeSectionStart({ type: SectionType.START, sectionId: id, idstr: d.name, instanceId: 0, version: 1 }));
    await channel.write(encodeMarker(VfioMarker.DEV_SETUP_STATE));
    await channel.write(encodeMarker(VfioMarker.END_OF_STATE));
    await channel.write(encodeSectionFooter(id));
  }
  for (const p of parts) await channel.write(p);
}

const initDataSent = (id: number): Uint8Array[] => [encodeSectionPart(SectionType.PART, id), encodeMarker(VfioMarker.DEV_INIT_DATA_SENT), encodeSectionFooter(id)];

describe("unexpected approvals fail the destination", () => {
  const cases = [
    { name: "a duplicate DEV_INIT_DATA_SENT from one device (count not yet 0)", devices: 2, ack: true, parts: [...initDataSent(0), ...initDataSent(0)], code: "ERR_SWITCHOVER_ACK_UNEXPECTED" },
    { name: "a DEV_INIT_DATA_SENT after the count reached 0", devices: 1, ack: true, parts: [...initDataSent(0), ...initDataSent(0)], code: "ERR_SWITCHOVER_ACK_UNEXPECTED" },
    { name: "DEV_INIT_DATA_SENT with switchover-ack off", devices: 1, ack: false, parts: initDataSent(0), code: "ERR_MIGRATION_PROTOCOL" },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { destinations } = simulatedPair(c.devices);
      const twins = simulatedPair(c.devices).sources;
      const { dialer, acceptor } = memoryNetwork();
      const receiving = receive({ devices: destinations, acceptor, capabilities: { switchoverAck: c.ack } });
      const channel = await dialer.dial("main");
      const reading = (async () => {
        const got: Uint8Array[] = [];
        const buf = new Uint8Array(1 << 16);
        for (let n = await channel.read(buf).catch(() => 0); n > 0; n = await channel.read(buf).catch(() => 0)) got.push(buf.slice(0, n));
        return decodeReturnPath(got);
      })();
      await handSource(channel, twins, c.ack, c.parts).catch(() => {});
      const r = await receiving;
      const messages = await reading;
      channel.destroy();
      expect(r.status).toBe("failed");
      expect(r.error).toMatchObject({ code: c.code });
      expect(r.error!.message.startsWith("0000:00:04.0/vfio") || r.error!.message.startsWith("main: 0000:00:04.0/vfio")).toBe(true);
      expect(messages.at(-1)).toMatchObject({ type: "shut", status: 1 });
      expect(destinations.map(stateOf)).toEqual(Array(c.devices).fill("RUNNING"));
    });
  }
});
