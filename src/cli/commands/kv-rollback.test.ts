/** kv rollback, kv enable-versioning and kv metadata patch: a dev server for the effects, a stub for the requests. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../../server/dev.js";
import { silentLogger } from "../../server/logger.js";
import { StubServer, run, type RecordedRequest } from "../testing.js";

const stub = new StubServer();
let addr = "";
let server: DevServer;

function preflight(req: RecordedRequest) {
  if (req.method !== "GET" || !req.path.startsWith("sys/internal/ui/mounts/")) return undefined;
  const p = req.path.slice("sys/internal/ui/mounts/".length);
  if (p.startsWith("kv1")) return { body: { data: { path: "kv1/", type: "kv", options: null } } };
  return { body: { data: { path: "secret/", type: "kv", options: { version: "2" } } } };
}

beforeAll(async () => {
  addr = await stub.start();
  stub.onMatch(preflight);
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0" });
});
afterAll(async () => {
  await stub.close();
  await server.close();
});
beforeEach(() => {
  stub.requests.length = 0;
});

const dev = (args: string[]) => run(args, server.addresses[0] as string, { env: { MAYFLY_TOKEN: server.rootToken } });

/** Runs with -format=json placed after the command words (those before the path argument). */
async function devJson(args: string[]): Promise<any> {
  const words = args.slice(0, -1);
  const r = await dev([...words, "-format=json", ...args.slice(-1)]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe("kv rollback", () => {
  it("writes the old version's data as a new version, with cas on the current one", async () => {
    for (const v of ["one", "two", "three"]) expect((await dev(["kv", "put", "secret/rb", `v=${v}`])).code).toBe(0);
    const r = await dev(["kv", "rollback", "-version=1", "secret/rb"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Key\s+Value\n---\s+-----\n/);
    expect(r.stdout).toMatch(/\nversion\s+4\n/);
    const latest = await devJson(["kv", "get", "secret/rb"]);
    expect(latest.data.data).toEqual({ v: "one" });
    expect(latest.data.metadata.version).toBe(4);
    // -mount form.
    expect((await dev(["kv", "rollback", "-mount=secret", "-version=2", "rb"])).code).toBe(0);
    expect((await devJson(["kv", "get", "secret/rb"])).data.data).toEqual({ v: "two" });
  });

  it("refuses deleted and destroyed versions with exit 2", async () => {
    for (const v of ["a", "b", "c"]) await dev(["kv", "put", "secret/gone", `v=${v}`]);
    expect((await dev(["kv", "delete", "-versions=1", "secret/gone"])).code).toBe(0);
    expect(await dev(["kv", "rollback", "-version=1", "secret/gone"])).toMatchObject({
      code: 2,
      stderr: "Cannot roll back to a version that has been deleted\n",
    });
    expect((await dev(["kv", "destroy", "-versions=2", "secret/gone"])).code).toBe(0);
    expect(await dev(["kv", "rollback", "-version=2", "secret/gone"])).toMatchObject({
      code: 2,
      stderr: "Cannot roll back to a version that has been destroyed\n",
    });
    expect((await devJson(["kv", "get", "secret/gone"])).data.metadata.version).toBe(3);
  });

  it("exits 2 for a missing key and for a KV v1 mount", async () => {
    expect(await dev(["kv", "rollback", "-version=1", "secret/never-written"])).toMatchObject({
      code: 2,
      stderr: "No value found at secret/data/never-written\n",
    });
    expect((await dev(["secrets", "enable", "-path=flat", "kv"])).code).toBe(0);
    expect(await dev(["kv", "rollback", "-version=1", "flat/x"])).toMatchObject({
      code: 2,
      stderr: "K/V engine mount must be version 2 for rollback support\n",
    });
  });

  it("checks its flag and argument locally (exit 1, nothing sent)", async () => {
    expect(await run(["kv", "rollback", "secret/x"], addr)).toMatchObject({ code: 1, stderr: "Version flag must be specified\n" });
    expect(await run(["kv", "rollback", "-version=0", "secret/x"], addr)).toMatchObject({ code: 1, stderr: "Invalid value 0 for the version flag\n" });
    expect(await run(["kv", "rollback", "-version=1"], addr)).toMatchObject({ code: 1, stderr: "Invalid number of arguments (expected 1, got 0)\n" });
    expect(stub.requests).toHaveLength(0);
  });

  it("sends the current version as cas (stub)", async () => {
    stub.on("GET", "secret/data/s", (req) =>
      req.query["version"] === "2"
        ? { body: { data: { data: { a: "old" }, metadata: { version: 2, deletion_time: "", destroyed: false } } } }
        : { body: { data: { data: { a: "new" }, metadata: { version: 7, deletion_time: "", destroyed: false } } } },
    );
    stub.on("PUT", "secret/data/s", { status: 204 });
    const r = await run(["kv", "rollback", "-version=2", "secret/s"], addr);
    expect(r).toMatchObject({ code: 0, stdout: "Success! Data written to: secret/data/s\n" });
    expect(stub.last().body).toEqual({ data: { a: "old" }, options: { cas: 7 } });
  });
});

describe("kv enable-versioning", () => {
  it("tunes the mount to version 2 and the v1 keys become version 1", async () => {
    expect((await dev(["secrets", "enable", "-path=legacy", "kv"])).code).toBe(0);
    expect((await dev(["kv", "put", "legacy/app", "k=v"])).code).toBe(0);
    const r = await dev(["kv", "enable-versioning", "legacy"]);
    expect(r).toMatchObject({ code: 0, stdout: "Success! Tuned the secrets engine at: legacy/\n" });
    const got = await devJson(["kv", "get", "legacy/app"]);
    expect(got.data.data).toEqual({ k: "v" });
    expect(got.data.metadata.version).toBe(1);
  });

  it("posts options.version \"2\" to the mount's tune path; a refusal exits 2", async () => {
    stub.on("POST", "sys/mounts/team/kv/tune", { status: 204 });
    expect((await run(["kv", "enable-versioning", "/team/kv/"], addr)).stdout).toBe("Success! Tuned the secrets engine at: team/kv/\n");
    expect(stub.last().body).toEqual({ options: { version: "2" } });
    stub.on("POST", "sys/mounts/nope/tune", { status: 400, body: { errors: ["no mount at nope/"] } });
    const refused = await run(["kv", "enable-versioning", "nope"], addr);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("Error tuning secrets engine nope/: Error making API request.");
  });
});

describe("kv metadata patch", () => {
  it("changes only the settings given, adds and removes custom metadata", async () => {
    await dev(["kv", "put", "secret/meta", "a=b"]);
    expect((await dev(["kv", "metadata", "put", "-max-versions=7", "-custom-metadata=owner=ops", "-custom-metadata=tier=1", "secret/meta"])).code).toBe(0);
    const r = await dev(["kv", "metadata", "patch", "-cas-required", "-custom-metadata=team=db", "-remove-custom-metadata=tier", "secret/meta"]);
    expect(r).toMatchObject({ code: 0, stdout: "Success! Data written to: secret/metadata/meta\n" });
    const meta = (await devJson(["kv", "metadata", "get", "secret/meta"])).data;
    expect(meta.max_versions).toBe(7);
    expect(meta.cas_required).toBe(true);
    expect(meta.custom_metadata).toEqual({ owner: "ops", team: "db" });
  });

  it("sends a JSON merge patch with Vault's body (stub)", async () => {
    stub.on("PATCH", "secret/metadata/p", { status: 204 });
    const r = await run(["kv", "metadata", "patch", "-mount=secret", "-max-versions=3", "-delete-version-after=1h", "-remove-custom-metadata=x", "p"], addr);
    expect(r.code).toBe(0);
    expect(stub.last().headers["content-type"]).toBe("application/merge-patch+json");
    expect(stub.last().body).toEqual({ max_versions: 3, delete_version_after: "1h0m0s", custom_metadata: { x: null } });
    await run(["kv", "metadata", "patch", "secret/p"], addr);
    expect(stub.last().body).toEqual({ custom_metadata: {} });
  });

  it("refuses KV v1 (exit 1) and reports a server error (exit 2)", async () => {
    expect(await run(["kv", "metadata", "patch", "kv1/x"], addr)).toMatchObject({ code: 1, stderr: "Metadata not supported on KV Version 1\n" });
    stub.on("PATCH", "secret/metadata/missing", { status: 404, body: { errors: [] } });
    const missing = await run(["kv", "metadata", "patch", "secret/missing"], addr);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Error writing data to secret/metadata/missing");
  });
});
