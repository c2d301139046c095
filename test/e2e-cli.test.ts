/**
 * The built `bin/mayfly` against a dev server, each in its own process (harness in
 * test/support/e2e-cli.ts): status and login, kv, the generic read/write/list/delete/patch,
 * mounts and path-help. test/e2e-cli-admin.test.ts has policies, tokens, audit and operator.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { json, mayfly, ok, ROOT, row, tempDir, useCliServer, work } from "./support/e2e-cli.js";

useCliServer();

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
