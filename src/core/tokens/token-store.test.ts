import { describe, expect, it } from "vitest";
import { InmemStorage } from "../../storage/inmem.js";
import type { TokenEntry } from "./token-entry.js";
import { REVOKED_USES, TokenStore, type NewTokenEntry } from "./token-store.js";

const NOW = Date.UTC(2030, 0, 1);

function entry(parentHash = ""): NewTokenEntry {
  return {
    parentHash,
    policies: ["default"],
    path: "auth/token/create",
    meta: null,
    displayName: "token",
    numUses: 0,
    creationTimeMs: NOW,
    creationTtlSeconds: 3600,
    expireTimeMs: NOW + 3_600_000,
    explicitMaxTtlSeconds: 0,
    periodSeconds: 0,
    renewable: true,
    type: "service",
    entityId: "",
    authMountAccessor: "",
    internal: {},
    maxExpireTimeMs: 0,
    role: "",
    boundCidrs: [],
  };
}

async function store() {
  const storage = new InmemStorage();
  const revokedLeasesOf: string[] = [];
  const s = new TokenStore(storage, {
    revokeLeasesOf: async (h) => void revokedLeasesOf.push(h),
    scheduleTokenExpiry: async () => undefined,
  });
  await s.load();
  return { s, storage, revokedLeasesOf };
}

describe("TokenStore tidy", () => {
  it("revokes the children of a parent whose revocation a crash interrupted", async () => {
    const { s, revokedLeasesOf } = await store();
    const parent = await s.create(entry());
    const child = await s.create(entry(parent.entry.hash));
    const grandchild = await s.create(entry(child.entry.hash));
    // The crash: the parent was marked revoked, nothing else happened.
    await s.save({ ...parent.entry, numUses: REVOKED_USES });
    expect(await s.lookup(child.token, NOW)).toBeDefined();
    const { removed } = await s.tidy();
    expect(removed).toBe(1);
    expect(await s.lookup(child.token, NOW)).toBeUndefined();
    expect(await s.lookup(grandchild.token, NOW)).toBeUndefined();
    expect(revokedLeasesOf).toEqual(expect.arrayContaining([parent.entry.hash, child.entry.hash, grandchild.entry.hash]));
    expect(await s.tidy()).toEqual({ removed: 0 });
  });

  it("revokes the children of a parent that is gone altogether, and leaves live trees alone", async () => {
    const { s, storage } = await store();
    const parent = await s.create(entry());
    const child = await s.create(entry(parent.entry.hash));
    const other = await s.create(entry());
    const otherChild = await s.create(entry(other.entry.hash));
    await storage.delete(`id/${parent.entry.hash}`);
    await s.load(); // drops the in-memory cache, as a restart would
    expect(await s.tidy()).toEqual({ removed: 1 });
    expect(await s.lookup(child.token, NOW)).toBeUndefined();
    expect(await s.lookup(otherChild.token, NOW)).toBeDefined();
    expect(await storage.list(`parent/${parent.entry.hash}/`)).toEqual([]);
  });
});

describe("TokenStore use", () => {
  it("counts uses down and marks the last one, which a tainted lookup still sees", async () => {
    const { s } = await store();
    const t = await s.create({ ...entry(), numUses: 2 });
    expect(await s.use(t.entry)).toBe("counted");
    expect((await s.lookup(t.token, NOW))?.numUses).toBe(1);
    expect(await s.use(t.entry)).toBe("last");
    expect(await s.lookup(t.token, NOW)).toBeUndefined();
    expect((await s.lookupByHash(t.entry.hash, NOW, true))?.numUses).toBe(REVOKED_USES);
    expect(await s.use(t.entry)).toBe("spent");
    await s.revokeTree(t.entry.hash);
    expect(await s.lookupByHash(t.entry.hash, NOW, true)).toBeUndefined();
  });

  it("gives the last use to one of two requests that looked the token up separately", async () => {
    const { s } = await store();
    const t = await s.create({ ...entry(), numUses: 1 });
    const first = await s.lookup(t.token, NOW);
    // A second lookup that missed the cache holds its own copy of the entry.
    const second = { ...(first as TokenEntry) };
    const uses = await Promise.all([s.use(first as TokenEntry), s.use(second)]);
    expect(uses.sort()).toEqual(["last", "spent"]);
  });

  it("counts on the stored entry when the cache no longer holds it", async () => {
    const { s, storage } = await store();
    const t = await s.create({ ...entry(), numUses: 1 });
    expect(await s.use({ ...t.entry })).toBe("last");
    // Another store over the same storage, as after the cache let the entry go.
    const fresh = new TokenStore(storage, { revokeLeasesOf: async () => undefined, scheduleTokenExpiry: async () => undefined });
    await fresh.load();
    expect(await fresh.use({ ...t.entry, numUses: 1 })).toBe("spent");
  });

  it("leaves unlimited tokens alone", async () => {
    const { s } = await store();
    const t = await s.create(entry());
    expect(await s.use(t.entry)).toBe("unlimited");
    expect((await s.lookup(t.token, NOW))?.numUses).toBe(0);
  });
});

describe("TokenStore batch tokens", () => {
  it("gives a batch token no accessor, as Vault: none shown, listed, indexed or accepted", async () => {
    const { s } = await store();
    const service = await s.create(entry());
    const batch = await s.create({ ...entry(), type: "batch", renewable: false });
    expect(batch.token.startsWith("hvb.")).toBe(true);
    expect(batch.entry.accessor).toBe("");
    expect(service.entry.accessor).not.toBe("");
    expect(await s.listAccessors()).toEqual([service.entry.accessor]);
    expect(await s.lookupAccessor("", NOW)).toBeUndefined();
    await s.revokeTree(batch.entry.hash);
    expect(await s.lookup(batch.token, NOW)).toBeUndefined();
    expect(await s.lookup(service.token, NOW)).toBeDefined();
  });
});

describe("TokenStore.peek", () => {
  it("answers from the cache for live tokens only, as lookup would", async () => {
    const { s } = await store();
    const made = await s.create(entry());
    expect(s.peek(made.token, NOW)?.hash).toBe(made.entry.hash);
    expect(s.peek(made.token, NOW + 3_600_000)).toBeUndefined(); // expired
    expect(s.peek("no-such-token", NOW)).toBeUndefined();
    expect(s.peek("", NOW)).toBeUndefined();
    await s.save({ ...made.entry, numUses: REVOKED_USES });
    expect(s.peek(made.token, NOW)).toBeUndefined();
    expect(await s.lookup(made.token, NOW)).toBeUndefined();
  });
});
