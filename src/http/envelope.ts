import { wrapInfoJson } from "../core/wrapping/format.js";
import type { Response } from "../framework/types.js";

/** Reported by sys/health and sys/seal-status; a Vault API level with our build after `+`. */
export const SERVER_VERSION = "1.15.0+mayfly.0.1.0";

export interface HttpReply {
  status: number;
  body?: string | Buffer;
  contentType?: string;
}

const JSON_TYPE = "application/json";

/**
 * Vault's response envelope: every key present, nulls as null, warnings null when none,
 * `auth` null unless a token was issued.
 */
export function envelope(requestId: string, resp: Response, mountType: string): Record<string, unknown> {
  const base = {
    request_id: requestId,
    lease_id: resp.secret?.leaseId ?? "",
    renewable: resp.secret?.renewable ?? false,
    lease_duration: resp.secret?.leaseDurationSeconds ?? 0,
    data: resp.data ?? null,
    wrap_info: resp.wrapInfo ? wrapInfoJson(resp.wrapInfo) : null,
    warnings: resp.warnings && resp.warnings.length > 0 ? resp.warnings : null,
    auth: resp.auth ?? null,
    mount_type: resp.mountType ?? mountType,
  };
  // Some sys paths also carry their data at the top level, data keys first (Vault's HTTPSysInjector).
  return resp.injectDataAtTop && resp.data ? { ...resp.data, ...base } : base;
}

export function replyFor(requestId: string, resp: Response | undefined, mountType: string): HttpReply {
  if (!resp) return { status: 204 };
  if (resp.raw) return { status: resp.status ?? 200, body: resp.raw.body, contentType: resp.raw.contentType };
  if (resp.bare) return jsonReply(resp.status ?? 200, resp.data ?? {});
  const empty = resp.data == null && !resp.secret && !resp.auth && !resp.wrapInfo && !(resp.warnings && resp.warnings.length);
  if (empty) return { status: resp.status ?? 204 };
  return jsonReply(resp.status ?? 200, envelope(requestId, resp, mountType));
}

export function jsonReply(status: number, value: unknown): HttpReply {
  return { status, body: JSON.stringify(value), contentType: JSON_TYPE };
}

export function errorReply(status: number, errors: readonly string[]): HttpReply {
  return jsonReply(status, { errors });
}
