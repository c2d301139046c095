import type { Core } from "../../core/core.js";
import { entityForLogin } from "../../core/identity/index.js";
import { issueToken } from "../../core/token-issuer.js";
import { badRequest } from "../../framework/errors.js";
import type { FieldSchemas, Fields } from "../../framework/fields.js";
import { definePath, type PathDef, type Request, type Response } from "../../framework/types.js";
import { callerEntry, callerHasSudo } from "./caller.js";
import { listContainsGlob, resolveTokenPolicies, tokenDisplayName } from "./policy-rules.js";
import { effectiveRoleTtls, isValidRoleName, readRole, rolePolicyLimits, type TokenRole } from "./role-model.js";

const createFields = {
  id: { type: "string", description: "The token itself; needs root or sudo." },
  policies: {
    type: "comma-strings",
    description: "Policies of the token, a list or a comma-separated string. Without a role: empty inherits the caller's policies; otherwise they must be among the caller's unless the caller has root or sudo. With a role, the role's policy lists decide.",
  },
  meta: { type: "string-map", description: "String key/value pairs kept with the token and shown by its lookups." },
  /** Vault declares `metadata` but reads `meta`; both are accepted here. */
  metadata: { type: "string-map", description: "Another name for meta, used when meta is not sent." },
  no_parent: {
    type: "bool",
    description: "Make the token an orphan: revoking the caller does not revoke it. Needs root or sudo; create-orphan needs neither. With a role, the role's orphan setting decides.",
  },
  no_default_policy: { type: "bool", description: "Leave out the default policy the token would otherwise get." },
  renewable: {
    type: "bool",
    default: true,
    description: "Whether the token may be renewed (default true). A role with renewable=false forces false; batch tokens are never renewable.",
  },
  ttl: {
    type: "duration",
    description: "Initial TTL; 0 (the default) uses the token mount's default lease TTL. Capped by explicit_max_ttl and the mount's max TTL. A root token asked for with no TTL, period or max never expires (its parent must not expire either).",
  },
  /** Vault's pre-`ttl` spelling. */
  lease: { type: "duration", description: "Older name for ttl, used when ttl is not sent." },
  explicit_max_ttl: {
    type: "duration",
    description: "A hard limit on the token's life, counted from creation, that renewals cannot pass; 0 leaves the mount's max TTL. With a role that sets one too, the smaller applies.",
  },
  period: {
    type: "duration",
    description: "Make a periodic token: every renewal grants this period again, with no max TTL unless explicit_max_ttl is set. Needs root or sudo; a role's token_period does not. With both, the smaller applies.",
  },
  display_name: {
    type: "string",
    description: 'A name to show for the token, stored as "token-<display_name>" with characters other than letters, digits and "-" turned into "-".',
  },
  num_uses: {
    type: "int",
    description: "Requests the token may make before it is revoked; 0 (the default) is unlimited. A role's token_num_uses applies when lower. A use-limited token cannot create tokens.",
  },
  type: {
    type: "string",
    description: "service (the default) or batch. A batch token is not renewable and takes no explicit_max_ttl, num_uses or period; it cannot be root. A role with token_type service or batch decides; default-batch makes batch the default.",
  },
  entity_alias: {
    type: "string",
    description: "With a role only: an entity alias name from the role's allowed_entity_aliases; the token belongs to the entity holding that alias on the token mount, made on first use.",
  },
  role_name: { type: "string", description: "The token role to create against, from the path create/<role_name>." },
  /** A CLI query flag Vault's schema also lists. */
  format: { type: "string", description: "Accepted and ignored: output formats are the CLI's business." },
} as const satisfies FieldSchemas;

const CREATE_NOTES = `A caller that is a batch token, or has limited uses, cannot create tokens. Without root
or sudo, the caller cannot choose the token's id, cannot make it periodic or (through
no_parent) an orphan, and, unless a role decides the policies, can give it only policies
it holds itself. A chosen id may not contain "."; a batch token's value is always
generated. Policies that do not exist are accepted, with a warning.

The answer's auth block holds client_token, accessor, policies, lease_duration (the TTL),
renewable, orphan, token_type and num_uses.`;

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

  // As Vault: the role's list is lower-case and so is the check, but the alias keeps its case.
  let aliasEntityId: string | undefined;
  if (v.entity_alias !== "") {
    if (!role) throw badRequest("'entity_alias' is only allowed in combination with token role");
    const alias = v.entity_alias.toLowerCase();
    if (!role.allowed_entity_aliases.includes(alias) && !listContainsGlob(role.allowed_entity_aliases, alias)) {
      throw badRequest("invalid 'entity_alias' value");
    }
    const entity = await entityForLogin(core.identity, { mountAccessor: req.mount.accessor, name: v.entity_alias });
    aliasEntityId = entity.id;
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
      entityId: aliasEntityId ?? (orphan ? "" : parent.entityId),
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
      help: `Create a token without a parent.

Works as create does, except that the token is an orphan: revoking the caller leaves it
alive. This path needs only the ACL capability on create-orphan, not sudo.

${CREATE_NOTES}`,
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
      help: `Create a token against a token role.

The role (roles/<role_name>) limits and shapes the token: its allowed and disallowed
policies decide which policies the token may have (empty policies means the role's
allowed policies), and its orphan, renewable, token_type, token_period,
token_explicit_max_ttl, token_num_uses, token_bound_cidrs and path_suffix settings apply.
A role that lists policies may grant ones the caller does not hold. The token is a child
of the caller unless the role's orphan is set.

${CREATE_NOTES}`,
    }),
    definePath({
      pattern: "create",
      fields: createFields,
      operations: { update: (req, f) => createToken(core, req, f, false, undefined) },
      help: `Create a token, a child of the caller's unless no_parent is set.

Revoking a token revokes its children too; an orphan has no parent and outlives the
caller.

${CREATE_NOTES}`,
    }),
  ];
}
