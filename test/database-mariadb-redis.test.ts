/**
 * The database engine against real, throwaway MariaDB and Redis: credentials log in with
 * the granted rights and are dropped on revoke; Redis root rotation.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMariadb, startRedis, type MariadbInstance, type RedisInstance } from "./support/index.js";
import { startHarness, type Harness } from "../src/engines/database/test-harness.js";

let maria: MariadbInstance;
let redis: RedisInstance;
let h: Harness;

beforeAll(async () => {
  [maria, redis] = await Promise.all([startMariadb(), startRedis()]);
  await maria.adminQuery("CREATE DATABASE shop");
  await maria.adminQuery("CREATE TABLE shop.items (id INT PRIMARY KEY, name TEXT)");
  await maria.adminQuery("INSERT INTO shop.items VALUES (1, 'lamp')");
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
  await Promise.all([maria?.stop(), redis?.stop()]);
});

describe("MariaDB", () => {
  it("issues a user that can SELECT but not INSERT, and drops it on revoke", async () => {
    const c = await h.write("config/maria", {
      plugin_name: "mysql-database-plugin",
      connection_url: maria.templatedConnectionUrl,
      username: maria.adminUser,
      password: maria.adminPassword,
      allowed_roles: "*",
    });
    expect(c.status).toBe(204);
    const role = await h.write("roles/shop-ro", {
      db_name: "maria",
      creation_statements: "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; GRANT SELECT ON shop.* TO '{{name}}'@'%';",
      default_ttl: "1h",
    });
    expect(role.status).toBe(204);
    const r = await h.read("creds/shop-ro");
    expect(r.status).toBe(200);
    const { username, password } = r.data as { username: string; password: string };
    expect(username.length).toBeLessThanOrEqual(32);
    const conn = await maria.connectAs(username, password, "shop");
    try {
      const [rows] = await conn.query("SELECT name FROM items");
      expect(rows).toEqual([{ name: "lamp" }]);
      await expect(conn.query("INSERT INTO items VALUES (2, 'chair')")).rejects.toThrow(/denied/);
    } finally {
      await conn.end();
    }
    await h.expiration.revoke(r.secret?.leaseId ?? "", { sync: true });
    expect(await maria.canLogin(username, password)).toBe(false);
    expect(await h.storage.list("usernames/maria/")).toEqual([]);
  });
});

describe("Redis", () => {
  it("issues an ACL user with the role's rules, dropped on revoke", async () => {
    const c = await h.write("config/cache", {
      plugin_name: "redis-database-plugin",
      host: redis.host,
      port: redis.port,
      username: redis.adminUser,
      password: redis.adminPassword,
      allowed_roles: "cache-*",
    });
    expect(c.status).toBe(204);
    await h.write("roles/cache-ro", { db_name: "cache", creation_statements: '["~*", "+@read"]', default_ttl: "1h" });
    await redis.adminCommand("SET", "greeting", "hello");
    const r = await h.read("creds/cache-ro");
    expect(r.status).toBe(200);
    const { username, password } = r.data as { username: string; password: string };
    expect(username).toMatch(/^V_TOKEN_CACHE-RO_[A-Z0-9]{20}_\d{10}$/);
    const client = await redis.connectAs(username, password);
    try {
      expect(await client.get("greeting")).toBe("hello");
      await expect(client.set("greeting", "bye")).rejects.toThrow(/NOPERM/);
    } finally {
      client.disconnect();
    }
    await h.expiration.revoke(r.secret?.leaseId ?? "", { sync: true });
    expect(await redis.canLogin(username, password)).toBe(false);
  });

  it("rotates the root password and keeps working with the new one", async () => {
    const before = redis.adminPassword;
    // A dedicated admin, so the support's own admin stays usable for the checks.
    await redis.adminCommand("ACL", "SETUSER", "mayfly", "on", ">mayfly-boot", "~*", "&*", "+@all");
    await h.write("config/cache2", {
      plugin_name: "redis-database-plugin",
      host: redis.host,
      port: redis.port,
      username: "mayfly",
      password: "mayfly-boot",
      allowed_roles: "*",
    });
    expect((await h.write("rotate-root/cache2")).status).toBe(204);
    expect(await redis.canLogin("mayfly", "mayfly-boot")).toBe(false);
    await h.write("roles/r2", { db_name: "cache2", creation_statements: '["~*", "+@read"]' });
    expect((await h.read("creds/r2")).status).toBe(200);
    expect(redis.adminPassword).toBe(before);
  });
});
