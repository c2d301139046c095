/**
 * What clients other than node-vault (hvac, hashi-vault-js, @litehex/node-vault, the Go CLI)
 * send and rely on, reproduced in raw HTTP against an in-process dev server, as listed in
 * ../shared/reference/client-compat.md. test/client-compat.test.ts has node-vault itself.
 */
import { describe, expect, it } from "vitest";
import { api } from "./support/http.js";
import { useDevServer } from "./support/dev-server.js";
import { nodeVault } from "./support/node-vault.js";

const ROOT = "compat-root";
const server = useDevServer(ROOT);

describe("raw HTTP as other clients send it", () => {
  it("needs no X-Vault-Request header, and accepts it", async () => {
    await server.root.put("secret/data/hdr", { data: { v: "1" } });
    const without = await api(server.url, "GET", "secret/data/hdr", { token: ROOT });
    expect(without.status).toBe(200);
    const withIt = await api(server.url, "GET", "secret/data/hdr", { token: ROOT, headers: { "X-Vault-Request": "true" } });
    expect(withIt.status).toBe(200);
    expect(withIt.json.data.data).toEqual(without.json.data.data);
  });

  it("LIST as hashi-vault-js, node-vault-client and litehex send it, with and without a trailing slash", async () => {
    await server.root.put("secret/data/lst/a", { data: { v: "1" } });
    await server.root.put("secret/data/lst/b/c", { data: { v: "2" } });
    for (const path of ["secret/metadata/lst", "secret/metadata/lst/"]) {
      const r = await api(server.url, "LIST", path, { token: ROOT });
      expect(r.status, path).toBe(200);
      expect(r.json.data.keys).toEqual(["a", "b/"]);
    }
    // node-vault's generated LIST commands and its GET ?list=true ones.
    const { c, sent } = nodeVault({ endpoint: server.url, token: ROOT });
    expect((await c.tokenAccessors()).data.keys.length).toBeGreaterThan(0);
    await server.root.post("auth/token/roles/nv-role", { allowed_policies: ["default"] });
    expect((await c.tokenRoles()).data.keys).toContain("nv-role");
    expect(sent).toEqual(["LIST /auth/token/accessors", "GET /auth/token/roles?list=true"]);
  });

  it("envelope snapshots: a write that returns data, and a token login's auth block", async () => {
    const w = await server.root.post("secret/data/snap", { data: { v: "1" } });
    expect(w.status).toBe(200);
    expect(w.headers["content-type"]).toBe("application/json");
    expect(Object.keys(w.json).sort()).toEqual(
      ["auth", "data", "lease_duration", "lease_id", "mount_type", "renewable", "request_id", "warnings", "wrap_info"],
    );
    expect(w.json).toMatchObject({ lease_id: "", renewable: false, lease_duration: 0, wrap_info: null, warnings: null, auth: null });
    expect(w.json.data).toEqual({
      version: 1,
      created_time: expect.any(String),
      deletion_time: "",
      destroyed: false,
      custom_metadata: null,
    });

    const login = await server.root.post("auth/token/create", { policies: ["default"], ttl: "1h", meta: { team: "a" } });
    expect(login.status).toBe(200);
    expect(login.json.data).toBeNull();
    expect(login.json.lease_id).toBe("");
    const auth = login.json.auth as Record<string, unknown>;
    for (const [k, type] of Object.entries({
      client_token: "string", accessor: "string", policies: "object", token_policies: "object", lease_duration: "number",
      renewable: "boolean", entity_id: "string", token_type: "string", orphan: "boolean", metadata: "object",
    })) {
      expect(typeof auth[k], k).toBe(type);
    }
    expect(auth["metadata"]).toEqual({ team: "a" });
    expect(auth["token_type"]).toBe("service");
    // identity_policies: omitted or null when empty, never an empty list.
    expect(auth["identity_policies"] ?? null).toBeNull();
  });

  it("HEAD sys/health: the status alone", async () => {
    const r = await api(server.url, "HEAD", "sys/health");
    expect(r.status).toBe(200);
    expect(r.text).toBe("");
  });

  it("sys/seal-status and sys/health carry every key litehex requires, bare (no envelope)", async () => {
    const seal = (await api(server.url, "GET", "sys/seal-status")).json;
    expect(seal).toMatchObject({
      type: "shamir",
      initialized: true,
      sealed: false,
      t: 1,
      n: 1,
      progress: 0,
      nonce: expect.any(String),
      version: expect.any(String),
      build_date: expect.any(String),
      migration: false,
      recovery_seal: false,
      storage_type: "inmem",
      cluster_name: expect.any(String),
      cluster_id: expect.any(String),
    });
    expect(seal).not.toHaveProperty("data");
    const health = (await api(server.url, "GET", "sys/health")).json;
    expect(health).toMatchObject({
      initialized: true,
      sealed: false,
      standby: false,
      performance_standby: false,
      replication_performance_mode: expect.any(String),
      replication_dr_mode: expect.any(String),
      server_time_utc: expect.any(Number),
      version: seal.version,
      cluster_name: seal.cluster_name,
      cluster_id: seal.cluster_id,
    });
    expect(health).not.toHaveProperty("data");
  });

  it("a deleted KV v2 version: 404 with the full envelope and its metadata (client-compat 4.2)", async () => {
    await server.root.put("secret/data/gone", { data: { v: "1" } });
    const created = (await server.root.get("secret/metadata/gone")).json.data.versions["1"].created_time as string;
    expect((await server.root.delete("secret/data/gone")).status).toBe(204);
    const r = await server.root.get("secret/data/gone");
    expect(r.status).toBe(404);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(Object.keys(r.json).sort()).toEqual(
      ["auth", "data", "lease_duration", "lease_id", "mount_type", "renewable", "request_id", "warnings", "wrap_info"],
    );
    expect(r.json).toMatchObject({ lease_id: "", renewable: false, lease_duration: 0, wrap_info: null, warnings: null, auth: null });
    expect(r.json.errors).toBeUndefined();
    expect(r.json.data).toEqual({
      data: null,
      metadata: {
        version: 1,
        created_time: created,
        deletion_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        destroyed: false,
        custom_metadata: null,
      },
    });

    // Destroyed: deletion_time stays "" when the version was never soft-deleted.
    await server.root.put("secret/data/gone2", { data: { v: "1" } });
    expect((await server.root.put("secret/destroy/gone2", { versions: [1] })).status).toBe(204);
    const d = await server.root.get("secret/data/gone2");
    expect(d.status).toBe(404);
    expect(d.json.data).toEqual({
      data: null,
      metadata: { version: 1, created_time: expect.any(String), deletion_time: "", destroyed: true, custom_metadata: null },
    });
  });

  it("hashi-vault-js createKVSecret (options.cas 0) twice: the second is 400 with Vault's message", async () => {
    const body = { options: { cas: 0 }, data: { user: "a" } };
    const first = await server.root.post("secret/data/hvjs", body);
    expect(first.status).toBe(200);
    expect(first.json.data.version).toBe(1);
    const second = await server.root.post("secret/data/hvjs", { ...body, data: { user: "b" } });
    expect(second.status).toBe(400);
    expect(second.json).toEqual({ errors: ["check-and-set parameter did not match the current version"] });
    expect((await server.root.get("secret/data/hvjs")).json.data.data).toEqual({ user: "a" });
  });

  it("hvac's always-empty options and the CLI's string versions are accepted", async () => {
    expect((await server.root.post("secret/data/hvac", { data: { k: "v" }, options: {} })).status).toBe(200);
    await server.root.post("secret/data/hvac", { data: { k: "v2" }, options: {} });
    expect((await server.root.post("secret/delete/hvac", { versions: ["1"] })).status).toBe(204);
    const meta = (await server.root.get("secret/metadata/hvac")).json.data;
    expect(meta.versions["1"].deletion_time).not.toBe("");
    expect(meta.versions["2"].deletion_time).toBe("");
  });
});
