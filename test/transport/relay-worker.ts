// worker_threads entry for the relay (see relay.ts).
import { parentPort } from "node:worker_threads";
import type { PortLike } from "../../src/transport/message-port.js";
import { relayChannels } from "./relay.js";

parentPort!.once("message", ({ inbound, outbound }: { inbound: PortLike; outbound: PortLike }) => void relayChannels(inbound, outbound));
