/**
 * Leases through a real server over SQLite, against a throwaway Redis: the sys/leases API,
 * a lease that outlives a restart and is still revoked within a second of its expiry, and
 * what happens when the target is gone (sync revoke fails and keeps the lease; revoke-force
 * drops it).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../src/server/app.js";
import { silentLogger } from "../src/server/logger.js";
import { openStorage } from "../src/storage/open.js";
import { api, client } from "./support/http.js";
import { startRedis, type RedisInstance } from "./support/index.js";

let redis: RedisInstance;
let server: RunningServer | undefined;
let redisStopped = false;
const db = join(mkdtempSync(join(tmpdir(), "mayfly-leases-")), "mayfly.db");

async function boot(): Promise<string> {
  server = await startServer({
    storage: openStorage({ type: "sqlite", path: db }),
    storageType: "sqlite",
    listeners: [{ address: "127.0.0.1:0", tlsDisable: true }],
    logger: silentLogger,
  });
  return server.addresses[0] as string;
}

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await server?.close();
  if (!redisStopped) await redis?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("leases over a restart", () => {
  it("survive a restart, expire on time, and are never dropped unconfirmed but by revoke-force", async () => {
    let base = await boot();
    const init = await api(base, "PUT", "sys/init", { body: { secret_shares: 1, secret_threshold: 1 } });
    const unsealKey = init.json.keys[0] as string;
    expect((await api(base, "PUT", "sys/unseal", { body: { key: unsealKey } })).json.sealed).toBe(false);
    let root = client(base, init.json.root_token);

    expect((await root.post("sys/mounts/database", { type: "database" })).status).toBe(204);
    const cfg = await root.post("database/config/cache", {
      plugin_name: "redis-database-plugin",
      host: redis.host,
      port: redis.port,
      username: redis.adminUser,
      password: redis.adminPassword,
      allowed_roles: "*",
    });
    expect(cfg.status).toBe(204);
    await root.post("database/roles/short", { db_name: "cache", creation_statements: '["~*", "+@read"]', default_ttl: "3s", max_ttl: "1m" });
    await root.post("database/roles/long", { db_name: "cache", creation_statements: '["~*", "+@read"]', default_ttl: "1h" });

    const short = await root.get("database/creds/short");
    expect(short.status).toBe(200);
    const shortId = short.json.lease_id as string;
    expect(shortId).toMatch(/^database\/creds\/short\/[A-Za-z0-9_-]+$/);
    expect(short.json.lease_duration).toBe(3);
    const later = await root.get("database/creds/short");
    const laterId = later.json.lease_id as string;
    const long = await root.get("database/creds/long");
    const longId = long.json.lease_id as string;
    expect(await redis.canLogin(short.json.data.username, short.json.data.password)).toBe(true);

    // The sys/leases API.
    const look = await root.put("sys/leases/lookup", { lease_id: shortId });
    expect(look.status).toBe(200);
    expect(Object.keys(look.json.data).sort()).toEqual(["expire_time", "id", "issue_time", "last_renewal", "renewable", "ttl"]);
    expect(look.json.data).toMatchObject({ id: shortId, renewable: true, last_renewal: null });
    const shortExpireAtMs = Date.parse(look.json.data.expire_time);
    const listed = await root.list("sys/leases/lookup/database/creds/");
    expect(listed.json.data.keys).toEqual(["long/", "short/"]);
    const listedShort = await root.list("sys/leases/lookup/database/creds/short/");
    expect(listedShort.json.data.keys).toEqual([shortId, laterId].map((id) => id.split("/").pop()).sort());
    const renewed = await root.put("sys/leases/renew", { lease_id: laterId, increment: 7 });
    expect(renewed.status).toBe(200);
    expect(renewed.json.lease_duration).toBe(7);
    const laterExpireAtMs = Date.parse((await root.put("sys/leases/lookup", { lease_id: laterId })).json.data.expire_time);
    expect((await root.put("sys/leases/lookup", { lease_id: laterId })).json.data.last_renewal).not.toBeNull();

    // Down while the first short lease falls due; it goes at unseal, the renewed one on time.
    await server?.close();
    server = undefined;
    while (Date.now() < shortExpireAtMs + 300) await sleep(50);
    base = await boot();
    expect((await api(base, "PUT", "sys/unseal", { body: { key: unsealKey } })).json.sealed).toBe(false);
    const unsealedAtMs = Date.now();
    root = client(base, init.json.root_token);
    const goneAt = async (creds: { username: string; password: string }, dueAtMs: number): Promise<number> => {
      while (Date.now() - dueAtMs < 3_000) {
        if (!(await redis.canLogin(creds.username, creds.password))) return Date.now();
        await sleep(50);
      }
      return Infinity;
    };
    expect((await goneAt(short.json.data, unsealedAtMs)) - unsealedAtMs).toBeLessThan(1_000);
    // The record leaves storage just after the target confirmed the drop (its commit may
    // still be under way when the user is already gone).
    const leaseGoneWithin = async (leaseId: string, ms: number): Promise<boolean> => {
      for (const until = Date.now() + ms; Date.now() < until; await sleep(20)) {
        if ((await root.put("sys/leases/lookup", { lease_id: leaseId })).status === 400) return true;
      }
      return false;
    };
    expect(await leaseGoneWithin(shortId, 1_000)).toBe(true);
    expect(laterExpireAtMs).toBeGreaterThan(Date.now() + 500);
    expect(await redis.canLogin(later.json.data.username, later.json.data.password)).toBe(true);
    expect((await goneAt(later.json.data, laterExpireAtMs)) - laterExpireAtMs).toBeLessThan(1_000);
    // The long one is still live after the restart.
    expect((await root.put("sys/leases/lookup", { lease_id: longId })).status).toBe(200);
    expect(await redis.canLogin(long.json.data.username, long.json.data.password)).toBe(true);

    // revoke-prefix over HTTP drops it on the target.
    expect((await root.put("sys/leases/revoke-prefix/database/creds/long")).status).toBe(204);
    expect(await redis.canLogin(long.json.data.username, long.json.data.password)).toBe(false);

    // The target goes away: a sync revoke fails and keeps the lease; revoke-force drops it.
    const doomed = await root.get("database/creds/long");
    const doomedId = doomed.json.lease_id as string;
    await redis.stop();
    redisStopped = true;
    const failed = await root.put("sys/leases/revoke", { lease_id: doomedId });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect((await root.put("sys/leases/lookup", { lease_id: doomedId })).status).toBe(200);
    expect((await root.put(`sys/leases/revoke-force/${doomedId}`)).status).toBe(204);
    expect((await root.put("sys/leases/lookup", { lease_id: doomedId })).status).toBe(400);
    expect((await root.list("sys/leases/lookup/database/creds/")).status).toBe(404);
  });
});
