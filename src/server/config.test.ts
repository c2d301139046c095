import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it, expect } from "vitest";
import { isMayflyError } from "../framework/errors.js";
import { loadServerConfig, mergeConfigFiles, parseConfigFile, parseServerConfig, type ServerConfig } from "./config.js";

function refusal(text: string, file = "config.hcl"): string {
  try {
    parseServerConfig(text, file);
  } catch (e) {
    if (isMayflyError(e)) return e.message;
    throw e;
  }
  throw new Error("expected the config to be refused");
}

describe("parseServerConfig", () => {
  it("reads a full HCL configuration", () => {
    const config = parseServerConfig(
      `# production
storage "sqlite" {
  path        = "/var/lib/mayfly/mayfly.db"
  synchronous = "normal"
}

listener "tcp" {
  address            = "0.0.0.0:8200"
  tls_cert_file      = "/etc/mayfly/tls.crt"
  tls_key_file       = "/etc/mayfly/tls.key"
  tls_client_ca_file = "/etc/mayfly/ca.crt"
  tls_min_version    = "tls13"
  max_request_size   = 1048576
  max_request_duration = "30s"
}

listener "tcp" {
  address     = "127.0.0.1:8201"
  tls_disable = "true"
}

api_addr          = "https://mayfly.example.com:8200"
cluster_addr      = "https://10.0.0.5:8201"
default_lease_ttl = "1h30m"
max_lease_ttl     = 86400
log_level         = "Warning"
log_format        = "json"
ui                = true
disable_mlock     = true
pid_file          = "/run/mayfly.pid"
cluster_name      = "main"
`,
      "prod.hcl",
    );
    expect(config).toEqual({
      storage: { type: "sqlite", path: "/var/lib/mayfly/mayfly.db", synchronous: "normal" },
      listeners: [
        {
          type: "tcp",
          address: "0.0.0.0:8200",
          host: "0.0.0.0",
          port: 8200,
          tlsDisable: false,
          tlsCertFile: "/etc/mayfly/tls.crt",
          tlsKeyFile: "/etc/mayfly/tls.key",
          tlsClientCaFile: "/etc/mayfly/ca.crt",
          tlsMinVersion: "tls13",
          tlsMaxVersion: "tls13",
          tlsRequireAndVerifyClientCert: false,
          tlsDisableClientCerts: false,
          maxRequestSizeBytes: 1048576,
          maxRequestDurationSeconds: 30,
          file: "prod.hcl",
          line: 7,
        },
        {
          type: "tcp",
          address: "127.0.0.1:8201",
          host: "127.0.0.1",
          port: 8201,
          tlsDisable: true,
          tlsMinVersion: "tls12",
          tlsMaxVersion: "tls13",
          tlsRequireAndVerifyClientCert: false,
          tlsDisableClientCerts: false,
          maxRequestSizeBytes: 33554432,
          maxRequestDurationSeconds: 90,
          file: "prod.hcl",
          line: 17,
        },
      ],
      apiAddr: "https://mayfly.example.com:8200",
      clusterAddr: "https://10.0.0.5:8201",
      defaultLeaseTtlSeconds: 5400,
      maxLeaseTtlSeconds: 86400,
      logLevel: "warn",
      logFormat: "json",
      ui: true,
      disableMlock: true,
      pidFile: "/run/mayfly.pid",
      clusterName: "main",
      warnings: [],
    });
  });

  it("applies Vault's defaults", () => {
    const config = parseServerConfig('storage "inmem" {}\nlistener "tcp" {\n  tls_disable = 1\n}', "c.hcl");
    expect(config.storage).toEqual({ type: "inmem" });
    expect(config.listeners[0]).toMatchObject({ address: "127.0.0.1:8200", host: "127.0.0.1", port: 8200, tlsDisable: true });
    expect(config.defaultLeaseTtlSeconds).toBe(768 * 3600);
    expect(config.maxLeaseTtlSeconds).toBe(768 * 3600);
    expect(config.logLevel).toBeUndefined();
    expect(config.ui).toBe(false);
  });

  it("accepts backend as the old name of storage, and IPv6 listener addresses", () => {
    const config = parseServerConfig('backend "sqlite" { path = "x.db" }\nlistener "tcp" {\n  address = "[::1]:9200"\n  tls_disable = true\n}', "c.hcl");
    expect(config.storage).toEqual({ type: "sqlite", path: "x.db" });
    expect(config.listeners[0]).toMatchObject({ host: "::1", port: 9200 });
  });

  it("lowers an unset default lease TTL to a smaller max", () => {
    const config = parseServerConfig('storage "inmem" {}\nlistener "tcp" { tls_disable = true }\nmax_lease_ttl = "1h"', "c.hcl");
    expect(config.defaultLeaseTtlSeconds).toBe(3600);
    expect(config.maxLeaseTtlSeconds).toBe(3600);
  });

  it("reads the JSON form, with listeners as a list or an object", () => {
    const asList = parseServerConfig(
      JSON.stringify({
        storage: { sqlite: { path: "/data/m.db" } },
        listener: [{ tcp: { address: "0.0.0.0:8200", tls_disable: true } }, { tcp: { address: "0.0.0.0:8300", tls_disable: "1" } }],
        default_lease_ttl: "768h",
        ui: true,
      }),
      "config.json",
    );
    expect(asList.storage).toEqual({ type: "sqlite", path: "/data/m.db" });
    expect(asList.listeners.map((l) => l.port)).toEqual([8200, 8300]);
    expect(asList.ui).toBe(true);
    const asObject = parseServerConfig('{"storage": {"inmem": {}}, "listener": {"tcp": {"tls_disable": true}}}', "config.json");
    expect(asObject.listeners).toHaveLength(1);
  });

  it("warns about settings given twice", () => {
    const config = parseServerConfig('storage "inmem" {}\nlistener "tcp" { tls_disable = true }\nui = false\nui = true', "c.hcl");
    expect(config.ui).toBe(true);
    expect(config.warnings).toEqual(['c.hcl:4: "ui" is set more than once in this file; this value is used']);
  });

  it.each([
    ['storage "inmem" {}\nlistener "tcp" { tls_disable = true }\n\nstorage "s3" {}', 'config.hcl:4: only one storage block is allowed (another is on line 1)'],
    ['listener "tcp" { tls_disable = true }\n\n\nstorage "s3" {\n  bucket = "x"\n}', 'config.hcl:4: unknown storage type "s3" (supported: sqlite, inmem, file, raft)'],
    ['listener "tcp" { tls_disable = true }', 'config.hcl: no storage configured'],
    ['storage "inmem" {}', "config.hcl: no listener configured"],
    ['storage "inmem" {}\nlistener "tcp" { tls_disable = true }\nteleemetry {\n}\nsael "awskms" {}', 'config.hcl:3: unknown keys "teleemetry" (line 3), "sael" (line 5) (supported: storage, backend, listener'],
    ['storage "inmem" {}\nlistener "tcp" { tls_disable = true }\nha_storage "x" {}', 'config.hcl:3: ha_storage: HA storage is not supported: Mayfly runs as a single node'],
    ['storage "sqlite" {\n  path = "x"\n  table = "kv"\n}\nlistener "tcp" { tls_disable = true }', 'config.hcl:3: storage "sqlite": unknown key "table" (supported: path, synchronous)'],
    ['storage "sqlite" {}\nlistener "tcp" { tls_disable = true }', 'config.hcl:1: storage "sqlite": path must be set'],
    ['storage "sqlite" {\n  path = "x"\n  synchronous = "off"\n}\nlistener "tcp" { tls_disable = true }', 'config.hcl:3: storage "sqlite": synchronous must be "full" or "normal"'],
    ['storage "inmem" {\n  path = "x"\n}\nlistener "tcp" { tls_disable = true }', 'config.hcl:2: storage "inmem": unknown key "path" (it takes no settings)'],
    ['storage "inmem" {}\nlistener "udp" {}', 'config.hcl:2: unknown listener type "udp" (supported: tcp, unix)'],
    ['storage "inmem" {}\nlistener "tcp" {\n  address = "localhost"\n  tls_disable = true\n}', 'config.hcl:3: listener "tcp": invalid address "localhost" (expected host:port'],
    ['storage "inmem" {}\nlistener "tcp" {\n  address = "0.0.0.0:8200"\n}', 'config.hcl:2: listener "tcp": tls_cert_file must be set, or TLS turned off with tls_disable = true'],
    ['storage "inmem" {}\nlistener "tcp" {\n  tls_disable = "maybe"\n}', 'config.hcl:3: listener "tcp": tls_disable must be true or false'],
    ['storage "inmem" {}\nlistener "tcp" {\n  tls_disable = true\n  tls_min_version = "tls14"\n}', 'config.hcl:4: listener "tcp": tls_min_version must be one of tls10, tls11, tls12, tls13, got "tls14"'],
    ['storage "inmem" {}\nlistener "tcp" {\n  tls_disable = true\n  proxy_protocol_behavior = "use_always"\n}', 'config.hcl:4: listener "tcp": proxy_protocol_behavior is not supported: Mayfly does not read PROXY protocol headers'],
    ['storage "inmem" {}\nlistener "tcp" { tls_disable = true }\ndefault_lease_ttl = "forever"', 'config.hcl:3: default_lease_ttl: invalid duration "forever"'],
    ['storage "inmem" {}\nlistener "tcp" { tls_disable = true }\ndefault_lease_ttl = "2h"\nmax_lease_ttl = "1h"', "config.hcl:3: default_lease_ttl (7200s) must not exceed max_lease_ttl (3600s)"],
    ['storage "inmem" {}\nlistener "tcp" { tls_disable = true }\nlog_level = "loud"', 'config.hcl:3: unknown log_level "loud"'],
    ['storage "inmem" {}\nlistener "tcp" { tls_disable = true }\nui = "yes"', "config.hcl:3: ui must be true or false"],
    ['storage "inmem" {}\nlistener "tcp" { tls_disable = true }\napi_addr = "mayfly:8200"', 'config.hcl:3: api_addr must be a URL'],
    ['storage "inmem" {}\nlistener "tcp" {\n  tls_disable true\n}', 'config.hcl:3:15: expected "=" after "tls_disable"'],
    ['storage = "inmem"\nlistener "tcp" { tls_disable = true }', 'config.hcl:1:11: "storage" must be a block with 1 label'],
    ['{"storage": {"inmem": {}}, "listener": {"tcp": {"tls_disable": true}},}', "config.hcl:1:71: expected a quoted key"],
  ])("refuses %j", (text, message) => {
    expect(refusal(text)).toContain(message);
  });

  it("names the file it was given", () => {
    expect(refusal('storage "s3" {}\nlistener "tcp" {}', "/etc/mayfly/server.hcl")).toMatch(/^\/etc\/mayfly\/server\.hcl:1: unknown storage type "s3"/);
  });
});

/** Files as an operator would split them: storage in one, listeners and settings in others. */
function merged(files: Record<string, string>): ServerConfig {
  return mergeConfigFiles(Object.entries(files).map(([name, text]) => parseConfigFile(text, name)));
}

function mergeRefusal(files: Record<string, string>): string {
  try {
    merged(files);
  } catch (e) {
    if (isMayflyError(e)) return e.message;
    throw e;
  }
  throw new Error("expected the files to be refused");
}

describe("mergeConfigFiles", () => {
  it("adds listeners up in file order and lets a later file's settings win", () => {
    const config = merged({
      "a.hcl": [
        'storage "sqlite" {',
        '  path = "/data/m.db"',
        "}",
        'listener "tcp" {',
        '  address = "127.0.0.1:8200"',
        "  tls_disable = true",
        "}",
        'api_addr = "https://a.example.com:8200"',
        'log_level = "info"',
        'cluster_name = "a"',
        'lease_recovery_grace = "10s"',
        'default_max_request_duration = "30s"',
      ].join("\n"),
      "b.json": JSON.stringify({
        listener: { tcp: { address: "127.0.0.1:8300", tls_disable: true } },
        api_addr: "https://b.example.com:8200",
        log_level: "debug",
        log_format: "json",
        lease_recovery_grace: "20s",
      }),
    });
    expect(config.storage).toEqual({ type: "sqlite", path: "/data/m.db" });
    expect(config.listeners.map((l) => [l.address, l.file, l.line])).toEqual([
      ["127.0.0.1:8200", "a.hcl", 4],
      ["127.0.0.1:8300", "b.json", 1],
    ]);
    expect(config).toMatchObject({
      apiAddr: "https://b.example.com:8200",
      logLevel: "debug",
      logFormat: "json",
      leaseRecoveryGraceSeconds: 20,
      defaultMaxRequestDurationSeconds: 30,
      // Written only in the first file: a later file that leaves it out keeps it.
      clusterName: "a",
    });
  });

  it("keeps the largest lease TTLs and turns ui on if any file does, as Vault's merge does", () => {
    const config = merged({
      "a.hcl": 'storage "inmem" {}\ndefault_lease_ttl = "2h"\nmax_lease_ttl = "10h"\nui = true\ndisable_mlock = true',
      "b.hcl": 'listener "tcp" { tls_disable = true }\ndefault_lease_ttl = "1h"\nmax_lease_ttl = "24h"\nui = false',
    });
    expect([config.defaultLeaseTtlSeconds, config.maxLeaseTtlSeconds]).toEqual([7200, 86400]);
    expect([config.ui, config.disableMlock]).toEqual([true, true]);
  });

  it("takes storage from whichever file has it", () => {
    const config = merged({
      "listeners.hcl": 'listener "tcp" { tls_disable = true }',
      "storage.hcl": 'backend "sqlite" { path = "x.db" }',
    });
    expect(config.storage).toEqual({ type: "sqlite", path: "x.db" });
    expect(config.listeners).toHaveLength(1);
  });

  it("warns with the file and line of each setting given twice in one file", () => {
    const config = merged({
      "a.hcl": 'storage "inmem" {}\nlog_level = "info"\nlog_level = "warn"',
      "b.hcl": 'listener "tcp" { tls_disable = true }\n\npid_file = "/a"\npid_file = "/b"',
    });
    expect(config.logLevel).toBe("warn");
    expect(config.pidFile).toBe("/b");
    expect(config.warnings).toEqual([
      'a.hcl:3: "log_level" is set more than once in this file; this value is used',
      'b.hcl:4: "pid_file" is set more than once in this file; this value is used',
    ]);
  });

  it.each([
    [
      "a storage block in each of two files",
      { "a.hcl": '\nstorage "inmem" {}', "b.hcl": 'listener "tcp" { tls_disable = true }\nstorage "sqlite" { path = "x.db" }' },
      "b.hcl:2: only one storage block is allowed (another is at a.hcl:2)",
    ],
    [
      "no storage in any file",
      { "a.hcl": 'listener "tcp" { tls_disable = true }', "b.hcl": "ui = true" },
      'a.hcl, b.hcl: no storage configured: add a storage "sqlite" { path = "..." } block (supported: sqlite, inmem)',
    ],
    [
      "no listener in any file",
      { "a.hcl": 'storage "inmem" {}', "b.hcl": "ui = true" },
      'a.hcl, b.hcl: no listener configured: add a listener "tcp" { address = "127.0.0.1:8200" } block',
    ],
    [
      "a default lease TTL above a max set in another file",
      { "a.hcl": 'storage "inmem" {}\ndefault_lease_ttl = "2h"', "b.hcl": 'listener "tcp" { tls_disable = true }\nmax_lease_ttl = "1h"' },
      "a.hcl:2: default_lease_ttl (7200s) must not exceed max_lease_ttl (3600s, set at b.hcl:2)",
    ],
  ])("refuses %s", (_what, files, message) => {
    expect(mergeRefusal(files)).toBe(message);
  });
});

describe("loadServerConfig", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "mayfly-config-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function write(name: string, text: string): string {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  }

  function loadError(paths: string[]): string {
    try {
      loadServerConfig(paths);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error("expected the configuration to be refused");
  }

  it("reads a directory's *.hcl and *.json files in lexical order, and nothing else in it", () => {
    const conf = join(dir, "conf.d");
    mkdirSync(conf);
    mkdirSync(join(conf, "nested.hcl"));
    writeFileSync(join(conf, "10-storage.hcl"), 'storage "inmem" {}\nlog_level = "info"');
    writeFileSync(join(conf, "20-listener.json"), JSON.stringify({ listener: { tcp: { address: "127.0.0.1:8210", tls_disable: true } } }));
    writeFileSync(join(conf, "30-override.hcl"), 'log_level = "debug"\nlistener "tcp" {\n  address = "127.0.0.1:8230"\n  tls_disable = true\n}');
    // Lexical, not numeric: "9-" sorts after "30-", so this file has the last word.
    writeFileSync(join(conf, "9-late.hcl"), 'log_level = "error"');
    // Not configuration: a note, an editor backup, an emacs lock file. Each would break the merge if read.
    writeFileSync(join(conf, "README.txt"), "storage {");
    writeFileSync(join(conf, "10-storage.hcl~"), 'storage "sqlite" { path = "old.db" }');
    writeFileSync(join(conf, ".#30-override.hcl"), "not hcl {");
    const config = loadServerConfig([conf]);
    expect(config.storage).toEqual({ type: "inmem" });
    expect(config.listeners.map((l) => [l.port, l.file])).toEqual([
      [8210, join(conf, "20-listener.json")],
      [8230, join(conf, "30-override.hcl")],
    ]);
    expect(config.logLevel).toBe("error");

    // A file after the directory overrides it and adds its listener.
    const extra = write("extra.hcl", 'log_level = "warn"\nlistener "tcp" {\n  address = "127.0.0.1:8240"\n  tls_disable = true\n}');
    const both = loadServerConfig([conf, extra]);
    expect(both.logLevel).toBe("warn");
    expect(both.listeners.map((l) => l.port)).toEqual([8210, 8230, 8240]);
  });

  it("names the file and line of a mistake in any of the files", () => {
    const good = write("good.hcl", 'storage "inmem" {}\nlistener "tcp" { tls_disable = true }');
    const bad = write("bad.hcl", 'ui = true\n\nlistener "tcp" {\n  address = "nowhere"\n  tls_disable = true\n}');
    expect(loadError([good, bad])).toBe(`${bad}:4: listener "tcp": invalid address "nowhere" (expected host:port, e.g. "127.0.0.1:8200")`);
    const syntax = write("syntax.hcl", 'storage "inmem" {}\nlistener "tcp" {\n  tls_disable true\n}');
    expect(loadError([good, syntax])).toMatch(new RegExp(`^${syntax.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3:\\d+: expected "="`));
    const second = write("second-storage.hcl", '# another database\nstorage "sqlite" { path = "other.db" }');
    expect(loadError([good, second])).toBe(`${second}:2: only one storage block is allowed (another is at ${good}:1)`);
  });

  it("refuses a missing path, an empty directory, and a file given twice", () => {
    expect(loadError([join(dir, "nope.hcl")])).toBe(`${join(dir, "nope.hcl")}: cannot read the configuration file: ENOENT`);
    const empty = join(dir, "empty.d");
    mkdirSync(empty);
    expect(loadError([empty])).toBe(`${empty}: no configuration files (a directory contributes its *.hcl and *.json files)`);
    const once = join(dir, "once.d");
    mkdirSync(once);
    const file = join(once, "all.hcl");
    writeFileSync(file, 'storage "inmem" {}\nlistener "tcp" { tls_disable = true }');
    expect(loadError([once, file])).toBe(`${file}: the same configuration file is given twice (as ${file} and ${file})`);
  });
});
