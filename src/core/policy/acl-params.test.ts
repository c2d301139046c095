/**
 * Parameter constraints (allowed_, denied_, required_parameters) and wrapping TTL bounds,
 * with expectations from Vault's policy documentation, not from this implementation.
 */
import { describe, it, expect } from "vitest";
import type { AclOperation } from "./index.js";
import { aclOf, rule } from "./acl-fixtures.js";

describe("ACL parameter constraints", () => {
  type Data = Record<string, unknown> | undefined;
  const check = (extra: string, data: Data, operation: AclOperation = "update", more: readonly string[] = []) =>
    aclOf([rule("p", ["create", "read", "update", "patch", "delete", "list"], extra), ...more]).check({ path: "p", operation, data }).allowed;

  const cases: readonly (readonly [string, string, Data, boolean])[] = [
    ["allowed: listed name with any value", `allowed_parameters = { "foo" = [] }`, { foo: "x" }, true],
    ["allowed: unlisted name refused", `allowed_parameters = { "foo" = [] }`, { bar: 1 }, false],
    ["allowed: no data passes", `allowed_parameters = { "foo" = ["x"] }`, undefined, true],
    ["allowed: empty data passes", `allowed_parameters = { "foo" = ["x"] }`, {}, true],
    ["allowed: listed value", `allowed_parameters = { "foo" = ["zip", "zap"] }`, { foo: "zip" }, true],
    ["allowed: other value refused", `allowed_parameters = { "foo" = ["zip", "zap"] }`, { foo: "zop" }, false],
    ["allowed: comma list, every element allowed", `allowed_parameters = { "foo" = ["zip", "zap"] }`, { foo: "zip, zap" }, true],
    ["allowed: comma list with a stranger", `allowed_parameters = { "foo" = ["zip", "zap"] }`, { foo: "zip,zop" }, false],
    ["allowed: array value, every element allowed", `allowed_parameters = { "foo" = ["zip", "zap"] }`, { foo: ["zap", "zip"] }, true],
    ["allowed: array value with a stranger", `allowed_parameters = { "foo" = ["zip"] }`, { foo: ["zip", "x"] }, false],
    ["allowed: prefix glob", `allowed_parameters = { "foo" = ["foo-*"] }`, { foo: "foo-bar" }, true],
    ["allowed: prefix glob miss", `allowed_parameters = { "foo" = ["foo-*"] }`, { foo: "bar" }, false],
    ["allowed: suffix glob", `allowed_parameters = { "foo" = ["*-bar"] }`, { foo: "x-bar" }, true],
    ["allowed: infix glob", `allowed_parameters = { "foo" = ["*mid*"] }`, { foo: "a-mid-b" }, true],
    ["allowed: a lone * value is literal", `allowed_parameters = { "foo" = ["*"] }`, { foo: "anything" }, false],
    ["allowed: * key with a constrained key, other key", `allowed_parameters = {\n "*" = []\n "foo" = ["bar"]\n}`, { other: 1 }, true],
    ["allowed: * key with a constrained key, bad value", `allowed_parameters = {\n "*" = []\n "foo" = ["bar"]\n}`, { foo: "baz" }, false],
    ["allowed: * alone allows all", `allowed_parameters = { "*" = [] }`, { a: 1, b: "x" }, true],
    ["allowed: numbers and booleans compare by value", `allowed_parameters = { "n" = [5, true] }`, { n: 5 }, true],
    ["allowed: names are case-insensitive", `allowed_parameters = { "Foo" = [] }`, { FOO: 1 }, true],
    ["allowed: an empty map constrains nothing", `allowed_parameters = {}`, { any: 1 }, true],
    ["denied: any value of a listed name", `denied_parameters = { "bar" = [] }`, { bar: "x" }, false],
    ["denied: other names pass", `denied_parameters = { "bar" = [] }`, { foo: "x" }, true],
    ["denied: listed value", `denied_parameters = { "bar" = ["zip"] }`, { bar: "zip" }, false],
    ["denied: other value passes", `denied_parameters = { "bar" = ["zip"] }`, { bar: "zap" }, true],
    ["denied: comma list holding a denied value", `denied_parameters = { "bar" = ["zip"] }`, { bar: "zap,zip" }, false],
    ["denied: array holding a denied value", `denied_parameters = { "bar" = ["zip"] }`, { bar: ["zap", "zip"] }, false],
    ["denied: * denies every field", `denied_parameters = { "*" = [] }`, { foo: 1 }, false],
    ["denied: * with no data passes", `denied_parameters = { "*" = [] }`, {}, true],
    ["denied: names are case-insensitive", `denied_parameters = { "bar" = [] }`, { BAR: 1 }, false],
    ["denied wins over allowed", `allowed_parameters = { "bar" = [] }\n denied_parameters = { "bar" = ["x"] }`, { bar: "x" }, false],
    ["required: present", `required_parameters = ["name"]`, { name: "x" }, true],
    ["required: missing", `required_parameters = ["name"]`, { other: "x" }, false],
    ["required: missing with no data", `required_parameters = ["name"]`, undefined, false],
  ];
  it.each(cases)("%s", (_name, extra, data, allowed) => {
    expect(check(`  ${extra}\n`, data)).toBe(allowed);
  });

  it("checks parameters only on operations that carry fields", () => {
    const extra = `  denied_parameters = { "*" = [] }\n  required_parameters = ["x"]\n`;
    expect(check(extra, { a: 1 }, "delete")).toBe(true);
    expect(check(extra, { a: 1 }, "list")).toBe(true);
    expect(check(extra, { a: 1 }, "read")).toBe(false);
    expect(check(extra, { a: 1 }, "create")).toBe(false);
    expect(check(extra, { a: 1 }, "patch")).toBe(false);
  });

  it("merges parameter lists across policies on one pattern", () => {
    const a = rule("p", ["update"], `  allowed_parameters = { "foo" = ["a"] }\n`);
    const b = rule("p", ["update"], `  allowed_parameters = { "foo" = ["b"] }\n`);
    const any = rule("p", ["update"], `  allowed_parameters = { "foo" = [] }\n`);
    const free = rule("p", ["update"]);
    const decide = (policies: string[], data: Record<string, unknown>) => aclOf(policies).check({ path: "p", operation: "update", data }).allowed;
    expect(decide([a, b], { foo: "a" })).toBe(true);
    expect(decide([a, b], { foo: "b" })).toBe(true);
    expect(decide([a, b], { foo: "c" })).toBe(false);
    expect(decide([a, any], { foo: "c" })).toBe(true);
    // As in Vault: an unconstrained rule does not lift another policy's constraint.
    expect(decide([a, free], { foo: "c" })).toBe(false);
    expect(decide([free, a], { foo: "c" })).toBe(false);
  });

  it("drops parameter constraints when a deny merges in", () => {
    const acl = aclOf([rule("p", ["update"], `  allowed_parameters = { "foo" = [] }\n`), rule("p", ["deny"])]);
    expect(acl.check({ path: "p", operation: "update", data: { foo: 1 } }).allowed).toBe(false);
    expect(acl.capabilities("p")).toEqual(["deny"]);
  });
});

describe("ACL wrapping TTL bounds", () => {
  const acl = aclOf([rule("w", ["read"], `  min_wrapping_ttl = "1m"\n  max_wrapping_ttl = "1h"\n`)]);
  it.each([
    [undefined, false],
    [30, false],
    [60, true],
    [120, true],
    [3600, true],
    [7200, false],
  ] as const)("wrap TTL %s -> %s", (wrapTtlSeconds, allowed) => {
    const request = wrapTtlSeconds === undefined ? { path: "w", operation: "read" as const } : { path: "w", operation: "read" as const, wrapTtlSeconds };
    expect(acl.check(request).allowed).toBe(allowed);
  });

  it("keeps the smaller bound when policies merge", () => {
    const merged = aclOf([rule("w", ["read"], `  max_wrapping_ttl = "1h"\n`), rule("w", ["read"], `  max_wrapping_ttl = "10m"\n`)]);
    expect(merged.check({ path: "w", operation: "read", wrapTtlSeconds: 900 }).allowed).toBe(false);
    expect(merged.check({ path: "w", operation: "read", wrapTtlSeconds: 300 }).allowed).toBe(true);
  });
});
