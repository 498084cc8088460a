/** `enum vfio_device_mig_state`: the values are the uAPI's and part of our public API. */
export enum DeviceState {
  ERROR = 0,
  STOP = 1,
  RUNNING = 2,
  STOP_COPY = 3,
  RESUMING = 4,
  RUNNING_P2P = 5,
  PRE_COPY = 6,
  PRE_COPY_P2P = 7,
}

/** `VFIO_MIGRATION_*` flags of `VFIO_DEVICE_FEATURE_MIGRATION`. */
export enum MigrationFlags {
  STOP_COPY = 1 << 0,
  P2P = 1 << 1,
  PRE_COPY = 1 << 2,
}
