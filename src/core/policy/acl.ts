/**
 * A set of policies compiled into one matcher. Decisions follow Vault's ACL.AllowOperation:
 * an exact rule first; otherwise the most specific wildcard rule (see segments.ts for the
 * order); capabilities of the same pattern in several policies are merged, deny winning.
 * Lookups use a hash map (exact rules), a radix tree (`*` rules) and a segment tree (`+`
 * rules), so a decision does not scan the rules.
 */
import { ROOT_POLICY_NAME } from "./builtin.js";
import { checkParameters } from "./params.js";
import { RadixTree } from "./radix.js";
import { describeSegmentRule, SegmentTree, type WildcardCandidate } from "./segments.js";
import { fillTemplate, type PolicyIdentity } from "./template.js";
import { bitmapToCapabilities, CAPABILITY_BITS, type ParameterValue, type PathRule, type Policy } from "./types.js";

export type AclOperation =
  | "create"
  | "read"
  | "update"
  | "patch"
  | "delete"
  | "list"
  | "recover"
  // Vault checks these three against `update`.
  | "renew"
  | "revoke"
  | "rollback"
  // Always allowed, as in Vault.
  | "help";

export interface AclRequest {
  /** The request path after `/v1/`, e.g. `secret/data/app`. */
  readonly path: string;
  readonly operation: AclOperation;
  /** Request fields (body, or query for reads). No fields passes every parameter rule but `required_parameters`. */
  readonly data?: Readonly<Record<string, unknown>>;
  /** Set when the client asked for response wrapping (X-Vault-Wrap-TTL). */
  readonly wrapTtlSeconds?: number;
}

export interface AclDecision {
  readonly allowed: boolean;
  /** The matched rule grants `sudo`; the caller decides which paths need it. */
  readonly sudo: boolean;
  readonly isRoot: boolean;
  /** Why the request was refused, for logs (clients only ever see "permission denied"). */
  readonly reason?: string;
  /** Policies whose rules granted the operation, for the audit log. */
  readonly grantingPolicies: readonly string[];
}

/** Merged permissions of one pattern across policies. */
interface Permissions {
  bitmap: number;
  minWrappingTtlSeconds: number;
  maxWrappingTtlSeconds: number;
  allowed: Map<string, ParameterValue[]> | undefined;
  denied: Map<string, ParameterValue[]> | undefined;
  required: string[];
  subscribeEventTypes: string[];
  granting: { policy: string; bitmap: number }[];
  /** Per capability bit position, the policies granting it; filled on first use. */
  grantingByBit: (readonly string[])[];
}

const OPERATION_BITS: Readonly<Record<Exclude<AclOperation, "help">, number>> = {
  create: CAPABILITY_BITS.create,
  read: CAPABILITY_BITS.read,
  update: CAPABILITY_BITS.update,
  patch: CAPABILITY_BITS.patch,
  delete: CAPABILITY_BITS.delete,
  list: CAPABILITY_BITS.list,
  recover: CAPABILITY_BITS.recover,
  renew: CAPABILITY_BITS.update,
  revoke: CAPABILITY_BITS.update,
  rollback: CAPABILITY_BITS.update,
};

/** Operations that carry fields worth checking against parameter rules. */
const PARAMETER_OPERATIONS: ReadonlySet<AclOperation> = new Set(["read", "update", "create", "patch", "recover"]);

const DENY = CAPABILITY_BITS.deny;
const SUDO = CAPABILITY_BITS.sudo;
/** Capabilities that count as "some access" for a mount listing. */
const ACCESS_BITS =
  CAPABILITY_BITS.create | CAPABILITY_BITS.read | CAPABILITY_BITS.update | CAPABILITY_BITS.delete |
  CAPABILITY_BITS.list | CAPABILITY_BITS.sudo | CAPABILITY_BITS.patch;

const ROOT_DECISION: AclDecision = { allowed: true, sudo: true, isRoot: true, grantingPolicies: [ROOT_POLICY_NAME] };

export class Acl {
  readonly isRoot: boolean;
  readonly policyNames: readonly string[];
  private readonly exact: Map<string, Permissions>;
  private readonly prefix = new RadixTree<Permissions>();
  private readonly segments = new SegmentTree<Permissions>();

  /** Use compileAcl. */
  constructor(
    isRoot: boolean,
    policyNames: readonly string[],
    exact: Map<string, Permissions>,
    prefix: Map<string, Permissions>,
    segment: Map<string, Permissions>,
  ) {
    this.isRoot = isRoot;
    this.policyNames = policyNames;
    this.exact = exact;
    for (const [key, perms] of prefix) this.prefix.set(key, perms);
    for (const [path, perms] of segment) this.segments.add(describeSegmentRule(path, perms));
  }

  check(request: AclRequest): AclDecision {
    if (this.isRoot) return ROOT_DECISION;
    const op = request.operation;
    if (op === "help") return { allowed: true, sudo: false, isRoot: false, grantingPolicies: [] };
    const perms = this.lookup(trimLeadingSlashes(request.path), op === "list");
    if (!perms) return denied("no policy grants access to this path", false);
    const bits = perms.bitmap;
    const sudo = (bits & SUDO) !== 0;
    if ((bits & DENY) !== 0) return denied("the path is explicitly denied", false);
    const needed = OPERATION_BITS[op];
    if ((bits & needed) === 0) return denied(`no "${capabilityName(needed)}" capability on this path`, sudo);

    const wrapTtl = request.wrapTtlSeconds;
    if (perms.maxWrappingTtlSeconds > 0 && (wrapTtl === undefined || wrapTtl > perms.maxWrappingTtlSeconds)) {
      return denied(`responses must be wrapped with a TTL of at most ${perms.maxWrappingTtlSeconds}s`, sudo);
    }
    if (perms.minWrappingTtlSeconds > 0 && (wrapTtl === undefined || wrapTtl < perms.minWrappingTtlSeconds)) {
      return denied(`responses must be wrapped with a TTL of at least ${perms.minWrappingTtlSeconds}s`, sudo);
    }
    // Merged policies can leave a minimum above the maximum; nothing satisfies both.
    if (perms.minWrappingTtlSeconds !== 0 && perms.maxWrappingTtlSeconds !== 0 && perms.maxWrappingTtlSeconds < perms.minWrappingTtlSeconds) {
      return denied("the wrapping TTL bounds of the matching policies conflict", sudo);
    }
    if (PARAMETER_OPERATIONS.has(op)) {
      const reason = checkParameters(perms, request.data);
      if (reason !== undefined) return denied(reason, sudo);
    }
    return { allowed: true, sudo, isRoot: false, grantingPolicies: grantingFor(perms, 31 - Math.clz32(needed)) };
  }

  /**
   * What `sys/capabilities` reports for a path: sorted names, `["root"]` for root, and
   * `["deny"]` when a deny rule matches or nothing grants anything.
   */
  capabilities(path: string): string[] {
    if (this.isRoot) return ["root"];
    // Vault asks as a list operation, so a trailing slash falls back to the bare path.
    const bits = this.lookup(trimLeadingSlashes(path), true)?.bitmap ?? 0;
    const names = bitmapToCapabilities(bits);
    if ((bits & DENY) !== 0 || names.length === 0) return ["deny"];
    return names;
  }

  /**
   * Whether the token may see a mount in listings (`sys/internal/ui/mounts`): some rule at
   * or below the mount grants something and is not a deny.
   */
  hasMountAccess(mountPath: string): boolean {
    if (this.isRoot) return true;
    const mount = trimLeadingSlashes(mountPath.endsWith("/") ? mountPath : `${mountPath}/`);
    if (!this.capabilities(mount).includes("deny")) return true;
    const grants = (p: Permissions): boolean => (p.bitmap & DENY) === 0 && (p.bitmap & ACCESS_BITS) !== 0;
    for (const [key, perms] of this.exact) if (key.startsWith(mount) && grants(perms)) return true;
    for (const [key, perms] of this.prefix.entries()) if (key.startsWith(mount) && grants(perms)) return true;
    const mountParts = mount.split("/").slice(0, -1);
    for (const rule of this.segments.rules) {
      if (rule.parts.length < mountParts.length || !grants(rule.perms)) continue;
      const matches = mountParts.every((part, i) => {
        const aclPart = rule.parts[i] as string;
        if (aclPart === "+" || aclPart === part) return true;
        return rule.isPrefix && i === rule.parts.length - 1 && part.startsWith(aclPart);
      });
      if (matches) return true;
    }
    return false;
  }

  private lookup(path: string, isList: boolean): Permissions | undefined {
    const exact = this.exact.get(path);
    if (exact) return exact;
    if (isList) {
      const trimmed = path.endsWith("/") ? path.slice(0, -1) : path;
      const exactTrimmed = this.exact.get(trimmed);
      if (exactTrimmed) return exactTrimmed;
      // A trailing-slash list tries the bare path first, where longer wildcard rules may match.
      if (trimmed !== path) {
        const found = this.nonExact(trimmed);
        if (found) return found;
      }
    }
    return this.nonExact(path);
  }

  private nonExact(path: string): Permissions | undefined {
    const prefixHit = this.prefix.longestPrefixOf(path);
    if (this.segments.size === 0) return prefixHit?.value;
    const start: WildcardCandidate<Permissions> | undefined = prefixHit
      ? { firstWildcard: prefixHit.key.length, isPrefix: true, wildcards: 0, wcPath: prefixHit.key, perms: prefixHit.value }
      : undefined;
    return this.segments.best(path, start)?.perms;
  }
}

function denied(reason: string, sudo: boolean): AclDecision {
  return { allowed: false, sudo, isRoot: false, reason, grantingPolicies: [] };
}

function capabilityName(bit: number): string {
  return bitmapToCapabilities(bit)[0] ?? "unknown";
}

function trimLeadingSlashes(path: string): string {
  let i = 0;
  while (i < path.length && path.charCodeAt(i) === 47) i++;
  return i === 0 ? path : path.slice(i);
}

/**
 * Compiles the policies a token holds. Templated rules are filled from `identity`; a rule
 * whose template cannot be filled is left out, as Vault does. A policy named `root` makes
 * the ACL root whatever else is present.
 */
export function compileAcl(policies: readonly Policy[], identity?: PolicyIdentity): Acl {
  const names = policies.map((p) => p.name);
  if (names.includes(ROOT_POLICY_NAME)) return new Acl(true, names, new Map(), new Map(), new Map());
  const exact = new Map<string, Permissions>();
  const prefix = new Map<string, Permissions>();
  const segment = new Map<string, Permissions>();
  for (const policy of policies) {
    for (const rule of policy.rules) {
      let path = rule.path;
      if (rule.templated) {
        const filled = fillTemplate(path, identity);
        if (filled === undefined) continue;
        path = filled;
      }
      const hasSegmentWildcards = path === "+" || path.includes("/+") || path.startsWith("+/");
      let table = exact;
      let key = path;
      if (hasSegmentWildcards) table = segment;
      else if (path.endsWith("*")) {
        table = prefix;
        key = path.slice(0, -1);
      }
      const existing = table.get(key);
      if (existing) mergeInto(existing, rule, policy.name);
      else table.set(key, permissionsOf(rule, policy.name));
    }
  }
  return new Acl(false, names, exact, prefix, segment);
}

function toMap(constraints: PathRule["allowedParameters"]): Map<string, ParameterValue[]> | undefined {
  if (constraints === undefined) return undefined;
  return new Map(Object.entries(constraints).map(([k, v]) => [k, [...v]]));
}

function permissionsOf(rule: PathRule, policy: string): Permissions {
  return {
    bitmap: rule.capabilitiesBitmap,
    minWrappingTtlSeconds: rule.minWrappingTtlSeconds ?? 0,
    maxWrappingTtlSeconds: rule.maxWrappingTtlSeconds ?? 0,
    allowed: toMap(rule.allowedParameters),
    denied: toMap(rule.deniedParameters),
    required: [...(rule.requiredParameters ?? [])],
    subscribeEventTypes: [...(rule.subscribeEventTypes ?? [])],
    granting: [{ policy, bitmap: rule.capabilitiesBitmap }],
    grantingByBit: [],
  };
}

/** Computed lazily: compiling runs per token, and most patterns never see most operations. */
function grantingFor(perms: Permissions, bit: number): readonly string[] {
  let names = perms.grantingByBit[bit];
  if (names === undefined) {
    const set = new Set<string>();
    for (const g of perms.granting) if ((g.bitmap & (1 << bit)) !== 0) set.add(g.policy);
    names = Object.freeze([...set]);
    perms.grantingByBit[bit] = names;
  }
  return names;
}

/** Vault's NewACL merge of a second rule for the same pattern. */
function mergeInto(existing: Permissions, rule: PathRule, policy: string): void {
  if ((existing.bitmap & DENY) !== 0) return;
  if ((rule.capabilitiesBitmap & DENY) !== 0) {
    existing.bitmap = DENY;
    existing.allowed = undefined;
    existing.denied = undefined;
    return;
  }
  existing.bitmap |= rule.capabilitiesBitmap;
  existing.granting.push({ policy, bitmap: rule.capabilitiesBitmap });
  // The stricter wrapping bound of the two wins.
  const max = rule.maxWrappingTtlSeconds ?? 0;
  if (max > 0 && (existing.maxWrappingTtlSeconds === 0 || max < existing.maxWrappingTtlSeconds)) existing.maxWrappingTtlSeconds = max;
  const min = rule.minWrappingTtlSeconds ?? 0;
  if (min > 0 && (existing.minWrappingTtlSeconds === 0 || min < existing.minWrappingTtlSeconds)) existing.minWrappingTtlSeconds = min;
  existing.allowed = mergeConstraints(existing.allowed, rule.allowedParameters);
  existing.denied = mergeConstraints(existing.denied, rule.deniedParameters);
  for (const p of rule.requiredParameters ?? []) if (!existing.required.includes(p)) existing.required.push(p);
  for (const t of rule.subscribeEventTypes ?? []) if (!existing.subscribeEventTypes.includes(t)) existing.subscribeEventTypes.push(t);
}

/**
 * Union of two parameter maps. An empty list (any value) on either side stays empty.
 * As in Vault, a pattern that one policy leaves unconstrained and another constrains ends
 * up constrained: only a non-empty map is merged in.
 */
function mergeConstraints(
  existing: Map<string, ParameterValue[]> | undefined,
  incoming: PathRule["allowedParameters"],
): Map<string, ParameterValue[]> | undefined {
  if (incoming === undefined || Object.keys(incoming).length === 0) return existing;
  if (existing === undefined) return toMap(incoming);
  for (const [key, values] of Object.entries(incoming)) {
    const current = existing.get(key);
    if (values.length === 0 || (current !== undefined && current.length === 0)) existing.set(key, []);
    else existing.set(key, [...values, ...(current ?? [])]);
  }
  return existing;
}
