// Multifd device-state transfer (issue 6): per-device save workers spreading packets over channels,
// and the destination's routing, bounded reorder queues and per-device load workers.
export { MultifdError } from "./errors.js";
export { MultifdSender, sendDeviceState, type MultifdSendOptions, type MultifdSendReport } from "./send.js";
export { MultifdReceiver, type MultifdReceiveOptions, type MultifdReceiveReport } from "./receive.js";
export type { DeviceLoadProgress, LoadPhase } from "./load.js";
export type { ChannelTraffic } from "./lanes.js";
export { DEFAULT_MAX_CHUNK_BYTES, DEFAULT_MAX_QUEUED_BYTES, type DeviceTraffic } from "./options.js";
