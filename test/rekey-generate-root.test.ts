/**
 * sys/rekey/* and sys/generate-root/* over HTTP against a real server on SQLite: the bare
 * bodies Vault clients read, no token needed, 503 while sealed, and a restart proving which
 * unseal shares are in force.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../src/server/app.js";
import { silentLogger } from "../src/server/logger.js";
import { openStorage } from "../src/storage/open.js";
import { api, client } from "./support/http.js";

const running: RunningServer[] = [];
afterEach(async () => {
  while (running.length) await running.pop()?.close();
});

async function boot(dbPath: string): Promise<string> {
  const server = await startServer({
    storage: openStorage({ type: "sqlite", path: dbPath }),
    storageType: "sqlite",
    listeners: [{ address: "127.0.0.1:0", tlsDisable: true }],
    logger: silentLogger,
  });
  running.push(server);
  return server.addresses[0] as string;
}

async function restart(db: string): Promise<string> {
  await running.pop()?.close();
  return boot(db);
}

/** A fresh, unsealed server; returns its address, database, unseal keys and root token. */
async function initialized(shares: number, threshold: number) {
  const db = join(mkdtempSync(join(tmpdir(), "mayfly-rekey-")), "mayfly.db");
  const base = await boot(db);
  const init = await api(base, "PUT", "sys/init", { body: { secret_shares: shares, secret_threshold: threshold } });
  expect(init.status).toBe(200);
  const keys = init.json.keys as string[];
  await unseal(base, keys.slice(0, threshold));
  return { base, db, keys, keysB64: init.json.keys_base64 as string[], rootToken: init.json.root_token as string };
}

async function unseal(base: string, keys: readonly string[]): Promise<boolean> {
  let sealed = true;
  for (const key of keys) {
    const r = await api(base, "PUT", "sys/unseal", { body: { key } });
    if (r.status !== 200) return false;
    sealed = r.json.sealed;
  }
  return !sealed;
}

function decodeToken(encoded: string, otp: string): string {
  const bytes = Buffer.from(encoded, "base64");
  expect(bytes.length).toBe(otp.length);
  return Buffer.from(bytes.map((b, i) => b ^ otp.charCodeAt(i))).toString("utf8");
}

describe("sys/rekey", () => {
  it("rekeys without a token; after a restart the old shares fail and the new ones unseal", async () => {
    const { base, db, keys, keysB64, rootToken } = await initialized(5, 3);
    const root = client(base, rootToken);
    expect((await root.post("sys/mounts/secret", { type: "kv", options: { version: "2" } })).status).toBe(204);
    expect((await root.put("secret/data/app", { data: { password: "still-here" } })).status).toBe(200);

    const idle = await api(base, "GET", "sys/rekey/init");
    expect(idle.status).toBe(200);
    expect(idle.json).toEqual({
      nonce: "", started: false, t: 0, n: 0, progress: 0, required: 3, pgp_fingerprints: null, backup: false, verification_required: false,
    });

    const started = await api(base, "PUT", "sys/rekey/init", { body: { secret_shares: 3, secret_threshold: 2 } });
    expect(started.status).toBe(200);
    expect(started.json).toMatchObject({ started: true, t: 2, n: 3, progress: 0, required: 3, verification_required: false });
    const nonce = started.json.nonce as string;
    expect(nonce).toMatch(/^[0-9a-f-]{36}$/);

    // Too few keys: progress, no keys yet. Base64 and hex shares both count.
    const u1 = await api(base, "PUT", "sys/rekey/update", { body: { key: keys[0], nonce } });
    expect(u1.status).toBe(200);
    expect(u1.json).toMatchObject({ started: true, nonce, progress: 1, required: 3 });
    expect(u1.json.keys).toBeUndefined();
    const u2 = await api(base, "PUT", "sys/rekey/update", { body: { key: keysB64[3], nonce } });
    expect(u2.json.progress).toBe(2);
    const wrongNonce = await api(base, "PUT", "sys/rekey/update", { body: { key: keys[4], nonce: "not-the-nonce" } });
    expect(wrongNonce.status).toBe(400);
    expect(wrongNonce.json.errors[0]).toBe(`incorrect nonce supplied; nonce for this rekey operation is "${nonce}"`);
    expect((await api(base, "PUT", "sys/rekey/update", { body: { nonce } })).status).toBe(400);
    expect((await api(base, "GET", "sys/rekey/init")).json.progress).toBe(2);

    const done = await api(base, "PUT", "sys/rekey/update", { body: { key: keys[4], nonce } });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ nonce, complete: true, pgp_fingerprints: null, backup: false, verification_required: false });
    expect(done.json).not.toHaveProperty("verification_nonce");
    const newKeys = done.json.keys as string[];
    expect(newKeys).toHaveLength(3);
    expect((done.json.keys_base64 as string[]).map((k) => Buffer.from(k, "base64").toString("hex"))).toEqual(newKeys);
    expect((await api(base, "GET", "sys/rekey/init")).json).toMatchObject({ started: false, required: 2 });
    expect((await api(base, "GET", "sys/seal-status")).json).toMatchObject({ t: 2, n: 3 });

    // The running server keeps serving; a restart needs the new shares.
    expect((await root.get("secret/data/app")).json.data.data.password).toBe("still-here");
    let restarted = await restart(db);
    expect(await unseal(restarted, keys.slice(0, 3))).toBe(false);
    expect((await api(restarted, "GET", "sys/seal-status")).json.sealed).toBe(true);
    restarted = await restart(db);
    expect(await unseal(restarted, [newKeys[2], newKeys[0]] as string[])).toBe(true);
    const after = await api(restarted, "GET", "secret/data/app", { token: rootToken });
    expect(after.json.data.data.password).toBe("still-here");

    // Nothing of the new shares reaches the disk.
    const bytes = readFileSync(db);
    for (const k of newKeys) expect(bytes.includes(Buffer.from(k, "hex"))).toBe(false);
  });

  it("requires verification by the new shares before they take effect", async () => {
    const { base, db, keys } = await initialized(3, 2);
    const { nonce } = (await api(base, "PUT", "sys/rekey/init", { body: { secret_shares: 3, secret_threshold: 2, require_verification: true } })).json;
    expect((await api(base, "GET", "sys/rekey/verify")).json).toEqual({ nonce: "", started: false, t: 2, n: 3, progress: 0 });
    await api(base, "PUT", "sys/rekey/update", { body: { key: keys[0], nonce } });
    const out = await api(base, "PUT", "sys/rekey/update", { body: { key: keys[1], nonce } });
    expect(out.json).toMatchObject({ complete: true, verification_required: true });
    const vnonce = out.json.verification_nonce as string;
    expect(vnonce).toMatch(/^[0-9a-f-]{36}$/);
    const newKeys = out.json.keys as string[];
    expect((await api(base, "GET", "sys/rekey/init")).json).toMatchObject({ started: true, verification_required: true, verification_nonce: vnonce });

    // A restart now drops the pending key: the old shares are still the ones.
    let restarted = await restart(db);
    expect(await unseal(restarted, newKeys.slice(0, 2))).toBe(false);
    restarted = await restart(db);
    expect(await unseal(restarted, keys.slice(1, 3))).toBe(true);
    expect((await api(restarted, "GET", "sys/rekey/init")).json.started).toBe(false);

    // Again, this time verified.
    const again = (await api(restarted, "PUT", "sys/rekey/init", { body: { secret_shares: 2, secret_threshold: 2, require_verification: true } })).json;
    await api(restarted, "PUT", "sys/rekey/update", { body: { key: keys[2], nonce: again.nonce } });
    const out2 = (await api(restarted, "PUT", "sys/rekey/update", { body: { key: keys[0], nonce: again.nonce } })).json;
    const fresh = out2.keys as string[];
    const v1 = await api(restarted, "PUT", "sys/rekey/verify", { body: { key: fresh[0], nonce: "wrong" } });
    expect(v1.status).toBe(400);
    const p1 = await api(restarted, "PUT", "sys/rekey/verify", { body: { key: fresh[0], nonce: out2.verification_nonce } });
    expect(p1.json).toEqual({ nonce: out2.verification_nonce, started: true, t: 2, n: 2, progress: 1 });
    const reset = await api(restarted, "DELETE", "sys/rekey/verify");
    expect(reset.json).toMatchObject({ started: true, progress: 0 });
    expect(reset.json.nonce).not.toBe(out2.verification_nonce);
    await api(restarted, "PUT", "sys/rekey/verify", { body: { key: fresh[1], nonce: reset.json.nonce } });
    const verified = await api(restarted, "PUT", "sys/rekey/verify", { body: { key: fresh[0], nonce: reset.json.nonce } });
    expect(verified.json).toEqual({ nonce: reset.json.nonce, complete: true });

    restarted = await restart(db);
    expect(await unseal(restarted, keys.slice(0, 2))).toBe(false);
    restarted = await restart(db);
    expect(await unseal(restarted, fresh)).toBe(true);
  });

  it("cancels, refuses a malformed PGP key and a backup, and answers 503 while sealed", async () => {
    const { base, rootToken, keys } = await initialized(1, 1);
    const pgp = await api(base, "PUT", "sys/rekey/init", { body: { secret_shares: 1, secret_threshold: 1, pgp_keys: ["key"] } });
    expect(pgp.status).toBe(400);
    expect(pgp.json.errors[0]).toMatch(/error decoding given PGP key \(pgp_keys\)/);
    const backup = await api(base, "PUT", "sys/rekey/init", { body: { secret_shares: 1, secret_threshold: 1, backup: true } });
    expect(backup.status).toBe(400);
    expect(backup.json.errors[0]).toBe("cannot request a backup of the new keys without providing PGP keys for encryption");
    expect((await api(base, "PUT", "sys/rekey/init", { body: { secret_shares: 2, secret_threshold: 3 } })).status).toBe(400);

    const { nonce } = (await api(base, "PUT", "sys/rekey/init", { body: { secret_shares: 1, secret_threshold: 1 } })).json;
    expect((await api(base, "PUT", "sys/rekey/init", { body: { secret_shares: 1, secret_threshold: 1 } })).json.errors).toEqual(["rekey already in progress"]);
    expect((await api(base, "DELETE", "sys/rekey/init")).status).toBe(204);
    expect((await api(base, "GET", "sys/rekey/init")).json.started).toBe(false);
    const late = await api(base, "PUT", "sys/rekey/update", { body: { key: keys[0], nonce } });
    expect(late.status).toBe(400);
    expect(late.json.errors).toEqual(["no barrier rekey in progress"]);

    await api(base, "PUT", "sys/rekey/init", { body: { secret_shares: 1, secret_threshold: 1 } });
    expect((await api(base, "PUT", "sys/seal", { token: rootToken })).status).toBe(204);
    for (const [method, path] of [
      ["GET", "sys/rekey/init"],
      ["PUT", "sys/rekey/init"],
      ["DELETE", "sys/rekey/init"],
      ["PUT", "sys/rekey/update"],
      ["GET", "sys/rekey/verify"],
      ["GET", "sys/generate-root/attempt"],
      ["PUT", "sys/generate-root/attempt"],
      ["PUT", "sys/generate-root/update"],
    ] as const) {
      const r = await api(base, method, path, { body: { secret_shares: 1, secret_threshold: 1, key: keys[0], nonce: "x" } });
      expect(r.status, `${method} ${path}`).toBe(503);
      expect(r.json.errors).toEqual(["Vault is sealed"]);
    }
    // Sealing discarded the attempt.
    await unseal(base, keys);
    expect((await api(base, "GET", "sys/rekey/init")).json.started).toBe(false);
  });
});

describe("sys/generate-root", () => {
  it("mints a working root token from the shares, encoded with a generated OTP", async () => {
    const { base, keys, keysB64 } = await initialized(3, 2);
    const idle = await api(base, "GET", "sys/generate-root/attempt");
    expect(idle.json).toEqual({
      nonce: "", started: false, progress: 0, required: 2, complete: false, encoded_token: "", encoded_root_token: "",
      pgp_fingerprint: "", otp: "", otp_length: 28,
    });

    const started = await api(base, "PUT", "sys/generate-root/attempt", { body: {} });
    expect(started.status).toBe(200);
    const otp = started.json.otp as string;
    expect(otp).toMatch(/^[0-9A-Za-z]{28}$/);
    expect(started.json).toMatchObject({ started: true, progress: 0, required: 2, otp_length: 28 });
    const nonce = started.json.nonce as string;
    // The OTP is told once, not on later reads.
    expect((await api(base, "GET", "sys/generate-root/attempt")).json).toMatchObject({ started: true, nonce, otp: "" });
    expect((await api(base, "PUT", "sys/generate-root/attempt", { body: {} })).json.errors).toEqual(["root generation already in progress"]);

    const bad = await api(base, "PUT", "sys/generate-root/update", { body: { key: keys[0], nonce: "nope" } });
    expect(bad.status).toBe(400);
    const u1 = await api(base, "PUT", "sys/generate-root/update", { body: { key: keys[0], nonce } });
    expect(u1.json).toMatchObject({ nonce, started: true, progress: 1, required: 2, complete: false, encoded_token: "" });
    const dup = await api(base, "PUT", "sys/generate-root/update", { body: { key: keysB64[0], nonce } });
    expect(dup.status).toBe(400);
    const u2 = await api(base, "PUT", "sys/generate-root/update", { body: { key: keys[2], nonce } });
    expect(u2.json).toMatchObject({ nonce, started: true, progress: 2, required: 2, complete: true });
    expect(u2.json.encoded_root_token).toBe(u2.json.encoded_token);
    expect(u2.json.encoded_token).not.toMatch(/=$/);
    const token = decodeToken(u2.json.encoded_token, otp);
    expect(token).toMatch(/^hvs\.[0-9A-Za-z]{24}$/);

    const self = await api(base, "GET", "auth/token/lookup-self", { token });
    expect(self.status).toBe(200);
    expect(self.json.data).toMatchObject({ policies: ["root"], ttl: 0, display_name: "root", orphan: true });
    expect((await api(base, "GET", "sys/audit", { token })).status).toBe(200);
    expect((await api(base, "GET", "sys/generate-root/attempt")).json.started).toBe(false);
  });

  it("takes an OTP of the right length, cancels, refuses PGP", async () => {
    const { base, keys } = await initialized(1, 1);
    expect((await api(base, "PUT", "sys/generate-root/attempt", { body: { otp: "short" } })).json.errors).toEqual(["OTP string is wrong length"]);
    expect((await api(base, "PUT", "sys/generate-root/attempt", { body: { pgp_key: "abc" } })).status).toBe(400);
    const otp = "A".repeat(28);
    const started = await api(base, "PUT", "sys/generate-root/attempt", { body: { otp } });
    expect(started.json.otp).toBe("");
    expect((await api(base, "DELETE", "sys/generate-root/attempt")).status).toBe(204);
    expect((await api(base, "GET", "sys/generate-root/attempt")).json.started).toBe(false);
    const { nonce } = (await api(base, "PUT", "sys/generate-root/attempt", { body: { otp } })).json;
    const done = await api(base, "PUT", "sys/generate-root/update", { body: { key: keys[0], nonce } });
    expect(done.json.complete).toBe(true);
    expect((await api(base, "GET", "auth/token/lookup-self", { token: decodeToken(done.json.encoded_token, otp) })).status).toBe(200);
  });

  it("is audited with secrets HMAC'd; rekey is not audited, as in Vault", async () => {
    const { base, keys, rootToken } = await initialized(1, 1);
    const file = join(mkdtempSync(join(tmpdir(), "mayfly-audit-")), "audit.log");
    expect((await api(base, "PUT", "sys/audit/file", { token: rootToken, body: { type: "file", options: { file_path: file } } })).status).toBe(204);
    const { otp, nonce } = (await api(base, "PUT", "sys/generate-root/attempt", { body: {} })).json;
    const done = await api(base, "PUT", "sys/generate-root/update", { body: { key: keys[0], nonce } });
    const rk = (await api(base, "PUT", "sys/rekey/init", { body: { secret_shares: 1, secret_threshold: 1 } })).json;
    await api(base, "DELETE", "sys/rekey/init", { body: { nonce: rk.nonce } });

    const lines = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const paths = lines.map((l) => `${l.type} ${l.request.operation} ${l.request.path}`);
    expect(paths).toContain("request update sys/generate-root/attempt");
    expect(paths).toContain("response update sys/generate-root/attempt");
    expect(paths).toContain("request update sys/generate-root/update");
    expect(paths.some((p) => p.includes("sys/rekey"))).toBe(false);
    const response = lines.find((l) => l.type === "response" && l.request.path === "sys/generate-root/update");
    expect(response.response.data.encoded_token).toMatch(/^hmac-sha256:/);
    expect(response.request.data.key).toMatch(/^hmac-sha256:/);
    expect(response.request.remote_address).toBe("127.0.0.1");
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(otp);
    expect(text).not.toContain(keys[0]);
    expect(text).not.toContain(done.json.encoded_token);
  });
});
