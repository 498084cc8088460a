import { createServer as createHttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listening(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

describe("send and receive always end", () => {
  it("send to a port that accepts and never speaks fails within its setup timeout, naming the peer; the source runs", async () => {
    const port = await listening(createServer((socket) => sockets.push(socket.on("error", () => {}))));
    const started = performance.now();
    const r = await runCli(["send", "--connect", `127.0.0.1:${port}`, "--state-size", "64KiB", "--setup-timeout", "300", "--json"]);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.status).toBe("failed");
    expect(report.error.code).toBe("ERR_SETUP_TIMEOUT");
    expect(report.error.message).toBe(`main (127.0.0.1:${port}): no CONFIG reply from the destination within 300 ms: the peer is silent or does not speak this protocol`);
    expect(report.outcome).toBe("this source VM runs again, its devices RUNNING with their state intact");
    expect(report.devices[0].finalState).toBe("RUNNING");
  });

  it("send to an HTTP server fails at once with a typed error", async () => {
    const port = await listening(createHttpServer((_req, res) => res.end("hello")));
    const r = await runCli(["send", "--connect", `127.0.0.1:${port}`, "--state-size", "64KiB", "--setup-timeout", "2000", "--json"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.status).toBe("failed");
    expect(report.error.code).toMatch(/^ERR_/);
    expect(report.devices[0].finalState).toBe("RUNNING");
  });

  it("receive waits for a source at most --wait-timeout", async () => {
    const r = await runCli(["receive", "--listen", "127.0.0.1:0", "--state-size", "64KiB", "--wait-timeout", "200", "--json"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.error.code).toBe("ERR_ACCEPT_TIMEOUT");
    expect(report.outcome).toBe("the VM did not start here; the incoming state was discarded");
  });

  it("refuses a timeout that is not a number of milliseconds (exit 2)", async () => {
    const r = await runCli(["send", "--connect", "127.0.0.1:1", "--stall-timeout", "soon", "--json"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe("ERR_CLI_USAGE");
  });
});
