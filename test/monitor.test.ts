/**
 * sys/monitor and `mayfly monitor`: log lines streamed to a client as the server writes
 * them, at the client's level, gated by the ACL like any read, until the client goes.
 */
import { spawn } from "node:child_process";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { assertBuilt, cleanEnv, eventually, MAYFLY_BIN } from "./support/e2e.js";
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

/** Opens a monitor stream; `lines` fills as lines arrive. */
function openMonitor(query: string, token = "root") {
  const lines: string[] = [];
  let buffered = "";
  return new Promise<{ status: number; contentType: string; lines: string[]; close(): void }>((resolve, reject) => {
    const req = http.get(`${url}/v1/sys/monitor${query}`, { headers: { "X-Vault-Token": token } }, (res) => {
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        buffered += d;
        const parts = buffered.split("\n");
        buffered = parts.pop() ?? "";
        lines.push(...parts);
      });
      res.on("error", () => undefined);
      resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"]), lines, close: () => req.destroy() });
    });
    req.on("error", reject);
  });
}


describe("sys/monitor", () => {
  it("streams lines at the level asked for, in standard text or JSON, while the client stays", async () => {
    const text = await openMonitor("?log_level=debug");
    const json = await openMonitor("?log_format=json");
    const warnOnly = await openMonitor("?log_level=warn");
    expect(text.status).toBe(200);
    expect(text.contentType).toMatch(/^text\/plain/);
    expect(json.contentType).toBe("application/json");
    expect((await api(url, "POST", "sys/mounts/monitored", { token: "root", body: { type: "kv" } })).status).toBe(204);
    await eventually(() => text.lines.some((l) => l.includes("successful mount")));
    const line = text.lines.find((l) => l.includes("successful mount")) as string;
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z \[INFO\] {2}successful mount: path=monitored\/ type=kv$/);
    await eventually(() => json.lines.length > 0);
    expect(JSON.parse(json.lines[0] as string)).toMatchObject({ "@level": "info", "@message": "successful mount", path: "monitored/", type: "kv" });
    expect(warnOnly.lines).toEqual([]);
    for (const m of [text, json, warnOnly]) m.close();
  });

  it("is refused without read on sys/monitor, and answers 400 to an unknown format or level", async () => {
    const token = (await api(url, "POST", "auth/token/create", { token: "root", body: { policies: ["default"] } })).json.auth.client_token;
    expect((await api(url, "GET", "sys/monitor", { token })).status).toBe(403);
    expect((await api(url, "GET", "sys/monitor?log_format=xml", { token: "root" })).status).toBe(400);
    expect((await api(url, "GET", "sys/monitor?log_level=loud", { token: "root" })).status).toBe(400);
    await api(url, "PUT", "sys/policies/acl/monitor", { token: "root", body: { policy: 'path "sys/monitor" { capabilities = ["read"] }' } });
    const allowed = (await api(url, "POST", "auth/token/create", { token: "root", body: { policies: ["monitor"] } })).json.auth.client_token;
    const m = await openMonitor("", allowed);
    expect(m.status).toBe(200);
    m.close();
  });

  it("mayfly monitor prints the lines until it is stopped", async () => {
    assertBuilt();
    const child = spawn(MAYFLY_BIN, ["monitor", "-log-level=info"], { env: cleanEnv({ MAYFLY_ADDR: url, MAYFLY_TOKEN: "root" }) });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    try {
      // The stream is open once the server has a subscriber: retry the mount until a line shows.
      for (let i = 0; i < 50 && !out.includes("cli-watched"); i++) {
        await api(url, "POST", `sys/mounts/cli-watched-${i}`, { token: "root", body: { type: "kv" } });
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(out).toMatch(/\[INFO\] {2}successful mount: path=cli-watched-\d+\//);
    } finally {
      child.kill("SIGINT");
    }
  }, 20_000);

  it("ends open streams when the server shuts down, so shutdown does not wait on them", async () => {
    const other = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: "root" });
    const ended = new Promise<void>((resolve, reject) => {
      http
        .get(`${other.addresses[0]}/v1/sys/monitor`, { headers: { "X-Vault-Token": "root" } }, (res) => {
          res.resume();
          res.on("close", () => resolve());
          res.on("error", () => resolve());
        })
        .on("error", reject);
    });
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await other.close();
    await ended;
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
