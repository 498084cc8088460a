export { migrate, type MigrationHandle } from "./source.js";
export { receive } from "./destination.js";
export { VmRunState, type VmRunStateOptions, type VmStateChangeHandler, type StopReason } from "./runstate.js";
export { TraceRecorder, type TraceEntry, type TraceEvent, type TraceEventKind, type Side } from "./trace.js";
export type { MigrateOptions, ReceiveOptions, Capabilities, MultifdOptions, MultifdMode } from "./options.js";
export { DEFAULT_DOWNTIME_LIMIT_MS, DEFAULT_MAX_BANDWIDTH, DEFAULT_MULTIFD_CHANNELS } from "./options.js";
export type { MigrationResult, MigrationProgress, MigrationPhase, MigrationStatus, DeviceResult, DestinationReport } from "./result.js";
export {
  MigrationCancelledError,
  SetupMismatchError,
  P2pRequiredError,
  ProtocolError,
  UnknownDeviceError,
  UnexpectedApprovalError,
  PeerFailedError,
  PeerClosedError,
  SetupTimeoutError,
  ChannelStalledError,
  AcceptTimeoutError,
  InDoubtError,
  CommitAbortedError,
} from "./errors.js";
export {
  DEFAULT_SETUP_TIMEOUT_MS,
  DEFAULT_STALL_TIMEOUT_MS,
  DEFAULT_RESOLUTION_TIMEOUT_MS,
  DEFAULT_ACCEPT_TIMEOUT_MS,
} from "./options.js";
