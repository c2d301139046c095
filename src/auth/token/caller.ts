import type { Core } from "../../core/core.js";
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
  const acl = await core.policies.acl(policies);
  return acl.check({ path: req.path, operation: req.operation, data: req.data }).sudo;
}

/** The calling token's live entry, or undefined (e.g. it is on its last use). */
export async function callerEntry(core: Core, req: Request): Promise<TokenEntry | undefined> {
  if (req.caller.tokenHash === "") return undefined;
  return core.tokens.lookupByHash(req.caller.tokenHash, req.nowMs);
}

/** Unix milliseconds as the RFC 3339 text Go's time.Time marshals to. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}
