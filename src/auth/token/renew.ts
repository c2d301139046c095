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

const renewFields = {
  token: { type: "string" },
  increment: { type: "duration", default: 0 },
} as const satisfies FieldSchemas;

const renewAccessorFields = {
  accessor: { type: "string" },
  increment: { type: "duration", default: 0 },
} as const satisfies FieldSchemas;

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
      fields: renewFields,
      operations: {
        update: async (req, f) => {
          const entry = await callerEntry(core, req);
          if (!entry) throw badRequest("token not found");
          return renewToken(core, req, entry, req.caller.clientToken, f.values.increment);
        },
      },
      help: "Renew the calling token.",
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
      help: "Renew a token by its accessor.",
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
      help: "Renew a token.",
    }),
  ];
}
