/**
 * A private Redis for one test file on a free port on 127.0.0.1, nothing on disk, with
 * ACLs: an `admin` user holding every permission and the passwordless default user off.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import {
  findBinary,
  freePort,
  makeTempDir,
  randomPassword,
  removeDir,
  runChecked,
  ServerExitedError,
  startServerProcess,
  signalProcessTree,
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
  /** With `tls: true`: the PEM of the CA that signed the server's certificate. */
  readonly caCert: string | undefined;
  readonly startupMs: number;
  /** Runs one command as the admin on a fresh connection. */
  adminCommand(command: string, ...args: (string | number)[]): Promise<unknown>;
  /** A connected client for `user`; the caller quits it. Rejects when AUTH fails. */
  connectAs(user: string, password: string): Promise<Redis>;
  canLogin(user: string, password: string): Promise<boolean>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing answers. */
  freeze(): void;
  /** SIGCONT: the server carries on where it stopped. */
  thaw(): void;
  stop(): Promise<void>;
}

export interface RedisStartOptions {
  /** Serve TLS only, with a certificate for 127.0.0.1 from a throwaway CA. */
  tls?: boolean;
}

export async function startRedis(startOptions: RedisStartOptions = {}): Promise<RedisInstance> {
  const startedAt = Date.now();
  const redisServer = findBinary("redis-server", ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]);
  const dir = makeTempDir("redis");
  const adminPassword = randomPassword();
  const configFile = join(dir, "redis.conf");
  let proc: ServerProcess | undefined;
  let untrack: (() => void) | undefined;
  let port = 0;
  let caCert: string | undefined;

  const connect = async (user: string, password: string): Promise<Redis> => {
    const client = new Redis({
      host: "127.0.0.1", port, username: user, password,
      tls: caCert === undefined ? undefined : { ca: caCert },
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
    if (startOptions.tls === true) caCert = await makeCertificates(dir);
    const listen = caCert === undefined
      ? () => [`port ${port}`]
      : () => [
          "port 0",
          `tls-port ${port}`,
          `tls-cert-file ${join(dir, "server.crt")}`,
          `tls-key-file ${join(dir, "server.key")}`,
          `tls-ca-cert-file ${join(dir, "ca.crt")}`,
          "tls-auth-clients no",
        ];
    const launch = async (): Promise<void> => {
      // A config file keeps the admin password off the process list.
      writeFileSync(configFile, [
        ...listen(),
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
      connectionUrl: `${caCert === undefined ? "redis" : "rediss"}://admin:${adminPassword}@127.0.0.1:${port}`,
      caCert,
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
      freeze() {
        signalProcessTree(proc?.child.pid, "SIGSTOP");
      },
      thaw() {
        signalProcessTree(proc?.child.pid, "SIGCONT");
      },
      async stop() {
        signalProcessTree(proc?.child.pid, "SIGCONT");
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

/** A throwaway CA and a server certificate for 127.0.0.1 and localhost. */
async function makeCertificates(dir: string): Promise<string> {
  const f = (name: string): string => join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await runChecked("openssl", ["req", "-x509", ...ec, "-keyout", f("ca.key"), "-out", f("ca.crt"),
    "-days", "2", "-subj", "/CN=mayfly test CA"], "openssl (CA)");
  await runChecked("openssl", ["req", ...ec, "-keyout", f("server.key"), "-out", f("server.csr"),
    "-subj", "/CN=127.0.0.1"], "openssl (server key)");
  writeFileSync(f("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  await runChecked("openssl", ["x509", "-req", "-in", f("server.csr"), "-CA", f("ca.crt"), "-CAkey", f("ca.key"),
    "-CAcreateserial", "-out", f("server.crt"), "-days", "2", "-extfile", f("san.ext")], "openssl (server cert)");
  return readFileSync(f("ca.crt"), "utf8");
}
