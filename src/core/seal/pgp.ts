/**
 * OpenPGP encryption of unseal key shares and root tokens for named operators, as Vault's
 * pgp_keys / root_token_pgp_key / pgp_key: each key is given as base64 of a binary
 * (unarmored) public key; each share is encrypted as its hex text, a root token as itself,
 * so `base64 -d | gpg -dq` yields what `operator unseal` or `login` takes. Written on
 * openpgp (OpenPGP.js) rather than by hand: the packet format is large and unforgiving.
 */
import type * as OpenPgp from "openpgp";
import { badRequest } from "../../framework/errors.js";

// Loaded on first use: it is large, and most servers never see a PGP key.
let loaded: Promise<typeof OpenPgp> | undefined;
const openpgpModule = (): Promise<typeof OpenPgp> => (loaded ??= import("openpgp"));

export interface PgpRecipient {
  readonly key: OpenPgp.PublicKey;
  /** Lower-case hex of the primary key's fingerprint, as Vault reports it. */
  readonly fingerprint: string;
}

/**
 * Parses and checks every key before anything is generated: a key that cannot be
 * encrypted to must be refused up front, not after the shares it was meant for exist.
 */
export async function readRecipients(encoded: readonly unknown[], field: string): Promise<PgpRecipient[]> {
  const out: PgpRecipient[] = [];
  if (encoded.length === 0) return out;
  const openpgp = await openpgpModule();
  for (const [i, value] of encoded.entries()) {
    const where = encoded.length === 1 ? field : `${field}[${i}]`;
    if (typeof value !== "string" || value.trim() === "") throw badRequest(`${where}: expected a base64-encoded PGP public key`);
    const binary = Buffer.from(value.trim(), "base64");
    if (binary.length === 0 || binary.toString("base64").replace(/=+$/, "") !== value.trim().replace(/=+$/, "")) {
      throw badRequest(`error decoding given PGP key (${where}): not valid base64`);
    }
    let key: OpenPgp.Key;
    try {
      key = await openpgp.readKey({ binaryKey: binary });
    } catch (e) {
      throw badRequest(`error parsing given PGP key (${where}): ${(e as Error).message}`);
    }
    const recipient = { key: key.toPublic(), fingerprint: key.getFingerprint().toLowerCase() };
    try {
      await encryptFor(recipient, Buffer.from("probe"));
    } catch (e) {
      throw badRequest(`PGP key ${recipient.fingerprint} (${where}) cannot be encrypted to: ${(e as Error).message}`);
    }
    out.push(recipient);
  }
  return out;
}

/** A binary OpenPGP message holding `plaintext`, readable only with the recipient's secret key. */
export async function encryptFor(recipient: PgpRecipient, plaintext: Uint8Array): Promise<Buffer> {
  const openpgp = await openpgpModule();
  const message = await openpgp.createMessage({ binary: plaintext });
  const encrypted = await openpgp.encrypt({ message, encryptionKeys: recipient.key, format: "binary" });
  return Buffer.from(encrypted as Uint8Array);
}

/** Each share as its hex text, encrypted to the recipient at the same position (Vault's order). */
export async function encryptShares(shares: readonly Buffer[], recipients: readonly PgpRecipient[]): Promise<Buffer[]> {
  if (shares.length !== recipients.length) throw new Error("mismatch between number of shares and number of PGP keys");
  return Promise.all(shares.map((s, i) => encryptFor(recipients[i] as PgpRecipient, Buffer.from(s.toString("hex"), "utf8"))));
}

/** `pgp_keys` as sent: absent, null or [] mean none (the Go client always sends null). */
export function pgpKeyList(value: unknown, field: string): unknown[] {
  if (value === undefined || value === null || value === "") return [];
  if (Array.isArray(value)) return value;
  if (typeof value === "string") return value.split(",").map((s) => s.trim());
  throw badRequest(`${field} must be a list of base64-encoded PGP public keys`);
}
