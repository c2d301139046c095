/**
 * sys/locked-users: users that userpass locks out after failed logins are listed by mount
 * and can be unlocked before the lockout runs out; both need sudo.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { api } from "./support/http.js";

let server: DevServer;
let url: string;
let accessor: string;

beforeAll(async () => {
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: "root" });
  url = server.addresses[0] as string;
  expect((await api(url, "POST", "sys/auth/userpass", { token: "root", body: { type: "userpass" } })).status).toBe(204);
  accessor = (await api(url, "GET", "sys/auth", { token: "root" })).json.data["userpass/"].accessor;
  for (const user of ["alice", "bob"]) {
    expect((await api(url, "POST", `auth/userpass/users/${user}`, { token: "root", body: { password: `${user}-pw` } })).status).toBe(204);
  }
});
afterAll(async () => {
  await server?.close();
});

const login = (user: string, password: string) => api(url, "POST", `auth/userpass/login/${user}`, { body: { password } });

describe("sys/locked-users", () => {
  it("lists users locked out by failed logins and unlocks them", async () => {
    expect((await api(url, "GET", "sys/locked-users", { token: "root" })).json.data).toEqual({ by_namespace: [], total: 0 });
    for (let i = 0; i < 5; i++) expect((await login("alice", "wrong")).status).toBe(400);
    expect((await login("alice", "alice-pw")).status).toBe(403);
    const listed = (await api(url, "GET", "sys/locked-users", { token: "root" })).json.data;
    expect(listed).toEqual({
      by_namespace: [
        { namespace_id: "root", namespace_path: "", counts: 1, mount_accessors: [{ mount_accessor: accessor, counts: 1, alias_identifiers: ["alice"] }] },
      ],
      total: 1,
    });
    expect((await api(url, "GET", "sys/locked-users?mount_accessor=auth_other_1", { token: "root" })).json.data.total).toBe(0);

    expect((await api(url, "POST", `sys/locked-users/${accessor}/unlock/alice`, { token: "root" })).status).toBe(204);
    expect((await login("alice", "alice-pw")).status).toBe(200);
    expect((await api(url, "GET", "sys/locked-users", { token: "root" })).json.data.total).toBe(0);
  });

  it("needs sudo, and names an unknown mount", async () => {
    await api(url, "PUT", "sys/policies/acl/no-sudo", { token: "root", body: { policy: 'path "sys/locked-users*" { capabilities = ["read", "update"] }' } });
    const token = (await api(url, "POST", "auth/token/create", { token: "root", body: { policies: ["no-sudo"] } })).json.auth.client_token;
    expect((await api(url, "GET", "sys/locked-users", { token })).status).toBe(403);
    expect((await api(url, "POST", `sys/locked-users/${accessor}/unlock/bob`, { token })).status).toBe(403);
    const unknown = await api(url, "POST", "sys/locked-users/auth_nope_123/unlock/bob", { token: "root" });
    expect(unknown.status).toBe(400);
    expect(unknown.json.errors[0]).toMatch(/mount accessor "auth_nope_123" not found/);
  });
});
