/**
 * The sys/ endpoints Vault's clients call beyond the core set: ha-status, replication/status, version-history,
 * host-info, in-flight-req, config/state/sanitized, loggers, internal/specs/openapi,
 * plugins/catalog and config/cors. Shapes as Vault answers them, the ACL (sudo only where
 * Vault wants it), and 503 while sealed.
 */
import { cpus, hostname, totalmem } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVER_VERSION } from "../src/http/envelope.js";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { api, client } from "./support/http.js";

let server: DevServer;
let base: string;
let root: ReturnType<typeof client>;
/** read/update/delete/list on every sys/ path, but no sudo. */
let ops: ReturnType<typeof client>;
/** Only the default policy. */
let plain: ReturnType<typeof client>;

const OPS_POLICY = `path "sys/*" { capabilities = ["create", "read", "update", "delete", "list"] }`;

beforeAll(async () => {
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0" });
  base = server.addresses[0] as string;
  root = client(base, server.rootToken);
  expect((await root.put("sys/policies/acl/ops", { policy: OPS_POLICY })).status).toBe(204);
  const opsToken = (await root.post("auth/token/create", { policies: ["ops"] })).json.auth.client_token as string;
  const plainToken = (await root.post("auth/token/create", { policies: ["default"] })).json.auth.client_token as string;
  ops = client(base, opsToken);
  plain = client(base, plainToken);
});
afterAll(async () => {
  await server.close();
});

describe("sys/ha-status", () => {
  it("lists this node as the only, active node, with the nodes also at the top level", async () => {
    const r = await ops.get("sys/ha-status");
    expect(r.status).toBe(200);
    expect(r.json.data.nodes).toEqual([
      {
        hostname: hostname(),
        api_address: base,
        cluster_address: "",
        active_node: true,
        last_echo: null,
        echo_duration_ms: 0,
        clock_skew_ms: 0,
        replication_primary_canary_age_ms: 0,
        version: SERVER_VERSION,
      },
    ]);
    // Vault copies ha-status data to the top level; the Go client reads `Nodes` there.
    expect(r.json.nodes).toEqual(r.json.data.nodes);
    expect((await plain.get("sys/ha-status")).status).toBe(403);
  });
});

describe("sys/replication/status", () => {
  it("answers mode disabled, as Vault's community edition, without a token", async () => {
    const r = await api(base, "GET", "sys/replication/status");
    expect(r.status).toBe(200);
    expect(r.json.data).toEqual({ mode: "disabled" });
    expect((await plain.get("sys/replication/status")).json.data.mode).toBe("disabled");
    expect((await root.put("sys/replication/status", {})).status).toBe(405);
  });
});

describe("sys/version-history", () => {
  it("lists the running version, recorded at the first unseal", async () => {
    const r = await ops.list("sys/version-history");
    expect(r.status).toBe(200);
    expect(r.json.data.keys).toEqual([SERVER_VERSION]);
    const info = r.json.data.key_info[SERVER_VERSION];
    expect(info.previous_version).toBeNull();
    expect(info.build_date).toBe("");
    expect(info.timestamp_installed).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(Date.parse(info.timestamp_installed) - Date.now())).toBeLessThan(10 * 60_000);
  });
});

describe("sys/host-info", () => {
  it("reports CPUs, CPU times, disk, host and memory in gopsutil's field names", async () => {
    const r = await ops.get("sys/host-info");
    expect(r.status).toBe(200);
    const d = r.json.data;
    expect(d.cpu).toHaveLength(cpus().length);
    expect(d.cpu[0]).toMatchObject({ cpu: 0, cores: 1 });
    expect(d.cpu_times[0].cpu).toBe("cpu0");
    expect(d.cpu_times[0].user).toBeGreaterThanOrEqual(0);
    expect(d.disk[0]).toMatchObject({ path: "/" });
    expect(d.disk[0].total).toBeGreaterThan(0);
    expect(d.host.hostname).toBe(hostname());
    expect(d.host.bootTime).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(d.memory.total).toBe(totalmem());
    expect(d.memory.used + d.memory.available).toBe(d.memory.total);
    expect(Date.parse(d.timestamp)).not.toBeNaN();
  });

  it("needs read on the path (no sudo, as in Vault)", async () => {
    expect((await plain.get("sys/host-info")).status).toBe(403);
  });
});

describe("sys/in-flight-req", () => {
  it("answers the bare map of requests being served, itself among them", async () => {
    const r = await ops.get("sys/in-flight-req");
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.json).not.toHaveProperty("request_id");
    const entries = Object.entries(r.json as Record<string, Record<string, string>>);
    const self = entries.filter(([, e]) => e.request_path === "/v1/sys/in-flight-req");
    expect(self).toHaveLength(1);
    const [id, e] = self[0] as [string, Record<string, string>];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(e).toMatchObject({ request_method: "GET", client_id: "" });
    expect(e.client_remote_address).toMatch(/^(127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]):\d+$/);
    expect(Date.now() - Date.parse(e.start_time as string)).toBeLessThan(60_000);
  });

  it("forgets a request once it is answered", async () => {
    await ops.get("sys/mounts");
    const r = await ops.get("sys/in-flight-req");
    const paths = Object.values(r.json as Record<string, { request_path: string }>).map((e) => e.request_path);
    expect(paths).not.toContain("/v1/sys/mounts");
    expect(paths).toContain("/v1/sys/in-flight-req");
  });

  it("is refused without a policy that grants it", async () => {
    expect((await plain.get("sys/in-flight-req")).status).toBe(403);
  });
});

describe("sys/config/state/sanitized", () => {
  it("answers the configuration, listeners and storage type, nothing secret", async () => {
    const r = await ops.get("sys/config/state/sanitized");
    expect(r.status).toBe(200);
    const d = r.json.data;
    expect(d.storage).toEqual({ type: "inmem", redirect_addr: "", cluster_addr: "", disable_clustering: false });
    expect(d.listeners).toEqual([{ type: "tcp", config: { address: "127.0.0.1:0", tls_disable: true } }]);
    expect(d.default_lease_ttl).toBe(768 * 3600);
    expect(d.max_lease_ttl).toBe(768 * 3600);
    expect(d.seals).toEqual([{ type: "shamir", disabled: false }]);
    expect((await plain.get("sys/config/state/sanitized")).status).toBe(403);
  });
});

describe("sys/loggers", () => {
  it("reads, sets, and reverts the level of all loggers and of one by name", async () => {
    expect((await ops.get("sys/loggers")).json.data).toEqual({ core: "info" });
    expect((await ops.post("sys/loggers", { level: "DEBUG" })).status).toBe(204);
    expect((await ops.get("sys/loggers")).json.data).toEqual({ core: "debug" });
    expect((await ops.post("sys/loggers/core", { level: "warning" })).status).toBe(204);
    expect((await ops.get("sys/loggers/core")).json.data).toEqual({ core: "warn" });
    expect((await ops.delete("sys/loggers/core")).status).toBe(204);
    expect((await ops.get("sys/loggers/core")).json.data).toEqual({ core: "info" });
    await ops.post("sys/loggers", { level: "trace" });
    expect((await ops.delete("sys/loggers")).status).toBe(204);
    expect((await ops.get("sys/loggers")).json.data).toEqual({ core: "info" });
  });

  it("answers Vault's errors for bad input, and no data for an unknown name on read", async () => {
    const missing = await ops.post("sys/loggers", {});
    expect(missing.status).toBe(400);
    expect(missing.json.errors).toEqual(["level is required"]);
    expect((await ops.post("sys/loggers", { level: "" })).json.errors).toEqual(["level is empty"]);
    const bad = await ops.post("sys/loggers", { level: "loud" });
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0]).toMatch(/^invalid level provided/);
    const unknown = await ops.post("sys/loggers/router", { level: "debug" });
    expect(unknown.status).toBe(400);
    expect(unknown.json.errors).toEqual(['logger "router" not found']);
    expect((await ops.delete("sys/loggers/router")).status).toBe(400);
    const read = await ops.get("sys/loggers/router");
    expect(read.status).toBe(200);
    expect(read.json.data).toEqual({});
    expect((await ops.get("sys/loggers")).json.data).toEqual({ core: "info" });
    expect((await plain.post("sys/loggers", { level: "debug" })).status).toBe(403);
  });
});

describe("sys/plugins/catalog", () => {
  const DATABASE_PLUGINS = [
    "mysql-aurora-database-plugin",
    "mysql-database-plugin",
    "mysql-legacy-database-plugin",
    "mysql-rds-database-plugin",
    "postgresql-database-plugin",
    "redis-database-plugin",
  ];

  it("lists the built-in plugins by type with a detailed entry each, without sudo", async () => {
    const r = await ops.get("sys/plugins/catalog");
    expect(r.status).toBe(200);
    const d = r.json.data;
    expect(d.database).toEqual(DATABASE_PLUGINS);
    expect(d.secret).toEqual(expect.arrayContaining(["database", "kv"]));
    expect(d.auth).toEqual(expect.arrayContaining(["userpass"]));
    // Mounted by the core itself; Vault's catalog does not list them either.
    for (const coreOnly of ["system", "cubbyhole", "identity"]) expect(d.secret).not.toContain(coreOnly);
    expect(d.auth).not.toContain("token");
    expect(d.secret).toEqual([...d.secret].sort());
    expect(d.detailed).toContainEqual({
      type: "database",
      name: "postgresql-database-plugin",
      version: "v0.1.0+builtin.mayfly",
      builtin: true,
      deprecation_status: "supported",
    });
    expect(d.detailed).toHaveLength(d.auth.length + d.database.length + d.secret.length);
  });

  it("lists one type and reads one plugin, with sudo", async () => {
    const list = await root.list("sys/plugins/catalog/database");
    expect(list.json.data.keys).toEqual(DATABASE_PLUGINS);
    const info = await root.get("sys/plugins/catalog/database/mysql-rds-database-plugin");
    expect(info.status).toBe(200);
    expect(info.json.data).toEqual({
      name: "mysql-rds-database-plugin",
      args: null,
      command: "",
      sha256: "",
      builtin: true,
      version: "v0.1.0+builtin.mayfly",
      deprecation_status: "supported",
    });
    expect((await root.get("sys/plugins/catalog/secret/kv?version=v0.1.0%2Bbuiltin.mayfly")).status).toBe(200);
    expect((await root.get("sys/plugins/catalog/secret/kv?version=v9.9.9")).status).toBe(404);
    expect((await root.get("sys/plugins/catalog/secret/nope")).status).toBe(404);
    expect((await root.get("sys/plugins/catalog/auth/kv")).status).toBe(404);
    const badType = await root.list("sys/plugins/catalog/widget");
    expect(badType.status).toBe(400);
    expect(badType.json.errors).toEqual(['"widget" is not a supported plugin type']);
    // plugins/catalog/* is one of Vault's sudo paths.
    expect((await ops.list("sys/plugins/catalog/database")).status).toBe(403);
    expect((await ops.get("sys/plugins/catalog/database/redis-database-plugin")).status).toBe(403);
  });

  it("refuses to register external plugins with a clear 400", async () => {
    const r = await root.put("sys/plugins/catalog/secret/my-plugin", { sha256: "ab".repeat(32), command: "my-plugin" });
    expect(r.status).toBe(400);
    expect(r.json.errors[0]).toMatch(/^external plugins are not supported/);
    const untyped = await root.put("sys/plugins/catalog/my-plugin", { sha256: "ab".repeat(32), command: "my-plugin" });
    expect(untyped.status).toBe(400);
    expect((await root.delete("sys/plugins/catalog/secret/my-plugin")).status).toBe(204);
    expect((await root.get("sys/plugins/catalog/secret/kv")).status).toBe(200);
    const deprecated = await root.get("sys/plugins/catalog/kv");
    expect(deprecated.status).toBe(200);
    expect(deprecated.json.warnings[0]).toMatch(/^Deprecated API endpoint/);
  });
});

describe("sys/config/cors", () => {
  it("reads disabled, enables with the standard headers plus extras, disables; sudo only", async () => {
    const off = await root.get("sys/config/cors");
    expect(off.status).toBe(200);
    expect(off.json.data).toEqual({ enabled: false });
    expect(off.json.enabled).toBe(false);
    expect((await ops.get("sys/config/cors")).status).toBe(403);
    expect((await ops.put("sys/config/cors", { allowed_origins: ["https://a.example"] })).status).toBe(403);

    expect((await root.put("sys/config/cors", { allowed_origins: "https://a.example,https://b.example", allowed_headers: "X-Custom" })).status).toBe(204);
    const on = (await root.get("sys/config/cors")).json;
    expect(on.data.enabled).toBe(true);
    expect(on.data.allowed_origins).toEqual(["https://a.example", "https://b.example"]);
    expect(on.data.allowed_headers).toEqual(expect.arrayContaining(["Content-Type", "X-Vault-Token", "Authorization", "X-Custom"]));
    expect(on.data.allowed_headers[on.data.allowed_headers.length - 1]).toBe("X-Custom");
    expect(on.allowed_origins).toEqual(on.data.allowed_origins);

    const mixed = await root.put("sys/config/cors", { allowed_origins: ["*", "https://a.example"] });
    expect(mixed.status).toBe(400);
    expect(mixed.json.errors).toEqual(["to allow all origins the '*' must be the only value for allowed_origins"]);
    expect((await root.put("sys/config/cors", { allowed_origins: [] })).status).toBe(400);

    expect((await ops.delete("sys/config/cors")).status).toBe(403);
    expect((await root.delete("sys/config/cors")).status).toBe(204);
    expect((await root.get("sys/config/cors")).json.data).toEqual({ enabled: false });
  });
});

describe("sys/internal/specs/openapi", () => {
  it("documents every mount for root: sys, secret, auth/token, tagged", async () => {
    const r = await root.get("sys/internal/specs/openapi");
    expect(r.status).toBe(200);
    expect(r.json).not.toHaveProperty("request_id");
    expect(r.json.openapi).toBe("3.0.2");
    const paths = r.json.paths as Record<string, Record<string, { tags?: string[] }>>;
    expect(paths["/sys/mounts"]?.get?.tags).toEqual(["system"]);
    expect(paths["/secret/data/{path}"]?.get?.tags).toEqual(["secrets"]);
    expect(paths["/auth/token/create"]?.post?.tags).toEqual(["auth"]);
    expect(paths["/sys/config/cors"]).toMatchObject({ "x-vault-sudo": true });
    expect(paths["/sys/internal/specs/openapi"]).toMatchObject({ "x-vault-unauthenticated": true });
  });

  it("needs no token, and shows an anonymous caller only mounts listed as unauth", async () => {
    const anonymous = await api(base, "GET", "sys/internal/specs/openapi");
    expect(anonymous.status).toBe(200);
    expect(anonymous.json.paths).toEqual({});
    expect((await root.post("sys/mounts/secret/tune", { listing_visibility: "unauth" })).status).toBe(204);
    try {
      const after = await api(base, "GET", "sys/internal/specs/openapi");
      const keys = Object.keys(after.json.paths);
      expect(keys).toContain("/secret/data/{path}");
      expect(keys.some((k) => k.startsWith("/sys/"))).toBe(false);
    } finally {
      await root.post("sys/mounts/secret/tune", { listing_visibility: "" });
    }
  });

  it("shows a token only the mounts its policies reach, and generic mount paths on request", async () => {
    const kvOnly = (await root.put("sys/policies/acl/kv-only", { policy: 'path "secret/data/*" { capabilities = ["read"] }' })).status;
    expect(kvOnly).toBe(204);
    const token = (await root.post("auth/token/create", { policies: ["kv-only"], no_default_policy: true })).json.auth.client_token as string;
    const r = await api(base, "GET", "sys/internal/specs/openapi", { token });
    const keys = Object.keys(r.json.paths);
    expect(keys).toContain("/secret/data/{path}");
    expect(keys.some((k) => k.startsWith("/sys/") || k.startsWith("/auth/"))).toBe(false);

    const generic = (await root.get("sys/internal/specs/openapi?generic_mount_paths=true")).json.paths as Record<string, unknown>;
    expect(generic).toHaveProperty(["/{mountPath}/data/{path}"]);
    expect(generic).toHaveProperty(["/auth/{mountPath}/create"]);
    expect(generic).toHaveProperty(["/sys/mounts"]);
    expect(generic).not.toHaveProperty(["/secret/data/{path}"]);
  });
});

describe("sealed", () => {
  it("answers 503 on every new endpoint while sealed", async () => {
    const s = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0" });
    try {
      const addr = s.addresses[0] as string;
      const r = client(addr, s.rootToken);
      expect((await r.put("sys/seal")).status).toBe(204);
      for (let i = 0; i < 100 && !(await api(addr, "GET", "sys/seal-status")).json.sealed; i++) await new Promise((ok) => setTimeout(ok, 20));
      for (const [method, path] of [
        ["GET", "sys/ha-status"],
        ["GET", "sys/version-history?list=true"],
        ["GET", "sys/host-info"],
        ["GET", "sys/in-flight-req"],
        ["GET", "sys/config/state/sanitized"],
        ["GET", "sys/loggers"],
        ["GET", "sys/internal/specs/openapi"],
        ["GET", "sys/plugins/catalog"],
        ["GET", "sys/config/cors"],
        ["PUT", "sys/config/cors"],
      ] as const) {
        const res = await r.raw(method, path);
        expect(res.status, `${method} ${path}`).toBe(503);
        expect(res.json.errors).toEqual(["Vault is sealed"]);
      }
    } finally {
      await s.close();
    }
  });
});
