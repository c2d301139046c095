import type { Core } from "../../core/core.js";
import { syntheticRequest } from "../../core/synthetic-request.js";
import { authBlock, lastGrantedTtlSeconds, renewedTtlSeconds } from "../../core/token-issuer.js";
import type { TokenEntry } from "../../core/tokens/token-entry.js";
import { formatGoDuration } from "../../framework/duration.js";
import { badRequest } from "../../framework/errors.js";
import type { FieldSchemas } from "../../framework/fields.js";
import { definePath, type PathDef, type Request, type Response } from "../../framework/types.js";
import { callerEntry } from "./caller.js";
import { hasLease } from "./lookup.js";
import { effectiveRoleTtls, readRole } from "./role-model.js";

const incrementField = {
  type: "duration",
  default: 0,
  description: "TTL to ask for, counted from now; 0 (the default) asks for the TTL the token was last granted. A periodic token gets its period instead, and no token passes its max TTL.",
} as const;

const renewFields = {
  token: { type: "string", description: "The token to renew." },
  increment: incrementField,
} as const satisfies FieldSchemas;

const renewSelfFields = {
  token: { type: "string", description: "Ignored: the calling token is renewed." },
  increment: incrementField,
} as const satisfies FieldSchemas;

const renewAccessorFields = {
  accessor: { type: "string", description: "Accessor of the token to renew." },
  increment: incrementField,
} as const satisfies FieldSchemas;

const RENEW_NOTES = `A token issued by an auth method is renewed only if that method agrees (userpass refuses
for a deleted user or changed policies). A token made from a token role gets the role's
period as it is now; if the role is gone, the renewal is refused. Batch tokens, tokens
created not renewable and tokens that never expire cannot be renewed. The answer's auth
block carries the new lease_duration; a TTL cut short by the max TTL comes with a warning.`;

/**
 * Vault's ExpirationManager.RenewToken for one token: the issuing auth method may refuse,
 * a role's current period applies, and the new TTL never passes the token's max.
 * `clientToken` is echoed in the auth block (clients adopt it), "" when renewed by accessor.
 */
export async function renewToken(
  core: Core,
  req: Request,
  entry: TokenEntry,
  clientToken: string,
  incrementSeconds: number,
): Promise<Response> {
  if (incrementSeconds < 0) throw badRequest("increment must be positive");
  if (entry.type === "batch") throw badRequest("batch tokens cannot be renewed");
  if (!hasLease(entry) || entry.expireTimeMs === 0 || !entry.renewable) throw badRequest("lease is not renewable");
  const nowMs = req.nowMs;

  if (entry.authMountAccessor !== req.mount.accessor) {
    // Logins renew through the method that issued them, which may refuse (a deleted role, a disabled user).
    const issuer = core.mounts.byAccessor(entry.authMountAccessor);
    if (!issuer) throw badRequest("the auth method that issued this token no longer exists");
    await issuer.runner.backend.renewAuth?.(syntheticRequest(core, issuer, entry.path, "update"), entry.internal);
  }

  let basis = entry;
  if (entry.role !== "") {
    // Vault renews role tokens with the role's period as it is now, not as it was.
    const role = await readRole(req.storage, entry.role);
    if (!role) throw badRequest(`original token role ${JSON.stringify(entry.role)} could not be found, not renewing`);
    basis = { ...entry, periodSeconds: effectiveRoleTtls(role).periodSeconds };
  }

  if (entry.maxExpireTimeMs > 0 && entry.maxExpireTimeMs <= nowMs) throw badRequest("past the max TTL, cannot renew");
  const wanted = basis.periodSeconds > 0 ? basis.periodSeconds : incrementSeconds > 0 ? incrementSeconds : lastGrantedTtlSeconds(basis);
  const { ttl, capped } = renewedTtlSeconds(basis, incrementSeconds, nowMs);
  if (ttl <= 0) throw badRequest("past the max TTL, cannot renew");
  const warnings: string[] = [];
  if (capped) {
    warnings.push(
      `TTL of ${JSON.stringify(formatGoDuration(wanted))} exceeded the effective max_ttl of ${JSON.stringify(formatGoDuration(ttl))}; TTL value is capped accordingly`,
    );
  }
  await core.tokens.setExpiry(entry, nowMs + ttl * 1000, nowMs);
  return { data: null, auth: authBlock(clientToken, entry, ttl), ...(warnings.length > 0 ? { warnings } : {}) };
}

export function renewPaths(core: Core): readonly PathDef[] {
  return [
    definePath({
      pattern: "renew-self",
      fields: renewSelfFields,
      operations: {
        update: async (req, f) => {
          const entry = await callerEntry(core, req);
          if (!entry) throw badRequest("token not found");
          return renewToken(core, req, entry, req.caller.clientToken, f.values.increment);
        },
      },
      help: `Renew the calling token.

${RENEW_NOTES}

The default policy allows it.`,
    }),
    definePath({
      pattern: "renew-accessor",
      fields: renewAccessorFields,
      operations: {
        update: async (req, f) => {
          const accessor = f.values.accessor;
          if (accessor === "") throw badRequest("missing accessor");
          const entry = await core.tokens.lookupAccessor(accessor, req.nowMs);
          if (!entry) throw badRequest("invalid accessor");
          return renewToken(core, req, entry, "", f.values.increment);
        },
      },
      help: `Renew a token by its accessor.

${RENEW_NOTES}

The answer's client_token is empty: an accessor never reveals the token.`,
    }),
    definePath({
      pattern: "renew",
      fields: renewFields,
      operations: {
        update: async (req, f) => {
          const token = f.values.token;
          if (token === "") throw badRequest("missing token ID");
          const entry = await core.tokens.lookup(token, req.nowMs);
          if (!entry) throw badRequest("token not found");
          return renewToken(core, req, entry, token, f.values.increment);
        },
      },
      help: `Renew a token.

${RENEW_NOTES}`,
    }),
  ];
}
