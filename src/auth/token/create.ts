import type { Core } from "../../core/core.js";
import { issueToken } from "../../core/token-issuer.js";
import { badRequest } from "../../framework/errors.js";
import type { FieldSchemas, Fields } from "../../framework/fields.js";
import { definePath, type PathDef, type Request, type Response } from "../../framework/types.js";
import { callerEntry, callerHasSudo } from "./caller.js";
import { listContainsGlob, resolveTokenPolicies, tokenDisplayName } from "./policy-rules.js";
import { effectiveRoleTtls, isValidRoleName, readRole, rolePolicyLimits, type TokenRole } from "./role-model.js";

const createFields = {
  id: { type: "string", description: "The token itself; needs root or sudo." },
  policies: { type: "comma-strings" },
  meta: { type: "string-map" },
  /** Vault declares `metadata` but reads `meta`; both are accepted here. */
  metadata: { type: "string-map" },
  no_parent: { type: "bool" },
  no_default_policy: { type: "bool" },
  renewable: { type: "bool", default: true },
  ttl: { type: "duration" },
  /** Vault's pre-`ttl` spelling. */
  lease: { type: "duration" },
  explicit_max_ttl: { type: "duration" },
  period: { type: "duration" },
  display_name: { type: "string" },
  num_uses: { type: "int" },
  type: { type: "string" },
  entity_alias: { type: "string" },
  role_name: { type: "string" },
  /** A CLI query flag Vault's schema also lists. */
  format: { type: "string" },
} as const satisfies FieldSchemas;

type CreateFields = Fields<typeof createFields>;

function nonNegative(name: string, seconds: number): number {
  if (seconds < 0) throw badRequest(`${name} must be positive`);
  return seconds;
}

function checkCustomId(id: string): void {
  if (id.startsWith("hvs.")) throw badRequest("custom token ID cannot have the 'hvs.' prefix");
  if (id.startsWith("s.")) throw badRequest("custom token ID cannot have the 's.' prefix");
  if (id.includes(".")) throw badRequest("custom token ID cannot have a '.' in the value");
}

/** Token type after the role's say, or the 400 Vault gives. */
function chooseTokenType(requested: string, role: TokenRole | undefined): "service" | "batch" {
  let t = requested;
  if (role) {
    if (role.token_type === "default-batch" && t === "") t = "batch";
    if (role.token_type === "service" || role.token_type === "batch") t = role.token_type;
  }
  if (t === "" || t === "service") return "service";
  if (t === "batch") return "batch";
  throw badRequest("invalid 'token_type' value");
}

/**
 * Vault's handleCreateCommon: the parent is the caller unless the token is to be an
 * orphan; policies, TTLs and type follow the caller's rights and the role, if any.
 */
async function createToken(core: Core, req: Request, f: CreateFields, orphanPath: boolean, role: TokenRole | undefined): Promise<Response> {
  const v = f.values;
  const nowMs = req.nowMs;
  const parent = await callerEntry(core, req);
  if (!parent) throw badRequest("parent token lookup failed: no parent found");
  if (parent.type === "batch") throw badRequest("batch tokens cannot create more tokens");
  // A use-limited token could escape its limit through children.
  if (parent.numUses > 0) throw badRequest("restricted use token cannot generate child tokens");
  const sudo = await callerHasSudo(core, req);
  const warnings: string[] = [];

  let renewable = f.getOk("renewable") ?? true;
  const type = chooseTokenType(v.type, role);
  if (type === "batch") {
    const bad = v.explicit_max_ttl !== 0 ? "explicit_max_ttl" : v.num_uses !== 0 ? "num_uses" : v.period !== 0 ? "period" : "";
    if (bad !== "") throw badRequest(`batch tokens cannot have "${bad}" set`);
    renewable = false;
  }
  if (v.num_uses < 0) throw badRequest("number of uses cannot be negative");

  if (v.entity_alias !== "") {
    if (!role) throw badRequest("'entity_alias' is only allowed in combination with token role");
    const alias = v.entity_alias.toLowerCase();
    if (!role.allowed_entity_aliases.includes(alias) && !listContainsGlob(role.allowed_entity_aliases, alias)) {
      throw badRequest("invalid 'entity_alias' value");
    }
    warnings.push("entity_alias was accepted but ignored: Mayfly does not yet tie role-created tokens to an entity alias, so the token has no entity");
  }

  let path = `auth/token/${req.relativePath}`;
  let numUses = v.num_uses;
  if (role) {
    if (!role.renewable) renewable = false;
    // 0 means unlimited, so any role limit is tighter than 0.
    if (role.token_num_uses > 0 && (numUses === 0 || role.token_num_uses < numUses)) numUses = role.token_num_uses;
    if (role.path_suffix !== "") path = `${path}/${role.path_suffix}`;
  }

  let id: string | undefined;
  if (v.id !== "") {
    if (!sudo) throw badRequest("root or sudo privileges required to specify token id");
    checkCustomId(v.id);
    // Vault drops a chosen id for batch tokens, whose value is generated.
    if (type === "service") id = v.id;
  }

  const policies = resolveTokenPolicies({
    requested: v.policies,
    noDefaultPolicy: v.no_default_policy,
    parentPolicies: parent.policies,
    callerHasSudo: sudo,
    ...(role ? { role: rolePolicyLimits(role) } : {}),
  });
  const isRoot = policies.length === 1 && policies[0] === "root";
  if (isRoot && type === "batch") throw badRequest("batch tokens cannot be root tokens");

  let orphan: boolean;
  if (role) {
    orphan = role.orphan;
  } else if (v.no_parent) {
    if (!sudo) throw badRequest("root or sudo privileges required to create orphan token");
    orphan = true;
  } else {
    // create-orphan is its own path, so ACLs govern it without sudo.
    orphan = orphanPath;
  }
  const roleTtls = role ? effectiveRoleTtls(role) : undefined;
  let boundCidrs: readonly string[] = [];
  if (roleTtls) boundCidrs = roleTtls.boundCidrs;
  else if (!orphan) boundCidrs = parent.boundCidrs;

  let explicitMaxTtl = nonNegative("explicit_max_ttl", v.explicit_max_ttl);
  let period = nonNegative("period", v.period);
  if (period > 0 && !sudo) throw badRequest("root or sudo privileges required to create periodic token");
  const ttl = nonNegative("ttl", f.getOk("ttl") ?? nonNegative("lease", v.lease));

  if (roleTtls && type !== "batch") {
    if (roleTtls.explicitMaxTtlSeconds !== 0) {
      if (explicitMaxTtl === 0) {
        explicitMaxTtl = roleTtls.explicitMaxTtlSeconds;
      } else {
        explicitMaxTtl = Math.min(explicitMaxTtl, roleTtls.explicitMaxTtlSeconds);
        warnings.push(`Explicit max TTL specified both during creation call and in role; using the lesser value of ${explicitMaxTtl} seconds`);
      }
    }
    if (roleTtls.periodSeconds !== 0) {
      if (period === 0) {
        period = roleTtls.periodSeconds;
      } else {
        period = Math.min(period, roleTtls.periodSeconds);
        warnings.push(`Period specified both during creation call and in role; using the lesser value of ${period} seconds`);
      }
    }
  }

  const neverExpires = isRoot && ttl === 0 && period === 0 && explicitMaxTtl === 0;
  if (neverExpires && parent.expireTimeMs !== 0) {
    throw badRequest("expiring root tokens cannot create non-expiring root tokens");
  }
  // Vault neither CIDR-binds nor renews a token that never expires.
  if (neverExpires) boundCidrs = [];

  const meta = f.getOk("meta") ?? f.getOk("metadata") ?? null;
  const issued = await issueToken(
    core.tokens,
    {
      policies,
      // The policy set is final here: Vault's rules for `default` were applied above.
      noDefaultPolicy: true,
      meta,
      displayName: tokenDisplayName(v.display_name),
      ttlSeconds: ttl,
      explicitMaxTtlSeconds: explicitMaxTtl,
      periodSeconds: period,
      numUses,
      renewable,
      type,
      parent: orphan ? undefined : parent,
      path,
      authMount: req.mount,
      entityId: orphan ? "" : parent.entityId,
      internal: {},
      role: role?.name ?? "",
      boundCidrs,
      ...(id !== undefined ? { id } : {}),
    },
    nowMs,
  );
  warnings.push(...issued.warnings);
  for (const p of issued.entry.policies) {
    if (p === "root") continue;
    if (!(await core.policies.read(p))) warnings.push(`Policy ${JSON.stringify(p)} does not exist`);
  }
  return { data: null, auth: issued.auth, ...(warnings.length > 0 ? { warnings } : {}) };
}

export function createPaths(core: Core): readonly PathDef[] {
  return [
    definePath({
      pattern: "create-orphan",
      fields: createFields,
      operations: { update: (req, f) => createToken(core, req, f, true, undefined) },
      help: "Create a token without a parent.",
    }),
    definePath({
      pattern: "create/:role_name",
      fields: createFields,
      operations: {
        update: async (req, f) => {
          const name = f.values.role_name;
          const role = isValidRoleName(name) ? await readRole(req.storage, name) : undefined;
          if (!role) throw badRequest(`unknown role ${name}`);
          return createToken(core, req, f, false, role);
        },
      },
      help: "Create a token against a token role.",
    }),
    definePath({
      pattern: "create",
      fields: createFields,
      operations: { update: (req, f) => createToken(core, req, f, false, undefined) },
      help: "Create a token, a child of the caller's unless no_parent is set.",
    }),
  ];
}
