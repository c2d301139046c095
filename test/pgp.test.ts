/**
 * PGP-encrypted unseal keys and root tokens (Vault's pgp_keys, root_token_pgp_key, rekey
 * pgp_keys and generate-root pgp_key), checked with real GnuPG: keys made by `gpg`, given to
 * `mayfly operator init` as base64, armoured and binary files, and every encrypted value
 * decrypted by `gpg -d` into what unseals the server or authenticates.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../src/server/app.js";
import { silentLogger } from "../src/server/logger.js";
import { InmemStorage } from "../src/storage/inmem.js";
import { assertBuilt, cleanEnv, runMayfly } from "./support/e2e.js";
import { api } from "./support/http.js";

let home: string;
const gpg = (args: string[], input?: Buffer | string): Buffer =>
  execFileSync("gpg", ["--homedir", home, "--batch", "--yes", "--quiet", "--pinentry-mode", "loopback", "--passphrase", "", ...args], {
    input,
    stdio: ["pipe", "pipe", "pipe"],
  });
/** What `echo <b64> | base64 -d | gpg -dq` prints. */
const decrypt = (base64: string): string => gpg(["--decrypt"], Buffer.from(base64, "base64")).toString("utf8");

const OPERATORS = ["alice", "bob", "carol"] as const;
const files: Record<string, string> = {};
const base64Keys: Record<string, string> = {};
let signOnlyKey = "";
const servers: RunningServer[] = [];

async function freshServer(): Promise<string> {
  const s = await startServer({
    storage: new InmemStorage(),
    storageType: "inmem",
    listeners: [{ address: "127.0.0.1:0", tlsDisable: true }],
    logger: silentLogger,
  });
  servers.push(s);
  return s.addresses[0] as string;
}

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), "mayfly-gpg-"));
  for (const name of OPERATORS) {
    // ed25519 signing key with a cv25519 encryption subkey: quick to make.
    gpg(["--quick-gen-key", `${name} <${name}@example.com>`, "future-default", "default", "never"]);
    const binary = gpg(["--export", `${name}@example.com`]);
    base64Keys[name] = binary.toString("base64");
  }
  // The three forms Vault's users have on disk: base64 (Vault's docs), armoured, binary.
  files.alice = join(home, "alice.b64");
  writeFileSync(files.alice, `${base64Keys.alice}\n`);
  files.bob = join(home, "bob.asc");
  writeFileSync(files.bob, gpg(["--armor", "--export", "bob@example.com"]));
  files.carol = join(home, "carol.gpg");
  writeFileSync(files.carol, gpg(["--export", "carol@example.com"]));
  gpg(["--quick-gen-key", "signer <signer@example.com>", "ed25519", "sign", "never"]);
  signOnlyKey = gpg(["--export", "signer@example.com"]).toString("base64");
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  // Key generation started a gpg-agent for this home; it would outlive the test.
  try {
    execFileSync("gpgconf", ["--homedir", home, "--kill", "gpg-agent"], { stdio: "ignore" });
  } catch {
    // no agent, or gpgconf missing: nothing to stop
  }
  rmSync(home, { recursive: true, force: true });
});

describe("PGP-encrypted keys and tokens", () => {
  it("operator init encrypts each share and the root token; gpg-decrypted shares unseal, the token logs in", async () => {
    assertBuilt();
    const url = await freshServer();
    const r = await runMayfly(
      ["operator", "init", "-key-shares=3", "-key-threshold=2", `-pgp-keys=${files.alice},${files.bob},${files.carol}`,
        `-root-token-pgp-key=${files.alice}`, "-format=json"],
      { env: cleanEnv({ MAYFLY_ADDR: url }) },
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { unseal_keys_b64: string[]; unseal_keys_hex: string[]; root_token: string };
    expect(out.unseal_keys_b64).toHaveLength(3);
    // Hex and base64 are two spellings of the same PGP message.
    expect(Buffer.from(out.unseal_keys_hex[0] as string, "hex").toString("base64")).toBe(out.unseal_keys_b64[0]);
    // Each share is readable only with its own operator's key: decrypting with all keys in
    // one keyring works, so check the recipient recorded in each message instead.
    const recipients = out.unseal_keys_b64.map((k) =>
      gpg(["--list-packets"], Buffer.from(k, "base64")).toString("utf8").match(/keyid ([0-9A-F]+)/)?.[1],
    );
    expect(new Set(recipients).size).toBe(3);
    const shares = out.unseal_keys_b64.map(decrypt);
    for (const s of shares) expect(s).toMatch(/^[0-9a-f]{66}$/); // a 33-byte share as hex, as Vault writes it
    expect((await api(url, "PUT", "sys/unseal", { body: { key: shares[0] } })).json.sealed).toBe(true);
    expect((await api(url, "PUT", "sys/unseal", { body: { key: shares[2] } })).json.sealed).toBe(false);
    const rootToken = decrypt(out.root_token);
    expect(rootToken).toMatch(/^hvs\./);
    expect((await api(url, "GET", "auth/token/lookup-self", { token: rootToken })).json.data.policies).toEqual(["root"]);
  }, 60_000);

  it("refuses bad keys before anything is generated: the server stays uninitialised", async () => {
    const url = await freshServer();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ secret_shares: 3, secret_threshold: 2, pgp_keys: [base64Keys.alice, base64Keys.bob] }, /incorrect number of PGP keys/],
      [{ secret_shares: 2, secret_threshold: 2, pgp_keys: [base64Keys.alice, "not a key"] }, /pgp_keys\[1\]/],
      [{ secret_shares: 2, secret_threshold: 2, pgp_keys: [base64Keys.alice, Buffer.from("garbage").toString("base64")] }, /error parsing given PGP key/],
      [{ secret_shares: 1, secret_threshold: 1, pgp_keys: [signOnlyKey] }, /cannot be encrypted to/],
      [{ secret_shares: 1, secret_threshold: 1, root_token_pgp_key: signOnlyKey }, /root_token_pgp_key/],
    ];
    for (const [body, message] of cases) {
      const res = await api(url, "PUT", "sys/init", { body });
      expect(res.status, JSON.stringify(res.json)).toBe(400);
      expect(res.json.errors.join(" ")).toMatch(message);
      expect((await api(url, "GET", "sys/init")).json.initialized).toBe(false);
    }
    const missing = await runMayfly(["operator", "init", "-key-shares=1", "-key-threshold=1", `-pgp-keys=${join(home, "nope")}`], {
      env: cleanEnv({ MAYFLY_ADDR: url }),
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/error reading PGP key file/);
    const keybase = await runMayfly(["operator", "init", "-key-shares=1", "-key-threshold=1", "-pgp-keys=keybase:alice"], {
      env: cleanEnv({ MAYFLY_ADDR: url }),
    });
    expect(keybase.code).toBe(1);
    expect(keybase.stderr).toMatch(/not fetched from keybase/);
  }, 60_000);

  it("rekey encrypts the new shares; generate-root encrypts the new root token", async () => {
    const url = await freshServer();
    const init = await api(url, "PUT", "sys/init", { body: { secret_shares: 1, secret_threshold: 1 } });
    const oldKey = init.json.keys_base64[0] as string;
    await api(url, "PUT", "sys/unseal", { body: { key: oldKey } });

    const started = await api(url, "PUT", "sys/rekey/init", {
      body: { secret_shares: 2, secret_threshold: 2, pgp_keys: [base64Keys.bob, base64Keys.carol] },
    });
    expect(started.status, JSON.stringify(started.json)).toBe(200);
    expect(started.json.pgp_fingerprints).toHaveLength(2);
    const fingerprint = (name: string): string =>
      gpg(["--with-colons", "--fingerprint", `${name}@example.com`]).toString("utf8").match(/^fpr:+([0-9A-F]+):/m)?.[1]?.toLowerCase() ?? "";
    expect(started.json.pgp_fingerprints).toEqual([fingerprint("bob"), fingerprint("carol")]);
    const done = await api(url, "PUT", "sys/rekey/update", { body: { key: oldKey, nonce: started.json.nonce } });
    expect(done.json.complete).toBe(true);
    expect(done.json.pgp_fingerprints).toEqual(started.json.pgp_fingerprints);
    const newShares = (done.json.keys_base64 as string[]).map(decrypt);
    await api(url, "PUT", "sys/seal", { token: init.json.root_token });
    expect((await api(url, "PUT", "sys/unseal", { body: { key: newShares[0] } })).json.sealed).toBe(true);
    expect((await api(url, "PUT", "sys/unseal", { body: { key: newShares[1] } })).json.sealed).toBe(false);

    expect((await api(url, "PUT", "sys/generate-root/attempt", { body: { pgp_key: base64Keys.alice, otp: "A".repeat(28) } })).status).toBe(400);
    const attempt = await api(url, "PUT", "sys/generate-root/attempt", { body: { pgp_key: base64Keys.alice } });
    expect(attempt.json.pgp_fingerprint).toBe(fingerprint("alice"));
    expect(attempt.json.otp).toBe("");
    await api(url, "PUT", "sys/generate-root/update", { body: { key: newShares[0], nonce: attempt.json.nonce } });
    const final = await api(url, "PUT", "sys/generate-root/update", { body: { key: newShares[1], nonce: attempt.json.nonce } });
    expect(final.json.complete).toBe(true);
    const token = decrypt(final.json.encoded_token);
    expect((await api(url, "GET", "auth/token/lookup-self", { token })).json.data.policies).toEqual(["root"]);
  }, 60_000);

  it("rekey with backup keeps the encrypted shares for sudo holders until deleted", async () => {
    const url = await freshServer();
    const init = await api(url, "PUT", "sys/init", { body: { secret_shares: 1, secret_threshold: 1 } });
    const root = init.json.root_token as string;
    await api(url, "PUT", "sys/unseal", { body: { key: init.json.keys_base64[0] } });
    expect((await api(url, "PUT", "sys/rekey/init", { body: { secret_shares: 1, secret_threshold: 1, backup: true } })).status).toBe(400);
    const started = await api(url, "PUT", "sys/rekey/init", {
      body: { secret_shares: 2, secret_threshold: 2, pgp_keys: [base64Keys.alice, base64Keys.alice], backup: true },
    });
    expect(started.json.backup).toBe(true);
    const done = await api(url, "PUT", "sys/rekey/update", { body: { key: init.json.keys_base64[0], nonce: started.json.nonce } });
    expect(done.json.backup).toBe(true);
    const fp = (done.json.pgp_fingerprints as string[])[0] as string;

    // A token without sudo on sys/rekey/backup may not read it.
    await api(url, "PUT", "sys/policies/acl/reader", { token: root, body: { policy: 'path "sys/rekey/backup" { capabilities = ["read"] }' } });
    const reader = (await api(url, "POST", "auth/token/create", { token: root, body: { policies: ["reader"] } })).json.auth.client_token;
    expect((await api(url, "GET", "sys/rekey/backup", { token: reader })).status).toBe(403);

    const cli = await runMayfly(["operator", "rekey", "-backup-retrieve", "-format=json"], { env: cleanEnv({ MAYFLY_ADDR: url, MAYFLY_TOKEN: root }) });
    expect(cli.code, cli.stderr).toBe(0);
    const backup = JSON.parse(cli.stdout) as { nonce: string; keys_base64: Record<string, string[]> };
    expect(backup.nonce).toBe(started.json.nonce);
    expect(backup.keys_base64[fp]).toEqual(done.json.keys_base64);
    // The backup decrypts to the shares that now unseal the server.
    const shares = (backup.keys_base64[fp] as string[]).map(decrypt);
    await api(url, "PUT", "sys/seal", { token: root });
    await api(url, "PUT", "sys/unseal", { body: { key: shares[0] } });
    expect((await api(url, "PUT", "sys/unseal", { body: { key: shares[1] } })).json.sealed).toBe(false);

    const deleted = await runMayfly(["operator", "rekey", "-backup-delete"], { env: cleanEnv({ MAYFLY_ADDR: url, MAYFLY_TOKEN: root }) });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await api(url, "GET", "sys/rekey/backup", { token: root })).status).toBe(404);
  }, 60_000);
});
