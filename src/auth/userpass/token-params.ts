/**
 * The `token_*` fields every Vault auth method shares (Vault's sdk/helper/tokenutil): how
 * they are declared, parsed onto an entry, read back, and turned into a login's AuthSpec.
 * Nothing here is userpass-specific; another auth method can use it as it is.
 */
import { badRequest } from "../../framework/errors.js";
import type { FieldSchemas } from "../../framework/fields.js";
import type { AuthSpec } from "../../framework/types.js";
import { parseCidrs } from "../token/role-model.js";

export const tokenFieldSchemas = {
  token_bound_cidrs: { type: "comma-strings", description: "CIDR blocks or addresses the issued token may be used from." },
  token_explicit_max_ttl: { type: "duration", description: "A hard limit on the issued token's life that renewals cannot pass." },
  token_max_ttl: { type: "duration", description: "The longest the issued token may live, renewals included; 0 leaves the mount's max TTL." },
  token_no_default_policy: { type: "bool", description: "Do not add the 'default' policy to issued tokens." },
  token_period: {
    type: "duration",
    description: "Issue periodic tokens: each renewal grants this period again, with no max TTL unless token_explicit_max_ttl is set.",
  },
  token_policies: { type: "comma-strings", description: "Policies attached to issued tokens." },
  token_type: {
    type: "string",
    default: "default-service",
    description: "The type of token to issue: service, batch, or default (when unset), which leaves it to the mount's default token type (service unless tuned). A mount tuned to service or batch overrides it.",
  },
  token_ttl: { type: "duration", description: "The initial TTL of issued tokens; 0 uses the mount's default lease TTL. Cannot exceed token_max_ttl." },
  token_num_uses: { type: "int", description: "Uses an issued token allows; 0 is unlimited." },
} as const satisfies FieldSchemas;

export type TokenFieldName = keyof typeof tokenFieldSchemas;

/** Vault's TokenType as tokenutil stores it: "default" lets the mount decide. */
export type TokenTypeSetting = "default" | "service" | "batch";

export interface TokenParams {
  boundCidrs: string[];
  explicitMaxTtlSeconds: number;
  maxTtlSeconds: number;
  noDefaultPolicy: boolean;
  periodSeconds: number;
  policies: string[];
  tokenType: TokenTypeSetting;
  ttlSeconds: number;
  numUses: number;
}

export function emptyTokenParams(): TokenParams {
  return {
    boundCidrs: [],
    explicitMaxTtlSeconds: 0,
    maxTtlSeconds: 0,
    noDefaultPolicy: false,
    periodSeconds: 0,
    policies: [],
    tokenType: "default",
    ttlSeconds: 0,
    numUses: 0,
  };
}

/** What a write carried: a field is undefined when the caller did not send it. */
export type TokenFieldInput = {
  token_bound_cidrs?: string[] | undefined;
  token_explicit_max_ttl?: number | undefined;
  token_max_ttl?: number | undefined;
  token_no_default_policy?: boolean | undefined;
  token_period?: number | undefined;
  token_policies?: string[] | undefined;
  token_type?: string | undefined;
  token_ttl?: number | undefined;
  token_num_uses?: number | undefined;
};

/** Reads the sent token fields out of any parsed field set that declares them. */
export function tokenFieldInput(f: { getOk(name: TokenFieldName): unknown }): TokenFieldInput {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(tokenFieldSchemas) as TokenFieldName[]) {
    const v = f.getOk(name);
    if (v !== undefined) out[name] = v;
  }
  return out as TokenFieldInput;
}

function parseTokenType(v: string): TokenTypeSetting {
  switch (v) {
    case "":
    case "default":
      return "default";
    case "service":
    case "batch":
      return v;
    default:
      throw badRequest(`invalid 'token_type' value ${JSON.stringify(v)}`);
  }
}

/**
 * Applies the sent fields onto `params` (changed in place) with Vault's checks: only what
 * was sent changes, then the combination must make sense.
 */
export function applyTokenFields(params: TokenParams, input: TokenFieldInput): void {
  if (input.token_bound_cidrs !== undefined) params.boundCidrs = parseCidrs("token_bound_cidrs", input.token_bound_cidrs);
  if (input.token_explicit_max_ttl !== undefined) params.explicitMaxTtlSeconds = input.token_explicit_max_ttl;
  if (input.token_max_ttl !== undefined) params.maxTtlSeconds = input.token_max_ttl;
  if (params.maxTtlSeconds < 0) throw badRequest("'token_max_ttl' cannot be negative");
  if (input.token_no_default_policy !== undefined) params.noDefaultPolicy = input.token_no_default_policy;
  if (input.token_period !== undefined) params.periodSeconds = input.token_period;
  if (params.periodSeconds < 0) throw badRequest("'token_period' cannot be negative");
  if (input.token_policies !== undefined) params.policies = [...input.token_policies];
  if (input.token_type !== undefined) params.tokenType = parseTokenType(input.token_type);
  if (input.token_num_uses !== undefined) params.numUses = input.token_num_uses;
  if (params.numUses < 0) throw badRequest("'token_num_uses' cannot be negative");
  if (params.tokenType === "batch") {
    if (params.periodSeconds !== 0) throw badRequest("'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens");
    if (params.numUses !== 0) {
      throw badRequest("'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count");
    }
  }
  if (input.token_ttl !== undefined) params.ttlSeconds = input.token_ttl;
  if (params.ttlSeconds < 0) throw badRequest("'token_ttl' cannot be negative");
  if (params.ttlSeconds > 0 && params.maxTtlSeconds > 0 && params.ttlSeconds > params.maxTtlSeconds) {
    throw badRequest("'token_ttl' cannot be greater than 'token_max_ttl'");
  }
}

/** The token fields as a read returns them (Vault's PopulateTokenData). */
export function tokenParamsData(params: TokenParams): Record<string, unknown> {
  return {
    token_bound_cidrs: [...params.boundCidrs],
    token_explicit_max_ttl: params.explicitMaxTtlSeconds,
    token_max_ttl: params.maxTtlSeconds,
    token_no_default_policy: params.noDefaultPolicy,
    token_num_uses: params.numUses,
    token_period: params.periodSeconds,
    token_policies: [...params.policies],
    token_type: params.tokenType,
    token_ttl: params.ttlSeconds,
  };
}

/** The part of a login's AuthSpec the token fields decide (Vault's PopulateTokenAuth). */
export function tokenAuthSpec(params: TokenParams): Omit<AuthSpec, "displayName" | "metadata" | "internal" | "alias"> {
  return {
    policies: [...params.policies],
    boundCidrs: [...params.boundCidrs],
    explicitMaxTtlSeconds: params.explicitMaxTtlSeconds,
    maxTtlSeconds: params.maxTtlSeconds,
    noDefaultPolicy: params.noDefaultPolicy,
    periodSeconds: params.periodSeconds,
    renewable: true,
    tokenType: params.tokenType,
    ttlSeconds: params.ttlSeconds,
    numUses: params.numUses,
  };
}
