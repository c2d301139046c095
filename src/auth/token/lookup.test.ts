import { describe, expect, it } from "vitest";
import type { TokenEntry } from "../../core/tokens/token-entry.js";
import { lookupData } from "./lookup.js";

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

function entry(over: Partial<TokenEntry>): TokenEntry {
  return {
    hash: "h",
    accessor: "acc",
    parentHash: "",
    policies: ["default"],
    path: "auth/token/create",
    meta: null,
    displayName: "token",
    numUses: 0,
    creationTimeMs: T0,
    creationTtlSeconds: 3600,
    expireTimeMs: T0 + 3600_000,
    lastRenewalTimeMs: 0,
    explicitMaxTtlSeconds: 0,
    periodSeconds: 0,
    renewable: true,
    type: "service",
    entityId: "",
    authMountAccessor: "auth_token_1",
    internal: {},
    maxExpireTimeMs: 0,
    role: "",
    boundCidrs: [],
    ...over,
  };
}

describe("lookupData", () => {
  it("gives a root token no lease keys and null expire_time", () => {
    const root = entry({ path: "auth/token/root", policies: ["root"], expireTimeMs: 0, creationTtlSeconds: 0, renewable: false });
    const d = lookupData(root, "s3cret", T0 + 5000);
    expect(Object.keys(d)).toEqual([
      "accessor", "creation_time", "creation_ttl", "display_name", "entity_id", "expire_time",
      "explicit_max_ttl", "id", "meta", "num_uses", "orphan", "path", "policies", "ttl", "type",
    ]);
    expect(d).toMatchObject({ id: "s3cret", expire_time: null, ttl: 0, orphan: true, creation_time: T0 / 1000, meta: null });
  });

  it("gives a leased child issue_time, renewable, expire_time and the seconds left", () => {
    const d = lookupData(entry({ parentHash: "p", meta: { a: "b" } }), "tok", T0 + 600_500);
    expect(Object.keys(d)).toEqual([
      "accessor", "creation_time", "creation_ttl", "display_name", "entity_id", "expire_time",
      "explicit_max_ttl", "id", "issue_time", "meta", "num_uses", "orphan", "path", "policies",
      "renewable", "ttl", "type",
    ]);
    expect(d).toMatchObject({
      orphan: false,
      ttl: 2999,
      renewable: true,
      expire_time: "2024-01-01T13:00:00.000Z",
      issue_time: "2024-01-01T12:00:00.000Z",
      meta: { a: "b" },
    });
  });

  it("adds last_renewal keys only after a renewal, and role and period when set", () => {
    const d = lookupData(entry({ lastRenewalTimeMs: T0 + 60_000, role: "web", periodSeconds: 60 }), "", T0 + 61_000);
    expect(d).toMatchObject({ last_renewal_time: T0 / 1000 + 60, last_renewal: "2024-01-01T12:01:00.000Z", role: "web", period: 60, id: "" });
  });
});
