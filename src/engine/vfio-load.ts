// The destination half of QEMU's `savevm_vfio_handlers` for one device: load_setup, the
// flag-driven `vfio_load_state`, switchover_ack_needed and the run-state callbacks.
import type { MarkerName } from "../codec/index.js";
import { setDeviceState } from "../device/index.js";
import { DeviceState, MigrationFlags } from "../fsm/states.js";
import { ProtocolError } from "./errors.js";
import type { VmStateChangeHandler } from "./runstate.js";
import type { TracedDevice } from "./trace.js";

export class VfioLoadHandler implements VmStateChangeHandler {
  readonly device: TracedDevice;
  readonly #switchoverAck: boolean;
  readonly #multifd: boolean;
  /** Device data bytes loaded. */
  bytes = 0;

  constructor(device: TracedDevice, switchoverAck: boolean, multifd: boolean) {
    this.device = device;
    this.#switchoverAck = switchoverAck;
    this.#multifd = multifd;
  }

  /** Before load setup: a running P2P device goes to RUNNING_P2P, where it issues no peer DMA. */
  async quiesce(): Promise<void> {
    if (this.device.flags & MigrationFlags.P2P && this.device.state === DeviceState.RUNNING) await setDeviceState(this.device, DeviceState.RUNNING_P2P);
  }

  /** `vfio_load_setup`: RUNNING -> RESUMING (the driver walks the kernel's path). */
  async loadSetup(): Promise<void> {
    await setDeviceState(this.device, DeviceState.RESUMING);
  }

  /** `vfio_switchover_ack_needed`: devices with PRE_COPY send initial data worth acknowledging. */
  switchoverAckNeeded(): boolean {
    return (this.device.flags & MigrationFlags.PRE_COPY) !== 0;
  }

  /**
   * One VFIO flag of `vfio_load_state` (the codec has checked the grammar: what may follow what,
   * END_OF_STATE after SETUP and config, the footer). Returns true for DEV_INIT_DATA_SENT, which the
   * caller turns into an approval of the switchover.
   */
  marker(marker: MarkerName, channel: string): boolean {
    const name = this.device.name;
    switch (marker) {
      case "DEV_INIT_DATA_SENT":
        if (!(this.device.flags & MigrationFlags.PRE_COPY) || !this.#switchoverAck) {
          throw new ProtocolError(channel, `${name}: got DEV_INIT_DATA_SENT but switchover-ack is off or the device has no PRE_COPY`);
        }
        return true;
      case "DEV_CONFIG_LOAD_READY":
        throw new ProtocolError(channel, `${name}: DEV_CONFIG_LOAD_READY outside multifd transfer`);
      case "DEV_CONFIG_STATE":
        if (this.#multifd) throw new ProtocolError(channel, `${name}: got DEV_CONFIG_STATE in main migration channel but doing multifd transfer`);
        return false;
      default:
        return false;
    }
  }

  /** A piece of a DEV_DATA_STATE chunk: straight to the device's resuming stream. */
  async data(bytes: Uint8Array): Promise<void> {
    await this.device.write(bytes);
    this.bytes += bytes.length;
  }

  /** DEV_CONFIG_STATE's blob: loaded, then END_OF_STATE must follow. */
  async config(blob: Uint8Array): Promise<void> {
    await this.device.loadConfig(blob);
  }

  /** `vfio_vmstate_change_prepare` on VM start: RESUMING -> RUNNING_P2P (P2P devices only). */
  async prepare(running: boolean): Promise<void> {
    if (!(this.device.flags & MigrationFlags.P2P)) return;
    await setDeviceState(this.device, running || this.device.state !== DeviceState.PRE_COPY ? DeviceState.RUNNING_P2P : DeviceState.PRE_COPY_P2P);
  }

  /** `vfio_vmstate_change`: RUNNING on start, STOP on stop. */
  async change(running: boolean): Promise<void> {
    await setDeviceState(this.device, running ? DeviceState.RUNNING : DeviceState.STOP);
  }
}
