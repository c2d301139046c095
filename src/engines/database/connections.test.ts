import { describe, expect, it } from "vitest";
import { InmemStorage } from "../../storage/inmem.js";
import { putJson } from "../../storage/storage.js";
import { ConnectionManager, connectionSettings, DatabaseTimeoutError, RwLock } from "./connections.js";
import type { DatabasePlugin } from "./plugin.js";
import { globMatch, isRoleAllowed, keys, type DbConfigEntry } from "./store.js";
import { silentLogger } from "./test-harness.js";

const tick = () => new Promise((r) => setImmediate(r));

describe("RwLock", () => {
  it("lets readers share and makes a writer wait for them", async () => {
    const lock = new RwLock();
    const r1 = await lock.acquireShared();
    const r2 = await lock.acquireShared();
    let writing = false;
    const w = lock.acquireExclusive().then((release) => {
      writing = true;
      return release;
    });
    await tick();
    expect(writing).toBe(false);
    r1();
    await tick();
    expect(writing).toBe(false);
    r2();
    (await w)();
    expect(writing).toBe(true);
  });

  it("holds back new readers once a writer waits, then lets them all in", async () => {
    const lock = new RwLock();
    const r1 = await lock.acquireShared();
    const order: string[] = [];
    const w = lock.acquireExclusive().then((rel) => {
      order.push("w");
      return rel;
    });
    const r2 = lock.acquireShared().then((rel) => {
      order.push("r2");
      return rel;
    });
    const r3 = lock.acquireShared().then((rel) => {
      order.push("r3");
      return rel;
    });
    await tick();
    expect(order).toEqual([]);
    r1();
    const release = await w;
    await tick();
    expect(order).toEqual(["w"]);
    release();
    (await r2)();
    (await r3)();
    expect(order).toEqual(["w", "r2", "r3"]);
  });

  it("ignores a second release", async () => {
    const lock = new RwLock();
    const r = await lock.acquireShared();
    r();
    r();
    const w = await lock.acquireExclusive();
    w();
  });
});

describe("allowed_roles globs", () => {
  it("matches Vault's StrListContainsGlob", () => {
    expect(isRoleAllowed(["*"], "anything")).toBe(true);
    expect(isRoleAllowed(["app-readonly", "app-readwrite"], "app-readwrite")).toBe(true);
    expect(isRoleAllowed(["app-*"], "app-migration")).toBe(true);
    expect(isRoleAllowed(["app-*"], "web-app")).toBe(false);
    expect(isRoleAllowed([], "app")).toBe(false);
    expect(globMatch("*-ro", "billing-ro")).toBe(true);
    expect(globMatch("a*b*c", "aXXbYYc")).toBe(true);
    expect(globMatch("a*b*c", "acb")).toBe(false);
    expect(globMatch("ab*ba", "aba")).toBe(false);
  });
});

describe("connectionSettings", () => {
  it("takes the engine's details and passes the rest to the plugin", () => {
    const cfg: DbConfigEntry = {
      plugin_name: "redis-database-plugin",
      plugin_version: "",
      connection_details: {
        username: "admin",
        password: "pw",
        host: "127.0.0.1",
        port: "6379",
        tls: "false",
        max_open_connections: "7",
        max_connection_lifetime: "30s",
        disable_escaping: "true",
        username_template: "x",
      },
      allowed_roles: [],
      root_credentials_rotate_statements: [],
      password_policy: "",
      verify_connection: true,
      skip_static_role_import_rotation: false,
    };
    expect(connectionSettings(cfg)).toEqual({
      connectionUrl: "",
      username: "admin",
      password: "pw",
      maxOpenConnections: 7,
      maxIdleConnections: 0,
      maxConnectionLifetimeSeconds: 30,
      disableEscaping: true,
      options: { host: "127.0.0.1", port: "6379", tls: "false" },
    });
    expect(connectionSettings(cfg, "new").password).toBe("new");
  });
});

describe("the operation deadline", () => {
  /** Plugins whose newUser hangs until `wake` is called; records what was opened and closed. */
  function silentDatabase() {
    const opened: number[] = [];
    const closed: number[] = [];
    const wakers: Array<() => void> = [];
    let next = 0;
    const factory = (): DatabasePlugin => {
      const id = next++;
      return {
        name: "fake",
        defaultUsernameTemplate: "{{random 8}}",
        initialize: async () => void opened.push(id),
        newUser: () => new Promise<void>((resolve) => wakers.push(resolve)),
        updateUser: async () => undefined,
        deleteUser: async () => undefined,
        listUsers: async () => [],
        close: async () => void closed.push(id),
      } as unknown as DatabasePlugin;
    };
    return { factory, opened, closed, wake: () => wakers.splice(0).forEach((w) => w()) };
  }

  async function managerWith(factory: () => DatabasePlugin, timeoutMs: number): Promise<ConnectionManager> {
    const storage = new InmemStorage();
    const cfg: DbConfigEntry = {
      plugin_name: "fake",
      plugin_version: "",
      connection_details: {},
      allowed_roles: ["*"],
      root_credentials_rotate_statements: [],
      password_policy: "",
      verify_connection: true,
      skip_static_role_import_rotation: false,
    };
    await putJson(storage, keys.config("db"), cfg);
    return new ConnectionManager(storage, silentLogger, factory, timeoutMs);
  }

  const newUser = (p: DatabasePlugin) =>
    p.newUser({ username: "u", password: "p", expiration: new Date(), creationStatements: ["x"], rollbackStatements: [] });

  it("fails a call the database does not answer, frees the lock and retires the pool", async () => {
    const db = silentDatabase();
    const manager = await managerWith(db.factory, 50);
    const started = Date.now();
    await expect(manager.withShared("db", newUser)).rejects.toBeInstanceOf(DatabaseTimeoutError);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(db.closed).toEqual([0]);
    // The lock is free for an operator at once, and the next call gets a fresh pool.
    await manager.withExclusive("db", async () => undefined);
    await expect(manager.withShared("db", newUser)).rejects.toBeInstanceOf(DatabaseTimeoutError);
    expect(db.opened).toEqual([0, 1]);
    db.wake();
  });

  it("leaves a call that answers in time alone", async () => {
    const db = silentDatabase();
    const manager = await managerWith(db.factory, 2_000);
    const call = manager.withShared("db", newUser);
    setTimeout(db.wake, 20);
    await expect(call).resolves.toBeUndefined();
    expect(db.closed).toEqual([]);
    expect(manager.openCount()).toBe(1);
  });
});
