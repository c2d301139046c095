// The JSON envelope every Vault answer shares. It lives in the core, not the HTTP layer,
// because response wrapping stores exactly what the client would have received.
import type { Response } from "../framework/types.js";
import { isShared, jsonAroundShared, sharedJson } from "../storage/shared-values.js";
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

/**
 * `JSON.stringify(envelope(...))`, with the JSON of shared values in `data` (a KV secret
 * read again and again) made once instead of per request.
 */
export function envelopeJson(requestId: string, resp: Response, mountType: string): string {
  const d = resp.data;
  const data = !d || resp.injectDataAtTop ? undefined : isShared(d) ? sharedJson(d) : jsonAroundShared(d, sharedJson, stringifyValue);
  if (data === undefined) return JSON.stringify(envelope(requestId, resp, mountType));
  const base = envelope(requestId, resp, mountType);
  // The same keys in the same order as envelope(); data spliced in as text.
  return (
    `{"request_id":${JSON.stringify(base.request_id)},"lease_id":${JSON.stringify(base.lease_id)},` +
    `"renewable":${JSON.stringify(base.renewable)},"lease_duration":${JSON.stringify(base.lease_duration)},` +
    `"data":${data},"wrap_info":${JSON.stringify(base.wrap_info)},"warnings":${JSON.stringify(base.warnings)},` +
    `"auth":${JSON.stringify(base.auth)},"mount_type":${JSON.stringify(base.mount_type)}}`
  );
}

function stringifyValue(value: unknown): string | undefined {
  return JSON.stringify(value) as string | undefined;
}
