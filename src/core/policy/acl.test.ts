/**
 * Expectations come from Vault's policy documentation (concepts/policies: glob and `+`
 * examples, "priority matching", parameter constraints) and the rules in
 * shared/reference/vault-api.md section 4, not from this implementation.
 */
import { describe, it, expect } from "vitest";
import { compileAcl, defaultPolicy, parsePolicy, rootPolicy, type AclOperation, type PolicyIdentity } from "./index.js";

import { aclOf, rule } from "./acl-fixtures.js";

interface CapabilityCase {
  readonly name: string;
  readonly policies: readonly string[];
  readonly expect: readonly (readonly [string, readonly string[]])[];
}

const R = ["read"];

const capabilityCases: CapabilityCase[] = [
  {
    name: "an exact path matches only itself",
    policies: [rule("secret/foo", R)],
    expect: [
      ["secret/foo", R],
      ["secret/food", ["deny"]],
      ["secret/foo/bar", ["deny"]],
      ["secret", ["deny"]],
    ],
  },
  {
    name: "a trailing * matches by string prefix",
    policies: [rule("secret/bar/*", R), rule("secret/zip-*", R)],
    expect: [
      ["secret/bar/zip", R],
      ["secret/bar/zip/zap", R],
      ["secret/bar/", R],
      ["secret/bar", ["deny"]],
      ["secret/bars/zip", ["deny"]],
      ["secret/zip-zap", R],
      ["secret/zip-zap/zong", R],
      ["secret/zip/zap", ["deny"]],
    ],
  },
  {
    name: "+ matches exactly one segment",
    policies: [rule("secret/+/teamb", R), rule("kv/+/+/teamb", ["list"]), rule("db/+/teamb/*", ["update"])],
    expect: [
      ["secret/foo/teamb", R],
      ["secret//teamb", R],
      ["secret/foo/bar/teamb", ["deny"]],
      ["secret/foo/teamb/x", ["deny"]],
      ["secret/teamb", ["deny"]],
      ["kv/a/b/teamb", ["list"]],
      ["kv/a/teamb", ["deny"]],
      ["db/x/teamb/y", ["update"]],
      ["db/x/teamb/", ["update"]],
      ["db/x/teamb", ["deny"]],
    ],
  },
  {
    name: "a lone + or * at the root",
    policies: [rule("+", R), rule("*", ["list"])],
    expect: [
      ["sys", R], // "+" is not a prefix rule, so it beats "*" at the same position
      ["sys/mounts", ["list"]],
      // Vault splits "" into one empty segment, which "+" matches.
      ["", R],
    ],
  },
  {
    name: "an exact rule beats any wildcard, even a deny beats a broader grant",
    policies: [rule("secret/*", ["create", "read", "update"]), rule("secret/super-secret", ["deny"])],
    expect: [
      ["secret/super-secret", ["deny"]],
      ["secret/other", ["create", "read", "update"]],
    ],
  },
  {
    name: "an exact rule with no capabilities shadows a wildcard grant",
    policies: [rule("secret/*", R), rule("secret/locked", [])],
    expect: [
      ["secret/locked", ["deny"]],
      ["secret/open", R],
    ],
  },
  {
    name: "priority 1: the first wildcard appearing later wins",
    policies: [rule("secret/+/bar", R), rule("secret/foo/+", ["list"]), rule("foo/a*", ["update"]), rule("foo/+", ["delete"])],
    expect: [
      ["secret/foo/bar", ["list"]],
      ["secret/baz/bar", R],
      ["foo/abc", ["update"]], // foo/a* over foo/+
      ["foo/xyz", ["delete"]],
    ],
  },
  {
    name: "priority 2: a rule not ending in * wins",
    policies: [rule("foo/+/bar", R), rule("foo/+/ba*", ["list"]), rule("q/+", ["update"]), rule("q/*", ["delete"])],
    expect: [
      ["foo/x/bar", R],
      ["foo/x/baz", ["list"]],
      ["q/x", ["update"]], // q/+ over q/*
      ["q/x/y", ["delete"]],
    ],
  },
  {
    name: "priority 3: fewer + segments win",
    policies: [rule("secret/*", R), rule("secret/+/+/foo/*", ["list"]), rule("a/+/b/c", ["update"]), rule("a/+/+/c", ["delete"])],
    expect: [
      ["secret/a/b/foo/c", R],
      ["a/x/b/c", ["update"]],
      ["a/x/y/c", ["delete"]],
    ],
  },
  {
    name: "priority 4: the longer pattern wins",
    policies: [rule("foo/+/bar/ba*", R), rule("foo/+/bar/b*", ["list"])],
    expect: [
      ["foo/x/bar/baz", R],
      ["foo/x/bar/bz", ["list"]],
    ],
  },
  {
    name: "priority 5: the lexically greater pattern wins",
    policies: [rule("a/+/x/+", R), rule("a/+/+/y", ["list"])],
    expect: [["a/1/x/y", R]],
  },
  {
    name: "only the longest matching * rule competes with + rules",
    policies: [rule("secret/*", R), rule("secret/foo/*", ["list"]), rule("secret/+/bar", ["update"]), rule("a/*", R), rule("a/bc*", ["list"]), rule("a/+", ["update"])],
    expect: [
      ["secret/foo/bar", ["list"]], // secret/foo/* (first wildcard at 11) beats secret/+/bar (7)
      ["secret/baz/bar", ["update"]], // secret/* and secret/+/bar tie at 7: the non-* rule wins
      ["secret/baz/qux", R],
      ["a/bcd", ["list"]],
      ["a/x", ["update"]],
    ],
  },
  {
    name: "the same pattern in several policies merges capabilities",
    policies: [rule("secret/*", R), rule("secret/*", ["list"]), rule("secret/+/x", ["update"]), rule("secret/+/x", ["create"])],
    expect: [
      ["secret/a", ["list", "read"]],
      ["secret/a/x", ["create", "update"]],
    ],
  },
  {
    name: "different patterns never merge: the winning rule alone decides",
    policies: [rule("secret/foo", R), rule("secret/*", ["update"])],
    expect: [
      ["secret/foo", R],
      ["secret/bar", ["update"]],
    ],
  },
  {
    name: "deny in any policy wins on that pattern",
    policies: [rule("secret/*", ["read", "list"]), rule("secret/*", ["deny"]), rule("secret/*", ["update"]), rule("kv/x", ["read", "deny"])],
    expect: [
      ["secret/a", ["deny"]],
      ["kv/x", ["deny"]],
    ],
  },
  {
    name: "legacy policy = shorthand",
    policies: [
      `path "r/*" { policy = "read" }`,
      `path "w/*" { policy = "write" }`,
      `path "s/*" { policy = "sudo" }`,
      `path "d/*" { policy = "deny" }`,
      `path "m/*" {\n  policy = "read"\n  capabilities = ["update"]\n}`,
    ],
    expect: [
      ["r/x", ["list", "read"]],
      ["w/x", ["create", "delete", "list", "read", "update"]],
      ["s/x", ["create", "delete", "list", "read", "sudo", "update"]],
      ["d/x", ["deny"]],
      ["m/x", ["list", "read", "update"]],
    ],
  },
  {
    name: "JSON policies read as their HCL twins",
    policies: [
      '{"path": {"secret/*": {"policy": "write"}, "sys/*": {"capabilities": ["deny"]}}}',
      '{"path": {"kv/+/cfg": {"capabilities": ["read", "patch", "subscribe"]}}}',
    ],
    expect: [
      ["secret/a", ["create", "delete", "list", "read", "update"]],
      ["sys/mounts", ["deny"]],
      ["kv/app/cfg", ["patch", "read", "subscribe"]],
    ],
  },
  {
    name: "leading slashes are ignored on both sides",
    policies: [rule("/secret/a", R)],
    expect: [
      ["secret/a", R],
      ["//secret/a", R],
    ],
  },
];

describe("ACL capabilities (sys/capabilities semantics)", () => {
  for (const c of capabilityCases) {
    it(c.name, () => {
      const acl = aclOf(c.policies);
      const actual = c.expect.map(([path]) => [path, acl.capabilities(path)]);
      expect(actual).toEqual(c.expect.map(([p, caps]) => [p, [...caps]]));
    });
  }

  it("reports root for the root policy and deny with no policies", () => {
    const root = compileAcl([rootPolicy()]);
    expect(root.isRoot).toBe(true);
    expect(root.capabilities("anything/at/all")).toEqual(["root"]);
    expect(compileAcl([]).capabilities("secret/a")).toEqual(["deny"]);
    expect(compileAcl([]).isRoot).toBe(false);
  });

  it("falls back from a trailing slash to the bare path, as a list does", () => {
    const acl = aclOf([rule("secret/foo", ["list"])]);
    expect(acl.capabilities("secret/foo/")).toEqual(["list"]);
  });
});

describe("ACL check (operations)", () => {
  const cases: readonly (readonly [string, readonly string[], string, AclOperation, boolean])[] = [
    ["read granted", [rule("secret/*", R)], "secret/a", "read", true],
    ["update not implied by read", [rule("secret/*", R)], "secret/a", "update", false],
    ["patch needs patch, not update", [rule("secret/*", ["update"])], "secret/a", "patch", false],
    ["patch granted", [rule("secret/*", ["patch"])], "secret/a", "patch", true],
    ["create separate from update", [rule("secret/*", ["update"])], "secret/a", "create", false],
    ["renew, revoke and rollback check update", [rule("sys/leases/renew", ["update"])], "sys/leases/renew", "renew", true],
    ["list through an exact rule with a trailing slash", [rule("secret/foo", ["list"])], "secret/foo/", "list", true],
    ["read does not get the trailing-slash fallback", [rule("secret/foo", ["read"])], "secret/foo/", "read", false],
    ["list on a + rule with a trailing slash", [rule("secret/+/bar", ["list"])], "secret/x/bar/", "list", true],
    ["list with trailing slash on a * rule", [rule("secret/*", ["list"])], "secret/", "list", true],
    ["deny refuses every operation", [rule("secret/*", ["deny"])], "secret/a", "read", false],
    ["help is always allowed", [], "secret/a", "help", true],
    ["nothing matches", [rule("secret/*", R)], "other/a", "read", false],
  ];
  it.each(cases)("%s", (_name, policies, path, operation, allowed) => {
    expect(aclOf(policies).check({ path, operation }).allowed).toBe(allowed);
  });

  it("reports sudo separately from the decision", () => {
    const acl = aclOf([rule("sys/audit/*", ["update", "sudo"]), rule("sys/mounts", ["read"])]);
    expect(acl.check({ path: "sys/audit/file", operation: "update" })).toMatchObject({ allowed: true, sudo: true });
    expect(acl.check({ path: "sys/audit/file", operation: "read" })).toMatchObject({ allowed: false, sudo: true });
    expect(acl.check({ path: "sys/mounts", operation: "read" })).toMatchObject({ allowed: true, sudo: false });
  });

  it("lets root do anything with sudo", () => {
    const d = compileAcl([rootPolicy()]).check({ path: "sys/raw/x", operation: "delete", data: { x: 1 } });
    expect(d).toMatchObject({ allowed: true, sudo: true, isRoot: true });
  });

  it("names the policies that granted the operation", () => {
    const acl = compileAcl([parsePolicy("a", rule("s/*", ["read"])), parsePolicy("b", rule("s/*", ["list"])), parsePolicy("c", rule("s/*", ["read", "list"]))]);
    expect(acl.check({ path: "s/x", operation: "read" }).grantingPolicies).toEqual(["a", "c"]);
    expect(acl.check({ path: "s/x", operation: "list" }).grantingPolicies).toEqual(["b", "c"]);
  });

  it("gives a reason when refusing", () => {
    const acl = aclOf([rule("secret/*", R), rule("secret/x", ["deny"])]);
    expect(acl.check({ path: "nope", operation: "read" }).reason).toMatch(/no policy/);
    expect(acl.check({ path: "secret/x", operation: "read" }).reason).toMatch(/denied/);
    expect(acl.check({ path: "secret/y", operation: "update" }).reason).toMatch(/"update"/);
  });
});

describe("templated policies and the default policy", () => {
  const identity: PolicyIdentity = {
    entity: {
      id: "e-123",
      name: "alice",
      metadata: { team: "payments", bad: "x*" },
      aliases: [{ mountAccessor: "auth_userpass_1", id: "a-1", name: "alice-login" }],
    },
    groups: [{ id: "g-1", name: "ops" }],
  };

  it("fills identity directives per token and drops rules it cannot fill", () => {
    const text = [
      rule("secret/{{identity.entity.id}}/*", R),
      rule("team/{{identity.entity.metadata.team}}/*", ["list"]),
      rule("login/{{identity.entity.aliases.auth_userpass_1.name}}", ["update"]),
      rule("group/{{identity.groups.names.ops.id}}", ["create"]),
      rule("missing/{{identity.entity.metadata.nope}}", R),
      rule("wild/{{identity.entity.metadata.bad}}", R),
    ];
    const withEntity = aclOf(text, identity);
    expect(withEntity.capabilities("secret/e-123/x")).toEqual(R);
    expect(withEntity.capabilities("team/payments/a")).toEqual(["list"]);
    expect(withEntity.capabilities("login/alice-login")).toEqual(["update"]);
    expect(withEntity.capabilities("group/g-1")).toEqual(["create"]);
    expect(withEntity.capabilities("missing/")).toEqual(["deny"]);
    expect(withEntity.capabilities("wild/x*")).toEqual(["deny"]);
    const anonymous = aclOf(text);
    expect(anonymous.capabilities("secret/e-123/x")).toEqual(["deny"]);
    expect(parsePolicy("t", text[0] as string).templated).toBe(true);
  });

  it("grants what Vault's default policy grants", () => {
    const acl = compileAcl([defaultPolicy()], identity);
    const expectations: [string, string[]][] = [
      ["auth/token/lookup-self", ["read"]],
      ["auth/token/renew-self", ["update"]],
      ["auth/token/revoke-self", ["update"]],
      ["sys/capabilities-self", ["update"]],
      ["sys/leases/renew", ["update"]],
      ["sys/leases/lookup", ["update"]],
      ["sys/renew", ["update"]],
      ["cubbyhole/my/secret", ["create", "delete", "list", "read", "update"]],
      ["sys/wrapping/wrap", ["update"]],
      ["sys/wrapping/lookup", ["update"]],
      ["sys/wrapping/unwrap", ["update"]],
      ["sys/tools/hash", ["update"]],
      ["sys/tools/hash/sha2-256", ["update"]],
      ["sys/control-group/request", ["update"]],
      ["sys/internal/ui/resultant-acl", ["read"]],
      ["identity/entity/id/e-123", ["read"]],
      ["identity/entity/name/alice", ["read"]],
      ["identity/entity/id/someone-else", ["deny"]],
      ["identity/oidc/provider/default/authorize", ["read", "update"]],
      ["secret/data/anything", ["deny"]],
      ["sys/mounts", ["deny"]],
      ["auth/token/create", ["deny"]],
    ];
    expect(expectations.map(([p]) => [p, acl.capabilities(p)])).toEqual(expectations);
  });
});

describe("hasMountAccess", () => {
  it("sees a mount when any rule under it grants something", () => {
    const acl = aclOf([rule("secret/data/app/*", R), rule("kv/+/team", ["list"]), rule("locked/x", ["deny"]), rule("db/creds/app", ["read"])]);
    expect(acl.hasMountAccess("secret/")).toBe(true);
    expect(acl.hasMountAccess("kv")).toBe(true);
    expect(acl.hasMountAccess("db/")).toBe(true);
    expect(acl.hasMountAccess("locked/")).toBe(false);
    expect(acl.hasMountAccess("other/")).toBe(false);
    expect(compileAcl([rootPolicy()]).hasMountAccess("anything/")).toBe(true);
  });
});
