/** Settings a Vault configuration file may hold: those Mayfly reads, ignores or refuses. */
import { describe, expect, it } from "vitest";
import { parseServerConfig } from "./config.js";

describe("x_forwarded_for_* listener settings", () => {
  const listener = (extra: string[]) =>
    parseServerConfig(['storage "inmem" {}', 'listener "tcp" {', '  address = "127.0.0.1:8200"', "  tls_disable = true", ...extra, "}"].join("\n"), "lb.hcl").listeners[0];

  it("reads Vault's forms, with Vault's defaults", () => {
    expect(listener(['  x_forwarded_for_authorized_addrs = "10.0.0.0/8, 192.168.1.1"'])?.forwardedFor).toEqual({
      authorizedAddrs: ["10.0.0.0/8", "192.168.1.1"],
      hopSkips: 0,
      rejectNotAuthorized: true,
      rejectNotPresent: true,
    });
    expect(
      listener([
        '  x_forwarded_for_authorized_addrs = ["10.0.0.0/8"]',
        '  x_forwarded_for_hop_skips = "1"',
        "  x_forwarded_for_reject_not_authorized = false",
        '  x_forwarded_for_reject_not_present = "false"',
      ])?.forwardedFor,
    ).toEqual({ authorizedAddrs: ["10.0.0.0/8"], hopSkips: 1, rejectNotAuthorized: false, rejectNotPresent: false });
    expect(listener([])?.forwardedFor).toBeUndefined();
  });

  it("names the file and line of a bad setting", () => {
    expect(() => listener(['  x_forwarded_for_authorized_addrs = "10.0.0.0/33"'])).toThrow(/lb\.hcl:5: .*"10\.0\.0\.0\/33" is not an address or CIDR block/);
    expect(() => listener(['  x_forwarded_for_authorized_addrs = "10.0.0.0/8"', "  x_forwarded_for_hop_skips = -1"])).toThrow(/lb\.hcl:6: .*hop_skips/);
    expect(() => listener(["  x_forwarded_for_hop_skips = 1"])).toThrow(/needs x_forwarded_for_authorized_addrs/);
  });
});

describe("settings only Vault uses", () => {
  const parse = (lines: string[]) => parseServerConfig(['storage "inmem" {}', ...lines].join("\n"), "vault.hcl");
  const listenerWith = (extra: string[]) => ['listener "tcp" {', '  address = "127.0.0.1:8200"', "  tls_disable = true", ...extra, "}"];

  it("accepts a Vault file's harmless settings with a warning for each", () => {
    const config = parse([
      ...listenerWith(["  telemetry {", "    unauthenticated_metrics_access = true", "  }", '  http_read_timeout = "30s"']),
      "telemetry {",
      '  prometheus_retention_time = "30s"',
      "}",
      'plugin_directory = "/etc/vault/plugins"',
      'seal "shamir" {}',
    ]);
    expect(config.listeners).toHaveLength(1);
    expect(config.warnings).toEqual([
      "vault.hcl:10: telemetry is a Vault setting Mayfly does not use; ignored",
      "vault.hcl:13: plugin_directory is a Vault setting Mayfly does not use; ignored",
      'vault.hcl:5: listener "tcp": telemetry is a Vault setting Mayfly does not use; ignored',
      'vault.hcl:8: listener "tcp": http_read_timeout is a Vault setting Mayfly does not use; ignored',
    ]);
  });

  it("refuses what it cannot honour, naming the line and the reason", () => {
    expect(() => parse([...listenerWith([]), 'seal "awskms" {', '  region = "us-east-1"', "}"])).toThrow(
      'vault.hcl:6: seal "awskms": auto-unseal is not supported; Mayfly unseals with Shamir key shares',
    );
    expect(() => parse([...listenerWith([]), 'ha_storage "consul" {}'])).toThrow(/vault\.hcl:6: ha_storage: HA storage is not supported/);
    expect(() => parse(listenerWith(['  tls_cipher_suites = "TLS_ECDHE_RSA_WITH_RC4_128_SHA"']))).toThrow(
      'vault.hcl:5: listener "tcp": tls_cipher_suites: unknown or unsupported cipher suite "TLS_ECDHE_RSA_WITH_RC4_128_SHA"',
    );
    expect(parse(listenerWith(['  tls_cipher_suites = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256"'])).listeners[0]?.tlsCipherSuites).toEqual({
      written: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256",
      openssl: "ECDHE-RSA-AES128-GCM-SHA256",
    });
    expect(() => parse([...listenerWith([]), "listner {}"])).toThrow(/vault\.hcl:6: unknown key "listner"/);
  });
});

describe("Vault's file and raft storage", () => {
  const withStorage = (storage: string[]) =>
    parseServerConfig([...storage, 'listener "tcp" {', '  address = "127.0.0.1:8200"', "  tls_disable = true", "}"].join("\n"), "vault.hcl");

  it("keeps Mayfly's SQLite database in the directory they name, saying so", () => {
    const file = withStorage(['storage "file" {', '  path = "/vault/file"', "}"]);
    expect(file.storage).toEqual({ type: "sqlite", path: "/vault/file/mayfly.db" });
    expect(file.warnings).toEqual(['vault.hcl:1: storage "file": Mayfly keeps its data in one SQLite database, /vault/file/mayfly.db, not in Vault\'s file layout']);
    const raft = withStorage(['storage "raft" {', '  path = "/vault/data"', '  node_id = "node1"', "}"]);
    expect(raft.storage).toEqual({ type: "sqlite", path: "/vault/data/mayfly.db" });
    expect(raft.warnings).toEqual([
      'vault.hcl:3: storage "raft": node_id is a Vault setting Mayfly does not use; ignored',
      'vault.hcl:1: storage "raft": Mayfly keeps its data in one SQLite database, /vault/data/mayfly.db, not in Vault\'s raft layout',
    ]);
  });

  it("refuses a raft cluster and a directory left out", () => {
    expect(() => withStorage(['storage "raft" {', '  path = "/vault/data"', "  retry_join {", '    leader_api_addr = "https://vault-0:8200"', "  }", "}"])).toThrow(
      'vault.hcl:3: storage "raft": retry_join: raft clustering is not supported; Mayfly runs as a single node',
    );
    expect(() => withStorage(['storage "file" {}'])).toThrow('vault.hcl:1: storage "file": path must be set to a directory');
  });
});

