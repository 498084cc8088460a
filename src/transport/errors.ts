import { VfioMigrationError, named } from "../errors.js";

/** Stable codes of channel failures; docs/errors.md describes each. */
export type ChannelErrorCode =
  | "ERR_CHANNEL_DESTROYED"
  | "ERR_CHANNEL_REFUSED"
  | "ERR_CHANNEL_RESET"
  | "ERR_CHANNEL_PEER_CLOSED"
  | "ERR_CHANNEL_IO"
  | "ERR_CHANNEL_USAGE"
  | "ERR_CHANNEL_PROTOCOL"
  | "ERR_CHANNEL_ABORTED"
  | "ERR_CHANNEL_FAULT"
  | "ERR_ACCEPTOR_CLOSED"
  | "ERR_TLS_HANDSHAKE";

/** A channel, dialer or acceptor failed; the message starts with the channel's name. */
export class ChannelError extends VfioMigrationError {
  constructor(code: ChannelErrorCode, channel: string | undefined, message: string, options?: { cause?: unknown }) {
    super(code, named(channel, message), options);
  }
}

/** The reason pending operations see after a local `destroy()` without a reason. */
export function destroyedError(channel: string): ChannelError {
  return new ChannelError("ERR_CHANNEL_DESTROYED", channel, "channel was destroyed");
}

export function abortedError(channel: string, signal: AbortSignal): ChannelError {
  return new ChannelError("ERR_CHANNEL_ABORTED", channel, "aborted", { cause: signal.reason });
}
