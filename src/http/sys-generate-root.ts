/**
 * sys/generate-root/attempt and sys/generate-root/update: bare bodies and no token, as
 * Vault serves them (http/sys_generate_root.go). Unlike sys/unseal and sys/rekey, Vault
 * audits these two (handleAuditNonLogical): the request and the bare response body go to
 * the audit devices, every string HMAC'd, and a request no device can record is refused.
 */
import { randomUUID } from "node:crypto";
import type { Core } from "../core/core.js";
import type { AuditRequestInput } from "../core/audit/index.js";
import type { GenerateRootStatus } from "../core/seal/generate-root.js";
import { readRecipients } from "../core/seal/pgp.js";
import { badRequest, isMayflyError, MayflyError } from "../framework/errors.js";
import { jsonReply, type HttpReply } from "./envelope.js";
import { shareOf } from "./sys-rekey.js";

export const GENERATE_ROOT_PATHS = ["sys/generate-root/attempt", "sys/generate-root/update"] as const;

export interface BareConnection {
  remoteAddress: string;
  remotePort: number;
}

export async function handleGenerateRoot(
  core: Core,
  path: string,
  method: string,
  data: Record<string, unknown>,
  connection?: BareConnection,
): Promise<HttpReply> {
  if (!core.audit.enabled) return serve(core, path, method, data);
  const audit: AuditRequestInput = {
    request: {
      id: randomUUID(),
      operation: operationOf(method),
      path,
      data,
      ...(connection ? { remoteAddress: connection.remoteAddress, remotePort: connection.remotePort } : {}),
    },
  };
  await core.audit.logRequest(audit).catch((err: unknown) => {
    core.logger.error("audit: no device could record the request", { error: errorText(err) });
    throw new MayflyError(500, ["internal error"]);
  });
  let reply: HttpReply;
  try {
    reply = await serve(core, path, method, data);
  } catch (err) {
    await core.audit
      .logResponse({ ...audit, error: errorText(err) })
      .catch(() => core.logger.error("audit: no device could record an error response", {}));
    throw err;
  }
  const body = typeof reply.body === "string" && reply.body !== "" ? (JSON.parse(reply.body) as Record<string, unknown>) : undefined;
  await core.audit.logResponse({ ...audit, response: body ? { data: body } : {} }).catch((err: unknown) => {
    core.logger.error("audit: no device could record the response", { error: errorText(err) });
    throw new MayflyError(500, ["internal error"]);
  });
  return reply;
}

async function serve(core: Core, path: string, method: string, data: Record<string, unknown>): Promise<HttpReply> {
  const gen = core.rootGeneration;
  const write = method === "PUT" || method === "POST";
  switch (path) {
    case "sys/generate-root/attempt":
      if (method === "GET" || method === "HEAD") return jsonReply(200, statusBody(await gen.status(), ""));
      if (write) {
        const pgpKey = data.pgp_key;
        if (pgpKey !== undefined && pgpKey !== null && typeof pgpKey !== "string") {
          throw badRequest("pgp_key must be a base64-encoded PGP public key");
        }
        const pgp = pgpKey ? (await readRecipients([pgpKey], "pgp_key"))[0] : undefined;
        const otp = typeof data.otp === "string" ? data.otp : undefined;
        const { status, generatedOtp } = await gen.init(otp, pgp);
        return jsonReply(200, statusBody(status, generatedOtp));
      }
      if (method === "DELETE") {
        await gen.cancel();
        return { status: 204 };
      }
      break;
    case "sys/generate-root/update":
      if (write) {
        const { key, nonce } = shareOf(data);
        const r = await gen.update(key, nonce);
        return jsonReply(200, {
          nonce,
          started: true,
          progress: r.progress,
          required: r.required,
          complete: r.progress === r.required,
          encoded_token: r.encodedToken,
          encoded_root_token: r.encodedToken,
          pgp_fingerprint: r.pgpFingerprint,
          otp: "",
          otp_length: 0,
        });
      }
      break;
  }
  throw new MayflyError(405, ["unsupported operation"]);
}

/** Vault's GenerateRootStatusResponse, field for field. */
function statusBody(s: GenerateRootStatus, otp: string): Record<string, unknown> {
  return {
    nonce: s.nonce,
    started: s.started,
    progress: s.progress,
    required: s.required,
    complete: false,
    encoded_token: "",
    encoded_root_token: "",
    pgp_fingerprint: s.pgpFingerprint,
    otp,
    otp_length: s.otpLength,
  };
}

function operationOf(method: string): string {
  if (method === "PUT" || method === "POST") return "update";
  if (method === "DELETE") return "delete";
  return "read";
}

function errorText(err: unknown): string {
  if (isMayflyError(err)) return err.errors.join(", ") || `status ${err.status}`;
  return err instanceof Error ? err.message : String(err);
}
