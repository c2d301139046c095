/**
 * HashiCorp's official Go client (github.com/hashicorp/vault/api) against Mayfly: builds
 * compat/go-client into a temp dir and runs it against servers started here: a dev server
 * (its unseal key lets the probe seal and unseal it last), a throwaway PostgreSQL behind a
 * database role (lease calls, a database mount of the probe's own), and an uninitialised
 * server (init, unseal, rekey, generate-root). The probe checks every answer itself and
 * exits non-zero naming the first failed check of each section.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, cleanEnv } from "./support/e2e.js";
import { runProbeProcess, startProbeTargets, type ProbeTargets } from "./support/probe-process.js";

/** `go` from PATH, else the usual install location; undefined when neither runs. */
function findGo(): string | undefined {
  for (const candidate of ["go", "/usr/local/go/bin/go"]) {
    if (spawnSync(candidate, ["version"], { stdio: "ignore" }).status === 0) return candidate;
  }
  return undefined;
}

const GO = findGo();
const PROBE_DIR = join(REPO_ROOT, "compat", "go-client");
const ROOT_TOKEN = "go-compat-root";

describe.skipIf(GO === undefined)("Go api client (compat/go-client)", () => {
  let buildDir: string;
  let binary: string;
  let targets: ProbeTargets;

  beforeAll(async () => {
    buildDir = mkdtempSync(join(tmpdir(), "mayfly-go-client-"));
    binary = join(buildDir, "go-client");
    // The module cache and build cache stay Go's own, so a second run builds in seconds.
    const build = await runProbeProcess(GO as string, ["build", "-buildvcs=false", "-o", binary, "."], {
      cwd: PROBE_DIR,
      env: { ...process.env, CGO_ENABLED: "0" },
      timeoutMs: 600_000,
    });
    if (build.code !== 0 || !existsSync(binary)) throw new Error(`go build failed:\n${build.stdout}\n${build.stderr}`);

    targets = await startProbeTargets(ROOT_TOKEN);
  }, 660_000);

  afterAll(async () => {
    await targets?.stop();
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
  });

  it("passes every check of the probe", async () => {
    const credsPath = targets.leased?.credsPath;
    if (credsPath === undefined) console.warn(`go-client: lease life cycle not exercised, PostgreSQL did not start: ${targets.leased?.skipReason}`);
    const result = await runProbeProcess(binary, [], {
      cwd: buildDir,
      env: cleanEnv(targets.env()),
      timeoutMs: 180_000,
    });
    // The probe names the failed check on stderr; show it as the assertion's message.
    expect(result.stderr + result.stdout, `exit ${result.code}`).toMatch(/all \d+ checks passed/);
    expect(result.code).toBe(0);
    if (credsPath !== undefined) {
      expect(result.stdout).not.toContain("lease life cycle skipped");
      expect(result.stdout).not.toContain("database engine skipped");
    }
    expect(result.stdout).not.toContain("seal/unseal skipped");
    expect(result.stdout).not.toContain("init/unseal skipped");
  }, 240_000);
});

// Said once when the probe cannot run, instead of a placeholder test that is always skipped.
if (GO === undefined) console.warn("go-client compat probe not run: no `go` on PATH nor at /usr/local/go/bin/go");
