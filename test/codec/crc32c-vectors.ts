/** CRC32C known answers: the check value, and the RFC 3720 appendix B.4 vectors. */
export const KNOWN_ANSWERS: [name: string, bytes: Uint8Array, crc: number][] = [
  ["'123456789' (check value)", new TextEncoder().encode("123456789"), 0xe3069283],
  ["32 bytes of zeros", new Uint8Array(32), 0x8a9136aa],
  ["32 bytes of 0xff", new Uint8Array(32).fill(0xff), 0x62a8ab43],
  ["32 incrementing bytes", Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
  ["32 decrementing bytes", Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
];
