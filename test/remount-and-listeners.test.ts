import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../src/server/app.js";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { InmemStorage } from "../src/storage/inmem.js";
import { client } from "./support/http.js";
import { startRedis, type RedisInstance } from "./support/redis.js";

describe("sys/remount", () => {
  let server: DevServer;
  let redis: RedisInstance;
  let root: ReturnType<typeof client>;
  beforeAll(async () => {
    server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0" });
    root = client(server.addresses[0] as string, server.rootToken);
    redis = await startRedis();
  });
  afterAll(async () => {
    await server.close();
    await redis.stop();
  });

  it("moves a mount, and its leases with it", async () => {
    await root.post("sys/mounts/kvold", { type: "kv" });
    await root.put("kvold/a", { v: "1" });
    expect((await root.post("sys/remount", { from: "kvold", to: "kvnew" })).status).toBe(200);
    expect((await root.get("kvnew/a")).json.data).toEqual({ v: "1" });

    await root.post("sys/mounts/dbold", { type: "database" });
    await root.post("dbold/config/cache", {
      plugin_name: "redis-database-plugin",
      host: redis.host,
      port: redis.port,
      username: redis.adminUser,
      password: redis.adminPassword,
      allowed_roles: "*",
    });
    await root.post("dbold/roles/ro", { db_name: "cache", creation_statements: '["~*", "+@read"]', default_ttl: "1h" });
    const creds = await root.get("dbold/creds/ro");
    expect(creds.status).toBe(200);
    const oldId = creds.json.lease_id as string;
    const username = creds.json.data.username as string;
    expect((await root.post("sys/remount", { from: "dbold", to: "dbnew" })).status).toBe(200);
    const newId = oldId.replace(/^dbold\//, "dbnew/");
    expect((await root.put("sys/leases/lookup", { lease_id: oldId })).status).toBe(400);
    expect((await root.put("sys/leases/lookup", { lease_id: newId })).json.data.id).toBe(newId);
    expect((await root.list("sys/leases/lookup/dbnew/creds/ro/")).json.data.keys).toHaveLength(1);
    // The moved lease still renews and revokes on the target.
    expect((await root.put("sys/leases/renew", { lease_id: newId, increment: "30m" })).status).toBe(200);
    expect((await redis.adminCommand("ACL", "LIST")) as string[]).toEqual(expect.arrayContaining([expect.stringContaining(username)]));
    expect((await root.put("sys/leases/revoke", { lease_id: newId })).status).toBe(204);
    expect(((await redis.adminCommand("ACL", "LIST")) as string[]).some((l) => l.includes(username))).toBe(false);
  });
});

describe("listener settings", () => {
  const dir = mkdtempSync(join(tmpdir(), "mayfly-listener-"));
  const f = (name: string) => join(dir, name);
  let server: RunningServer;

  beforeAll(async () => {
    const ssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
    ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=test-ca", "-days", "1", "-keyout", f("ca.key"), "-out", f("ca.crt"));
    for (const [name, cn] of [["server", "localhost"], ["client", "client"]] as const) {
      ssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${cn}`, "-keyout", f(`${name}.key`), "-out", f(`${name}.csr`));
      writeFileSync(f(`${name}.ext`), name === "server" ? "subjectAltName=IP:127.0.0.1,DNS:localhost\n" : "extendedKeyUsage=clientAuth\n");
      ssl("x509", "-req", "-in", f(`${name}.csr`), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial", "-days", "1", "-extfile", f(`${name}.ext`), "-out", f(`${name}.crt`));
    }
    server = await startServer({
      storage: new InmemStorage(),
      storageType: "inmem",
      logger: silentLogger,
      listeners: [
        {
          address: "127.0.0.1:0",
          tlsDisable: false,
          tlsCertFile: f("server.crt"),
          tlsKeyFile: f("server.key"),
          tlsClientCaFile: f("ca.crt"),
          tlsMinVersion: "tls13",
          tlsRequireAndVerifyClientCert: true,
        },
        { address: "127.0.0.1:0", tlsDisable: true, maxRequestSizeBytes: 1024 },
      ],
    });
  });
  afterAll(async () => {
    await server.close();
  });

  function get(opts: https.RequestOptions): Promise<number> {
    const url = new URL(server.addresses[0] as string);
    return new Promise((resolve, reject) => {
      const req = https.request(
        { host: "127.0.0.1", port: url.port, path: "/v1/sys/seal-status", ca: [readFileSync(f("ca.crt"))], agent: false, ...opts },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end();
    });
  }

  it("requires a client certificate from the CA when told to", async () => {
    await expect(get({})).rejects.toThrow();
    expect(await get({ cert: readFileSync(f("client.crt")), key: readFileSync(f("client.key")) })).toBe(200);
  });

  it("refuses TLS versions below tls_min_version", async () => {
    const withCert = { cert: readFileSync(f("client.crt")), key: readFileSync(f("client.key")) };
    await expect(get({ ...withCert, maxVersion: "TLSv1.2" })).rejects.toThrow();
  });

  it("applies each listener's own request size limit", async () => {
    const plain = client(server.addresses[1] as string);
    const r = await plain.raw("PUT", "sys/init", { rawBody: JSON.stringify({ pad: "x".repeat(2000) }) });
    expect(r.status).toBe(413);
  });
});
