import type { Core } from "../../core/core.js";
import { tokenAcl } from "../../core/identity/index.js";
import type { TokenEntry } from "../../core/tokens/token-entry.js";
import type { Request } from "../../framework/types.js";

/**
 * Root or `sudo` on the request's own path: what Vault's SudoPrivilege answers, which
 * token_store.go asks before letting a caller pick an id, skip the parent, set a period,
 * or revoke-and-orphan.
 */
export async function callerHasSudo(core: Core, req: Request): Promise<boolean> {
  const policies = req.caller.policies;
  if (policies.includes("root")) return true;
  if (policies.length === 0) return false;
  const acl = await tokenAcl(core, policies, req.caller.entityId);
  return acl.check({ path: req.path, operation: req.operation, data: req.data }).sudo;
}

/**
 * The calling token's live entry, or undefined, as Vault's non-tainted lookup: on the
 * token's last use it is already marked for revocation and so absent, which is why Vault
 * refuses token creation and renew-self there.
 */
export async function callerEntry(core: Core, req: Request): Promise<TokenEntry | undefined> {
  if (req.caller.tokenHash === "") return undefined;
  return core.tokens.lookupByHash(req.caller.tokenHash, req.nowMs);
}

/**
 * The calling token as it stands during this request, its last use included (Vault's
 * lookup-self is a tainted lookup: it reports the token, `num_uses` -1, before the
 * revocation that follows the response).
 */
export async function callerEntryThisRequest(core: Core, req: Request): Promise<TokenEntry | undefined> {
  if (req.caller.tokenHash === "") return undefined;
  return core.tokens.lookupByHash(req.caller.tokenHash, req.nowMs, true);
}

/** Unix milliseconds as the RFC 3339 text Go's time.Time marshals to. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}
