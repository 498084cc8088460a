#!/usr/bin/env node
// Makes the real-QEMU migration captures under test/fixtures/qemu/ (issue 12): small TCG VMs driven
// through QMP on unix sockets, migrated to a file (`exec:cat > FILE`) or over loopback TCP through a
// relay that saves each connection's bytes per direction. The tests only read the committed files;
// this script is how they were made. Usage: node scripts/qemu-captures.mjs [OUT_DIR] [--only NAME...]
// Needs Debian's qemu-system-x86 (QEMU 7.2) and seabios; QEMU=path overrides the binary.
import { spawn, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const QEMU = process.env.QEMU ?? "qemu-system-x86_64";
const BASE_ARGS = ["-accel", "tcg", "-m", "32", "-nodefaults", "-display", "none"];
/** How long a "ran" VM runs before the migration starts: SeaBIOS has booted and found no disk. */
const RUN_MS = 2000;
/** Files larger than this are committed gzipped (the tests gunzip them). */
const GZIP_ABOVE = 512 * 1024;

/**
 * Each capture: the machine, whether the VM ran, -global and -machine options, migration capabilities
 * and parameters (set on both sides), and whether it goes to a file or through the TCP relay.
 */
const CAPTURES = [
  { name: "pc-paused", machine: "pc", ran: false, transport: "file" },
  { name: "pc-ran", machine: "pc", ran: true, transport: "file" },
  { name: "q35-paused", machine: "q35", ran: false, transport: "file" },
  { name: "q35-ran", machine: "q35", ran: true, transport: "file" },
  { name: "pc-no-footer", machine: "pc", ran: false, transport: "file", globals: ["migration.send-section-footer=off"] },
  { name: "pc-no-configuration", machine: "pc", ran: false, transport: "file", globals: ["migration.send-configuration=off"] },
  // QEMU 7.2 has no migration.send-description property: the machine's suppress-vmdesc does the same.
  { name: "pc-no-description", machine: "pc", ran: false, transport: "file", machineOptions: ["suppress-vmdesc=on"] },
  { name: "pc-multifd", machine: "pc", ran: true, transport: "tcp", capabilities: { multifd: true }, parameters: { "multifd-channels": 2 } },
  {
    name: "pc-multifd-zlib", machine: "pc", ran: false, transport: "tcp",
    capabilities: { multifd: true }, parameters: { "multifd-channels": 2, "multifd-compression": "zlib" },
  },
  {
    name: "pc-multifd-zstd", machine: "pc", ran: false, transport: "tcp",
    capabilities: { multifd: true }, parameters: { "multifd-channels": 2, "multifd-compression": "zstd" },
  },
  { name: "pc-return-path", machine: "pc", ran: false, transport: "tcp", capabilities: { "return-path": true } },
  { name: "pc-postcopy-ram", machine: "pc", ran: false, transport: "tcp", capabilities: { "postcopy-ram": true } },
];

// ---- QMP ---------------------------------------------------------------------------------------

/** A QMP client on a unix socket: `execute` resolves with `return` or rejects with the error. */
async function qmpConnect(path) {
  for (let i = 0; !existsSync(path); i++) {
    if (i > 200) throw new Error(`QMP socket ${path} never appeared`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const socket = net.connect(path);
  await new Promise((res, rej) => socket.once("connect", res).once("error", rej));
  let buffer = "";
  let nextId = 0;
  const pending = new Map();
  let greeted;
  const greeting = new Promise((r) => (greeted = r));
  socket.setEncoding("utf8").on("data", (text) => {
    buffer += text;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      const msg = JSON.parse(line);
      if (msg.QMP) greeted();
      else if (msg.id !== undefined && pending.has(msg.id)) {
        const { resolve: ok, reject: fail, command } = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) fail(new Error(`QMP ${command}: ${msg.error.desc}`));
        else ok(msg.return);
      }
    }
  });
  socket.on("close", () => {
    for (const { reject: fail, command } of pending.values()) fail(new Error(`QMP ${command}: connection closed`));
    pending.clear();
  });
  const log = [];
  const execute = (command, args) => {
    const id = nextId++;
    // The polls are left out of the record: only what changed the VM or the migration.
    if (command !== "query-migrate") log.push(args === undefined ? { execute: command } : { execute: command, arguments: args });
    socket.write(JSON.stringify({ execute: command, ...(args === undefined ? {} : { arguments: args }), id }) + "\n");
    return new Promise((ok, fail) => pending.set(id, { resolve: ok, reject: fail, command }));
  };
  await greeting;
  await execute("qmp_capabilities");
  return { execute, log, close: () => socket.destroy() };
}

// ---- QEMU processes ------------------------------------------------------------------------------

function qemuArgs(capture, qmpPath, extra) {
  const machine = [capture.machine, ...(capture.machineOptions ?? [])].join(",");
  const globals = (capture.globals ?? []).flatMap((g) => ["-global", g]);
  return [...BASE_ARGS, "-machine", machine, ...globals, "-S", "-qmp", `unix:${qmpPath},server=on,wait=off`, ...extra];
}

function startQemu(args) {
  const child = spawn(QEMU, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (t) => (stderr += t));
  const exited = new Promise((r) => child.once("exit", (code, signal) => r({ code, signal, stderr })));
  return { child, exited, stderr: () => stderr };
}

async function setMigration(qmp, capture) {
  const capabilities = Object.entries(capture.capabilities ?? {}).map(([capability, state]) => ({ capability, state }));
  if (capabilities.length) await qmp.execute("migrate-set-capabilities", { capabilities });
  if (capture.parameters) await qmp.execute("migrate-set-parameters", capture.parameters);
}

async function waitMigration(qmp, who) {
  for (;;) {
    const info = await qmp.execute("query-migrate");
    if (info.status === "completed") return info;
    if (info.status === "failed" || info.status === "cancelled") throw new Error(`${who}: migration ${info.status}: ${info["error-desc"] ?? ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- the capturing relay -------------------------------------------------------------------------

const QEVM = 0x5145564d;
const MULTIFD = 0x11223344;

/** Names a connection from what its source sent first: `main`, or `multifd-N` from the hello's channel id. */
function connectionName(out) {
  if (out.length >= 4 && out.readUInt32BE(0) === QEVM) return "main";
  if (out.length >= 25 && out.readUInt32BE(0) === MULTIFD) return `multifd-${out[24]}`;
  return "unknown";
}

/** Listens on loopback and forwards each connection to `targetPort`, keeping both directions' bytes. */
async function startRelay(targetPort) {
  const connections = [];
  const server = net.createServer((client) => {
    const record = { out: [], in: [] };
    let closed = 0;
    record.done = new Promise((resolveDone) => {
      const upstream = net.connect(targetPort, "127.0.0.1");
      const finish = () => ++closed === 2 && resolveDone();
      client.on("data", (b) => (record.out.push(b), upstream.write(b)));
      upstream.on("data", (b) => (record.in.push(b), client.write(b)));
      client.on("end", () => upstream.end());
      upstream.on("end", () => client.end());
      client.on("close", finish);
      upstream.on("close", finish);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
    });
    connections.push(record);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: server.address().port,
    async finish() {
      await Promise.all(connections.map((c) => c.done));
      server.close();
      return connections.map((c) => ({ out: Buffer.concat(c.out), in: Buffer.concat(c.in) }));
    },
  };
}

async function freePort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

// ---- one capture ---------------------------------------------------------------------------------

async function runSource(capture, work, uri, commands) {
  const qmpPath = join(work, `${capture.name}-src.qmp`);
  const args = qemuArgs(capture, qmpPath, []);
  commands.source = [QEMU, ...args];
  const qemu = startQemu(args);
  try {
    const qmp = await qmpConnect(qmpPath);
    await setMigration(qmp, capture);
    if (capture.ran) {
      await qmp.execute("cont");
      await new Promise((r) => setTimeout(r, RUN_MS));
      qmp.log.push({ waited: `${RUN_MS} ms` });
    }
    await qmp.execute("migrate", { uri });
    await waitMigration(qmp, `${capture.name} source`);
    commands.sourceQmp = qmp.log;
    await qmp.execute("quit").catch(() => {});
    qmp.close();
  } catch (err) {
    qemu.child.kill();
    throw new Error(`${err.message}\n${qemu.stderr()}`);
  }
  await qemu.exited;
}

async function captureToFile(capture, work) {
  const file = join(work, `${capture.name}.bin`);
  const commands = {};
  await runSource(capture, work, `exec:cat > ${file}`, commands);
  return { commands, files: { [`${capture.name}.bin`]: readFileSync(file) } };
}

async function captureOverTcp(capture, work) {
  const destPort = await freePort();
  const qmpPath = join(work, `${capture.name}-dst.qmp`);
  const destArgs = qemuArgs(capture, qmpPath, ["-incoming", "defer"]);
  const commands = { destination: [QEMU, ...destArgs] };
  const dest = startQemu(destArgs);
  const relay = await startRelay(destPort);
  try {
    const qmp = await qmpConnect(qmpPath);
    await setMigration(qmp, capture);
    await qmp.execute("migrate-incoming", { uri: `tcp:127.0.0.1:${destPort}` });
    await runSource(capture, work, `tcp:127.0.0.1:${relay.port}`, commands);
    await waitMigration(qmp, `${capture.name} destination`);
    commands.destinationQmp = qmp.log;
    await qmp.execute("quit").catch(() => {});
    qmp.close();
  } catch (err) {
    dest.child.kill();
    throw new Error(`${err.message}\n${dest.stderr()}`);
  }
  await dest.exited;
  const files = {};
  for (const c of await relay.finish()) {
    const name = connectionName(c.out);
    files[`${capture.name}/${name}.out.bin`] = c.out;
    if (c.in.length) files[`${capture.name}/${name}.in.bin`] = c.in;
  }
  return { commands, files };
}

// ---- main ----------------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const onlyAt = argv.indexOf("--only");
const only = onlyAt >= 0 ? argv.slice(onlyAt + 1) : undefined;
const outDir = resolve(argv[0] && onlyAt !== 0 ? argv[0] : "test/fixtures/qemu");
mkdirSync(outDir, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "qemu-captures-"));
const manifestPath = join(outDir, "manifest.json");
const manifest = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, "utf8")) : { captures: {} };
manifest.qemu = execFileSync(QEMU, ["--version"], { encoding: "utf8" }).split("\n")[0];
manifest.packages = Object.fromEntries(
  ["qemu-system-x86", "seabios"].map((p) => [p, execFileSync("dpkg-query", ["-W", "-f", "${Version}", p], { encoding: "utf8" })]),
);
const bios = readFileSync("/usr/share/seabios/bios-256k.bin");
manifest.seabios = { path: "/usr/share/seabios/bios-256k.bin", bytes: bios.length, sha256: createHash("sha256").update(bios).digest("hex") };
manifest.notes = [
  "file captures: the source migrates to exec:cat > FILE; tcp captures: source -> relay on 127.0.0.1 -> destination (-incoming defer), each connection saved as NAME.out.bin (source to destination) and NAME.in.bin (back), named from its first bytes (main, multifd-N by the hello's channel id)",
  "capabilities and parameters are set on both sides; every VM starts with -S, a ran one gets cont and runs runMs before migrate",
  "files over 512 KiB are stored gzipped (.gz); bytes and sha256 are of the uncompressed stream",
  "QEMU 7.2 has no migration.send-description property: pc-no-description uses -machine pc,suppress-vmdesc=on",
];
manifest.runMs = RUN_MS;

try {
  for (const capture of CAPTURES) {
    if (only && !only.includes(capture.name)) continue;
    process.stderr.write(`capturing ${capture.name}\n`);
    const { commands, files } = capture.transport === "file" ? await captureToFile(capture, work) : await captureOverTcp(capture, work);
    const written = {};
    for (const [name, bytes] of Object.entries(files)) {
      const gz = bytes.length > GZIP_ABOVE;
      const path = join(outDir, gz ? `${name}.gz` : name);
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, gz ? gzipSync(bytes, { level: 9 }) : bytes);
      written[gz ? `${name}.gz` : name] = { bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
    }
    // Temporary paths and ports say nothing about the bytes: placeholders keep the manifest stable.
    const stable = JSON.parse(JSON.stringify(commands).replaceAll(work, "$TMP").replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT"));
    manifest.captures[capture.name] = { ...capture, commands: stable, files: written };
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
manifest.captures = Object.fromEntries(Object.entries(manifest.captures).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
