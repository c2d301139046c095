/** secrets/auth list -detailed columns and the tune flags, against a stub server. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { StubServer, run } from "../testing.js";

const stub = new StubServer();
let addr = "";

beforeAll(async () => {
  addr = await stub.start();
});
afterAll(() => stub.close());
beforeEach(() => {
  stub.requests.length = 0;
});

const header = (table: string) => (table.split("\n")[0] ?? "").split(/\s{2,}/);
const firstRow = (table: string) => (table.split("\n")[2] ?? "").split(/\s{2,}/);

describe("list -detailed", () => {
  it("secrets: Vault's sixteen columns, versions from the mount entry", async () => {
    const mounts = {
      "secret/": {
        type: "kv", accessor: "kv_1", description: "key/value secret storage", uuid: "u-1", local: false, seal_wrap: false,
        external_entropy_access: false, options: { version: "2" }, config: { default_lease_ttl: 0, max_lease_ttl: 3600, force_no_cache: false },
        plugin_version: "", running_plugin_version: "v0.1.0+builtin.mayfly", running_sha256: "",
      },
    };
    stub.on("GET", "sys/mounts", { body: { data: mounts } });
    const r = await run(["secrets", "list", "-detailed"], addr);
    expect(r.code).toBe(0);
    expect(header(r.stdout)).toEqual([
      "Path", "Plugin", "Accessor", "Default TTL", "Max TTL", "Force No Cache", "Replication", "Seal Wrap", "External Entropy Access",
      "Options", "Description", "UUID", "Version", "Running Version", "Running SHA256", "Deprecation Status",
    ]);
    expect(firstRow(r.stdout)).toEqual([
      "secret/", "kv", "kv_1", "system", "3600", "false", "replicated", "false", "false", "map[version:2]", "key/value secret storage", "u-1",
      "n/a", "v0.1.0+builtin.mayfly", "n/a", "n/a",
    ]);
  });

  it("auth: Token Type in place of Force No Cache, and Version in the short form", async () => {
    const auths = {
      "token/": {
        type: "token", accessor: "auth_token_1", description: "token based credentials", uuid: "u-2", local: false, seal_wrap: false,
        external_entropy_access: false, options: null, config: { default_lease_ttl: 0, max_lease_ttl: 0, token_type: "default-service" },
        plugin_version: "", running_plugin_version: "v0.1.0+builtin.mayfly",
      },
    };
    stub.on("GET", "sys/auth", { body: { data: auths } });
    const detailed = await run(["auth", "list", "-detailed"], addr);
    expect(header(detailed.stdout)).toEqual([
      "Path", "Plugin", "Accessor", "Default TTL", "Max TTL", "Token Type", "Replication", "Seal Wrap", "External Entropy Access",
      "Options", "Description", "UUID", "Version", "Running Version", "Running SHA256", "Deprecation Status",
    ]);
    expect(firstRow(detailed.stdout).slice(0, 10)).toEqual([
      "token/", "token", "auth_token_1", "system", "system", "default-service", "replicated", "false", "false", "map[]",
    ]);
    expect(header((await run(["auth", "list"], addr)).stdout)).toEqual(["Path", "Type", "Accessor", "Description", "Version"]);
  });
});

describe("tune flags", () => {
  it("auth tune sends only the flags given, lockout settings in user_lockout_config", async () => {
    stub.on("POST", "sys/mounts/auth/userpass/tune", { status: 204 });
    const r = await run(
      [
        "auth", "tune", "-token-type=batch", "-listing-visibility=unauth", "-audit-non-hmac-request-keys=username",
        "-audit-non-hmac-request-keys=role", "-user-lockout-threshold=5", "-user-lockout-duration=10m",
        "-user-lockout-counter-reset-duration=1m", "-user-lockout-disable=false", "userpass",
      ],
      addr,
    );
    expect(r).toMatchObject({ code: 0, stdout: "Success! Tuned the auth method at: userpass/\n" });
    expect(stub.last().body).toEqual({
      token_type: "batch",
      listing_visibility: "unauth",
      audit_non_hmac_request_keys: ["username", "role"],
      user_lockout_config: { lockout_threshold: "5", lockout_duration: "10m0s", lockout_counter_reset_duration: "1m0s", lockout_disable: false },
    });
  });

  it("secrets tune: -1 resets a TTL to the system's, 0 leaves it alone", async () => {
    stub.on("POST", "sys/mounts/db/tune", { status: 204 });
    await run(["secrets", "tune", "-default-lease-ttl=-1", "-max-lease-ttl=0", "-passthrough-request-headers=X-A", "db"], addr);
    expect(stub.last().body).toEqual({ default_lease_ttl: "system", passthrough_request_headers: ["X-A"] });
    expect((await run(["secrets", "tune", "-token-type=batch", "db"], addr)).code).toBe(1);
  });
});
