// The source session: QEMU's migration thread (migration.c) over our channels.
import type { VfioMigrationError } from "../errors.js";
import { checkTuning } from "./tuning.js";
import { encodeCommand, encodeConfiguration, encodeEof, MainCommand, writeFileHeader, type ReturnPathMessage } from "../codec/index.js";
import { setDeviceState } from "../device/index.js";
import { RunningCheck } from "../codec/main-check.js";
import { DeviceState, MigrationFlags } from "../fsm/states.js";
import type { Channel } from "../transport/types.js";
import { buildConfig, compareConfigs, parseConfig, type SetupConfig } from "./config.js";
import { ConvergenceMeter, pendingFits, RateLimiter, Waker } from "./convergence.js";
import { learnOutcome, type CommitOutcome } from "./commit.js";
import {
  CommitAbortedError,
  InDoubtError,
  MigrationCancelledError,
  P2pRequiredError,
  PeerClosedError,
  PeerFailedError,
  ProtocolError,
  SetupMismatchError,
  SetupTimeoutError,
} from "./errors.js";
import { MainWriter } from "./main-writer.js";
import { dialMultifd, uuidBytes } from "./multifd-channels.js";
import { MultifdSender, type MultifdSendReport } from "./multifd/index.js";
import {
  DEFAULT_DOWNTIME_LIMIT_MS,
  DEFAULT_MAX_BANDWIDTH,
  DEFAULT_RESOLUTION_TIMEOUT_MS,
  DEFAULT_SETUP_TIMEOUT_MS,
  DEFAULT_STALL_TIMEOUT_MS,
  DEVICE_CHUNK_BYTES,
  planMultifd,
  type MigrateOptions,
  type MultifdPlan,
} from "./options.js";
import type { DestinationReport, MigrationPhase, MigrationProgress, MigrationResult } from "./result.js";
import { ChannelReader } from "./channel-reader.js";
import { parseReport } from "./report.js";
import { VmRunState } from "./runstate.js";
import { asError, Cancellation, deadline, deviceResults, failureStatus, peerSubject, settlesWithin, takeDigests } from "./session.js";
import { SessionProgress, WatchedChannel } from "./stall-watch.js";
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
 * the result says completed, failed, cancelled or in-doubt. Before the commit, failure or cancel
 * runs the VM again with every device back in RUNNING and its state untouched; after it, the VM
 * never runs again on its own (in-doubt leaves it stopped until `result.resume()`).
 */
export function migrate(options: MigrateOptions): MigrationHandle {
  const session = new SourceSession(options);
  return Object.assign(session.run(), { switchoverNow: () => session.switchoverNow() });
}

class SourceSession {
  readonly #o: MigrateOptions;
  readonly #clock: Clock;
  readonly #stallMs: number;
  /** Any byte moved on any channel: a silent main channel is no stall while multifd moves. */
  readonly #channelProgress = new SessionProgress();
  readonly #commit: boolean;
  readonly #trace: TraceRecorder;
  readonly #devices: TracedDevice[];
  readonly #vm: VmRunState;
  readonly #cancel: Cancellation;
  readonly #waker: Waker;
  readonly #ack: boolean;
  readonly #downtimeLimitMs: number;
  #phase: MigrationPhase = "setup";
  #channel: WatchedChannel | undefined;
  #writer: MainWriter | undefined;
  #handlers: VfioSaveHandler[] = [];
  #forceSwitchover = false;
  #acked = false;
  #iteration = 0;
  #meter: ConvergenceMeter;
  #rate: RateLimiter;
  #pending = 0;
  #peerReport: DestinationReport | undefined;
  #peerError: VfioMigrationError | undefined;
  #peerConfig: ((c: SetupConfig) => void) | undefined;
  #plan: MultifdPlan = { channels: 0, transfer: false, checksum: "none" };
  #multifdChannels: Channel[] = [];
  #sender: MultifdSender | undefined;
  #multifdReport: MultifdSendReport | undefined;
  #shut: ((status: number) => void) | undefined;
  #loaded: (() => void) | undefined;
  /** Set when COMMIT is written: from then on the VM never runs here again on its own. */
  #committed = false;
  /** The destination's decision as it told us after our COMMIT. */
  #peerOutcome: CommitOutcome | undefined;

  constructor(options: MigrateOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#stallMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    this.#commit = options.capabilities?.commit ?? true;
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
    let downtimeStart = 0;
    let digests: (string | undefined)[] = [];
    let stoppedVm = false;
    let uuid: Uint8Array = new Uint8Array(16);
    const removeAbort = this.#cancel.onAbort(() => {
      this.#channel?.destroy(new MigrationCancelledError("main"));
      for (const c of this.#multifdChannels) c.destroy(new MigrationCancelledError(c.name));
      this.#waker.wake();
    });
    const unregister: (() => void)[] = [];
    try {
      checkTuning(this.#o);
      this.#plan = planMultifd(this.#o.multifd);
      this.#checkMultipleDevices();
      this.#cancel.throwIfAborted();
      // SETUP, dial to CONFIG reply, within the setup timeout: a silent or foreign peer fails here.
      const setupMsLimit = this.#o.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS;
      const setupDeadline = deadline(this.#clock, setupMsLimit, () => new SetupTimeoutError(peerSubject(this.#o.peerName), "CONFIG reply from the destination", setupMsLimit));
      let channel: WatchedChannel;
      let returnPath: Promise<void>;
      let w: MainWriter;
      const config = buildConfig(globalThis.crypto.randomUUID(), { switchoverAck: this.#ack, commit: this.#commit }, this.#plan, this.#devices);
      uuid = uuidBytes(config.uuid);
      const shut = new Promise<number>((resolve) => (this.#shut = resolve));
      const loaded = new Promise<void>((resolve) => (this.#loaded = resolve));
      try {
        channel = await this.#dial(setupDeadline.expired);
        w = new MainWriter(channel, DEVICE_CHUNK_BYTES, (n) => {
          this.#meter.sent(n);
          this.#rate.sent(n);
        });
        this.#writer = w;
        // File header, our configuration, OPEN_RETURN_PATH; the destination answers CONFIG.
        const peerConfig = new Promise<SetupConfig>((resolve) => (this.#peerConfig = resolve));
        returnPath = this.#readReturnPath(channel).then(
          // Closed in setup without a report: the destination never spoke our protocol (TLS on one end only, a wrong port).
          () => this.#peerGone(new PeerClosedError(channel.name, `the ${this.#phase} phase${this.#phase === "setup" ? " without a word (TLS on one end only? another service on that port?)" : ""}`)),
          (err: unknown) => this.#peerGone(asError(err)),
        );
        w.putWith(8, writeFileHeader);
        w.put(encodeConfiguration(config));
        // Everything after CONFIGURATION is covered when a checksum is negotiated (a mismatch fails at setup anyway).
        if (this.#plan.checksum !== "none") w.startChecks(new RunningCheck("crc32c"));
        w.put(encodeCommand(MainCommand.OPEN_RETURN_PATH));
        await Promise.race([w.flush(), setupDeadline.expired]);
        const differences = compareConfigs(config, await Promise.race([this.#waitPeer(peerConfig), setupDeadline.expired]));
        if (differences.length > 0) throw new SetupMismatchError(differences);
      } finally {
        setupDeadline.clear();
      }
      if (this.#plan.transfer) {
        const dialed = await dialMultifd(this.#o.dialer, this.#plan.channels, uuid, this.#cancel);
        this.#multifdChannels = dialed.map((c) => new WatchedChannel(c, this.#clock, this.#stallMs, this.#channelProgress));
        this.#sender = new MultifdSender(this.#multifdChannels, { checksum: this.#plan.checksum });
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
      downtimeStart = this.#clock.now();
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
      // EOF is the last checked unit (wire-format 5.4): COMMIT and anything after it go unchecked.
      w.stopChecks();
      await w.drain();
      this.#multifdReport = await multifd;
      // Everything is sent: the destination sees an orderly end on each multifd channel.
      await Promise.all(this.#multifdChannels.map((c) => c.end()));
      // From here the destination must answer: a silent one stalls the return path.
      channel.awaiting = true;
      if (this.#commit) {
        // The destination has loaded everything and waits; until COMMIT is written nothing runs there.
        await this.#waitPeer(loaded);
        this.#cancel.throwIfAborted();
        this.#committed = true;
        w.put(encodeCommand(MainCommand.COMMIT));
        await w.drain();
      }
      const status = await this.#waitPeer(shut);
      if (status !== 0) throw this.#peerError ?? new PeerFailedError("destination", "SHUT with error flag " + status);
      return await this.#completed(setupMs, start, downtimeStart, () => this.#closeAfterCompletion(channel, returnPath));
    } catch (err) {
      const error = this.#cancel.aborted ? new MigrationCancelledError("main") : preferPeerError(asError(err), this.#peerError);
      this.#channel?.destroy(error);
      for (const c of this.#multifdChannels) c.destroy(error);
      if (this.#committed) return await this.#resolve(error, uuid, setupMs, start, downtimeStart);
      const status = failureStatus(err, this.#cancel);
      this.#phase = status;
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

  /** The destination runs the VM: digests of the frozen state, then the channels closed and `save_cleanup`. */
  async #completed(setupMs: number, start: number, downtimeStart: number, close: () => Promise<void>, recovered = false): Promise<MigrationResult> {
    const downtimeMs = this.#clock.now() - downtimeStart;
    this.#phase = "completed";
    // The state stays frozen after the stop, so this is the state at switchover.
    const digests = takeDigests(this.#devices);
    await close();
    this.#progress();
    return { ...this.#result("completed", undefined, setupMs, start, downtimeMs, digests), ...(recovered ? { recovered } : {}) };
  }

  /**
   * Committed, and the main channel failed before the destination said what it did: keep the VM
   * stopped and ask the destination over recovery connections, for the resolution timeout. Its
   * answer decides; without one the migration is in doubt and nothing is resumed.
   */
  async #resolve(error: Error, uuid: Uint8Array, setupMs: number, start: number, downtimeStart: number): Promise<MigrationResult> {
    const limit = this.#o.resolutionTimeoutMs ?? DEFAULT_RESOLUTION_TIMEOUT_MS;
    let outcome = this.#peerOutcome;
    const recovered = outcome === undefined;
    if (outcome === undefined && !this.#cancel.aborted) {
      outcome = await learnOutcome(this.#o.dialer, uuid, this.#clock, limit, this.#cancel.signal);
    }
    if (outcome === "started") {
      return this.#completed(setupMs, start, downtimeStart, () => this.#cleanup(), recovered);
    }
    if (outcome === "aborted") {
      // The destination discarded the state and will never start: the VM is ours again.
      this.#phase = "failed";
      await this.#restore(true);
      this.#progress();
      const cause = this.#peerError ?? error;
      return { ...this.#result("failed", new CommitAbortedError(`the destination did not start its VM: ${cause.message}`, { cause }), setupMs, start, undefined, takeDigests(this.#devices)), ...(recovered ? { recovered } : {}) };
    }
    this.#phase = "in-doubt";
    this.#progress();
    return {
      ...this.#result("in-doubt", new InDoubtError(limit, { cause: error }), setupMs, start, undefined, takeDigests(this.#devices)),
      resume: () => this.#restore(true),
    };
  }

  /** `save_cleanup` once the destination runs the VM (outside the downtime; a failure resets the device). */
  async #cleanup(): Promise<void> {
    for (const h of this.#handlers) await h.saveCleanup().catch(() => {});
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
    await this.#cleanup();
    await ending;
    // The destination ends its side after SHUT; a peer that does not is cut off.
    if (!(await settlesWithin(this.#clock, returnPath, CLOSE_WAIT_MS))) channel.destroy();
  }

  async #dial(expired: Promise<never>): Promise<WatchedChannel> {
    // Its own signal: a dial the setup timeout gave up on stops too (DST seed 167: a connect still
    // under way after the migration ended is a socket and a timer left behind).
    const attempt = new AbortController();
    const forward = this.#cancel.onAbort(() => attempt.abort(this.#o.signal?.reason));
    const dialing = this.#o.dialer.dial("main", attempt.signal);
    try {
      this.#channel = new WatchedChannel(await Promise.race([this.#cancel.race(dialing, "main"), expired]), this.#clock, this.#stallMs, this.#channelProgress);
      return this.#channel;
    } catch (err) {
      attempt.abort(err);
      // A dial that completes after cancel must not leave its socket open.
      dialing.then((late) => late.destroy(), () => {});
      throw err;
    } finally {
      forward();
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
      if (this.#forceSwitchover || (pendingFits(pending, this.#meter.thresholdBytes) && this.#canSwitchover())) return;

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
      case "report": {
        const report = parseReport(m.json);
        if (typeof report === "string") throw new ProtocolError("main", `destination's REPORT ${report}`);
        if (report.status === "loaded") {
          if (!this.#commit) throw new ProtocolError("main", "destination reported loaded, but the commit protocol is off");
          this.#loaded?.();
          return;
        }
        this.#peerReport = report;
        if (this.#commit && report.status === "completed" && !this.#committed) throw new ProtocolError("main", "destination reported completed before our COMMIT");
        if (this.#committed) this.#peerOutcome ??= report.status === "completed" ? "started" : "aborted";
        if (report.status === "failed" && report.error) {
          this.#peerError ??= new PeerFailedError("destination", `${report.error.code}: ${report.error.message}`, report.error.code);
          this.#wakeUncommitted();
        }
        return;
      }
      case "shut": {
        // SHUT(0) after a REPORT of failure contradicts itself: the failure wins.
        const status = m.status === 0 && this.#peerReport?.status === "failed" ? 1 : m.status;
        if (status !== 0) this.#peerError ??= new PeerFailedError("destination", "SHUT with error flag " + m.status);
        if (this.#committed) this.#peerOutcome ??= status === 0 ? "started" : "aborted";
        this.#shut?.(status);
        if (status !== 0) this.#wakeUncommitted();
        return;
      }
      default:
        throw new ProtocolError("main", `unexpected return-path message ${m.type}`);
    }
  }

  /**
   * The destination said it failed: before our COMMIT nothing can run there, so a wait for
   * something else from it (its "loaded") fails now rather than at the stall timeout.
   */
  #wakeUncommitted(): void {
    if (!this.#committed) this.#wakePeerWaits?.();
  }

  /** The return path ended or failed: anything still waiting on the peer fails with this. */
  #peerGone(err: VfioMigrationError): void {
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
      else if (!pendingFits(this.#pending, threshold)) {
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
    error: VfioMigrationError | undefined,
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
function preferPeerError(own: VfioMigrationError, peer: VfioMigrationError | undefined): VfioMigrationError {
  if (!peer) return own;
  const code = own.code;
  return /^ERR_CHANNEL_/.test(code) || code === "ERR_PEER_CLOSED" || code === "ERR_PEER_FAILED" || code === "ERR_WIRE_TRUNCATED" ? peer : own;
}
