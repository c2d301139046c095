/**
 * The built `bin/mayfly` against a dev server, each in its own process (harness in
 * test/support/e2e-cli.ts): policies, tokens, audit devices and operator commands.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { eventually } from "./support/e2e.js";
import { json, mayfly, ok, ROOT, row, unsealKey, useCliServer, work } from "./support/e2e-cli.js";

useCliServer();

describe("policies", () => {
  const policyText = 'path "secret/data/team/*" {\ncapabilities=["read","list"]\n}\n';

  it("policy write, read, list, fmt, delete", async () => {
    const file = join(work, "team.hcl");
    writeFileSync(file, policyText);
    expect(await ok(["policy", "write", "team", file])).toBe("Success! Uploaded policy: team\n");
    expect(await ok(["policy", "read", "team"])).toBe(policyText);
    expect((await ok(["policy", "list"])).split("\n")).toEqual(expect.arrayContaining(["default", "root", "team"]));
    expect(await json(["policy", "list"])).toEqual(expect.arrayContaining(["default", "root", "team"]));

    // fmt rewrites the file in canonical HCL.
    expect(await ok(["policy", "fmt", file])).toContain(`Success! Formatted policy: ${file}`);
    expect(readFileSync(file, "utf8")).toBe('path "secret/data/team/*" {\n  capabilities = ["read", "list"]\n}\n');
    const broken = join(work, "broken.hcl");
    writeFileSync(broken, 'path "a" {\n  capabilities = ["read"\n');
    const fmtBroken = await mayfly(["policy", "fmt", broken]);
    expect(fmtBroken.code).toBe(1);
    expect(fmtBroken.stderr).toContain("At 3:1");
    expect(readFileSync(broken, "utf8")).toBe('path "a" {\n  capabilities = ["read"\n');

    // A policy from stdin, and a malformed one refused by the server with the line.
    await ok(["policy", "write", "from-stdin", "-"], { stdin: 'path "x/*" { capabilities = ["read"] }' });
    const bad = await mayfly(["policy", "write", "bad", broken]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Code: 400");
    expect(bad.stderr).toContain("failed to parse policy: At 3:1");

    expect(await ok(["policy", "delete", "from-stdin"])).toBe("Success! Deleted policy: from-stdin\n");
    expect(await json(["policy", "list"])).not.toContain("from-stdin");
  });
});

describe("tokens", () => {
  let child = "";
  let accessor = "";

  it("token create -policy -ttl -format=json", async () => {
    const j = await json(["token", "create", "-policy=team", "-ttl=1h"]);
    expect(j.auth.policies).toEqual(["default", "team"]);
    expect(j.auth.lease_duration).toBe(3600);
    expect(j.auth.renewable).toBe(true);
    child = j.auth.client_token as string;
    accessor = j.auth.accessor as string;
    expect(child).toMatch(/^hvs\./);
    // -field=token alone, as scripts use it.
    expect(await ok(["token", "create", "-policy=team", "-field=token"])).toMatch(/^hvs\.[A-Za-z0-9]+$/);
  });

  it("token lookup by token, by accessor, and of itself", async () => {
    const out = await ok(["token", "lookup", child]);
    expect(row(out, "id")).toBe(child);
    expect(row(out, "policies")).toBe("[default team]");
    expect(row(out, "accessor")).toBe(accessor);
    expect((await json(["token", "lookup", "-accessor", accessor])).data.accessor).toBe(accessor);
    expect((await json(["token", "lookup"], { token: child })).data.id).toBe(child);
  });

  it("token renew", async () => {
    const j = await json(["token", "renew", "-increment=30m", child]);
    expect(j.auth.client_token).toBe(child);
    expect(j.auth.lease_duration).toBe(1800);
    const self = await ok(["token", "renew"], { token: child });
    expect(row(self, "token")).toBe(child);
  });

  it("token capabilities for another token and for itself", async () => {
    expect(await ok(["token", "capabilities", child, "secret/data/team/a"])).toBe("list, read\n");
    expect(await ok(["token", "capabilities", child, "secret/data/other"])).toBe("deny\n");
    expect(await ok(["token", "capabilities", "secret/data/team/a"], { token: child })).toBe("list, read\n");
    expect(await ok(["token", "capabilities", "anything/at/all"])).toBe("root\n");
  });

  it("permission denied: exit 2 with the server's message", async () => {
    const r = await mayfly(["kv", "put", "secret/team/x", "a=1"], { token: child });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Code: 403");
    expect(r.stderr).toContain("permission denied");
    const read = await mayfly(["read", "secret/data/elsewhere"], { token: child });
    expect(read.code).toBe(2);
    expect(read.stderr).toContain("* permission denied");
  });

  it("token revoke: the token stops working", async () => {
    expect(await ok(["token", "revoke", child])).toBe("Success! Revoked token (if it existed)\n");
    const r = await mayfly(["token", "lookup"], { token: child });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Code: 403");
  });
});

describe("audit", () => {
  it("audit enable file file_path=..., list, disable; the file gets HMAC'd lines", async () => {
    const file = join(work, "audit.log");
    expect(await ok(["audit", "enable", "file", `file_path=${file}`])).toBe("Success! Enabled the file audit device at: file/\n");
    const list = await ok(["audit", "list", "-detailed"]);
    expect(list).toMatch(/^file\/\s+file\s/m);
    expect(list).toContain(`file_path=${file}`);
    expect((await json(["audit", "list"]))["file/"].type).toBe("file");
    await ok(["kv", "put", "secret/audited", "password=audit-me-not"]);
    await eventually(() => existsSync(file) && readFileSync(file, "utf8").includes("secret/data/audited"));
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain("audit-me-not");
    expect(text).not.toContain(ROOT);
    for (const line of text.trim().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
    expect(await ok(["audit", "disable", "file"])).toBe("Success! Disabled audit device (if it was enabled) at: file/\n");
    expect(await json(["audit", "list"])).toEqual({});
  });
});

describe("operator", () => {
  beforeAll(async () => {
    // What the operator commands must leave readable (rotation, seal and unseal, a new root).
    await ok(["kv", "put", "secret/app/db", "user=alice"]);
  });

  it("key-status, then rotate adds a term", async () => {
    const before = await ok(["operator", "key-status"]);
    const term = Number(row(before, "Key Term"));
    expect(term).toBeGreaterThanOrEqual(1);
    const rotated = await ok(["operator", "rotate"]);
    expect(rotated).toContain("Success! Rotated key");
    expect(Number(row(rotated, "Key Term"))).toBe(term + 1);
    expect(Number(row(await ok(["operator", "key-status"]), "Key Term"))).toBe(term + 1);
    // Data written under the old term still reads.
    expect(await ok(["kv", "get", "-field=user", "secret/app/db"])).toBe("alice");
  });

  it("seal: status exits 2 and requests fail; unseal with the key from the dev banner", async () => {
    expect(await ok(["operator", "seal"])).toBe("Success! Mayfly is sealed.\n");
    const status = await mayfly(["status"]);
    expect(status.code).toBe(2);
    expect(row(status.stdout, "Sealed")).toBe("true");
    const read = await mayfly(["kv", "get", "secret/app/db"]);
    expect(read.code).toBe(2);
    expect(read.stderr).toContain("Code: 503");

    const unsealed = await ok(["operator", "unseal", unsealKey]);
    expect(row(unsealed, "Sealed")).toBe("false");
    expect((await mayfly(["status"])).code).toBe(0);
    expect(await ok(["kv", "get", "-field=user", "secret/app/db"])).toBe("alice");
    // Without an argument the key is read from stdin, a line from a pipe as from a prompt.
    await ok(["operator", "seal"]);
    expect(row(await ok(["operator", "unseal"], { stdin: `${unsealKey}\n` }), "Sealed")).toBe("false");
  });

  it("generate-root: -init shows an OTP, the unseal key completes it, -decode prints a working root token", async () => {
    const started = await ok(["operator", "generate-root", "-init"]);
    const otp = row(started, "OTP") ?? "";
    const nonce = row(started, "Nonce") ?? "";
    expect(otp).toMatch(/^[0-9A-Za-z]{28}$/);
    expect(row(started, "Started")).toBe("true");
    expect(row(started, "Progress")).toBe("0/1");
    expect(row(await ok(["operator", "generate-root", "-status"]), "Nonce")).toBe(nonce);

    const wrong = await mayfly(["operator", "generate-root", "-nonce=not-the-nonce", unsealKey]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("incorrect nonce supplied");

    const done = JSON.parse(await ok(["operator", "generate-root", "-format=json", `-nonce=${nonce}`, unsealKey]));
    expect(done).toMatchObject({ nonce, started: true, progress: 1, required: 1, complete: true });
    expect(done.encoded_root_token).toBe(done.encoded_token);

    // Piped, -decode prints the token alone with no newline, as Vault's PrintRaw.
    const token = await ok(["operator", "generate-root", `-decode=${done.encoded_token}`, `-otp=${otp}`]);
    expect(token).toMatch(/^hvs\.[0-9A-Za-z]{24}$/);
    expect(token).not.toBe(ROOT);
    const self = await json(["token", "lookup"], { token });
    expect(self.data.policies).toEqual(["root"]);
    expect(self.data.ttl).toBe(0);
    expect(await ok(["kv", "get", "-field=user", "secret/app/db"], { token })).toBe("alice");
    expect(row(await ok(["operator", "generate-root", "-status"]), "Started")).toBe("false");
  });
});
