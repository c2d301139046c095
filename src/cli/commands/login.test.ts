import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from "vitest";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StubServer, run } from "../testing.js";

const stub = new StubServer();
let addr = "";
let home = "";

const noEnvToken = { MAYFLY_TOKEN: undefined, VAULT_TOKEN: undefined };

beforeAll(async () => {
  addr = await stub.start();
  stub.on("GET", "auth/token/lookup-self", (req) =>
    req.headers["x-vault-token"] === "s.good"
      ? { body: { data: { id: "s.good", accessor: "acc", policies: ["default", "dev"], ttl: 2764800, renewable: true, meta: { user: "alice" } } } }
      : { status: 403, body: { errors: ["permission denied"] } },
  );
  stub.on("POST", "auth/userpass/login/alice", {
    body: { auth: { client_token: "s.user", accessor: "a2", policies: ["default"], token_policies: ["default"], lease_duration: 3600, renewable: true } },
  });
  stub.on("POST", "auth/approle/login", { body: { auth: { client_token: "s.app", accessor: "a3", lease_duration: 1200 } } });
  stub.on("POST", "auth/corp-ldap/login/bob", { body: { auth: { client_token: "s.ldap", accessor: "a4" } } });
});
afterAll(() => stub.close());
beforeEach(async () => {
  stub.requests.length = 0;
  home = await mkdtemp(join(tmpdir(), "mayfly-login-"));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const tokenFile = () => join(home, ".mayfly-token");

describe("login with a token", () => {
  it("verifies with lookup-self and stores the token with mode 0600", async () => {
    const r = await run(["login", "s.good"], addr, { homeDir: home, env: noEnvToken });
    expect(r.code).toBe(0);
    expect(stub.last().headers["x-vault-token"]).toBe("s.good");
    expect(await readFile(tokenFile(), "utf8")).toBe("s.good");
    expect((await stat(tokenFile())).mode & 0o777).toBe(0o600);
    expect(r.stdout).toContain("Success! You are now authenticated.");
    expect(r.stdout).toContain("token                s.good");
    expect(r.stdout).toContain("token_duration       768h");
    expect(r.stdout).toContain("token_meta_user      alice");
  });

  it("exits 2 and stores nothing for a bad token", async () => {
    const r = await run(["login", "s.bad"], addr, { homeDir: home, env: noEnvToken });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Error authenticating: error looking up token: Error making API request\./);
    await expect(stat(tokenFile())).rejects.toThrow();
  });

  it("reads the token from stdin with - and with no argument", async () => {
    expect((await run(["login", "-"], addr, { homeDir: home, env: noEnvToken, stdin: "s.good\n" })).code).toBe(0);
    expect(await readFile(tokenFile(), "utf8")).toBe("s.good");
    await rm(tokenFile());
    expect((await run(["login"], addr, { homeDir: home, env: noEnvToken, stdin: "s.good\n" })).code).toBe(0);
    expect(await readFile(tokenFile(), "utf8")).toBe("s.good");
  });

  it("does not store with -no-store, and -token-only prints just the token", async () => {
    const r = await run(["login", "-no-store", "s.good"], addr, { homeDir: home, env: noEnvToken });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("The token was not stored in token helper.");
    await expect(stat(tokenFile())).rejects.toThrow();
    const only = await run(["login", "-token-only", "s.good"], addr, { homeDir: home, env: noEnvToken });
    expect(only).toMatchObject({ code: 0, stdout: "s.good", stderr: "" });
  });

  it("warns when an environment token will take precedence", async () => {
    const r = await run(["login", "s.good"], addr, { homeDir: home, env: { MAYFLY_TOKEN: "s.env" } });
    expect(r.stderr).toContain("WARNING! The MAYFLY_TOKEN environment variable is set!");
  });
});

describe("login with other methods", () => {
  it("posts userpass with the username in the path and no stored token", async () => {
    await writeFile(tokenFile(), "s.stale");
    const r = await run(["login", "-method=userpass", "username=alice", "password=pw"], addr, { homeDir: home, env: noEnvToken });
    expect(r.code).toBe(0);
    expect(stub.last()).toMatchObject({ method: "POST", path: "auth/userpass/login/alice", body: { password: "pw" } });
    expect(stub.last().headers["x-vault-token"]).toBeUndefined();
    expect(await readFile(tokenFile(), "utf8")).toBe("s.user");
  });

  it("reads a missing password from stdin", async () => {
    await run(["login", "-method=userpass", "username=alice"], addr, { homeDir: home, env: noEnvToken, stdin: "pw2\n" });
    expect(stub.last().body).toEqual({ password: "pw2" });
  });

  it("posts every k=v to auth/<path>/login for other methods, honouring -path", async () => {
    const r = await run(["login", "-method=approle", "role_id=r1", "secret_id=s1", "-field=token"], addr, { homeDir: home, env: noEnvToken });
    expect(r).toMatchObject({ code: 0, stdout: "s.app" });
    expect(stub.last()).toMatchObject({ path: "auth/approle/login", body: { role_id: "r1", secret_id: "s1" } });
    await run(["login", "-method=ldap", "-path=corp-ldap", "username=bob", "password=x"], addr, { homeDir: home, env: noEnvToken });
    expect(stub.last().path).toBe("auth/corp-ldap/login/bob");
  });

  it("exits 2 on failed authentication", async () => {
    const r = await run(["login", "-method=userpass", "username=nobody", "password=x"], addr, { homeDir: home, env: noEnvToken });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Error authenticating: Error making API request\./);
  });
});

describe("the token in use", () => {
  it("comes from MAYFLY_TOKEN, then VAULT_TOKEN, then the trimmed file", async () => {
    await writeFile(tokenFile(), "s.file\n");
    const base = { homeDir: home };
    expect((await run(["print", "token"], addr, { ...base, env: { MAYFLY_TOKEN: "s.m", VAULT_TOKEN: "s.v" } })).stdout).toBe("s.m\n");
    expect((await run(["print", "token"], addr, { ...base, env: { MAYFLY_TOKEN: undefined, VAULT_TOKEN: "s.v" } })).stdout).toBe("s.v\n");
    expect((await run(["print", "token"], addr, { ...base, env: noEnvToken })).stdout).toBe("s.file\n");
    stub.on("GET", "secret/x", { body: { data: { a: "b" } } });
    await run(["read", "secret/x"], addr, { ...base, env: noEnvToken });
    expect(stub.last().headers["x-vault-token"]).toBe("s.file");
  });
});
