// The far end of bench/channel-threads.bench.ts, in its own process so its work (TLS decryption
// above all) is not counted as the sender's: accepts channels, reads everything, and answers one
// byte per SAMPLE bytes received so the sender knows a sample arrived.
import { tcpListen } from "../../src/transport/tcp.js";
import { tlsListen } from "../../src/transport/tls.js";

const [kind, sample, certsJson] = process.argv.slice(2);
const SAMPLE = Number(sample);
const certs = certsJson ? JSON.parse(certsJson) : undefined;
const acceptor = kind === "tls"
  ? await tlsListen({ port: 0, tls: { ...certs.server, ca: certs.ca.cert, requireClientCert: true } })
  : await tcpListen({ port: 0 });
process.send!({ port: acceptor.address.port });
process.on("disconnect", () => process.exit(0));
for (;;) {
  const channel = await acceptor.accept();
  void (async () => {
    const buf = new Uint8Array(1 << 20);
    for (let got = 0; ; ) {
      const n = await channel.read(buf);
      if (n === 0) return channel.end();
      got += n;
      for (; got >= SAMPLE; got -= SAMPLE) await channel.write(new Uint8Array([1]));
    }
  })().catch(() => channel.destroy());
}
