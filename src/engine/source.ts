// The source session: QEMU's migration thread (migration.c) over our channels.
import { encodeCommand, encodeConfiguration, encodeEof, MainCommand, writeFileHeader, type ReturnPathMessage } from "../codec/index.js";
import { setDeviceState } from "../device/index.js";
import { DeviceState, MigrationFlags } from "../fsm/states.js";
import type { Channel } from "../transport/types.js";
import { buildConfig, compareConfigs, parseConfig, type SetupConfig } from "./config.js";
import { ConvergenceMeter, RateLimiter, Waker } from "./convergence.js";
import { MigrationCancelledError, P2pRequiredError, PeerClosedError, PeerFailedError, ProtocolError, SetupMismatchError } from "./errors.js";
import { MainWriter } from "./main-writer.js";
import { dialMultifd, uuidBytes } from "./multifd-channels.js";
import { MultifdSender, type MultifdSendReport } from "./multifd/index.js";
import {
  DEFAULT_DOWNTIME_LIMIT_MS,
  DEFAULT_MAX_BANDWIDTH,
  DEVICE_CHUNK_BYTES,
  planMultifd,
  type MigrateOptions,
  type MultifdPlan,
} from "./options.js";
import type { DestinationReport, MigrationPhase, MigrationProgress, MigrationResult } from "./result.js";
import { ChannelReader } from "./channel-reader.js";
import { VmRunState } from "./runstate.js";
import { asError, Cancellation, deviceResults, failureStatus, settlesWithin, takeDigests } from "./session.js";
import { realClock, type Clock } from "../clock.js";
import { TracedDevice, TraceRecorder } from "./trace.js";
import { VfioSaveHandler } from "./vfio-save.js";

/** How long pre-copy sleeps when no device had anything to send (an ACK, switchover-now or cancel wakes it). */
const IDLE_POLL_MS = 5;
/** How long the source waits for the destination to end the channel after SHUT. */
const CLOSE_WAIT_MS = 2000;

export type MigrationHandle = Promise<MigrationResult> & {
  /** Switch over at the next decision point, whatever the pending figure and the ACK say. */
  switchoverNow(): void;
};

/**
 * Migrates `options.devices` to the destination reached through `options.dialer`. Never rejects:
 * the result says completed, failed or cancelled. On failure or cancel the VM runs again and every
 * device is back in RUNNING with its state untouched.
 */
export function migrate(options: MigrateOptions): MigrationHandle {
  const session = new SourceSession(options);
  return Object.assign(session.run(), { switchoverNow: () => session.switchoverNow() });
}

class SourceSession {
  readonly #o: MigrateOptions;
  readonly #trace: TraceRecorder;
  readonly #devices: TracedDevice[];
  readonly #vm: VmRunState;
  readonly #cancel: Cancellation;
  readonly #clock: Clock;
  readonly #waker: Waker;
  readonly #ack: boolean;
  readonly #downtimeLimitMs: number;
  #phase: MigrationPhase = "setup";
  #channel: Channel | undefined;
  #writer: MainWriter | undefined;
  #handlers: VfioSaveHandler[] = [];
  #forceSwitchover = false;
  #acked = false;
  #iteration = 0;
  #meter: ConvergenceMeter;
  #rate: RateLimiter;
  #pending = 0;
  #peerReport: DestinationReport | undefined;
  #peerError: Error | undefined;
  #peerConfig: ((c: SetupConfig) => void) | undefined;
  #plan: MultifdPlan = { channels: 0, transfer: false, checksum: "none" };
  #multifdChannels: Channel[] = [];
  #sender: MultifdSender | undefined;
  #multifdReport: MultifdSendReport | undefined;
  #shut: ((status: number) => void) | undefined;

  constructor(options: MigrateOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#waker = new Waker(this.#clock);
    this.#trace = options.trace ?? new TraceRecorder(this.#clock);
    this.#devices = options.devices.map((d) => new TracedDevice(d, "source", this.#trace));
    this.#vm = options.vm ?? new VmRunState();
    this.#cancel = new Cancellation(options.signal);
    this.#ack = options.capabilities?.switchoverAck ?? false;
    this.#downtimeLimitMs = options.downtimeLimitMs ?? DEFAULT_DOWNTIME_LIMIT_MS;
    const t = this.#clock.now();
    this.#meter = new ConvergenceMeter(this.#downtimeLimitMs, options.switchoverBandwidth, t);
    this.#rate = new RateLimiter(options.maxBandwidth ?? DEFAULT_MAX_BANDWIDTH, t);
  }

  switchoverNow(): void {
    this.#forceSwitchover = true;
    this.#waker.wake();
  }

  async run(): Promise<MigrationResult> {
    const start = this.#clock.now();
    let setupMs = 0;
    let downtimeMs: number | undefined;
    let digests: (string | undefined)[] = [];
    let stoppedVm = false;
    const removeAbort = this.#cancel.onAbort(() => {
      this.#channel?.destroy(new MigrationCancelledError("main"));
      for (const c of this.#multifdChannels) c.destroy(new MigrationCancelledError(c.name));
      this.#waker.wake();
    });
    const unregister: (() => void)[] = [];
    try {
      this.#plan = planMultifd(this.#o.multifd);
      this.#checkMultipleDevices();
      this.#cancel.throwIfAborted();
      const channel = await this.#dial();
      const w = new MainWriter(channel, DEVICE_CHUNK_BYTES, (n) => {
        this.#meter.sent(n);
        this.#rate.sent(n);
      });
      this.#writer = w;

      // SETUP: file header, our configuration, OPEN_RETURN_PATH; the destination answers CONFIG.
      const config = buildConfig(globalThis.crypto.randomUUID(), this.#ack, this.#plan, this.#devices);
      const peerConfig = new Promise<SetupConfig>((resolve) => (this.#peerConfig = resolve));
      const shut = new Promise<number>((resolve) => (this.#shut = resolve));
      const returnPath = this.#readReturnPath(channel).then(
        () => this.#peerGone(new PeerClosedError(channel.name, `the ${this.#phase} phase`)),
        (err: unknown) => this.#peerGone(asError(err)),
      );
      w.putWith(8, writeFileHeader);
      w.put(encodeConfiguration(config));
      w.put(encodeCommand(MainCommand.OPEN_RETURN_PATH));
      await w.flush();
      const differences = compareConfigs(config, await this.#waitPeer(peerConfig));
      if (differences.length > 0) throw new SetupMismatchError(differences);
      if (this.#plan.transfer) {
        this.#multifdChannels = await dialMultifd(this.#o.dialer, this.#plan.channels, uuidBytes(config.uuid), this.#cancel);
        this.#sender = new MultifdSender(this.#multifdChannels, this.#devices.length, { checksum: this.#plan.checksum });
      }

      this.#handlers = this.#devices.map((d, i) => new VfioSaveHandler(d, i, this.#ack));
      for (const h of this.#handlers) unregister.push(this.#vm.addHandler(h));
      for (const h of this.#handlers) await this.#vm.exclusive(() => h.saveSetup(w));
      await w.flush();
      setupMs = this.#clock.now() - start;

      this.#phase = "active";
      await this.#precopy(w);

      // Switchover: stop the VM (two passes), lift the rate limit, SWITCHOVER_START, completion.
      this.#phase = "device";
      const downtimeStart = this.#clock.now();
      this.#trace.mark("source", "VM_STOP");
      if (this.#vm.running) {
        stoppedVm = true;
        await this.#vm.stop("finish-migrate");
      }
      this.#rate.disable();
      this.#progress();
      w.put(encodeCommand(MainCommand.SWITCHOVER_START));
      this.#trace.mark("source", "SWITCHOVER_START");
      const multifd = await this.#startMultifdSave(w);
      for (const h of this.#handlers) await h.saveComplete(w, this.#plan.transfer);
      for (const h of this.#handlers) await h.saveState(w, this.#plan.transfer);
      w.put(encodeEof());
      await w.drain();
      this.#multifdReport = await multifd;
      // Everything is sent: the destination sees an orderly end on each multifd channel.
      await Promise.all(this.#multifdChannels.map((c) => c.end()));
      const status = await this.#waitPeer(shut);
      if (status !== 0) throw this.#peerError ?? new PeerFailedError("destination", "SHUT with error flag " + status);
      downtimeMs = this.#clock.now() - downtimeStart;
      this.#phase = "completed";
      // The state stays frozen after the stop, so this is the state at switchover.
      digests = takeDigests(this.#devices);
      await this.#closeAfterCompletion(channel, returnPath);
      this.#progress();
      return this.#result("completed", undefined, setupMs, start, downtimeMs, digests);
    } catch (err) {
      const error = this.#cancel.aborted ? new MigrationCancelledError("main") : preferPeerError(asError(err), this.#peerError);
      const status = failureStatus(err, this.#cancel);
      this.#phase = status;
      this.#channel?.destroy(error);
      for (const c of this.#multifdChannels) c.destroy(error);
      await this.#restore(stoppedVm);
      digests = takeDigests(this.#devices);
      this.#progress();
      return this.#result(status, error, setupMs, start, undefined, digests);
    } finally {
      for (const remove of unregister) remove();
      removeAbort();
      this.#cancel.dispose();
      await this.#channel?.closed;
      await Promise.all(this.#multifdChannels.map((c) => c.closed));
    }
  }

  /**
   * Multifd transfer: every device enters STOP_COPY and streams from its own save worker, in
   * parallel with the main channel's END and FULL sections. Resolves undefined without multifd.
   */
  async #startMultifdSave(w: MainWriter): Promise<MultifdSendReport | undefined> {
    if (!this.#sender) return undefined;
    await w.flush();
    for (const h of this.#handlers) await h.enterStopCopy();
    const sending = this.#sender.send(this.#devices, this.#o.signal);
    sending.catch(() => {}); // awaited after the main channel's sections; a failure must not go unhandled meanwhile
    return sending;
  }

  /**
   * After SHUT(0) the migration has completed, whatever happens here: close the channels, then
   * `save_cleanup` (STOP_COPY -> STOP, outside the downtime; a device that fails it is reset by the
   * driver helper, as QEMU's set_state_or_reset).
   */
  async #closeAfterCompletion(channel: Channel, returnPath: Promise<void>): Promise<void> {
    // The destination never writes on multifd channels and has read everything (it sent SHUT).
    for (const c of this.#multifdChannels) c.destroy();
    const ending = channel.end().catch(() => {});
    for (const h of this.#handlers) await h.saveCleanup().catch(() => {});
    await ending;
    // The destination ends its side after SHUT; a peer that does not is cut off.
    if (!(await settlesWithin(this.#clock, returnPath, CLOSE_WAIT_MS))) channel.destroy();
  }

  async #dial(): Promise<Channel> {
    const dialing = this.#o.dialer.dial("main", this.#o.signal);
    try {
      this.#channel = await this.#cancel.race(dialing, "main");
      return this.#channel;
    } catch (err) {
      // A dial that completes after cancel must not leave its socket open.
      dialing.then((late) => late.destroy(), () => {});
      throw err;
    }
  }

  /** QEMU's multiple-device rule, checked before anything changes. */
  #checkMultipleDevices(): void {
    if (this.#devices.length <= 1) return;
    const lacking = this.#devices.filter((d) => !(d.flags & MigrationFlags.P2P)).map((d) => d.name);
    if (lacking.length > 0) throw new P2pRequiredError(lacking);
  }

  /** Pre-copy: QEMU's `migration_iteration_run` loop until switchover is due. */
  async #precopy(w: MainWriter): Promise<void> {
    for (;;) {
      this.#cancel.throwIfAborted();
      if (this.#peerError) throw this.#peerError;
      const t = this.#clock.now();
      if (this.#meter.update(t)) this.#progress();
      let pending = this.#handlers.reduce((sum, h) => sum + h.pendingEstimate(), 0);
      if (pending < this.#meter.thresholdBytes) pending = this.#handlers.reduce((sum, h) => sum + h.pendingExact(), 0);
      this.#pending = pending;
      if (this.#forceSwitchover || ((pending === 0 || pending < this.#meter.thresholdBytes) && this.#canSwitchover())) return;

      let sent = 0;
      for (const h of this.#handlers) {
        if (!h.isActiveIterate()) continue;
        // Waits out a used-up window; the check after waking opens the next one.
        for (let delay = this.#rate.delayMs(this.#clock.now()); delay > 0 && !this.#forceSwitchover && !this.#cancel.aborted; delay = this.#rate.delayMs(this.#clock.now())) {
          await this.#waker.sleep(delay);
        }
        if (this.#forceSwitchover || this.#cancel.aborted) break;
        // Checked again under the lock: a VM pause may have moved the device out of pre-copy meanwhile.
        sent += await this.#vm.exclusive(async () => (h.isActiveIterate() ? h.saveLiveIterate(w) : 0));
      }
      await w.flush();
      this.#iteration++;
      if (sent === 0) await this.#waker.sleep(IDLE_POLL_MS);
    }
  }

  /** `migration_can_switchover`: ACK off, or the ACK arrived, or the VM is not running. */
  #canSwitchover(): boolean {
    return !this.#ack || this.#acked || !this.#vm.running;
  }

  async #readReturnPath(channel: Channel): Promise<void> {
    const reader = new ChannelReader(channel, "return-path");
    for (let m = await reader.next(); m !== undefined; m = await reader.next()) this.#onMessage(m);
  }

  #onMessage(m: ReturnPathMessage): void {
    switch (m.type) {
      case "config":
        try {
          this.#peerConfig?.(parseConfig(m.json));
        } catch {
          throw new ProtocolError("main", "destination sent a malformed CONFIG reply");
        }
        return;
      case "switchover-ack":
        if (!this.#acked) this.#trace.mark("source", "SWITCHOVER_ACK");
        this.#acked = true;
        this.#waker.wake();
        return;
      case "report":
        this.#peerReport = m.json as DestinationReport;
        if (this.#peerReport.status === "failed" && this.#peerReport.error) {
          this.#peerError ??= new PeerFailedError("destination", `${this.#peerReport.error.code}: ${this.#peerReport.error.message}`, this.#peerReport.error.code);
        }
        return;
      case "shut":
        if (m.status !== 0) this.#peerError ??= new PeerFailedError("destination", "SHUT with error flag " + m.status);
        this.#shut?.(m.status);
        return;
      default:
        throw new ProtocolError("main", `unexpected return-path message ${m.type}`);
    }
  }

  /** The return path ended or failed: anything still waiting on the peer fails with this. */
  #peerGone(err: Error): void {
    if (this.#phase === "completed") return;
    this.#peerError ??= err;
    this.#waker.wake();
    this.#wakePeerWaits?.();
  }

  #wakePeerWaits: (() => void) | undefined;

  /** Waits for something only the destination can deliver; fails if the peer goes away or on cancel. */
  async #waitPeer<T>(promise: Promise<T>): Promise<T> {
    const gone = new Promise<never>((_, reject) => {
      this.#wakePeerWaits = () => reject(this.#peerError);
      if (this.#peerError) reject(this.#peerError);
    });
    return this.#cancel.race(Promise.race([promise, gone]), "main");
  }

  /** After failure or cancel: VM running again (two passes), every device RUNNING with its state intact. */
  async #restore(stoppedVm: boolean): Promise<void> {
    if (stoppedVm) {
      try {
        await this.#vm.start();
      } catch {
        // A device that cannot go back through the run-state callbacks is forced below.
      }
    }
    for (const d of this.#devices) {
      if (d.state === DeviceState.RUNNING) continue;
      try {
        await setDeviceState(d, DeviceState.RUNNING);
      } catch {
        await d.reset().catch(() => {});
      }
    }
  }

  #progress(): void {
    const bw = this.#meter.expectedBytesPerMs;
    const threshold = this.#meter.thresholdBytes;
    const waitingForAck = this.#phase === "active" && this.#ack && !this.#acked && this.#vm.running;
    let notConverging: string | undefined;
    if (this.#phase === "active") {
      if (waitingForAck) notConverging = "waiting for the destination's switchover ack";
      else if (!(this.#pending === 0 || this.#pending < threshold)) {
        notConverging =
          `pending ${this.#pending} B is not under the threshold ${Math.round(threshold)} B ` +
          `(${Math.round(bw * 1000)} B/s x ${this.#downtimeLimitMs} ms downtime limit)` +
          (this.#o.switchoverBandwidth ? "" : "; a switchover bandwidth may help");
      }
    }
    const progress: MigrationProgress = {
      side: "source",
      phase: this.#phase,
      bytes: this.#bytes(),
      iteration: this.#iteration,
      pendingBytes: this.#pending,
      bandwidth: this.#meter.bandwidth * 1000,
      thresholdBytes: threshold,
      expectedDowntimeMs: bw > 0 ? this.#pending / bw : this.#pending === 0 ? 0 : Infinity,
      waitingForAck,
      notConverging,
    };
    this.#o.onProgress?.(progress);
  }

  #bytes(): MigrationResult["bytes"] {
    return { main: this.#writer?.bytesWritten ?? 0, multifd: this.#multifdReport?.channels.map((c) => c.bytes) ?? [] };
  }

  #result(
    status: MigrationResult["status"],
    error: Error | undefined,
    setupMs: number,
    start: number,
    downtimeMs: number | undefined,
    digests: (string | undefined)[],
  ): MigrationResult {
    return {
      side: "source",
      status,
      error,
      setupMs,
      totalMs: this.#clock.now() - start,
      downtimeMs,
      bytes: this.#bytes(),
      devices: deviceResults(this.#devices, "source", this.#trace, digests, this.#handlers.map((h, i) => h.bytes + (this.#multifdReport?.devices[i].bytes ?? 0))),
      trace: this.#trace.entries,
      peerReport: this.#peerReport,
    };
  }
}

/**
 * Our own error names the cause unless it is only the symptom of the destination failing (the
 * channel reset or closed under us): then the destination's report says why.
 */
function preferPeerError(own: Error, peer: Error | undefined): Error {
  if (!peer) return own;
  const code = (own as { code?: string }).code ?? "";
  return /^ERR_CHANNEL_/.test(code) || code === "ERR_PEER_CLOSED" || code === "ERR_PEER_FAILED" || code === "ERR_WIRE_TRUNCATED" ? peer : own;
}
