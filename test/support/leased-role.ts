/**
 * A database role whose credentials carry a lease, for client probes that exercise the
 * sys/leases calls: a throwaway PostgreSQL behind `database/roles/ro` on a running server.
 */
import { api } from "./http.js";
import { startPostgres, type PostgresInstance } from "./postgres.js";

export interface LeasedRole {
  /** `database/creds/ro`, or undefined when PostgreSQL could not start here. */
  readonly credsPath: string | undefined;
  /**
   * For probes that configure a database mount of their own: the templated connection
   * URL, the admin's name and password, and an existing user for a static role.
   */
  readonly probeEnv: Record<string, string>;
  /** Why there is no role, for the test's log. */
  readonly skipReason: string;
  stop(): Promise<void>;
}

export async function startLeasedRole(address: string, rootToken: string): Promise<LeasedRole> {
  let pg: PostgresInstance;
  try {
    pg = await startPostgres();
  } catch (e) {
    return { credsPath: undefined, probeEnv: {}, skipReason: e instanceof Error ? e.message : String(e), stop: async () => undefined };
  }
  const call = async (method: string, path: string, body: unknown): Promise<void> => {
    const res = await api(address, method, path, { token: rootToken, body });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  };
  const staticUser = "compat_static";
  try {
    await pg.adminQuery(`CREATE ROLE ${staticUser} WITH LOGIN PASSWORD 'initial-static-pw'`);
    await call("POST", "sys/mounts/database", { type: "database" });
    await call("POST", "database/config/pg", {
      plugin_name: "postgresql-database-plugin",
      connection_url: pg.templatedConnectionUrl,
      username: pg.adminUser,
      password: pg.adminPassword,
      allowed_roles: "ro",
    });
    await call("POST", "database/roles/ro", {
      db_name: "pg",
      creation_statements: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
      default_ttl: "1h",
      max_ttl: "24h",
    });
  } catch (e) {
    await pg.stop();
    throw e;
  }
  const probeEnv = {
    COMPAT_PG_URL: pg.templatedConnectionUrl,
    COMPAT_PG_USER: pg.adminUser,
    COMPAT_PG_PASSWORD: pg.adminPassword,
    COMPAT_PG_STATIC_USER: staticUser,
  };
  return { credsPath: "database/creds/ro", probeEnv, skipReason: "", stop: () => pg.stop() };
}
