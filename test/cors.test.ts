/**
 * CORS as the HTTP layer enforces it from sys/config/cors: off, nothing changes; on, an
 * allowed Origin gets itself echoed back, any other gets 403, a preflight is answered with
 * Vault's methods and the allowed headers. The settings live behind the barrier: they
 * survive a seal and a restart over SQLite, and a restarted server applies them once unsealed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../src/server/app.js";
import { silentLogger } from "../src/server/logger.js";
import { openStorage } from "../src/storage/open.js";
import { api, type ApiResponse } from "./support/http.js";

const ALLOWED = "https://ui.example";
const OTHER = "https://evil.example";

const running: RunningServer[] = [];
const dir = mkdtempSync(join(tmpdir(), "mayfly-cors-"));
afterEach(async () => {
  while (running.length) await running.pop()?.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function boot(dbPath: string): Promise<string> {
  const server = await startServer({
    storage: openStorage({ type: "sqlite", path: dbPath }),
    storageType: "sqlite",
    listeners: [{ address: "127.0.0.1:0", tlsDisable: true }],
    logger: silentLogger,
  });
  running.push(server);
  return server.addresses[0] as string;
}

async function unseal(base: string, key: string): Promise<void> {
  const r = await api(base, "PUT", "sys/unseal", { body: { key } });
  expect(r.json.sealed).toBe(false);
}

async function waitSealed(base: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await api(base, "GET", "sys/seal-status")).json.sealed) return;
    await new Promise((ok) => setTimeout(ok, 10));
  }
  throw new Error("the server did not seal");
}

function from(origin: string, extra: Record<string, string> = {}): Record<string, string> {
  return { Origin: origin, ...extra };
}

function expectNoCorsHeaders(r: ApiResponse): void {
  expect(r.headers["access-control-allow-origin"]).toBeUndefined();
  expect(r.headers["access-control-allow-methods"]).toBeUndefined();
}

describe("CORS", () => {
  it("is off by default, enforced once configured, and kept through seal and restart", async () => {
    const db = join(dir, "cors.db");
    let base = await boot(db);
    const init = await api(base, "PUT", "sys/init", { body: { secret_shares: 1, secret_threshold: 1 } });
    const key = init.json.keys[0] as string;
    const token = init.json.root_token as string;
    await unseal(base, key);

    // Off: an Origin changes nothing, and OPTIONS is just an unsupported method.
    const plain = await api(base, "GET", "sys/mounts", { token, headers: from(OTHER) });
    expect(plain.status).toBe(200);
    expectNoCorsHeaders(plain);
    expect((await api(base, "OPTIONS", "sys/mounts", { headers: from(OTHER, { "Access-Control-Request-Method": "GET" }) })).status).toBe(405);

    const put = await api(base, "PUT", "sys/config/cors", { token, body: { allowed_origins: [ALLOWED], allowed_headers: ["X-Custom"] } });
    expect(put.status).toBe(204);

    // An allowed origin: served, its origin echoed, Vary: Origin.
    const ok = await api(base, "GET", "sys/mounts", { token, headers: from(ALLOWED) });
    expect(ok.status).toBe(200);
    expect(ok.headers["access-control-allow-origin"]).toBe(ALLOWED);
    expect(ok.headers.vary).toBe("Origin");
    expect(ok.json.data).toHaveProperty(["sys/"]);
    // Errors carry the headers too, so the page can read them.
    const denied = await api(base, "GET", "sys/mounts", { token: "bogus", headers: from(ALLOWED) });
    expect(denied.status).toBe(403);
    expect(denied.headers["access-control-allow-origin"]).toBe(ALLOWED);

    // Any other origin: 403 before the request goes anywhere.
    const refused = await api(base, "GET", "sys/mounts", { token, headers: from(OTHER) });
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({ errors: ["origin not allowed"] });
    expectNoCorsHeaders(refused);
    const refusedWrite = await api(base, "PUT", "sys/policies/acl/x", { token, headers: from(OTHER), body: { policy: 'path "x" { capabilities = ["read"] }' } });
    expect(refusedWrite.status).toBe(403);
    expect((await api(base, "GET", "sys/policies/acl/x", { token })).status).toBe(404);

    // No Origin (the CLI, server-side clients): untouched.
    const cli = await api(base, "GET", "sys/mounts", { token });
    expect(cli.status).toBe(200);
    expectNoCorsHeaders(cli);

    // Preflight: Vault's methods, the standard headers plus the configured one.
    const pre = await api(base, "OPTIONS", "secret/data/app", {
      headers: from(ALLOWED, { "Access-Control-Request-Method": "LIST", "Access-Control-Request-Headers": "x-vault-token" }),
    });
    expect(pre.status).toBe(200);
    expect(pre.text).toBe("");
    expect(pre.headers["access-control-allow-origin"]).toBe(ALLOWED);
    expect(pre.headers["access-control-allow-methods"]).toBe("DELETE,GET,OPTIONS,POST,PUT,LIST");
    const allowedHeaders = (pre.headers["access-control-allow-headers"] as string).split(",");
    expect(allowedHeaders).toEqual(expect.arrayContaining(["X-Vault-Token", "Content-Type", "Authorization", "X-Vault-Wrap-TTL", "X-Custom"]));
    expect(pre.headers["access-control-max-age"]).toBe("300");
    const badMethod = await api(base, "OPTIONS", "secret/data/app", { headers: from(ALLOWED, { "Access-Control-Request-Method": "PATCH" }) });
    expect(badMethod.status).toBe(405);
    expectNoCorsHeaders(badMethod);
    expect((await api(base, "OPTIONS", "secret/data/app", { headers: from(OTHER, { "Access-Control-Request-Method": "GET" }) })).status).toBe(403);

    // Sealed: the last settings stay in force for the endpoints still served.
    expect((await api(base, "PUT", "sys/seal", { token })).status).toBe(204);
    await waitSealed(base);
    expect((await api(base, "GET", "sys/seal-status", { headers: from(OTHER) })).status).toBe(403);
    const sealedOk = await api(base, "GET", "sys/seal-status", { headers: from(ALLOWED) });
    expect(sealedOk.status).toBe(200);
    expect(sealedOk.headers["access-control-allow-origin"]).toBe(ALLOWED);
    await unseal(base, key);
    expect((await api(base, "GET", "sys/mounts", { token, headers: from(OTHER) })).status).toBe(403);

    // Restart: sealed, nothing loaded yet, so CORS is off until the unseal reads it back.
    await running.pop()?.close();
    base = await boot(db);
    const beforeUnseal = await api(base, "GET", "sys/seal-status", { headers: from(OTHER) });
    expect(beforeUnseal.status).toBe(200);
    expectNoCorsHeaders(beforeUnseal);
    await unseal(base, key);
    expect((await api(base, "GET", "sys/mounts", { token, headers: from(OTHER) })).status).toBe(403);
    const afterRestart = await api(base, "GET", "sys/config/cors", { token, headers: from(ALLOWED) });
    expect(afterRestart.json.data.allowed_origins).toEqual([ALLOWED]);
    expect(afterRestart.headers["access-control-allow-origin"]).toBe(ALLOWED);

    // Disabled again: any origin passes without headers, also after the next restart.
    expect((await api(base, "DELETE", "sys/config/cors", { token })).status).toBe(204);
    const offAgain = await api(base, "GET", "sys/mounts", { token, headers: from(OTHER) });
    expect(offAgain.status).toBe(200);
    expectNoCorsHeaders(offAgain);
    await running.pop()?.close();
    base = await boot(db);
    await unseal(base, key);
    expect((await api(base, "GET", "sys/mounts", { token, headers: from(OTHER) })).status).toBe(200);
  });

  it("lets any origin in with the wildcard, echoing the origin", async () => {
    const base = await boot(join(dir, "wildcard.db"));
    const init = await api(base, "PUT", "sys/init", { body: { secret_shares: 1, secret_threshold: 1 } });
    await unseal(base, init.json.keys[0] as string);
    const token = init.json.root_token as string;
    expect((await api(base, "PUT", "sys/config/cors", { token, body: { allowed_origins: "*" } })).status).toBe(204);
    const r = await api(base, "GET", "sys/health", { headers: from(OTHER) });
    expect(r.status).toBe(200);
    expect(r.headers["access-control-allow-origin"]).toBe(OTHER);
  });
});
