/**
 * `required_parameters`, `denied_parameters` and `allowed_parameters` against a request's
 * fields, in the order and with the quirks of Vault's ACL.AllowOperation.
 */
import type { ParameterValue } from "./types.js";

export interface ParameterRules {
  readonly allowed: ReadonlyMap<string, readonly ParameterValue[]> | undefined;
  readonly denied: ReadonlyMap<string, readonly ParameterValue[]> | undefined;
  readonly required: readonly string[];
}

/** Why the request's fields are refused, or undefined when they pass. */
export function checkParameters(rules: ParameterRules, data: Readonly<Record<string, unknown>> | undefined): string | undefined {
  for (const name of rules.required) {
    // Vault looks the lower-cased name up among the request's keys as sent, so a required
    // "ttl" is satisfied by "ttl" but not by "TTL".
    if (data === undefined || !Object.prototype.hasOwnProperty.call(data, name.toLowerCase())) {
      return `required parameter ${JSON.stringify(name)} is missing`;
    }
  }
  if (data === undefined) return undefined;
  const keys = Object.keys(data);
  if (keys.length === 0) return undefined;

  const denied = rules.denied;
  if (denied && denied.size > 0) {
    if (denied.has("*")) return "all parameters are denied on this path";
    for (const key of keys) {
      const list = denied.get(key.toLowerCase());
      if (list && valueInDeniedList(data[key], list)) return `parameter ${JSON.stringify(key)} has a denied value`;
    }
  }

  const allowed = rules.allowed;
  if (!allowed || allowed.size === 0) return undefined;
  const allowedAll = allowed.has("*");
  if (allowed.size === 1 && allowedAll) return undefined;
  for (const key of keys) {
    const list = allowed.get(key.toLowerCase());
    if (!list) {
      if (!allowedAll) return `parameter ${JSON.stringify(key)} is not allowed`;
      continue;
    }
    if (!valueInAllowedList(data[key], list)) return `parameter ${JSON.stringify(key)} has a value that is not allowed`;
  }
  return undefined;
}

function valueInAllowedList(v: unknown, list: readonly ParameterValue[]): boolean {
  if (list.length === 0) return true; // an empty list allows any value
  if (valueInList(v, list)) return true;
  // A list value passes when every element is allowed; a string is read as a comma list,
  // since it may be a comma-separated field (Vault assumes so too; "" therefore passes).
  if (Array.isArray(v)) return v.every((e) => valueInList(e, list));
  if (typeof v === "string") return splitCommaList(v).every((e) => valueInList(e, list));
  return false;
}

function valueInDeniedList(v: unknown, list: readonly ParameterValue[]): boolean {
  if (list.length === 0) return true; // an empty list denies every value
  if (valueInList(v, list)) return true;
  if (Array.isArray(v)) return v.some((e) => valueInList(e, list));
  if (typeof v === "string") return splitCommaList(v).some((e) => valueInList(e, list));
  return false;
}

function splitCommaList(s: string): string[] {
  return s === "" ? [] : s.split(",").map((e) => e.trim());
}

function valueInList(v: unknown, list: readonly ParameterValue[]): boolean {
  for (const el of list) {
    if (el === null || v === null || v === undefined) {
      if (el === (v ?? null)) return true;
    } else if (typeof el === "string") {
      if (typeof v === "string" && globbedStringsMatch(el, v)) return true;
    } else if (deepEqual(el, v)) {
      return true;
    }
  }
  return false;
}

/**
 * `*` at either end of a policy value is a wildcard. A lone "*" is shorter than two
 * characters and so matches only a literal "*", as in Vault.
 */
export function globbedStringsMatch(item: string, val: string): boolean {
  if (item.length < 2) return val === item;
  const hasPrefix = item.startsWith("*");
  const hasSuffix = item.endsWith("*");
  if (hasPrefix && hasSuffix) return val.includes(item.slice(1, -1));
  if (hasPrefix) return val.endsWith(item.slice(1));
  if (hasSuffix) return val.startsWith(item.slice(0, -1));
  return val === item;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && deepEqual(ra[k], rb[k]));
}
