/**
 * A TLS listener's tls_cipher_suites (Go's names, as in a Vault config): TLS 1.2 clients
 * get only the suites listed; TLS 1.3 keeps its own suites, as in Go. Checked with real
 * handshakes against a certificate made by openssl.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../src/server/app.js";
import { parseServerConfig } from "../src/server/config.js";
import { silentLogger } from "../src/server/logger.js";
import { InmemStorage } from "../src/storage/inmem.js";

let dir: string;
let server: RunningServer;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mayfly-ciphers-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", join(dir, "k.pem"), "-out", join(dir, "c.pem"), "-days", "1", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=IP:127.0.0.1",
  ], { stdio: "ignore" });
  const config = parseServerConfig(
    [
      'storage "inmem" {}',
      'listener "tcp" {',
      '  address = "127.0.0.1:0"',
      `  tls_cert_file = "${join(dir, "c.pem")}"`,
      `  tls_key_file = "${join(dir, "k.pem")}"`,
      '  tls_cipher_suites = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305"',
      "}",
    ].join("\n"),
    "tls.hcl",
  );
  server = await startServer({ storage: new InmemStorage(), storageType: "inmem", listeners: config.listeners, logger: silentLogger });
  port = Number(new URL(server.addresses[0] as string).port);
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function handshake(opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const c = tls.connect({ host: "127.0.0.1", port, ca: readFileSync(join(dir, "c.pem")), ...opts }, () => {
      resolve(`${c.getProtocol()} ${c.getCipher().name}`);
      c.end();
    });
    c.on("error", (e: NodeJS.ErrnoException) => resolve(`refused ${e.code ?? e.message}`));
  });
}

describe("tls_cipher_suites", () => {
  it("offers TLS 1.2 clients only the listed suites", async () => {
    expect(await handshake({ maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256" })).toBe("TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256");
    expect(await handshake({ maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-CHACHA20-POLY1305" })).toBe("TLSv1.2 ECDHE-ECDSA-CHACHA20-POLY1305");
    expect(await handshake({ maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES256-GCM-SHA384" })).toMatch(/^refused/);
  });

  it("leaves TLS 1.3 to its own suites, as Go does", async () => {
    expect(await handshake({})).toMatch(/^TLSv1\.3 TLS_/);
  });
});
