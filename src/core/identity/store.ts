/**
 * Persistence of the identity store: entities (with their aliases) and groups as JSON
 * records, and the indexes that find them without a scan, all in the `identity/` mount's
 * storage. Every change is one storage transaction (record and index entries together), and
 * changes run one at a time, so two logins of a new user cannot both create an entity.
 */
import type { Storage, StorageOp } from "../../storage/storage.js";
import { getJson, jsonPut } from "../../storage/storage.js";
import { KeyedLock } from "../expiration/concurrency.js";
import type { AliasRecord, EntityRecord, GroupRecord, ResolvedIdentity } from "./types.js";

const ENTITY = "entity/";
const GROUP = "group/";
const ENTITY_NAME = "index/entity-name/";
const ENTITY_MERGED = "index/entity-merged/";
const ALIAS_FACTORS = "index/alias-factors/";
const ALIAS_ID = "index/alias-id/";
const GROUP_NAME = "index/group-name/";
const GROUP_ALIAS_FACTORS = "index/group-alias-factors/";
const GROUP_ALIAS_ID = "index/group-alias-id/";
/** `<entity id>/<group id>`: the groups that list an entity in `member_entity_ids`. */
const ENTITY_GROUPS = "index/entity-groups/";
/** `<parent id>/<child id>`: the groups that list a group in `parent_group_ids`. */
const GROUP_CHILDREN = "index/group-children/";

/** Resolved identities kept at most; cleared wholesale beyond (writes clear it anyway). */
const RESOLVED_CACHE_LIMIT = 10_000;

interface IdRef {
  id: string;
}
interface AliasRef {
  id: string;
  canonicalId: string;
}

/** A storage key segment for any string: names may hold `/`. */
export function keyPart(s: string): string {
  return encodeURIComponent(s);
}

/** Identity names and alias names match case-insensitively, as Vault's indexes do by default. */
export function nameKey(name: string): string {
  return keyPart(name.toLowerCase());
}

function factorsKey(mountAccessor: string, name: string): string {
  return `${keyPart(mountAccessor)}/${nameKey(name)}`;
}

const DELETE = (key: string): StorageOp => ({ op: "delete", key });

/**
 * Several records' operations as one transaction: deletions first, so an index entry one
 * record gives up and another takes (an alias moving between entities) ends up written.
 */
export function combineOps(...lists: readonly (readonly StorageOp[])[]): StorageOp[] {
  const all = lists.flat();
  return [...all.filter((o) => o.op === "delete"), ...all.filter((o) => o.op === "put")];
}

export class IdentityStore {
  private storage: Storage | undefined;
  private readonly writeLock = new KeyedLock();
  private generation = 0;
  private readonly resolvedCache = new Map<string, ResolvedIdentity>();

  constructor(readonly nowMs: () => number) {}

  /** The identity mount hands over its storage when it is activated (after unseal). */
  attach(storage: Storage): void {
    this.storage = storage;
    this.invalidate();
  }

  detach(): void {
    this.storage = undefined;
    this.invalidate();
  }

  get attached(): boolean {
    return this.storage !== undefined;
  }

  private get s(): Storage {
    if (!this.storage) throw new Error("the identity store is not mounted");
    return this.storage;
  }

  /** Runs a change alone; whatever it wrote is seen by the next request (caches dropped). */
  async change<T>(fn: () => Promise<T>): Promise<T> {
    return this.writeLock.run("identity", async () => {
      try {
        return await fn();
      } finally {
        this.invalidate();
      }
    });
  }

  /** Writes several records' operations in one transaction (see combineOps). */
  async commit(...lists: readonly (readonly StorageOp[])[]): Promise<void> {
    const ops = combineOps(...lists);
    if (ops.length > 0) await this.s.transaction(ops);
  }

  // ---- resolved identities (see resolve.ts) ----

  /** Bumped by every change: a resolution started before a change is not cached. */
  get currentGeneration(): number {
    return this.generation;
  }

  cachedResolution(entityId: string): ResolvedIdentity | undefined {
    return this.resolvedCache.get(entityId);
  }

  cacheResolution(r: ResolvedIdentity, generation: number): void {
    if (generation !== this.generation) return;
    if (this.resolvedCache.size >= RESOLVED_CACHE_LIMIT) this.resolvedCache.clear();
    this.resolvedCache.set(r.entityId, r);
  }

  private invalidate(): void {
    this.generation++;
    this.resolvedCache.clear();
  }

  // ---- reads ----

  entity(id: string): Promise<EntityRecord | undefined> {
    if (id === "") return Promise.resolve(undefined);
    return getJson<EntityRecord>(this.s, ENTITY + keyPart(id));
  }

  async entityByName(name: string): Promise<EntityRecord | undefined> {
    if (name === "") return undefined;
    const ref = await getJson<IdRef>(this.s, ENTITY_NAME + nameKey(name));
    return ref ? this.entity(ref.id) : undefined;
  }

  /** The entity another was merged into: tokens of the merged entity act as this one. */
  async entityByMergedId(id: string): Promise<EntityRecord | undefined> {
    if (id === "") return undefined;
    const ref = await getJson<IdRef>(this.s, ENTITY_MERGED + keyPart(id));
    return ref ? this.entity(ref.id) : undefined;
  }

  async entityIds(): Promise<string[]> {
    return (await this.s.list(ENTITY)).filter((k) => !k.endsWith("/")).map(decodeURIComponent);
  }

  async aliasById(id: string): Promise<{ alias: AliasRecord; entity: EntityRecord } | undefined> {
    if (id === "") return undefined;
    const ref = await getJson<{ canonicalId: string }>(this.s, ALIAS_ID + keyPart(id));
    if (!ref) return undefined;
    const entity = await this.entity(ref.canonicalId);
    const alias = entity?.aliases.find((a) => a.id === id);
    return entity && alias ? { alias, entity } : undefined;
  }

  async aliasByFactors(mountAccessor: string, name: string): Promise<{ alias: AliasRecord; entity: EntityRecord } | undefined> {
    const ref = await getJson<AliasRef>(this.s, ALIAS_FACTORS + factorsKey(mountAccessor, name));
    return ref ? this.aliasById(ref.id) : undefined;
  }

  group(id: string): Promise<GroupRecord | undefined> {
    if (id === "") return Promise.resolve(undefined);
    return getJson<GroupRecord>(this.s, GROUP + keyPart(id));
  }

  async groupByName(name: string): Promise<GroupRecord | undefined> {
    if (name === "") return undefined;
    const ref = await getJson<IdRef>(this.s, GROUP_NAME + nameKey(name));
    return ref ? this.group(ref.id) : undefined;
  }

  async groupIds(): Promise<string[]> {
    return (await this.s.list(GROUP)).filter((k) => !k.endsWith("/")).map(decodeURIComponent);
  }

  async groupAliasById(id: string): Promise<{ alias: AliasRecord; group: GroupRecord } | undefined> {
    if (id === "") return undefined;
    const ref = await getJson<{ canonicalId: string }>(this.s, GROUP_ALIAS_ID + keyPart(id));
    if (!ref) return undefined;
    const group = await this.group(ref.canonicalId);
    return group?.alias && group.alias.id === id ? { alias: group.alias, group } : undefined;
  }

  async groupAliasByFactors(mountAccessor: string, name: string): Promise<{ alias: AliasRecord; group: GroupRecord } | undefined> {
    const ref = await getJson<AliasRef>(this.s, GROUP_ALIAS_FACTORS + factorsKey(mountAccessor, name));
    return ref ? this.groupAliasById(ref.id) : undefined;
  }

  /** Groups listing the entity in `member_entity_ids`. */
  async directGroupIds(entityId: string): Promise<string[]> {
    return (await this.s.list(`${ENTITY_GROUPS}${keyPart(entityId)}/`)).map(decodeURIComponent);
  }

  /** Groups listing `groupId` among their parents: its `member_group_ids`. */
  async memberGroupIds(groupId: string): Promise<string[]> {
    return (await this.s.list(`${GROUP_CHILDREN}${keyPart(groupId)}/`)).map(decodeURIComponent);
  }

  // ---- changes as storage operations ----

  /** Operations that replace `prev` by `next` (either may be absent), indexes included. */
  entityOps(prev: EntityRecord | undefined, next: EntityRecord | undefined): StorageOp[] {
    const ops: StorageOp[] = [];
    const id = (next ?? prev)?.id;
    if (id === undefined) return ops;
    if (prev && (!next || nameKey(prev.name) !== nameKey(next.name))) ops.push(DELETE(ENTITY_NAME + nameKey(prev.name)));
    const keep = new Set((next?.aliases ?? []).map((a) => `${a.id}\n${factorsKey(a.mountAccessor, a.name)}`));
    for (const a of prev?.aliases ?? []) {
      if (keep.has(`${a.id}\n${factorsKey(a.mountAccessor, a.name)}`)) continue;
      ops.push(DELETE(ALIAS_FACTORS + factorsKey(a.mountAccessor, a.name)));
      if (!next?.aliases.some((b) => b.id === a.id)) ops.push(DELETE(ALIAS_ID + keyPart(a.id)));
    }
    for (const m of prev?.mergedEntityIds ?? []) if (!next?.mergedEntityIds?.includes(m)) ops.push(DELETE(ENTITY_MERGED + keyPart(m)));
    if (!next) {
      ops.push(DELETE(ENTITY + keyPart(id)));
      return ops;
    }
    ops.push(jsonPut(ENTITY + keyPart(id), next));
    ops.push(jsonPut(ENTITY_NAME + nameKey(next.name), { id } satisfies IdRef));
    for (const a of next.aliases) {
      ops.push(jsonPut(ALIAS_FACTORS + factorsKey(a.mountAccessor, a.name), { id: a.id, canonicalId: id } satisfies AliasRef));
      ops.push(jsonPut(ALIAS_ID + keyPart(a.id), { canonicalId: id }));
    }
    for (const m of next.mergedEntityIds ?? []) ops.push(jsonPut(ENTITY_MERGED + keyPart(m), { id } satisfies IdRef));
    return ops;
  }

  /** Operations that replace `prev` by `next` (either may be absent), indexes included. */
  groupOps(prev: GroupRecord | undefined, next: GroupRecord | undefined): StorageOp[] {
    const ops: StorageOp[] = [];
    const id = (next ?? prev)?.id;
    if (id === undefined) return ops;
    if (prev && (!next || nameKey(prev.name) !== nameKey(next.name))) ops.push(DELETE(GROUP_NAME + nameKey(prev.name)));
    for (const e of prev?.memberEntityIds ?? []) {
      if (!next?.memberEntityIds?.includes(e)) ops.push(DELETE(`${ENTITY_GROUPS}${keyPart(e)}/${keyPart(id)}`));
    }
    for (const p of prev?.parentGroupIds ?? []) {
      if (!next?.parentGroupIds?.includes(p)) ops.push(DELETE(`${GROUP_CHILDREN}${keyPart(p)}/${keyPart(id)}`));
    }
    const pa = prev?.alias;
    if (pa) {
      const na = next?.alias;
      if (!na || factorsKey(na.mountAccessor, na.name) !== factorsKey(pa.mountAccessor, pa.name)) {
        ops.push(DELETE(GROUP_ALIAS_FACTORS + factorsKey(pa.mountAccessor, pa.name)));
      }
      if (!na || na.id !== pa.id) ops.push(DELETE(GROUP_ALIAS_ID + keyPart(pa.id)));
    }
    if (!next) {
      ops.push(DELETE(GROUP + keyPart(id)));
      return ops;
    }
    ops.push(jsonPut(GROUP + keyPart(id), next));
    ops.push(jsonPut(GROUP_NAME + nameKey(next.name), { id } satisfies IdRef));
    for (const e of next.memberEntityIds ?? []) ops.push(jsonPut(`${ENTITY_GROUPS}${keyPart(e)}/${keyPart(id)}`, {}));
    for (const p of next.parentGroupIds ?? []) ops.push(jsonPut(`${GROUP_CHILDREN}${keyPart(p)}/${keyPart(id)}`, {}));
    if (next.alias) {
      const a = next.alias;
      ops.push(jsonPut(GROUP_ALIAS_FACTORS + factorsKey(a.mountAccessor, a.name), { id: a.id, canonicalId: id } satisfies AliasRef));
      ops.push(jsonPut(GROUP_ALIAS_ID + keyPart(a.id), { canonicalId: id }));
    }
    return ops;
  }
}
