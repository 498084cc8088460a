// Opening the multifd channels beside the main one: the source dials and sends the 64-byte hello,
// the destination takes each from its sorted incoming connections, checks its hello and hands the
// channel to the multifd receiver.
import { decodeMultifdHello, encodeMultifdHello, MULTIFD_HELLO_BYTES } from "../codec/index.js";
import type { Channel, Dialer } from "../transport/types.js";
import type { IncomingChannels } from "./incoming.js";
import { ProtocolError } from "./errors.js";
import type { MultifdReceiver } from "./multifd/index.js";
import type { Cancellation } from "./session.js";

/** The 16 bytes of a UUID string (the setup config's migration id), as the hello carries them. */
export function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, "");
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new ProtocolError("main", `migration uuid '${uuid}' is not a UUID`);
  return Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

/** Dials `count` multifd channels and sends each its hello; on failure closes those already open. */
export async function dialMultifd(dialer: Dialer, count: number, uuid: Uint8Array, cancel: Cancellation): Promise<Channel[]> {
  const channels: Channel[] = [];
  try {
    for (let id = 0; id < count; id++) {
      const name = `multifd/${id}`;
      const dialing = dialer.dial(name, cancel.signal);
      const channel = await cancel.race(dialing, name).catch((err: unknown) => {
        dialing.then((late) => late.destroy(), () => {});
        throw err;
      });
      channel.name = name;
      channels.push(channel);
      await channel.write(encodeMultifdHello({ uuid, channelId: id }));
    }
    return channels;
  } catch (err) {
    for (const channel of channels) channel.destroy();
    throw err;
  }
}

/** Reads exactly `target.length` bytes (`what`, for the error), or fails if the channel ends first. */
export async function readExactly(channel: Channel, target: Uint8Array, what = "multifd hello"): Promise<void> {
  for (let have = 0; have < target.length; ) {
    const n = await channel.read(target.subarray(have));
    if (n === 0) throw new ProtocolError(channel.name, `channel ended after ${have} of the ${target.length}-byte ${what}`);
    have += n;
  }
}

/**
 * Takes the `count` multifd channels the source announced from `incoming`, checks each hello (magic,
 * version, our uuid, a channel id below `count` and not seen before) and adds the channel to `receiver`.
 */
export async function acceptMultifd(
  incoming: IncomingChannels,
  count: number,
  uuid: Uint8Array,
  receiver: MultifdReceiver,
  cancel: Cancellation,
  adopt: (channel: Channel) => Channel = (channel) => channel,
): Promise<void> {
  const seen = new Set<number>();
  for (let i = 0; i < count; i++) {
    const { channel, hello } = await cancel.race(incoming.multifd(), "multifd");
    try {
      const { channelId } = decodeMultifdHello(hello, { uuid, channels: count, subject: channel.name });
      if (seen.has(channelId)) throw new ProtocolError(channel.name, `a second multifd channel with id ${channelId}`);
      seen.add(channelId);
      channel.name = `multifd/${channelId}`;
    } catch (err) {
      channel.destroy();
      throw err;
    }
    receiver.addChannel(adopt(channel), MULTIFD_HELLO_BYTES);
  }
}
