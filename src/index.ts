/**
 * vfio-migration: live-migrate device state the way Linux VFIO and QEMU do.
 *
 * The root holds what an embedder uses: `migrate()` / `receive()`, the device contract and simulated
 * devices, browser-safe transports, the state machine and every error class. Node's sockets are in
 * `vfio-migration/tcp`, `/tls`, `/threads` and `/capture`; QEMU's wire formats, byte by byte, in
 * `vfio-migration/wire`; the HTML timeline report in `vfio-migration/report`.
 *
 * @packageDocumentation
 * @module vfio-migration
 */
export { VfioMigrationError, isVfioMigrationError } from "./errors.js";
export { realClock, sleepOn, type Clock, type ClockTimer } from "./clock.js";
export { VirtualClock, type RunOutcome } from "./virtual-clock.js";
export { init, crc32c, xxh3, type InitOptions, type WasmFlavor, type ChecksumAlgorithm, type ChecksumOption } from "./codec/index.js";
export { WireFormatError, WireEncodeError, ReorderError, isWireFormatError } from "./codec/index.js";
export { inspectStream, type Inspection, type InspectMainRecord, type InspectMarker, type InspectPacket } from "./codec/index.js";
export * from "./fsm/index.js";
export * from "./device/index.js";
export * from "./transport/index.js";
export * from "./engine/index.js";
export { MultifdError, type MultifdPlace } from "./engine/multifd/errors.js";
export type { DeviceLoadProgress, LoadPhase } from "./engine/multifd/load.js";
export { plan, bestRow, type Plan, type PlanOptions, type PlanRow, type PlanSettings, type PlanSweep, type PlanObjective, type DeviceModel, type LinkModel } from "./plan/index.js";
