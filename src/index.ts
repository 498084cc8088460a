/**
 * vfio-migration: live-migrate device state the way Linux VFIO and QEMU do.
 *
 * @packageDocumentation
 */
export { VfioMigrationError, isVfioMigrationError } from "./errors.js";
export { realClock, sleepOn, type Clock, type ClockTimer } from "./clock.js";
export { VirtualClock, type RunOutcome } from "./virtual-clock.js";
export * from "./codec/index.js";
export * from "./fsm/index.js";
export * from "./device/index.js";
export * from "./transport/index.js";
export * from "./engine/index.js";
export * from "./cli/report/index.js";
export { MultifdError, type MultifdPlace } from "./engine/multifd/errors.js";
export type { DeviceLoadProgress, LoadPhase } from "./engine/multifd/load.js";
