import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { StubServer, run } from "../testing.js";

const stub = new StubServer();
let addr = "";
const id = "database/creds/app-readonly/8a2f3c1d";

beforeAll(async () => {
  addr = await stub.start();
  stub
    .on("PUT", `sys/leases/revoke/${id}`, (req) => ({ status: (req.body as { sync?: boolean }).sync ? 204 : 202 }))
    .on("PUT", "sys/leases/revoke-prefix/database/creds/app-readonly/", { status: 202 })
    .on("PUT", "sys/leases/revoke-force/database/creds/app-readonly/", { status: 204 })
    .on("PUT", "sys/leases/renew", { body: { lease_id: id, lease_duration: 7200, renewable: true, data: null } })
    .on("PUT", "sys/leases/lookup", {
      body: { data: { id, issue_time: "2024-01-01T00:00:00Z", expire_time: "2024-01-01T01:00:00Z", last_renewal: null, renewable: true, ttl: 3599 } },
    });
});
afterAll(() => stub.close());
beforeEach(() => {
  stub.requests.length = 0;
});

describe("lease revoke", () => {
  it("queues by default: PUT revoke/<id> with sync false", async () => {
    const r = await run(["lease", "revoke", id], addr);
    expect(r).toMatchObject({ code: 0, stdout: "All revocation operations queued successfully!\n" });
    expect(stub.last()).toMatchObject({ method: "PUT", path: `sys/leases/revoke/${id}`, body: { sync: false } });
  });

  it("waits with -sync", async () => {
    const r = await run(["lease", "revoke", "-sync", id], addr);
    expect(r.stdout).toBe(`Success! Revoked lease: ${id}\n`);
    expect(stub.last().body).toEqual({ sync: true });
  });

  it("revokes a prefix, keeping its trailing slash", async () => {
    const r = await run(["lease", "revoke", "-prefix", "database/creds/app-readonly/"], addr);
    expect(r.stdout).toBe("All revocation operations queued successfully!\n");
    expect(stub.last()).toMatchObject({ path: "sys/leases/revoke-prefix/database/creds/app-readonly/", body: { sync: false } });
  });

  it("force-revokes with no body, warning first", async () => {
    const r = await run(["lease", "revoke", "-force", "-prefix", "database/creds/app-readonly/"], addr);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Success! Force revoked any leases with prefix: database/creds/app-readonly/\n");
    expect(r.stderr).toContain("Force-removing leases");
    expect(stub.last()).toMatchObject({ path: "sys/leases/revoke-force/database/creds/app-readonly/", rawBody: "" });
  });

  it("needs -prefix for -force", async () => {
    expect(await run(["lease", "revoke", "-force", id], addr)).toMatchObject({ code: 1, stderr: "Specifying -force requires also specifying -prefix\n" });
    expect(stub.requests).toHaveLength(0);
  });

  it("exits 2 with the server's error", async () => {
    const r = await run(["lease", "revoke", "nope/1"], addr);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Error revoking lease nope\/1: Error making API request\./);
  });
});

describe("lease renew and lookup", () => {
  it("renews with the increment in seconds", async () => {
    const r = await run(["lease", "renew", "-increment=1h", id], addr);
    expect(stub.last().body).toEqual({ lease_id: id, increment: 3600 });
    expect(r.stdout).toBe(
      ["Key                Value", "---                -----", `lease_id           ${id}`, "lease_duration     2h", "lease_renewable    true", ""].join("\n"),
    );
    await run(["lease", "renew", id], addr);
    expect(stub.last().body).toEqual({ lease_id: id, increment: 0 });
  });

  it("looks up a lease", async () => {
    const r = await run(["lease", "lookup", id], addr);
    expect(stub.last().body).toEqual({ lease_id: id });
    expect(r.stdout).toContain("ttl             59m59s");
    expect(r.stdout).toContain("last_renewal    <nil>");
  });

  it("says \"Missing ID!\" without a lease id, as Vault's CLI does", async () => {
    stub.requests.length = 0;
    expect(await run(["lease", "lookup"], addr)).toMatchObject({ code: 1, stdout: "", stderr: "Missing ID!\n" });
    expect(await run(["lease", "lookup", "a", "b"], addr)).toMatchObject({ code: 1, stderr: "Too many arguments (expected 1, got 2)\n" });
    expect(stub.requests).toHaveLength(0);
  });
});
