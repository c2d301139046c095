// Where a database credential's server CPU goes, in one process without HTTP: the whole
// pipeline (handleRequest), the plugin's newUser alone, and the same statements run directly
// with pg. A diagnosis aid for bench/db-creds.mjs. Run after `npm run build`:
//   node bench/lib/issue-breakdown.mjs [--calls 400] [--concurrency 8] [--only pipeline|revoke|plugin|direct] [--audit on|off]
//                                      [--stub-target yes] [--allocations TOP]
// --allocations samples the heap over the second (warm) round of each measurement and lists
// the TOP frames by bytes allocated per operation (objects that died young included).
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { startHeapSampling } from "./heap-sampling.mjs";
import { mainThreadCpuMicros, mayflyRoot, makeTempDir, removeDir } from "./proc.mjs";
import { alphanumeric, startPostgres } from "./postgres.mjs";
import { argument, fmtInt } from "./stats.mjs";

const calls = Number(argument("calls", "400"));
const concurrency = Number(argument("concurrency", "8"));
const load = (p) => import(pathToFileURL(join(mayflyRoot, "dist", p)).href);
const { startDevServer } = await load("server/dev.js");
const { silentLogger } = await load("server/logger.js");
const { handleRequest } = await load("core/request-handler.js");

const pgServer = await startPostgres();
const admin = pgServer.pool(2);
await admin.query("CREATE ROLE bench_readonly NOLOGIN");
const dir = makeTempDir("issue-breakdown");
const server = await startDevServer({ rootTokenId: "root", listenAddress: "127.0.0.1:0", logger: silentLogger, homeDir: dir });
const core = server.core;
const connection = { remoteAddress: "127.0.0.1", remotePort: 40000 };
const call = async (operation, path, data = {}) => {
  const r = await handleRequest(core, { operation, path, data, clientToken: "root", connection, headers: {} });
  return r.response;
};
const creation = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT bench_readonly TO "{{name}}";`;
await call("write", "sys/mounts/database", { type: "database" });
await call("write", "database/config/pg", {
  plugin_name: "postgresql-database-plugin",
  connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${pgServer.port}/postgres?sslmode=disable`,
  username: "postgres",
  password: pgServer.adminPassword,
  allowed_roles: "*",
  max_open_connections: concurrency,
});
await call("write", "database/roles/ro", { db_name: "pg", creation_statements: creation, revocation_statements: `DROP ROLE IF EXISTS "{{name}}";`, default_ttl: "1h" });
if (argument("audit", "on") === "on") await call("write", "sys/audit/file", { type: "file", options: { file_path: join(dir, "audit.log") } });

const allocationsTop = Number(argument("allocations", "0"));
let round = 0;

async function measure(name, fn) {
  let next = 0;
  const sampling = allocationsTop > 0 && round === 1 ? await startHeapSampling() : undefined;
  const before = process.cpuUsage();
  const mainBefore = mainThreadCpuMicros(process.pid);
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < calls) {
      next++;
      await fn();
    }
  }));
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(before);
  const mainUs = mainThreadCpuMicros(process.pid) - mainBefore;
  console.log(`  ${name.padEnd(34)} ${fmtInt((cpu.user + cpu.system) / calls)} µs cpu/op (user ${fmtInt(cpu.user / calls)}, main thread ${fmtInt(mainUs / calls)})  ${fmtInt(calls / (wallMs / 1000))} ops/s`);
  if (sampling) {
    // Sampling slows the round: its CPU figures above are not comparable with the first's.
    const { bytesPerOp, frames } = await sampling.stop(calls);
    console.log(`    allocated ${fmtInt(bytesPerOp)} bytes per op (sampled); by frame  <  caller:`);
    for (const f of frames.slice(0, allocationsTop)) console.log(`    ${fmtInt(f.bytesPerOp).padStart(7)} B  ${f.frame}`);
  }
}

const direct = pgServer.pool(concurrency);
console.log(`issue breakdown, ${calls} calls at concurrency ${concurrency}, CPU of this process per op:`);
const only = argument("only", "");
// --stub-target: the plugin's newUser and deleteUser do nothing, so only Mayfly's own work is measured.
if (argument("stub-target", "no") === "yes") {
  const { PostgresPlugin } = await load("engines/database/plugins/postgres.js");
  PostgresPlugin.prototype.newUser = async () => undefined;
  PostgresPlugin.prototype.deleteUser = async () => undefined;
}
const leaseIds = [];
for (; round < 2; round++) {
  if (only !== "direct") await measure("pipeline: GET database/creds/ro", async () => leaseIds.push((await call("read", "database/creds/ro")).secret?.leaseId));
  if (only === "" || only === "revoke") {
    const ids = leaseIds.splice(0);
    await measure("pipeline: revoke one lease", () => call("update", "sys/leases/revoke", { lease_id: ids.pop() }));
  }
  if (only === "" || only === "plugin") {
    const { PostgresPlugin: Plugin } = await load("engines/database/plugins/postgres.js");
    const plugin = new Plugin();
    await plugin.initialize({
      connectionUrl: `postgresql://{{username}}:{{password}}@127.0.0.1:${pgServer.port}/postgres?sslmode=disable`,
      username: "postgres", password: pgServer.adminPassword, maxOpenConnections: concurrency,
      maxIdleConnections: 0, maxConnectionLifetimeSeconds: 0, disableEscaping: false, options: {},
    }, true);
    await measure("plugin.newUser alone", () => plugin.newUser({
      username: `v-plugin-${alphanumeric(20)}`, password: alphanumeric(20), expiration: new Date(Date.now() + 3600_000),
      creationStatements: [creation], rollbackStatements: [],
    }));
    await plugin.close();
  }
  if (only === "" || only === "direct") await measure("direct pg: same statements", async () => {
    const name = `v-direct-${alphanumeric(20)}`;
    const c = await direct.connect();
    try {
      await c.query("BEGIN");
      await c.query(`CREATE ROLE "${name}" WITH LOGIN PASSWORD '${alphanumeric(20)}' VALID UNTIL '2099-01-01 00:00:00+0000'`);
      await c.query(`GRANT bench_readonly TO "${name}"`);
      await c.query("COMMIT");
    } finally {
      c.release();
    }
  });
}
await direct.end();
await admin.end();
await server.close();
await pgServer.stop();
removeDir(dir);
