/**
 * The databases the crash trial (./crash-trial.ts) runs against: each starts a throwaway
 * instance with an admin of Mayfly's own (`mayfly_admin`, so its sessions can be told from
 * the test's), and says how to configure the mount and how to see the users it made.
 */
import { startMariadb, type MariadbInstance } from "./mariadb.js";
import { startPostgres, type PostgresInstance } from "./postgres.js";
import { randomPassword } from "./process.js";
import { startRedis } from "./redis.js";
import type { CrashTarget } from "./crash-trial.js";

const ENGINE_ADMIN = "mayfly_admin";
const TTLS = { default_ttl: "1h", max_ttl: "2h" } as const;

export interface PostgresCrashTarget extends CrashTarget {
  /** For trials of PostgreSQL's own (a slow COMMIT). */
  readonly pg: PostgresInstance;
}

/** Users `v-...` (Vault's default template), granted a group role so creation takes two statements. */
export async function startPostgresTarget(): Promise<PostgresCrashTarget> {
  const pg = await startPostgres();
  const adminPassword = randomPassword();
  try {
    await pg.adminQuery(`CREATE ROLE ${ENGINE_ADMIN} WITH LOGIN SUPERUSER PASSWORD '${adminPassword}'`);
    await pg.adminQuery("CREATE ROLE crash_readers NOLOGIN");
  } catch (e) {
    await pg.stop();
    throw e;
  }
  return {
    label: "PostgreSQL",
    pg,
    connection: {
      plugin_name: "postgresql-database-plugin",
      connection_url: pg.templatedConnectionUrl,
      username: ENGINE_ADMIN,
      password: adminPassword,
    },
    role: {
      creation_statements: [
        `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
        `GRANT crash_readers TO "{{name}}";`,
      ],
      revocation_statements: [`DROP ROLE IF EXISTS "{{name}}";`],
      ...TTLS,
    },
    plantedUsername: "v-made-behind-mayflys-back",
    async generatedUsers() {
      const r = await pg.adminQuery<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-%'");
      return new Set(r.rows.map((row) => row.rolname));
    },
    async engineSessions() {
      const r = await pg.adminQuery<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE usename = $1", [ENGINE_ADMIN]);
      return Number(r.rows[0]?.n ?? 0);
    },
    canLogin: (username, password) => pg.canLogin(username, password),
    async createUser(username) {
      await pg.adminQuery(`CREATE ROLE "${username}"`);
    },
    async dropUser(username) {
      await pg.adminQuery(`DROP ROLE "${username}"`);
    },
    stop: () => pg.stop(),
  };
}

/**
 * Users `v-...` from the mysql-database-plugin's template, with a grant after CREATE USER:
 * each statement commits on its own (MariaDB has no transactional DDL), so a kill between
 * them leaves a user without its grant. Revocation is the plugin's default.
 */
export async function startMariadbTarget(): Promise<CrashTarget> {
  const maria: MariadbInstance = await startMariadb();
  const adminPassword = randomPassword();
  try {
    await maria.adminQuery(`CREATE USER '${ENGINE_ADMIN}'@'%' IDENTIFIED BY '${adminPassword}'`);
    await maria.adminQuery(`GRANT ALL PRIVILEGES ON *.* TO '${ENGINE_ADMIN}'@'%' WITH GRANT OPTION`);
    await maria.adminQuery("CREATE DATABASE crash");
  } catch (e) {
    await maria.stop();
    throw e;
  }
  return {
    label: "MariaDB",
    connection: {
      plugin_name: "mysql-database-plugin",
      connection_url: maria.templatedConnectionUrl,
      username: ENGINE_ADMIN,
      password: adminPassword,
    },
    role: {
      creation_statements: ["CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';", "GRANT SELECT ON crash.* TO '{{name}}'@'%';"],
      ...TTLS,
    },
    plantedUsername: "v-made-behind-mayflys-back",
    async generatedUsers() {
      const rows = (await maria.adminQuery("SELECT DISTINCT User AS user FROM mysql.user WHERE User LIKE 'v-%'")) as { user: string | Buffer }[];
      return new Set(rows.map((r) => r.user.toString()));
    },
    async engineSessions() {
      const rows = (await maria.adminQuery("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ?", [ENGINE_ADMIN])) as {
        n: number | string;
      }[];
      return Number(rows[0]?.n ?? 0);
    },
    canLogin: (username, password) => maria.canLogin(username, password),
    async createUser(username) {
      await maria.adminQuery("CREATE USER ?@'%'", [username]);
    },
    async dropUser(username) {
      await maria.adminQuery("DROP USER ?@'%'", [username]);
    },
    stop: () => maria.stop(),
  };
}

/** ACL users `V_...` from the redis-database-plugin's template, made by one ACL SETUSER. */
export async function startRedisTarget(): Promise<CrashTarget> {
  const redis = await startRedis();
  const adminPassword = randomPassword();
  try {
    await redis.adminCommand("ACL", "SETUSER", ENGINE_ADMIN, "on", `>${adminPassword}`, "~*", "&*", "+@all");
  } catch (e) {
    await redis.stop();
    throw e;
  }
  return {
    label: "Redis",
    connection: {
      plugin_name: "redis-database-plugin",
      host: redis.host,
      port: redis.port,
      username: ENGINE_ADMIN,
      password: adminPassword,
    },
    role: { creation_statements: ['["~*", "+@read"]'], ...TTLS },
    plantedUsername: "V_MADE_BEHIND_MAYFLYS_BACK",
    async generatedUsers() {
      const users = (await redis.adminCommand("ACL", "USERS")) as string[];
      return new Set(users.map(String).filter((u) => u.startsWith("V_")));
    },
    async engineSessions() {
      const list = String(await redis.adminCommand("CLIENT", "LIST"));
      return list.split("\n").filter((line) => line.split(" ").includes(`user=${ENGINE_ADMIN}`)).length;
    },
    canLogin: (username, password) => redis.canLogin(username, password),
    async createUser(username) {
      await redis.adminCommand("ACL", "SETUSER", username);
    },
    async dropUser(username) {
      await redis.adminCommand("ACL", "DELUSER", username);
    },
    stop: () => redis.stop(),
  };
}
