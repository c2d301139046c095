import type { Core } from "../core/core.js";
import { badRequest } from "../framework/errors.js";
import { PrefixedStorage, getJson, putJson, type Storage } from "../storage/storage.js";

/**
 * Headers a browser may always send cross-origin once CORS is on; those configured are
 * added to these, as Vault does.
 */
export const STD_ALLOWED_HEADERS: readonly string[] = [
  "Content-Type",
  "X-Requested-With",
  "X-Vault-AWS-IAM-Server-ID",
  "X-Vault-MFA",
  "X-Vault-No-Request-Forwarding",
  "X-Vault-Wrap-Format",
  "X-Vault-Wrap-TTL",
  "X-Vault-Policy-Override",
  "Authorization",
  "X-Vault-Token",
];

/** What the HTTP layer enforces; replaced whole on every change, so a reader never sees half of one. */
export interface CorsSettings {
  readonly enabled: boolean;
  readonly allowedOrigins: readonly string[];
  readonly allowedHeaders: readonly string[];
}

const DISABLED: CorsSettings = { enabled: false, allowedOrigins: [], allowedHeaders: [] };

/** As stored: Vault's field names, so the entry reads the same as Vault's `core/cors`. */
interface StoredCors {
  enabled: boolean;
  allowed_origins?: string[];
  allowed_headers?: string[];
}

const KEY = "cors";

/**
 * `sys/config/cors`, kept behind the barrier and loaded at every unseal. Until the first
 * unseal of the process CORS is off; after a seal the last settings stay in force, as in
 * Vault, where the sealed endpoints are still served to browsers.
 */
export class CorsConfigStore {
  private settings: CorsSettings = DISABLED;
  private readonly storage: Storage;

  constructor(private readonly core: Core) {
    this.storage = new PrefixedStorage(core.barrier, "sys/config/");
    core.seal.onUnsealed(() => this.load());
  }

  current(): CorsSettings {
    return this.settings;
  }

  async load(): Promise<void> {
    const stored = await getJson<StoredCors>(this.storage, KEY);
    this.settings = stored?.enabled
      ? { enabled: true, allowedOrigins: stored.allowed_origins ?? [], allowedHeaders: stored.allowed_headers ?? [] }
      : DISABLED;
  }

  /** Turns CORS on for `origins` (or `*` alone); `headers` add to the standard set. */
  async enable(origins: readonly string[], headers: readonly string[]): Promise<void> {
    const allowedOrigins = origins.map((o) => o.trim()).filter((o) => o !== "");
    if (allowedOrigins.length === 0) throw badRequest("at least one origin or the wildcard must be provided");
    if (allowedOrigins.includes("*") && allowedOrigins.length > 1) {
      throw badRequest("to allow all origins the '*' must be the only value for allowed_origins");
    }
    const extra = headers.map((h) => h.trim()).filter((h) => h !== "");
    const next: CorsSettings = { enabled: true, allowedOrigins, allowedHeaders: [...STD_ALLOWED_HEADERS, ...extra] };
    await this.save(next);
    this.settings = next;
  }

  async disable(): Promise<void> {
    await this.save(DISABLED);
    this.settings = DISABLED;
  }

  private async save(s: CorsSettings): Promise<void> {
    const stored: StoredCors = s.enabled
      ? { enabled: true, allowed_origins: [...s.allowedOrigins], allowed_headers: [...s.allowedHeaders] }
      : { enabled: false };
    await putJson(this.storage, KEY, stored);
  }
}
