// The JSON envelope every Vault answer shares. It lives in the core, not the HTTP layer,
// because response wrapping stores exactly what the client would have received.
import type { Response } from "../framework/types.js";
import { wrapInfoJson } from "./wrapping/format.js";

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
