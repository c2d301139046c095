// A Mayfly dev server in its own process, so the benchmark's load generator never shares
// its event loop, plus a tiny Vault API client for setting up what a benchmark needs.
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, makeTempDir, mayflyRoot, removeDir, startProcess, waitUntilReady } from "./proc.mjs";

/**
 * Starts `bin/mayfly server -dev` on a free port with a known root token. `nodeFlags` go to
 * the node running it (e.g. `--cpu-prof`). HOME is a temp dir so that dev mode's
 * ~/.mayfly-token write lands there, not in the user's home.
 */
export async function startMayflyDev({ rootToken = "root", nodeFlags = [], env = {} } = {}) {
  return startMayfly({ nodeFlags, env, args: (port) => ["-dev", `-dev-root-token-id=${rootToken}`, `-dev-listen-address=127.0.0.1:${port}`], rootToken });
}

/**
 * A server as an operator runs one: the SQLite storage (synchronous=FULL, an fsync per
 * commit), initialised with one key share and unsealed; `api` holds the initial root token.
 */
export async function startMayflySqlite({ nodeFlags = [], env = {} } = {}) {
  const server = await startMayfly({
    nodeFlags,
    env,
    args: (port, dir) => {
      writeFileSync(
        join(dir, "server.hcl"),
        `storage "sqlite" {\n  path = "${join(dir, "mayfly.db")}"\n}\nlistener "tcp" {\n  address = "127.0.0.1:${port}"\n  tls_disable = true\n}\n`,
      );
      return [`-config=${join(dir, "server.hcl")}`];
    },
    ready: (r) => r.status === 501 || r.status === 503 || r.status === 200,
  });
  const init = await server.api.call("PUT", "sys/init", { secret_shares: 1, secret_threshold: 1 });
  await server.api.call("PUT", "sys/unseal", { key: init.body.keys[0] });
  server.api = vaultClient(server.api.address, init.body.root_token);
  return server;
}

async function startMayfly({ nodeFlags, env, args, rootToken, ready = (r) => r.status === 200 }) {
  const dir = makeTempDir("mayfly");
  // Diagnosis hooks: extra node flags (e.g. "--trace-deopt"), and where to keep the log.
  const extraFlags = (process.env.MAYFLY_BENCH_NODE_FLAGS ?? "").split(" ").filter((f) => f !== "");
  nodeFlags = [...nodeFlags, ...extraFlags];
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const proc = startProcess(process.execPath, [...nodeFlags, join(mayflyRoot, "bin", "mayfly"), "server", ...args(port, dir)], {
      logPath: join(dir, "server.log"),
      env: { ...process.env, HOME: dir, ...env },
      exitSignal: "SIGTERM",
    });
    const api = vaultClient(`http://127.0.0.1:${port}`, rootToken);
    try {
      await waitUntilReady("mayfly server", proc, async () => {
        const r = await fetch(`http://127.0.0.1:${port}/v1/sys/health`);
        if (!ready(r)) throw new Error(`health ${r.status}`);
      });
    } catch (e) {
      if (e.addressInUse && attempt < 5) continue;
      removeDir(dir);
      throw e;
    }
    return {
      port,
      dir,
      pid: proc.child.pid,
      api,
      logTail: proc.logTail,
      async stop() {
        await proc.stop("SIGTERM", 15_000);
        if (process.env.MAYFLY_BENCH_LOG) copyFileSync(join(dir, "server.log"), process.env.MAYFLY_BENCH_LOG);
        removeDir(dir);
      },
    };
  }
}

/** `call(method, path, body?)` → { status, body (parsed JSON or null), text }. Throws on >= 400 unless `allow`. */
export function vaultClient(address, token) {
  async function call(method, path, body, { allow = [], tokenOverride } = {}) {
    const r = await fetch(`${address}/v1/${path}`, {
      method,
      headers: { "X-Vault-Token": tokenOverride ?? token, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (r.status >= 400 && !allow.includes(r.status)) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return { status: r.status, body: text === "" ? null : JSON.parse(text), text, headers: r.headers };
  }
  return { address, token, call };
}
