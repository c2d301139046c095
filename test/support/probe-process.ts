/** Runs a client probe (a Go binary, a Python script) as a subprocess of a test. */
import { execFile } from "node:child_process";
import { startServer, type RunningServer } from "../../src/server/app.js";
import { startDevServer, type DevServer } from "../../src/server/dev.js";
import { silentLogger } from "../../src/server/logger.js";
import { InmemStorage } from "../../src/storage/inmem.js";
import { startLeasedRole, type LeasedRole } from "./leased-role.js";

export interface ProbeResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Asynchronous on purpose: the server under test usually runs in the test's own event
 * loop, and a synchronous child would block it, so the probe would wait on a server that
 * cannot answer.
 */
export function runProbeProcess(
  cmd: string,
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") {
        reject(new Error(`${cmd} ${args.join(" ")} did not finish: ${err.message}\n${stdout}\n${stderr}`));
        return;
      }
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/**
 * What a client probe runs against: a dev server with a known root token, a database role
 * on a throwaway PostgreSQL behind it (for the lease calls), and a second, uninitialised
 * server (for init, unseal, rekey and generate-root). `env` is what the probes read.
 */
export interface ProbeTargets {
  readonly server: DevServer;
  readonly address: string;
  readonly leased: LeasedRole | undefined;
  readonly fresh: RunningServer;
  env(): NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startProbeTargets(rootToken: string): Promise<ProbeTargets> {
  const server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: rootToken });
  const address = server.addresses[0] as string;
  const leased = await startLeasedRole(address, rootToken);
  const fresh = await startServer({
    storage: new InmemStorage(),
    storageType: "inmem",
    listeners: [{ address: "127.0.0.1:0", tlsDisable: true }],
    logger: silentLogger,
  });
  return {
    server,
    address,
    leased,
    fresh,
    env: () => ({
      VAULT_ADDR: address,
      VAULT_TOKEN: rootToken,
      COMPAT_DB_CREDS_PATH: leased?.credsPath,
      COMPAT_UNSEAL_KEY: server.unsealKey,
      COMPAT_UNINIT_ADDR: fresh.addresses[0],
      ...leased?.probeEnv,
    }),
    async stop() {
      await server.close();
      await fresh.close();
      await leased?.stop();
    },
  };
}
