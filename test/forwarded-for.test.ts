/**
 * A listener behind a load balancer (x_forwarded_for_authorized_addrs): the client address
 * from X-Forwarded-For is what audit entries record and what CIDR-bound tokens are checked
 * against; the header is refused from anyone else.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../src/server/app.js";
import { silentLogger } from "../src/server/logger.js";
import { InmemStorage } from "../src/storage/inmem.js";
import { api } from "./support/http.js";

let server: RunningServer;
let behindLb: string;
let direct: string;
let root: string;

beforeAll(async () => {
  server = await startServer({
    storage: new InmemStorage(),
    storageType: "inmem",
    logger: silentLogger,
    listeners: [
      // The test connects from 127.0.0.1, which plays the load balancer on the first listener.
      { address: "127.0.0.1:0", tlsDisable: true, forwardedFor: { authorizedAddrs: ["127.0.0.0/8"], hopSkips: 0, rejectNotAuthorized: true, rejectNotPresent: true } },
      { address: "127.0.0.1:0", tlsDisable: true, forwardedFor: { authorizedAddrs: ["10.0.0.0/8"], hopSkips: 0, rejectNotAuthorized: true, rejectNotPresent: true } },
    ],
  });
  [behindLb, direct] = server.addresses as [string, string];
  const { keys, rootToken } = await server.core.initialize(1, 1);
  await server.core.unsealWith(keys);
  root = rootToken;
});
afterAll(async () => {
  await server?.close();
});

describe("x_forwarded_for_*", () => {
  it("records and checks the forwarded client address", async () => {
    const xff = (ip: string) => ({ "X-Forwarded-For": ip });
    const auditFile = join(mkdtempSync(join(tmpdir(), "mayfly-xff-")), "audit.log");
    expect((await api(behindLb, "PUT", "sys/audit/file", { token: root, headers: xff("203.0.113.5"), body: { type: "file", options: { file_path: auditFile } } })).status).toBe(204);
    await api(behindLb, "POST", "auth/token/roles/office", { token: root, headers: xff("203.0.113.5"), body: { token_bound_cidrs: ["203.0.113.0/24"] } });
    const created = await api(behindLb, "POST", "auth/token/create/office", { token: root, headers: xff("203.0.113.5"), body: { policies: ["default"], ttl: "1h" } });
    const token = created.json.auth.client_token as string;
    expect((await api(behindLb, "GET", "auth/token/lookup-self", { token, headers: xff("198.51.100.1, 203.0.113.7") })).status).toBe(200);
    expect((await api(behindLb, "GET", "auth/token/lookup-self", { token, headers: xff("198.51.100.1") })).status).toBe(403);
    const entries = readFileSync(auditFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string; request: { path: string; remote_address: string } });
    const lookups = entries.filter((e) => e.request.path === "auth/token/lookup-self" && e.type === "request");
    expect(lookups.map((e) => e.request.remote_address)).toEqual(["203.0.113.7", "198.51.100.1"]);
  });

  it("refuses the header from an address not authorized, and its absence from a proxy", async () => {
    const refused = await api(direct, "GET", "sys/health", { headers: { "X-Forwarded-For": "203.0.113.5" } });
    expect(refused.status).toBe(400);
    expect(refused.json.errors).toEqual(["client address not authorized for X-Forwarded-For and configured to reject connections"]);
    expect((await api(direct, "GET", "sys/health")).status).toBe(200);
    const missing = await api(behindLb, "GET", "sys/health");
    expect(missing.status).toBe(400);
    expect(missing.json.errors).toEqual(["missing x-forwarded-for header and configured to reject when not present"]);
  });
});
