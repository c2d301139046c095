/**
 * Answers that the official Go client (github.com/hashicorp/vault/api) and hvac depend on,
 * each found by the probes under compat/ and fixed; tested here over raw HTTP so that they
 * hold even where neither Go nor hvac is installed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../src/server/app.js";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { InmemStorage } from "../src/storage/inmem.js";
import { api, client } from "./support/http.js";

let server: DevServer;
let root: ReturnType<typeof client>;

beforeAll(async () => {
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: "fixes-root" });
  root = client(server.addresses[0] as string, "fixes-root");
});

afterAll(async () => {
  await server?.close();
});

describe("sys/remount as the Go client's Sys().Remount polls it", () => {
  it("answers a migration id whose status reads success with both mount paths", async () => {
    expect((await root.post("sys/mounts/move-from", { type: "kv" })).status).toBe(204);
    const started = await root.post("sys/remount", { from: "move-from", to: "move-to" });
    expect(started.status).toBe(200);
    const id = started.json.data.migration_id as string;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(started.json.migration_id).toBe(id);

    const status = await root.get(`sys/remount/status/${id}`);
    expect(status.status).toBe(200);
    expect(status.json.data).toEqual({
      migration_id: id,
      migration_info: { source_mount: "move-from/", target_mount: "move-to/", status: "success" },
    });
  });

  it("answers an unknown migration id with an empty 404", async () => {
    const res = await root.get("sys/remount/status/00000000-0000-0000-0000-000000000000");
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ errors: [] });
  });
});

describe("an auth mount's token_type decides the type of its logins' tokens", () => {
  async function loginOn(mount: string, tokenType: string | undefined, userTokenType?: string) {
    const config = tokenType === undefined ? {} : { token_type: tokenType };
    expect((await root.post(`sys/auth/${mount}`, { type: "userpass", config })).status).toBe(204);
    const user: Record<string, unknown> = { password: "pw" };
    if (userTokenType !== undefined) user.token_type = userTokenType;
    expect((await root.post(`auth/${mount}/users/u`, user)).status).toBe(204);
    const login = await client(server.addresses[0] as string).post(`auth/${mount}/login/u`, { password: "pw" });
    expect(login.status).toBe(200);
    return login.json.auth as { client_token: string; accessor: string; renewable: boolean; token_type: string };
  }

  it("gives batch tokens on a mount tuned to batch, as the Go client's EnableAuthWithOptions sets it", async () => {
    const auth = await loginOn("tt-batch", "batch");
    expect(auth.token_type).toBe("batch");
    expect(auth.client_token.startsWith("hvb.")).toBe(true);
    expect(auth.accessor).toBe("");
    expect(auth.renewable).toBe(false);
    const tune = await root.get("sys/auth/tt-batch/tune");
    expect(tune.json.data.token_type).toBe("batch");
  });

  it("lets default-batch turn the method's default into batch but keep a user's explicit service", async () => {
    expect((await loginOn("tt-defbatch", "default-batch")).token_type).toBe("batch");
    expect((await loginOn("tt-defbatch-svc", "default-batch", "service")).token_type).toBe("service");
  });

  it("gives service tokens by default, and batch when the user asks on a default-service mount", async () => {
    expect((await loginOn("tt-default", undefined)).token_type).toBe("service");
    expect((await loginOn("tt-default-user-batch", "default-service", "batch")).token_type).toBe("batch");
  });

  it("refuses a token_type Vault does not know", async () => {
    const res = await root.post("sys/auth/tt-bad", { type: "userpass", config: { token_type: "sometimes" } });
    expect(res.status).toBe(400);
    expect(res.json.errors[0]).toContain("token_type");
  });
});

describe("sys/init with the bodies real clients send", () => {
  // Exactly what api.InitRequest{SecretShares: 3, SecretThreshold: 2} marshals to.
  const goBody = {
    secret_shares: 3, secret_threshold: 2, stored_shares: 0, pgp_keys: null,
    recovery_shares: 0, recovery_threshold: 0, recovery_pgp_keys: null, root_token_pgp_key: "",
  };
  // hvac 0.11.2's sys.initialize(secret_shares=3, secret_threshold=2).
  const hvacBody = { secret_shares: 3, secret_threshold: 2, root_token_pgp_key: null };

  for (const [name, body] of [["Go", goBody], ["hvac", hvacBody]] as const) {
    it(`initialises with ${name}'s empty PGP fields, and refuses malformed PGP keys`, async () => {
      const fresh = await startServer({
        storage: new InmemStorage(),
        storageType: "inmem",
        listeners: [{ address: "127.0.0.1:0", tlsDisable: true }],
        logger: silentLogger,
      });
      try {
        const url = fresh.addresses[0] as string;
        const withPgp = await api(url, "PUT", "sys/init", { body: { ...body, pgp_keys: ["a", "b", "c"] } });
        expect(withPgp.status).toBe(400);
        const res = await api(url, "PUT", "sys/init", { body });
        expect(res.status).toBe(200);
        expect(res.json.keys).toHaveLength(3);
        expect(res.json.keys_base64).toHaveLength(3);
        expect(typeof res.json.root_token).toBe("string");
      } finally {
        await fresh.close();
      }
    });
  }
});

describe("token renewal without an increment, as the Go LifetimeWatcher and node-vault send it", () => {
  it("grants the TTL of the latest renewal, not the creation TTL, as Vault's lease entry keeps it", async () => {
    const created = await root.post("auth/token/create", { ttl: "1h", explicit_max_ttl: "10h" });
    const token = created.json.auth.client_token as string;
    const self = client(server.addresses[0] as string, token);
    expect((await self.put("auth/token/renew-self", {})).json.auth.lease_duration).toBe(3600);
    expect((await root.put("auth/token/renew", { token, increment: "2h" })).json.auth.lease_duration).toBe(7200);
    expect((await self.put("auth/token/renew-self", {})).json.auth.lease_duration).toBe(7200);
    expect((await self.put("auth/token/renew-self", { increment: 600 })).json.auth.lease_duration).toBe(600);
    expect((await self.put("auth/token/renew-self", { increment: 0 })).json.auth.lease_duration).toBe(600);
  });
});
