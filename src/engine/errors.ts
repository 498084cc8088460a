import { VfioMigrationError, named } from "../errors.js";

/** The migration was cancelled through its AbortSignal. */
export class MigrationCancelledError extends VfioMigrationError {
  constructor(subject?: string) {
    super("ERR_MIGRATION_CANCELLED", named(subject, "migration cancelled"));
  }
}

/** Source and destination configurations differ; the message names every difference on both ends. */
export class SetupMismatchError extends VfioMigrationError {
  readonly differences: readonly string[];
  constructor(differences: readonly string[]) {
    super("ERR_SETUP_MISMATCH", `main: setup mismatch: ${differences.join("; ")}`);
    this.differences = differences;
  }
}

/** QEMU's multiple-device rule: several devices migrate only if all of them support P2P. */
export class P2pRequiredError extends VfioMigrationError {
  constructor(lacking: readonly string[]) {
    super(
      "ERR_P2P_REQUIRED",
      `${lacking.join(", ")}: Multiple VFIO devices migration is supported only if all of them support P2P migration`,
    );
  }
}

/** The peer broke the protocol: an unexpected record, section, command or message. */
export class ProtocolError extends VfioMigrationError {
  constructor(subject: string | undefined, message: string) {
    super("ERR_MIGRATION_PROTOCOL", named(subject, message));
  }
}

/** A section or packet names a device this side does not have. */
export class UnknownDeviceError extends VfioMigrationError {
  constructor(channel: string, idstr: string, instanceId: number) {
    super("ERR_UNKNOWN_DEVICE", named(channel, `unknown device ${idstr} instance ${instanceId}`));
  }
}

/** Switchover-ack: an approval arrived while none was pending (e.g. a duplicate DEV_INIT_DATA_SENT). */
export class UnexpectedApprovalError extends VfioMigrationError {
  constructor(device: string) {
    super("ERR_SWITCHOVER_ACK_UNEXPECTED", named(device, "DEV_INIT_DATA_SENT while no switchover ack is pending"));
  }
}

/** The other end reported a failure (SHUT with error flag 1, or its report). */
export class PeerFailedError extends VfioMigrationError {
  readonly peerCode: string | undefined;
  constructor(side: "source" | "destination", message: string, peerCode?: string) {
    super("ERR_PEER_FAILED", `main: ${side} failed: ${message}`);
    this.peerCode = peerCode;
  }
}

/** The channel ended before the protocol was complete. */
export class PeerClosedError extends VfioMigrationError {
  constructor(channel: string, during: string) {
    super("ERR_PEER_CLOSED", named(channel, `peer closed the channel during ${during}`));
  }
}
