/** PCI-style ids like QEMU's for the i-th simulated device: 0000:00:04.0/vfio, 0000:00:05.0/vfio, ... */
export function deviceName(index: number): string {
  return `0000:00:${(4 + index).toString(16).padStart(2, "0")}.0/vfio`;
}
