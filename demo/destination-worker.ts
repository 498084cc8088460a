// The destination end of the demo in a Web Worker: the same simulated devices, `receive()` over MessagePort.
import { capabilitiesFrom, multifdFrom } from "../src/cli/migration-options.js";
import { messagePortAcceptor, receive } from "../src/index.js";
import { hostSide } from "./worker-host.js";

hostSide("destination", async ({ args, devices, trace, port, onProgress, signal }) => {
  const acceptor = messagePortAcceptor(port);
  try {
    const result = await receive({ devices, acceptor, trace, capabilities: capabilitiesFrom(args), multifd: multifdFrom(args), onProgress, signal });
    return { result };
  } finally {
    await acceptor.close();
  }
});
