/**
 * Drives the database backend as the core does, without the core: requests are built by
 * hand, leases go through a real ExpirationManager over in-memory storage, and a fake
 * in-memory "database" can stand in for the plugin catalogue. Used by the unit tests
 * beside the engine and by the integration tests in test/.
 */
import { randomBytes, randomInt } from "node:crypto";
import { ExpirationManager, type ExpirationOptions } from "../../core/expiration/expiration-manager.js";
import { BackendRunner } from "../../framework/dispatch.js";
import { badRequest, isMayflyError } from "../../framework/errors.js";
import type { Caller, Logger, MountInfo, Operation, Request, Response, SystemView } from "../../framework/types.js";
import { InmemStorage } from "../../storage/inmem.js";
import type { ConnectionSettings, DatabasePlugin, DeleteUserRequest, NewUserRequest, UpdateUserRequest } from "./plugin.js";
import { DatabasePluginError } from "./plugin.js";
import type { PluginFactory } from "./connections.js";
import { buildDatabaseBackend, type DatabaseBackend } from "./index.js";

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface Outcome {
  status: number;
  data: Record<string, unknown> | null;
  warnings: string[];
  errors: string[];
  secret?: Response["secret"];
}

export interface HarnessOptions {
  nowMs?: () => number;
  pluginFactory?: PluginFactory;
  defaultLeaseTtlSeconds?: number;
  maxLeaseTtlSeconds?: number;
  expiration?: Partial<ExpirationOptions>;
  /** Start the expiry schedule (real timers). */
  startExpiration?: boolean;
  scheduleRotations?: boolean;
  /** Password policies by name; "" is the default generator. */
  passwordPolicies?: Record<string, () => string>;
  /** The system view's bound on one database call (default 90 s). */
  operationTimeoutMs?: number;
}

export interface Harness {
  readonly backend: DatabaseBackend;
  readonly runner: BackendRunner;
  readonly storage: InmemStorage;
  readonly expiration: ExpirationManager;
  readonly mount: MountInfo;
  call(operation: Operation, path: string, data?: Record<string, unknown>, caller?: Partial<Caller>): Promise<Outcome>;
  read(path: string, data?: Record<string, unknown>): Promise<Outcome>;
  write(path: string, data?: Record<string, unknown>): Promise<Outcome>;
  list(path: string): Promise<Outcome>;
  remove(path: string): Promise<Outcome>;
  close(): Promise<void>;
}

/** Vault's default generator: 20 characters from letters, digits and "-". */
export function defaultPassword(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-";
  let out = "";
  for (let i = 0; i < 20; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const nowMs = opts.nowMs ?? Date.now;
  const storage = new InmemStorage();
  const policies: Record<string, () => string> = { "": defaultPassword, ...opts.passwordPolicies };
  const system: SystemView = {
    nowMs,
    logger: silentLogger,
    operationTimeoutMs: opts.operationTimeoutMs ?? 90_000,
    async generatePassword(name) {
      const gen = policies[name];
      if (!gen) throw badRequest(`policy "${name}" not found`);
      return gen();
    },
  };
  const mount: MountInfo = {
    path: "database/",
    type: "database",
    accessor: "database_0a1b2c3d",
    uuid: "6c1d4f0e-1111-2222-3333-444455556666",
    kind: "secret",
    options: {},
    defaultLeaseTtlSeconds: () => opts.defaultLeaseTtlSeconds ?? 2_764_800,
    maxLeaseTtlSeconds: () => opts.maxLeaseTtlSeconds ?? 2_764_800,
    userLockoutConfig: () => undefined,
  };
  const backend = buildDatabaseBackend(
    { storage, mount, system },
    { scheduleRotations: opts.scheduleRotations ?? false, ...(opts.pluginFactory ? { pluginFactory: opts.pluginFactory } : {}) },
  );
  const runner = new BackendRunner(backend);

  const syntheticRequest = (path: string, operation: Operation): Request =>
    makeRequest(operation, path.slice(mount.path.length), {}, { displayName: "core", tokenHash: "" });

  const expiration = new ExpirationManager(
    {
      storage: new InmemStorage(),
      nowMs,
      logger: silentLogger,
      async revokeSecret(lease) {
        const st = backend.secretTypes?.[lease.secretType];
        if (!st) throw new Error(`no secret type ${lease.secretType}`);
        await st.revoke(syntheticRequest(lease.path, "delete"), lease.internal);
      },
      async secretRevoked(lease) {
        await backend.secretTypes?.[lease.secretType]?.revoked?.(syntheticRequest(lease.path, "delete"), lease.internal);
      },
      async renewSecret(lease, incrementSeconds, capExpireAtMs) {
        const st = backend.secretTypes?.[lease.secretType];
        if (!st?.renew) throw badRequest("lease is not renewable");
        const mountCap = lease.issueTimeMs + mount.maxLeaseTtlSeconds() * 1000;
        const cap = capExpireAtMs > 0 ? Math.min(capExpireAtMs, mountCap) : mountCap;
        const inc = Math.min(incrementSeconds, Math.max(0, Math.floor((cap - nowMs()) / 1000)));
        return st.renew(syntheticRequest(lease.path, "update"), lease.internal, inc);
      },
      async revokeToken() {},
      async tokenExists() {
        return true;
      },
    },
    opts.expiration,
  );
  if (opts.startExpiration) await expiration.start();

  function makeRequest(operation: Operation, relativePath: string, data: Record<string, unknown>, caller: Partial<Caller> = {}): Request {
    const fullCaller: Caller = {
      clientToken: "hvs.test",
      accessor: "accessor",
      policies: ["root"],
      displayName: "token",
      entityId: "",
      tokenType: "service",
      tokenHash: "tokenhash",
      metadata: {},
      ...caller,
    };
    const req: Request = {
      id: randomBytes(8).toString("hex"),
      operation,
      path: mount.path + relativePath,
      relativePath,
      mount,
      data,
      storage,
      caller: fullCaller,
      connection: { remoteAddress: "127.0.0.1", remotePort: 40000 },
      headers: {},
      leases: {
        issue: (spec, create) =>
          expiration.issue(
            {
              path: req.path,
              mountAccessor: mount.accessor,
              tokenHash: fullCaller.tokenHash,
              defaultTtlSeconds: mount.defaultLeaseTtlSeconds(),
              maxTtlSeconds: mount.maxLeaseTtlSeconds(),
            },
            spec,
            create,
          ),
      },
      nowMs: nowMs(),
    };
    return req;
  }

  async function call(operation: Operation, path: string, data: Record<string, unknown> = {}, caller?: Partial<Caller>): Promise<Outcome> {
    try {
      const match = runner.matchOrThrow(path);
      let req = makeRequest(operation, path, data, caller);
      if (operation === "update") {
        const op = await runner.resolveWriteOperation(match, req);
        req = { ...req, operation: op };
      }
      const resp = await runner.invoke(match, req);
      return {
        status: resp?.status ?? (resp?.data || resp?.secret || resp?.warnings?.length ? 200 : 204),
        data: resp?.data ?? null,
        warnings: resp?.warnings ?? [],
        errors: [],
        ...(resp?.secret ? { secret: resp.secret } : {}),
      };
    } catch (err) {
      if (isMayflyError(err)) return { status: err.status, data: null, warnings: [], errors: err.errors };
      throw err;
    }
  }

  return {
    backend,
    runner,
    storage,
    expiration,
    mount,
    call,
    read: (path, data) => call("read", path, data),
    write: (path, data) => call("update", path, data),
    list: (path) => call("list", path),
    remove: (path) => call("delete", path),
    async close() {
      await expiration.stop();
      await backend.cleanup?.();
    },
  };
}

// ---- an in-memory database for unit tests ----

export interface FakeUser {
  password: string;
  expiration?: Date;
  creationStatements: readonly string[];
}

/** One fake server: its users, and switches that make it misbehave. */
export class FakeDatabase {
  readonly users = new Map<string, FakeUser>();
  down = false;
  /** Fails the next N newUser calls after "creating" the user (a half-done creation). */
  failNewUserAfterCreate = 0;
  readonly calls: string[] = [];
  openPools = 0;
  /** Pools opened so far, closed or not. */
  poolsOpened = 0;

  constructor(
    readonly adminUser = "vault_admin",
    adminPassword = "bootstrap-pw",
  ) {
    this.users.set(adminUser, { password: adminPassword, creationStatements: [] });
  }

  canLogin(user: string, password: string): boolean {
    const u = this.users.get(user);
    return !this.down && u !== undefined && u.password === password && (u.expiration === undefined || u.expiration.getTime() > Date.now());
  }
}

export const FAKE_TEMPLATE = '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}';

export function fakePluginFactory(db: FakeDatabase): PluginFactory {
  return (pluginName) => new FakePlugin(pluginName, db);
}

class FakePlugin implements DatabasePlugin {
  readonly defaultUsernameTemplate = FAKE_TEMPLATE;
  private settings: ConnectionSettings | undefined;

  constructor(
    readonly name: string,
    private readonly db: FakeDatabase,
  ) {
    if (!["postgresql-database-plugin", "mysql-database-plugin", "redis-database-plugin"].includes(name)) {
      throw badRequest(`plugin not found in the catalog: ${name}`);
    }
  }

  async initialize(settings: ConnectionSettings, verifyConnection: boolean): Promise<void> {
    if (settings.connectionUrl === "" && this.name !== "redis-database-plugin") throw badRequest("connection_url cannot be empty");
    this.settings = settings;
    this.db.openPools++;
    this.db.poolsOpened++;
    if (verifyConnection) {
      try {
        this.check();
      } catch (err) {
        throw badRequest(`error verifying connection: ${(err as Error).message}`);
      }
    }
  }

  async newUser(req: NewUserRequest): Promise<void> {
    this.check();
    this.db.calls.push(`new ${req.username}`);
    this.db.users.set(req.username, { password: req.password, expiration: req.expiration, creationStatements: req.creationStatements });
    if (this.db.failNewUserAfterCreate > 0) {
      this.db.failNewUserAfterCreate--;
      throw new DatabasePluginError("failed to execute query: permission denied for table secrets");
    }
  }

  async updateUser(req: UpdateUserRequest): Promise<void> {
    this.check();
    const u = this.db.users.get(req.username);
    if (!u) throw new DatabasePluginError(`role "${req.username}" does not exist`);
    if (req.password) {
      this.db.calls.push(`password ${req.username} ${req.password.statements.join(";")}`);
      u.password = req.password.newPassword;
    }
    if (req.expiration) {
      this.db.calls.push(`expire ${req.username}`);
      u.expiration = req.expiration.newExpiration;
    }
  }

  async deleteUser(req: DeleteUserRequest): Promise<void> {
    this.check();
    this.db.calls.push(`delete ${req.username} ${req.statements.join(";")}`);
    this.db.users.delete(req.username);
  }

  async listUsers(prefix: string): Promise<string[]> {
    this.check();
    return [...this.db.users.keys()].filter((u) => u.startsWith(prefix)).sort();
  }

  async close(): Promise<void> {
    if (this.settings) this.db.openPools--;
    this.settings = undefined;
  }

  /** Every call logs in with the configured admin password, as a fresh pool connection would. */
  private check(): void {
    if (!this.settings) throw new DatabasePluginError("plugin is not initialized");
    if (this.db.down) throw new DatabasePluginError("connect ECONNREFUSED 127.0.0.1:1");
    const admin = this.db.users.get(this.settings.username ?? "");
    if (!admin || admin.password !== this.settings.password) {
      throw new DatabasePluginError(`password authentication failed for user "${this.settings.username ?? ""}"`);
    }
  }
}
