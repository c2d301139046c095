/**
 * `vault policy fmt`: canonical HCL for a policy. HCL input keeps its comments and layout
 * choices (labels, legacy `policy =`) and is only re-indented and aligned; JSON input and
 * Policy objects are written out from the parsed rules.
 */
import { formatHcl, parseHcl, quoteHcl } from "../../hcl/index.js";
import { parsePolicy } from "./parse.js";
import type { ParameterConstraints, ParameterValue, PathRule, Policy } from "./types.js";

/** Canonical text; throws the same 400 as parsePolicy when the policy is invalid. */
export function formatPolicy(policyOrText: Policy | string): string {
  if (typeof policyOrText === "string") {
    const policy = parsePolicy("fmt", policyOrText);
    const doc = parseHcl(policyOrText);
    return doc.format === "hcl" ? formatHcl(doc) : formatRules(policy.rules);
  }
  if (policyOrText.raw.trim() !== "") return formatPolicy(policyOrText.raw);
  return formatRules(policyOrText.rules);
}

function formatRules(rules: readonly PathRule[]): string {
  return rules.map(formatRule).join("\n");
}

function formatRule(rule: PathRule): string {
  const attrs: [string, string][] = [["capabilities", `[${rule.capabilities.map((c) => quoteHcl(c)).join(", ")}]`]];
  const blocks: string[] = [];
  if (rule.allowedParameters) blocks.push(constraintsBlock("allowed_parameters", rule.allowedParameters));
  if (rule.deniedParameters) blocks.push(constraintsBlock("denied_parameters", rule.deniedParameters));
  if (rule.requiredParameters) attrs.push(["required_parameters", stringList(rule.requiredParameters)]);
  if (rule.minWrappingTtlSeconds !== undefined) attrs.push(["min_wrapping_ttl", quoteHcl(`${rule.minWrappingTtlSeconds}s`)]);
  if (rule.maxWrappingTtlSeconds !== undefined) attrs.push(["max_wrapping_ttl", quoteHcl(`${rule.maxWrappingTtlSeconds}s`)]);
  if (rule.mfaMethods) attrs.push(["mfa_methods", stringList(rule.mfaMethods)]);
  if (rule.subscribeEventTypes) attrs.push(["subscribe_event_types", stringList(rule.subscribeEventTypes)]);
  const width = Math.max(...attrs.map(([k]) => k.length));
  const lines = attrs.map(([k, v]) => `  ${k.padEnd(width)} = ${v}`);
  return `path ${quoteHcl(rule.path)} {\n${[...lines, ...blocks].join("\n")}\n}\n`;
}

function constraintsBlock(name: string, constraints: ParameterConstraints): string {
  const entries = Object.entries(constraints);
  if (entries.length === 0) return `  ${name} = {}`;
  const width = Math.max(...entries.map(([k]) => quoteHcl(k).length));
  const lines = entries.map(([k, v]) => `    ${quoteHcl(k).padEnd(width)} = [${v.map(valueText).join(", ")}]`);
  return `  ${name} = {\n${lines.join("\n")}\n  }`;
}

function stringList(values: readonly string[]): string {
  return `[${values.map((v) => quoteHcl(v)).join(", ")}]`;
}

function valueText(v: ParameterValue): string {
  if (typeof v === "string") return quoteHcl(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v === null) return '""';
  if (Array.isArray(v)) return `[${v.map(valueText).join(", ")}]`;
  return `{ ${Object.entries(v).map(([k, x]) => `${quoteHcl(k)} = ${valueText(x)}`).join(", ")} }`;
}
