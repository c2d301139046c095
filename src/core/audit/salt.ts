import { createHmac, createSecretKey, randomBytes, type KeyObject } from "node:crypto";

const SALT_BYTES = 32;
const HMAC_PREFIX = "hmac-sha256:";

/** What sits in storage for one device's salt. */
export interface StoredSalt {
  key: string; // base64 of SALT_BYTES random bytes
}

/**
 * A device's HMAC key. Each device has its own, so the same token hashes differently in two
 * logs, and `sys/audit-hash/<path>` answers for one device only (Vault's per-backend salt).
 */
export class AuditSalt {
  private readonly key: KeyObject;

  private constructor(raw: Buffer) {
    // A KeyObject is imported once; createHmac would otherwise copy the raw key per value.
    this.key = createSecretKey(raw);
  }

  static generate(): AuditSalt {
    return new AuditSalt(randomBytes(SALT_BYTES));
  }

  static fromStored(stored: StoredSalt): AuditSalt {
    const raw = Buffer.from(stored.key, "base64");
    if (raw.length !== SALT_BYTES) throw new Error(`audit salt must be ${SALT_BYTES} bytes, got ${raw.length}`);
    return new AuditSalt(raw);
  }

  toStored(): StoredSalt {
    return { key: this.key.export().toString("base64") };
  }

  /** `hmac-sha256:<hex>`, the form Vault writes and `sys/audit-hash` returns. */
  hmac(value: string): string {
    return HMAC_PREFIX + createHmac("sha256", this.key).update(value, "utf8").digest("hex");
  }

  /**
   * The same, remembered for the few tokens and accessors that make most requests: a
   * request and its response hash the caller's token and accessor four times each, and an
   * HMAC costs ~3 µs, a third of the audit cost of a KV read.
   */
  hmacIdentifier(value: string): string {
    return remembered(this.identifierCache, IDENTIFIER_CACHE_SIZE, value, () => this.hmac(value));
  }

  private readonly identifierCache = new Map<string, string>();
}

const IDENTIFIER_CACHE_SIZE = 1024;

function remembered(cache: Map<string, string>, limit: number, value: string, compute: () => string): string {
  const cached = cache.get(value);
  if (cached !== undefined) return cached;
  const hashed = compute();
  if (cache.size >= limit) {
    // Oldest first (Map keeps insertion order): cheaper than an LRU, and enough here.
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(value, hashed);
  return hashed;
}
