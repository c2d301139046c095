import { badRequest } from "../../framework/errors.js";
import { NON_ASSIGNABLE_POLICY_NAMES } from "../../core/policy/builtin.js";

/** Policies no token may carry: Vault reserves them for its own single-purpose tokens. */
export const NON_ASSIGNABLE_POLICIES: ReadonlySet<string> = new Set(NON_ASSIGNABLE_POLICY_NAMES);

/**
 * Trims, lowercases, drops empty names, dedupes and sorts (Vault's RemoveDuplicates);
 * `lowercase` is false only where Vault keeps the case.
 */
export function removeDuplicates(items: readonly string[], lowercase: boolean): string[] {
  const out = new Set<string>();
  for (const raw of items) {
    const v = lowercase ? raw.trim().toLowerCase() : raw.trim();
    if (v !== "") out.add(v);
  }
  return [...out].sort();
}

/**
 * Vault's SanitizePolicies: `root` swallows every other policy, `default` is added when
 * asked unless `root` is present.
 */
export function sanitizePolicies(policies: readonly string[], addDefault: boolean): string[] {
  const cleaned = removeDuplicates(policies, true);
  if (cleaned.includes("root")) return ["root"];
  if (addDefault && !cleaned.includes("default")) cleaned.push("default");
  return removeDuplicates(cleaned, false);
}

/** go-glob's rule: `*` matches any run of characters, nothing else is special. */
export function globMatch(pattern: string, subject: string): boolean {
  if (pattern === "*") return true;
  const parts = pattern.split("*");
  if (parts.length === 1) return pattern === subject;
  const first = parts[0] ?? "";
  const last = parts[parts.length - 1] ?? "";
  if (!subject.startsWith(first)) return false;
  let pos = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] ?? "";
    const at = subject.indexOf(part, pos);
    if (at < 0) return false;
    pos = at + part.length;
  }
  return subject.length - last.length >= pos && subject.endsWith(last);
}

export function listContainsGlob(patterns: readonly string[], subject: string): boolean {
  return patterns.some((p) => globMatch(p, subject));
}

/** Vault's display names: `token-<name>`, anything but letters, digits and `-` becomes `-`. */
export function tokenDisplayName(requested: string): string {
  if (requested === "") return "token";
  let full = `token-${requested}`.replace(/[^a-zA-Z0-9-]/gu, "-");
  if (full.endsWith("-")) full = full.slice(0, -1);
  return full;
}

/** Go's `%q` of a string slice, which Vault's error messages print. */
export function goQuoteList(items: readonly string[]): string {
  return `[${items.map((i) => JSON.stringify(i)).join(" ")}]`;
}

/** The policy limits of a token role. */
export interface RolePolicyLimits {
  readonly allowedPolicies: readonly string[];
  readonly disallowedPolicies: readonly string[];
  readonly allowedPoliciesGlob: readonly string[];
  readonly disallowedPoliciesGlob: readonly string[];
  readonly tokenNoDefaultPolicy: boolean;
}

export interface PolicyRequest {
  /** As sent in `policies`; empty means "inherit". */
  readonly requested: readonly string[];
  readonly noDefaultPolicy: boolean;
  readonly parentPolicies: readonly string[];
  /** Root or sudo on the create path: lifts the subset rule. */
  readonly callerHasSudo: boolean;
  readonly role?: RolePolicyLimits;
}

function roleLimitsPolicies(role: RolePolicyLimits | undefined): role is RolePolicyLimits {
  return (
    role !== undefined &&
    (role.allowedPolicies.length > 0 ||
      role.disallowedPolicies.length > 0 ||
      role.allowedPoliciesGlob.length > 0 ||
      role.disallowedPoliciesGlob.length > 0)
  );
}

/**
 * The policies a new token gets, by Vault's rules (token_store.go handleCreateCommon):
 * a role with allowed/disallowed lists decides on its own (and may grant what the parent
 * lacks); otherwise the token inherits the parent's policies, or asks for a subset of them
 * unless the caller has sudo. `default` is added only where Vault adds it.
 */
export function resolveTokenPolicies(r: PolicyRequest): string[] {
  let policies: string[] = [...r.requested];
  let addDefault = false;
  const role = r.role;
  if (roleLimitsPolicies(role)) {
    const roleAddsDefault =
      !r.noDefaultPolicy &&
      !role.tokenNoDefaultPolicy &&
      !role.disallowedPolicies.includes("default") &&
      !listContainsGlob(role.disallowedPoliciesGlob, "default");
    let chosen: string[] = policies.length > 0 ? sanitizePolicies(policies, roleAddsDefault) : [];
    if (role.allowedPolicies.length > 0 || role.allowedPoliciesGlob.length > 0) {
      const allowed = sanitizePolicies(role.allowedPolicies, roleAddsDefault);
      if (chosen.length === 0) {
        chosen = allowed;
      } else {
        const allowedGlob = sanitizePolicies(role.allowedPoliciesGlob, false);
        for (const p of chosen) {
          if (!allowed.includes(p) && !listContainsGlob(allowedGlob, p)) {
            throw badRequest(
              `token policies (${goQuoteList(chosen)}) must be subset of the role's allowed policies (${goQuoteList(allowed)}) or glob policies (${goQuoteList(allowedGlob)})`,
            );
          }
        }
      }
    } else if (chosen.length === 0) {
      chosen = sanitizePolicies(r.parentPolicies, roleAddsDefault);
    }
    const disallowed = removeDuplicates(role.disallowedPolicies, true);
    const disallowedGlob = removeDuplicates(role.disallowedPoliciesGlob, true);
    for (const p of chosen) {
      if (disallowed.includes(p) || listContainsGlob(disallowedGlob, p)) {
        throw badRequest(`token policy ${JSON.stringify(p)} is disallowed by this role`);
      }
    }
    policies = chosen;
  } else if (policies.length === 0) {
    // Inheriting: "default" comes along only if the parent has it.
    policies = sanitizePolicies(r.parentPolicies, false);
  } else if (!r.callerHasSudo) {
    const wanted = sanitizePolicies(policies, false);
    const parent = sanitizePolicies(r.parentPolicies, false);
    if (!wanted.every((p) => parent.includes(p))) throw badRequest("child policies must be subset of parent");
    addDefault = !r.noDefaultPolicy && r.parentPolicies.includes("default");
  } else {
    addDefault = !r.noDefaultPolicy;
  }

  let out = sanitizePolicies(policies, addDefault);
  if (r.noDefaultPolicy) out = out.filter((p) => p !== "default");
  for (const p of out) {
    if (NON_ASSIGNABLE_POLICIES.has(p)) throw badRequest(`cannot assign policy ${JSON.stringify(p)}`);
  }
  if (out.includes("root") && !r.parentPolicies.includes("root")) {
    // sudo alone must not mint root: that would escalate a sudo holder to root.
    throw badRequest("root tokens may not be created without parent token being root");
  }
  return out;
}
