/**
 * The seeds' walkthrough ("Enabling the Database Secrets Engine" and "Lease Lifecycle")
 * as the CLI commands it prints, with `mayfly` for `vault`, run in-process against a dev
 * server and a throwaway PostgreSQL. Only the connection URL's host, port and sslmode
 * differ from the seeds (theirs point at postgres.internal with TLS).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresInstance } from "./support/index.js";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { run, type RunResult } from "../src/cli/testing.js";

const VAULT_ADMIN_PW = "Seed-Admin-pw-7";

let pg: PostgresInstance;
let server: DevServer;

const mayfly = (...argv: string[]): Promise<RunResult> => run(argv, server.addresses[0] ?? "", { env: { MAYFLY_TOKEN: "root" } });

function field(out: string, key: string): string {
  const line = out.split("\n").find((l) => l.startsWith(`${key} `));
  return line ? line.slice(key.length).trim() : "";
}

beforeAll(async () => {
  pg = await startPostgres();
  await pg.adminQuery(`CREATE ROLE vault_admin WITH LOGIN CREATEROLE PASSWORD '${VAULT_ADMIN_PW}'`);
  await pg.adminQuery(`CREATE TABLE public.invoices (id int PRIMARY KEY)`);
  await pg.adminQuery(`ALTER TABLE public.invoices OWNER TO vault_admin`);
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: "root" });
});

afterAll(async () => {
  await server?.close();
  await pg?.stop();
});

describe("the seeds' commands with mayfly", () => {
  let leaseId = "";
  let username = "";

  it("# 1. Enable the database secrets engine at a path", async () => {
    const r = await mayfly("secrets", "enable", "-path=database", "database");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Success! Enabled the database secrets engine at: database/");
  });

  it("# 2. Configure the connection to your PostgreSQL cluster", async () => {
    const r = await mayfly(
      "write",
      "database/config/prod-postgres",
      "plugin_name=postgresql-database-plugin",
      `connection_url=postgresql://{{username}}:{{password}}@127.0.0.1:${pg.port}/postgres?sslmode=disable`,
      "allowed_roles=app-readonly,app-readwrite,app-migration",
      "username=vault_admin",
      `password=${VAULT_ADMIN_PW}`,
      "rotation_statements=ALTER USER {{username}} WITH PASSWORD '{{password}}';",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Success! Data written to: database/config/prod-postgres");
  });

  it("# 3. Rotate the initial password immediately", async () => {
    const r = await mayfly("write", "-force", "database/config/prod-postgres/rotate-root");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Success! Data written to: database/config/prod-postgres/rotate-root");
    expect(await pg.canLogin("vault_admin", VAULT_ADMIN_PW)).toBe(false);
  });

  it("# 4. Define a role with a SQL creation template and a TTL", async () => {
    const r = await mayfly(
      "write",
      "database/roles/app-readonly",
      "db_name=prod-postgres",
      `creation_statements=CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`,
      `revocation_statements=REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{{name}}"; DROP ROLE IF EXISTS "{{name}}";`,
      "default_ttl=1h",
      "max_ttl=24h",
    );
    expect(r.code).toBe(0);
    // The role is stored; Mayfly's advice about direct table grants comes as a warning.
    expect(r.stdout + r.stderr).toContain("WARNING");
  });

  it("# 5. Request a credential", async () => {
    const r = await mayfly("read", "database/creds/app-readonly");
    expect(r.code).toBe(0);
    leaseId = field(r.stdout, "lease_id");
    username = field(r.stdout, "username");
    expect(leaseId).toMatch(/^database\/creds\/app-readonly\/.+/);
    expect(field(r.stdout, "lease_duration")).toBe("1h");
    expect(field(r.stdout, "lease_renewable")).toBe("true");
    expect(username).toMatch(/^v-root-app-read-/);
    expect(await pg.canLogin(username, field(r.stdout, "password"))).toBe(true);
  });

  it("renews, lists, looks up and revokes the lease", async () => {
    expect((await mayfly("lease", "renew", leaseId)).code).toBe(0);
    const listed = await mayfly("list", "sys/leases/lookup/database/creds/app-readonly/");
    expect(listed.stdout).toContain(leaseId.split("/").pop() ?? "?");
    const looked = await mayfly("write", "sys/leases/lookup", `lease_id=${leaseId}`);
    expect(looked.stdout).toContain(leaseId);
    const revoked = await mayfly("lease", "revoke", leaseId);
    expect(revoked.code).toBe(0);
    // The CLI queues the revocation (sync=false); the user goes shortly after.
    const until = Date.now() + 5_000;
    while (Date.now() < until && (await pg.adminQuery("SELECT 1 FROM pg_roles WHERE rolname = $1", [username])).rowCount === 1) {
      await new Promise((res) => setTimeout(res, 50));
    }
    expect((await pg.adminQuery("SELECT 1 FROM pg_roles WHERE rolname = $1", [username])).rowCount).toBe(0);
  });

  it("revokes every lease under a prefix", async () => {
    const a = field((await mayfly("read", "database/creds/app-readonly")).stdout, "username");
    const b = field((await mayfly("read", "database/creds/app-readonly")).stdout, "username");
    const r = await mayfly("lease", "revoke", "-prefix", "database/creds/app-readonly/");
    expect(r.code).toBe(0);
    const until = Date.now() + 5_000;
    const count = async () => (await pg.adminQuery("SELECT 1 FROM pg_roles WHERE rolname IN ($1, $2)", [a, b])).rowCount;
    while (Date.now() < until && (await count()) !== 0) await new Promise((res) => setTimeout(res, 50));
    expect(await count()).toBe(0);
  });
});
