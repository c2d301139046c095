import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { client } from "./support/http.js";

let server: DevServer;
let root: ReturnType<typeof client>;

beforeAll(async () => {
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0" });
  root = client(server.addresses[0] as string, server.rootToken);
});
afterAll(async () => {
  await server.close();
});

describe("password policies", () => {
  const policy = `length = 24
rule "charset" {
  charset = "abcdefghijklmnopqrstuvwxyz"
  min-chars = 2
}
rule "charset" {
  charset = "0123456789"
  min-chars = 3
}
`;

  it("stores a policy, generates passwords that satisfy it, lists and deletes it", async () => {
    expect((await root.put("sys/policies/password/pin-ish", { policy })).status).toBe(204);
    expect((await root.get("sys/policies/password/pin-ish")).json.data.policy).toBe(policy);
    for (let i = 0; i < 20; i++) {
      const pw = (await root.get("sys/policies/password/pin-ish/generate")).json.data.password as string;
      expect(pw).toMatch(/^[a-z0-9]{24}$/);
      expect(pw.replace(/[^0-9]/g, "").length).toBeGreaterThanOrEqual(3);
      expect(pw.replace(/[^a-z]/g, "").length).toBeGreaterThanOrEqual(2);
    }
    expect((await root.list("sys/policies/password")).json.data.keys).toEqual(["pin-ish"]);
    expect((await root.delete("sys/policies/password/pin-ish")).status).toBe(204);
    expect((await root.get("sys/policies/password/pin-ish")).status).toBe(404);
    expect((await root.get("sys/policies/password/pin-ish/generate")).status).toBe(404);
  });

  it("refuses impossible and malformed policies with 400", async () => {
    const tooShort = await root.put("sys/policies/password/bad", { policy: 'length = 3\nrule "charset" { charset = "ab" }' });
    expect(tooShort.status).toBe(400);
    const overfull = await root.put("sys/policies/password/bad", {
      policy: 'length = 4\nrule "charset" {\n charset = "ab"\n min-chars = 5\n}',
    });
    expect(overfull.status).toBe(400);
    const garbage = await root.put("sys/policies/password/bad", { policy: "length = = 4" });
    expect(garbage.status).toBe(400);
    expect(garbage.json.errors[0]).toMatch(/1/);
    expect((await root.get("sys/policies/password/bad")).status).toBe(404);
  });

  it("needs a policy that grants it", async () => {
    const token = (await root.post("auth/token/create", { policies: ["default"] })).json.auth.client_token as string;
    expect((await client(server.addresses[0] as string, token).get("sys/policies/password/x/generate")).status).toBe(403);
  });
});

describe("tools", () => {
  it("returns random bytes and hashes", async () => {
    const r = await root.post("sys/tools/random/16", { format: "hex" });
    expect(r.json.data.random_bytes).toMatch(/^[0-9a-f]{32}$/);
    const h = await root.post("sys/tools/hash/sha2-256", { input: Buffer.from("abc").toString("base64") });
    expect(h.json.data.sum).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect((await root.post("sys/tools/random/0")).status).toBe(400);
  });

  it("takes Vault's entropy source in the URL or the body; a Shamir seal has none", async () => {
    expect((await root.post("sys/tools/random/platform/8", { format: "hex" })).json.data.random_bytes).toMatch(/^[0-9a-f]{16}$/);
    expect(Buffer.from((await root.post("sys/tools/random/all")).json.data.random_bytes as string, "base64")).toHaveLength(32);
    expect((await root.post("sys/tools/random", { source: "platform", bytes: 4 })).status).toBe(200);
    const seal = await root.post("sys/tools/random/seal/8");
    expect(seal.status).toBe(400);
    expect(seal.json.errors[0]).toMatch(/no entropy source/);
    expect((await root.post("sys/tools/random/moon/8")).status).toBe(400);
  });
});

describe("leases API without leases", () => {
  it("reports no irrevocable leases, answers an unknown lease plainly", async () => {
    const irr = await root.get("sys/leases?type=irrevocable");
    expect(irr.json.data).toEqual({ lease_count: 0, leases: [] });
    expect((await root.put("sys/leases/lookup", { lease_id: "nope/abc" })).status).toBe(400);
    expect((await root.put("sys/leases/revoke", { lease_id: "nope/abc" })).status).toBe(204);
    expect((await root.put("sys/leases/renew", { lease_id: "nope/abc" })).status).toBe(400);
    expect((await root.list("sys/leases/lookup/nope/")).status).toBe(404);
  });

  it("needs sudo to list leases", async () => {
    await root.put("sys/policies/acl/lease-reader", { policy: 'path "sys/leases/lookup/*" { capabilities = ["list"] }' });
    const token = (await root.post("auth/token/create", { policies: ["lease-reader"] })).json.auth.client_token as string;
    expect((await client(server.addresses[0] as string, token).list("sys/leases/lookup/x/")).status).toBe(403);
  });
});

describe("sys/internal/ui/mounts without a token", () => {
  it("lists only mounts tuned listing_visibility=unauth, with just type, description and options", async () => {
    const anonymous = client(server.addresses[0] as string);
    expect((await root.post("sys/auth/ui-login", { type: "userpass", description: "people" })).status).toBe(204);
    const before = await anonymous.get("sys/internal/ui/mounts");
    expect(before.status).toBe(200);
    expect(before.json.data).toEqual({ secret: {}, auth: {} });

    expect((await root.post("sys/auth/ui-login/tune", { listing_visibility: "unauth" })).status).toBe(204);
    const after = await anonymous.get("sys/internal/ui/mounts");
    expect(after.json.data.secret).toEqual({});
    expect(after.json.data.auth).toEqual({ "ui-login/": { type: "userpass", description: "people", options: null } });
    // With a token the same mount shows in full.
    const full = await root.get("sys/internal/ui/mounts");
    expect(full.json.data.auth["ui-login/"]).toMatchObject({ type: "userpass", accessor: expect.any(String) });
  });
});

describe("paths of nothing but slashes", () => {
  it("are answered (4xx) and leave the server serving; `/v1/?list=true` used to spin the event loop", async () => {
    const base = server.addresses[0] as string;
    for (const [method, path] of [["GET", "/v1/?list=true"], ["PATCH", "/v1/"], ["GET", "/v1//"], ["POST", "/v1//secret/x"]] as const) {
      for (const token of [undefined, server.rootToken]) {
        const r = await fetch(base + path, {
          method,
          headers: { ...(token ? { "X-Vault-Token": token } : {}), "Content-Type": "application/json" },
          ...(method === "GET" ? {} : { body: "{}" }),
          signal: AbortSignal.timeout(5_000),
        });
        expect(r.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${method} ${path}`).toBeLessThan(500);
      }
    }
    expect((await root.get("sys/health")).status).toBe(200);
  });
});
