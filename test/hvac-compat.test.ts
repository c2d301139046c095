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
import { REPO_ROOT, cleanEnv } from "./support/e2e.js";
import { runProbeProcess, startProbeTargets, type ProbeTargets } from "./support/probe-process.js";

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
  let targets: ProbeTargets;

  beforeAll(async () => {
    targets = await startProbeTargets(ROOT_TOKEN);
  }, 120_000);

  afterAll(async () => {
    await targets?.stop();
  });

  it("passes every check of the probe", async () => {
    const credsPath = targets.leased?.credsPath;
    if (credsPath === undefined) console.warn(`hvac: lease life cycle not exercised, PostgreSQL did not start: ${targets.leased?.skipReason}`);
    const result = await runProbeProcess(PYTHON as string, [PROBE], {
      cwd: REPO_ROOT,
      env: cleanEnv({
        ...targets.env(),
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

// Said once when the probe cannot run, instead of a placeholder test that is always skipped.
if (PYTHON === undefined) console.warn("hvac compat probe not run: no python3 that can `import hvac` (apt-get install python3-hvac)");
