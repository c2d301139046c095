/**
 * The socket audit device: entries reach a TCP or UDP collector as JSON lines, secrets
 * HMAC'd; while the only device cannot reach its collector nothing is served, and service
 * resumes by itself once the collector is back.
 */
import dgram from "node:dgram";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { eventually } from "./support/e2e.js";
import { api } from "./support/http.js";

let server: DevServer;
let url: string;

beforeAll(async () => {
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: "root" });
  url = server.addresses[0] as string;
});
afterAll(async () => {
  await server?.close();
});

/** A TCP collector that keeps every line it receives. */
async function tcpCollector(port = 0) {
  const lines: string[] = [];
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    let buf = "";
    s.on("data", (d) => {
      buf += d.toString();
      const parts = buf.split("\n");
      buf = parts.pop() ?? "";
      lines.push(...parts);
    });
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => srv.listen(port, "127.0.0.1", r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    lines,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}


describe("socket audit device", () => {
  it("sends each request and response to a TCP collector, and refuses service while it is gone", async () => {
    let collector = await tcpCollector();
    const port = collector.port;
    const enable = await api(url, "PUT", "sys/audit/collector", { token: "root", body: { type: "socket", options: { address: `127.0.0.1:${port}`, write_timeout: "1s" } } });
    expect(enable.status, JSON.stringify(enable.json)).toBe(204);
    expect((await api(url, "GET", "sys/audit", { token: "root" })).json.data["collector/"]).toMatchObject({ type: "socket", options: { address: `127.0.0.1:${port}` } });

    await api(url, "PUT", "secret/data/audited", { token: "root", body: { data: { password: "hunter2-socket" } } });
    await eventually(() => collector.lines.filter((l) => l.includes("secret/data/audited")).length >= 2);
    const entries = collector.lines.map((l) => JSON.parse(l) as { type: string; auth?: { client_token?: string } });
    expect(entries.some((e) => e.type === "response")).toBe(true);
    expect(collector.lines.join("\n")).not.toContain("hunter2-socket");
    // The token ("root" here, which is also a policy name) appears only HMAC'd.
    for (const e of entries) if (e.auth?.client_token) expect(e.auth.client_token).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(collector.lines.join("\n")).not.toContain('"client_token":"root"');

    // The collector goes away: the only device cannot record, so nothing is served.
    await collector.close();
    const refused = await api(url, "GET", "secret/data/audited", { token: "root" });
    expect(refused.status).toBe(500);
    // It comes back on the same port: the next request reconnects and is served.
    collector = await tcpCollector(port);
    expect((await api(url, "GET", "secret/data/audited", { token: "root" })).status).toBe(200);
    await eventually(() => collector.lines.some((l) => l.includes("secret/data/audited")));
    expect((await api(url, "DELETE", "sys/audit/collector", { token: "root" })).status).toBe(204);
    await collector.close();
  });

  it("sends datagrams to a UDP collector, and refuses bad options with 400", async () => {
    const got: string[] = [];
    const udp = dgram.createSocket("udp4");
    udp.on("message", (m) => got.push(...m.toString().split("\n").filter((l) => l !== "")));
    await new Promise<void>((r) => udp.bind(0, "127.0.0.1", r));
    const port = udp.address().port;
    expect((await api(url, "PUT", "sys/audit/udp", { token: "root", body: { type: "socket", options: { address: `127.0.0.1:${port}`, socket_type: "udp" } } })).status).toBe(204);
    await api(url, "GET", "sys/mounts", { token: "root" });
    await eventually(() => got.some((l) => l.includes('"sys/mounts"')));
    expect((await api(url, "DELETE", "sys/audit/udp", { token: "root" })).status).toBe(204);
    udp.close();

    // A collector that is not there: refused at once, not enabled to refuse everything after.
    const closed = await tcpCollector();
    await closed.close();
    const unreachable = await api(url, "PUT", "sys/audit/gone", { token: "root", body: { type: "socket", options: { address: `127.0.0.1:${closed.port}` } } });
    expect(unreachable.status).toBe(400);
    expect(unreachable.json.errors[0]).toMatch(/audit backend failed test/);
    expect((await api(url, "GET", "sys/audit", { token: "root" })).status).toBe(200);

    for (const [options, message] of [
      [{}, '"address" is required'],
      [{ address: "nowhere" }, 'invalid "address"'],
      [{ address: "127.0.0.1:9", socket_type: "sctp" }, 'invalid "socket_type"'],
      [{ address: "127.0.0.1:9", write_timeout: "soon" }, 'invalid "write_timeout"'],
    ] as const) {
      const r = await api(url, "PUT", "sys/audit/bad", { token: "root", body: { type: "socket", options } });
      expect(r.status).toBe(400);
      expect(r.json.errors[0]).toContain(message);
    }
    expect((await api(url, "PUT", "sys/audit/bad", { token: "root", body: { type: "carrier-pigeon" } })).json.errors).toEqual(["unknown audit backend type: carrier-pigeon"]);
  });
});
