// The floor for bench/db-creds.mjs (`--floor`): bare node:http in its own process, in front
// of a pg.Pool of the same size, answering Mayfly's two paths with the direct side's work
// and nothing else: `GET /v1/database/creds/bench-ro` runs the creation transaction and
// answers {"lease_id": <username>}, `PUT /v1/sys/leases/revoke` runs the revocation
// transaction for that username and answers 204. No token, policy, audit, lease, storage
// or retry: what any HTTP service between a client and PostgreSQL pays at the least, so
// Mayfly's figures can be read against the hop itself as well as against the direct client.
import { fork } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { inTransaction } from "./db-creds-env.mjs";
import { CREATE_STATEMENT, directUsername, GRANT_STATEMENT, password20, render, REVOKE_STATEMENTS } from "./db-creds-options.mjs";

/** `clientConfig` is pg's connection config (as the benchmark's admin). */
export async function startFloorServer(clientConfig, poolSize) {
  // The child parses the same command line (--grant) for the statements.
  const child = fork(fileURLToPath(import.meta.url), [...process.argv.slice(2), "--serve"], { stdio: "inherit" });
  const port = await new Promise((resolve, reject) => {
    child.once("message", (m) => resolve(m.port));
    child.once("exit", (code) => reject(new Error(`floor server exited with ${code}`)));
    child.send({ clientConfig, poolSize });
  });
  return { port, pid: child.pid, stop: () => child.kill() };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

async function handle(pool, req, res) {
  if (req.method === "GET" && req.url === "/v1/database/creds/bench-ro") {
    req.resume();
    const values = {
      name: directUsername("bench-ro"),
      password: password20(),
      expiration: new Date(Date.now() + 3600_000 + 5_000).toISOString(),
    };
    await inTransaction(pool, [render(CREATE_STATEMENT, values), render(GRANT_STATEMENT, values)]);
    const body = Buffer.from(JSON.stringify({ lease_id: values.name, data: { username: values.name, password: values.password } }));
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
  } else if (req.method === "PUT" && req.url === "/v1/sys/leases/revoke") {
    const { lease_id: name } = JSON.parse(await readBody(req));
    await inTransaction(pool, REVOKE_STATEMENTS.map((st) => render(st, { name })));
    res.writeHead(204);
    res.end();
  } else {
    req.resume();
    res.writeHead(404, { "content-length": 0 });
    res.end();
  }
}

if (process.argv.includes("--serve")) {
  process.once("message", ({ clientConfig, poolSize }) => {
    const pool = new pg.Pool({ ...clientConfig, max: poolSize, idleTimeoutMillis: 60_000 });
    pool.on("error", () => undefined);
    const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
      handle(pool, req, res).catch((e) => {
        const body = Buffer.from(JSON.stringify({ errors: [String(e.message)] }));
        res.writeHead(500, { "content-type": "application/json", "content-length": body.length });
        res.end(body);
      });
    });
    server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
  });
  process.on("disconnect", () => process.exit(0));
}
