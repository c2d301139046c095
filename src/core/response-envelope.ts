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
  // The same keys in the same order as envelope(); data spliced in as text, and the common
  // no-lease, no-auth head and tail written without a JSON.stringify per key.
  const s = resp.secret;
  const head =
    s === undefined
      ? `{"request_id":${JSON.stringify(requestId)},"lease_id":"","renewable":false,"lease_duration":0,"data":`
      : `{"request_id":${JSON.stringify(requestId)},"lease_id":${JSON.stringify(s.leaseId)},` +
        `"renewable":${JSON.stringify(s.renewable)},"lease_duration":${JSON.stringify(s.leaseDurationSeconds)},"data":`;
  const mount = resp.mountType ?? mountType;
  const plainTail = !resp.wrapInfo && !(resp.warnings && resp.warnings.length > 0) && !resp.auth;
  if (plainTail) return head + data + tailFor(mount);
  const base = envelope(requestId, resp, mountType);
  return (
    head + data +
    `,"wrap_info":${JSON.stringify(base.wrap_info)},"warnings":${JSON.stringify(base.warnings)},` +
    `"auth":${JSON.stringify(base.auth)},"mount_type":${JSON.stringify(mount)}}`
  );
}

/** The envelope's end when it carries no wrap info, warnings or auth, per mount type. */
const plainTails = new Map<string, string>();
function tailFor(mountType: string): string {
  let tail = plainTails.get(mountType);
  if (tail === undefined) {
    tail = `,"wrap_info":null,"warnings":null,"auth":null,"mount_type":${JSON.stringify(mountType)}}`;
    // Mount types are few; a bound keeps a stray caller from growing the map.
    if (plainTails.size < 64) plainTails.set(mountType, tail);
  }
  return tail;
}

function stringifyValue(value: unknown): string | undefined {
  return JSON.stringify(value) as string | undefined;
}
