// Web Worker entry for the MessagePort relay (see test/transport/relay.ts).
import type { PortLike } from "../../src/transport/message-port.js";
import { relayChannels } from "../transport/relay.js";

self.addEventListener("message", (event) => {
  const { inbound, outbound } = (event as MessageEvent<{ inbound: PortLike; outbound: PortLike }>).data;
  void relayChannels(inbound, outbound);
}, { once: true });
