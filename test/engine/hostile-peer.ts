// Scripted peers that speak just enough of the protocol to deliver a hostile message at the point
// a test chooses: the source and destination sessions must answer each with a typed error.
import { encodeCommand, encodeConfiguration, encodeFileHeader, encodeReturnPath, MainCommand, type MainRecord } from "../../src/codec/index.js";
import type { MigratableDevice } from "../../src/device/types.js";
import { ChannelReader } from "../../src/engine/channel-reader.js";
import { buildConfig, type SetupConfig } from "../../src/engine/config.js";
import type { MultifdPlan } from "../../src/engine/options.js";
import type { Acceptor, Channel, Dialer } from "../../src/transport/types.js";
import { concat } from "../codec/helpers.js";

export interface HostileDestination {
  channel: Channel;
  reader: ChannelReader<"main">;
  /** The source's setup configuration, as read from its CONFIGURATION section. */
  config: SetupConfig;
  /** Sends return-path bytes as they are (a message, a corrupted message, anything). */
  send(bytes: Uint8Array): Promise<void>;
  /** Reads main-channel records until one of `type` (returns it) or the end (returns undefined). */
  until(type: MainRecord["type"]): Promise<MainRecord | undefined>;
}

/** Accepts the source's main channel and reads its header and CONFIGURATION, then hands over to `script`. */
export async function hostileDestination(acceptor: Acceptor, script: (d: HostileDestination) => Promise<void>): Promise<void> {
  const channel = await acceptor.accept();
  const reader = new ChannelReader(channel, "main");
  try {
    await reader.next();
    const configuration = await reader.next();
    const d: HostileDestination = {
      channel,
      reader,
      config: (configuration as { json: SetupConfig }).json,
      send: (bytes) => channel.write(bytes),
      until: async (type) => {
        for (let r = await reader.next(); r !== undefined; r = await reader.next()) if (r.type === type) return r;
        return undefined;
      },
    };
    await script(d);
  } catch {
    // The source may cut the channel at any point of the script: that is its answer, checked by the test.
  } finally {
    channel.destroy();
  }
}

/** Our destination's CONFIG reply to `config`: the same configuration back, as an agreeing peer sends it. */
export const agreeingConfig = (config: SetupConfig): Uint8Array => encodeReturnPath({ type: "config", json: config });

export interface HostileSource {
  channel: Channel;
  /** The destination's return path (its CONFIG reply already read). */
  returnPath: ChannelReader<"return-path">;
  send(bytes: Uint8Array): Promise<void>;
}

/**
 * Dials `main` and speaks a correct setup for `devices` (a configuration the destination agrees
 * with: no multifd unless `plan` says so, no switchover-ack, the commit protocol on), then hands over to `script`.
 */
export async function hostileSource(
  dialer: Dialer,
  devices: readonly MigratableDevice[],
  script: (s: HostileSource) => Promise<void>,
  plan: MultifdPlan = { channels: 0, transfer: false, checksum: "none" },
): Promise<void> {
  const channel = await dialer.dial("main");
  try {
    const config = buildConfig(globalThis.crypto.randomUUID(), { switchoverAck: false, commit: true }, plan, devices);
    await channel.write(concat(encodeFileHeader(), encodeConfiguration(config), encodeCommand(MainCommand.OPEN_RETURN_PATH)));
    const returnPath = new ChannelReader(channel, "return-path");
    await returnPath.next();
    await script({ channel, returnPath, send: (bytes) => channel.write(bytes) });
    // Waits for the destination's verdict (SHUT) and its end of the channel.
    while ((await returnPath.next()) !== undefined);
  } catch {
    // The destination may cut the channel at any point: its result says why, checked by the test.
  } finally {
    channel.destroy();
  }
}
