/**
 * node-vault's own commands for the core's endpoints, called the way an application calls
 * them: the client checks its request and (for some commands) the response against its
 * schemas, so a key Mayfly names differently, or a type it gets wrong, fails here as it
 * would in the application. test/client-compat.test.ts covers the KV, policy, health and
 * seal commands; this file the mounts, audit, token, userpass, database and sys ones.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import vault from "node-vault";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";

const ROOT = "node-vault-commands-root";
let dev: DevServer;
let nv: ReturnType<typeof vault>;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mayfly-node-vault-"));
  dev = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: ROOT });
});

/**
 * A client holding the root token. node-vault's login and token-creating commands switch
 * the client to the token they got, so each test starts from a fresh one, and those calls
 * go through one of their own.
 */
const asRoot = () => vault({ apiVersion: "v1", endpoint: dev.addresses[0] as string, token: ROOT });
beforeEach(() => {
  nv = asRoot();
});

afterAll(async () => {
  await dev?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The HTTP status of a node-vault rejection. */
async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    return (e as { response?: { statusCode: number } }).response?.statusCode ?? -1;
  }
  return 200;
}

describe("node-vault: mounts and auth methods", () => {
  it("remounts a secrets engine, keeping its data", async () => {
    await nv.mount({ mount_point: "nv-kv", type: "kv", options: { version: "1" } });
    await nv.write("nv-kv/app", { value: "kept" });
    await nv.remount({ from: "nv-kv", to: "nv-kv-moved" });
    // A remount finishes in the background in Vault; Mayfly's is done when it answers.
    expect((await nv.read("nv-kv-moved/app")).data).toEqual({ value: "kept" });
    expect(await statusOf(nv.read("nv-kv/app"))).toBe(404);
    await nv.unmount({ mount_point: "nv-kv-moved" });
  });

  it("enables, lists and disables an auth method", async () => {
    await nv.enableAuth({ mount_point: "nv-userpass", type: "userpass", description: "for node-vault" });
    const listed = await nv.auths();
    expect(listed["nv-userpass/"]).toMatchObject({ type: "userpass", description: "for node-vault" });
    expect(listed.data["nv-userpass/"].type).toBe("userpass");
    await nv.disableAuth({ mount_point: "nv-userpass" });
    expect((await nv.auths())["nv-userpass/"]).toBeUndefined();
  });

  it("logs in with userpass, the token carrying the user's policies", async () => {
    await nv.enableAuth({ mount_point: "userpass", type: "userpass" });
    await nv.write("auth/userpass/users/nv-user", { password: "nv-password-1", policies: "nv-reader" });
    const login = await asRoot().userpassLogin({ username: "nv-user", password: "nv-password-1" });
    expect(login.auth.policies).toEqual(["default", "nv-reader"]);
    const self = vault({ apiVersion: "v1", endpoint: dev.addresses[0] as string, token: login.auth.client_token });
    expect((await self.tokenLookupSelf()).data.display_name).toBe("userpass-nv-user");
    expect(await statusOf(asRoot().userpassLogin({ username: "nv-user", password: "wrong" }))).toBe(400);
  });
});

describe("node-vault: audit devices", () => {
  it("enables a file device, lists it, records requests in it, and disables it", async () => {
    const file = join(dir, "audit.log");
    await nv.enableAudit({ name: "nv-file", type: "file", options: { file_path: file } });
    const listed = await nv.audits();
    expect(listed["nv-file/"]).toMatchObject({ type: "file", options: { file_path: file } });
    await nv.write("secret/data/nv-audited", { data: { password: "nv-audited-secret" } });
    const text = readFileSync(file, "utf8");
    expect(text).toContain("secret/data/nv-audited");
    expect(text).not.toContain("nv-audited-secret");
    await nv.disableAudit({ name: "nv-file" });
    expect((await nv.audits())["nv-file/"]).toBeUndefined();
  });
});

describe("node-vault: tokens", () => {
  it("creates orphan and role tokens, looks them up by token and by accessor", async () => {
    await nv.addTokenRole({ role_name: "nv-role", allowed_policies: "nv-a,nv-b", orphan: true, renewable: true });
    const role = await nv.getTokenRole({ role_name: "nv-role" });
    expect(role.data.allowed_policies).toEqual(["nv-a", "nv-b"]);
    expect(role.data.orphan).toBe(true);

    const orphan = await asRoot().tokenCreateOrphan({ policies: ["nv-a"], meta: { app: "nv" }, ttl: "1h" });
    const looked = await nv.tokenLookup({ token: orphan.auth.client_token });
    expect(looked.data).toMatchObject({ policies: ["default", "nv-a"], meta: { app: "nv" }, orphan: true, path: "auth/token/create-orphan" });
    const byAccessor = await nv.tokenLookupAccessor({ accessor: orphan.auth.accessor });
    expect(byAccessor.data.accessor).toBe(orphan.auth.accessor);
    expect(byAccessor.data.id).toBe("");

    const fromRole = await asRoot().tokenCreateRole({ role_name: "nv-role", policies: ["nv-b"], meta: { via: "role" } });
    const roleToken = await nv.tokenLookup({ token: fromRole.auth.client_token });
    expect(roleToken.data).toMatchObject({ role: "nv-role", orphan: true, path: "auth/token/create/nv-role" });
    expect(roleToken.data.policies).toEqual(["default", "nv-b"]);

    await nv.removeTokenRole({ role_name: "nv-role" });
    expect(await statusOf(nv.getTokenRole({ role_name: "nv-role" }))).toBe(404);
  });

  it("revokes by accessor, and revoke-orphan keeps the children", async () => {
    await nv.addPolicy({ name: "nv-token-creator", rules: 'path "auth/token/create" { capabilities = ["update"] }' });
    const parent = await asRoot().tokenCreate({ policies: ["nv-token-creator"], meta: { role: "parent" } });
    const asParent = vault({ apiVersion: "v1", endpoint: dev.addresses[0] as string, token: parent.auth.client_token });
    const child = await asParent.tokenCreate({ policies: ["default"], meta: { role: "child" } });

    await nv.tokenRevokeOrphan({ token: parent.auth.client_token });
    expect(await statusOf(nv.tokenLookup({ token: parent.auth.client_token }))).toBe(403);
    const orphaned = await nv.tokenLookup({ token: child.auth.client_token });
    expect(orphaned.data.orphan).toBe(true);

    await nv.tokenRevokeAccessor({ accessor: child.auth.accessor });
    expect(await statusOf(nv.tokenLookup({ token: child.auth.client_token }))).toBe(403);
  });
});

describe("node-vault: KV v2 destroy, sys rotate, leader and step-down", () => {
  it("destroys versions for good", async () => {
    await nv.write("secret/data/nv-versions", { data: { v: 1 } });
    await nv.write("secret/data/nv-versions", { data: { v: 2 } });
    await nv.destroySecretVersions({ mount_point: "secret", path: "nv-versions", versions: [1] });
    const meta = await nv.read("secret/metadata/nv-versions");
    expect(meta.data.versions["1"].destroyed).toBe(true);
    expect(meta.data.versions["2"].destroyed).toBe(false);
    expect(await statusOf(nv.read("secret/data/nv-versions?version=1"))).toBe(404);
  });

  it("rotates the barrier key, and reports the leader", async () => {
    const before = await nv.read("sys/key-status");
    await nv.rotate();
    const after = await nv.read("sys/key-status");
    expect(after.data.term).toBe(before.data.term + 1);
    const leader = await nv.leader();
    expect(leader).toMatchObject({ ha_enabled: false, is_self: false, leader_address: "" });
  });

  it("step-down answers as a server without HA does", async () => {
    await nv.stepDown();
    expect((await nv.health()).sealed).toBe(false);
  });
});
