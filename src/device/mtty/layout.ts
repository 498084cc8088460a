// struct mtty_data of samples/vfio-mdev/mtty.c, copied raw by the driver in host endianness and
// host layout. We use the x86-64/gcc layout, little-endian: a 24-byte header, then 36 bytes per port.
export const MTTY_MAGIC = 0x7e9d09898c3e2c4en;
export const MTTY_MAJOR_VER = 1;
export const MTTY_MINOR_VER = 0;
/** offsetof(struct mtty_data, ports). */
export const HEADER_BYTES = 24;
/** sizeof(struct serial_port). */
export const PORT_BYTES = 36;
/** MTTY_CONFIG_SPACE_SIZE. */
export const CONFIG_SPACE_BYTES = 0xff;
export const MAX_FIFO_SIZE = 16;

/** mtty_data_size(): 60 bytes for one port, 96 for two. */
export function mttyDataSize(ports: number): number {
  return HEADER_BYTES + PORT_BYTES * ports;
}

/** The header mtty_save_device_data() fills: magic, major, minor, nr_ports, flags 0. */
export function writeHeader(out: Uint8Array, ports: number): void {
  const view = new DataView(out.buffer, out.byteOffset, HEADER_BYTES);
  view.setBigUint64(0, MTTY_MAGIC, true);
  view.setUint32(8, MTTY_MAJOR_VER, true);
  view.setUint32(12, MTTY_MINOR_VER, true);
  view.setUint32(16, ports, true);
  view.setUint32(20, 0, true);
}

/** mtty_resume_write()'s header check; undefined when valid, else what is wrong. */
export function headerProblem(data: Uint8Array, ports: number): string | undefined {
  const view = new DataView(data.buffer, data.byteOffset, HEADER_BYTES);
  const magic = view.getBigUint64(0, true);
  if (magic !== MTTY_MAGIC) return `bad magic 0x${magic.toString(16)}`;
  if (view.getUint32(20, true) !== 0) return `flags ${view.getUint32(20, true)} (must be 0)`;
  const major = view.getUint32(8, true);
  const minor = view.getUint32(12, true);
  if (major !== MTTY_MAJOR_VER || minor !== MTTY_MINOR_VER) return `version ${major}.${minor} (expected ${MTTY_MAJOR_VER}.${MTTY_MINOR_VER})`;
  const nr = view.getUint32(16, true);
  if (nr !== ports) return `${nr} port(s), this device has ${ports}`;
  return undefined;
}

/** mtty_create_config_space(): the PCI config space of a 16550-compatible serial card. */
export function configSpace(ports: number): Uint8Array {
  const c = new Uint8Array(CONFIG_SPACE_BYTES);
  const v = new DataView(c.buffer);
  v.setUint32(0x0, 0x32534348, true); // PCI dev ID
  v.setUint16(0x4, 0x0001, true); // Control: I/O+
  v.setUint16(0x6, 0x0200, true); // Status
  c[0x8] = 0x10; // Rev ID
  c[0x9] = 0x02; // 16550-compatible
  c[0xb] = 0x07; // Simple Communication controllers
  v.setUint32(0x10, 0x000001, true); // BAR0: IO space
  if (ports === 2) v.setUint32(0x14, 0x000001, true); // BAR1: IO space
  v.setUint32(0x2c, 0x32534348, true); // Subsystem ID
  c[0x3d] = 0x01; // INTA#
  c.set([0x23, 0, 0, 0x80, 0x23, 0, 0, 0, 0x23, 0, 0, 0, 0x23], 0x40);
  c.set([0x50, 0x43, 0x49, 0x20, 0x53, 0x65, 0x72, 0x69, 0x61, 0x6c, 0x2f, 0x55, 0x41, 0x52, 0x54], 0x60); // "PCI Serial/UART"
  return c;
}
