import { describe, expect, it } from "vitest";
import {
  globMatch,
  resolveTokenPolicies,
  sanitizePolicies,
  tokenDisplayName,
  type PolicyRequest,
  type RolePolicyLimits,
} from "./policy-rules.js";

const noRole: RolePolicyLimits = {
  allowedPolicies: [],
  disallowedPolicies: [],
  allowedPoliciesGlob: [],
  disallowedPoliciesGlob: [],
  tokenNoDefaultPolicy: false,
};

function req(over: Partial<PolicyRequest>): PolicyRequest {
  return { requested: [], noDefaultPolicy: false, parentPolicies: ["default", "dev"], callerHasSudo: false, ...over };
}

describe("sanitizePolicies", () => {
  it("trims, lowercases, dedupes and sorts", () => {
    expect(sanitizePolicies([" B", "a", "b", ""], false)).toEqual(["a", "b"]);
  });
  it("adds default when asked", () => {
    expect(sanitizePolicies(["x"], true)).toEqual(["default", "x"]);
  });
  it("root swallows everything, default included", () => {
    expect(sanitizePolicies(["x", "ROOT"], true)).toEqual(["root"]);
  });
});

describe("globMatch", () => {
  it.each([
    ["dev-*", "dev-a", true],
    ["dev-*", "prod-a", false],
    ["*-ro", "kv-ro", true],
    ["a*b*c", "aXXbYYc", true],
    ["a*b*c", "aXXcYYb", false],
    ["ab*ba", "aba", false],
    ["exact", "exact", true],
    ["exact", "exactly", false],
  ])("%s vs %s", (p, s, want) => {
    expect(globMatch(p, s)).toBe(want);
  });
});

describe("tokenDisplayName", () => {
  it("defaults to token", () => expect(tokenDisplayName("")).toBe("token"));
  it("prefixes token- and replaces other characters with -", () => {
    expect(tokenDisplayName("my app@prod")).toBe("token-my-app-prod");
  });
  it("drops one trailing dash, keeps case", () => {
    expect(tokenDisplayName("Web.")).toBe("token-Web");
  });
  it("replaces a non-BMP character with a single dash", () => {
    expect(tokenDisplayName("a😀b")).toBe("token-a-b");
  });
});

describe("resolveTokenPolicies without a role", () => {
  it("inherits the parent's policies when none are asked for", () => {
    expect(resolveTokenPolicies(req({}))).toEqual(["default", "dev"]);
  });
  it("does not add default to an inheriting child of a parent without it", () => {
    expect(resolveTokenPolicies(req({ parentPolicies: ["dev"] }))).toEqual(["dev"]);
  });
  it("refuses a policy the parent lacks", () => {
    expect(() => resolveTokenPolicies(req({ requested: ["admin"] }))).toThrow("child policies must be subset of parent");
  });
  it("a subset gets default only when the parent has it", () => {
    expect(resolveTokenPolicies(req({ requested: ["dev"] }))).toEqual(["default", "dev"]);
    expect(resolveTokenPolicies(req({ requested: ["dev"], parentPolicies: ["dev"] }))).toEqual(["dev"]);
  });
  it("sudo lifts the subset rule and adds default", () => {
    expect(resolveTokenPolicies(req({ requested: ["admin"], callerHasSudo: true }))).toEqual(["admin", "default"]);
  });
  it("no_default_policy strips default even when inherited", () => {
    expect(resolveTokenPolicies(req({ noDefaultPolicy: true }))).toEqual(["dev"]);
  });
  it("root needs a root parent, even with sudo", () => {
    expect(() => resolveTokenPolicies(req({ requested: ["root"], callerHasSudo: true }))).toThrow(
      "root tokens may not be created without parent token being root",
    );
    expect(resolveTokenPolicies(req({ requested: ["root"], parentPolicies: ["root"], callerHasSudo: true }))).toEqual(["root"]);
  });
  it("refuses reserved policies", () => {
    expect(() => resolveTokenPolicies(req({ requested: ["response-wrapping"], callerHasSudo: true }))).toThrow(
      'cannot assign policy "response-wrapping"',
    );
  });
  it("a role without limits still applies the subset rule", () => {
    expect(() => resolveTokenPolicies(req({ requested: ["admin"], role: noRole }))).toThrow("subset of parent");
  });
});

describe("resolveTokenPolicies with a role", () => {
  const role: RolePolicyLimits = { ...noRole, allowedPolicies: ["admin", "ops"] };
  it("defaults to the allowed policies plus default", () => {
    expect(resolveTokenPolicies(req({ role }))).toEqual(["admin", "default", "ops"]);
  });
  it("lets the role grant policies the parent lacks", () => {
    expect(resolveTokenPolicies(req({ requested: ["admin"], role }))).toEqual(["admin", "default"]);
  });
  it("refuses a policy outside the allowed list", () => {
    expect(() => resolveTokenPolicies(req({ requested: ["dev"], role }))).toThrow(
      `token policies (["default" "dev"]) must be subset of the role's allowed policies (["admin" "default" "ops"]) or glob policies ([])`,
    );
  });
  it("accepts a policy matched by an allowed glob", () => {
    const globRole = { ...role, allowedPoliciesGlob: ["team-*"] };
    expect(resolveTokenPolicies(req({ requested: ["team-a"], role: globRole }))).toEqual(["default", "team-a"]);
  });
  it("refuses a disallowed policy, and inherits from the parent with only a deny list", () => {
    const deny = { ...noRole, disallowedPolicies: ["dev"] };
    expect(() => resolveTokenPolicies(req({ role: deny }))).toThrow('token policy "dev" is disallowed by this role');
    expect(resolveTokenPolicies(req({ role: deny, parentPolicies: ["ops"] }))).toEqual(["default", "ops"]);
  });
  it("a role that disallows default keeps it out", () => {
    const deny = { ...role, disallowedPolicies: ["default"] };
    expect(resolveTokenPolicies(req({ role: deny }))).toEqual(["admin", "ops"]);
  });
  it("token_no_default_policy keeps default out of the role's set", () => {
    expect(resolveTokenPolicies(req({ role: { ...role, tokenNoDefaultPolicy: true } }))).toEqual(["admin", "ops"]);
  });
});
