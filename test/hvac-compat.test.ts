/**
 * hvac, the Python client (Debian's python3-hvac, 0.11.2), against Mayfly: runs
 * compat/hvac/probe.py against a dev server started here, with a throwaway PostgreSQL
 * behind a database role so that the lease calls run too, and a second, uninitialised
 * server for init and unseal. The probe checks every answer itself and names each failed
 * section on stderr.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../src/server/app.js";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { InmemStorage } from "../src/storage/inmem.js";
import { REPO_ROOT, cleanEnv } from "./support/e2e.js";
import { startLeasedRole, type LeasedRole } from "./support/leased-role.js";
import { runProbeProcess } from "./support/probe-process.js";

/**
 * A python3 that can import hvac. Debian installs python3-hvac for its own interpreter,
 * which a version manager's `python3` earlier on PATH does not see, so both are tried.
 */
function findPythonWithHvac(): string | undefined {
  for (const candidate of ["python3", "/usr/bin/python3"]) {
    if (spawnSync(candidate, ["-c", "import hvac"], { stdio: "ignore" }).status === 0) return candidate;
  }
  return undefined;
}

const PYTHON = findPythonWithHvac();
const PROBE = join(REPO_ROOT, "compat", "hvac", "probe.py");
const ROOT_TOKEN = "hvac-compat-root";

describe.skipIf(PYTHON === undefined)("hvac (compat/hvac/probe.py)", () => {
  let server: DevServer;
  let address: string;
  let leased: LeasedRole | undefined;
  /** Uninitialised, for the probe's init/unseal section. */
  let fresh: RunningServer;

  beforeAll(async () => {
    server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: ROOT_TOKEN });
    address = server.addresses[0] as string;
    leased = await startLeasedRole(address, ROOT_TOKEN);
    fresh = await startServer({
      storage: new InmemStorage(),
      storageType: "inmem",
      listeners: [{ address: "127.0.0.1:0", tlsDisable: true }],
      logger: silentLogger,
    });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await fresh?.close();
    await leased?.stop();
  });

  it("passes every check of the probe", async () => {
    const credsPath = leased?.credsPath;
    if (credsPath === undefined) console.warn(`hvac: lease life cycle not exercised, PostgreSQL did not start: ${leased?.skipReason}`);
    const result = await runProbeProcess(PYTHON as string, [PROBE], {
      cwd: REPO_ROOT,
      env: cleanEnv({
        VAULT_ADDR: address,
        VAULT_TOKEN: ROOT_TOKEN,
        COMPAT_DB_CREDS_PATH: credsPath,
        COMPAT_UNINIT_ADDR: fresh.addresses[0],
        ...leased?.probeEnv,
        PYTHONDONTWRITEBYTECODE: "1",
      }),
      timeoutMs: 180_000,
    });
    expect(result.stderr + result.stdout, `exit ${result.code}`).toMatch(/all \d+ checks passed/);
    expect(result.code).toBe(0);
    if (credsPath !== undefined) {
      expect(result.stdout).not.toContain("lease life cycle skipped");
      expect(result.stdout).not.toContain("database engine skipped");
    }
    expect(result.stdout).not.toContain("init/unseal skipped");
  }, 240_000);
});

describe.skipIf(PYTHON !== undefined)("hvac (compat/hvac/probe.py)", () => {
  it.skip("skipped: no python3 that can `import hvac` (apt-get install python3-hvac)", () => undefined);
});
