/**
 * Vault password policies (`sys/policies/password/<name>`):
 *
 *   length = 20
 *   rule "charset" {
 *     charset   = "abcdefghijklmnopqrstuvwxyz"
 *     min-chars = 1
 *   }
 *
 * Parsing validates everything Vault's `sys/policies/password` write checks, so a parsed
 * policy can always be handed to generatePassword.
 */
import { badRequest, type MayflyError } from "../../framework/errors.js";
import { getBlocks, isHclError, parseHcl, type HclItem } from "../../hcl/index.js";

export interface CharsetRule {
  readonly type: "charset";
  /** The characters as written; each code point counts once. */
  readonly charset: string;
  readonly minChars: number;
}

export interface PasswordPolicy {
  readonly length: number;
  readonly rules: readonly CharsetRule[];
}

export const MIN_PASSWORD_LENGTH = 4;
export const MAX_PASSWORD_LENGTH = 100;
/** Generation draws one byte per character; a larger alphabet cannot be drawn without bias. */
export const MAX_CHARSET_SIZE = 256;

const TOP_LEVEL_KEYS = new Set(["length", "rule"]);
const CHARSET_KEYS = new Set(["charset", "min-chars"]);

function invalid(message: string): MayflyError {
  return badRequest(`invalid password policy: ${message}`);
}

export function parsePasswordPolicy(text: string): PasswordPolicy {
  try {
    return parseUnchecked(text);
  } catch (e) {
    if (isHclError(e)) throw invalid(e.message);
    throw e;
  }
}

function parseUnchecked(text: string): PasswordPolicy {
  const doc = parseHcl(text);
  let lengthItem: HclItem | undefined;
  for (const item of doc.body.items) {
    const key = item.keys[0]?.name ?? "";
    if (!TOP_LEVEL_KEYS.has(key)) throw invalid(`unknown key ${JSON.stringify(key)} on line ${item.line} (expected "length" and "rule" blocks)`);
    if (key === "length") lengthItem = item;
  }
  if (!lengthItem) throw invalid(`"length" is missing`);
  const length = integerOf(lengthItem, "length");

  const rules: CharsetRule[] = [];
  for (const block of getBlocks(doc.body, "rule", 1)) {
    const type = block.labels[0] ?? "";
    const where = `rule ${JSON.stringify(type)} on line ${block.at.line}`;
    if (type !== "charset") throw invalid(`unrecognized rule type ${JSON.stringify(type)} on line ${block.at.line} (supported: "charset")`);
    let charset: string | undefined;
    let minChars = 0;
    for (const item of block.body.items) {
      const key = item.keys[0]?.name ?? "";
      if (!CHARSET_KEYS.has(key) || item.keys.length > 1) {
        throw invalid(`${where}: unknown key ${JSON.stringify(key)} on line ${item.line} (expected "charset" and "min-chars")`);
      }
      if (key === "charset") {
        if (item.value.type !== "string") throw invalid(`${where}: charset must be a string (line ${item.line})`);
        charset = item.value.value;
      } else {
        minChars = integerOf(item, "min-chars");
        if (minChars < 0) throw invalid(`${where}: min-chars must not be negative (line ${item.line})`);
      }
    }
    if (charset === undefined || charset === "") throw invalid(`${where}: charset must not be empty`);
    const bad = Array.from(charset).find((c) => !isPrintable(c));
    if (bad !== undefined) {
      throw invalid(`${where}: non-printable character U+${(bad.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")} in charset`);
    }
    rules.push({ type: "charset", charset, minChars });
  }

  const policy: PasswordPolicy = { length, rules };
  validatePasswordPolicy(policy, ` (length = ${length} on line ${lengthItem.line})`);
  return policy;
}

/** The checks that do not depend on the text, for policies built in code too. */
export function validatePasswordPolicy(policy: PasswordPolicy, lengthContext = ""): void {
  if (!Number.isInteger(policy.length) || policy.length < MIN_PASSWORD_LENGTH || policy.length > MAX_PASSWORD_LENGTH) {
    throw invalid(`passwords must be between ${MIN_PASSWORD_LENGTH} and ${MAX_PASSWORD_LENGTH} characters${lengthContext}`);
  }
  if (policy.rules.length === 0) throw invalid(`no charset specified: add at least one rule "charset" block`);
  const required = policy.rules.reduce((sum, r) => sum + r.minChars, 0);
  if (required > policy.length) {
    throw invalid(`specified rules require at least ${required} characters but ${policy.length} is specified`);
  }
  const union = new Set<string>();
  for (const r of policy.rules) {
    if (r.charset === "") throw invalid(`a charset rule has an empty charset`);
    for (const c of r.charset) union.add(c);
  }
  if (union.size > MAX_CHARSET_SIZE) {
    throw invalid(`the rules' charsets hold ${union.size} distinct characters; at most ${MAX_CHARSET_SIZE} are allowed`);
  }
}

function integerOf(item: HclItem, key: string): number {
  const v = item.value;
  if (v.type !== "number" || !Number.isInteger(v.value)) throw invalid(`${key} must be a whole number (line ${item.line})`);
  return v.value;
}

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isPrintable(c: string): boolean {
  return c === " " || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(c);
}
