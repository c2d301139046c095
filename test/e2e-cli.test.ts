/**
 * The built `bin/mayfly`, run as a subprocess the way a person or a script runs it,
 * against a dev server that is itself `bin/mayfly server -dev` in another process.
 * Output goes to pipes, so this sees what `mayfly ... | jq` sees.
 */
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanEnv,
  eventually,
  makeTempDir,
  runMayfly,
  startMayflyServer,
  type CliResult,
  type MayflyServerProcess,
} from "./support/e2e.js";

const ROOT = "e2e-root-token";
let server: MayflyServerProcess;
let unsealKey: string;
/** HOME for CLI runs: its ~/.mayfly-token belongs to the test, not to the developer. */
let cliHome: string;
let work: string;
const tempDirs: string[] = [];

function tempDir(kind: string): string {
  const dir = makeTempDir(kind);
  tempDirs.push(dir);
  return dir;
}

interface Call {
  token?: string | undefined;
  stdin?: string;
  home?: string;
}

function mayfly(args: readonly string[], call: Call = {}): Promise<CliResult> {
  const token = "token" in call ? call.token : ROOT;
  return runMayfly(args, {
    env: cleanEnv({ MAYFLY_ADDR: server.address, MAYFLY_TOKEN: token, HOME: call.home ?? cliHome }),
    ...(call.stdin !== undefined ? { stdin: call.stdin } : {}),
  });
}

/** Runs and expects exit 0, with stderr in the failure message. */
async function ok(args: readonly string[], call: Call = {}): Promise<string> {
  const r = await mayfly(args, call);
  expect(r.code, `mayfly ${args.join(" ")}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  return r.stdout;
}

async function json<T = any>(args: readonly string[], call: Call = {}): Promise<T> {
  return JSON.parse(await ok(withFormat(args), call)) as T;
}

const COMMAND_WORDS = new Set([
  "kv", "metadata", "get", "put", "list", "delete", "patch", "read", "write", "secrets", "auth",
  "policy", "token", "lookup", "create", "renew", "audit", "operator", "status", "path-help",
]);

/** `-format=json` goes after the command words, before other flags and arguments, as people type it. */
function withFormat(args: readonly string[]): string[] {
  let at = 0;
  while (at < args.length && COMMAND_WORDS.has(args[at] as string)) at++;
  return [...args.slice(0, at), "-format=json", ...args.slice(at)];
}

/** The value column of a `Key  Value` table row. */
function row(table: string, key: string): string | undefined {
  const line = table.split("\n").find((l) => l.startsWith(`${key} `));
  return line?.slice(key.length).trim();
}

beforeAll(async () => {
  cliHome = tempDir("e2e-home");
  work = tempDir("e2e-work");
  // The dev server writes ~/.mayfly-token as Vault's does: give it a HOME of its own.
  const serverHome = tempDir("e2e-server-home");
  server = await startMayflyServer(["-dev", `-dev-root-token-id=${ROOT}`, "-dev-listen-address=127.0.0.1:0"], {
    env: cleanEnv({ HOME: serverHome }),
  });
  unsealKey = /^Unseal Key: (\S+)$/m.exec(server.stdout())?.[1] ?? "";
  expect(unsealKey).toMatch(/^[A-Za-z0-9+/]+=*$/);
  expect(server.stdout()).toContain(`Root Token: ${ROOT}`);
  expect(readFileSync(join(serverHome, ".mayfly-token"), "utf8")).toBe(ROOT);
});

afterAll(async () => {
  const exit = await server?.stop("SIGTERM");
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  expect(exit?.code).toBe(0);
});

describe("status and login", () => {
  it("status exits 0 on an unsealed server and prints the seal table", async () => {
    const out = await ok(["status"]);
    expect(row(out, "Sealed")).toBe("false");
    expect(row(out, "Initialized")).toBe("true");
    expect(row(out, "Storage Type")).toBe("inmem");
  });

  it("login <token> stores it in ~/.mayfly-token, mode 0600, without a newline; later commands use it", async () => {
    const home = tempDir("e2e-login");
    const out = await ok(["login", ROOT], { token: undefined, home });
    expect(out).toContain("Success! You are now authenticated.");
    expect(row(out, "token")).toBe(ROOT);
    const file = join(home, ".mayfly-token");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toBe(ROOT);
    expect(await ok(["print", "token"], { token: undefined, home })).toBe(`${ROOT}\n`);
    const lookup = await json(["token", "lookup"], { token: undefined, home });
    expect(lookup.data.id).toBe(ROOT);
  });

  it("login with a bad token fails with the server's message and stores nothing", async () => {
    const home = tempDir("e2e-login-bad");
    const r = await mayfly(["login", "not-a-real-token"], { token: undefined, home });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/permission denied|bad token/);
    expect(existsSync(join(home, ".mayfly-token"))).toBe(false);
  });

  it("print token prints the token in use", async () => {
    expect(await ok(["print", "token"])).toBe(`${ROOT}\n`);
  });
});

describe("kv on a version 2 mount (the dev server's secret/)", () => {
  it("put, get, -format=json, -field", async () => {
    const put = await ok(["kv", "put", "secret/app/db", "user=alice", "pass=s3cret", "port=5432"]);
    expect(row(put, "version")).toBe("1");
    const get = await ok(["kv", "get", "secret/app/db"]);
    expect(get).toContain("== Data ==");
    expect(row(get, "user")).toBe("alice");
    expect(row(get, "version")).toBe("1");
    const j = await json(["kv", "get", "secret/app/db"]);
    // Every value a CLI sends is a string, as from Vault's.
    expect(j.data.data).toEqual({ user: "alice", pass: "s3cret", port: "5432" });
    expect(j.data.metadata.version).toBe(1);
    // Piped: the raw value, no trailing newline.
    expect(await ok(["kv", "get", "-field=pass", "secret/app/db"])).toBe("s3cret");
  });

  it("list, metadata get, patch and a second version", async () => {
    await ok(["kv", "put", "secret/app/cache", "url=redis://x"]);
    expect(await json(["kv", "list", "secret/app"])).toEqual(["cache", "db"]);
    const table = await ok(["kv", "list", "secret/app"]);
    expect(table.split("\n").slice(0, 4)).toEqual(["Keys", "----", "cache", "db"]);
    await ok(["kv", "patch", "secret/app/db", "pass=rotated"]);
    const j = await json(["kv", "get", "secret/app/db"]);
    expect(j.data.data).toEqual({ user: "alice", pass: "rotated", port: "5432" });
    expect(j.data.metadata.version).toBe(2);
    expect(await ok(["kv", "get", "-version=1", "-field=pass", "secret/app/db"])).toBe("s3cret");
    const meta = await ok(["kv", "metadata", "get", "secret/app/db"]);
    expect(row(meta, "current_version")).toBe("2");
    expect(meta).toContain("====== Version 1 ======");
    expect(meta).toContain("====== Version 2 ======");
    const metaJson = await json(["kv", "metadata", "get", "secret/app/db"]);
    expect(metaJson.data.current_version).toBe(2);
  });

  it("delete soft-deletes: get prints the metadata (exit 0), -field finds no data (exit 2)", async () => {
    const del = await ok(["kv", "delete", "secret/app/cache"]);
    expect(del).toContain("Success! Data deleted (if it existed) at: secret/data/app/cache");
    const get = await mayfly(["kv", "get", "secret/app/cache"]);
    expect(get.code).toBe(0);
    expect(row(get.stdout, "deletion_time")).not.toBe("n/a");
    expect(get.stdout).not.toContain("== Data ==");
    const field = await mayfly(["kv", "get", "-field=url", "secret/app/cache"]);
    expect(field.code).toBe(2);
    expect(field.stdout).toBe("");
    expect(field.stderr).toContain("No data found");
  });

  it("kv get of a path never written exits 2", async () => {
    const r = await mayfly(["kv", "get", "secret/app/never"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("No value found at secret/data/app/never");
  });
});

describe("kv on a version 1 mount", () => {
  it("secrets enable kv, then put/get/list/delete through the kv commands", async () => {
    expect(await ok(["secrets", "enable", "-path=kv1", "kv"])).toContain("Success! Enabled the kv secrets engine at: kv1/");
    expect(await ok(["kv", "put", "kv1/svc", "token=abc", "n=1"])).toContain("Success! Data written to: kv1/svc");
    const j = await json(["kv", "get", "kv1/svc"]);
    expect(j.data).toEqual({ token: "abc", n: "1" });
    expect(j.data.data).toBeUndefined();
    expect(await ok(["kv", "get", "-field=token", "kv1/svc"])).toBe("abc");
    expect(await json(["kv", "list", "kv1"])).toEqual(["svc"]);
    // kv metadata is a version 2 notion: Vault's CLI refuses it on version 1.
    const meta = await mayfly(["kv", "metadata", "get", "kv1/svc"]);
    expect(meta).toMatchObject({ code: 1, stderr: "Metadata not supported on KV Version 1\n" });
    expect(await ok(["kv", "delete", "kv1/svc"])).toContain("Success! Data deleted (if it existed) at: kv1/svc");
    const gone = await mayfly(["kv", "get", "kv1/svc"]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain("No value found at kv1/svc");
  });
});

describe("read, write, list, delete, patch", () => {
  it("write k=v and read -format=json", async () => {
    expect(await ok(["write", "kv1/plain", "a=1", "b=two"])).toBe("Success! Data written to: kv1/plain\n");
    const j = await json(["read", "kv1/plain"]);
    expect(j.data).toEqual({ a: "1", b: "two" });
    expect(Object.keys(j)).toEqual(expect.arrayContaining(["request_id", "lease_id", "lease_duration", "renewable", "data", "warnings"]));
  });

  it("write k=@file reads the file as the value", async () => {
    const file = join(work, "cert.pem");
    writeFileSync(file, "-----BEGIN X-----\nabc\n-----END X-----\n");
    await ok(["write", "kv1/fromfile", `pem=@${file}`, "plain=\\@not-a-file"]);
    const j = await json(["read", "kv1/fromfile"]);
    expect(j.data.pem).toBe("-----BEGIN X-----\nabc\n-----END X-----\n");
    expect(j.data.plain).toBe("@not-a-file");
  });

  it("write k=- reads the value from stdin; a bare - merges a JSON object", async () => {
    await ok(["write", "kv1/fromstdin", "secret=-", "other=x"], { stdin: "from-stdin" });
    expect(await ok(["read", "-field=secret", "kv1/fromstdin"])).toBe("from-stdin");
    await ok(["write", "kv1/fromjson", "-"], { stdin: '{"k1": "v1", "k2": "v2"}' });
    expect((await json(["read", "kv1/fromjson"])).data).toEqual({ k1: "v1", k2: "v2" });
  });

  it("write without data needs -force (exit 1); with -force or -f it is sent", async () => {
    const r = await mayfly(["write", "auth/token/create"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Must supply data or use -force");
    const forced = await json(["write", "-force", "auth/token/create"]);
    expect(forced.auth.client_token).toMatch(/^hvs\./);
    const short = await json(["write", "-f", "auth/token/create"]);
    expect(short.auth.client_token).not.toBe(forced.auth.client_token);
  });

  it("read of a missing path exits 2 with 'No value found at'", async () => {
    const r = await mayfly(["read", "kv1/missing"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("No value found at kv1/missing\n");
  });

  it("list prints the keys; -format=json only the array; an empty list exits 2", async () => {
    const table = await ok(["list", "kv1"]);
    expect(table.split("\n")[0]).toBe("Keys");
    for (const k of ["fromfile", "fromjson", "fromstdin", "plain"]) expect(table).toContain(`\n${k}\n`);
    expect(await json(["list", "kv1"])).toEqual(["fromfile", "fromjson", "fromstdin", "plain"]);
    const none = await mayfly(["list", "kv1/nothing-here"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("No value found at kv1/nothing-here");
  });

  it("delete removes the entry", async () => {
    expect(await ok(["delete", "kv1/plain"])).toBe("Success! Data deleted (if it existed) at: kv1/plain\n");
    expect((await mayfly(["read", "kv1/plain"])).code).toBe(2);
  });

  it("patch sends a JSON merge patch (here to KV v2's data endpoint)", async () => {
    await ok(["kv", "put", "secret/patchme", "a=1", "b=2"]);
    // KV v2 answers a patch with the new version's metadata, which the CLI prints.
    const out = await ok(["patch", "secret/data/patchme", "-"], { stdin: '{"data": {"b": null, "c": "3"}}' });
    expect(row(out, "version")).toBe("2");
    expect((await json(["kv", "get", "secret/patchme"])).data.data).toEqual({ a: "1", c: "3" });
  });

  it("flags take two dashes and a separate value as well (--format json, --field x)", async () => {
    const r = await ok(["kv", "get", "--format", "json", "secret/patchme"]);
    expect(JSON.parse(r).data.data.c).toBe("3");
    expect(await ok(["read", "--field", "plain", "kv1/fromfile"])).toBe("@not-a-file");
    expect(await ok(["kv", "get", "--field=a", "secret/patchme"])).toBe("1");
  });

  it("an unknown flag is a usage error: exit 1, nothing sent", async () => {
    const r = await mayfly(["read", "-bogus-flag", "kv1/fromfile"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("flag provided but not defined: -bogus-flag");
    expect(r.stdout).toBe("");
  });
});

describe("secrets and auth mounts", () => {
  it("secrets enable -version=2 -path=x kv, list, tune, disable", async () => {
    expect(await ok(["secrets", "enable", "-version=2", "-path=x", "kv"])).toContain("Success! Enabled the kv secrets engine at: x/");
    const table = await ok(["secrets", "list"]);
    expect(table.split("\n")[0]).toMatch(/^Path\s+Type\s+Accessor\s+Description$/);
    expect(table).toMatch(/^x\/\s+kv\s+kv_[0-9a-f]+\s+n\/a$/m);
    expect(table).toMatch(/^secret\/\s+kv\s/m);
    const mounts = await json(["secrets", "list"]);
    expect(mounts["x/"].options).toEqual({ version: "2" });
    // The kv commands detect version 2 on the new mount.
    await ok(["kv", "put", "x/k", "v=1"]);
    expect((await json(["read", "x/data/k"])).data.data).toEqual({ v: "1" });

    expect(await ok(["secrets", "tune", "-default-lease-ttl=1h", "-max-lease-ttl=2h", "-description=tuned", "x"]))
      .toContain("Success! Tuned the secrets engine at: x/");
    const tune = await json(["read", "sys/mounts/x/tune"]);
    expect(tune.data).toMatchObject({ default_lease_ttl: 3600, max_lease_ttl: 7200, description: "tuned" });
    const bad = await mayfly(["secrets", "tune", "-default-lease-ttl=3h", "x"]);
    expect(bad.code).toBe(2);

    expect(await ok(["secrets", "disable", "x"])).toContain("Success! Disabled the secrets engine (if it existed) at: x/");
    expect((await json(["secrets", "list"]))["x/"]).toBeUndefined();
  });

  it("auth list shows the token method", async () => {
    const table = await ok(["auth", "list"]);
    // The last column is the plugin version, empty (n/a) for built-in methods.
    expect(table).toMatch(/^token\/\s+token\s+auth_token_[0-9a-f]+\s+token based credentials\s+n\/a$/m);
    expect((await json(["auth", "list"]))["token/"].type).toBe("token");
  });
});

describe("path-help and secrets move", () => {
  it("path-help prints a path's help and -format=json its OpenAPI; an unknown path exits 2", async () => {
    const help = await ok(["path-help", "secret/data/app/db"]);
    expect(help.split("\n").slice(0, 2)).toEqual(["Request:        data/app/db", "Matching Route: data/*path"]);
    expect(help).toMatch(/^ {4}data \(map\)$/m);
    const doc = await json(["path-help", "sys/mounts"]);
    expect(Object.keys(doc.paths)).toEqual(["/mounts"]);
    const missing = await mayfly(["path-help", "no-such-mount/x"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Error retrieving help:");
    const denied = await mayfly(["path-help", "sys/mounts"], { token: "not-a-token" });
    expect(denied.code).toBe(2);
  });

  it("secrets move moves the engine with its data; a second move from the old path exits 2", async () => {
    await ok(["secrets", "enable", "-version=2", "-path=moving", "kv"]);
    await ok(["kv", "put", "moving/app", "k=v"]);
    const moved = await ok(["secrets", "move", "moving", "moved"]);
    expect(moved).toMatch(/^Started moving secrets engine moving\/ to moved\/, with migration ID \S+\n/);
    expect(moved).toMatch(/^Success! Finished moving secrets engine moving\/ to moved\/, with migration ID \S+$/m);
    expect(await ok(["kv", "get", "-field=k", "moved/app"])).toBe("v");
    const mounts = await json(["secrets", "list"]);
    expect(mounts["moving/"]).toBeUndefined();
    expect(mounts["moved/"].options).toEqual({ version: "2" });
    const again = await mayfly(["secrets", "move", "moving", "elsewhere"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("Error moving secrets engine moving/ to elsewhere/:");
    await ok(["secrets", "disable", "moved"]);
  });
});

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
