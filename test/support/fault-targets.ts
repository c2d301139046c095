/**
 * What the database fault trials (database-faults, database-frozen) need of a real
 * PostgreSQL, MariaDB or Redis: how to configure Mayfly for it, find a user, try a login,
 * and take the server away (stop it) or freeze it (SIGSTOP); plus the Mayfly API calls
 * those trials share.
 */
import { expect } from "vitest";
import type { DevServer } from "../../src/server/dev.js";
import { startMariadb } from "./mariadb.js";
import { startPostgres } from "./postgres.js";
import { startRedis } from "./redis.js";

export interface FaultTarget {
  readonly name: string;
  readonly config: Record<string, unknown>;
  /** Creation statements for a role (the plugin's own defaults revoke). */
  readonly creation: string;
  userExists(user: string): Promise<boolean>;
  canLogin(user: string, password: string): Promise<boolean>;
  /** Stops the server, keeping its data. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** SIGSTOP: sockets stay open and nothing answers. */
  freeze(): void;
  thaw(): void;
  /** Whether users made before a stop are still there after the start (not so for Redis). */
  readonly usersSurviveRestart: boolean;
  stop(): Promise<void>;
}

export interface FaultTargetOptions {
  /** Connect timeout written into the connection config (default: the plugin's). */
  connectTimeoutSeconds?: number;
}

export async function postgresTarget(opts: FaultTargetOptions = {}): Promise<FaultTarget> {
  const pg = await startPostgres();
  return {
    name: "PostgreSQL",
    config: {
      plugin_name: "postgresql-database-plugin",
      connection_url: pg.templatedConnectionUrl,
      username: pg.adminUser,
      password: pg.adminPassword,
      ...(opts.connectTimeoutSeconds ? { connect_timeout: opts.connectTimeoutSeconds } : {}),
    },
    creation: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
    userExists: async (user) => (await pg.adminQuery("SELECT 1 FROM pg_roles WHERE rolname = $1", [user])).rowCount === 1,
    canLogin: (user, password) => pg.canLogin(user, password),
    pause: () => pg.pause(),
    resume: () => pg.resume(),
    freeze: () => pg.freeze(),
    thaw: () => pg.thaw(),
    usersSurviveRestart: true,
    stop: () => pg.stop(),
  };
}

export async function mariadbTarget(opts: FaultTargetOptions = {}): Promise<FaultTarget> {
  const maria = await startMariadb();
  const timeout = opts.connectTimeoutSeconds ? `?timeout=${opts.connectTimeoutSeconds}s` : "";
  return {
    name: "MariaDB",
    config: { plugin_name: "mysql-database-plugin", connection_url: maria.templatedConnectionUrl + timeout, username: maria.adminUser, password: maria.adminPassword },
    creation: "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';",
    userExists: async (user) => ((await maria.adminQuery("SELECT 1 FROM mysql.user WHERE User = ?", [user])) as unknown[]).length > 0,
    canLogin: (user, password) => maria.canLogin(user, password),
    pause: () => maria.pause(),
    resume: () => maria.resume(),
    freeze: () => maria.freeze(),
    thaw: () => maria.thaw(),
    usersSurviveRestart: true,
    stop: () => maria.stop(),
  };
}

export async function redisTarget(): Promise<FaultTarget> {
  const redis = await startRedis();
  return {
    name: "Redis",
    config: { plugin_name: "redis-database-plugin", host: redis.host, port: redis.port, username: redis.adminUser, password: redis.adminPassword },
    creation: '["~*", "+@read"]',
    userExists: async (user) => (await redis.adminCommand("ACL", "GETUSER", user)) !== null,
    canLogin: (user, password) => redis.canLogin(user, password),
    pause: () => redis.pause(),
    resume: () => redis.resume(),
    freeze: () => redis.freeze(),
    thaw: () => redis.thaw(),
    // ACL SETUSER lives in memory: a restarted Redis (no aclfile here) has forgotten them.
    usersSurviveRestart: false,
    stop: () => redis.stop(),
  };
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** How long the answer took. */
  ms: number;
}

export interface Issued {
  leaseId: string;
  username: string;
  password: string;
}

/** The Mayfly calls the trials share, as the root token "root" of a dev server. */
export function trialApi(server: () => DevServer) {
  async function api(method: string, path: string, body?: unknown): Promise<Answer> {
    const started = Date.now();
    const res = await fetch(`${server().addresses[0]}/v1/${path}`, {
      method,
      headers: { "X-Vault-Token": "root", "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      // A stalled answer fails the test instead of hanging it.
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    return { status: res.status, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>), ms: Date.now() - started };
  }
  return {
    api,
    /** Mounts the database engine with one connection to `db` and a role per [name, default_ttl]. */
    async mountTarget(db: FaultTarget, connection: string, roles: ReadonlyArray<readonly [string, string]>, config: Record<string, unknown> = {}) {
      expect((await api("POST", "sys/mounts/database", { type: "database" })).status).toBe(204);
      const written = await api("POST", `database/config/${connection}`, { ...db.config, allowed_roles: "*", ...config });
      expect(written.status, JSON.stringify(written.body)).toBeLessThan(300);
      for (const [role, ttl] of roles) {
        const r = await api("POST", `database/roles/${role}`, { db_name: connection, creation_statements: db.creation, default_ttl: ttl });
        expect(r.status, JSON.stringify(r.body)).toBe(204);
      }
    },
    async issue(role = "app"): Promise<Issued> {
      const r = await api("GET", `database/creds/${role}`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const data = r.body.data as { username: string; password: string };
      return { leaseId: String(r.body.lease_id), username: data.username, password: data.password };
    },
    async leaseKnown(leaseId: string): Promise<boolean> {
      const r = await api("PUT", "sys/leases/lookup", { lease_id: leaseId });
      if (r.status === 200) return true;
      expect(r.status).toBe(400);
      return false;
    },
    async leaseIdsUnder(prefix: string): Promise<string[]> {
      const r = await api("GET", `sys/leases/lookup/${prefix}?list=true`);
      if (r.status === 404) return [];
      expect(r.status).toBe(200);
      return ((r.body.data as { keys?: string[] }).keys ?? []).map((k) => prefix + k);
    },
  };
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}
