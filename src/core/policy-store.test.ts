import { describe, expect, it } from "vitest";
import { InmemStorage } from "../storage/inmem.js";
import { PolicyStore } from "./policy-store.js";

const identity = (name: string, cacheKey = name) => ({ cacheKey, template: { entity: { id: `id-${name}`, name } } });

describe("PolicyStore.acl with identities", () => {
  it("fills templated rules from the identity and caches one ACL per identity", async () => {
    const store = new PolicyStore(new InmemStorage());
    await store.load();
    await store.write("own", `path "secret/data/{{identity.entity.name}}/*" { capabilities = ["read"] }`);
    const alice = await store.acl(["own"], identity("alice"));
    const bob = await store.acl(["own"], identity("bob"));
    expect(alice.check({ path: "secret/data/alice/x", operation: "read" }).allowed).toBe(true);
    expect(alice.check({ path: "secret/data/bob/x", operation: "read" }).allowed).toBe(false);
    expect(bob.check({ path: "secret/data/bob/x", operation: "read" }).allowed).toBe(true);
    expect(await store.acl(["own"], identity("alice"))).toBe(alice);
    // Without an identity the templated rule grants nothing, and that ACL is not the identities'.
    const none = await store.acl(["own"]);
    expect(none.check({ path: "secret/data/alice/x", operation: "read" }).allowed).toBe(false);
    expect(await store.acl(["own"], identity("alice"))).toBe(alice);
  });

  it("shares the ACL of policies without templates between identities", async () => {
    const store = new PolicyStore(new InmemStorage());
    await store.load();
    await store.write("plain", `path "secret/*" { capabilities = ["read"] }`);
    const a = await store.acl(["plain"], identity("a"));
    expect(await store.acl(["plain"], identity("b"))).toBe(a);
    expect(await store.acl(["plain"])).toBe(a);
  });

  it("recompiles when a policy changes", async () => {
    const store = new PolicyStore(new InmemStorage());
    await store.load();
    await store.write("own", `path "kv/{{identity.entity.name}}" { capabilities = ["read"] }`);
    const before = await store.acl(["own"], identity("alice"));
    await store.write("own", `path "kv/{{identity.entity.name}}" { capabilities = ["update"] }`);
    const after = await store.acl(["own"], identity("alice"));
    expect(after).not.toBe(before);
    expect(after.check({ path: "kv/alice", operation: "update" }).allowed).toBe(true);
  });
});

describe("PolicyStore.cachedAcl", () => {
  it("answers only for a compiled, untemplated set, and forgets it when a policy changes", async () => {
    const store = new PolicyStore(new InmemStorage());
    await store.load();
    await store.write("plain", `path "secret/*" { capabilities = ["read"] }`);
    await store.write("own", `path "kv/{{identity.entity.name}}" { capabilities = ["read"] }`);
    expect(store.cachedAcl(["plain"])).toBeUndefined();
    const acl = await store.acl(["plain"]);
    expect(store.cachedAcl(["plain"])).toBe(acl);
    await store.acl(["own"], identity("alice"));
    expect(store.cachedAcl(["own"])).toBeUndefined();
    await store.write("plain", `path "secret/*" { capabilities = ["deny"] }`);
    expect(store.cachedAcl(["plain"])).toBeUndefined();
  });
});
