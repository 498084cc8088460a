// `receive` as a process against hostile peers: it is never blocked by a connection that is not
// the source's, and it exits once it has printed its result, whatever connections are left.
import net from "node:net";
import { describe, expect, it } from "vitest";
import { encodeMultifdHello, init } from "../../src/codec/index.js";
import { SimulatedDevice } from "../../src/device/index.js";
import { tcpConnect } from "../../src/transport/tcp.js";
import { hostileSource } from "../engine/hostile-peer.js";
import { runCli } from "./run-cli.js";

await init();

/** Starts `receive --listen 127.0.0.1:0 ...args --json`; resolves its port once it listens, and its run. */
function startReceive(args: string[]) {
  let resolvePort!: (port: number) => void;
  const port = new Promise<number>((resolve) => (resolvePort = resolve));
  const run = runCli(["receive", "--listen", "127.0.0.1:0", ...args, "--json"], {
    onStderr: (text) => {
      const m = /listening on \S+:(\d+)/.exec(text);
      if (m) resolvePort(Number(m[1]));
    },
  });
  return { port, run };
}

describe("receive against hostile peers", () => {
  it("an idle connection first does not become the main channel: the source behind it completes", async () => {
    const receiving = startReceive(["--state-size", "1MiB"]);
    const port = await receiving.port;
    const idle = net.connect(port, "127.0.0.1").on("error", () => {});
    await new Promise((resolve) => idle.once("connect", resolve));
    const send = await runCli(["send", "--connect", `127.0.0.1:${port}`, "--state-size", "1MiB", "--json"]);
    const receive = await receiving.run;
    idle.destroy();
    expect([JSON.parse(send.stdout).status, JSON.parse(receive.stdout).status]).toEqual(["completed", "completed"]);
  });

  it("exits after printing its failure while a multifd connection has sent only part of its hello", async () => {
    const receiving = startReceive(["--channels", "1", "--multifd", "on"]);
    const port = await receiving.port;
    const dialer = tcpConnect({ host: "127.0.0.1", port });
    const devices = [new SimulatedDevice({ name: "0000:00:04.0/vfio" })];
    await hostileSource(
      dialer,
      devices,
      async (s) => {
        const multifd = await dialer.dial("multifd/0");
        await multifd.write(encodeMultifdHello({ uuid: new Uint8Array(16), channelId: 0 }).subarray(0, 10));
        await s.send(Uint8Array.of(0x99)); // not a section: the destination fails
      },
      { channels: 1, transfer: true, checksum: false } as never,
    );
    const receive = await receiving.run; // before the fix the process never exited
    expect(receive.code).toBe(1);
    expect(JSON.parse(receive.stdout).status).toBe("failed");
  });
});
