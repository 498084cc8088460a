import { afterEach, describe, expect, it } from "vitest";
import { tcpConnect, tcpListen, type SocketAcceptor } from "../../src/transport/tcp.js";
import { MiB, channelCompliance } from "./compliance.js";

let listener: SocketAcceptor | undefined;

channelCompliance("tcp", {
  open: async () => {
    listener ??= await tcpListen({ port: 0 });
    const dialer = tcpConnect({ host: "127.0.0.1", port: listener.address.port });
    const [a, b] = await Promise.all([dialer.dial("main"), listener.accept()]);
    return { a, b };
  },
  cleanup: async () => {
    await listener?.close();
    listener = undefined;
  },
  // Loopback socket buffers (autotuned to several MiB each way) plus our 512 KiB receive pool.
  maxAhead: 24 * MiB,
  peerMaySeeDestroyAsEnd: true,
  resourceTypes: ["TCPSocketWrap", "TCPServerWrap"],
});
