/** `login/:username` and the renewal check for the tokens it issues. */
import { addressInCidrs } from "../../framework/cidr.js";
import { formatGoDuration } from "../../framework/duration.js";
import { badRequest, internalError, permissionDenied } from "../../framework/errors.js";
import type { FieldSchemas } from "../../framework/fields.js";
import { definePath, type MountInfo, type PathDef, type Request, type Response } from "../../framework/types.js";
import { NON_ASSIGNABLE_POLICIES, sanitizePolicies } from "../token/policy-rules.js";
import type { UserpassDeps } from "./deps.js";
import { isLockedOut, readLockoutConfig } from "./lockout.js";
import { verifyPassword } from "./password-hash.js";
import { tokenAuthSpec, type TokenParams } from "./token-params.js";
import { normalizeUsername, readUser } from "./user-store.js";

const loginFields = {
  username: { type: "string", required: true, description: "Username of the user." },
  password: { type: "string", description: "Password of the user." },
} as const satisfies FieldSchemas;

const INVALID_CREDENTIALS = "invalid username or password";

/**
 * The core does not yet apply an auth method's own max TTL (`token_max_ttl`), so the login
 * caps its TTL here, with the warning Vault's CalculateTTL gives. Periodic tokens and users
 * without a max are left to the core.
 */
export function cappedLoginTtl(token: TokenParams, mount: MountInfo): { ttlSeconds: number; warnings: string[] } {
  if (token.periodSeconds > 0 || token.maxTtlSeconds === 0) return { ttlSeconds: token.ttlSeconds, warnings: [] };
  let maxTtl = Math.min(token.maxTtlSeconds, mount.maxLeaseTtlSeconds());
  if (token.explicitMaxTtlSeconds > 0) maxTtl = Math.min(maxTtl, token.explicitMaxTtlSeconds);
  const wanted = token.ttlSeconds > 0 ? token.ttlSeconds : mount.defaultLeaseTtlSeconds();
  if (wanted <= maxTtl) return { ttlSeconds: token.ttlSeconds, warnings: [] };
  return {
    ttlSeconds: maxTtl,
    warnings: [`TTL of ${JSON.stringify(formatGoDuration(wanted))} exceeded the effective max_ttl of ${JSON.stringify(formatGoDuration(maxTtl))}; TTL value is capped accordingly`],
  };
}

function checkAssignable(policies: readonly string[]): void {
  for (const p of sanitizePolicies(policies, false)) {
    if (p === "root") throw badRequest("auth methods cannot create root tokens");
    if (NON_ASSIGNABLE_POLICIES.has(p)) throw badRequest(`cannot assign policy ${JSON.stringify(p)}`);
  }
}

async function login(deps: UserpassDeps, req: Request, rawUsername: string, password: string): Promise<Response> {
  const username = normalizeUsername(rawUsername);
  // Vault answers this with a 500; it is the caller's mistake, so Mayfly says 400.
  if (password === "") throw badRequest("missing password");

  const lockout = await readLockoutConfig(req.storage, req.mount.userLockoutConfig());
  if (await isLockedOut(req.storage, username, lockout, req.nowMs)) throw permissionDenied();

  const user = await readUser(req.storage, username);
  // Unknown users cost a hash too, so timing does not tell them from a wrong password.
  const matches = await verifyPassword(password, user?.passwordHash ?? deps.dummyHash);
  if (!user || !matches) {
    // As in Vault, only existing users are counted: nothing is stored for names that do not exist.
    if (user) await deps.failures.recordFailure(req.storage, username, lockout, req.nowMs);
    throw badRequest(INVALID_CREDENTIALS);
  }

  if (user.token.boundCidrs.length > 0 && !addressInCidrs(req.connection.remoteAddress, user.token.boundCidrs)) {
    throw permissionDenied();
  }
  checkAssignable(user.token.policies);
  await deps.failures.clear(req.storage, username);

  const { ttlSeconds, warnings } = cappedLoginTtl(user.token, req.mount);
  return {
    authSpec: {
      ...tokenAuthSpec(user.token),
      ttlSeconds,
      displayName: username,
      metadata: { username },
      alias: { name: username },
      internal: { username, policies: [...user.token.policies] },
    },
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

export function loginPaths(deps: UserpassDeps): PathDef[] {
  return [
    definePath({
      pattern: "login/:username",
      fields: loginFields,
      operations: { update: (req, f) => login(deps, req, f.values.username, f.values.password) },
      help: `Log in with a username and password.

Needs no token. The answer's auth block carries a new token shaped by the user's token_
settings, with the lowercased username as its display name and in its metadata.

A wrong password and an unknown user both answer 400 (invalid username or password),
and take the same time. After lockout_threshold wrong passwords in a row (see
config/lockout), every login of that user answers 403 until lockout_duration has passed;
a successful login clears the count. With token_bound_cidrs set, a login from another
address answers 403. The token's renewals fail once the user is deleted or its policies
have changed.`,
    }),
  ];
}

/** Vault's EquivalentPolicies: the same set once sanitized, `default` aside. */
export function equivalentPolicies(a: readonly string[], b: readonly string[]): boolean {
  const clean = (p: readonly string[]) => sanitizePolicies(p, false).filter((x) => x !== "default");
  const x = clean(a);
  const y = clean(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Renewal of a login's token: the user must still exist with the policies the token was
 * issued with. Vault renews silently not at all for a deleted user (an empty answer);
 * Mayfly's renew hook can only refuse, so it says why.
 */
export async function renewLogin(req: Request, internal: Readonly<Record<string, unknown>>): Promise<void> {
  const username = typeof internal.username === "string" ? internal.username : "";
  const issuedPolicies = Array.isArray(internal.policies) ? internal.policies.filter((p): p is string => typeof p === "string") : [];
  const user = username === "" ? undefined : await readUser(req.storage, username);
  if (!user) throw badRequest("user no longer exists, not renewing");
  // Vault reports this as a 500 with its multierror text; clients see the same.
  if (!equivalentPolicies(user.token.policies, issuedPolicies)) throw internalError("failed to renew entry: policies have changed, not renewing");
}
