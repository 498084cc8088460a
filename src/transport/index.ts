// Browser-safe transports only: Node's TCP, TLS, worker and capture helpers live behind their own
// export subpaths (vfio-migration/tcp, /tls, /capture) so browsers never load node: modules.
export type { Acceptor, Channel, Dialer } from "./types.js";
export { ChannelError, type ChannelErrorCode } from "./errors.js";
export { memoryNetwork, memoryPair, type MemoryPairOptions } from "./memory.js";
export {
  messagePortAcceptor,
  messagePortChannel,
  messagePortDialer,
  type MessagePortChannelOptions,
  type PortLike,
} from "./message-port.js";
export { shapeChannel, shapeDialer, Wire, type LinkShape } from "./shaped.js";
