export type { MigratableDevice, PrecopyInfo } from "./types.js";
export { setDeviceState, type SetDeviceStateOptions } from "./drive.js";
export { DeviceError, DeviceTransitionError, DeviceResetError, type DeviceErrorCode } from "./errors.js";
export { arcEffect, checkArc, isSavingState, isPrecopyState, isRunningState, issuesPeerDma, type ArcEffect } from "./arcs.js";
export { connectPeers } from "./peers.js";
export { SimulatedDevice } from "./simulated/device.js";
export type { SimulatedDeviceOptions } from "./simulated/options.js";
export { MttyDevice, type MttyDeviceOptions } from "./mtty/device.js";
export { UartPort } from "./mtty/uart.js";
