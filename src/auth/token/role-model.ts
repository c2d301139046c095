import { isIP } from "node:net";
import { badRequest } from "../../framework/errors.js";
import { getJson, putJson, type Storage } from "../../storage/storage.js";
import { removeDuplicates, sanitizePolicies, type RolePolicyLimits } from "./policy-rules.js";

export type RoleTokenType = "default-service" | "default-batch" | "service" | "batch";

/**
 * A token role as stored under `roles/<name>`. The un-prefixed `period`,
 * `explicit_max_ttl` and `bound_cidrs` are Vault's deprecated spellings, kept so a read
 * returns what was written.
 */
export interface TokenRole {
  name: string;
  allowed_policies: string[];
  disallowed_policies: string[];
  allowed_policies_glob: string[];
  disallowed_policies_glob: string[];
  orphan: boolean;
  renewable: boolean;
  path_suffix: string;
  period_seconds: number;
  explicit_max_ttl_seconds: number;
  bound_cidrs: string[];
  token_period_seconds: number;
  token_explicit_max_ttl_seconds: number;
  token_bound_cidrs: string[];
  token_type: RoleTokenType;
  token_no_default_policy: boolean;
  token_num_uses: number;
  allowed_entity_aliases: string[];
}

const ROLES_PREFIX = "roles/";
/** Vault's GenericNameRegex for role names. */
const ROLE_NAME = /^\w(?:[\w.-]*\w)?$/;
/** Vault checks the suffix with this pattern unanchored, so only part of it must match. */
const PATH_SUFFIX = /\w[\w.-]+\w/;

export function isValidRoleName(name: string): boolean {
  return ROLE_NAME.test(name);
}

export async function readRole(storage: Storage, name: string): Promise<TokenRole | undefined> {
  if (!isValidRoleName(name)) return undefined;
  return getJson<TokenRole>(storage, ROLES_PREFIX + name);
}

export async function writeRole(storage: Storage, role: TokenRole): Promise<void> {
  await putJson(storage, ROLES_PREFIX + role.name, role);
}

export async function deleteRole(storage: Storage, name: string): Promise<void> {
  await storage.delete(ROLES_PREFIX + name);
}

export async function listRoles(storage: Storage): Promise<string[]> {
  return (await storage.list(ROLES_PREFIX)).filter((k) => !k.endsWith("/"));
}

export function rolePolicyLimits(role: TokenRole): RolePolicyLimits {
  return {
    allowedPolicies: role.allowed_policies,
    disallowedPolicies: role.disallowed_policies,
    allowedPoliciesGlob: role.allowed_policies_glob,
    disallowedPoliciesGlob: role.disallowed_policies_glob,
    tokenNoDefaultPolicy: role.token_no_default_policy,
  };
}

/** The role's period and max, preferring the `token_` fields as Vault does on read. */
export function effectiveRoleTtls(role: TokenRole): { periodSeconds: number; explicitMaxTtlSeconds: number; boundCidrs: string[] } {
  return {
    periodSeconds: role.token_period_seconds || role.period_seconds,
    explicitMaxTtlSeconds: role.token_explicit_max_ttl_seconds || role.explicit_max_ttl_seconds,
    boundCidrs: role.token_bound_cidrs.length > 0 ? role.token_bound_cidrs : role.bound_cidrs,
  };
}

/** What a role write carried; `undefined` means the caller did not send the field. */
export interface RoleInput {
  allowed_policies?: string[];
  disallowed_policies?: string[];
  allowed_policies_glob?: string[];
  disallowed_policies_glob?: string[];
  orphan?: boolean;
  renewable?: boolean;
  path_suffix?: string;
  period?: number;
  explicit_max_ttl?: number;
  bound_cidrs?: string[];
  allowed_entity_aliases?: string[];
  token_bound_cidrs?: string[];
  token_explicit_max_ttl?: number;
  token_period?: number;
  token_type?: string;
  token_no_default_policy?: boolean;
  token_num_uses?: number;
}

function newRole(name: string): TokenRole {
  return {
    name,
    allowed_policies: [],
    disallowed_policies: [],
    allowed_policies_glob: [],
    disallowed_policies_glob: [],
    orphan: false,
    renewable: true,
    path_suffix: "",
    period_seconds: 0,
    explicit_max_ttl_seconds: 0,
    bound_cidrs: [],
    token_period_seconds: 0,
    token_explicit_max_ttl_seconds: 0,
    token_bound_cidrs: [],
    token_type: "default-service",
    token_no_default_policy: false,
    token_num_uses: 0,
    allowed_entity_aliases: [],
  };
}

/**
 * Applies a write to a role as Vault's tokenStoreRoleCreateUpdate does: a create starts
 * from defaults, an update changes only what was sent. `mountMaxTtlSeconds` is only used
 * for a warning, as in Vault (the limit bites when a token is created).
 */
export function applyRoleWrite(
  existing: TokenRole | undefined,
  name: string,
  input: RoleInput,
  mountMaxTtlSeconds: number,
): { role: TokenRole; warnings: string[] } {
  const role: TokenRole = existing ? structuredClone(existing) : newRole(name);
  const warnings: string[] = [];

  if (input.orphan !== undefined) role.orphan = input.orphan;
  if (input.renewable !== undefined) role.renewable = input.renewable;
  if (input.path_suffix !== undefined) {
    if (input.path_suffix !== "" && !PATH_SUFFIX.test(input.path_suffix)) {
      throw badRequest(`given role path suffix contains invalid characters; must match ${PATH_SUFFIX.source}`);
    }
    role.path_suffix = input.path_suffix;
  }
  if (role.path_suffix.includes("..")) {
    throw badRequest("error registering path suffix: path cannot contain parent references");
  }
  if (input.allowed_policies !== undefined) role.allowed_policies = sanitizePolicies(input.allowed_policies, false);
  if (input.disallowed_policies !== undefined) role.disallowed_policies = removeDuplicates(input.disallowed_policies, true);
  if (input.allowed_policies_glob !== undefined) role.allowed_policies_glob = sanitizePolicies(input.allowed_policies_glob, false);
  if (input.disallowed_policies_glob !== undefined) {
    role.disallowed_policies_glob = removeDuplicates(input.disallowed_policies_glob, true);
  }

  if (input.token_type !== undefined) role.token_type = parseRoleTokenType(input.token_type);
  if (input.token_no_default_policy !== undefined) role.token_no_default_policy = input.token_no_default_policy;
  if (input.token_num_uses !== undefined) {
    if (input.token_num_uses < 0) throw badRequest("error parsing role fields: 'token_num_uses' cannot be negative");
    role.token_num_uses = input.token_num_uses;
  }

  // Prefer the token_ spelling when both arrive; keep the deprecated one only when it alone was sent.
  if (input.token_period !== undefined) {
    if (input.period !== undefined) warnings.push("Both 'token_period' and deprecated 'period' value supplied, ignoring the deprecated value");
    role.token_period_seconds = nonNegative("token_period", input.token_period);
    role.period_seconds = 0;
  } else if (input.period !== undefined) {
    role.period_seconds = nonNegative("period", input.period);
    role.token_period_seconds = role.period_seconds;
  }
  if (input.token_bound_cidrs !== undefined) {
    if (input.bound_cidrs !== undefined) warnings.push("Both 'token_bound_cidrs' and deprecated 'bound_cidrs' value supplied, ignoring the deprecated value");
    role.token_bound_cidrs = parseCidrs("token_bound_cidrs", input.token_bound_cidrs);
    role.bound_cidrs = [];
  } else if (input.bound_cidrs !== undefined) {
    role.bound_cidrs = parseCidrs("bound_cidrs", input.bound_cidrs);
    role.token_bound_cidrs = role.bound_cidrs;
  }
  let finalExplicitMax = role.token_explicit_max_ttl_seconds;
  if (input.token_explicit_max_ttl !== undefined) {
    if (input.explicit_max_ttl !== undefined) {
      warnings.push("Both 'token_explicit_max_ttl' and deprecated 'explicit_max_ttl' value supplied, ignoring the deprecated value");
    }
    role.token_explicit_max_ttl_seconds = nonNegative("token_explicit_max_ttl", input.token_explicit_max_ttl);
    role.explicit_max_ttl_seconds = 0;
    finalExplicitMax = role.token_explicit_max_ttl_seconds;
  } else {
    if (input.explicit_max_ttl !== undefined) {
      role.explicit_max_ttl_seconds = nonNegative("explicit_max_ttl", input.explicit_max_ttl);
      role.token_explicit_max_ttl_seconds = role.explicit_max_ttl_seconds;
    }
    finalExplicitMax = role.explicit_max_ttl_seconds;
  }
  if (finalExplicitMax !== 0 && mountMaxTtlSeconds > 0 && finalExplicitMax > mountMaxTtlSeconds) {
    warnings.push(
      `Given explicit max TTL of ${finalExplicitMax} is greater than system/mount allowed value of ${mountMaxTtlSeconds} seconds; until this is fixed attempting to create tokens against this role will result in an error`,
    );
  }

  if (role.token_type === "batch") {
    if (!role.orphan) throw badRequest("'token_type' cannot be 'batch' when role is set to generate non-orphan tokens");
    if (role.period_seconds !== 0 || role.token_period_seconds !== 0) {
      throw badRequest("'token_type' cannot be 'batch' when role is set to generate periodic tokens");
    }
    if (role.renewable) throw badRequest("'token_type' cannot be 'batch' when role is set to generate renewable tokens");
    if (role.explicit_max_ttl_seconds !== 0 || role.token_explicit_max_ttl_seconds !== 0) {
      throw badRequest("'token_type' cannot be 'batch' when role is set to generate tokens with an explicit max TTL");
    }
  }
  if (input.allowed_entity_aliases !== undefined) role.allowed_entity_aliases = removeDuplicates(input.allowed_entity_aliases, true);
  return { role, warnings };
}

function parseRoleTokenType(v: string): RoleTokenType {
  switch (v) {
    case "service":
    case "batch":
    case "default-service":
    case "default-batch":
      return v;
    default:
      throw badRequest(`invalid 'token_type' value ${JSON.stringify(v)}`);
  }
}

function nonNegative(field: string, seconds: number): number {
  if (seconds < 0) throw badRequest(`'${field}' cannot be negative`);
  return seconds;
}

/** Addresses or CIDR blocks, as Vault's ParseAddrs accepts them; kept in their written form. */
export function parseCidrs(field: string, items: readonly string[]): string[] {
  return items.map((raw) => {
    const s = raw.trim();
    const slash = s.indexOf("/");
    const ip = slash < 0 ? s : s.slice(0, slash);
    const family = isIP(ip);
    let ok = family !== 0;
    if (ok && slash >= 0) {
      const bits = s.slice(slash + 1);
      ok = /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
    }
    if (!ok) throw badRequest(`error parsing ${field}: invalid address ${JSON.stringify(s)}`);
    return s;
  });
}

/** The role as Vault's read returns it. */
export function roleResponseData(role: TokenRole): Record<string, unknown> {
  const data: Record<string, unknown> = {
    allowed_entity_aliases: [...role.allowed_entity_aliases],
    allowed_policies: [...role.allowed_policies],
    allowed_policies_glob: [...role.allowed_policies_glob],
    disallowed_policies: [...role.disallowed_policies],
    disallowed_policies_glob: [...role.disallowed_policies_glob],
    explicit_max_ttl: role.explicit_max_ttl_seconds,
    name: role.name,
    orphan: role.orphan,
    path_suffix: role.path_suffix,
    period: role.period_seconds,
    renewable: role.renewable,
    token_explicit_max_ttl: role.token_explicit_max_ttl_seconds,
    token_no_default_policy: role.token_no_default_policy,
    token_period: role.token_period_seconds,
    token_type: role.token_type,
  };
  if (role.token_bound_cidrs.length > 0) data.token_bound_cidrs = [...role.token_bound_cidrs];
  if (role.bound_cidrs.length > 0) data.bound_cidrs = [...role.bound_cidrs];
  if (role.token_num_uses > 0) data.token_num_uses = role.token_num_uses;
  return Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
