import { describe, expect, it } from "vitest";
import { applyRoleWrite, effectiveRoleTtls, isValidRoleName, parseCidrs, roleResponseData } from "./role-model.js";

const MAX = 768 * 3600;

describe("applyRoleWrite", () => {
  it("creates with Vault's defaults", () => {
    const { role, warnings } = applyRoleWrite(undefined, "web", {}, MAX);
    expect(warnings).toEqual([]);
    expect(roleResponseData(role)).toEqual({
      allowed_entity_aliases: [],
      allowed_policies: [],
      allowed_policies_glob: [],
      disallowed_policies: [],
      disallowed_policies_glob: [],
      explicit_max_ttl: 0,
      name: "web",
      orphan: false,
      path_suffix: "",
      period: 0,
      renewable: true,
      token_explicit_max_ttl: 0,
      token_no_default_policy: false,
      token_period: 0,
      token_type: "default-service",
    });
  });

  it("sanitises policy lists and keeps unsent fields on update", () => {
    const first = applyRoleWrite(undefined, "web", { allowed_policies: ["B", " a", "a"], orphan: true }, MAX).role;
    expect(first.allowed_policies).toEqual(["a", "b"]);
    const second = applyRoleWrite(first, "web", { renewable: false }, MAX).role;
    expect(second.orphan).toBe(true);
    expect(second.allowed_policies).toEqual(["a", "b"]);
    expect(second.renewable).toBe(false);
  });

  it("maps the deprecated period onto token_period and prefers token_period when both come", () => {
    const legacy = applyRoleWrite(undefined, "r", { period: 60 }, MAX).role;
    expect(effectiveRoleTtls(legacy).periodSeconds).toBe(60);
    expect(roleResponseData(legacy)).toMatchObject({ period: 60, token_period: 60 });
    const both = applyRoleWrite(undefined, "r", { period: 60, token_period: 30 }, MAX);
    expect(effectiveRoleTtls(both.role).periodSeconds).toBe(30);
    expect(both.warnings).toEqual(["Both 'token_period' and deprecated 'period' value supplied, ignoring the deprecated value"]);
  });

  it("warns when the explicit max exceeds the mount's max", () => {
    const { warnings } = applyRoleWrite(undefined, "r", { token_explicit_max_ttl: MAX + 1 }, MAX);
    expect(warnings[0]).toContain(`Given explicit max TTL of ${MAX + 1} is greater than system/mount allowed value of ${MAX} seconds`);
  });

  it("refuses batch roles that would make non-orphan, renewable or periodic tokens", () => {
    expect(() => applyRoleWrite(undefined, "r", { token_type: "batch" }, MAX)).toThrow("non-orphan");
    expect(() => applyRoleWrite(undefined, "r", { token_type: "batch", orphan: true }, MAX)).toThrow("renewable");
    expect(() => applyRoleWrite(undefined, "r", { token_type: "batch", orphan: true, renewable: false, token_period: 5 }, MAX)).toThrow(
      "periodic",
    );
    const ok = applyRoleWrite(undefined, "r", { token_type: "batch", orphan: true, renewable: false }, MAX).role;
    expect(ok.token_type).toBe("batch");
  });

  it("refuses an unknown token type, a bad suffix and a negative use count", () => {
    expect(() => applyRoleWrite(undefined, "r", { token_type: "default" }, MAX)).toThrow(`invalid 'token_type' value "default"`);
    expect(() => applyRoleWrite(undefined, "r", { path_suffix: "v1" }, MAX)).toThrow("invalid characters");
    expect(() => applyRoleWrite(undefined, "r", { path_suffix: "abc..def" }, MAX)).toThrow("parent references");
    expect(() => applyRoleWrite(undefined, "r", { token_num_uses: -1 }, MAX)).toThrow("cannot be negative");
  });

  it("reports token_num_uses and CIDRs only when set", () => {
    const { role } = applyRoleWrite(undefined, "r", { token_num_uses: 3, token_bound_cidrs: ["10.0.0.0/8", "::1"] }, MAX);
    expect(roleResponseData(role)).toMatchObject({ token_num_uses: 3, token_bound_cidrs: ["10.0.0.0/8", "::1"] });
  });
});

describe("parseCidrs and names", () => {
  it("accepts addresses and blocks, refuses the rest", () => {
    expect(parseCidrs("f", ["127.0.0.1", " 10.1.0.0/16 ", "fe80::/10"])).toEqual(["127.0.0.1", "10.1.0.0/16", "fe80::/10"]);
    expect(() => parseCidrs("f", ["10.0.0.0/33"])).toThrow('error parsing f: invalid address "10.0.0.0/33"');
    expect(() => parseCidrs("f", ["example.com"])).toThrow("invalid address");
  });
  it("follows Vault's role name pattern", () => {
    expect(isValidRoleName("a")).toBe(true);
    expect(isValidRoleName("my-role.v2")).toBe(true);
    expect(isValidRoleName("-bad")).toBe(false);
    expect(isValidRoleName("bad-")).toBe(false);
    expect(isValidRoleName("")).toBe(false);
  });
});
