// `npm run demo`: a real migration between two processes over loopback TCP. Starts `vfio-migration
// receive` on a free port, runs `vfio-migration send` against it (its progress bar shows on a terminal),
// then prints a summary and proves that every device's state on the destination equals the source's.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const devices = ["--devices", "3", "--state-size", "96MiB", "--initial-size", "16MiB", "--dirty-rate", "4MiB", "--p2p-writes", "--seed", "7"];
const extra = process.argv.slice(2);

function collect(stream) {
  let text = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => (text += chunk));
  return () => text;
}

const receiver = spawn(process.execPath, [cli, "receive", "--listen", "127.0.0.1:0", ...devices, ...extra, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
const receiverOut = collect(receiver.stdout);
const receiverExit = new Promise((resolve) => receiver.on("exit", (code) => resolve(code)));
const address = await new Promise((resolve, reject) => {
  let seen = "";
  receiver.stderr.setEncoding("utf8");
  receiver.stderr.on("data", (chunk) => {
    seen += chunk;
    const m = /listening on (\S+)/.exec(seen);
    if (m) resolve(m[1]);
  });
  receiver.on("exit", () => reject(new Error(`receiver exited before listening:\n${seen}`)));
});

console.log(`destination listening on ${address}; migrating ${devices.slice(1, 6).join(" ")} ...`);
const sender = spawn(process.execPath, [cli, "send", "--connect", address, ...devices, "--switchover-bandwidth", "1GB", ...extra, "--json"], { stdio: ["ignore", "pipe", "inherit"] });
const senderOut = collect(sender.stdout);
const [sendCode, receiveCode] = await Promise.all([new Promise((resolve) => sender.on("exit", resolve)), receiverExit]);

const parse = (text, who) => {
  try {
    return JSON.parse(text);
  } catch {
    console.error(`${who} printed no JSON result (exit ${who === "send" ? sendCode : receiveCode}):\n${text}`);
    process.exit(1);
  }
};
const source = parse(senderOut(), "send");
const destination = parse(receiverOut(), "receive");

console.log(`\nsource: ${source.status}, total ${source.totalMs} ms, setup ${source.setupMs} ms, downtime ${source.downtimeMs} ms, ${(source.bytes.main / 2 ** 20).toFixed(1)} MiB on the main channel`);
console.log(`destination: ${destination.status}\n`);
let equal = source.status === "completed" && destination.status === "completed";
for (const [i, d] of source.devices.entries()) {
  const there = destination.devices[i];
  const same = there !== undefined && d.sourceDigest !== null && d.sourceDigest === there.destinationDigest;
  equal &&= same;
  console.log(`  ${d.name}  source ${d.sourceDigest}  destination ${there?.destinationDigest}  ${same ? "equal" : "DIFFERENT"}  (now ${there?.finalState} on the destination)`);
}
console.log(equal ? "\nproof: every device's state on the destination equals the source's." : "\nFAILED: the states differ or the migration did not complete.");
process.exitCode = equal ? 0 : 1;
