/**
 * ACL policy text (HCL or JSON) to a Policy, with Vault's validation. Every error is a 400
 * that starts "failed to parse policy:" and names the line.
 */
import { badRequest, isMayflyError, type MayflyError } from "../../framework/errors.js";
import { parseDurationSeconds } from "../../framework/duration.js";
import {
  getBlocks,
  indexItems,
  isHclError,
  parseHcl,
  toPlain,
  type HclBlock,
  type HclItem,
  type HclValue,
} from "../../hcl/index.js";
import { hasTemplating, TemplateSyntaxError } from "./template.js";
import {
  CAPABILITIES,
  capabilitiesToBitmap,
  LEGACY_POLICIES,
  type Capability,
  type ParameterConstraints,
  type ParameterValue,
  type PathRule,
  type Policy,
} from "./types.js";

const TOP_LEVEL_KEYS = new Set(["name", "path"]);
const PATH_KEYS = new Set([
  "comment",
  "policy",
  "capabilities",
  "allowed_parameters",
  "denied_parameters",
  "required_parameters",
  "min_wrapping_ttl",
  "max_wrapping_ttl",
  "mfa_methods",
  "control_group",
  "subscribe_event_types",
]);
const CAPABILITY_SET: ReadonlySet<string> = new Set(CAPABILITIES);

/** Policies are stored under lower-cased, trimmed names. */
export function normalizePolicyName(name: string): string {
  return name.trim().toLowerCase();
}

export function parsePolicy(name: string, text: string): Policy {
  try {
    return parseUnchecked(name, text);
  } catch (e) {
    if (isHclError(e)) throw fail(e.message);
    throw e;
  }
}

function fail(message: string): MayflyError {
  return badRequest(`failed to parse policy: ${message}`);
}

function parseUnchecked(name: string, text: string): Policy {
  const doc = parseHcl(text);
  for (const item of doc.body.items) {
    const key = item.keys[0]?.name ?? "";
    if (!TOP_LEVEL_KEYS.has(key)) throw fail(`invalid key ${JSON.stringify(key)} on line ${item.line}`);
  }
  const warnings: string[] = [];
  const rules = getBlocks(doc.body, "path", 1).map((block) => parseRule(block, warnings));
  return {
    name: normalizePolicyName(name),
    raw: text,
    rules,
    templated: rules.some((r) => r.templated),
    warnings,
  };
}

function parseRule(block: HclBlock, warnings: string[]): PathRule {
  const written = block.labels[0] ?? "";
  const line = block.at.line;
  const where = `path ${JSON.stringify(written)}`;
  const ruleFail = (message: string, atLine: number): MayflyError => fail(`${where}: ${message} on line ${atLine}`);

  const { items, duplicates } = indexItems(block.body);
  for (const item of block.body.items) {
    const key = item.keys[0]?.name ?? "";
    if (!PATH_KEYS.has(key)) throw ruleFail(`invalid key ${JSON.stringify(key)}`, item.line);
    if (item.keys.length > 1) throw ruleFail(`${JSON.stringify(key)} does not take labels`, item.line);
  }
  for (const key of duplicates) warnings.push(`${where}: duplicate attribute ${JSON.stringify(key)}; the last one is used`);

  const get = (key: string): HclItem | undefined => items.get(key);
  const stringOf = (key: string): string | undefined => {
    const item = get(key);
    if (!item) return undefined;
    if (item.value.type !== "string") throw ruleFail(`${key} must be a string`, item.line);
    return item.value.value;
  };
  const stringsOf = (key: string): string[] | undefined => {
    const item = get(key);
    if (!item) return undefined;
    const v = item.value;
    if (v.type !== "list" || v.items.some((x) => x.type !== "string")) {
      throw ruleFail(`${key} must be a list of strings`, item.line);
    }
    return v.items.map((x) => (x.type === "string" ? x.value : ""));
  };

  // Decode every field first, as Vault does, so type errors surface even on deny rules.
  const legacy = stringOf("policy");
  const declared = stringsOf("capabilities") ?? [];
  const requiredParameters = stringsOf("required_parameters");
  const mfaMethods = stringsOf("mfa_methods");
  const subscribeEventTypes = stringsOf("subscribe_event_types");
  stringOf("comment");
  const allowedItem = get("allowed_parameters");
  const deniedItem = get("denied_parameters");
  const controlGroupItem = get("control_group");
  if (controlGroupItem && controlGroupItem.value.type !== "object") {
    throw ruleFail("control_group must be a block", controlGroupItem.line);
  }

  const path = written.startsWith("/") ? written.slice(1) : written;
  const templated = checkTemplating(path, ruleFail, line);
  checkWildcards(path, ruleFail, line);

  let capabilities: Capability[] = [];
  if (legacy !== undefined && legacy !== "") {
    const mapped = LEGACY_POLICIES[legacy];
    if (!mapped) throw ruleFail(`invalid policy ${JSON.stringify(legacy)}`, get("policy")?.line ?? line);
    capabilities = [...mapped];
  }
  const capsItem = get("capabilities");
  const combined = legacy === "deny" ? ["deny"] : [...capabilities, ...declared];
  capabilities = [];
  for (const cap of combined) {
    if (cap === "deny") {
      // Deny ends the rule: nothing else in it matters (Vault skips parameter parsing too).
      return { path, line, capabilities: ["deny"], capabilitiesBitmap: capabilitiesToBitmap(["deny"]), templated };
    }
    if (!CAPABILITY_SET.has(cap)) {
      throw ruleFail(`invalid capability ${JSON.stringify(cap)}`, capsItem?.line ?? line);
    }
    if (!capabilities.includes(cap as Capability)) capabilities.push(cap as Capability);
  }

  const rule: {
    -readonly [K in keyof PathRule]: PathRule[K];
  } = { path, line, capabilities, capabilitiesBitmap: capabilitiesToBitmap(capabilities), templated };
  if (allowedItem) rule.allowedParameters = parameterConstraints(allowedItem, "allowed_parameters", ruleFail);
  if (deniedItem) rule.deniedParameters = parameterConstraints(deniedItem, "denied_parameters", ruleFail);
  const minItem = get("min_wrapping_ttl");
  const maxItem = get("max_wrapping_ttl");
  if (minItem) rule.minWrappingTtlSeconds = wrappingTtl(minItem, "min_wrapping_ttl", ruleFail);
  if (maxItem) rule.maxWrappingTtlSeconds = wrappingTtl(maxItem, "max_wrapping_ttl", ruleFail);
  if (rule.minWrappingTtlSeconds && rule.maxWrappingTtlSeconds && rule.maxWrappingTtlSeconds < rule.minWrappingTtlSeconds) {
    throw ruleFail("max_wrapping_ttl cannot be less than min_wrapping_ttl", maxItem?.line ?? line);
  }
  if (requiredParameters && requiredParameters.length > 0) {
    for (const p of requiredParameters) {
      if (p.includes("*")) {
        throw ruleFail(`required_parameters: parameter key ${JSON.stringify(p)}: wildcard is not permitted here`, get("required_parameters")?.line ?? line);
      }
    }
    rule.requiredParameters = requiredParameters;
  }
  if (mfaMethods) rule.mfaMethods = mfaMethods;
  if (controlGroupItem) rule.controlGroup = toPlain(controlGroupItem.value);
  if (subscribeEventTypes) rule.subscribeEventTypes = subscribeEventTypes;
  return rule;
}

type RuleFail = (message: string, atLine: number) => MayflyError;

function checkTemplating(path: string, ruleFail: RuleFail, line: number): boolean {
  try {
    return hasTemplating(path);
  } catch (e) {
    if (e instanceof TemplateSyntaxError) throw ruleFail(`failed to validate policy templating: ${e.message}`, line);
    throw e;
  }
}

function checkWildcards(path: string, ruleFail: RuleFail, line: number): void {
  if (path.includes("+*")) throw ruleFail("invalid use of wildcards ('+*' is forbidden)", line);
  const star = path.indexOf("*");
  if (star >= 0 && star !== path.length - 1) {
    throw ruleFail(`"*" is only allowed as the last character of a path`, line);
  }
  const segments = path.split("/");
  if (segments.some((s) => s.includes("+") && s !== "+")) {
    throw ruleFail(`"+" must be a whole path segment (as in "secret/+/config")`, line);
  }
}

function parameterConstraints(item: HclItem, key: string, ruleFail: RuleFail): ParameterConstraints {
  if (item.value.type !== "object") throw ruleFail(`${key} must be a map of parameter names to lists of values`, item.line);
  const out: Record<string, readonly ParameterValue[]> = Object.create(null) as Record<string, readonly ParameterValue[]>;
  for (const entry of item.value.items) {
    const name = entry.keys.map((k) => k.name).join(".");
    if (entry.keys.length !== 1) throw ruleFail(`${key}: ${JSON.stringify(name)} must be assigned a list`, entry.line);
    if (name.includes("*") && name !== "*" && !(name.startsWith("/") && name.endsWith("/*") && !name.slice(0, -2).includes("*"))) {
      throw ruleFail(`${key}: parameter key ${JSON.stringify(name)} cannot contain non-tail wildcards`, entry.line);
    }
    out[name.toLowerCase()] = listValues(entry.value, `${key}: ${JSON.stringify(name)}`, ruleFail, entry.line);
  }
  return out;
}

function listValues(value: HclValue, what: string, ruleFail: RuleFail, line: number): ParameterValue[] {
  if (value.type !== "list") throw ruleFail(`${what} must be a list of values`, line);
  return value.items.map((v) => toPlain(v) as ParameterValue);
}

function wrappingTtl(item: HclItem, key: string, ruleFail: RuleFail): number {
  const v = item.value;
  if (v.type !== "string" && v.type !== "number") throw ruleFail(`error parsing ${key}: expected a duration`, item.line);
  try {
    return parseDurationSeconds(v.value);
  } catch (e) {
    if (isMayflyError(e)) throw ruleFail(`error parsing ${key}: ${e.message}`, item.line);
    throw e;
  }
}
