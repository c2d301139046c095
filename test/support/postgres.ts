/**
 * A private PostgreSQL for one test file: its own data dir, a free port on 127.0.0.1,
 * SCRAM password authentication for every connection, durability switched off.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import {
  asUser,
  findPostgresBin,
  firstExistingUser,
  freePort,
  isRoot,
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

export interface PostgresInstance {
  readonly host: string;
  readonly port: number;
  readonly adminUser: string;
  readonly adminPassword: string;
  readonly database: string;
  /** `postgresql://postgres:<pw>@127.0.0.1:<port>/postgres?sslmode=disable` */
  readonly connectionUrl: string;
  /** The same with Vault's `{{username}}`/`{{password}}` placeholders, for `database/config`. */
  readonly templatedConnectionUrl: string;
  readonly dataDir: string;
  /** How long `startPostgres` took, initdb included. */
  readonly startupMs: number;
  /** Runs one statement as the admin on a fresh connection. */
  adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  /** A connected client for `user`; the caller ends it. Rejects when login fails. */
  connectAs(user: string, password: string): Promise<pg.Client>;
  canLogin(user: string, password: string): Promise<boolean>;
  /** Stops the server but keeps its data: the target becomes unreachable. */
  pause(): Promise<void>;
  /** Starts it again on the same port. */
  resume(): Promise<void>;
  /** SIGSTOP to every server process: connections stay open and nothing answers. */
  freeze(): void;
  /** SIGCONT: the server carries on where it stopped. */
  thaw(): void;
  /** Stops the server and removes every file. */
  stop(): Promise<void>;
}

const SERVER_SETTINGS = [
  "listen_addresses=127.0.0.1",
  "fsync=off",
  "synchronous_commit=off",
  "full_page_writes=off",
  "wal_level=minimal",
  "max_wal_senders=0",
  "shared_buffers=16MB",
  "max_connections=150",
  "log_min_messages=warning",
  // A dozen test databases on two cores: background workers only cost CPU here.
  "autovacuum=off",
  "max_worker_processes=4",
  "max_parallel_workers=0",
];

export async function startPostgres(): Promise<PostgresInstance> {
  const startedAt = Date.now();
  const initdb = findPostgresBin("initdb");
  const postgres = findPostgresBin("postgres");
  // initdb and the server refuse to run as root: run them as Debian's postgres user.
  const runAs = isRoot ? firstExistingUser(["postgres", "nobody"]) : undefined;
  if (isRoot && runAs === undefined) throw new Error("running as root needs a postgres (or nobody) user to run PostgreSQL as");
  const dir = makeTempDir("pg", runAs !== undefined);
  const dataDir = join(dir, "data");
  const adminPassword = randomPassword();
  const pwFile = join(dir, "pwfile");
  writeFileSync(pwFile, `${adminPassword}\n`, { mode: 0o600 });
  if (runAs !== undefined) {
    await runChecked("chown", ["-R", runAs, dir], "chown of the PostgreSQL temp dir");
  }

  let untrack: (() => void) | undefined;
  let server: ServerProcess | undefined;
  try {
    const [cmd, args] = asUser(runAs, initdb, [
      "-D", dataDir, "-U", "postgres", "--auth=scram-sha-256", `--pwfile=${pwFile}`,
      "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
    ]);
    await runChecked(cmd, args, "initdb");
    removeDir(pwFile);

    untrack = trackInstance(() => server?.child.pid, "SIGQUIT", dir);
    let port = 0;
    const launch = async (): Promise<void> => {
      const settings = SERVER_SETTINGS.flatMap((s) => ["-c", s]);
      const [c, a] = asUser(runAs, postgres, ["-D", dataDir, "-p", String(port), "-k", dir, ...settings]);
      server = startServerProcess(c, a, join(dir, "server.log"));
      writeFileSync(watchdogPidFile(dir), String(server.child.pid ?? ""));
      const current = server;
      await waitUntilReady("PostgreSQL", current, async () => {
        const client = new pg.Client(clientConfig(port, "postgres", adminPassword));
        try {
          await client.connect();
          await client.query("SELECT 1");
        } finally {
          await client.end().catch(() => undefined);
        }
      }, 30_000);
    };

    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await launch();
        break;
      } catch (e) {
        // Another worker took the port between our probe and the bind: pick another.
        if (e instanceof ServerExitedError && e.addressInUse && attempt < 5) continue;
        throw e;
      }
    }

    const instance: PostgresInstance = {
      host: "127.0.0.1",
      port,
      adminUser: "postgres",
      adminPassword,
      database: "postgres",
      connectionUrl: `postgresql://postgres:${adminPassword}@127.0.0.1:${port}/postgres?sslmode=disable`,
      templatedConnectionUrl: `postgresql://{{username}}:{{password}}@127.0.0.1:${port}/postgres?sslmode=disable`,
      dataDir,
      startupMs: Date.now() - startedAt,
      async adminQuery<R extends pg.QueryResultRow>(sql: string, params?: unknown[]) {
        const client = await instance.connectAs("postgres", adminPassword);
        try {
          return await client.query<R>(sql, params);
        } finally {
          await client.end();
        }
      },
      async connectAs(user, password) {
        const client = new pg.Client(clientConfig(port, user, password));
        client.on("error", () => undefined);
        try {
          await client.connect();
        } catch (e) {
          await client.end().catch(() => undefined);
          throw e;
        }
        return client;
      },
      async canLogin(user, password) {
        try {
          const client = await instance.connectAs(user, password);
          await client.end();
          return true;
        } catch {
          return false;
        }
      },
      async pause() {
        if (server !== undefined) await stopServerProcess(server, "SIGINT", 10_000);
      },
      async resume() {
        if (server !== undefined && !server.hasExited()) return;
        await launch();
      },
      freeze() {
        signalProcessTree(server?.child.pid, "SIGSTOP");
      },
      thaw() {
        signalProcessTree(server?.child.pid, "SIGCONT");
      },
      async stop() {
        signalProcessTree(server?.child.pid, "SIGCONT");
        if (server !== undefined) await stopServerProcess(server, "SIGQUIT", 5_000);
        untrack?.();
        removeDir(dir);
      },
    };
    return instance;
  } catch (e) {
    if (server !== undefined) await stopServerProcess(server, "SIGQUIT", 5_000);
    untrack?.();
    removeDir(dir);
    throw e;
  }
}

function clientConfig(port: number, user: string, password: string): pg.ClientConfig {
  return { host: "127.0.0.1", port, user, password, database: "postgres", connectionTimeoutMillis: 5_000 };
}

