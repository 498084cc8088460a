// Peer-to-peer DMA between simulated devices. A device that runs a workload and is not
// P2P-quiesced (RUNNING, PRE_COPY) writes into every peer whenever any device of the group changes state, so
// the effect of the order of stops is deterministic: a write that reaches a peer already stopped
// (STOP, STOP_COPY), resuming or failed is lost, and the loss shows in verification and digests.
import { DeviceState } from "../fsm/states.js";
import type { SimulatedDevice } from "./simulated/device.js";

/** What the group needs of a member. @internal */
export interface PeerMember {
  readonly name: string;
  readonly state: DeviceState;
  /** True while the member initiates peer-to-peer DMA (running, not P2P-quiesced, with a workload). */
  readonly issuesPeerWrites: boolean;
  /** Brings the member's own workload up to now (before any member changes state). */
  catchUp(): void;
  /** A peer's DMA write arrives. */
  receivePeerWrite(from: PeerMember): void;
  joinGroup(group: PeerGroup): void;
}

/** @internal */
export class PeerGroup {
  constructor(readonly members: readonly PeerMember[]) {}

  /** Called by a member just before it changes state. */
  beforeChange(): void {
    for (const member of this.members) member.catchUp();
  }

  /** Called by a member just after it changed state: every issuing member writes to every peer. */
  afterChange(): void {
    for (const writer of this.members) {
      if (!writer.issuesPeerWrites) continue;
      for (const peer of this.members) if (peer !== writer) peer.receivePeerWrite(writer);
    }
  }
}

/** States in which an arriving peer write cannot land. */
export function losesPeerWrites(state: DeviceState): boolean {
  return state === DeviceState.STOP || state === DeviceState.STOP_COPY || state === DeviceState.RESUMING || state === DeviceState.ERROR;
}

/** Makes `devices` peers of each other (replacing any earlier group of theirs). */
export function connectPeers(devices: readonly SimulatedDevice[]): void {
  const members: readonly PeerMember[] = devices;
  const group = new PeerGroup(members);
  for (const member of members) member.joinGroup(group);
}
