// A device of your own behind the device contract: 16 32-bit registers, no pre-copy, migrated between
// two instances with the real engine over an in-memory network. `npx tsx examples/register-device.ts`
import {
  arcEffect,
  checkArc,
  DeviceState,
  init,
  memoryNetwork,
  migrate,
  MigrationFlags,
  receive,
  VfioMigrationError,
  type MigratableDevice,
  type PrecopyInfo,
} from "../src/index.js";

const STATE_BYTES = 64;

export class RegisterDevice implements MigratableDevice {
  readonly instanceId = 0;
  readonly flags = MigrationFlags.STOP_COPY;
  state = DeviceState.RUNNING;
  readonly registers = new Uint32Array(STATE_BYTES / 4);
  #saving: Uint8Array | undefined; // the open saving stream: a snapshot taken when it opened
  #readAt = 0;
  #resumed: number | undefined; // bytes written to the open resuming stream

  constructor(readonly name: string) {}

  async setState(next: DeviceState): Promise<void> {
    checkArc(this.name, this.flags, this.state, next); // single arcs only, as the kernel's uAPI
    switch (arcEffect(this.state, next)) {
      case "open-saving":
        this.#saving = new Uint8Array(this.registers.slice().buffer);
        this.#readAt = 0;
        break;
      case "close-saving":
        this.#saving = undefined;
        break;
      case "open-resuming":
        this.#resumed = 0;
        break;
      case "close-resuming": {
        const written = this.#resumed;
        this.#resumed = undefined;
        if (written !== STATE_BYTES) {
          throw new VfioMigrationError("ERR_EXAMPLE_SHORT_STATE", `${this.name}: got ${written} of ${STATE_BYTES} bytes`);
        }
        break;
      }
    }
    this.state = next;
  }

  async read(buf: Uint8Array): Promise<number> {
    const rest = this.#saving!.subarray(this.#readAt);
    const n = Math.min(buf.length, rest.length);
    buf.set(rest.subarray(0, n));
    this.#readAt += n;
    return n; // 0 in STOP_COPY: the whole state was read
  }

  async write(bytes: Uint8Array): Promise<void> {
    // Any segmentation: each byte lands at its stream offset (copied: the engine reuses its buffer).
    const at = this.#resumed!;
    if (at + bytes.length > STATE_BYTES) {
      throw new VfioMigrationError("ERR_EXAMPLE_LONG_STATE", `${this.name}: more than ${STATE_BYTES} bytes written`);
    }
    new Uint8Array(this.registers.buffer).set(bytes, at);
    this.#resumed = at + bytes.length;
  }

  precopyInfo(): PrecopyInfo {
    throw new VfioMigrationError("ERR_EXAMPLE_NO_PRECOPY", `${this.name}: no PRE_COPY support`);
  }

  stopCopySize(): number {
    return STATE_BYTES;
  }

  saveConfig(): Uint8Array {
    return new Uint8Array(0);
  }

  async loadConfig(): Promise<void> {}

  async reset(): Promise<void> {
    this.#saving = this.#resumed = undefined;
    this.state = DeviceState.RUNNING;
  }

  digest(): string {
    return Array.from(this.registers, (r) => r.toString(16)).join(".");
  }
}

/** Migrates one RegisterDevice to a fresh one and returns both ends' results. */
export async function migrateRegisters(values: number[]) {
  await init();
  const source = new RegisterDevice("0000:00:07.0/vfio");
  source.registers.set(values);
  const destination = new RegisterDevice("0000:00:07.0/vfio");
  const { dialer, acceptor } = memoryNetwork();
  const receiving = receive({ devices: [destination], acceptor });
  const sent = await migrate({ devices: [source], dialer, switchoverBandwidth: 1e9 });
  const received = await receiving;
  await acceptor.close();
  return { sent, received, destination };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { sent, destination } = await migrateRegisters([1, 2, 3, 0xdeadbeef]);
  console.log(sent.status, `downtime ${sent.downtimeMs?.toFixed(1)} ms`, "registers now", destination.digest());
}
