import type { Core } from "../../core/core.js";
import type { TokenEntry } from "../../core/tokens/token-entry.js";
import { ttlLeftSeconds } from "../../core/tokens/token-entry.js";
import { resolveIdentity } from "../../core/identity/index.js";
import { badRequest, permissionDenied } from "../../framework/errors.js";
import type { FieldSchemas } from "../../framework/fields.js";
import { definePath, type PathDef, type Request, type Response } from "../../framework/types.js";
import { callerEntryThisRequest, rfc3339 } from "./caller.js";

/**
 * Tokens made by init or generate-root have no lease in Vault, so their lookup carries no
 * `issue_time` and no `renewable`; every other token got one when it was issued.
 */
export function hasLease(e: TokenEntry): boolean {
  return e.path !== "auth/token/root";
}

/**
 * The `data` of a lookup, key for key as Vault's handleLookup builds it (sorted, as Go
 * marshals maps). `id` is the token as looked up; callers that looked up by accessor
 * blank it.
 */
export function lookupData(e: TokenEntry, token: string, nowMs: number): Record<string, unknown> {
  const data: Record<string, unknown> = {
    accessor: e.accessor,
    creation_time: Math.floor(e.creationTimeMs / 1000),
    creation_ttl: e.creationTtlSeconds,
    display_name: e.displayName,
    entity_id: e.entityId,
    expire_time: null,
    explicit_max_ttl: e.explicitMaxTtlSeconds,
    id: token,
    meta: e.meta ? { ...e.meta } : null,
    num_uses: e.numUses,
    orphan: e.parentHash === "",
    path: e.path,
    policies: [...e.policies],
    ttl: 0,
    type: e.type,
  };
  if (e.role !== "") data.role = e.role;
  if (e.periodSeconds !== 0) data.period = e.periodSeconds;
  if (e.boundCidrs.length > 0) data.bound_cidrs = [...e.boundCidrs];
  if (hasLease(e)) {
    // Only after a renewal: node-vault-client adds ttl to last_renewal_time when the key exists.
    if (e.lastRenewalTimeMs > 0) {
      data.last_renewal_time = Math.floor(e.lastRenewalTimeMs / 1000);
      data.last_renewal = rfc3339(e.lastRenewalTimeMs);
    }
    if (e.expireTimeMs > 0) {
      data.expire_time = rfc3339(e.expireTimeMs);
      data.ttl = ttlLeftSeconds(e, nowMs);
    }
    data.renewable = e.renewable && e.type === "service" && e.expireTimeMs > nowMs;
    data.issue_time = rfc3339(e.creationTimeMs);
  }
  return Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * A lookup of a token with an entity also shows the entity's and its groups' policies, as
 * Vault's does (only when there are some).
 */
async function withIdentityPolicies(core: Core, e: TokenEntry, data: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (e.entityId === "") return data;
  const identity = await resolveIdentity(core.identity, e.entityId);
  if (!identity || identity.policies.length === 0) return data;
  const out = { ...data, identity_policies: [...identity.policies], external_namespace_policies: {} };
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const tokenField = { token: { type: "string", description: "The token to look up; the caller's own when empty." } } as const satisfies FieldSchemas;
const selfField = { token: { type: "string", description: "Ignored: the calling token is looked up." } } as const satisfies FieldSchemas;
const accessorField = { accessor: { type: "string", description: "Accessor of the token to look up." } } as const satisfies FieldSchemas;

const LOOKUP_ANSWER = `The answer holds the token's accessor, policies, ttl (seconds left), creation_time,
creation_ttl, expire_time, explicit_max_ttl, num_uses, meta, display_name, orphan, path,
type, entity_id and renewable, and when they apply period, role, bound_cidrs,
last_renewal_time and, for a token with an entity, identity_policies.`;

async function lookupToken(core: Core, req: Request, token: string): Promise<Response> {
  if (token === "") throw badRequest("missing token ID");
  // The caller's own token is seen as during this request, as lookup-self sees it.
  const own = req.caller.tokenHash !== "" && token.length <= 1024 && core.tokens.hashToken(token) === req.caller.tokenHash;
  const entry = own ? await callerEntryThisRequest(core, req) : await core.tokens.lookup(token, req.nowMs);
  if (!entry) throw permissionDenied("bad token");
  return { data: await withIdentityPolicies(core, entry, lookupData(entry, token, req.nowMs)) };
}

async function lookupSelf(core: Core, req: Request): Promise<Response> {
  const entry = await callerEntryThisRequest(core, req);
  if (!entry) throw permissionDenied("bad token");
  return { data: await withIdentityPolicies(core, entry, lookupData(entry, req.caller.clientToken, req.nowMs)) };
}

export function lookupPaths(core: Core): readonly PathDef[] {
  const byToken = (req: Request, token: string) => lookupToken(core, req, token || req.caller.clientToken);
  return [
    definePath({
      pattern: "lookup",
      fields: tokenField,
      operations: {
        read: (req, f) => byToken(req, f.values.token),
        update: (req, f) => byToken(req, f.values.token),
      },
      help: `Look up a token (the caller's when none is given).

${LOOKUP_ANSWER}

A token that does not exist or has expired answers 403 (bad token).`,
    }),
    definePath({
      pattern: "lookup-self",
      fields: selfField,
      operations: { read: (req) => lookupSelf(core, req), update: (req) => lookupSelf(core, req) },
      help: `Look up the calling token.

${LOOKUP_ANSWER}

The default policy allows it.`,
    }),
    definePath({
      pattern: "lookup-accessor",
      fields: accessorField,
      operations: {
        update: async (req, f) => {
          const accessor = f.values.accessor;
          if (accessor === "") throw badRequest("missing accessor");
          const entry = await core.tokens.lookupAccessor(accessor, req.nowMs);
          if (!entry) throw badRequest("invalid accessor");
          // The token is never revealed through its accessor; hvac reads the empty `id`.
          return { data: await withIdentityPolicies(core, entry, lookupData(entry, "", req.nowMs)) };
        },
      },
      help: `Look up a token by its accessor.

${LOOKUP_ANSWER}

Its id is empty: an accessor never reveals the token. An unknown accessor answers 400.`,
    }),
  ];
}
