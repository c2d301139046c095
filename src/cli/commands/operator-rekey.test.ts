import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { StubServer, run } from "../testing.js";

const stub = new StubServer();
let addr = "";

const started = {
  nonce: "r-1", started: true, t: 2, n: 3, progress: 1, required: 3, pgp_fingerprints: null, backup: false, verification_required: false,
};

beforeAll(async () => {
  addr = await stub.start();
});
afterAll(() => stub.close());
beforeEach(() => {
  stub.requests.length = 0;
  stub.on("GET", "sys/rekey/init", { body: started });
});

describe("operator rekey", () => {
  it("-init sends the new shares and threshold and prints the status table", async () => {
    stub.on("PUT", "sys/rekey/init", { body: { ...started, progress: 0 } });
    const r = await run(["operator", "rekey", "-init", "-key-shares=3", "-key-threshold=2"], addr);
    expect(r.code).toBe(0);
    expect(stub.last().body).toEqual({ secret_shares: 3, secret_threshold: 2, pgp_keys: null, backup: false, require_verification: false });
    expect(r.stdout).toBe(
      [
        "",
        "Key                      Value",
        "---                      -----",
        "Nonce                    r-1",
        "Started                  true",
        "Rekey Progress           0/3",
        "New Shares               3",
        "New Threshold            2",
        "Verification Required    false",
        "",
      ].join("\n"),
    );
    expect(r.stderr).toMatch(/^WARNING! If you lose the keys/);
  });

  it("-init -verify asks for verification; -format=json prints the status struct", async () => {
    stub.on("PUT", "sys/rekey/init", { body: { ...started, verification_required: true } });
    const r = await run(["operator", "rekey", "-format=json", "-init", "-verify"], addr);
    expect((stub.last().body as Record<string, unknown>)["require_verification"]).toBe(true);
    expect((stub.last().body as Record<string, unknown>)["secret_shares"]).toBe(5);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual(["nonce", "started", "t", "n", "progress", "required", "pgp_fingerprints", "backup", "verification_required", "verification_nonce"]);
    expect(r.stderr).toBe("");
  });

  it("reports progress after a share below the threshold", async () => {
    stub.on("PUT", "sys/rekey/update", { body: { ...started, progress: 2 } });
    const r = await run(["operator", "rekey", "-nonce=r-1", "share-1"], addr);
    expect(r.code).toBe(0);
    expect(stub.requests.find((q) => q.method === "PUT")?.body).toEqual({ key: "share-1", nonce: "r-1" });
    expect(r.stdout).toContain("Rekey Progress           1/3\n"); // the status read after the update
  });

  it("prints the new keys and the operation nonce when complete", async () => {
    stub.on("PUT", "sys/rekey/update", {
      body: { nonce: "r-1", complete: true, keys: ["aa", "bb", "cc"], keys_base64: ["qg==", "uw==", "zA=="], pgp_fingerprints: null, backup: false, verification_required: false },
    });
    const r = await run(["operator", "rekey", "-nonce=r-1", "share-3"], addr);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\nKey 1: qg==\nKey 2: uw==\nKey 3: zA==\n\nOperation nonce: r-1\n\nMayfly rekeyed with 3 key shares and a key threshold of 2\./);
    const json = JSON.parse((await run(["operator", "rekey", "-format=json", "-nonce=r-1", "share-3"], addr)).stdout);
    expect(json).toEqual({ nonce: "r-1", complete: true, keys: ["aa", "bb", "cc"], keys_base64: ["qg==", "uw==", "zA=="], pgp_fingerprints: null, backup: false, verification_required: false });
  });

  it("with verification, prints the keys then the verification status", async () => {
    stub.on("PUT", "sys/rekey/update", {
      body: { nonce: "r-1", complete: true, keys: ["aa"], keys_base64: ["qg=="], verification_required: true, verification_nonce: "v-1" },
    });
    stub.on("GET", "sys/rekey/verify", { body: { nonce: "v-1", started: true, t: 2, n: 3, progress: 0 } });
    const r = await run(["operator", "rekey", "-nonce=r-1", "share-3"], addr);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("These will not be active until after verification is complete.");
    expect(r.stdout).toContain("Verification Progress    0/2\n");
    expect(r.stderr).toContain("Again, these key shares are _not_ valid until verification is performed.");
  });

  it("-verify sends new shares to sys/rekey/verify and reports success", async () => {
    stub.on("GET", "sys/rekey/verify", { body: { nonce: "v-1", started: true, t: 2, n: 3, progress: 1 } });
    stub.on("PUT", "sys/rekey/verify", { body: { nonce: "v-1", complete: true } });
    const r = await run(["operator", "rekey", "-verify", "-nonce=v-1", "new-share"], addr);
    expect(r.code).toBe(0);
    expect(stub.last().path).toBe("sys/rekey/verify");
    expect(stub.last().body).toEqual({ key: "new-share", nonce: "v-1" });
    expect(r.stdout).toBe("Rekey verification successful.\n");
  });

  it("-cancel (and -cancel -verify) and -status", async () => {
    stub.on("DELETE", "sys/rekey/init", {});
    stub.on("DELETE", "sys/rekey/verify", { body: { nonce: "v-2", started: true, t: 2, n: 3, progress: 0 } });
    const c = await run(["operator", "rekey", "-cancel"], addr);
    expect(c.stdout).toBe("Success! Canceled rekeying (if it was started)\n");
    expect(stub.last().path).toBe("sys/rekey/init");
    await run(["operator", "rekey", "-cancel", "-verify"], addr);
    expect(stub.last()).toMatchObject({ method: "DELETE", path: "sys/rekey/verify" });
    stub.on("GET", "sys/rekey/init", { body: { ...started, started: false, nonce: "", t: 0, n: 0, progress: 0 } });
    const s = await run(["operator", "rekey", "-status"], addr);
    expect(s.stdout).toBe(["Key        Value", "---        -----", "Nonce      n/a", "Started    false", ""].join("\n"));
  });

  it("refuses an unknown target and says when no rekey is in progress", async () => {
    expect((await run(["operator", "rekey", "-target=recovery", "-status"], addr)).code).toBe(1);
    stub.on("GET", "sys/rekey/init", { body: { ...started, started: false } });
    const r = await run(["operator", "rekey", "-nonce=x", "k"], addr);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("No rekey is in progress.");
  });

  it("shows the server's error with exit 2", async () => {
    stub.on("PUT", "sys/rekey/update", { status: 400, body: { errors: ['incorrect nonce supplied; nonce for this rekey operation is "r-1"'] } });
    const r = await run(["operator", "rekey", "-nonce=zzz", "k"], addr);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Error posting unseal key: ");
    expect(r.stderr).toContain("incorrect nonce supplied");
  });
});
