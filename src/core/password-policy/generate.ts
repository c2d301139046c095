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
  /** Sorted distinct code points of every rule (at most 256). */
  readonly alphabet: readonly string[];
  /** Per rule with min-chars: 1 at the alphabet indexes of its charset. */
  readonly rules: readonly { readonly members: Uint8Array; readonly minChars: number }[];
  /** Bytes at or above this are skipped, so that `byte % alphabet.length` favours no character. */
  readonly byteLimit: number;
}

const compiledCache = new WeakMap<PasswordPolicy, Compiled>();

function compile(policy: PasswordPolicy): Compiled {
  let c = compiledCache.get(policy);
  if (!c) {
    validatePasswordPolicy(policy);
    const union = new Set<string>();
    for (const r of policy.rules) for (const ch of r.charset) union.add(ch);
    const alphabet = [...union].sort();
    const rules = policy.rules
      .filter((r) => r.minChars > 0)
      .map((r) => {
        const charset = new Set(r.charset);
        return { members: Uint8Array.from(alphabet, (ch) => (charset.has(ch) ? 1 : 0)), minChars: r.minChars };
      });
    c = { alphabet, rules, byteLimit: Math.floor(256 / alphabet.length) * alphabet.length };
    compiledCache.set(policy, c);
  }
  return c;
}

/** A password satisfying `policy`; throws a 400 if none turns up within the deadline. */
export function generatePassword(policy: PasswordPolicy, options: { timeoutMs?: number } = {}): string {
  const c = compile(policy);
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_GENERATION_TIMEOUT_MS);
  const picks = new Uint8Array(policy.length);
  try {
    for (;;) {
      drawUniform(c, picks);
      if (c.rules.every((r) => countIn(picks, r.members) >= r.minChars)) {
        let out = "";
        for (const i of picks) out += c.alphabet[i] as string;
        return out;
      }
      if (Date.now() > deadline) {
        throw badRequest(
          `unable to generate a password from the policy within ${options.timeoutMs ?? DEFAULT_GENERATION_TIMEOUT_MS} ms: are the rules too restrictive?`,
        );
      }
    }
  } finally {
    picks.fill(0);
  }
}

/** 20 characters from letters, digits and "-", at least one of each kind (Vault's default). */
export function generateDefaultPassword(): string {
  return generatePassword(DEFAULT_PASSWORD_POLICY);
}

function countIn(picks: Uint8Array, members: Uint8Array): number {
  let n = 0;
  for (const i of picks) n += members[i] as number;
  return n;
}

/**
 * Fills `picks` with alphabet indexes, each uniform: a random byte is used only if it falls
 * below the largest multiple of the alphabet size, so no character is favoured.
 */
function drawUniform(c: Compiled, picks: Uint8Array): void {
  const n = c.alphabet.length;
  let filled = 0;
  while (filled < picks.length) {
    const left = picks.length - filled;
    const bytes = sharedRandomPool.take(c.byteLimit === 256 ? left : Math.ceil(left * 1.5) + 4);
    for (const b of bytes) {
      if (b >= c.byteLimit) continue;
      picks[filled++] = b % n;
      if (filled === picks.length) break;
    }
    bytes.fill(0);
  }
}
