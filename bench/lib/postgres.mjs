// A throwaway PostgreSQL for a benchmark: initdb with SCRAM password authentication for
// every connection, a free port on 127.0.0.1, durability off (as the tests' instances, see
// test/support/postgres.ts, which this mirrors without needing TypeScript). Autovacuum stays
// on: a benchmark that creates and drops tens of thousands of roles is what it is for.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { freePort, makeTempDir, removeDir, startProcess, waitUntilReady } from "./proc.mjs";

const SERVER_SETTINGS = [
  "listen_addresses=127.0.0.1",
  "fsync=off",
  "synchronous_commit=off",
  "full_page_writes=off",
  "wal_level=minimal",
  "max_wal_senders=0",
  "shared_buffers=64MB",
  "max_connections=200",
  "log_min_messages=warning",
  "max_parallel_workers=0",
];

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

function postgresBin(program) {
  const base = "/usr/lib/postgresql";
  const majors = existsSync(base) ? readdirSync(base).filter((d) => /^\d+$/.test(d)).sort((a, b) => b - a) : [];
  for (const m of majors) {
    const p = join(base, m, "bin", program);
    if (existsSync(p)) return p;
  }
  const which = spawnSync("sh", ["-c", `command -v ${program}`], { encoding: "utf8" });
  if (which.status === 0 && which.stdout.trim() !== "") return which.stdout.trim();
  throw new Error(`${program} not found; run scripts/install-deps.sh`);
}

/** initdb and postgres refuse to run as root: run them as Debian's postgres user then. */
function asUser(user, command, args) {
  return user === undefined ? [command, args] : ["setpriv", [`--reuid=${user}`, `--regid=${user}`, "--init-groups", "--", command, ...args]];
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} failed (${code}): ${output.slice(-2000)}`))));
  });
}

export function alphanumeric(length) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  while (out.length < length) {
    // 248 = 4 × 62: rejecting bytes above keeps the draw unbiased.
    for (const b of randomBytes(length * 2)) if (b < 248 && out.length < length) out += alphabet[b % 62];
  }
  return out;
}

export async function startPostgres() {
  const runAs = isRoot ? "postgres" : undefined;
  const dir = makeTempDir("pg", runAs !== undefined);
  chmodSync(dir, 0o755);
  const dataDir = join(dir, "data");
  const adminPassword = alphanumeric(24);
  const pwFile = join(dir, "pwfile");
  writeFileSync(pwFile, `${adminPassword}\n`, { mode: 0o600 });
  if (runAs !== undefined) await run("chown", ["-R", runAs, dir]);
  const [initCmd, initArgs] = asUser(runAs, postgresBin("initdb"), [
    "-D", dataDir, "-U", "postgres", "--auth=scram-sha-256", `--pwfile=${pwFile}`, "-E", "UTF8", "--locale=C", "--no-sync",
  ]);
  await run(initCmd, initArgs);
  removeDir(pwFile);

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const settings = SERVER_SETTINGS.flatMap((s) => ["-c", s]);
    const [cmd, args] = asUser(runAs, postgresBin("postgres"), ["-D", dataDir, "-p", String(port), "-k", dir, ...settings]);
    const proc = startProcess(cmd, args, { logPath: join(dir, "server.log"), exitSignal: "SIGQUIT" });
    const clientConfig = (user = "postgres", password = adminPassword) => ({
      host: "127.0.0.1", port, user, password, database: "postgres", connectionTimeoutMillis: 10_000,
    });
    try {
      await waitUntilReady("PostgreSQL", proc, async () => {
        const c = new pg.Client(clientConfig());
        try {
          await c.connect();
          await c.query("SELECT 1");
        } finally {
          await c.end().catch(() => undefined);
        }
      });
    } catch (e) {
      await proc.stop("SIGQUIT", 5_000);
      if (e.addressInUse && attempt < 5) continue;
      removeDir(dir);
      throw e;
    }
    const version = await (async () => {
      const c = new pg.Client(clientConfig());
      await c.connect();
      try {
        return (await c.query("SHOW server_version")).rows[0].server_version;
      } finally {
        await c.end();
      }
    })();
    return {
      port,
      version,
      adminPassword,
      pid: proc.child.pid,
      clientConfig,
      /** A pool as the admin; the caller ends it. */
      pool: (max, user, password) => {
        const p = new pg.Pool({ ...clientConfig(user, password), max, idleTimeoutMillis: 60_000 });
        p.on("error", () => undefined);
        return p;
      },
      async stop() {
        await proc.stop("SIGQUIT", 10_000);
        removeDir(dir);
      },
    };
  }
}
