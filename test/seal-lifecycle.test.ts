import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../src/server/app.js";
import { silentLogger } from "../src/server/logger.js";
import { openStorage } from "../src/storage/open.js";
import { api, client } from "./support/http.js";

const running: RunningServer[] = [];
afterEach(async () => {
  while (running.length) await running.pop()?.close();
});

async function boot(dbPath: string): Promise<{ server: RunningServer; base: string }> {
  const server = await startServer({
    storage: openStorage({ type: "sqlite", path: dbPath }),
    storageType: "sqlite",
    listeners: [{ address: "127.0.0.1:0", tlsDisable: true }],
    logger: silentLogger,
  });
  running.push(server);
  return { server, base: server.addresses[0] as string };
}

describe("init, unseal, seal and restart over SQLite", () => {
  it("goes through Vault's lifecycle and keeps secrets out of the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mayfly-seal-"));
    const db = join(dir, "mayfly.db");
    let { server, base } = await boot(db);

    expect((await api(base, "GET", "sys/init")).json).toEqual({ initialized: false });
    expect((await api(base, "GET", "sys/health")).status).toBe(501);
    expect((await api(base, "GET", "sys/health?uninitcode=299")).status).toBe(299);
    const status0 = await api(base, "GET", "sys/seal-status");
    expect(status0.json).toMatchObject({ type: "shamir", initialized: false, sealed: true });
    for (const k of ["nonce", "build_date", "migration", "recovery_seal", "storage_type", "version"]) expect(status0.json).toHaveProperty(k);

    const init = await api(base, "PUT", "sys/init", { body: { secret_shares: 5, secret_threshold: 3 } });
    expect(init.status).toBe(200);
    expect(init.json.keys).toHaveLength(5);
    expect(init.json.keys_base64).toHaveLength(5);
    const rootToken = init.json.root_token as string;
    expect((await api(base, "PUT", "sys/init", { body: { secret_shares: 1, secret_threshold: 1 } })).status).toBe(400);

    // Sealed after init: everything but the bare endpoints answers 503.
    expect((await api(base, "GET", "sys/mounts", { token: rootToken })).status).toBe(503);
    expect((await api(base, "GET", "sys/health")).status).toBe(503);
    expect((await api(base, "GET", "sys/health?sealedcode=299")).status).toBe(299);

    const u1 = await api(base, "PUT", "sys/unseal", { body: { key: init.json.keys[0] } });
    expect(u1.json).toMatchObject({ sealed: true, progress: 1, t: 3, n: 5 });
    expect(u1.json.nonce).not.toBe("");
    const reset = await api(base, "PUT", "sys/unseal", { body: { reset: true } });
    expect(reset.json.progress).toBe(0);
    await api(base, "PUT", "sys/unseal", { body: { key: init.json.keys_base64[1] } });
    await api(base, "PUT", "sys/unseal", { body: { key: init.json.keys[2] } });
    const u3 = await api(base, "PUT", "sys/unseal", { body: { key: init.json.keys[4] } });
    expect(u3.json.sealed).toBe(false);
    expect((await api(base, "GET", "sys/health")).status).toBe(200);

    const root = client(base, rootToken);
    expect((await root.post("sys/mounts/secret", { type: "kv", options: { version: "2" } })).status).toBe(204);
    expect((await root.put("secret/data/app", { data: { password: "correct-horse-battery-staple" } })).status).toBe(200);

    // Rotation adds a term; old data still reads.
    const before = (await root.get("sys/key-status")).json;
    expect(before.term).toBe(1);
    expect((await root.post("sys/rotate")).status).toBe(204);
    const after = (await root.get("sys/key-status")).json;
    expect(after.term).toBe(2);
    expect(after.data.term).toBe(2);
    expect((await root.get("secret/data/app")).json.data.data.password).toBe("correct-horse-battery-staple");

    // A token without sudo cannot seal; root can.
    const plain = (await root.post("auth/token/create", { policies: ["default"] })).json.auth.client_token as string;
    expect((await api(base, "PUT", "sys/seal", { token: plain })).status).toBe(403);
    expect((await api(base, "PUT", "sys/seal", { token: rootToken })).status).toBe(204);
    await new Promise((r) => setTimeout(r, 100));
    expect((await api(base, "GET", "sys/seal-status")).json.sealed).toBe(true);
    expect((await api(base, "GET", "secret/data/app", { token: rootToken })).status).toBe(503);

    // Restart: the new process comes up sealed and unseals with a different subset.
    await running.pop()?.close();
    ({ server, base } = await boot(db));
    expect((await api(base, "GET", "sys/seal-status")).json).toMatchObject({ initialized: true, sealed: true });
    expect((await api(base, "GET", "secret/data/app", { token: rootToken })).status).toBe(503);
    for (const k of [init.json.keys[3], init.json.keys[1], init.json.keys[0]]) await api(base, "PUT", "sys/unseal", { body: { key: k } });
    const again = await api(base, "GET", "secret/data/app", { token: rootToken });
    expect(again.status).toBe(200);
    expect(again.json.data.data.password).toBe("correct-horse-battery-staple");
    await running.pop()?.close();

    // Nothing readable at rest: not the secret, not the root token, not an unseal key.
    for (const f of [db, `${db}-wal`]) {
      if (!existsSync(f)) continue;
      const bytes = readFileSync(f);
      expect(bytes.includes(Buffer.from("correct-horse-battery-staple"))).toBe(false);
      expect(bytes.includes(Buffer.from(rootToken))).toBe(false);
      expect(bytes.includes(Buffer.from(init.json.keys[0], "hex"))).toBe(false);
    }
    void server;
  });

  it("refuses a wrong unseal key set and stays sealed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mayfly-seal-"));
    const { base } = await boot(join(dir, "m.db"));
    const init = await api(base, "PUT", "sys/init", { body: { secret_shares: 3, secret_threshold: 2 } });
    await api(base, "PUT", "sys/unseal", { body: { key: init.json.keys[0] } });
    const bad = await api(base, "PUT", "sys/unseal", { body: { key: "00".repeat(33) } });
    expect(bad.status).toBe(400);
    expect((await api(base, "GET", "sys/seal-status")).json.sealed).toBe(true);
    expect((await api(base, "PUT", "sys/unseal", { body: { key: "not-a-key!" } })).status).toBe(400);
  });

  it("serves Prometheus metrics with request counts, seal state and token count", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mayfly-seal-"));
    const { base } = await boot(join(dir, "m.db"));
    const init = await api(base, "PUT", "sys/init", { body: { secret_shares: 1, secret_threshold: 1 } });
    await api(base, "PUT", "sys/unseal", { body: { key: init.json.keys[0] } });
    const root = client(base, init.json.root_token);
    await root.get("sys/mounts");
    const m = await root.get("sys/metrics?format=prometheus");
    expect(m.status).toBe(200);
    expect(m.headers["content-type"]).toMatch(/^text\/plain/);
    expect(m.text).toMatch(/mayfly_requests_total\{mount="sys\/",operation="read",code="200"\} \d+/);
    expect(m.text).toMatch(/mayfly_request_duration_seconds_bucket\{le="0.005",mount="sys\/",operation="read"\}/);
    expect(m.text).toContain("mayfly_core_unsealed 1");
    expect(m.text).toMatch(/mayfly_tokens 1/);
    expect(m.text).not.toContain(init.json.root_token);
    expect((await api(base, "GET", "sys/metrics")).status).toBe(403);
  });
});
