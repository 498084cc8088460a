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

/** A peer did not answer the setup exchange in time: it is silent, slow, or speaks another protocol. */
export class SetupTimeoutError extends VfioMigrationError {
  constructor(peer: string, expected: string, ms: number) {
    super("ERR_SETUP_TIMEOUT", named(peer, `no ${expected} within ${ms} ms: the peer is silent or does not speak this protocol`));
  }
}

/** A channel made no progress (a write not taken, or an awaited read with nothing arriving) for the stall timeout. */
export class ChannelStalledError extends VfioMigrationError {
  constructor(channel: string, ms: number) {
    super("ERR_CHANNEL_STALLED", named(channel, `no progress for ${ms} ms`));
  }
}

/** `receive` waited its whole accept timeout and no source connected. */
export class AcceptTimeoutError extends VfioMigrationError {
  constructor(ms: number) {
    super("ERR_ACCEPT_TIMEOUT", named("main", `no source connected within ${ms} ms`));
  }
}

/**
 * The source committed and could not learn whether the destination started its VM. Its devices are
 * stopped with their state intact: check the destination, and resume the source only if it did not start.
 */
export class InDoubtError extends VfioMigrationError {
  constructor(ms: number, options?: { cause?: unknown }) {
    super(
      "ERR_MIGRATION_IN_DOUBT",
      named("main", `committed, then lost the destination; no answer within ${ms} ms whether its VM started. ` +
        "The source VM stays stopped: check the destination, and resume the source only if the destination VM is not running"),
      options,
    );
  }
}

/** The destination decided not to start (it failed to, or the commit came too late); the source resumed. */
export class CommitAbortedError extends VfioMigrationError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_COMMIT_ABORTED", named("main", message), options);
  }
}
