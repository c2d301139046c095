/**
 * A private MariaDB (or MySQL) server for one test file: `mariadb-install-db` into a
 * temp dir, then `mariadbd` on a free port on 127.0.0.1 with root behind a password.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import mysql from "mysql2/promise";
import {
  findBinary,
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

export interface MariadbInstance {
  readonly host: string;
  readonly port: number;
  readonly adminUser: string;
  readonly adminPassword: string;
  /** `mysql://root:<pw>@127.0.0.1:<port>/` */
  readonly connectionUrl: string;
  /** Go-driver DSN with Vault's placeholders: `{{username}}:{{password}}@tcp(127.0.0.1:<port>)/` */
  readonly templatedConnectionUrl: string;
  readonly dataDir: string;
  readonly startupMs: number;
  /** Runs one statement as root on a fresh connection. */
  adminQuery(sql: string, params?: unknown[]): Promise<unknown>;
  /** A connection for `user`; the caller ends it. Rejects when login fails. */
  connectAs(user: string, password: string, database?: string): Promise<mysql.Connection>;
  canLogin(user: string, password: string): Promise<boolean>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing answers. */
  freeze(): void;
  /** SIGCONT: the server carries on where it stopped. */
  thaw(): void;
  stop(): Promise<void>;
}

// Small buffers and no flushing: these servers hold a few rows and die with the test.
const INNODB_SETTINGS = [
  "--innodb-buffer-pool-size=16M",
  "--innodb-log-file-size=8M",
  "--innodb-flush-log-at-trx-commit=0",
  "--innodb-doublewrite=0",
];

export async function startMariadb(): Promise<MariadbInstance> {
  const startedAt = Date.now();
  const installDb = findBinary("mariadb-install-db", ["/usr/bin/mariadb-install-db", "/usr/bin/mysql_install_db"]);
  const server = findBinary("mariadbd", ["/usr/sbin/mariadbd", "/usr/sbin/mysqld"]);
  // mariadbd refuses root unless told to; as any other user it runs as that user.
  const userArgs = isRoot ? ["--user=root"] : [];
  const dir = makeTempDir("mariadb");
  const dataDir = join(dir, "data");
  const adminPassword = randomPassword();
  let proc: ServerProcess | undefined;
  let untrack: (() => void) | undefined;

  try {
    await runChecked(installDb, [
      "--no-defaults", `--datadir=${dataDir}`, ...userArgs,
      "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve",
      ...INNODB_SETTINGS,
    ], "mariadb-install-db");

    // Runs before the server takes connections, so root never listens without a password.
    // Anonymous accounts would shadow '%' users logging in from localhost; drop them.
    const initFile = join(dir, "init.sql");
    writeFileSync(initFile, [
      "DELETE FROM mysql.global_priv WHERE User = '';",
      "DELETE FROM mysql.global_priv WHERE User = 'root' AND Host NOT IN ('localhost', '127.0.0.1', '::1');",
      "FLUSH PRIVILEGES;",
      ...["localhost", "127.0.0.1", "::1"].map((h) => `ALTER USER 'root'@'${h}' IDENTIFIED BY '${adminPassword}';`),
      "CREATE DATABASE IF NOT EXISTS test;",
      "",
    ].join("\n"), { mode: 0o600 });

    untrack = trackInstance(() => proc?.child.pid, "SIGTERM", dir);
    let port = 0;
    const launch = async (withInitFile: boolean): Promise<void> => {
      proc = startServerProcess(server, [
        "--no-defaults", `--datadir=${dataDir}`, ...userArgs,
        `--port=${port}`, "--bind-address=127.0.0.1", `--socket=${join(dir, "mysqld.sock")}`,
        `--pid-file=${join(dir, "mysqld.pid")}`, `--tmpdir=${dir}`, "--skip-name-resolve",
        "--max-connections=200", ...INNODB_SETTINGS,
        ...(withInitFile ? [`--init-file=${initFile}`] : []),
      ], join(dir, "server.log"));
      writeFileSync(watchdogPidFile(dir), String(proc.child.pid ?? ""));
      const current = proc;
      await waitUntilReady("MariaDB", current, async () => {
        const conn = await mysql.createConnection({
          host: "127.0.0.1", port, user: "root", password: adminPassword, connectTimeout: 5_000,
        });
        await conn.end();
      }, 60_000);
    };

    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await launch(true);
        break;
      } catch (e) {
        if (e instanceof ServerExitedError && e.addressInUse && attempt < 5) continue;
        throw e;
      }
    }
    removeDir(initFile);

    const instance: MariadbInstance = {
      host: "127.0.0.1",
      port,
      adminUser: "root",
      adminPassword,
      connectionUrl: `mysql://root:${adminPassword}@127.0.0.1:${port}/`,
      templatedConnectionUrl: `{{username}}:{{password}}@tcp(127.0.0.1:${port})/`,
      dataDir,
      startupMs: Date.now() - startedAt,
      async adminQuery(sql, params) {
        const conn = await instance.connectAs("root", adminPassword);
        try {
          const [rows] = await conn.query(sql, params);
          return rows;
        } finally {
          await conn.end();
        }
      },
      async connectAs(user, password, database) {
        return await mysql.createConnection({
          host: "127.0.0.1", port, user, password, database, connectTimeout: 5_000,
        });
      },
      async canLogin(user, password) {
        try {
          const conn = await instance.connectAs(user, password);
          await conn.end();
          return true;
        } catch {
          return false;
        }
      },
      async pause() {
        if (proc !== undefined) await stopServerProcess(proc, "SIGTERM", 15_000);
      },
      async resume() {
        if (proc !== undefined && !proc.hasExited()) return;
        await launch(false);
      },
      freeze() {
        signalProcessTree(proc?.child.pid, "SIGSTOP");
      },
      thaw() {
        signalProcessTree(proc?.child.pid, "SIGCONT");
      },
      async stop() {
        signalProcessTree(proc?.child.pid, "SIGCONT");
        if (proc !== undefined) await stopServerProcess(proc, "SIGTERM", 10_000);
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
