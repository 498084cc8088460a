// The destination session: QEMU's incoming side (savevm.c `qemu_loadvm_state`, migration.c
// `process_incoming_migration_bh`) over our channels.
import { encodeReturnPath, type ReturnPathMessage } from "../codec/index.js";
import { DeviceState } from "../fsm/states.js";
import type { Channel } from "../transport/types.js";
import { buildConfig, compareConfigs, parseConfig, type SetupConfig } from "./config.js";
import { MigrationCancelledError, PeerClosedError, ProtocolError, SetupMismatchError, UnexpectedApprovalError, UnknownDeviceError } from "./errors.js";
import { ChannelReader } from "./channel-reader.js";
import { acceptMultifd, uuidBytes } from "./multifd-channels.js";
import { MultifdReceiver, type MultifdReceiveReport } from "./multifd/index.js";
import { planMultifd, type MultifdPlan, type ReceiveOptions } from "./options.js";
import type { DestinationReport, MigrationPhase, MigrationResult } from "./result.js";
import { VmRunState } from "./runstate.js";
import { asError, Cancellation, deviceResults, failureStatus, settlesWithin, takeDigests } from "./session.js";
import { realClock, type Clock } from "../clock.js";
import { TracedDevice, TraceRecorder } from "./trace.js";
import { VfioLoadHandler } from "./vfio-load.js";
import { setDeviceState } from "../device/index.js";

/** How long the destination waits for the source to end the channel after SHUT. */
const CLOSE_WAIT_MS = 2000;

/**
 * Receives a migration of `options.devices` from the first channel `options.acceptor` accepts.
 * Never rejects: the result says completed, failed or cancelled. On failure the destination's
 * devices are reset (their partial state discarded) and every channel is closed.
 */
export function receive(options: ReceiveOptions): Promise<MigrationResult> {
  return new DestinationSession(options).run();
}

class DestinationSession {
  readonly #o: ReceiveOptions;
  readonly #clock: Clock;
  readonly #trace: TraceRecorder;
  readonly #devices: TracedDevice[];
  readonly #vm: VmRunState;
  readonly #cancel: Cancellation;
  readonly #ack: boolean;
  #phase: MigrationPhase = "setup";
  #channel: Channel | undefined;
  #reader: ChannelReader<"main"> | undefined;
  #handlers: VfioLoadHandler[] = [];
  #ackPending = 0;
  #ackSent = false;
  #returnPathOpen = false;
  readonly #approved = new Set<VfioLoadHandler>();
  #plan: MultifdPlan = { channels: 0, transfer: false, checksum: "none" };
  #receiver: MultifdReceiver | undefined;
  #multifdReport: MultifdReceiveReport | undefined;

  constructor(options: ReceiveOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
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

      // SETUP: the source's header and configuration; our answer on the return path.
      const header = await reader.next();
      if (header?.type !== "header") throw new PeerClosedError(channel.name, "setup");
      const configuration = await reader.next();
      if (configuration?.type !== "configuration") throw new ProtocolError(channel.name, "the stream does not start with our CONFIGURATION section");
      const peer = this.#parsePeerConfig(configuration.json);
      const own = buildConfig(peer.uuid, this.#ack, this.#plan, this.#devices);
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
      const switchoverAt = await Promise.race([this.#load(reader), multifdFailed]);
      if (this.#receiver) {
        // The core waits for every load worker after EOF (QEMU: before the VM starts).
        this.#multifdReport = await Promise.race([this.#receiver.finished(), multifdFailed]);
      }
      // The state as it arrived: once the VM runs, devices change it (dirtying, peer DMA).
      digests = takeDigests(this.#devices);
      // VM start: prepare pass (P2P devices -> RUNNING_P2P), then main pass (-> RUNNING).
      await this.#vm.start();
      this.#trace.mark("destination", "VM_START");
      const loadMs = this.#clock.now() - switchoverAt;
      this.#phase = "completed";
      this.#progress();
      const report: DestinationReport = { status: "completed", loadMs, digests: Object.fromEntries(this.#devices.map((d, i) => [d.name, digests[i]])) };
      await this.#send({ type: "report", json: report });
      await this.#send({ type: "shut", status: 0 });
      await channel.end();
      if (!(await settlesWithin(this.#clock, reader.next(), CLOSE_WAIT_MS))) channel.destroy();
      await this.#receiver?.close().catch(() => {}); // the source ended its multifd channels once it had sent everything
      return this.#result("completed", undefined, setupMs, start, digests);
    } catch (err) {
      const error = this.#cancel.aborted ? new MigrationCancelledError("main") : asError(err);
      const status = failureStatus(err, this.#cancel);
      this.#phase = status;
      this.#progress();
      await this.#reportFailure(error);
      this.#channel?.destroy(error);
      this.#receiver?.abort(error);
      await this.#receiver?.close().catch(() => {});
      await this.#release();
      digests = takeDigests(this.#devices);
      return this.#result(status, error, setupMs, start, digests);
    } finally {
      for (const remove of unregister) remove();
      removeAbort();
      this.#cancel.dispose();
      await this.#channel?.closed;
    }
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
    const accepting = acceptMultifd(this.#o.acceptor, this.#plan.channels, uuidBytes(uuid), receiver, this.#cancel);
    const failed = new Promise<never>((_, reject) => {
      accepting.catch(reject);
      receiver.finished().catch(reject);
    });
    failed.catch(() => {}); // raced later; may reject while nothing awaits it yet
    return failed;
  }

  async #accept(): Promise<Channel> {
    const accepting = this.#o.acceptor.accept(this.#o.signal);
    try {
      this.#channel = await this.#cancel.race(accepting, "main");
      this.#channel.name = "main";
      return this.#channel;
    } catch (err) {
      accepting.then((late) => late.destroy(), () => {});
      throw err;
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
          const known = sections.get(r.sectionId);
          if (r.type === "start" && known) throw new ProtocolError(channel, `section id ${r.sectionId} started twice`);
          if (known && known !== h) throw new ProtocolError(channel, `section id ${r.sectionId} names ${h.device.name}, started for ${known.device.name}`);
          sections.set(r.sectionId, h);
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

  #result(status: MigrationResult["status"], error: Error | undefined, setupMs: number, start: number, digests: (string | undefined)[]): MigrationResult {
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
