// Planning a terabyte in seconds: time on the virtual clock depends on sizes and rates, not on content,
// and dividing every size and every rate by the same factor leaves every duration unchanged. So a
// large model runs scaled down to a state the engine moves in well under a second, and byte counts
// are scaled back. What does not scale, and so is exact: latency, load delays, the downtime limit,
// the 100 ms bandwidth period. What scaling coarsens: one device read (1 MiB) stands for `scale` MiB.
import type { DeviceModel, LinkModel, PlanSettings } from "./types.js";

/** Total device state one configuration moves per pass at most; larger models are scaled down to it. */
export const PLAN_STATE_BYTES = 256 * 2 ** 20;
/** A scaled device keeps at least this much state, so reads, dirtying and pre-copy keep their granularity. */
export const MIN_SCALED_DEVICE_BYTES = 16 * 2 ** 20;

/** The power of two that brings the model's state down to PLAN_STATE_BYTES (1 when it fits already). */
export function planScale(device: DeviceModel): number {
  let scale = 1;
  while (device.devices * device.stateSize > scale * PLAN_STATE_BYTES && device.stateSize / (scale * 2) >= MIN_SCALED_DEVICE_BYTES) scale *= 2;
  return scale;
}

const down = (value: number | undefined, scale: number): number | undefined => (value === undefined ? undefined : value / scale);

export function scaleDevice(device: DeviceModel, scale: number): DeviceModel {
  return {
    ...device,
    stateSize: Math.round(device.stateSize / scale),
    initialBytes: device.initialBytes === undefined ? undefined : Math.round(device.initialBytes / scale),
    dirtyRate: down(device.dirtyRate, scale),
    saveBytesPerSecond: down(device.saveBytesPerSecond, scale),
    loadBytesPerSecond: down(device.loadBytesPerSecond, scale),
  };
}

export function scaleLink(link: LinkModel, scale: number): LinkModel {
  return { ...link, bandwidth: link.bandwidth / scale };
}

/** The rate settings scaled; QEMU's default pre-copy limit is made explicit so that it scales too. */
export function scaleRates(settings: PlanSettings, scale: number, defaultMaxBandwidth: number): { maxBandwidth: number; switchoverBandwidth: number | undefined } {
  return {
    maxBandwidth: (settings.bandwidth ?? defaultMaxBandwidth) / scale,
    switchoverBandwidth: down(settings.switchoverBandwidth, scale),
  };
}
