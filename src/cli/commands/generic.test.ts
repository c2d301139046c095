import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StubServer, run } from "../testing.js";

const stub = new StubServer();
let addr = "";
let dir = "";

const creds = {
  request_id: "req-1",
  lease_id: "database/creds/app-readonly/8a2f3c1d",
  lease_duration: 3600,
  renewable: true,
  data: { username: "v-token-app", password: "A1a-xyz" },
  warnings: null,
};

beforeAll(async () => {
  addr = await stub.start();
  dir = await mkdtemp(join(tmpdir(), "mayfly-generic-"));
});
afterAll(async () => {
  await stub.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  stub.requests.length = 0;
});

describe("read", () => {
  it("prints a leased secret as a table", async () => {
    stub.on("GET", "database/creds/app-readonly", { body: creds });
    const r = await run(["read", "database/creds/app-readonly"], addr);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "Key                Value",
        "---                -----",
        "lease_id           database/creds/app-readonly/8a2f3c1d",
        "lease_duration     1h",
        "lease_renewable    true",
        "password           A1a-xyz",
        "username           v-token-app",
        "",
      ].join("\n"),
    );
    expect(stub.last().headers["x-vault-token"]).toBe("test-token");
  });

  it("prints -format=json for jq, in any flag position", async () => {
    stub.on("GET", "aws/creds/deploy", { body: { ...creds, data: { access_key: "AKIA" } } });
    for (const argv of [["read", "-format=json", "aws/creds/deploy"], ["read", "aws/creds/deploy", "--format", "json"]]) {
      const r = await run(argv, addr);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).data.access_key).toBe("AKIA");
    }
  });

  it("honours VAULT_FORMAT and MAYFLY_FORMAT", async () => {
    stub.on("GET", "secret/x", { body: { data: { a: "b" } } });
    expect(JSON.parse((await run(["read", "secret/x"], addr, { env: { VAULT_FORMAT: "json" } })).stdout).data).toEqual({ a: "b" });
    expect((await run(["read", "secret/x"], addr, { env: { MAYFLY_FORMAT: "yaml" } })).stdout).toContain("data:\n  a: b\n");
  });

  it("prints one field raw with -field", async () => {
    stub.on("GET", "database/creds/app-readonly", { body: creds });
    const r = await run(["read", "-field=password", "database/creds/app-readonly"], addr);
    expect(r).toMatchObject({ code: 0, stdout: "A1a-xyz" });
  });

  it("exits 2 with 'No value found' on a 404", async () => {
    const r = await run(["read", "secret/missing"], addr);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("No value found at secret/missing\n");
  });

  it("exits 2 with the API error on a 403", async () => {
    stub.on("GET", "secret/denied", { status: 403, body: { errors: ["permission denied"] } });
    const r = await run(["read", "secret/denied"], addr);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `Error reading secret/denied: Error making API request.\n\nURL: GET ${addr}/v1/secret/denied\nCode: 403. Errors:\n\n* permission denied\n`,
    );
  });

  it("sends extra k=v as query parameters and trims slashes", async () => {
    stub.on("GET", "pki/cert/ca", { body: { data: { certificate: "PEM" } } });
    await run(["read", "/pki/cert/ca/", "format=pem"], addr);
    expect(stub.last().query).toEqual({ format: "pem" });
  });

  it("exits 1 without a path", async () => {
    const r = await run(["read"], addr);
    expect(r).toMatchObject({ code: 1, stderr: "Not enough arguments (expected 1, got 0)\n" });
    expect(stub.requests).toHaveLength(0);
  });

  it("prints the raw body with -format=raw", async () => {
    stub.on("GET", "sys/raw-ish", { body: { data: { x: 1 } } });
    const r = await run(["read", "-format=raw", "sys/raw-ish"], addr);
    expect(r.stdout).toBe('{"data":{"x":1}}\n');
  });
});

describe("write", () => {
  it("sends k=v data as strings and reports success on 204", async () => {
    stub.on("PUT", "database/roles/app", { status: 204 });
    const r = await run(["write", "database/roles/app", "db_name=prod", "default_ttl=1h", "max_ttl=24h"], addr);
    expect(r).toMatchObject({ code: 0, stdout: "Success! Data written to: database/roles/app\n" });
    expect(stub.last()).toMatchObject({ method: "PUT", body: { db_name: "prod", default_ttl: "1h", max_ttl: "24h" } });
  });

  it("requires data unless -force or -f", async () => {
    const r = await run(["write", "database/config/prod/rotate-root"], addr);
    expect(r).toMatchObject({ code: 1, stderr: "Must supply data or use -force\n" });
    stub.on("PUT", "database/config/prod/rotate-root", { status: 204 });
    for (const flag of ["-force", "-f", "--force=true"]) {
      const ok = await run(["write", flag, "database/config/prod/rotate-root"], addr);
      expect(ok.code).toBe(0);
      expect(stub.last().body).toEqual({});
    }
  });

  it("reads values from files and stdin, and builds lists from repeated keys", async () => {
    const file = join(dir, "stmt.sql");
    await writeFile(file, "CREATE ROLE x;");
    stub.on("PUT", "database/roles/r", { status: 204 });
    const r = await run(["write", "database/roles/r", `creation_statements=@${file}`, "password=-", "allowed=a", "allowed=b"], addr, {
      stdin: "pw\n",
    });
    expect(r.code).toBe(0);
    expect(stub.last().body).toEqual({ creation_statements: "CREATE ROLE x;", password: "pw\n", allowed: ["a", "b"] });
  });

  it("reads a whole JSON body from stdin with -", async () => {
    stub.on("PUT", "sys/leases/lookup", { body: { data: { id: "l1", ttl: 60 } } });
    const r = await run(["write", "sys/leases/lookup", "-"], addr, { stdin: '{"lease_id":"l1"}' });
    expect(stub.last().body).toEqual({ lease_id: "l1" });
    expect(r.stdout).toBe("Key    Value\n---    -----\nid     l1\nttl    1m\n");
  });

  it("exits 1 on malformed data", async () => {
    const r = await run(["write", "secret/x", "novalue"], addr);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("Failed to parse K=V data: Invalid key/value pair 'novalue': format must be key=value\n");
    expect(stub.requests).toHaveLength(0);
  });

  it("exits 2 with the server's 400 errors", async () => {
    stub.on("PUT", "database/roles/bad", { status: 400, body: { errors: ['unknown role: bad'] } });
    const r = await run(["write", "database/roles/bad", "x=y"], addr);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Error writing data to database/roles/bad: Error making API request.");
    expect(r.stderr).toContain("Code: 400. Errors:\n\n* unknown role: bad");
  });

  it("prints a returned secret, or nothing in json mode on 204", async () => {
    stub.on("PUT", "transit/encrypt/k", { body: { data: { ciphertext: "vault:v1:abc" } } });
    const r = await run(["write", "-field=ciphertext", "transit/encrypt/k", "plaintext=aGk="], addr);
    expect(r.stdout).toBe("vault:v1:abc");
    stub.on("PUT", "secret/y", { status: 204 });
    expect((await run(["write", "-format=json", "secret/y", "a=b"], addr)).stdout).toBe("");
  });
});

describe("patch", () => {
  it("sends a JSON merge patch", async () => {
    stub.on("PATCH", "pki/roles/r", { status: 204 });
    const r = await run(["patch", "pki/roles/r", "allow_localhost=false"], addr);
    expect(r.code).toBe(0);
    expect(stub.last()).toMatchObject({ method: "PATCH", body: { allow_localhost: "false" } });
    expect(stub.last().headers["content-type"]).toBe("application/merge-patch+json");
  });
});

describe("list", () => {
  it("lists with GET ?list=true without the trailing slash", async () => {
    stub.on("GET", "sys/leases/lookup/database/creds/app-readonly", { body: { data: { keys: ["b2", "a1"] } } });
    const r = await run(["list", "sys/leases/lookup/database/creds/app-readonly/"], addr);
    expect(r).toMatchObject({ code: 0, stdout: "Keys\n----\na1\nb2\n" });
    expect(stub.last()).toMatchObject({ method: "GET", path: "sys/leases/lookup/database/creds/app-readonly", query: { list: "true" } });
  });

  it("prints only the keys array as json", async () => {
    stub.on("GET", "secret/metadata", { body: { data: { keys: ["x", "y/"] } } });
    const r = await run(["list", "-format=json", "secret/metadata"], addr);
    expect(JSON.parse(r.stdout)).toEqual(["x", "y/"]);
  });

  it("exits 2 on an empty list, as Vault does", async () => {
    const table = await run(["list", "secret/none"], addr);
    expect(table).toMatchObject({ code: 2, stderr: "No value found at secret/none\n" });
    const json = await run(["list", "-format=json", "secret/none"], addr);
    expect(json).toMatchObject({ code: 2, stdout: "{}\n" });
  });
});

describe("delete", () => {
  it("deletes and reports success", async () => {
    stub.on("DELETE", "secret/foo", { status: 204 });
    const r = await run(["delete", "secret/foo"], addr);
    expect(r).toMatchObject({ code: 0, stdout: "Success! Data deleted (if it existed) at: secret/foo\n" });
    expect(stub.last().method).toBe("DELETE");
  });

  it("exits 2 on a server error", async () => {
    stub.on("DELETE", "sys/mounts/sys", { status: 400, body: { errors: ["cannot unmount \"sys/\""] } });
    const r = await run(["delete", "sys/mounts/sys"], addr);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Error deleting sys/mounts/sys:");
  });
});
