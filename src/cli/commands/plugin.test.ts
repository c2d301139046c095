/** plugin list|info against a dev server (the real catalog) and a stub (errors, odd answers). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../../server/dev.js";
import { silentLogger } from "../../server/logger.js";
import { StubServer, run } from "../testing.js";

const stub = new StubServer();
let stubAddr = "";
let server: DevServer;
let addr = "";

beforeAll(async () => {
  stubAddr = await stub.start();
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0" });
  addr = server.addresses[0] as string;
});
afterAll(async () => {
  await stub.close();
  await server.close();
});
beforeEach(() => {
  stub.requests.length = 0;
});

function asRoot(): { env: Record<string, string> } {
  return { env: { MAYFLY_TOKEN: server.rootToken } };
}

function tableRows(stdout: string): string[][] {
  return stdout
    .trimEnd()
    .split("\n")
    .map((l) => l.trim().split(/\s{2,}/));
}

describe("plugin list", () => {
  it("prints Name, Type and Version of every plugin", async () => {
    const r = await run(["plugin", "list"], addr, asRoot());
    expect(r.code).toBe(0);
    const rows = tableRows(r.stdout);
    expect(rows[0]).toEqual(["Name", "Type", "Version"]);
    expect(rows[1]).toEqual(["----", "----", "-------"]);
    expect(rows).toContainEqual(["userpass", "auth", "v0.1.0+builtin.mayfly"]);
    expect(rows).toContainEqual(["postgresql-database-plugin", "database", "v0.1.0+builtin.mayfly"]);
    expect(rows).toContainEqual(["kv", "secret", "v0.1.0+builtin.mayfly"]);
  });

  it("prints Name and Version of one type, and the deprecation status with -detailed", async () => {
    const typed = await run(["plugin", "list", "database"], addr, asRoot());
    expect(typed.code).toBe(0);
    const rows = tableRows(typed.stdout);
    expect(rows[0]).toEqual(["Name", "Version"]);
    expect(rows.slice(2).map((r) => r[0])).toEqual([
      "mysql-aurora-database-plugin",
      "mysql-database-plugin",
      "mysql-legacy-database-plugin",
      "mysql-rds-database-plugin",
      "postgresql-database-plugin",
      "redis-database-plugin",
    ]);
    const detailed = await run(["plugin", "list", "-detailed", "secret"], addr, asRoot());
    const drows = tableRows(detailed.stdout);
    expect(drows[0]).toEqual(["Name", "Type", "Version", "Deprecation Status"]);
    expect(drows).toContainEqual(["kv", "secret", "v0.1.0+builtin.mayfly", "supported"]);
    expect(drows.slice(2).every((row) => row[1] === "secret")).toBe(true);
  });

  it("prints the names by type and the details with -format=json", async () => {
    const r = await run(["plugin", "list", "-format=json", "auth"], addr, asRoot());
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { auth: string[]; details: Array<Record<string, unknown>> };
    expect(Object.keys(out)).toEqual(["auth", "details"]);
    expect(out.auth).toContain("userpass");
    expect(out.details).toContainEqual({ type: "auth", name: "userpass", version: "v0.1.0+builtin.mayfly", builtin: true, deprecation_status: "supported" });
    // Go marshals api.PluginDetails in field order.
    expect(r.stdout).toMatch(/"type": "auth",\n\s+"name": "userpass",\n\s+"version"/);
  });

  it("refuses an unknown type and extra arguments", async () => {
    const bad = await run(["plugin", "list", "widget"], addr, asRoot());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('Error parsing type: "widget" is not a supported plugin type\n');
    const many = await run(["plugin", "list", "auth", "secret"], addr, asRoot());
    expect(many.code).toBe(1);
    expect(many.stderr).toContain("Too many arguments");
  });

  it("reports a type the server does not list, and API errors, with exit 2", async () => {
    stub.on("GET", "sys/plugins/catalog", { body: { request_id: "x", data: { secret: ["kv"] } } });
    const r = await run(["plugin", "list", "auth"], stubAddr);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("Error listing available plugins: no auth entry in returned data\n");
    stub.on("GET", "sys/plugins/catalog", { status: 403, body: { errors: ["permission denied"] } });
    const denied = await run(["plugin", "list"], stubAddr);
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain("Error listing available plugins: Error making API request.");
  });
});

describe("plugin info", () => {
  it("shows a built-in plugin as Vault's key/value table", async () => {
    const r = await run(["plugin", "info", "database", "redis-database-plugin"], addr, asRoot());
    expect(r.code).toBe(0);
    const rows = tableRows(r.stdout);
    expect(rows[0]).toEqual(["Key", "Value"]);
    expect(rows).toContainEqual(["builtin", "true"]);
    expect(rows).toContainEqual(["name", "redis-database-plugin"]);
    expect(rows).toContainEqual(["version", "v0.1.0+builtin.mayfly"]);
    expect(rows).toContainEqual(["deprecation_status", "supported"]);
    expect(rows).toContainEqual(["args", "[]"]);
    const field = await run(["plugin", "info", "-field=builtin", "secret", "kv"], addr, asRoot());
    expect(field).toEqual({ code: 0, stdout: "true", stderr: "" });
  });

  it("fails with exit 2 for an unknown plugin or type, and without sudo", async () => {
    const missing = await run(["plugin", "info", "secret", "nope"], addr, asRoot());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Error reading plugin named nope: Error making API request.");
    expect(missing.stderr).toContain("Code: 404");
    const badType = await run(["plugin", "info", "widget", "kv"], addr, asRoot());
    expect(badType).toMatchObject({ code: 2, stderr: '"widget" is not a supported plugin type\n' });
    const none = await run(["plugin", "info"], addr, asRoot());
    expect(none.code).toBe(1);
    // One argument: the deprecated untyped path, which carries no data.
    const untyped = await run(["plugin", "info", "kv"], addr, asRoot());
    expect(untyped).toMatchObject({ code: 2, stderr: 'No value found for plugin "kv"\n' });
    const token = (await run(["token", "create", "-field=token", "-policy=default"], addr, asRoot())).stdout;
    const denied = await run(["plugin", "info", "secret", "kv"], addr, { env: { MAYFLY_TOKEN: token } });
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain("Code: 403");
  });

  it("sends -version as a query parameter", async () => {
    stub.on("GET", "sys/plugins/catalog/secret/kv", { body: { data: { name: "kv", builtin: true, args: null, command: "", sha256: "", version: "v1.0.0" } } });
    const r = await run(["plugin", "info", "-version=v1.0.0", "secret", "kv"], stubAddr);
    expect(r.code).toBe(0);
    expect(stub.last()).toMatchObject({ method: "GET", path: "sys/plugins/catalog/secret/kv", query: { version: "v1.0.0" } });
  });
});
