import { describe, it, expect } from "vitest";
import { isMayflyError } from "../../framework/errors.js";
import {
  DEFAULT_PASSWORD_POLICY,
  generateDefaultPassword,
  generatePassword,
  parsePasswordPolicy,
  type PasswordPolicy,
} from "./index.js";

const VAULT_DOCS_EXAMPLE = `
length = 20

rule "charset" {
  charset = "abcdefghijklmnopqrstuvwxyz"
  min-chars = 1
}

rule "charset" {
  charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
  min-chars = 1
}

rule "charset" {
  charset = "0123456789"
  min-chars = 1
}

rule "charset" {
  charset = "!@#$%^&*"
  min-chars = 1
}
`;

function satisfies(password: string, policy: PasswordPolicy): boolean {
  const chars = Array.from(password);
  if (chars.length !== policy.length) return false;
  const union = new Set(policy.rules.flatMap((r) => Array.from(r.charset)));
  if (!chars.every((c) => union.has(c))) return false;
  return policy.rules.every((r) => chars.filter((c) => r.charset.includes(c)).length >= r.minChars);
}

function refusal(text: string): string {
  try {
    parsePasswordPolicy(text);
  } catch (e) {
    if (isMayflyError(e)) {
      expect(e.status).toBe(400);
      return e.message;
    }
    throw e;
  }
  throw new Error("expected the policy to be refused");
}

describe("parsePasswordPolicy", () => {
  it("reads Vault's documented example", () => {
    const p = parsePasswordPolicy(VAULT_DOCS_EXAMPLE);
    expect(p.length).toBe(20);
    expect(p.rules.map((r) => [r.charset, r.minChars])).toEqual([
      ["abcdefghijklmnopqrstuvwxyz", 1],
      ["ABCDEFGHIJKLMNOPQRSTUVWXYZ", 1],
      ["0123456789", 1],
      ["!@#$%^&*", 1],
    ]);
  });

  it("reads the JSON form and a rule without min-chars", () => {
    const p = parsePasswordPolicy('{"length": 8, "rule": [{"charset": {"charset": "ab", "min-chars": 2}}, {"charset": {"charset": "xyz"}}]}');
    expect(p).toEqual({
      length: 8,
      rules: [
        { type: "charset", charset: "ab", minChars: 2 },
        { type: "charset", charset: "xyz", minChars: 0 },
      ],
    });
  });

  it.each([
    ['length = 3\nrule "charset" { charset = "abc" }', "passwords must be between 4 and 100 characters (length = 3 on line 1)"],
    ['length = 101\nrule "charset" { charset = "abc" }', "passwords must be between 4 and 100 characters"],
    ['rule "charset" { charset = "abc" }', '"length" is missing'],
    ['length = "20"\nrule "charset" { charset = "abc" }', "length must be a whole number (line 1)"],
    ["length = 20", "no charset specified"],
    ['length = 4\nrule "charset" {\n  charset = "abc"\n  min-chars = 3\n}\nrule "charset" {\n  charset = "0123"\n  min-chars = 2\n}', "specified rules require at least 5 characters but 4 is specified"],
    ['length = 8\nrule "charset" { charset = "" }', 'rule "charset" on line 2: charset must not be empty'],
    ['length = 8\nrule "charset" { min-chars = 1 }', 'rule "charset" on line 2: charset must not be empty'],
    ['length = 8\nrule "charsets" { charset = "a" }', 'unrecognized rule type "charsets" on line 2'],
    ['lenght = 8\nrule "charset" { charset = "a" }', 'unknown key "lenght" on line 1'],
    ['length = 8\nrule "charset" {\n  charset = "a"\n  min_chars = 1\n}', 'unknown key "min_chars" on line 4'],
    ['length = 8\nrule "charset" {\n  charset = "a"\n  min-chars = -1\n}', "min-chars must not be negative (line 4)"],
    ['length = 8\nrule "charset" {\n  charset = "a"\n  min-chars = 1.5\n}', "min-chars must be a whole number (line 4)"],
    ['length = 8\nrule "charset" { charset = "ab\\u0007" }', "non-printable character U+0007"],
    ['length = 8\nrule "charset" {\n  charset = "a"\n  min-chars 1\n}', 'invalid password policy: At 4:13: expected "=" after "min-chars"'],
  ])("refuses %j", (text, message) => {
    const m = refusal(text);
    expect(m.startsWith("invalid password policy: ")).toBe(true);
    expect(m).toContain(message);
  });

  it("refuses charsets holding more than 256 distinct characters", () => {
    const big = Array.from({ length: 300 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join("");
    expect(refusal(`length = 8\nrule "charset" { charset = "${big}" }`)).toMatch(/at most 256/);
  });
});

describe("generatePassword", () => {
  it("satisfies every rule across many runs", () => {
    const policies = [
      parsePasswordPolicy(VAULT_DOCS_EXAMPLE),
      parsePasswordPolicy('length = 4\nrule "charset" {\n  charset = "ab"\n  min-chars = 2\n}\nrule "charset" {\n  charset = "89"\n  min-chars = 2\n}'),
      parsePasswordPolicy('length = 12\nrule "charset" {\n  charset = "αβγδ€"\n  min-chars = 3\n}\nrule "charset" { charset = "xyz" }'),
      parsePasswordPolicy('length = 100\nrule "charset" {\n  charset = "abcdefghijklmnopqrstuvwxyz0123456789"\n  min-chars = 10\n}'),
    ];
    for (const policy of policies) {
      for (let i = 0; i < 500; i++) {
        const pw = generatePassword(policy);
        if (!satisfies(pw, policy)) throw new Error(`password ${JSON.stringify(pw)} breaks its policy`);
      }
    }
  });

  it("draws every character of the union about equally often", () => {
    const policy = parsePasswordPolicy('length = 50\nrule "charset" { charset = "abcdefghij" }');
    const counts = new Map<string, number>();
    const runs = 400;
    for (let i = 0; i < runs; i++) for (const c of generatePassword(policy)) counts.set(c, (counts.get(c) ?? 0) + 1);
    const expected = (runs * 50) / 10; // 2,000 per letter; sd ≈ 42
    expect(counts.size).toBe(10);
    for (const n of counts.values()) expect(Math.abs(n - expected)).toBeLessThan(250);
  });

  it("gives up with a 400 when the rules are too restrictive to meet in time", () => {
    const hard = parsePasswordPolicy(
      'length = 100\nrule "charset" {\n  charset = "a"\n  min-chars = 90\n}\nrule "charset" { charset = "bcdefghijklmnopqrstuvwxyz" }',
    );
    let caught: unknown;
    try {
      generatePassword(hard, { timeoutMs: 50 });
    } catch (e) {
      caught = e;
    }
    expect(isMayflyError(caught) && caught.status === 400 && /too restrictive/.test(caught.message)).toBe(true);
  });
});

describe("the default generator", () => {
  it("is Vault's DefaultStringGenerator: 20 characters, lower, upper, digit and dash, one of each at least", () => {
    expect(DEFAULT_PASSWORD_POLICY.length).toBe(20);
    expect(DEFAULT_PASSWORD_POLICY.rules.map((r) => [r.charset, r.minChars])).toEqual([
      ["abcdefghijklmnopqrstuvwxyz", 1],
      ["ABCDEFGHIJKLMNOPQRSTUVWXYZ", 1],
      ["0123456789", 1],
      ["-", 1],
    ]);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const pw = generateDefaultPassword();
      expect(pw).toMatch(/^[A-Za-z0-9-]{20}$/);
      expect(pw).toMatch(/[a-z]/);
      expect(pw).toMatch(/[A-Z]/);
      expect(pw).toMatch(/[0-9]/);
      expect(pw).toContain("-");
      seen.add(pw);
    }
    expect(seen.size).toBe(2000);
  });
});
