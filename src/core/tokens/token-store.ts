import { createHmac, randomBytes } from "node:crypto";
import { randomBase62 } from "../../framework/random.js";
import type { Storage } from "../../storage/storage.js";
import { getJson, jsonPut } from "../../storage/storage.js";
import { badRequest } from "../../framework/errors.js";
import type { TokenEntry } from "./token-entry.js";

const SALT_KEY = "salt";
const ID_PREFIX = "id/";
const ACCESSOR_PREFIX = "accessor/";
const PARENT_PREFIX = "parent/";
/** Tokens by the auth mount that issued them, so disabling a method logs its users out. */
const MOUNT_PREFIX = "mount/";
const CACHE_LIMIT = 20_000;
/** Marks an entry whose revocation has begun: it no longer authenticates anything. */
export const REVOKED_USES = -1;

export interface TokenHooks {
  /** Revokes every lease the token owns (those that fail stay queued for retry). */
  revokeLeasesOf(tokenHash: string): Promise<void>;
  /** Keeps the expiry schedule in step with the token's expiry (0 = none). */
  scheduleTokenExpiry(tokenHash: string, expireTimeMs: number): Promise<void>;
  /** Drops per-token state elsewhere (cubbyhole). */
  onTokenDeleted?(tokenHash: string): Promise<void>;
}

export type NewTokenEntry = Omit<TokenEntry, "hash" | "accessor" | "lastRenewalTimeMs">;

/** What counting one use of a token found: see `TokenStore.use`. */
export type TokenUse = "unlimited" | "counted" | "last" | "spent";

/**
 * Tokens under a keyed hash (HMAC-SHA256 with a key kept behind the barrier), so the
 * storage never holds a usable token. Accessors are indexed the same way.
 */
export class TokenStore {
  private saltKey: Buffer | undefined;
  private readonly cache = new Map<string, TokenEntry>();
  private readonly hashes = new Map<string, string>();

  constructor(
    private readonly storage: Storage,
    private readonly hooks: TokenHooks,
  ) {}

  async load(): Promise<void> {
    let salt = await this.storage.get(SALT_KEY);
    if (!salt) {
      salt = randomBytes(32);
      await this.storage.put(SALT_KEY, salt);
    }
    this.saltKey = salt;
    this.cache.clear();
    this.hashes.clear();
  }

  unload(): void {
    this.saltKey?.fill(0);
    this.saltKey = undefined;
    this.cache.clear();
    this.hashes.clear();
  }

  hashToken(token: string): string {
    if (!this.saltKey) throw new Error("token store is not loaded");
    // The HMAC costs more than the rest of a token lookup; the request carries the token
    // anyway, so remembering which hash it has adds nothing an attacker could not read.
    const known = this.hashes.get(token);
    if (known !== undefined) return known;
    const hash = createHmac("sha256", this.saltKey).update(token).digest("hex");
    if (this.hashes.size >= CACHE_LIMIT) this.hashes.clear();
    this.hashes.set(token, hash);
    return hash;
  }

  private hashAccessor(accessor: string): string {
    if (!this.saltKey) throw new Error("token store is not loaded");
    return createHmac("sha256", this.saltKey).update("accessor:" + accessor).digest("hex");
  }

  /** Creates and stores a token; `id` lets dev mode and tests choose the root token. */
  async create(entry: NewTokenEntry, id?: string): Promise<{ token: string; entry: TokenEntry }> {
    const token = id ?? (entry.type === "batch" ? "hvb." : "hvs.") + randomBase62(24);
    if (id !== undefined && (id.length < 1 || id.length > 512 || /\s/.test(id))) {
      throw badRequest("token id must be 1 to 512 characters without whitespace");
    }
    const hash = this.hashToken(token);
    if (await this.storage.get(ID_PREFIX + hash)) throw badRequest("cannot create a token with a duplicate ID");
    // Vault's batch tokens have no accessor: none is shown, listed or accepted.
    const accessor = entry.type === "batch" ? "" : randomBase62(24);
    const full: TokenEntry = { ...entry, hash, accessor, lastRenewalTimeMs: 0 };
    const ops = [jsonPut(ID_PREFIX + hash, full)];
    if (accessor !== "") ops.push(jsonPut(ACCESSOR_PREFIX + this.hashAccessor(accessor), { hash }));
    if (full.parentHash) ops.push(jsonPut(`${PARENT_PREFIX}${full.parentHash}/${hash}`, {}));
    if (full.authMountAccessor) ops.push(jsonPut(`${MOUNT_PREFIX}${full.authMountAccessor}/${hash}`, {}));
    await this.storage.transaction(ops);
    this.remember(full);
    if (full.expireTimeMs > 0) await this.hooks.scheduleTokenExpiry(hash, full.expireTimeMs);
    return { token, entry: full };
  }

  /** The live entry for a token, or undefined when unknown, expired, used up or revoked. */
  async lookup(token: string, nowMs: number): Promise<TokenEntry | undefined> {
    if (token === "" || token.length > 1024) return undefined;
    return this.lookupByHash(this.hashToken(token), nowMs);
  }

  /** lookup()'s answer when the token's entry is cached and live, without a promise; else undefined. */
  peek(token: string, nowMs: number): TokenEntry | undefined {
    if (token === "" || token.length > 1024) return undefined;
    const entry = this.cache.get(this.hashToken(token));
    return entry === undefined ? undefined : liveEntry(entry, nowMs, false);
  }

  /**
   * `pendingToo` also returns an entry whose revocation has begun but not finished: Vault's
   * "tainted" lookup, which is how a token's last request still sees the token it runs as.
   */
  async lookupByHash(hash: string, nowMs: number, pendingToo = false): Promise<TokenEntry | undefined> {
    let entry = this.cache.get(hash);
    if (!entry) {
      entry = await getJson<TokenEntry>(this.storage, ID_PREFIX + hash);
      if (!entry) return undefined;
      this.remember(entry);
    }
    return liveEntry(entry, nowMs, pendingToo);
  }

  async lookupAccessor(accessor: string, nowMs: number): Promise<TokenEntry | undefined> {
    if (accessor === "" || accessor.length > 256) return undefined;
    const idx = await getJson<{ hash: string }>(this.storage, ACCESSOR_PREFIX + this.hashAccessor(accessor));
    return idx ? this.lookupByHash(idx.hash, nowMs) : undefined;
  }

  /**
   * Counts one use of a token the request looked up. On `"last"` the caller serves the
   * request, then revokes the token (Vault serves the final use); on `"spent"` a parallel
   * request took the last use, or the token was revoked, since the lookup.
   */
  async use(entry: TokenEntry): Promise<TokenUse> {
    if (entry.numUses === 0) return "unlimited";
    // Count on the one shared entry, with no await between the check and the count, so
    // parallel requests take turns even when each looked the token up on its own.
    let current = this.cache.get(entry.hash);
    if (!current) {
      const stored = await getJson<TokenEntry>(this.storage, ID_PREFIX + entry.hash);
      current = this.cache.get(entry.hash) ?? stored;
      if (!current) return "spent";
      this.remember(current);
    }
    if (current.numUses === REVOKED_USES) return "spent";
    if (current.numUses === 0) return "unlimited";
    current.numUses -= 1;
    const last = current.numUses === 0;
    // The last use marks the token revoked at once: nothing else may authenticate with it.
    if (last) current.numUses = REVOKED_USES;
    await this.save(current);
    return last ? "last" : "counted";
  }

  async save(entry: TokenEntry): Promise<void> {
    await this.storage.transaction([jsonPut(ID_PREFIX + entry.hash, entry)]);
    this.remember(entry);
  }

  async setExpiry(entry: TokenEntry, expireTimeMs: number, nowMs: number): Promise<void> {
    entry.expireTimeMs = expireTimeMs;
    entry.lastRenewalTimeMs = nowMs;
    await this.save(entry);
    await this.hooks.scheduleTokenExpiry(entry.hash, expireTimeMs);
  }

  async children(parentHash: string): Promise<string[]> {
    const out: string[] = [];
    let after = "";
    for (;;) {
      const page = await this.storage.listPage(`${PARENT_PREFIX}${parentHash}/`, after, 1000);
      out.push(...page);
      if (page.length < 1000) return out;
      after = page[page.length - 1] ?? "";
    }
  }

  /** Revokes a token and all its descendants, leases included, deepest first. */
  async revokeTree(hash: string): Promise<void> {
    await this.markRevoked(hash);
    for (const child of await this.children(hash)) await this.revokeTree(child);
    await this.destroy(hash);
  }

  /** Revokes every token an auth mount issued, with their children and leases. */
  async revokeByAuthMount(accessor: string): Promise<void> {
    const prefix = `${MOUNT_PREFIX}${accessor}/`;
    for (;;) {
      const page = await this.storage.listPage(prefix, "", 500);
      if (page.length === 0) return;
      for (const hash of page) {
        await this.revokeTree(hash);
        // An index entry whose token was already gone would otherwise stay forever.
        await this.storage.delete(prefix + hash);
      }
    }
  }

  /** Revokes only this token; its children become orphans. */
  async revokeOrphan(hash: string): Promise<void> {
    await this.markRevoked(hash);
    for (const child of await this.children(hash)) {
      const e = await getJson<TokenEntry>(this.storage, ID_PREFIX + child);
      if (e) await this.save({ ...e, parentHash: "" });
    }
    await this.destroy(hash);
  }

  private async markRevoked(hash: string): Promise<void> {
    const e = this.cache.get(hash) ?? (await getJson<TokenEntry>(this.storage, ID_PREFIX + hash));
    if (!e) return;
    e.numUses = REVOKED_USES;
    await this.save(e);
  }

  private async destroy(hash: string): Promise<void> {
    const e = this.cache.get(hash) ?? (await getJson<TokenEntry>(this.storage, ID_PREFIX + hash));
    await this.hooks.revokeLeasesOf(hash);
    const ops: Parameters<Storage["transaction"]>[0][number][] = [{ op: "delete", key: ID_PREFIX + hash }];
    if (e) {
      if (e.accessor !== "") ops.push({ op: "delete", key: ACCESSOR_PREFIX + this.hashAccessor(e.accessor) });
      if (e.parentHash) ops.push({ op: "delete", key: `${PARENT_PREFIX}${e.parentHash}/${hash}` });
      if (e.authMountAccessor) ops.push({ op: "delete", key: `${MOUNT_PREFIX}${e.authMountAccessor}/${hash}` });
    }
    for (const child of await this.children(hash)) ops.push({ op: "delete", key: `${PARENT_PREFIX}${hash}/${child}` });
    await this.storage.transaction(ops);
    this.cache.delete(hash);
    await this.hooks.scheduleTokenExpiry(hash, 0);
    await this.hooks.onTokenDeleted?.(hash);
  }

  /** Every accessor, for `auth/token/accessors` (paged walk, sorted by hash). */
  async listAccessors(): Promise<string[]> {
    const out: string[] = [];
    let after = "";
    for (;;) {
      const page = await this.storage.listPage(ID_PREFIX, after, 1000);
      for (const hash of page) {
        const e = await getJson<TokenEntry>(this.storage, ID_PREFIX + hash);
        if (e && e.numUses !== REVOKED_USES && e.accessor !== "") out.push(e.accessor);
      }
      if (page.length < 1000) return out;
      after = page[page.length - 1] ?? "";
    }
  }

  /** Counts stored tokens (for metrics); walks pages, so call it rarely. */
  async count(): Promise<number> {
    let n = 0;
    let after = "";
    for (;;) {
      const page = await this.storage.listPage(ID_PREFIX, after, 5000);
      n += page.length;
      if (page.length < 5000) return n;
      after = page[page.length - 1] ?? "";
    }
  }

  /**
   * Vault's token tidy: finishes revocations a crash interrupted. A parent that is gone, or
   * marked revoked but still stored, must not leave live children behind: they are revoked
   * with their subtrees, and the stale index entries go. Returns how many tokens it revoked.
   */
  async tidy(): Promise<{ removed: number }> {
    let removed = 0;
    let after = "";
    for (;;) {
      const parents = await this.storage.listPage(PARENT_PREFIX, after, 500);
      for (const p of parents) {
        const parentHash = p.replace(/\/$/, "");
        const parent = await getJson<TokenEntry>(this.storage, ID_PREFIX + parentHash);
        if (parent && parent.numUses !== REVOKED_USES) continue;
        const children = await this.children(parentHash);
        if (parent) {
          await this.revokeTree(parentHash);
        } else {
          for (const child of children) {
            await this.revokeTree(child);
            await this.storage.delete(`${PARENT_PREFIX}${parentHash}/${child}`);
          }
        }
        removed += children.length;
      }
      if (parents.length < 500) return { removed };
      after = parents[parents.length - 1] ?? "";
    }
  }

  private remember(e: TokenEntry): void {
    if (this.cache.size >= CACHE_LIMIT && !this.cache.has(e.hash)) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(e.hash, e);
  }
}

/** The entry while it may authenticate: not revoked (unless `pendingToo`), not expired. */
function liveEntry(entry: TokenEntry, nowMs: number, pendingToo: boolean): TokenEntry | undefined {
  if (entry.numUses === REVOKED_USES && !pendingToo) return undefined;
  if (entry.expireTimeMs !== 0 && entry.expireTimeMs <= nowMs) return undefined;
  return entry;
}
