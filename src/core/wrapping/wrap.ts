import type { Response } from "../../framework/types.js";
import { envelope } from "../response-envelope.js";
import type { Core } from "../core.js";
import { createWrappingToken } from "./store.js";

/** Vault wraps any successful JSON answer with something in it; raw and bare bodies are left alone. */
export function isWrappable(resp: Response | undefined): resp is Response {
  if (resp === undefined || resp.raw || resp.bare || resp.wrapInfo) return false;
  return resp.data != null || resp.auth !== undefined || resp.secret !== undefined;
}

export interface WrapParams {
  readonly requestId: string;
  readonly path: string;
  readonly mountType: string;
  readonly ttlSeconds: number;
  /** The mount's max lease TTL, which bounds the wrapping token too. */
  readonly maxTtlSeconds: number;
}

/**
 * Stores `resp` as the envelope the client would have received (Vault keeps the original
 * request id in it) and answers with only the wrap_info. Leases in it stay with the
 * caller's token, as issued.
 */
export async function wrapResponse(core: Core, resp: Response, p: WrapParams): Promise<Response> {
  const original = envelope(p.requestId, { ...resp, injectDataAtTop: false }, p.mountType);
  const auth = resp.auth;
  const wrapInfo = await createWrappingToken(core, {
    response: JSON.stringify(original),
    ttlSeconds: p.maxTtlSeconds > 0 ? Math.min(p.ttlSeconds, p.maxTtlSeconds) : p.ttlSeconds,
    creationPath: p.path,
    requestPath: p.path,
    wrappedAccessor: typeof auth?.["accessor"] === "string" ? auth["accessor"] : "",
  });
  return { wrapInfo, ...(resp.mountType !== undefined ? { mountType: resp.mountType } : {}) };
}
