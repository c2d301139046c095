import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { StubServer, run } from "../testing.js";

const stub = new StubServer();
let addr = "";

const authResponse = {
  request_id: "r",
  lease_id: "",
  lease_duration: 0,
  renewable: false,
  data: null,
  warnings: null,
  auth: {
    client_token: "s.child",
    accessor: "acc-1",
    policies: ["default", "training"],
    token_policies: ["default", "training"],
    identity_policies: null,
    metadata: null,
    orphan: false,
    entity_id: "",
    lease_duration: 3600,
    renewable: true,
  },
};

beforeAll(async () => {
  addr = await stub.start();
  stub
    .on("POST", "auth/token/create", { body: authResponse })
    .on("POST", "auth/token/create-orphan", { body: authResponse })
    .on("POST", "auth/token/create/ci", { body: authResponse });
});
afterAll(() => stub.close());
beforeEach(() => {
  stub.requests.length = 0;
});

describe("token create", () => {
  it("sends Vault's fields and prints the token table", async () => {
    const r = await run(
      ["token", "create", "-policy=training", "-policy", "other", "-ttl=1h", "-explicit-max-ttl=24h", "-period=30m", "-use-limit=3", "-display-name=ci", "-metadata", "team=ops", "-no-default-policy", "-renewable=false"],
      addr,
    );
    expect(r.code).toBe(0);
    expect(stub.last()).toMatchObject({ method: "POST", path: "auth/token/create" });
    expect(stub.last().body).toEqual({
      policies: ["training", "other"],
      meta: { team: "ops" },
      ttl: "1h0m0s",
      explicit_max_ttl: "24h0m0s",
      period: "30m0s",
      num_uses: 3,
      display_name: "ci",
      no_default_policy: true,
      renewable: false,
    });
    expect(r.stdout).toBe(
      [
        "Key                  Value",
        "---                  -----",
        "token                s.child",
        "token_accessor       acc-1",
        "token_duration       1h",
        "token_renewable      true",
        'token_policies       ["default" "training"]',
        "identity_policies    []",
        'policies             ["default" "training"]',
        "",
      ].join("\n"),
    );
  });

  it("uses create-orphan and create/<role>", async () => {
    await run(["token", "create", "-orphan"], addr);
    expect(stub.last()).toMatchObject({ path: "auth/token/create-orphan", body: { no_parent: true, renewable: true } });
    await run(["token", "create", "-role=ci"], addr);
    expect(stub.last().path).toBe("auth/token/create/ci");
  });

  it("prints just the token with -field=token and the envelope with -format=json", async () => {
    expect((await run(["token", "create", "-field=token"], addr)).stdout).toBe("s.child");
    const json = JSON.parse((await run(["token", "create", "-format=json"], addr)).stdout);
    expect(json.auth.client_token).toBe("s.child");
  });
});

describe("token lookup", () => {
  const lookup = { data: { id: "s.x", policies: ["root"], ttl: 0, creation_ttl: 0, meta: null, num_uses: 0 } };

  it("looks up self, a token, or an accessor", async () => {
    stub.on("GET", "auth/token/lookup-self", { body: lookup });
    stub.on("POST", "auth/token/lookup", { body: lookup });
    stub.on("POST", "auth/token/lookup-accessor", { body: lookup });
    const self = await run(["token", "lookup"], addr);
    expect(self.stdout).toContain("policies        [root]");
    expect(self.stdout).toContain("ttl             0s");
    await run(["token", "lookup", "s.other"], addr);
    expect(stub.last().body).toEqual({ token: "s.other" });
    await run(["token", "lookup", "-accessor", "acc-9"], addr);
    expect(stub.last()).toMatchObject({ path: "auth/token/lookup-accessor", body: { accessor: "acc-9" } });
  });

  it("exits 2 with the lookup error", async () => {
    stub.on("POST", "auth/token/lookup", { status: 403, body: { errors: ["bad token"] } });
    const r = await run(["token", "lookup", "s.bad"], addr);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Error looking up token: Error making API request\./);
  });
});

describe("token renew", () => {
  it("renews self or a token with an increment in seconds", async () => {
    stub.on("PUT", "auth/token/renew-self", { body: authResponse });
    stub.on("PUT", "auth/token/renew", { body: authResponse });
    await run(["token", "renew", "-increment=30m"], addr);
    expect(stub.last()).toMatchObject({ path: "auth/token/renew-self", body: { increment: 1800 } });
    await run(["token", "renew", "-i", "1h", "s.abc"], addr);
    expect(stub.last()).toMatchObject({ path: "auth/token/renew", body: { token: "s.abc", increment: 3600 } });
  });
});

describe("token revoke", () => {
  it("revokes by token, self, accessor, orphan mode and path mode", async () => {
    for (const p of ["auth/token/revoke", "auth/token/revoke-self", "auth/token/revoke-accessor", "auth/token/revoke-orphan", "sys/leases/revoke-prefix/auth/github"]) {
      stub.on("PUT", p, { status: 204 });
    }
    const r = await run(["token", "revoke", "s.abc"], addr);
    expect(r).toMatchObject({ code: 0, stdout: "Success! Revoked token (if it existed)\n" });
    expect(stub.last()).toMatchObject({ path: "auth/token/revoke", body: { token: "s.abc" } });
    await run(["token", "revoke", "-self"], addr);
    expect(stub.last().path).toBe("auth/token/revoke-self");
    await run(["token", "revoke", "-accessor", "acc"], addr);
    expect(stub.last()).toMatchObject({ path: "auth/token/revoke-accessor", body: { accessor: "acc" } });
    await run(["token", "revoke", "-mode=orphan", "s.abc"], addr);
    expect(stub.last().path).toBe("auth/token/revoke-orphan");
    await run(["token", "revoke", "-mode=path", "auth/github"], addr);
    expect(stub.last().path).toBe("sys/leases/revoke-prefix/auth/github");
  });

  it("rejects contradictory flags with exit 1", async () => {
    expect(await run(["token", "revoke", "-self", "-accessor"], addr)).toMatchObject({ code: 1, stderr: "Cannot use -self with -accessor!\n" });
    expect(await run(["token", "revoke"], addr)).toMatchObject({ code: 1, stderr: "Not enough arguments (expected 1 or -self, got 0)\n" });
    expect(await run(["token", "revoke", "-mode=x", "t"], addr)).toMatchObject({ code: 1, stderr: "Invalid mode: x\n" });
    expect(stub.requests).toHaveLength(0);
  });
});

describe("token capabilities", () => {
  it("asks capabilities-self with paths and prints them sorted", async () => {
    stub.on("POST", "sys/capabilities-self", { body: { data: { capabilities: ["update", "read"], "secret/foo": ["update", "read"] } } });
    const r = await run(["token", "capabilities", "secret/foo"], addr);
    expect(r).toMatchObject({ code: 0, stdout: "read, update\n" });
    expect(stub.last().body).toEqual({ paths: ["secret/foo"] });
  });

  it("asks sys/capabilities for another token, json as a list", async () => {
    stub.on("POST", "sys/capabilities", { body: { data: { capabilities: ["deny"] } } });
    const r = await run(["token", "capabilities", "-format=json", "s.other", "secret/foo"], addr);
    expect(JSON.parse(r.stdout)).toEqual(["deny"]);
    expect(stub.last().body).toEqual({ token: "s.other", paths: ["secret/foo"] });
  });
});
