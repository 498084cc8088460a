export { DeviceState, MigrationFlags } from "./states.js";
export { nextState, transitionPath, isStateSupported } from "./next-state.js";
export { stateName, parseState, allStateNames, flagNames, parseFlags, isDeviceState } from "./names.js";
export { InvalidTransitionError, UnknownNameError, type InvalidTransitionReason } from "./errors.js";
