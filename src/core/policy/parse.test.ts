import { describe, it, expect } from "vitest";
import { isMayflyError } from "../../framework/errors.js";
import { DEFAULT_POLICY_TEXT, formatPolicy, parsePolicy, type Policy } from "./index.js";

function parseError(text: string): string {
  try {
    parsePolicy("bad", text);
  } catch (e) {
    if (isMayflyError(e)) {
      expect(e.status).toBe(400);
      return e.message;
    }
    throw e;
  }
  throw new Error("expected the policy to be refused");
}

describe("parsePolicy", () => {
  it("reads every supported field", () => {
    const p = parsePolicy(
      "  Ops-Team ",
      `name = "ignored"
path "/secret/data/*" {
  comment      = "app secrets"
  capabilities = ["create", "read", "update", "patch", "delete", "list", "subscribe", "read"]
  allowed_parameters = {
    "TTL" = ["1h", 3600, true]
    "*"   = []
  }
  denied_parameters = {
    "secret_id" = []
  }
  required_parameters = ["name"]
  min_wrapping_ttl    = "1m"
  max_wrapping_ttl    = 7200
  mfa_methods         = ["totp"]
  subscribe_event_types = ["kv*"]
  control_group = {
    factor "ops" {
      identity {
        group_names = ["managers"]
        approvals = 1
      }
    }
  }
}`,
    );
    expect(p.name).toBe("ops-team");
    expect(p.templated).toBe(false);
    const r = p.rules[0];
    expect(r).toMatchObject({
      path: "secret/data/*",
      line: 2,
      capabilities: ["create", "read", "update", "patch", "delete", "list", "subscribe"],
      allowedParameters: { ttl: ["1h", 3600, true], "*": [] },
      deniedParameters: { secret_id: [] },
      requiredParameters: ["name"],
      minWrappingTtlSeconds: 60,
      maxWrappingTtlSeconds: 7200,
      mfaMethods: ["totp"],
      subscribeEventTypes: ["kv*"],
    });
    expect(r?.controlGroup).toBeDefined();
  });

  it("collapses deny and ignores the rest of a deny rule, as Vault does", () => {
    const p = parsePolicy("d", `path "x" {\n  capabilities = ["read", "deny"]\n  min_wrapping_ttl = "not parsed"\n}`);
    expect(p.rules[0]?.capabilities).toEqual(["deny"]);
    expect(p.rules[0]?.minWrappingTtlSeconds).toBeUndefined();
  });

  it("accepts block-style parameter maps and repeated paths", () => {
    const p = parsePolicy("b", `path "a" {\n  capabilities = []\n  allowed_parameters {\n    foo = []\n  }\n}\npath "a" { capabilities = ["read"] }`);
    expect(p.rules.map((r) => [r.path, r.capabilities])).toEqual([
      ["a", []],
      ["a", ["read"]],
    ]);
    expect(p.rules[0]?.allowedParameters).toEqual({ foo: [] });
  });

  it("warns about duplicate attributes and keeps the last", () => {
    const p = parsePolicy("w", `path "a" {\n  capabilities = ["read"]\n  capabilities = ["list"]\n}`);
    expect(p.rules[0]?.capabilities).toEqual(["list"]);
    expect(p.warnings[0]).toMatch(/duplicate attribute "capabilities"/);
  });

  it("parses an empty policy and Vault's default policy", () => {
    expect(parsePolicy("e", "").rules).toEqual([]);
    const d = parsePolicy("default", DEFAULT_POLICY_TEXT);
    expect(d.templated).toBe(true);
    expect(d.rules.length).toBeGreaterThan(15);
  });

  it.each([
    ['path "secret/*" {\n  capabilities = ["reed"]\n}', 'failed to parse policy: path "secret/*": invalid capability "reed" on line 2'],
    ['path "secret/*" {\n  capabilites = ["read"]\n}', 'failed to parse policy: path "secret/*": invalid key "capabilites" on line 2'],
    ['path "a" {}\npaths "b" {}', 'failed to parse policy: invalid key "paths" on line 2'],
    ['path "secret/*" {\n  capabilities ["read"]\n}', 'failed to parse policy: At 2:16: expected "=" after "capabilities"'],
    ['path "a" {\n  policy = "admin"\n}', 'failed to parse policy: path "a": invalid policy "admin" on line 2'],
    ['\npath "a/+*" {}', `failed to parse policy: path "a/+*": invalid use of wildcards ('+*' is forbidden) on line 2`],
    ['path "a/*/b" {}', 'failed to parse policy: path "a/*/b": "*" is only allowed as the last character of a path on line 1'],
    ['path "a/b+/c" {}', 'failed to parse policy: path "a/b+/c": "+" must be a whole path segment'],
    ['path "a" {\n\n  min_wrapping_ttl = "abc"\n}', 'failed to parse policy: path "a": error parsing min_wrapping_ttl: invalid duration "abc" on line 3'],
    ['path "a" {\n  min_wrapping_ttl = "2h"\n  max_wrapping_ttl = "1h"\n}', "max_wrapping_ttl cannot be less than min_wrapping_ttl on line 3"],
    ['path "a" {\n  allowed_parameters = {\n    "foo" = "bar"\n  }\n}', 'path "a": allowed_parameters: "foo" must be a list of values on line 3'],
    ['path "a" {\n  denied_parameters = {\n    "fo*" = []\n  }\n}', 'denied_parameters: parameter key "fo*" cannot contain non-tail wildcards on line 3'],
    ['path "a" {\n  required_parameters = ["x*"]\n}', 'required_parameters: parameter key "x*": wildcard is not permitted here on line 2'],
    ['path "a/{{identity.entity.id" {}', "failed to validate policy templating: unbalanced templating characters on line 1"],
    ['path "a" {\n  capabilities = "read"\n}', 'path "a": capabilities must be a list of strings on line 2'],
    ['{"path": {"a": {"capabilities": ["read"]},}}', "failed to parse policy: At 1:43: expected a quoted key"],
    ['{\n  "path": {\n    "a": {\n      "capabilities": ["rad"]\n    }\n  }\n}', 'path "a": invalid capability "rad" on line 4'],
    ['path "a" "b" {}', 'failed to parse policy: At 1:10: "path" takes 1 label, got 2'],
  ])("refuses %j naming the line", (text, message) => {
    expect(parseError(text)).toContain(message);
  });
});

describe("formatPolicy", () => {
  it("rewrites messy HCL canonically and keeps comments", () => {
    const messy = `# App policy
path "secret/data/app/*"   {
capabilities = [ "read","list" ]   # read-only
    allowed_parameters={
  "version"=[]
    }
}
path "sys/*" { policy = "deny" }`;
    expect(formatPolicy(messy)).toBe(`# App policy
path "secret/data/app/*" {
  capabilities = ["read", "list"] # read-only
  allowed_parameters = {
    "version" = []
  }
}

path "sys/*" {
  policy = "deny"
}
`);
  });

  it("is idempotent on the default policy", () => {
    const once = formatPolicy(DEFAULT_POLICY_TEXT);
    expect(formatPolicy(once)).toBe(once);
    expect(parsePolicy("x", once).rules).toEqual(parsePolicy("x", DEFAULT_POLICY_TEXT).rules.map((r, i) => ({ ...r, line: parsePolicy("x", once).rules[i]?.line })));
  });

  it("turns a JSON policy into HCL", () => {
    const out = formatPolicy('{"path": {"secret/*": {"policy": "write", "allowed_parameters": {"Foo": ["a", 1]}}, "sys/*": {"capabilities": ["deny"]}}}');
    expect(out).toBe(`path "secret/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
  allowed_parameters = {
    "foo" = ["a", 1]
  }
}

path "sys/*" {
  capabilities = ["deny"]
}
`);
  });

  it("writes a Policy without text from its rules", () => {
    const parsed = parsePolicy("p", 'path "a" {\n  capabilities = ["read"]\n  required_parameters = ["x"]\n  max_wrapping_ttl = "1h"\n}');
    const bare: Policy = { ...parsed, raw: "" };
    const out = formatPolicy(bare);
    expect(out).toBe('path "a" {\n  capabilities        = ["read"]\n  required_parameters = ["x"]\n  max_wrapping_ttl    = "3600s"\n}\n');
    expect(parsePolicy("p", out).rules[0]).toMatchObject({ capabilities: ["read"], requiredParameters: ["x"], maxWrappingTtlSeconds: 3600 });
  });

  it("refuses an invalid policy with the parse error", () => {
    expect(() => formatPolicy('path "a" { capabilities = ["nope"] }')).toThrow(/invalid capability "nope"/);
  });
});
