/**
 * sys/rekey/init, sys/rekey/update and sys/rekey/verify: bare bodies and no token, as Vault
 * serves them outside its router (http/sys_rekey.go). Only while unsealed.
 */
import type { Core } from "../core/core.js";
import type { RekeyStatus, RekeyVerificationStatus } from "../core/seal/rekey.js";
import { pgpKeyList, readRecipients } from "../core/seal/pgp.js";
import { decodeUnsealKey } from "../core/seal/seal.js";
import { badRequest, MayflyError } from "../framework/errors.js";
import { coerceField } from "../framework/fields.js";
import { jsonReply, type HttpReply } from "./envelope.js";

export const REKEY_PATHS = ["sys/rekey/init", "sys/rekey/update", "sys/rekey/verify"] as const;

export async function handleRekey(core: Core, path: string, method: string, data: Record<string, unknown>): Promise<HttpReply> {
  const read = method === "GET" || method === "HEAD";
  const write = method === "PUT" || method === "POST";
  switch (path) {
    case "sys/rekey/init":
      if (read) return jsonReply(200, statusBody(await core.rekey.status()));
      if (write) return jsonReply(200, statusBody(await core.rekey.init(await initParams(data))));
      if (method === "DELETE") {
        await core.rekey.cancel(optionalString(data, "nonce"));
        return { status: 204 };
      }
      break;
    case "sys/rekey/update":
      if (write) {
        const { key, nonce } = shareOf(data);
        const result = await core.rekey.update(key, nonce);
        if (result === undefined) return jsonReply(200, statusBody(await core.rekey.status()));
        const body: Record<string, unknown> = {
          nonce: result.nonce,
          complete: true,
          keys: result.keys.map((k) => k.toString("hex")),
          keys_base64: result.keys.map((k) => k.toString("base64")),
          pgp_fingerprints: result.pgpFingerprints.length > 0 ? result.pgpFingerprints : null,
          backup: result.backup,
          verification_required: result.verificationRequired,
        };
        if (result.verificationNonce !== "") body.verification_nonce = result.verificationNonce;
        for (const k of result.keys) k.fill(0);
        return jsonReply(200, body);
      }
      break;
    case "sys/rekey/verify":
      if (read) return jsonReply(200, verificationBody(await core.rekey.verificationStatus()));
      if (write) {
        const { key, nonce } = shareOf(data);
        const result = await core.rekey.verify(key, nonce);
        if (result === undefined) return jsonReply(200, verificationBody(await core.rekey.verificationStatus()));
        return jsonReply(200, { nonce: result.nonce, complete: true });
      }
      if (method === "DELETE") return jsonReply(200, verificationBody(await core.rekey.restartVerification()));
      break;
  }
  throw new MayflyError(405, ["unsupported operation"]);
}

async function initParams(data: Record<string, unknown>) {
  const pgpKeys = pgpKeyList(data.pgp_keys, "pgp_keys");
  const backup = data.backup === undefined || data.backup === null ? false : (coerceField("backup", "bool", data.backup) as boolean);
  if (backup && pgpKeys.length === 0) throw badRequest("cannot request a backup of the new keys without providing PGP keys for encryption");
  const requireVerification =
    data.require_verification === undefined || data.require_verification === null
      ? false
      : (coerceField("require_verification", "bool", data.require_verification) as boolean);
  // As Vault decodes into Go ints: a missing count is zero, which the validation refuses.
  return {
    secretShares: intField(data, "secret_shares"),
    secretThreshold: intField(data, "secret_threshold"),
    requireVerification,
    pgpRecipients: await readRecipients(pgpKeys, "pgp_keys"),
    backup,
  };
}

function intField(data: Record<string, unknown>, name: string): number {
  const v = data[name];
  if (v === undefined || v === null) return 0;
  return coerceField(name, "int", v) as number;
}

function optionalString(data: Record<string, unknown>, name: string): string | undefined {
  const v = data[name];
  return typeof v === "string" ? v : undefined;
}

/** The share and nonce of an update or verify body; the share decoded as sys/unseal does. */
export function shareOf(data: Record<string, unknown>): { key: Buffer; nonce: string } {
  if (typeof data.key !== "string" || data.key === "") throw badRequest("'key' must be specified in request body as JSON");
  const nonce = typeof data.nonce === "string" ? data.nonce : "";
  return { key: decodeUnsealKey(data.key), nonce };
}

/** Vault's RekeyStatusResponse, field for field (verification_nonce only when set). */
function statusBody(s: RekeyStatus): Record<string, unknown> {
  const body: Record<string, unknown> = {
    nonce: s.nonce,
    started: s.started,
    t: s.t,
    n: s.n,
    progress: s.progress,
    required: s.required,
    pgp_fingerprints: s.pgpFingerprints.length > 0 ? s.pgpFingerprints : null,
    backup: s.backup,
    verification_required: s.verificationRequired,
  };
  if (s.verificationNonce !== "") body.verification_nonce = s.verificationNonce;
  return body;
}

function verificationBody(s: RekeyVerificationStatus): Record<string, unknown> {
  return { nonce: s.nonce, started: s.started, t: s.t, n: s.n, progress: s.progress };
}
