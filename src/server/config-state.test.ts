import { describe, expect, it } from "vitest";
import type { ServerConfig } from "./config.js";
import { sanitizedConfigState } from "./config-state.js";

describe("sanitizedConfigState", () => {
  it("keeps the file's settings and the listeners, and never the storage block's own settings", () => {
    const file = {
      // A storage whose settings hold a secret, as a database URL does.
      storage: { type: "sqlite", path: "/var/lib/mayfly/db", connection_url: "postgres://admin:hunter2-secret@db/mayfly" },
      listeners: [],
      apiAddr: "https://mayfly.example:8200",
      clusterAddr: "https://mayfly.example:8201",
      clusterName: "prod",
      defaultLeaseTtlSeconds: 3600,
      maxLeaseTtlSeconds: 7200,
      leaseRecoveryGraceSeconds: 45,
      logLevel: "debug",
      logFormat: "json",
      ui: true,
      pidFile: "/run/mayfly.pid",
      disableMlock: true,
      warnings: [],
    } as unknown as ServerConfig;
    const state = sanitizedConfigState({
      storageType: "sqlite",
      listeners: [
        { address: "0.0.0.0:8200", tlsDisable: false, tlsCertFile: "/etc/mayfly/cert.pem", tlsKeyFile: "/etc/mayfly/key.pem", maxRequestSizeBytes: 1024 },
      ],
      defaultLeaseTtlSeconds: 3600,
      maxLeaseTtlSeconds: 7200,
      file,
    });
    expect(JSON.stringify(state)).not.toContain("hunter2");
    expect(JSON.stringify(state)).not.toContain("/var/lib/mayfly/db");
    expect(state).toMatchObject({
      api_addr: "https://mayfly.example:8200",
      cluster_addr: "https://mayfly.example:8201",
      cluster_name: "prod",
      default_lease_ttl: 3600,
      max_lease_ttl: 7200,
      log_level: "debug",
      log_format: "json",
      enable_ui: true,
      pid_file: "/run/mayfly.pid",
      disable_mlock: true,
      lease_recovery_grace: 45,
      storage: { type: "sqlite", redirect_addr: "https://mayfly.example:8200", cluster_addr: "https://mayfly.example:8201", disable_clustering: false },
      listeners: [
        {
          type: "tcp",
          config: { address: "0.0.0.0:8200", tls_disable: false, tls_cert_file: "/etc/mayfly/cert.pem", tls_key_file: "/etc/mayfly/key.pem", max_request_size: 1024 },
        },
      ],
    });
  });

  it("gives Vault's empty values when started without configuration files", () => {
    const state = sanitizedConfigState({ storageType: "inmem", listeners: [], defaultLeaseTtlSeconds: 10, maxLeaseTtlSeconds: 20 });
    expect(state).toMatchObject({ api_addr: "", cluster_name: "", log_level: "", enable_ui: false, listeners: [], default_max_request_duration: 0 });
    expect(state).not.toHaveProperty("lease_recovery_grace");
  });
});
