/**
 * The identity store's records as stored (JSON, behind the barrier, in the `identity/`
 * mount's storage). Field names are Mayfly's; `format.ts` renders Vault's.
 */

import type { PolicyIdentity } from "../policy/template.js";

export type StringMap = Record<string, string>;

/** An entity alias, or the alias of an external group (then `canonicalId` is the group's id). */
export interface AliasRecord {
  id: string;
  canonicalId: string;
  mountAccessor: string;
  name: string;
  /** Set by the auth method at login; null when it gave none. */
  metadata: StringMap | null;
  /** Set through the API only. */
  customMetadata: StringMap | null;
  mergedFromCanonicalIds: string[] | null;
  creationTimeMs: number;
  lastUpdateTimeMs: number;
}

export interface EntityRecord {
  id: string;
  name: string;
  metadata: StringMap | null;
  /** Sorted, without duplicates or blanks (Vault's RemoveDuplicates). */
  policies: string[];
  disabled: boolean;
  aliases: AliasRecord[];
  /** Entities merged into this one; their tokens now act as this entity. */
  mergedEntityIds: string[] | null;
  creationTimeMs: number;
  lastUpdateTimeMs: number;
}

export type GroupType = "internal" | "external";

export interface GroupRecord {
  id: string;
  name: string;
  type: GroupType;
  policies: string[] | null;
  metadata: StringMap | null;
  memberEntityIds: string[] | null;
  /**
   * Groups this one is a member of. Membership is stored on the member, as Vault does;
   * a group's `member_group_ids` is read from the reverse index.
   */
  parentGroupIds: string[] | null;
  /** External groups only. */
  alias: AliasRecord | null;
  modifyIndex: number;
  creationTimeMs: number;
  lastUpdateTimeMs: number;
}

/** What the request pipeline needs about a token's entity, computed once per identity change. */
export interface ResolvedIdentity {
  readonly entityId: string;
  readonly disabled: boolean;
  /** The entity's policies and those of every group it is in, directly or through parents; sorted. */
  readonly policies: readonly string[];
  readonly entity: EntityRecord;
  /** Direct groups first, then inherited ones. */
  readonly groups: readonly GroupRecord[];
  /** What templated policy rules are filled from. */
  readonly template: PolicyIdentity;
  /** A digest of `template`: part of the cache key of ACLs compiled for this identity. */
  readonly cacheKey: string;
}

/** How an auth method names the user it logged in (Vault's logical.Alias). */
export interface LoginAlias {
  readonly mountAccessor: string;
  readonly name: string;
  readonly metadata?: Readonly<StringMap>;
}

/** A mount as aliases show it: `mount_type`, and `mount_path` (`auth/userpass/`). */
export interface MountRef {
  readonly type: string;
  readonly path: string;
}

export type MountLookup = (mountAccessor: string) => MountRef | undefined;
