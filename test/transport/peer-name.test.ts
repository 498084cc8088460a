// An incoming connection is named after its peer, even one that reset before its address was read.
import net from "node:net";
import { describe, expect, it } from "vitest";
import { peerName } from "../../src/transport/socket-setup.js";
import { tcpListen } from "../../src/transport/tcp.js";
import type { Channel } from "../../src/transport/types.js";

describe("incoming connection names", () => {
  it("tcp/ADDRESS:PORT, or a numbered unknown peer when the socket has no address any more", () => {
    expect(peerName("tcp", { remoteAddress: "127.0.0.1", remotePort: 4000 })).toBe("tcp/127.0.0.1:4000");
    expect(peerName("tls", { remoteAddress: "::1", remotePort: 4000 })).toBe("tls/[::1]:4000");
    const gone = peerName("tcp", {});
    expect(gone).toMatch(/^tcp\/unknown-peer-\d+$/);
    expect(peerName("tcp", {})).not.toBe(gone);
  });

  it("connections reset as soon as they are made are never named tcp/undefined:undefined", async () => {
    const acceptor = await tcpListen({ port: 0 });
    const resets = Array.from(
      { length: 20 },
      () =>
        new Promise<void>((resolve) => {
          const s = net.connect(acceptor.address.port, "127.0.0.1", () => {
            s.resetAndDestroy();
            resolve();
          });
          s.on("error", () => {});
        }),
    );
    await Promise.all(resets);
    const names: string[] = [];
    for (let i = 0; i < 20; i++) {
      const c: Channel = await acceptor.accept();
      names.push(c.name);
      c.destroy();
    }
    await acceptor.close();
    for (const name of names) expect(name).toMatch(/^tcp\/(127\.0\.0\.1:\d+|unknown-peer-\d+)$/);
  });
});
