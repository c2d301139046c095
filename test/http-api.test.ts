import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../src/server/dev.js";
import { silentLogger } from "../src/server/logger.js";
import { api, client } from "./support/http.js";

let server: DevServer;
let base: string;
let root: ReturnType<typeof client>;

beforeAll(async () => {
  server = await startDevServer({ logger: silentLogger, listenAddress: "127.0.0.1:0", rootTokenId: "root-http-test" });
  base = server.addresses[0] as string;
  root = client(base, server.rootToken);
});
afterAll(async () => {
  await server.close();
});

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1", () => sock.end(text));
    const chunks: Buffer[] = [];
    sock.on("data", (c) => chunks.push(c));
    sock.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
    sock.on("error", reject);
  });
}

describe("envelope and status codes", () => {
  it("answers a read with Vault's eight keys, exact JSON content type", async () => {
    await root.put("secret/data/envelope", { data: { a: "1" } });
    const r = await root.get("secret/data/envelope");
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(Object.keys(r.json).sort()).toEqual(
      ["auth", "data", "lease_duration", "lease_id", "mount_type", "renewable", "request_id", "warnings", "wrap_info"].sort(),
    );
    expect(r.json.warnings).toBeNull();
    expect(r.json.auth).toBeNull();
    expect(r.json.wrap_info).toBeNull();
    expect(r.json.lease_id).toBe("");
    expect(r.json.data.data).toEqual({ a: "1" });
    expect(r.json.request_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers empty success with 204 and no body", async () => {
    const r = await root.post("sys/policies/acl/empty-ok", { policy: 'path "x" { capabilities = ["read"] }' });
    expect(r.status).toBe(204);
    expect(r.text).toBe("");
  });

  it("refuses malformed JSON with 400 and an errors list", async () => {
    const r = await root.raw("PUT", "secret/data/bad", { rawBody: "{not json" });
    expect(r.status).toBe(400);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.json.errors[0]).toMatch(/failed to parse JSON/);
  });

  it("refuses a JSON body that is not an object", async () => {
    const r = await root.raw("PUT", "secret/data/bad", { rawBody: "[1,2]" });
    expect(r.status).toBe(400);
  });

  it("refuses a field of the wrong type with 400", async () => {
    const r = await root.post("sys/mounts/wrongtype", { type: "kv", config: { default_lease_ttl: "soon" } });
    expect(r.status).toBe(400);
    expect(r.json.errors[0]).toMatch(/default_lease_ttl/);
  });

  it("treats a missing token, an unknown token and a bearer token as Vault does", async () => {
    expect((await api(base, "GET", "secret/data/envelope")).status).toBe(403);
    const unknown = await api(base, "GET", "secret/data/envelope", { token: "hvs.nope" });
    expect(unknown.status).toBe(403);
    expect(unknown.json).toEqual({ errors: ["permission denied"] });
    const bearer = await api(base, "GET", "secret/data/envelope", { headers: { Authorization: `Bearer ${server.rootToken}` } });
    expect(bearer.status).toBe(200);
  });

  it("ignores an empty X-Vault-Namespace header", async () => {
    const r = await root.get("secret/data/envelope", { headers: { "X-Vault-Namespace": "" } });
    expect(r.status).toBe(200);
  });

  it("answers 404 for a path with no mount", async () => {
    const r = await root.get("nowhere/at/all");
    expect(r.status).toBe(404);
    expect(r.json.errors[0]).toMatch(/no handler for route/);
  });

  it("answers 404 with an empty errors list for an absent entry", async () => {
    const r = await root.get("secret/data/does-not-exist");
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ errors: [] });
  });

  it("answers 405 for a method the path does not support", async () => {
    const r = await root.delete("sys/key-status");
    expect(r.status).toBe(405);
    const weird = await root.raw("OPTIONS", "sys/mounts");
    expect(weird.status).toBe(405);
  });

  it("refuses bodies above the limit with 413", async () => {
    const big = Buffer.alloc(33 * 1024 * 1024, 0x61);
    const r = await root.raw("PUT", "secret/data/big", { rawBody: big }).catch(() => ({ status: 413 }));
    expect(r.status).toBe(413);
  });

  it("never leaks a stack trace for nonsense input", async () => {
    for (const body of ['{"data": null}', '{"options": "x", "data": 5}', '{"__proto__": {"x": 1}}', "\u0000\u0001"]) {
      const r = await root.raw("PUT", "secret/data/nonsense", { rawBody: body });
      expect(r.status).toBeLessThan(500);
      expect(r.text).not.toMatch(/at .*\.js:\d+/);
    }
  });

  it("accepts a form-encoded empty body and a JSON body sent as text/plain", async () => {
    const form = await root.raw("POST", "auth/token/renew-self", {
      rawBody: "",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBeLessThan(500);
    const text = await root.raw("PUT", "secret/data/texty", {
      rawBody: JSON.stringify({ data: { t: "1" } }),
      headers: { "Content-Type": "text/plain" },
    });
    expect(text.status).toBe(200);
  });

  it("requires the merge-patch content type on PATCH", async () => {
    const r = await root.raw("PATCH", "secret/data/envelope", { body: { data: { b: "2" } }, headers: { "Content-Type": "application/json" } });
    expect(r.status).toBe(415);
    const ok = await root.patch("secret/data/envelope", { data: { b: "2" } });
    expect(ok.status).toBe(200);
    expect((await root.get("secret/data/envelope")).json.data.data).toEqual({ a: "1", b: "2" });
  });
});

describe("listing", () => {
  beforeAll(async () => {
    await root.put("secret/data/dir/one", { data: { x: "1" } });
    await root.put("secret/data/dir/sub/two", { data: { x: "2" } });
  });

  it("lists with the LIST method over a raw socket", async () => {
    const port = Number(new URL(base).port);
    const out = await rawRequest(
      port,
      `LIST /v1/secret/metadata/dir HTTP/1.1\r\nHost: x\r\nX-Vault-Token: ${server.rootToken}\r\nConnection: close\r\n\r\n`,
    );
    expect(out).toMatch(/^HTTP\/1\.1 200/);
    expect(out).toContain('"keys":["one","sub/"]');
  });

  it.each(["true", "1", "True", "t", "TRUE"])("lists with GET ?list=%s", async (v) => {
    const r = await root.get(`secret/metadata/dir?list=${v}`);
    expect(r.status).toBe(200);
    expect(r.json.data.keys).toEqual(["one", "sub/"]);
  });

  it("reads instead of listing for ?list=false", async () => {
    const r = await root.get("secret/metadata/dir/one?list=false");
    expect(r.status).toBe(200);
    expect(r.json.data.current_version).toBe(1);
  });

  it("refuses a ?list value Go's ParseBool refuses", async () => {
    const r = await root.get("secret/metadata/dir?list=yes");
    expect(r.status).toBe(400);
  });

  it("answers an empty list with 404", async () => {
    const r = await root.list("secret/metadata/nothing-here");
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ errors: [] });
  });

  it("decodes percent-encoded paths", async () => {
    await root.put("secret/data/my%20key", { data: { v: "space" } });
    expect((await root.get("secret/data/my key".replace(" ", "%20"))).json.data.data.v).toBe("space");
    await root.put("secret/data/a%2Fb", { data: { v: "slash" } });
    expect((await root.get("secret/data/a/b")).json.data.data.v).toBe("slash");
  });
});

describe("mounts", () => {
  it("lists mounts in data and at the top level", async () => {
    const r = await root.get("sys/mounts");
    expect(r.status).toBe(200);
    expect(r.json["secret/"].type).toBe("kv");
    expect(r.json.data["secret/"].options).toEqual({ version: "2" });
    expect(r.json.data["sys/"].type).toBe("system");
    expect(r.json.data["cubbyhole/"].type).toBe("cubbyhole");
    for (const k of ["uuid", "plugin_version", "running_plugin_version", "running_sha256", "external_entropy_access", "seal_wrap", "accessor"]) {
      expect(r.json.data["secret/"]).toHaveProperty(k);
    }
  });

  it("enables, tunes and disables a KV mount, with a numeric version coming back as a string", async () => {
    expect((await root.post("sys/mounts/team/kv", { type: "kv", options: { version: 2 }, config: { default_lease_ttl: "0s", max_lease_ttl: "0s" } })).status).toBe(204);
    const ui = await root.get("sys/internal/ui/mounts/team/kv/some/key");
    expect(ui.status).toBe(200);
    expect(ui.json.data.path).toBe("team/kv/");
    expect(ui.json.data.options.version).toBe("2");
    expect((await root.post("sys/mounts/team/kv/tune", { default_lease_ttl: "1h", max_lease_ttl: "2h", description: "tuned" })).status).toBe(204);
    const tune = await root.get("sys/mounts/team/kv/tune");
    expect(tune.json.data.default_lease_ttl).toBe(3600);
    expect(tune.json.data.max_lease_ttl).toBe(7200);
    expect(tune.json.data.description).toBe("tuned");
    expect((await root.post("sys/mounts/team/kv/tune", { default_lease_ttl: "3h" })).status).toBe(400);
    expect((await root.delete("sys/mounts/team/kv")).status).toBe(204);
    expect((await root.get("sys/mounts")).json.data["team/kv/"]).toBeUndefined();
  });

  it("maps kv-v2 to kv with version 2 and refuses versions on other types", async () => {
    expect((await root.post("sys/mounts/kv2short", { type: "kv-v2" })).status).toBe(204);
    expect((await root.get("sys/mounts")).json.data["kv2short/"]).toMatchObject({ type: "kv", options: { version: "2" } });
    const bad = await root.post("sys/mounts/cubby2", { type: "database", options: { version: "2" } });
    expect(bad.status).toBe(400);
  });

  it("refuses overlapping, reserved and unknown mounts", async () => {
    expect((await root.post("sys/mounts/secret/nested", { type: "kv" })).status).toBe(400);
    expect((await root.post("sys/mounts/sys", { type: "kv" })).status).toBe(400);
    const unknown = await root.post("sys/mounts/whatever", { type: "no-such-engine" });
    expect(unknown.status).toBe(400);
  });

  it("keeps data of a KV v1 mount and answers 204 to its writes", async () => {
    expect((await root.post("sys/mounts/kv1", { type: "kv" })).status).toBe(204);
    expect((await root.put("kv1/app", { password: "p", n: 1 })).status).toBe(204);
    const r = await root.get("kv1/app");
    expect(r.json.data).toEqual({ password: "p", n: 1 });
    expect((await root.delete("kv1/app")).status).toBe(204);
    expect((await root.get("kv1/app")).status).toBe(404);
  });

  it("answers the KV preflight with 403 and Vault's message for a path under no mount", async () => {
    const r = await root.get("sys/internal/ui/mounts/nomount/x");
    expect(r.status).toBe(403);
    expect(r.json.errors[0]).toContain("preflight capability check returned 403");
  });
});

describe("policies and capabilities", () => {
  it("stores, reads, lists and deletes ACL policies; root and default are protected", async () => {
    const policy = 'path "secret/data/app/*" {\n  capabilities = ["read", "list"]\n}\n';
    expect((await root.put("sys/policies/acl/App-Reader", { policy })).status).toBe(204);
    const read = await root.get("sys/policies/acl/app-reader");
    expect(read.json.data).toEqual({ name: "app-reader", policy });
    expect(read.json["name"]).toBeUndefined();
    const list = await root.list("sys/policies/acl");
    expect(list.json.data.keys).toEqual(expect.arrayContaining(["app-reader", "default", "root"]));
    expect((await root.put("sys/policies/acl/root", { policy })).status).toBe(400);
    expect((await root.delete("sys/policies/acl/default")).status).toBe(400);
    expect((await root.delete("sys/policies/acl/app-reader")).status).toBe(204);
    expect((await root.get("sys/policies/acl/app-reader")).status).toBe(404);
  });

  it("refuses a malformed policy with 400 naming the line", async () => {
    const r = await root.put("sys/policies/acl/broken", { policy: 'path "a" {\n  capabilities = ["read"]\n  oops\n}\n' });
    expect(r.status).toBe(400);
    expect(r.json.errors[0]).toMatch(/At 4:1/);
  });

  it("serves the legacy sys/policy API, warning on 'rules'", async () => {
    const withRules = await root.put("sys/policy/legacy", { rules: 'path "x/*" { policy = "write" }' });
    expect(withRules.status).toBe(200);
    expect(withRules.json.warnings).toEqual(["'rules' is deprecated, please use 'policy' instead"]);
    const read = await root.get("sys/policy/legacy");
    expect(read.json.rules).toContain("policy");
    expect(read.json.data.name).toBe("legacy");
    const list = await root.get("sys/policy");
    expect(list.json.policies).toEqual(expect.arrayContaining(["legacy", "root", "default"]));
    expect(list.json.keys).toEqual(list.json.policies);
    expect((await root.put("sys/policy/legacy2", { policy: 'path "y" { capabilities = ["read"] }' })).status).toBe(204);
  });

  it("reports capabilities for a token, for itself and by accessor", async () => {
    await root.put("sys/policies/acl/caps", { policy: 'path "secret/data/caps/*" { capabilities = ["read", "update"] }' });
    const created = await root.post("auth/token/create", { policies: ["caps"] });
    const child = created.json.auth.client_token as string;
    const accessor = created.json.auth.accessor as string;
    const r = await root.post("sys/capabilities", { token: child, paths: ["secret/data/caps/x"] });
    expect(r.json.capabilities).toEqual(["read", "update"]);
    expect(r.json.data["secret/data/caps/x"]).toEqual(["read", "update"]);
    const self = await client(base, child).post("sys/capabilities-self", { paths: ["secret/data/caps/x", "secret/data/other"] });
    expect(self.json.data["secret/data/other"]).toEqual(["deny"]);
    const byAcc = await root.post("sys/capabilities-accessor", { accessor, path: "secret/data/caps/y" });
    expect(byAcc.json.capabilities).toEqual(["read", "update"]);
    const rootCaps = await root.post("sys/capabilities-self", { paths: ["anything"] });
    expect(rootCaps.json.capabilities).toEqual(["root"]);
  });

  it("enforces a policy end to end, including sudo paths", async () => {
    await root.put("sys/policies/acl/limited", {
      policy: 'path "secret/data/limited/*" { capabilities = ["read"] }\npath "sys/audit" { capabilities = ["read"] }',
    });
    const token = (await root.post("auth/token/create", { policies: ["limited"] })).json.auth.client_token as string;
    await root.put("secret/data/limited/a", { data: { v: "1" } });
    const c = client(base, token);
    expect((await c.get("secret/data/limited/a")).status).toBe(200);
    expect((await c.put("secret/data/limited/a", { data: { v: "2" } })).status).toBe(403);
    expect((await c.get("secret/data/other")).status).toBe(403);
    // sys/audit needs sudo on top of read.
    expect((await c.get("sys/audit")).status).toBe(403);
    expect((await c.get("sys/mounts")).status).toBe(403);
  });
});

describe("audit", () => {
  it("records requests with secrets HMAC'd, serves audit-hash, and lists devices", async () => {
    const { mkdtempSync, readFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "mayfly-audit-"));
    const file = join(dir, "audit.log");
    expect((await root.put("sys/audit/file", { type: "file", options: { file_path: file } })).status).toBe(204);
    const listed = await root.get("sys/audit");
    expect(listed.json["file/"].options.file_path).toBe(file);
    await root.put("secret/data/audited", { data: { password: "hunter2-secret" } });
    await root.get("secret/data/audited");
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain("hunter2-secret");
    expect(text).not.toContain(server.rootToken);
    const hash = await root.post("sys/audit-hash/file", { input: "hunter2-secret" });
    expect(hash.json.hash).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(text).toContain(hash.json.hash);
    const lines = text.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.some((l) => l.type === "request" && l.request.path === "secret/data/audited")).toBe(true);
    expect(lines.some((l) => l.type === "response" && l.request.path === "secret/data/audited")).toBe(true);
    expect((await root.delete("sys/audit/file")).status).toBe(204);
  });

  it("refuses requests when no enabled device can record them", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "mayfly-audit-"));
    const accessors = async () => ((await root.list("auth/token/accessors")).json.data.keys as string[]).length;
    const tokensBefore = await accessors();
    expect((await root.put("sys/audit/doomed", { type: "file", options: { file_path: join(dir, "a.log") } })).status).toBe(204);
    rmSync(dir, { recursive: true, force: true });
    const { writeFileSync } = await import("node:fs");
    writeFileSync(dir, "not a directory");
    await new Promise((r) => setTimeout(r, 1100));
    // A read may run before its request line is written (pureReads), but its answer may not leave.
    const r = await root.get("secret/data/envelope");
    expect(r.status).toBe(500);
    expect(r.json).toEqual({ errors: ["internal error"] });
    // A write is not carried out at all, nor a read to be wrapped (wrapping stores a token).
    expect((await root.put("secret/data/unrecorded", { data: { a: "b" } })).status).toBe(500);
    expect((await root.get("secret/data/envelope", { headers: { "X-Vault-Wrap-TTL": "60" } })).status).toBe(500);
    // Once the file can be written again, requests are served and the device can go.
    rmSync(dir, { force: true });
    const { mkdirSync } = await import("node:fs");
    mkdirSync(dir);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await root.get("secret/data/envelope")).status).toBe(200);
    expect((await root.get("secret/data/unrecorded")).status).toBe(404);
    expect(await accessors()).toBe(tokensBefore);
    expect((await root.delete("sys/audit/doomed")).status).toBe(204);
  });
});
