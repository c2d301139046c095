/**
 * Password generation as Vault's random.StringGenerator: draw `length` characters uniformly
 * from the union of the rules' charsets, keep the candidate only if every rule's min-chars
 * holds, otherwise draw again, giving up after a deadline (Vault: one second).
 */
import { sharedRandomPool } from "../../framework/random-pool.js";
import { badRequest } from "../../framework/errors.js";
import { validatePasswordPolicy, type CharsetRule, type PasswordPolicy } from "./parse.js";

/** Vault's DefaultStringGenerator, used by engines when no password_policy is set. */
export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = Object.freeze({
  length: 20,
  rules: Object.freeze([
    { type: "charset", charset: "abcdefghijklmnopqrstuvwxyz", minChars: 1 },
    { type: "charset", charset: "ABCDEFGHIJKLMNOPQRSTUVWXYZ", minChars: 1 },
    { type: "charset", charset: "0123456789", minChars: 1 },
    { type: "charset", charset: "-", minChars: 1 },
  ] satisfies CharsetRule[]),
});

export const DEFAULT_GENERATION_TIMEOUT_MS = 1000;

interface Compiled {
  /** Sorted distinct code points of every rule. */
  readonly alphabet: readonly string[];
  readonly rules: readonly { readonly members: ReadonlySet<string>; readonly minChars: number }[];
}

const compiledCache = new WeakMap<PasswordPolicy, Compiled>();

function compile(policy: PasswordPolicy): Compiled {
  let c = compiledCache.get(policy);
  if (!c) {
    validatePasswordPolicy(policy);
    const union = new Set<string>();
    for (const r of policy.rules) for (const ch of r.charset) union.add(ch);
    c = {
      alphabet: [...union].sort(),
      rules: policy.rules.filter((r) => r.minChars > 0).map((r) => ({ members: new Set(r.charset), minChars: r.minChars })),
    };
    compiledCache.set(policy, c);
  }
  return c;
}

/** A password satisfying `policy`; throws a 400 if none turns up within the deadline. */
export function generatePassword(policy: PasswordPolicy, options: { timeoutMs?: number } = {}): string {
  const c = compile(policy);
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_GENERATION_TIMEOUT_MS);
  for (;;) {
    const candidate = drawUniform(c.alphabet, policy.length);
    if (c.rules.every((r) => countIn(candidate, r.members) >= r.minChars)) return candidate.join("");
    if (Date.now() > deadline) {
      throw badRequest(
        `unable to generate a password from the policy within ${options.timeoutMs ?? DEFAULT_GENERATION_TIMEOUT_MS} ms: are the rules too restrictive?`,
      );
    }
  }
}

/** 20 characters from letters, digits and "-", at least one of each kind (Vault's default). */
export function generateDefaultPassword(): string {
  return generatePassword(DEFAULT_PASSWORD_POLICY);
}

function countIn(candidate: readonly string[], members: ReadonlySet<string>): number {
  let n = 0;
  for (const ch of candidate) if (members.has(ch)) n++;
  return n;
}

/**
 * `length` characters, each uniform over `alphabet` (at most 256 entries): a random byte
 * is used only if it falls below the largest multiple of the alphabet size, so no
 * character is favoured.
 */
function drawUniform(alphabet: readonly string[], length: number): string[] {
  const n = alphabet.length;
  const limit = Math.floor(256 / n) * n;
  const out: string[] = [];
  while (out.length < length) {
    const bytes = sharedRandomPool.take(limit === 256 ? length - out.length : Math.ceil((length - out.length) * 1.5) + 4);
    for (const b of bytes) {
      if (b >= limit) continue;
      out.push(alphabet[b % n] as string);
      if (out.length === length) break;
    }
    bytes.fill(0);
  }
  return out;
}
