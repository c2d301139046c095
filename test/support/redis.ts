/**
 * A private Redis for one test file on a free port on 127.0.0.1, nothing on disk, with
 * ACLs: an `admin` user holding every permission and the passwordless default user off.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import {
  findBinary,
  freePort,
  makeTempDir,
  randomPassword,
  removeDir,
  ServerExitedError,
  startServerProcess,
  stopServerProcess,
  trackInstance,
  waitUntilReady,
  watchdogPidFile,
  type ServerProcess,
} from "./process.js";

export interface RedisInstance {
  readonly host: string;
  readonly port: number;
  readonly adminUser: string;
  readonly adminPassword: string;
  /** `redis://admin:<pw>@127.0.0.1:<port>` */
  readonly connectionUrl: string;
  readonly startupMs: number;
  /** Runs one command as the admin on a fresh connection. */
  adminCommand(command: string, ...args: (string | number)[]): Promise<unknown>;
  /** A connected client for `user`; the caller quits it. Rejects when AUTH fails. */
  connectAs(user: string, password: string): Promise<Redis>;
  canLogin(user: string, password: string): Promise<boolean>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisInstance> {
  const startedAt = Date.now();
  const redisServer = findBinary("redis-server", ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]);
  const dir = makeTempDir("redis");
  const adminPassword = randomPassword();
  const configFile = join(dir, "redis.conf");
  let proc: ServerProcess | undefined;
  let untrack: (() => void) | undefined;
  let port = 0;

  const connect = async (user: string, password: string): Promise<Redis> => {
    const client = new Redis({
      host: "127.0.0.1", port, username: user, password,
      lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false,
      retryStrategy: () => null, connectTimeout: 5_000,
    });
    client.on("error", () => undefined);
    try {
      // Resolves only once AUTH has succeeded. No PING after it: a user whose ACL rules
      // leave out @connection may log in and still not be allowed to PING.
      await client.connect();
    } catch (e) {
      client.disconnect();
      throw e;
    }
    return client;
  };

  try {
    untrack = trackInstance(() => proc?.child.pid, "SIGTERM", dir);
    const launch = async (): Promise<void> => {
      // A config file keeps the admin password off the process list.
      writeFileSync(configFile, [
        `port ${port}`,
        "bind 127.0.0.1",
        'save ""',
        "appendonly no",
        `dir ${dir}`,
        "daemonize no",
        'logfile ""',
        "user default off",
        `user admin on >${adminPassword} ~* &* +@all`,
        "",
      ].join("\n"), { mode: 0o600 });
      proc = startServerProcess(redisServer, [configFile], join(dir, "server.log"));
      writeFileSync(watchdogPidFile(dir), String(proc.child.pid ?? ""));
      const current = proc;
      await waitUntilReady("Redis", current, async () => {
        (await connect("admin", adminPassword)).disconnect();
      }, 20_000);
    };

    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await launch();
        break;
      } catch (e) {
        if (e instanceof ServerExitedError && e.addressInUse && attempt < 5) continue;
        throw e;
      }
    }

    const instance: RedisInstance = {
      host: "127.0.0.1",
      port,
      adminUser: "admin",
      adminPassword,
      connectionUrl: `redis://admin:${adminPassword}@127.0.0.1:${port}`,
      startupMs: Date.now() - startedAt,
      async adminCommand(command, ...args) {
        const client = await connect("admin", adminPassword);
        try {
          return await client.call(command, ...args);
        } finally {
          client.disconnect();
        }
      },
      connectAs: connect,
      async canLogin(user, password) {
        try {
          (await connect(user, password)).disconnect();
          return true;
        } catch {
          return false;
        }
      },
      async pause() {
        if (proc !== undefined) await stopServerProcess(proc, "SIGTERM", 5_000);
      },
      async resume() {
        if (proc !== undefined && !proc.hasExited()) return;
        // Without persistence a restart forgets every ACL user but the configured ones,
        // as a real Redis without an ACL file would.
        await launch();
      },
      async stop() {
        if (proc !== undefined) await stopServerProcess(proc, "SIGTERM", 5_000);
        untrack?.();
        removeDir(dir);
      },
    };
    return instance;
  } catch (e) {
    if (proc !== undefined) await stopServerProcess(proc, "SIGKILL", 5_000);
    untrack?.();
    removeDir(dir);
    throw e;
  }
}
