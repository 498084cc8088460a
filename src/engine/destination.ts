// The destination session: QEMU's incoming side (savevm.c `qemu_loadvm_state`, migration.c
// `process_incoming_migration_bh`) over our channels.
import type { VfioMigrationError } from "../errors.js";
import { encodeReturnPath, type MainRecord, type ReturnPathMessage } from "../codec/index.js";
import { realClock, type Clock } from "../clock.js";
import { DeviceState } from "../fsm/states.js";
import type { Channel } from "../transport/types.js";
import { buildConfig, compareConfigs, parseConfig, type SetupConfig } from "./config.js";
import { CommitDesk, type CommitOutcome } from "./commit.js";
import {
  AcceptTimeoutError,
  CommitAbortedError,
  MigrationCancelledError,
  PeerClosedError,
  ProtocolError,
  SetupMismatchError,
  SetupTimeoutError,
  UnexpectedApprovalError,
  UnknownDeviceError,
} from "./errors.js";
import { ChannelReader } from "./channel-reader.js";
import { IncomingChannels } from "./incoming.js";
import { acceptMultifd, uuidBytes } from "./multifd-channels.js";
import { MultifdReceiver, type MultifdReceiveReport } from "./multifd/index.js";
import {
  DEFAULT_ACCEPT_TIMEOUT_MS,
  DEFAULT_RESOLUTION_TIMEOUT_MS,
  DEFAULT_SETUP_TIMEOUT_MS,
  DEFAULT_STALL_TIMEOUT_MS,
  planMultifd,
  type MultifdPlan,
  type ReceiveOptions,
} from "./options.js";
import type { DestinationReport, MigrationPhase, MigrationResult } from "./result.js";
import { VmRunState } from "./runstate.js";
import { asError, Cancellation, deadline, deviceResults, failureStatus, peerSubject, settlesWithin, takeDigests } from "./session.js";
import { SessionProgress, WatchedChannel } from "./stall-watch.js";
import { TracedDevice, TraceRecorder } from "./trace.js";
import { VfioLoadHandler } from "./vfio-load.js";
import { setDeviceState } from "../device/index.js";


/**
 * Receives a migration of `options.devices` from the first channel `options.acceptor` accepts.
 * Never rejects: the result says completed, failed or cancelled. With the commit protocol the VM
 * starts only on the source's COMMIT. On failure the destination's devices are reset (their
 * partial state discarded) and every channel is closed.
 */
export function receive(options: ReceiveOptions): Promise<MigrationResult> {
  return new DestinationSession(options).run();
}

class DestinationSession {
  readonly #o: ReceiveOptions;
  readonly #clock: Clock;
  readonly #stallMs: number;
  /** Any byte moved on any channel: a silent main channel is no stall while multifd moves. */
  readonly #channelProgress = new SessionProgress();
  readonly #resolutionMs: number;
  readonly #commit: boolean;
  readonly #trace: TraceRecorder;
  readonly #devices: TracedDevice[];
  readonly #vm: VmRunState;
  readonly #cancel: Cancellation;
  readonly #ack: boolean;
  #phase: MigrationPhase = "setup";
  #channel: WatchedChannel | undefined;
  #reader: ChannelReader<"main"> | undefined;
  #handlers: VfioLoadHandler[] = [];
  #ackPending = 0;
  #ackSent = false;
  #returnPathOpen = false;
  readonly #approved = new Set<VfioLoadHandler>();
  #plan: MultifdPlan = { channels: 0, transfer: false, checksum: "none" };
  #receiver: MultifdReceiver | undefined;
  /** Sorts incoming connections into the main channel and multifd channels; closed when the session ends. */
  #incoming: IncomingChannels | undefined;
  #multifdReport: MultifdReceiveReport | undefined;
  #multifdChannels: WatchedChannel[] = [];
  #desk: CommitDesk | undefined;
  #serving: Promise<void> | undefined;
  readonly #stopServing = new AbortController();

  constructor(options: ReceiveOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#stallMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    this.#resolutionMs = options.resolutionTimeoutMs ?? DEFAULT_RESOLUTION_TIMEOUT_MS;
    this.#commit = options.capabilities?.commit ?? true;
    this.#trace = options.trace ?? new TraceRecorder(this.#clock);
    this.#devices = options.devices.map((d) => new TracedDevice(d, "destination", this.#trace));
    this.#vm = options.vm ?? new VmRunState({ running: false });
    this.#cancel = new Cancellation(options.signal);
    this.#ack = options.capabilities?.switchoverAck ?? false;
  }

  async run(): Promise<MigrationResult> {
    const start = this.#clock.now();
    let setupMs = 0;
    let digests: (string | undefined)[] = [];
    const unregister: (() => void)[] = [];
    const removeAbort = this.#cancel.onAbort(() => {
      this.#channel?.destroy(new MigrationCancelledError("main"));
      this.#receiver?.abort(new MigrationCancelledError("multifd"));
    });
    try {
      this.#plan = planMultifd(this.#o.multifd);
      const channel = await this.#accept();
      const reader = new ChannelReader(channel, "main");
      this.#reader = reader;
      // From the first byte on, the source keeps sending whenever we read (pre-copy writes a PART
      // section per device each iteration, even an empty one).
      channel.awaiting = true;

      // SETUP: the source's header and configuration within the setup timeout; our answer on the return path.
      const setupMsLimit = this.#o.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS;
      const setupDeadline = deadline(this.#clock, setupMsLimit, () => new SetupTimeoutError(peerSubject(this.#o.peerName), "stream header and CONFIGURATION from the source", setupMsLimit));
      let peer: SetupConfig;
      try {
        const header = await Promise.race([reader.next(), setupDeadline.expired]);
        if (header?.type !== "header") throw new PeerClosedError(channel.name, "setup");
        const configuration = await Promise.race([reader.next(), setupDeadline.expired]);
        if (configuration?.type !== "configuration") throw new ProtocolError(channel.name, "the stream does not start with our CONFIGURATION section");
        peer = this.#parsePeerConfig(configuration.json);
      } finally {
        setupDeadline.clear();
      }
      const own = buildConfig(peer.uuid, { switchoverAck: this.#ack, commit: this.#commit }, this.#plan, this.#devices);
      await this.#send({ type: "config", json: own });
      const differences = compareConfigs(peer, own);
      if (differences.length > 0) throw new SetupMismatchError(differences);

      this.#handlers = this.#devices.map((d) => new VfioLoadHandler(d, this.#ack, this.#plan.transfer));
      for (const h of this.#handlers) unregister.push(this.#vm.addHandler(h));
      // Our destination VM is not running, so no device may DMA while its peers enter RESUMING one by
      // one: every P2P device is quiesced first (RUNNING_P2P), the same two-pass rule as a VM stop.
      for (const h of this.#handlers) await h.quiesce();
      for (const h of this.#handlers) await h.loadSetup();
      // `qemu_loadvm_state_switchover_ack_needed`: counted once every device is set up.
      this.#ackPending = this.#ack ? this.#handlers.filter((h) => h.switchoverAckNeeded()).length : 0;
      setupMs = this.#clock.now() - start;
      this.#phase = "active";
      this.#progress();

      const multifdFailed = this.#startMultifd(peer.uuid);
      this.#loading = this.#load(reader);
      const switchoverAt = await Promise.race([this.#loading, multifdFailed]);
      const afterEof = this.#readAfterEof(reader);
      if (this.#receiver) {
        // The core waits for every load worker after EOF (QEMU: before the VM starts); a source that
        // goes away meanwhile will never send what is missing.
        const sourceGone = afterEof.then((r) => {
          throw r === undefined
            ? new PeerClosedError(channel.name, "the wait for multifd device state after EOF")
            : new ProtocolError(channel.name, `${r.type} before the multifd device state was loaded`);
        });
        this.#multifdReport = await Promise.race([this.#receiver.finished(), multifdFailed, sourceGone]);
        channel.awaiting = true;
      }
      // The state as it arrived: once the VM runs, devices change it (dirtying, peer DMA).
      digests = takeDigests(this.#devices);
      const digestMap = Object.fromEntries(this.#devices.map((d, i) => [d.name, digests[i]]));
      if (this.#commit) {
        const outcome = await this.#awaitCommit(channel, afterEof, uuidBytes(peer.uuid), digestMap);
        if (outcome === "aborted") throw this.#abortReason ?? new CommitAbortedError("the VM did not start");
      } else {
        // VM start: prepare pass (P2P devices -> RUNNING_P2P), then main pass (-> RUNNING).
        await this.#vm.start();
      }
      this.#trace.mark("destination", "VM_START");
      const loadMs = this.#clock.now() - switchoverAt;
      this.#phase = "completed";
      this.#progress();
      // The VM runs: nothing below may turn this into a failure (the source may already know).
      const report: DestinationReport = { status: "completed", loadMs, digests: digestMap };
      // With the commit protocol COMMIT came through `afterEof`, and the source's end is read next;
      // without it `afterEof` is still waiting for that end.
      const confirmed = await this.#confirm(channel, this.#commit ? () => reader.next() : () => afterEof, report);
      await this.#receiver?.close().catch(() => {}); // the source ended its multifd channels once it had sent everything
      await this.#closeDesk(confirmed);
      return { ...this.#result("completed", undefined, setupMs, start, digests), ...(this.#desk?.via === "recovery" ? { recovered: true } : {}) };
    } catch (err) {
      const error = this.#cancel.aborted ? new MigrationCancelledError("main") : asError(err);
      const status = failureStatus(err, this.#cancel);
      this.#phase = status;
      this.#progress();
      await this.#reportFailure(error);
      this.#channel?.destroy(error);
      this.#receiver?.abort(error);
      // A device write the main-channel load started is finished before the session ends. Not
      // bounded by a timeout: with the channel destroyed only a device call can keep the loop, and
      // device calls are trusted to return (as QEMU's load path trusts the VFIO fd, and as the
      // multifd receiver's close() waits for its workers' writes). A bound shorter than one write
      // left that write running after the end (DST seed 2132: a 269 ms load delay, 159 ms stall timeout).
      if (this.#loading) await this.#loading.catch(() => {});
      await this.#receiver?.close().catch(() => {});
      if (this.#vm.running) await this.#vm.stop().catch(() => {});
      await this.#release();
      digests = takeDigests(this.#devices);
      // A source that committed and lost us may still ask: it gets "aborted" for a while.
      await this.#closeDesk(false);
      return this.#result(status, error, setupMs, start, digests);
    } finally {
      // Connections that never became ours (silent, slow, surplus) are closed: nothing outlives the session.
      this.#incoming?.close();
      for (const remove of unregister) remove();
      removeAbort();
      this.#cancel.dispose();
      await this.#channel?.closed;
    }
  }

  /** The main channel's load loop, once started: awaited on failure so no device write outlives the session. */
  #loading: Promise<number> | undefined;
  #abortReason: Error | undefined;
  /** The resolution timeout was already spent waiting for a reconnecting source. */
  #waitedForRecovery = false;

  /**
   * Loaded: report it, then wait for the source's COMMIT. Recovery queries are answered from now
   * on. Losing the source here leaves the resolution timeout for it to reconnect and commit; then
   * the state is discarded (the source, committed or not, never sees a start it did not order).
   */
  async #awaitCommit(channel: WatchedChannel, afterEof: Promise<MainRecord | undefined>, uuid: Uint8Array, digests: DestinationReport["digests"]): Promise<CommitOutcome> {
    const desk = new CommitDesk(() => this.#startVm());
    this.#desk = desk;
    // Recovery connections come sorted from the same door as every other connection.
    const incoming = this.#incoming!;
    const recoveries = { accept: (signal?: AbortSignal) => incoming.recovery(signal), close: async () => {} };
    this.#serving = desk.serve(recoveries, uuid, this.#clock, this.#o.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS, this.#stopServing.signal);
    const viaMain = (async () => {
      await this.#send({ type: "report", json: { status: "loaded", digests } satisfies DestinationReport });
      const r = await afterEof;
      if (r?.type === "command" && r.command === "COMMIT") return desk.commit("main");
      throw r === undefined ? new PeerClosedError(channel.name, "the wait for COMMIT") : new ProtocolError(channel.name, `expected COMMIT after EOF, got ${r.type}`);
    })();
    viaMain.catch(() => {}); // raced below; after a recovery decision it fails with the destroyed channel
    try {
      return await Promise.race([viaMain, desk.decided]);
    } catch (err) {
      this.#abortReason = asError(err);
      channel.destroy(this.#abortReason);
      if (this.#cancel.aborted) return desk.abort();
      // The source may have committed and may reconnect: give it the resolution timeout (once: a
      // source asking later finds nobody and says it is in doubt, which is honest).
      const waiting = new AbortController();
      await Promise.race([desk.decided, this.#clock.sleep(this.#resolutionMs, waiting.signal).catch(() => {})]);
      waiting.abort();
      this.#waitedForRecovery = true;
      if (!desk.via) this.#abortReason = new CommitAbortedError(`lost the source before its COMMIT (${this.#abortReason.message}); no recovery within ${this.#resolutionMs} ms: state discarded`);
      return desk.abort();
    } finally {
      if (desk.via === "recovery") channel.destroy(); // the source gave up on this channel
    }
  }

  /** Starts the VM (prepare pass, then main pass); false if it failed, with the VM stopped again. */
  async #startVm(): Promise<boolean> {
    try {
      await this.#vm.start();
      return true;
    } catch (err) {
      this.#abortReason = new CommitAbortedError(`the VM did not start: ${asError(err).message}`, { cause: err });
      await this.#vm.stop().catch(() => {});
      return false;
    }
  }

  /**
   * REPORT and SHUT(0), then the source's orderly end, which says it read them. True when it came;
   * false when the channel failed or stalled first (the source may ask over a recovery connection).
   */
  async #confirm(channel: WatchedChannel, next: () => Promise<MainRecord | undefined>, report: DestinationReport): Promise<boolean> {
    try {
      await this.#send({ type: "report", json: report });
      await this.#send({ type: "shut", status: 0 });
      await channel.end();
      const trailing = await next();
      if (trailing !== undefined) throw new ProtocolError(channel.name, `unexpected ${trailing.type} after SHUT`);
      return true;
    } catch {
      channel.destroy();
      return false;
    }
  }

  /**
   * Stops answering recovery queries: at once when the source confirmed the outcome, on cancel, or
   * when the resolution timeout was already spent waiting for it; else after the resolution
   * timeout, so a source that lost the connection can still learn the outcome.
   */
  async #closeDesk(confirmed: boolean): Promise<void> {
    if (!this.#desk) return;
    if (!confirmed && !this.#cancel.aborted && !this.#waitedForRecovery) {
      const removeAbort = this.#cancel.onAbort(() => this.#stopServing.abort());
      await this.#clock.sleep(this.#resolutionMs, this.#stopServing.signal).catch(() => {});
      removeAbort();
    }
    this.#stopServing.abort();
    await this.#serving;
  }

  /**
   * Multifd transfer: a receiver for every device, fed by the channels the source dials after setup.
   * Returns a promise that rejects when accepting a channel or the receiver fails (it never resolves).
   */
  #startMultifd(uuid: string): Promise<never> {
    if (!this.#plan.transfer) return new Promise<never>(() => {});
    const receiver = new MultifdReceiver({
      devices: this.#devices,
      channels: this.#plan.channels,
      checksum: this.#plan.checksum,
      maxQueuedBytes: this.#o.multifd?.maxQueuedBytes,
      clock: this.#clock,
      // A load worker's phase change (loading, starved, done) is a progress event.
      onPhase: () => this.#progress(),
    });
    this.#receiver = receiver;
    const watch = (channel: Channel): Channel => {
      const watched = new WatchedChannel(channel, this.#clock, this.#stallMs, this.#channelProgress);
      this.#multifdChannels.push(watched);
      return watched;
    };
    const accepting = acceptMultifd(this.#incoming!, this.#plan.channels, uuidBytes(uuid), receiver, this.#cancel, watch);
    const failed = new Promise<never>((_, reject) => {
      accepting.catch(reject);
      receiver.finished().catch(reject);
    });
    failed.catch(() => {}); // raced later; may reject while nothing awaits it yet
    return failed;
  }

  /**
   * The main channel: the first connection that says it is one (see IncomingChannels), within the
   * accept timeout; connections that do not are sorted out meanwhile and never block it.
   */
  async #accept(): Promise<WatchedChannel> {
    const identifyTimeoutMs = this.#o.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS;
    this.#incoming = new IncomingChannels(this.#o.acceptor, { clock: this.#clock, identifyTimeoutMs });
    const limit = this.#o.acceptTimeoutMs ?? DEFAULT_ACCEPT_TIMEOUT_MS;
    const waited = deadline(this.#clock, limit, () => new AcceptTimeoutError(limit));
    try {
      const channel = await Promise.race([this.#cancel.race(this.#incoming.main(), "main"), waited.expired]);
      channel.name = "main";
      this.#channel = new WatchedChannel(channel, this.#clock, this.#stallMs, this.#channelProgress);
      return this.#channel;
    } finally {
      waited.clear();
    }
  }

  #parsePeerConfig(json: unknown): SetupConfig {
    try {
      return parseConfig(json);
    } catch {
      throw new ProtocolError("main", "malformed CONFIGURATION section");
    }
  }

  /** The main loop of `qemu_loadvm_state` until EOF; returns when SWITCHOVER_START arrived. */
  async #load(reader: ChannelReader<"main">): Promise<number> {
    const sections = new Map<number, VfioLoadHandler>();
    // A device's sections share one id and only the first may be a START (QEMU's rule), so the ids we
    // keep are never more than our devices, whatever a source sends.
    const sectionOf = new Map<VfioLoadHandler, number>();
    let current: VfioLoadHandler | undefined;
    let switchoverAt: number | undefined;
    const channel = reader.channel.name;
    for (;;) {
      const r = await reader.next();
      if (r === undefined) throw new PeerClosedError(channel, "loading (before EOF)");
      switch (r.type) {
        case "start":
        case "full": {
          const h = this.#handlers.find((x) => x.device.name === r.idstr && x.device.instanceId === r.instanceId);
          if (!h) throw new UnknownDeviceError(channel, r.idstr, r.instanceId);
          const id = sectionOf.get(h);
          if (r.type === "start" && id !== undefined) throw new ProtocolError(channel, `${h.device.name} started twice (section ids ${id} and ${r.sectionId})`);
          if (id !== undefined && id !== r.sectionId) throw new ProtocolError(channel, `${h.device.name} has section id ${id}, not ${r.sectionId}`);
          const known = sections.get(r.sectionId);
          if (known && known !== h) throw new ProtocolError(channel, `section id ${r.sectionId} names ${h.device.name}, started for ${known.device.name}`);
          sections.set(r.sectionId, h);
          sectionOf.set(h, r.sectionId);
          current = h;
          break;
        }
        case "part":
        case "end":
          current = sections.get(r.sectionId);
          if (!current) throw new ProtocolError(channel, `section id ${r.sectionId} was never started`);
          break;
        case "marker":
          if (current!.marker(r.marker, channel)) this.#approve(current!);
          break;
        case "data":
          await current!.data(r.bytes);
          break;
        case "config":
          await current!.config(r.bytes);
          break;
        case "footer":
          current = undefined;
          break;
        case "command":
          if (r.command === "OPEN_RETURN_PATH") {
            this.#returnPathOpen = true;
            if (this.#ack && this.#ackPending === 0) await this.#sendAck();
          } else if (r.command === "SWITCHOVER_START") {
            switchoverAt = this.#clock.now();
            this.#phase = "device";
            // Every multifd channel now carries device state until the source ends it. The main
            // channel may then stay silent for as long as that takes: those channels are watched
            // instead, and the main one again once the device state is in (see `run`).
            for (const c of this.#multifdChannels) c.awaiting = true;
            if (this.#receiver && this.#channel) this.#channel.awaiting = false;
            this.#receiver?.switchoverStart();
            this.#progress();
          } else {
            throw new ProtocolError(channel, `unexpected command ${r.command}`);
          }
          break;
        case "eof":
          return switchoverAt ?? this.#clock.now();
        default:
          throw new ProtocolError(channel, `unexpected ${r.type} record`);
      }
    }
  }

  /**
   * After EOF the main channel may carry a VM description, then COMMIT (commit protocol) or the
   * source's end: resolves with the first record that is not a VM description, or undefined at the
   * end. Bad bytes there (trailing garbage, an oversized or non-JSON description) reject it; what is
   * already buffered is checked at once, so they fail the migration before anything else happens.
   */
  #readAfterEof(reader: ChannelReader<"main">): Promise<MainRecord | undefined> {
    for (const r of reader.decoder.records()) {
      if (r.type !== "vmdescription") return Promise.resolve(r);
    }
    const reading = (async () => {
      for (let r = await reader.next(); r !== undefined; r = await reader.next()) if (r.type !== "vmdescription") return r;
      return undefined;
    })();
    reading.catch(() => {}); // raced or awaited later; may fail while nothing awaits it yet
    return reading;
  }

  /** `qemu_loadvm_approve_switchover`: one approval per device; SWITCHOVER_ACK once at zero. */
  #approve(h: VfioLoadHandler): void {
    if (this.#ackPending === 0 || this.#approved.has(h)) throw new UnexpectedApprovalError(h.device.name);
    this.#approved.add(h);
    this.#ackPending--;
    if (this.#ackPending === 0) void this.#sendAck().catch(() => {});
  }

  async #sendAck(): Promise<void> {
    if (this.#ackSent || !this.#returnPathOpen) return;
    this.#ackSent = true;
    await this.#send({ type: "switchover-ack" });
  }

  #send(message: ReturnPathMessage): Promise<void> {
    return this.#channel!.write(encodeReturnPath(message));
  }

  /** SHUT(1) with a REPORT naming the error, if the channel still takes it. */
  async #reportFailure(error: Error): Promise<void> {
    if (!this.#channel) return;
    const code = (error as { code?: string }).code ?? "ERR_MIGRATION_FAILED";
    const report: DestinationReport = { status: "failed", error: { code, message: error.message } };
    await settlesWithin(
      this.#clock,
      this.#send({ type: "report", json: report }).then(() => this.#send({ type: "shut", status: 1 })),
      200,
    );
  }

  /** After failure: every device back to RUNNING with the partial incoming state discarded. */
  async #release(): Promise<void> {
    for (const d of this.#devices) {
      if (d.state === DeviceState.RUNNING) continue;
      await d.reset().catch(() => setDeviceState(d, DeviceState.RUNNING).catch(() => {}));
    }
  }

  /** Phase changes (the destination has no convergence figures of its own). */
  #progress(): void {
    this.#o.onProgress?.({
      side: "destination",
      phase: this.#phase,
      bytes: { main: this.#reader?.bytesRead ?? 0, multifd: this.#receiver?.report().channels.map((c) => c.bytes) ?? [] },
      iteration: 0,
      pendingBytes: 0,
      bandwidth: 0,
      thresholdBytes: 0,
      expectedDowntimeMs: 0,
      waitingForAck: false,
      loads: this.#receiver?.progress(),
    });
  }

  #result(status: MigrationResult["status"], error: VfioMigrationError | undefined, setupMs: number, start: number, digests: (string | undefined)[]): MigrationResult {
    return {
      side: "destination",
      status,
      error,
      setupMs,
      totalMs: this.#clock.now() - start,
      downtimeMs: undefined,
      bytes: { main: this.#reader?.bytesRead ?? 0, multifd: this.#multifdReport?.channels.map((c) => c.bytes) ?? [] },
      devices: deviceResults(this.#devices, "destination", this.#trace, digests, this.#handlers.map((h, i) => h.bytes + (this.#multifdReport?.devices[i].bytes ?? 0))),
      trace: this.#trace.entries,
    };
  }
}
