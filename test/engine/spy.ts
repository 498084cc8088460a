// Test helpers that watch or play one end of the protocol by hand, with the codec's own decoder and encoders.
import { StreamDecoder, type MainRecord, type ReturnPathRecord } from "../../src/codec/index.js";
import type { Channel, Dialer } from "../../src/transport/types.js";

/** A dialer whose channels keep a copy of every byte written and read; `written`/`read` are the first (main) channel's. */
export function spyingDialer(inner: Dialer): { dialer: Dialer; written: Uint8Array[]; read: Uint8Array[]; channels: { name: string; written: Uint8Array[] }[] } {
  const channels: { name: string; written: Uint8Array[]; read: Uint8Array[] }[] = [];
  const dialer: Dialer = {
    async dial(name, signal) {
      const channel = await inner.dial(name, signal);
      const log = { name, written: [] as Uint8Array[], read: [] as Uint8Array[] };
      channels.push(log);
      const spy: Channel = {
        get name() {
          return channel.name;
        },
        set name(value) {
          channel.name = value;
        },
        write: (bytes) => (log.written.push(bytes.slice()), channel.write(bytes)),
        read: async (target) => {
          const n = await channel.read(target);
          log.read.push(target.slice(0, n));
          return n;
        },
        end: () => channel.end(),
        destroy: (reason) => channel.destroy(reason),
        closed: channel.closed,
      };
      return spy;
    },
  };
  return {
    dialer,
    channels,
    get written() {
      return channels[0]?.written ?? [];
    },
    get read() {
      return channels[0]?.read ?? [];
    },
  };
}

export function decodeMain(pieces: Uint8Array[]): MainRecord[] {
  const decoder = new StreamDecoder({ kind: "main" });
  for (const p of pieces) decoder.push(p);
  return [...decoder.records()].map((r) => ({ ...r }));
}

export function decodeReturnPath(pieces: Uint8Array[]): ReturnPathRecord[] {
  const decoder = new StreamDecoder({ kind: "return-path" });
  for (const p of pieces) decoder.push(p);
  return [...decoder.records()];
}

/** The VFIO markers each section id carried, in order (data pieces left out). */
export function markersBySection(records: MainRecord[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  let section: number | undefined;
  for (const r of records) {
    if (r.type === "start" || r.type === "full" || r.type === "part" || r.type === "end") section = r.sectionId;
    else if (r.type === "marker" && section !== undefined) out.set(section, [...(out.get(section) ?? []), r.marker]);
  }
  return out;
}
