/** secrets, auth, audit and policy commands against a stub server. */
import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StubServer, run } from "../testing.js";

const stub = new StubServer();
let addr = "";
let dir = "";

beforeAll(async () => {
  addr = await stub.start();
  dir = await mkdtemp(join(tmpdir(), "mayfly-admin-"));
});
afterAll(async () => {
  await stub.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  stub.requests.length = 0;
});

describe("secrets", () => {
  it("enables an engine at -path with Vault's mount body", async () => {
    stub.on("POST", "sys/mounts/database", { status: 204 });
    const r = await run(["secrets", "enable", "-path=database", "database"], addr);
    expect(r).toMatchObject({ code: 0, stdout: "Success! Enabled the database secrets engine at: database/\n" });
    expect(stub.last().body).toEqual({
      type: "database",
      description: "",
      config: { default_lease_ttl: "0s", max_lease_ttl: "0s", force_no_cache: false },
      local: false,
      seal_wrap: false,
      external_entropy_access: false,
    });
  });

  it("sends -version=2 as options.version \"2\" and maps kv-v2", async () => {
    stub.on("POST", "sys/mounts/kv", { status: 204 });
    stub.on("POST", "sys/mounts/kv-v2", { status: 204 });
    await run(["secrets", "enable", "-version=2", "-default-lease-ttl=1h", "-options=x=y", "kv"], addr);
    expect(stub.last().body).toMatchObject({ type: "kv", options: { x: "y", version: "2" }, config: { default_lease_ttl: "1h0m0s" } });
    const r = await run(["secrets", "enable", "kv-v2"], addr);
    expect(r.stdout).toBe("Success! Enabled the kv-v2 secrets engine at: kv-v2/\n");
    expect(stub.last().body).toMatchObject({ type: "kv", options: { version: "2" } });
  });

  it("reports a refused mount with exit 2", async () => {
    stub.on("POST", "sys/mounts/aws", { status: 400, body: { errors: ['path is already in use at aws/'] } });
    const r = await run(["secrets", "enable", "aws"], addr);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Error enabling: Error making API request.");
    expect(r.stderr).toContain("* path is already in use at aws/");
  });

  it("disables and tunes", async () => {
    stub.on("DELETE", "sys/mounts/database", { status: 204 });
    expect((await run(["secrets", "disable", "database/"], addr)).stdout).toBe("Success! Disabled the secrets engine (if it existed) at: database/\n");
    stub.on("POST", "sys/mounts/database/tune", { status: 204 });
    const r = await run(["secrets", "tune", "-max-lease-ttl=24h", "-description=dbs", "database"], addr);
    expect(r.stdout).toBe("Success! Tuned the secrets engine at: database/\n");
    expect(stub.last().body).toEqual({ max_lease_ttl: "24h0m0s", description: "dbs" });
  });

  it("lists mounts as a table, and the map as json", async () => {
    const mounts = {
      "secret/": { type: "kv", accessor: "kv_1", description: "key/value secret storage", config: { default_lease_ttl: 0, max_lease_ttl: 0 }, options: { version: "2" } },
      "cubbyhole/": { type: "cubbyhole", accessor: "cubbyhole_2", description: "per-token private secret storage", config: {} },
      "sys/": { type: "system", accessor: "system_3", description: "system endpoints", config: {} },
    };
    stub.on("GET", "sys/mounts", { body: { ...mounts, request_id: "r", data: mounts } });
    const r = await run(["secrets", "list"], addr);
    expect(r.stdout).toBe(
      [
        "Path          Type         Accessor       Description",
        "----          ----         --------       -----------",
        "cubbyhole/    cubbyhole    cubbyhole_2    per-token private secret storage",
        "secret/       kv           kv_1           key/value secret storage",
        "sys/          system       system_3       system endpoints",
        "",
      ].join("\n"),
    );
    const json = JSON.parse((await run(["secrets", "list", "-format=json"], addr)).stdout);
    expect(Object.keys(json)).toEqual(["cubbyhole/", "secret/", "sys/"]);
    const detailed = await run(["secrets", "list", "-detailed"], addr);
    expect(detailed.stdout).toContain("map[version:2]");
    expect(detailed.stdout.split("\n")[0]).toMatch(/^Path\s+Plugin\s+Accessor\s+Default TTL\s+Max TTL/);
  });
});

describe("auth", () => {
  it("enables, lists and disables auth methods", async () => {
    stub.on("POST", "sys/auth/userpass", { status: 204 });
    const r = await run(["auth", "enable", "-description=people", "userpass"], addr);
    expect(r.stdout).toBe("Success! Enabled userpass auth method at: userpass/\n");
    expect(stub.last().body).toMatchObject({ type: "userpass", description: "people" });
    const auths = { "token/": { type: "token", accessor: "auth_token_1", description: "token based credentials" } };
    stub.on("GET", "sys/auth", { body: { data: auths } });
    expect((await run(["auth", "list"], addr)).stdout).toBe(
      [
        "Path      Type     Accessor        Description                Version",
        "----      ----     --------        -----------                -------",
        "token/    token    auth_token_1    token based credentials    n/a",
        "",
      ].join("\n"),
    );
    stub.on("DELETE", "sys/auth/userpass", { status: 204 });
    expect((await run(["auth", "disable", "userpass"], addr)).stdout).toBe("Success! Disabled the auth method (if it existed) at: userpass/\n");
  });
});

describe("audit", () => {
  it("enables a device with string options", async () => {
    stub.on("PUT", "sys/audit/file", { status: 204 });
    const r = await run(["audit", "enable", "file", "file_path=/var/log/audit.log", "log_raw=true"], addr);
    expect(r.stdout).toBe("Success! Enabled the file audit device at: file/\n");
    expect(stub.last().body).toEqual({ type: "file", description: "", options: { file_path: "/var/log/audit.log", log_raw: "true" }, local: false });
    stub.on("PUT", "sys/audit/stdout", { status: 204 });
    await run(["audit", "enable", "-path=stdout", "file", "file_path=stdout"], addr);
    expect(stub.last().path).toBe("sys/audit/stdout");
  });

  it("needs a type", async () => {
    const r = await run(["audit", "enable"], addr);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("audit type missing");
  });

  it("lists devices, exit 2 when there are none", async () => {
    stub.on("GET", "sys/audit", { body: { data: {} } });
    expect(await run(["audit", "list"], addr)).toMatchObject({ code: 2, stdout: "No audit devices are enabled.\n" });
    stub.on("GET", "sys/audit", { body: { data: { "file/": { path: "file/", type: "file", description: "", options: { file_path: "stdout" } } } } });
    expect((await run(["audit", "list"], addr)).stdout).toBe("Path     Type    Description\n----     ----    -----------\nfile/    file    n/a\n");
    expect((await run(["audit", "list", "-detailed"], addr)).stdout).toContain("file_path=stdout");
  });

  it("disables a device", async () => {
    stub.on("DELETE", "sys/audit/file", { status: 204 });
    expect((await run(["audit", "disable", "file/"], addr)).stdout).toBe("Success! Disabled audit device (if it was enabled) at: file/\n");
  });
});

describe("policy", () => {
  it("writes a policy from a file, lowercasing the name", async () => {
    const file = join(dir, "svc.hcl");
    await writeFile(file, 'path "database/creds/app-readonly" { capabilities = ["read"] }\n');
    stub.on("PUT", "sys/policies/acl/svc-payments", { status: 204 });
    const r = await run(["policy", "write", "SVC-payments", file], addr);
    expect(r).toMatchObject({ code: 0, stdout: "Success! Uploaded policy: svc-payments\n" });
    expect(stub.last().body).toEqual({ policy: 'path "database/creds/app-readonly" { capabilities = ["read"] }\n' });
  });

  it("writes a policy from stdin and reports an unreadable file", async () => {
    stub.on("PUT", "sys/policies/acl/p", { status: 204 });
    await run(["policy", "write", "p", "-"], addr, { stdin: 'path "x" {}' });
    expect(stub.last().body).toEqual({ policy: 'path "x" {}' });
    const r = await run(["policy", "write", "p", join(dir, "missing.hcl")], addr);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Error opening policy file: /);
  });

  it("reads, lists and deletes", async () => {
    stub.on("GET", "sys/policies/acl/p", { body: { data: { name: "p", policy: 'path "x" {}\n' } } });
    expect((await run(["policy", "read", "p"], addr)).stdout).toBe('path "x" {}\n');
    expect(JSON.parse((await run(["policy", "read", "-format=json", "p"], addr)).stdout)).toEqual({ policy: 'path "x" {}\n' });
    expect(await run(["policy", "read", "nope"], addr)).toMatchObject({ code: 2, stderr: "No policy named: nope\n" });
    stub.on("GET", "sys/policies/acl", { body: { data: { keys: ["default", "p", "root"] } } });
    expect((await run(["policy", "list"], addr)).stdout).toBe("default\np\nroot\n");
    expect(stub.last().query).toEqual({ list: "true" });
    stub.on("DELETE", "sys/policies/acl/p", { status: 204 });
    expect((await run(["policy", "delete", "p"], addr)).stdout).toBe("Success! Deleted policy: p\n");
  });

  it("fmt rewrites a policy file in canonical form, and leaves a broken one alone", async () => {
    const file = join(dir, "fmt.hcl");
    await writeFile(file, 'path "secret/*" {\ncapabilities=["read","list"]\n}\n');
    const r = await run(["policy", "fmt", file], addr);
    expect(r).toMatchObject({ code: 0, stdout: `Success! Formatted policy: ${file}\n` });
    expect(await readFile(file, "utf8")).toBe('path "secret/*" {\n  capabilities = ["read", "list"]\n}\n');
    const broken = 'path "x" {\n capabilities = [\n';
    await writeFile(file, broken);
    const bad = await run(["policy", "fmt", file], addr);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/3:1/);
    expect(await readFile(file, "utf8")).toBe(broken);
  });

  it("fmt reports an unreadable file locally with exit 1", async () => {
    const r = await run(["policy", "fmt", join(dir, "missing.hcl")], addr);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error reading source file: /);
    expect(stub.requests).toHaveLength(0);
  });
});
