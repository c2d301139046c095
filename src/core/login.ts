// What a login's answer becomes before it leaves the pipeline: the auth method's verdict
// turned into a token (with the mount's limits and the alias's entity), and the `auth`
// block completed with the identity's policies.
import { badRequest, permissionDenied } from "../framework/errors.js";
import type { Response } from "../framework/types.js";
import type { Core } from "./core.js";
import { entityForLogin, resolveIdentity, tokenAndIdentityPolicies } from "./identity/index.js";
import { loginTokenType } from "./login-token-type.js";
import type { Mounted } from "./mounts.js";
import { issueToken } from "./token-issuer.js";

/** Turns an auth method's verdict into a token, with the mount's TTL limits. */
export async function completeLogin(core: Core, mounted: Mounted, path: string, resp: Response): Promise<Response> {
  const spec = resp.authSpec;
  if (!spec) return resp;
  // No auth method may mint root tokens; only the token store's root paths can.
  if (spec.policies.some((p) => p.trim().toLowerCase() === "root")) {
    throw badRequest("auth methods cannot create root tokens");
  }
  // As Vault: the alias the method reports finds its entity, or a new one is made for it.
  let entityId = "";
  if (spec.alias) {
    const metadata = spec.alias.metadata;
    const entity = await entityForLogin(core.identity, { mountAccessor: mounted.entry.accessor, name: spec.alias.name, ...(metadata ? { metadata } : {}) });
    if (entity.disabled) throw permissionDenied();
    entityId = entity.id;
  }
  const issued = await issueToken(
    core.tokens,
    {
      policies: spec.policies,
      noDefaultPolicy: spec.noDefaultPolicy ?? false,
      meta: spec.metadata ?? null,
      displayName: `${mounted.entry.path.replace(/\/$/, "")}-${spec.displayName}`.replace(/^token-/, ""),
      ttlSeconds: spec.ttlSeconds ?? 0,
      explicitMaxTtlSeconds: spec.explicitMaxTtlSeconds ?? 0,
      periodSeconds: spec.periodSeconds ?? 0,
      numUses: spec.numUses ?? 0,
      renewable: spec.renewable ?? true,
      type: loginTokenType(mounted.entry.config.token_type, spec.tokenType),
      parent: undefined,
      path,
      authMount: mounted.info,
      entityId,
      internal: spec.internal ?? {},
      role: "",
      boundCidrs: spec.boundCidrs ?? [],
      ...(spec.maxTtlSeconds ? { maxTtlSeconds: spec.maxTtlSeconds } : {}),
    },
    core.nowMs(),
  );
  const { authSpec: _omit, ...rest } = resp;
  return { ...rest, auth: issued.auth, warnings: [...(resp.warnings ?? []), ...issued.warnings] };
}

/**
 * A token that carries an entity (a login's, or a child of one) holds its entity's and
 * groups' policies too: the `auth` block says which (`identity_policies`), as Vault's does.
 */
export async function withIdentityPolicies(core: Core, resp: Response): Promise<Response> {
  const auth = resp.auth;
  const entityId = auth?.entity_id;
  if (!auth || typeof entityId !== "string" || entityId === "") return resp;
  const identity = await resolveIdentity(core.identity, entityId);
  if (!identity || identity.policies.length === 0) return resp;
  const tokenPolicies = Array.isArray(auth.token_policies) ? (auth.token_policies as string[]) : [];
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(auth)) {
    out[k] = k === "policies" ? tokenAndIdentityPolicies(tokenPolicies, identity) : v;
    if (k === "token_policies") out.identity_policies = [...identity.policies];
  }
  return { ...resp, auth: out };
}
