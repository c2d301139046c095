/**
 * Database leases across a restart over SQLite: the engine reopens its connection from the
 * stored (rotated) root password after unseal, a lease that ends while the server is down
 * is revoked on time after it comes back, and another is revoked on request.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresInstance } from "./support/index.js";
import { startServer, type RunningServer } from "../src/server/app.js";
import { silentLogger } from "../src/server/logger.js";
import { openStorage } from "../src/storage/open.js";

let pg: PostgresInstance;
let dir: string;
const running: RunningServer[] = [];

async function boot(): Promise<RunningServer> {
  const server = await startServer({
    storage: openStorage({ type: "sqlite", path: join(dir, "mayfly.db") }),
    storageType: "sqlite",
    listeners: [{ address: "127.0.0.1:0", tlsDisable: true }],
    logger: silentLogger,
  });
  running.push(server);
  return server;
}

async function api(server: RunningServer, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.addresses[0]}/v1/${path}`, {
    method,
    headers: { "X-Vault-Token": token },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

const exists = async (user: string) => (await pg.adminQuery("SELECT 1 FROM pg_roles WHERE rolname = $1", [user])).rowCount === 1;

beforeAll(async () => {
  pg = await startPostgres();
  await pg.adminQuery(`CREATE ROLE vault_admin WITH LOGIN CREATEROLE PASSWORD 'boot-pw'`);
  dir = mkdtempSync(join(tmpdir(), "mayfly-db-restart-"));
});

afterAll(async () => {
  while (running.length) await running.pop()?.close();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("database leases across a restart", () => {
  it("revoke on time and on request after unseal, with the rotated root password", async () => {
    let server = await boot();
    const { keys, rootToken } = await server.core.initialize(1, 1);
    await server.core.unsealWith(keys);
    expect((await api(server, rootToken, "POST", "sys/mounts/database", { type: "database" })).status).toBeLessThan(300);
    expect(
      (
        await api(server, rootToken, "POST", "database/config/pg", {
          plugin_name: "postgresql-database-plugin",
          connection_url: pg.templatedConnectionUrl,
          username: "vault_admin",
          password: "boot-pw",
          allowed_roles: "*",
        })
      ).status,
    ).toBe(204);
    expect((await api(server, rootToken, "PUT", "database/rotate-root/pg")).status).toBe(204);
    const creation = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;
    await api(server, rootToken, "POST", "database/roles/short", { db_name: "pg", creation_statements: creation, default_ttl: "4s" });
    await api(server, rootToken, "POST", "database/roles/long", { db_name: "pg", creation_statements: creation, default_ttl: "1h" });
    const short = await api(server, rootToken, "GET", "database/creds/short");
    const long = await api(server, rootToken, "GET", "database/creds/long");
    const shortUser = String((short.body.data as { username: string }).username);
    const longUser = String((long.body.data as { username: string }).username);
    const shortEndMs = Date.now() + 4_000;
    expect(await exists(shortUser)).toBe(true);

    await running.pop()?.close();
    server = await boot();
    await server.core.unsealWith(keys);
    expect(await pg.canLogin("vault_admin", "boot-pw")).toBe(false);

    let goneAtMs = 0;
    while (Date.now() < shortEndMs + 5_000) {
      if (!(await exists(shortUser))) {
        goneAtMs = Date.now();
        break;
      }
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(goneAtMs).toBeGreaterThan(0);
    expect(goneAtMs - shortEndMs).toBeLessThan(1_500);

    expect(await exists(longUser)).toBe(true);
    expect((await api(server, rootToken, "PUT", "sys/leases/revoke", { lease_id: long.body.lease_id })).status).toBe(204);
    expect(await exists(longUser)).toBe(false);
  });
});
