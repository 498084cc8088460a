// Multifd inside a whole migration (engine, SimulatedDevice, real TCP): a dropped multifd channel and
// a corrupted packet fail both ends with typed errors, and the source resumes RUNNING, state intact.
import { describe, expect, it } from "vitest";
import { init, type ChecksumOption } from "../../../src/codec/index.js";
import { shapeDialer, type LinkShape } from "../../../src/transport/shaped.js";
import { tcpConnect, tcpListen } from "../../../src/transport/tcp.js";
import { deviceName, runBoth, simulatedPair, stateOf } from "../support.js";

await init();

async function migrateWithFault(fault: (name: string) => LinkShape, checksum: ChecksumOption) {
  const { sources, destinations } = simulatedPair(2, { stateSize: 8 << 20, initialBytes: 1 << 20 });
  const before = sources.map((d) => d.digest());
  const acceptor = await tcpListen({ host: "127.0.0.1", port: 0 });
  const multifd = { channels: 3, checksum };
  const run = await runBoth(sources, destinations, { multifd }, { multifd }, { acceptor, dialer: shapeDialer(tcpConnect(acceptor.address), fault) });
  return { ...run, sources, before };
}

describe("multifd faults inside a migration over TCP", () => {
  it("a multifd channel dropped mid-transfer fails the migration; the source resumes RUNNING with its state intact", async () => {
    // The hello (64 bytes) and about 3 MiB of packets get through on multifd/1, then the link is cut.
    const r = await migrateWithFault((name) => (name === "multifd/1" ? { dropAfterBytes: 3 << 20 } : {}), false);
    expect(r.source.status).toBe("failed");
    expect(r.destination.status).toBe("failed");
    expect(r.source.error).toMatchObject({ code: expect.stringMatching(/^ERR_/) });
    expect(r.destination.error).toMatchObject({ code: expect.stringMatching(/^ERR_/) });
    expect(r.sources.map(stateOf)).toEqual(["RUNNING", "RUNNING"]);
    expect(r.sources.map((d) => d.digest())).toEqual(r.before);
  });

  it.each(["crc32c", "xxh3"] as const)("a corrupted packet with --checksum %s fails naming device, channel and idx; the source resumes intact", async (checksum) => {
    // Flip a byte inside the first packet's data on multifd/0 (after the 64-byte hello and 288 bytes of headers).
    const r = await migrateWithFault((name) => (name === "multifd/0" ? { corruptByte: 64 + 288 + 5000 } : {}), checksum);
    expect(r.destination.status).toBe("failed");
    expect(r.destination.error).toMatchObject({ code: "ERR_MULTIFD_CHECKSUM_MISMATCH" });
    const message = r.destination.error!.message;
    expect([deviceName(0), deviceName(1)].some((name) => message.startsWith(`${name}: `))).toBe(true);
    expect(message).toMatch(/channel multifd\/0, idx \d+/);
    expect(r.source.status).toBe("failed");
    expect(r.sources.map(stateOf)).toEqual(["RUNNING", "RUNNING"]);
    expect(r.sources.map((d) => d.digest())).toEqual(r.before);
  });

  it("the same corruption without the checksum goes unnoticed by multifd (why crc32c exists)", async () => {
    const r = await migrateWithFault((name) => (name === "multifd/0" ? { corruptByte: 64 + 288 + 5000 } : {}), false);
    // The simulated device verifies its own content on resume; multifd itself cannot tell.
    expect((r.destination.error as { code?: string } | undefined)?.code).not.toBe("ERR_MULTIFD_CHECKSUM_MISMATCH");
    expect(r.source.status).toBe("failed");
    expect(r.sources.map(stateOf)).toEqual(["RUNNING", "RUNNING"]);
  });
});
