/** TLS options of the HTTP client against a throwaway HTTPS server (needs the openssl binary). */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { run } from "./testing.js";

let dir = "";
let server: https.Server;
let addr = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mayfly-tls-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
  ], { stdio: "ignore" });
  server = https.createServer({ key: await readFile(join(dir, "key.pem")), cert: await readFile(join(dir, "cert.pem")) }, (_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ data: { ok: "yes" } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  addr = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe("TLS", () => {
  it("refuses an unknown CA", async () => {
    const r = await run(["read", "secret/x"], addr);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/self-signed|self signed/);
  });

  it("trusts -ca-cert and MAYFLY_CACERT / VAULT_CACERT", async () => {
    const ca = join(dir, "cert.pem");
    expect((await run(["read", `-ca-cert=${ca}`, "-field=ok", "secret/x"], addr)).stdout).toBe("yes");
    expect((await run(["read", "-field=ok", "secret/x"], addr, { env: { VAULT_CACERT: ca } })).stdout).toBe("yes");
    expect((await run(["read", "-field=ok", "secret/x"], addr, { env: { MAYFLY_CACERT: ca } })).stdout).toBe("yes");
  });

  it("skips verification with -tls-skip-verify or VAULT_SKIP_VERIFY", async () => {
    expect((await run(["read", "-tls-skip-verify", "-field=ok", "secret/x"], addr)).stdout).toBe("yes");
    expect((await run(["read", "-field=ok", "secret/x"], addr, { env: { VAULT_SKIP_VERIFY: "true" } })).stdout).toBe("yes");
  });

  it("reports an unreadable CA file as a local error", async () => {
    const r = await run(["read", `-ca-cert=${join(dir, "missing.pem")}`, "secret/x"], addr);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error initializing client: /);
  });
});
