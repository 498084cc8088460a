// One configuration, planned: the real engine (both sessions, convergence, switchover-ack, multifd,
// P2P passes) migrates simulated devices over a modelled link, all on a VirtualClock.
import { SimulatedDevice } from "../device/simulated/device.js";
import { deviceName } from "../device/simulated/names.js";
import { DEFAULT_MAX_QUEUED_BYTES } from "../engine/multifd/options.js";
import { DEFAULT_MAX_BANDWIDTH, DEVICE_CHUNK_BYTES } from "../engine/options.js";
import { VfioMigrationError } from "../errors.js";
import type { MigrationProgress, MigrationResult } from "../engine/result.js";
import { migrate } from "../engine/source.js";
import { receive } from "../engine/destination.js";
import { SimulatedNetwork } from "../sim/network.js";
import { Wire } from "../transport/shaped.js";
import { VirtualClock } from "../virtual-clock.js";
import { scaleDevice, scaleLink, scaleRates } from "./scale.js";
import type { DeviceModel, LinkModel, PlanRow, PlanSettings } from "./types.js";

export interface RunLimits {
  /** Virtual ms after which a migration still iterating is given up. */
  horizonMs: number;
  /** Bytes (scaled) after which a migration still iterating is given up. */
  maxBytes: number;
}

/** After the source gives up, how long (virtual) the destination may take to notice. */
const WIND_DOWN_MS = 60_000;

/**
 * Timers a migration may fire per virtual second of its horizon: about 100x what one that never
 * converges fires (~98,000 in 600 s), so only timers re-armed in a loop reach the budget, which the
 * horizon alone would never stop while virtual time stands still.
 */
const STEPS_PER_SECOND = 16_667;
/** The budget of short horizons. */
const MIN_STEPS = 1_000_000;

/** Timers the destination may fire once the source has settled. */
const DESTINATION_STEPS = 1_000_000;

/** Timers a stopped session may fire while it winds down (tearing down takes a few hundred). */
const WIND_DOWN_STEPS = 100_000;

export async function runConfiguration(model: DeviceModel, link: LinkModel, settings: PlanSettings, scale: number, limits: RunLimits): Promise<PlanRow> {
  const clock = new VirtualClock();
  const device = scaleDevice(model, scale);
  const wireLink = scaleLink(link, scale);
  const devices = (incoming: boolean): SimulatedDevice[] =>
    Array.from(
      { length: device.devices },
      (_, i) =>
        new SimulatedDevice({
          name: deviceName(i),
          seed: 1 + i,
          stateSize: device.stateSize,
          initialBytes: device.initialBytes,
          dirtyRate: device.dirtyRate,
          loadDelayMs: device.loadDelayMs,
          saveBytesPerSecond: device.saveBytesPerSecond,
          loadBytesPerSecond: device.loadBytesPerSecond,
          flags: device.flags,
          // Fixed byte sizes scale with the state, or a scaled run would buffer relatively more.
          readChunk: scaledBytes(DEVICE_CHUNK_BYTES, scale),
          blockSize: scaledBlock(scale),
          incoming,
          clock,
        }),
    );
  // The deterministic simulation's network: one wire each way, shared by every channel, no faults
  // and no jitter (so its random source is never drawn).
  const wires = { forward: new Wire(wireLink.bandwidth), back: new Wire(wireLink.bandwidth) };
  const network = new SimulatedNetwork({ clock, random: () => 0, link: (_, direction) => ({ latencyMs: link.latencyMs ?? 0, wire: wires[direction] }) });
  const { dialer, acceptor } = network;
  const multifd = { channels: settings.channels, mode: settings.multifd, maxQueuedBytes: scaledBytes(DEFAULT_MAX_QUEUED_BYTES, scale) };
  const capabilities = { switchoverAck: settings.switchoverAck };
  const giveUp = new AbortController();
  const stopDestination = new AbortController();
  let last: MigrationProgress | undefined;
  let reason: string | undefined;
  const stop = (why: string): void => {
    if (reason !== undefined) return;
    reason = why;
    giveUp.abort();
  };
  const onProgress = (p: MigrationProgress): void => {
    if (p.side !== "source") return;
    last = p;
    const sent = p.bytes.main + p.bytes.multifd.reduce((a, b) => a + b, 0);
    if (p.phase === "active" && sent > limits.maxBytes) stop(`did not converge: moved ${Math.round(limits.maxBytes / (device.devices * device.stateSize))}x the state, ${why(p, scale)}`);
  };
  const receiving = receive({ devices: devices(true), acceptor, clock, capabilities, multifd, signal: stopDestination.signal });
  const migrating = migrate({
    devices: devices(false),
    dialer,
    clock,
    capabilities,
    multifd,
    downtimeLimitMs: settings.downtimeLimit,
    ...scaleRates(settings, scale, DEFAULT_MAX_BANDWIDTH),
    signal: giveUp.signal,
    onProgress,
  });
  if ((await runToHorizon(clock, migrating, limits.horizonMs)) === "limit") {
    stop(`did not converge within ${limits.horizonMs / 1000} s${last ? `: ${why(last, scale)}` : ""}`);
    await windDown(clock, migrating, "source");
  }
  if ((await clock.run(receiving, WIND_DOWN_MS, DESTINATION_STEPS)) !== "settled") {
    stopDestination.abort();
    await windDown(clock, receiving, "destination");
  }
  await acceptor.close();
  const source = await migrating;
  return row(settings, source, last, reason, scale);
}

/**
 * Runs the migration until it settles ("settled") or its next timer lies past the horizon ("limit").
 * Waiting on nothing a timer can end, or firing its whole timer budget, is an engine bug: neither
 * would ever end on its own.
 */
export async function runToHorizon(clock: VirtualClock, session: Promise<unknown>, horizonMs: number, minSteps = MIN_STEPS): Promise<"settled" | "limit"> {
  const steps = Math.max(minSteps, Math.ceil((horizonMs / 1000) * STEPS_PER_SECOND));
  const outcome = await clock.run(session, horizonMs, steps);
  if (outcome === "settled" || outcome === "limit") return outcome;
  throw stuck("source", outcome === "idle" ? "waits on nothing a timer can end" : `fired ${steps} timers within ${clock.now() / 1000} s (virtual)`);
}

function stuck(side: "source" | "destination", what: string): VfioMigrationError {
  return new VfioMigrationError("ERR_PLAN_STUCK", `plan: the ${side} ${what} (a bug in the engine)`);
}

/**
 * Runs a session just told to stop until it settles. One that does not within WIND_DOWN_MS (or
 * WIND_DOWN_STEPS timers), or that waits on nothing the clock can fire, would leave the plan waiting
 * forever: that is an engine bug, reported as one.
 */
export async function windDown(clock: VirtualClock, session: Promise<unknown>, side: "source" | "destination"): Promise<void> {
  const outcome = await clock.run(session, WIND_DOWN_MS, WIND_DOWN_STEPS);
  if (outcome === "settled") return;
  const what = outcome === "idle" ? "waits on nothing a timer can end" : outcome === "steps" ? `fired ${WIND_DOWN_STEPS} timers` : `ran ${WIND_DOWN_MS / 1000} s (virtual)`;
  throw stuck(side, `did not stop after it was told to: it ${what}`);
}

/** Figures of a scaled run, scaled back (the engine's own wording would quote scaled figures). */
function why(p: MigrationProgress, scale: number): string {
  if (p.waitingForAck) return "waiting for the destination's switchover ack";
  return `${Math.round(p.pendingBytes * scale)} B pending, ${Math.round(p.thresholdBytes * scale)} B allowed`;
}

function row(settings: PlanSettings, source: MigrationResult, last: MigrationProgress | undefined, reason: string | undefined, scale: number): PlanRow {
  const bytes = Math.round((source.bytes.main + source.bytes.multifd.reduce((a, b) => a + b, 0)) * scale);
  const converged = source.status === "completed";
  return {
    ...settings,
    downtimeMs: converged && source.downtimeMs !== undefined ? round(source.downtimeMs) : null,
    totalMs: round(source.totalMs),
    bytes,
    iterations: last?.iteration ?? 0,
    converged,
    ...(converged ? {} : { reason: reason ?? source.error?.message ?? source.status }),
  };
}

/** Microsecond resolution: virtual times are exact, but binary fractions print long. */
const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/** The smallest read a scaled device makes: below it per-packet costs would dominate planning time. */
const MIN_SCALED_CHUNK = 16 * 1024;

function scaledBytes(bytes: number, scale: number): number {
  return Math.max(MIN_SCALED_CHUNK, Math.round(bytes / scale));
}

/** The device's 64 KiB dirtying and verification block, scaled (a multiple of 16, at least 1 KiB). */
function scaledBlock(scale: number): number {
  return Math.max(1024, Math.floor(65536 / scale / 16) * 16);
}
