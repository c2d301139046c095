import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { StubServer, run } from "../testing.js";

const stub = new StubServer();
let addr = "";

const unsealed = {
  type: "shamir",
  initialized: true,
  sealed: false,
  t: 3,
  n: 5,
  progress: 0,
  nonce: "",
  version: "0.1.0",
  build_date: "2024-01-01T00:00:00Z",
  migration: false,
  cluster_name: "mayfly-cluster-1",
  cluster_id: "c-1",
  recovery_seal: false,
  storage_type: "sqlite",
};
const sealed = { ...unsealed, sealed: true, progress: 1, nonce: "n-1" };

beforeAll(async () => {
  addr = await stub.start();
  stub.on("GET", "sys/leader", { body: { ha_enabled: false, is_self: false, leader_address: "", leader_cluster_address: "" } });
});
afterAll(() => stub.close());
beforeEach(() => {
  stub.requests.length = 0;
});

describe("status", () => {
  it("prints the seal table and exits 0 when unsealed", async () => {
    stub.on("GET", "sys/seal-status", { body: unsealed });
    const r = await run(["status"], addr);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "Key             Value",
        "---             -----",
        "Seal Type       shamir",
        "Initialized     true",
        "Sealed          false",
        "Total Shares    5",
        "Threshold       3",
        "Version         0.1.0",
        "Build Date      2024-01-01T00:00:00Z",
        "Storage Type    sqlite",
        "Cluster Name    mayfly-cluster-1",
        "Cluster ID      c-1",
        "HA Enabled      false",
        "",
      ].join("\n"),
    );
  });

  it("exits 2 when sealed and shows unseal progress", async () => {
    stub.on("GET", "sys/seal-status", { body: sealed });
    const r = await run(["status"], addr);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("Unseal Progress    1/3\n");
    expect(r.stdout).toContain("Unseal Nonce       n-1\n");
  });

  it("exits 1 when the server cannot be reached", async () => {
    const r = await run(["status"], "http://127.0.0.1:1");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error checking seal status: Get "http:\/\/127\.0\.0\.1:1\/v1\/sys\/seal-status": /);
  });

  it("prints json with ha_enabled", async () => {
    stub.on("GET", "sys/seal-status", { body: unsealed });
    const json = JSON.parse((await run(["status", "-format=json"], addr)).stdout);
    expect(json).toMatchObject({ type: "shamir", sealed: false, t: 3, n: 5, ha_enabled: false });
    expect(Object.keys(json).slice(0, 3)).toEqual(["type", "initialized", "sealed"]);
  });
});

describe("operator init", () => {
  const initResponse = { keys: ["aa", "bb", "cc"], keys_base64: ["qg==", "uw==", "zA=="], root_token: "s.root" };

  it("sends shares and threshold, prints keys and root token", async () => {
    stub.on("PUT", "sys/init", { body: initResponse });
    const r = await run(["operator", "init", "-key-shares=3", "-key-threshold=2"], addr);
    expect(r.code).toBe(0);
    expect(stub.last().body).toEqual({ secret_shares: 3, secret_threshold: 2 });
    expect(r.stdout.startsWith("Unseal Key 1: qg==\nUnseal Key 2: uw==\nUnseal Key 3: zA==\n\nInitial Root Token: s.root\n\n")).toBe(true);
    expect(r.stdout).toContain("key threshold of 2");
  });

  it("defaults to 5 shares and a threshold of 3", async () => {
    stub.on("PUT", "sys/init", { body: initResponse });
    await run(["operator", "init"], addr);
    expect(stub.last().body).toEqual({ secret_shares: 5, secret_threshold: 3 });
  });

  it("prints Vault's machine-readable shape with -format=json", async () => {
    stub.on("PUT", "sys/init", { body: initResponse });
    const r = await run(["operator", "init", "-key-shares=3", "-key-threshold=2", "-format=json"], addr);
    expect(JSON.parse(r.stdout)).toEqual({
      unseal_keys_b64: ["qg==", "uw==", "zA=="],
      unseal_keys_hex: ["aa", "bb", "cc"],
      unseal_shares: 3,
      unseal_threshold: 2,
      recovery_keys_b64: [],
      recovery_keys_hex: [],
      recovery_keys_shares: 0,
      recovery_keys_threshold: 0,
      root_token: "s.root",
    });
  });

  it("reports -status with exit codes 0 and 2", async () => {
    stub.on("GET", "sys/init", { body: { initialized: false } });
    expect(await run(["operator", "init", "-status"], addr)).toMatchObject({ code: 2, stdout: "Mayfly is not initialized\n" });
    stub.on("GET", "sys/init", { body: { initialized: true } });
    expect((await run(["operator", "init", "-status"], addr)).code).toBe(0);
  });

  it("exits 2 when already initialized", async () => {
    stub.on("PUT", "sys/init", { status: 400, body: { errors: ["Vault is already initialized"] } });
    const r = await run(["operator", "init"], addr);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Error initializing: ");
  });
});

describe("operator unseal", () => {
  it("sends the key argument and prints the seal status", async () => {
    stub.on("PUT", "sys/unseal", { body: unsealed });
    const r = await run(["operator", "unseal", "qg=="], addr);
    expect(r.code).toBe(0);
    expect(stub.requests.find((q) => q.path === "sys/unseal")?.body).toEqual({ key: "qg==" });
    expect(r.stdout).toContain("Sealed          false");
  });

  it("reads the key as a line from stdin when it is not a terminal", async () => {
    stub.on("PUT", "sys/unseal", { body: sealed });
    const r = await run(["operator", "unseal"], addr, { stdin: "uw==\nignored\n" });
    expect(stub.requests.find((q) => q.path === "sys/unseal")?.body).toEqual({ key: "uw==" });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Unseal Progress    1/3");
  });

  it("refuses an empty key read from stdin without calling the server", async () => {
    const r = await run(["operator", "unseal"], addr, { stdin: "" });
    expect(r.code).toBe(1);
    expect(stub.requests.find((q) => q.path === "sys/unseal")).toBeUndefined();
  });

  it("resets with -reset", async () => {
    stub.on("PUT", "sys/unseal", { body: { ...sealed, progress: 0 } });
    await run(["operator", "unseal", "-reset"], addr);
    expect(stub.requests.find((q) => q.path === "sys/unseal")?.body).toEqual({ reset: true });
  });

  it("exits 2 on a bad key", async () => {
    stub.on("PUT", "sys/unseal", { status: 400, body: { errors: ["invalid key"] } });
    const r = await run(["operator", "unseal", "bad"], addr);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Error unsealing: ");
  });
});

describe("operator seal, rotate, key-status", () => {
  it("seals", async () => {
    stub.on("PUT", "sys/seal", { status: 204 });
    expect(await run(["operator", "seal"], addr)).toMatchObject({ code: 0, stdout: "Success! Mayfly is sealed.\n" });
  });

  it("rotates and prints the new term in Vault's layout", async () => {
    stub.on("PUT", "sys/rotate", { status: 204 });
    stub.on("GET", "sys/key-status", { body: { term: 2, install_time: "2024-03-05T14:03:09.123Z", request_id: "r", data: { term: 2, install_time: "2024-03-05T14:03:09.123Z" } } });
    const r = await run(["operator", "rotate"], addr);
    expect(r.stdout).toBe("Success! Rotated key\n\nKey Term        2\nInstall Time    05 Mar 24 14:03 UTC\n");
    expect(JSON.parse((await run(["operator", "key-status", "-format=json"], addr)).stdout)).toEqual({ term: 2, install_time: "2024-03-05T14:03:09.123Z" });
  });
});
