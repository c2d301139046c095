/**
 * Audited request headers (sys/config/auditing/request-headers): only the headers an
 * operator names reach audit entries, in clear or HMAC'd; the setting needs sudo and
 * survives a seal.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { api } from "./support/http.js";

let server: DevServer;
let url: string;
let auditFile: string;

beforeAll(async () => {
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: "root" });
  url = server.addresses[0] as string;
  auditFile = join(mkdtempSync(join(tmpdir(), "mayfly-audited-headers-")), "audit.log");
  expect((await api(url, "PUT", "sys/audit/file", { token: "root", body: { type: "file", options: { file_path: auditFile } } })).status).toBe(204);
});
afterAll(async () => {
  await server?.close();
});

function entriesFor(path: string): Array<{ type: string; request: { path: string; headers?: Record<string, string[]> } }> {
  return readFileSync(auditFile, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; request: { path: string; headers?: Record<string, string[]> } })
    .filter((e) => e.request.path === path);
}

describe("audited request headers", () => {
  it("carries only the configured headers, HMAC'd where asked", async () => {
    expect((await api(url, "GET", "sys/config/auditing/request-headers", { token: "root" })).json.data).toEqual({ headers: {} });
    await api(url, "PUT", "secret/data/before", { token: "root", body: { data: { a: "1" } }, headers: { "X-Forwarded-For": "10.1.2.3" } });
    expect(entriesFor("secret/data/before").every((e) => e.request.headers === undefined)).toBe(true);

    expect((await api(url, "PUT", "sys/config/auditing/request-headers/X-Forwarded-For", { token: "root", body: {} })).status).toBe(204);
    expect((await api(url, "PUT", "sys/config/auditing/request-headers/X-Request-Id", { token: "root", body: { hmac: true } })).status).toBe(204);
    expect((await api(url, "GET", "sys/config/auditing/request-headers", { token: "root" })).json.data).toEqual({
      headers: { "x-forwarded-for": { hmac: false }, "x-request-id": { hmac: true } },
    });
    expect((await api(url, "GET", "sys/config/auditing/request-headers/X-Request-Id", { token: "root" })).json.data).toEqual({
      "X-Request-Id": { hmac: true },
    });

    await api(url, "GET", "secret/data/before", {
      token: "root",
      headers: { "X-Forwarded-For": "10.1.2.3", "X-Request-Id": "req-42", "X-Other": "not audited" },
    });
    const entries = entriesFor("secret/data/before").slice(-2);
    const hashed = (await api(url, "PUT", "sys/audit-hash/file", { token: "root", body: { input: "req-42" } })).json.data.hash;
    for (const e of entries) {
      expect(e.request.headers).toEqual({ "x-forwarded-for": ["10.1.2.3"], "x-request-id": [hashed] });
    }
  });

  it("needs sudo, refuses an unknown header's read, deletes, and survives a seal", async () => {
    await api(url, "PUT", "sys/policies/acl/no-sudo", { token: "root", body: { policy: 'path "sys/config/auditing/*" { capabilities = ["read", "update"] }' } });
    const token = (await api(url, "POST", "auth/token/create", { token: "root", body: { policies: ["no-sudo"] } })).json.auth.client_token;
    expect((await api(url, "PUT", "sys/config/auditing/request-headers/X-Evil", { token, body: {} })).status).toBe(403);
    const unknown = await api(url, "GET", "sys/config/auditing/request-headers/X-Nope", { token: "root" });
    expect(unknown.status).toBe(400);
    expect(unknown.json.errors).toEqual(["Could not find header in config"]);

    await api(url, "PUT", "sys/seal", { token: "root" });
    await new Promise((r) => setTimeout(r, 200));
    await api(url, "PUT", "sys/unseal", { body: { key: server.unsealKey } });
    expect(Object.keys((await api(url, "GET", "sys/config/auditing/request-headers", { token: "root" })).json.data.headers)).toEqual([
      "x-forwarded-for",
      "x-request-id",
    ]);
    expect((await api(url, "DELETE", "sys/config/auditing/request-headers/x-request-id", { token: "root" })).status).toBe(204);
    expect((await api(url, "GET", "sys/config/auditing/request-headers", { token: "root" })).json.data).toEqual({
      headers: { "x-forwarded-for": { hmac: false } },
    });
  });
});
