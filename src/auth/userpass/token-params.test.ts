import { describe, expect, it } from "vitest";
import { isMayflyError } from "../../framework/errors.js";
import { applyTokenFields, emptyTokenParams, tokenAuthSpec, tokenParamsData, type TokenFieldInput } from "./token-params.js";

function applied(input: TokenFieldInput) {
  const p = emptyTokenParams();
  applyTokenFields(p, input);
  return p;
}

function refusal(input: TokenFieldInput): string {
  try {
    applied(input);
  } catch (e) {
    if (isMayflyError(e) && e.status === 400) return e.errors[0] ?? "";
    throw e;
  }
  throw new Error("expected a refusal");
}

describe("token fields", () => {
  it("reads back unset fields as Vault's PopulateTokenData does", () => {
    expect(tokenParamsData(emptyTokenParams())).toEqual({
      token_bound_cidrs: [],
      token_explicit_max_ttl: 0,
      token_max_ttl: 0,
      token_no_default_policy: false,
      token_num_uses: 0,
      token_period: 0,
      token_policies: [],
      token_type: "default",
      token_ttl: 0,
    });
  });

  it("changes only what was sent", () => {
    const p = applied({ token_ttl: 60, token_max_ttl: 120, token_policies: ["a", "b"] });
    applyTokenFields(p, { token_num_uses: 3 });
    expect(p).toMatchObject({ ttlSeconds: 60, maxTtlSeconds: 120, policies: ["a", "b"], numUses: 3 });
  });

  it("accepts Vault's token types and refuses others", () => {
    expect(applied({ token_type: "batch" }).tokenType).toBe("batch");
    expect(applied({ token_type: "service" }).tokenType).toBe("service");
    expect(applied({ token_type: "" }).tokenType).toBe("default");
    expect(refusal({ token_type: "default-service" })).toBe(`invalid 'token_type' value "default-service"`);
  });

  it("refuses the combinations Vault refuses", () => {
    expect(refusal({ token_ttl: 200, token_max_ttl: 100 })).toBe("'token_ttl' cannot be greater than 'token_max_ttl'");
    expect(refusal({ token_type: "batch", token_period: 60 })).toBe(
      "'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens",
    );
    expect(refusal({ token_type: "batch", token_num_uses: 2 })).toBe(
      "'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count",
    );
    expect(refusal({ token_num_uses: -1 })).toBe("'token_num_uses' cannot be negative");
  });

  it("checks a new TTL against a max set earlier", () => {
    const p = applied({ token_max_ttl: 100 });
    expect(() => applyTokenFields(p, { token_ttl: 101 })).toThrow("'token_ttl' cannot be greater than 'token_max_ttl'");
  });

  it("accepts addresses and CIDR blocks, refuses anything else", () => {
    expect(applied({ token_bound_cidrs: ["10.0.0.0/8", "192.168.1.7", "::1/128"] }).boundCidrs).toEqual(["10.0.0.0/8", "192.168.1.7", "::1/128"]);
    expect(refusal({ token_bound_cidrs: ["10.0.0.0/33"] })).toContain("invalid address");
    expect(refusal({ token_bound_cidrs: ["not-an-ip"] })).toContain("invalid address");
  });

  it("turns the fields into a renewable login's AuthSpec", () => {
    const spec = tokenAuthSpec(applied({ token_ttl: 60, token_policies: ["dev"], token_no_default_policy: true, token_bound_cidrs: ["10.0.0.0/8"] }));
    expect(spec).toMatchObject({ ttlSeconds: 60, policies: ["dev"], noDefaultPolicy: true, boundCidrs: ["10.0.0.0/8"], renewable: true, tokenType: "default" });
  });
});
