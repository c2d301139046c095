/**
 * `bin/mayfly server -config=FILE` as an operator runs it: SQLite storage, a TLS listener
 * with a certificate made here by the real `openssl`, init and unseal through the CLI,
 * signals (SIGHUP reopens the audit file, SIGTERM stops cleanly), a restart that comes up
 * sealed with the data intact, a server made from two -config files, and configuration
 * errors that point at the file and line.
 */
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanEnv,
  eventually,
  makeTempDir,
  request,
  runMayfly,
  startMayflyServer,
  type CliResult,
  type MayflyServerProcess,
} from "./support/e2e.js";

const SECRET_VALUE = "Correct-Horse-Battery-Staple-7";

let dir: string;
let certFile: string;
let keyFile: string;
let configFile: string;
let dbPath: string;
let auditPath: string;
let server: MayflyServerProcess | undefined;
let unsealKeys: string[] = [];
let rootToken = "";

function writeConfig(logLevel: string): void {
  writeFileSync(
    configFile,
    [
      `storage "sqlite" {`,
      `  path = "${dbPath}"`,
      `}`,
      ``,
      `listener "tcp" {`,
      `  address       = "127.0.0.1:0"`,
      `  tls_cert_file = "${certFile}"`,
      `  tls_key_file  = "${keyFile}"`,
      `}`,
      ``,
      `log_level = "${logLevel}"`,
      ``,
    ].join("\n"),
  );
}

async function start(): Promise<MayflyServerProcess> {
  server = await startMayflyServer([`-config=${configFile}`], {
    env: cleanEnv({ HOME: dir }),
    caCert: readFileSync(certFile),
  });
  expect(server.address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  return server;
}

/** The CLI against the running server, trusting its certificate through MAYFLY_CACERT. */
function cli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runMayfly(args, {
    env: cleanEnv({
      MAYFLY_ADDR: server?.address,
      MAYFLY_CACERT: certFile,
      MAYFLY_TOKEN: rootToken || undefined,
      HOME: dir,
      ...env,
    }),
  });
}

async function ok(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<string> {
  const r = await cli(args, env);
  expect(r.code, `mayfly ${args.join(" ")}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function row(table: string, key: string): string | undefined {
  return table.split("\n").find((l) => l.startsWith(`${key} `))?.slice(key.length).trim();
}

/** Every stderr line is a JSON log record; returns them parsed. */
function logRecords(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`stderr line is not JSON: ${l}`);
      }
    });
}

beforeAll(() => {
  dir = makeTempDir("server-config");
  certFile = join(dir, "tls.crt");
  keyFile = join(dir, "tls.key");
  configFile = join(dir, "mayfly.hcl");
  dbPath = join(dir, "mayfly.db");
  auditPath = join(dir, "audit.log");
  // The real openssl binary, as an operator would make a self-signed certificate.
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
  ], { stdio: "ignore" });
  writeConfig("info");
});

afterAll(async () => {
  await server?.stop("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("a TLS server over SQLite", () => {
  it("starts uninitialised and says so; status exits 2", async () => {
    await start();
    expect(server?.stdout()).toContain("The server is not initialised");
    const r = await cli(["status"]);
    expect(r.code).toBe(2);
    expect(row(r.stdout, "Initialized")).toBe("false");
    expect(row(r.stdout, "Sealed")).toBe("true");
  });

  it("is refused by a client that does not trust its certificate", async () => {
    // As Vault's: status exits 1 when it gets no status at all, read exits 2.
    const status = await cli(["status"], { MAYFLY_CACERT: undefined });
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/certificate/i);
    const read = await cli(["read", "sys/seal-status"], { MAYFLY_CACERT: undefined });
    expect(read.code).toBe(2);
    expect(read.stderr).toMatch(/certificate/i);
  });

  it("operator init -key-shares=3 -key-threshold=2 over TLS", async () => {
    const out = await ok(["operator", "init", "-key-shares=3", "-key-threshold=2", "-format=json"]);
    const init = JSON.parse(out) as { unseal_keys_b64: string[]; unseal_keys_hex: string[]; unseal_threshold: number; root_token: string };
    expect(init.unseal_keys_b64).toHaveLength(3);
    expect(init.unseal_keys_hex).toHaveLength(3);
    expect(init.unseal_threshold).toBe(2);
    expect(new Set(init.unseal_keys_b64).size).toBe(3);
    unsealKeys = init.unseal_keys_b64;
    rootToken = init.root_token;
    const again = await cli(["operator", "init", "-key-shares=1", "-key-threshold=1"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already initialized");
  });

  it("unseals with two of the three keys (MAYFLY_CACERT, then the -ca-cert flag)", async () => {
    const first = await ok(["operator", "unseal", unsealKeys[0] as string]);
    expect(row(first, "Sealed")).toBe("true");
    expect(row(first, "Unseal Progress")).toBe("1/2");
    const second = await ok(["operator", "unseal", `-ca-cert=${certFile}`, unsealKeys[2] as string], { MAYFLY_CACERT: undefined });
    expect(row(second, "Sealed")).toBe("false");
    expect((await cli(["status"])).code).toBe(0);
  });

  it("writes and reads a secret", async () => {
    await ok(["secrets", "enable", "-version=2", "-path=secret", "kv"]);
    await ok(["kv", "put", "secret/app", `password=${SECRET_VALUE}`]);
    expect(await ok(["kv", "get", "-field=password", "secret/app"])).toBe(SECRET_VALUE);
  });

  it("SIGHUP reopens the audit file: after a rename, a new file appears at the original path", async () => {
    await ok(["audit", "enable", "file", `file_path=${auditPath}`]);
    const caCert = readFileSync(certFile);
    const get = async (path: string) => {
      const r = await request(`${server?.address}/v1/${path}`, { token: rootToken, caCert });
      expect(r.status).toBe(200);
    };
    // The file device also notices a moved path by itself, but at most once a second. Let
    // that check run now, so the request below, well inside the next second, can only
    // reach the new file through the SIGHUP.
    await new Promise((r) => setTimeout(r, 1_100));
    await get("secret/data/app");
    const rotated = `${auditPath}.1`;
    renameSync(auditPath, rotated);
    server?.child.kill("SIGHUP");
    await new Promise((r) => setTimeout(r, 100));
    await get("sys/mounts/secret/tune");
    await eventually(() => existsSync(auditPath) && readFileSync(auditPath, "utf8").includes("sys/mounts/secret/tune"), 2_000);
    const old = readFileSync(rotated, "utf8");
    expect(old).toContain("secret/data/app");
    expect(old).not.toContain("sys/mounts/secret/tune");
    for (const line of readFileSync(auditPath, "utf8").trim().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
    expect(server?.child.exitCode).toBeNull();
  });

  it("SIGHUP loads a renewed TLS certificate from the same files, without a restart", async () => {
    const presented = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const url = new URL(server?.address ?? "");
        const socket = tlsConnect({ host: url.hostname, port: Number(url.port), rejectUnauthorized: false }, () => {
          const fp = socket.getPeerCertificate().fingerprint256;
          socket.end();
          resolve(fp);
        });
        socket.on("error", reject);
      });
    const before = await presented();
    expect(before).toBe(new X509Certificate(readFileSync(certFile)).fingerprint256);
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", keyFile, "-out", certFile, "-days", "30", "-subj", "/CN=localhost",
      "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ], { stdio: "ignore" });
    const renewed = new X509Certificate(readFileSync(certFile)).fingerprint256;
    expect(renewed).not.toBe(before);
    server?.child.kill("SIGHUP");
    await eventually(async () => (await presented()) === renewed, 3_000);
    // Clients trusting the new certificate carry on; the server never stopped.
    expect(await ok(["kv", "get", "-field=password", "secret/app"])).toBe(SECRET_VALUE);
    expect(server?.stderr()).toContain("reload: configuration read again");
    expect(server?.child.exitCode).toBeNull();
  });

  it("logs JSON lines on stderr at the configured level, with no token, key or secret in them", () => {
    const stderr = server?.stderr() ?? "";
    const records = logRecords(stderr);
    expect(records.some((r) => r["msg"] === "core unsealed")).toBe(true);
    for (const r of records) expect(typeof r["level"]).toBe("number");
    expect(stderr).not.toContain(rootToken);
    expect(stderr).not.toContain(SECRET_VALUE);
    for (const key of unsealKeys) expect(stderr).not.toContain(key);
    // Nor in the audit files, which HMAC them.
    const audit = readFileSync(auditPath, "utf8") + readFileSync(`${auditPath}.1`, "utf8");
    expect(audit).not.toContain(rootToken);
    expect(audit).not.toContain(SECRET_VALUE);
  });

  it("SIGTERM stops the process with exit 0 within a few seconds", async () => {
    const s = server as MayflyServerProcess;
    const t0 = Date.now();
    s.child.kill("SIGTERM");
    const exit = await Promise.race([s.exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 5_000))]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(s.stdout()).toContain("SIGTERM received");
    // Nothing in the storage files is readable: not the secret, not the root token.
    for (const f of readdirSync(dir).filter((n) => n.startsWith("mayfly.db"))) {
      const bytes = readFileSync(join(dir, f));
      expect(bytes.includes(SECRET_VALUE)).toBe(false);
      expect(bytes.includes(rootToken)).toBe(false);
    }
  });

  it("a restart comes up sealed; after unseal the secret is there", async () => {
    writeConfig("error");
    await start();
    expect(server?.stdout()).toContain("The server is sealed");
    const status = await cli(["status"]);
    expect(status.code).toBe(2);
    expect(row(status.stdout, "Initialized")).toBe("true");
    expect(row(status.stdout, "Sealed")).toBe("true");
    expect((await cli(["kv", "get", "secret/app"])).stderr).toContain("Code: 503");
    // A different pair of keys from the first time.
    await ok(["operator", "unseal", unsealKeys[1] as string]);
    expect(row(await ok(["operator", "unseal", unsealKeys[0] as string]), "Sealed")).toBe("false");
    expect(await ok(["kv", "get", "-field=password", "secret/app"])).toBe(SECRET_VALUE);
    // log_level = "error": the unseal that logged at info before logs nothing now.
    expect(logRecords(server?.stderr() ?? "")).toEqual([]);
    const exit = await server?.stop("SIGTERM", 5_000);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});

describe("several configuration files", () => {
  it("merges two -config files: storage from the first, a listener from each, settings from both, the later log_level", async () => {
    const base = join(dir, "multi-base.hcl");
    const extra = join(dir, "multi-extra.hcl");
    const multiDb = join(dir, "multi.db");
    writeFileSync(base, [
      `storage "sqlite" {`,
      `  path = "${multiDb}"`,
      `}`,
      `listener "tcp" {`,
      `  address     = "127.0.0.1:0"`,
      `  tls_disable = true`,
      `}`,
      `max_lease_ttl = "2h"`,
      `log_level     = "info"`,
      ``,
    ].join("\n"));
    writeFileSync(extra, [
      `listener "tcp" {`,
      `  address     = "127.0.0.1:0"`,
      `  tls_disable = true`,
      `}`,
      `default_lease_ttl = "90m"`,
      `log_level         = "error"`,
      ``,
    ].join("\n"));
    const s = await startMayflyServer([`-config=${base}`, `-config=${extra}`], { env: cleanEnv({ HOME: dir }) });
    try {
      const addresses = /listening on ([^\n]+)/.exec(s.stdout())?.[1]?.split(", ") ?? [];
      expect(addresses).toHaveLength(2);
      expect(new Set(addresses).size).toBe(2);
      const [first, second] = addresses as [string, string];
      // Both listeners serve the one core: initialised through one, unsealed through the other.
      const init = await request(`${second}/v1/sys/init`, { method: "PUT", body: { secret_shares: 1, secret_threshold: 1 } });
      expect(init.status).toBe(200);
      const { keys_base64: keys, root_token: root } = JSON.parse(init.text) as { keys_base64: string[]; root_token: string };
      const unseal = await request(`${first}/v1/sys/unseal`, { method: "PUT", body: { key: keys[0] } });
      expect(JSON.parse(unseal.text)).toMatchObject({ sealed: false });
      expect(existsSync(multiDb)).toBe(true);
      // max_lease_ttl from the first file, default_lease_ttl from the second.
      const tune = await request(`${second}/v1/sys/auth/token/tune`, { token: root });
      expect(tune.status).toBe(200);
      expect(JSON.parse(tune.text)).toMatchObject({ default_lease_ttl: 5400, max_lease_ttl: 7200 });
      // log_level "error" from the later file: the unseal logged nothing at info.
      expect(logRecords(s.stderr())).toEqual([]);
    } finally {
      expect(await s.stop("SIGTERM", 5_000)).toEqual({ code: 0, signal: null });
    }
  });
});

describe("configuration errors", () => {
  async function serverWith(name: string, text: string): Promise<CliResult> {
    const file = join(dir, name);
    writeFileSync(file, text);
    return runMayfly(["server", `-config=${file}`], { env: cleanEnv({ HOME: dir }), timeoutMs: 10_000 });
  }

  it("an unknown storage type exits 1 naming the file and line", async () => {
    const r = await serverWith("bad-storage.hcl", `listener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n\nstorage "s3" {\n  bucket = "x"\n}\n`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, "bad-storage.hcl")}:6:`);
    expect(r.stderr).toContain('unknown storage type "s3"');
  });

  it("malformed HCL exits 1 naming the file and line", async () => {
    const r = await serverWith("bad-syntax.hcl", `storage "sqlite" {\n  path = "${dbPath}"\n}\n\nlistener "tcp" {\n  address = \n}\n`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${join(dir, "bad-syntax.hcl").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:[67]\\b`));
  });

  it("a storage block in each of two files exits 1 naming both", async () => {
    const first = join(dir, "two-storage-a.hcl");
    const second = join(dir, "two-storage-b.hcl");
    writeFileSync(first, `storage "sqlite" {\n  path = "${dbPath}"\n}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n`);
    writeFileSync(second, `# a second database by mistake\nstorage "sqlite" {\n  path = "${join(dir, "other.db")}"\n}\n`);
    const r = await runMayfly(["server", `-config=${first}`, `-config=${second}`], { env: cleanEnv({ HOME: dir }), timeoutMs: 10_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${second}:2: only one storage block is allowed (another is at ${first}:1)`);
  });

  it("a missing configuration file exits 1 naming it", async () => {
    const r = await runMayfly(["server", `-config=${join(dir, "nope.hcl")}`], { env: cleanEnv({ HOME: dir }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(join(dir, "nope.hcl"));
  });
});
