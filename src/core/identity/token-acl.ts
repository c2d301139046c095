/**
 * The ACL a token acts under wherever it is asked for, not only in the request pipeline
 * (sys/capabilities*, the UI mount listing, token_store's sudo checks): the token's own
 * policies plus its entity's and groups', with templated rules filled from the entity.
 */
import type { Acl } from "../policy/index.js";
import type { PolicyStore } from "../policy-store.js";
import { resolveIdentity } from "./resolve.js";
import type { IdentityStore } from "./store.js";
import type { ResolvedIdentity } from "./types.js";

/**
 * The token's policies and its identity's, as one sorted set, lowercased as Vault's
 * SanitizePolicies does (identity policies keep the case they were written in).
 */
export function tokenAndIdentityPolicies(tokenPolicies: readonly string[], identity: ResolvedIdentity | undefined): readonly string[] {
  if (!identity || identity.policies.length === 0) return tokenPolicies;
  return [...new Set([...tokenPolicies, ...identity.policies.map((p) => p.toLowerCase())])].sort();
}

export async function tokenAcl(
  core: { readonly identity: IdentityStore; readonly policies: PolicyStore },
  tokenPolicies: readonly string[],
  entityId: string,
): Promise<Acl> {
  const identity = entityId !== "" ? await resolveIdentity(core.identity, entityId) : undefined;
  if (!identity) return core.policies.acl(tokenPolicies);
  return core.policies.acl(tokenAndIdentityPolicies(tokenPolicies, identity), identity);
}
