/**
 * What KV v2 keeps per secret and per mount, and the rules Vault applies to them. Times
 * are Unix milliseconds (the core's clock has no finer grain).
 */
import type { DeepReadonly } from "../../../storage/storage.js";

export interface VersionMeta {
  createdMs: number;
  /** When the version is or will be deleted (`delete_version_after` sets a future one). */
  deletionMs: number | null;
  destroyed: boolean;
}

export interface KeyMetadata {
  currentVersion: number;
  /** Vault's counter: 0 until the first trim, then the lowest version still kept. */
  oldestVersion: number;
  createdMs: number;
  updatedMs: number;
  /** 0 = the mount's setting applies. */
  maxVersions: number;
  casRequired: boolean;
  /** 0 = the mount's setting applies. */
  deleteVersionAfterSeconds: number;
  customMetadata: Record<string, string> | null;
  versions: Record<string, VersionMeta>;
}

export interface KvConfig {
  /** 0 = Vault's default of 10. */
  maxVersions: number;
  casRequired: boolean;
  /** 0 = unset; negative = disabled on every key, whatever the key's own setting. */
  deleteVersionAfterSeconds: number;
}

export const DEFAULT_MAX_VERSIONS = 10;
export const DELETE_VERSION_AFTER_DISABLED = -1;

export const emptyConfig = (): KvConfig => ({ maxVersions: 0, casRequired: false, deleteVersionAfterSeconds: 0 });

export function newKeyMetadata(nowMs: number): KeyMetadata {
  return {
    currentVersion: 0,
    oldestVersion: 0,
    createdMs: nowMs,
    updatedMs: nowMs,
    maxVersions: 0,
    casRequired: false,
    deleteVersionAfterSeconds: 0,
    customMetadata: null,
    versions: {},
  };
}

/** A version reads as deleted once its deletion time has passed, or when destroyed. */
export function isLive(v: DeepReadonly<VersionMeta>, nowMs: number): boolean {
  return !v.destroyed && !(v.deletionMs !== null && v.deletionMs <= nowMs);
}

/**
 * When a version written at `createdMs` is deleted by `delete_version_after`: the smaller
 * of the mount's and the key's non-zero settings, none when both are unset or the mount
 * disables the feature.
 */
export function scheduledDeletionMs(createdMs: number, config: KvConfig, meta: KeyMetadata): number | null {
  if (config.deleteVersionAfterSeconds < 0) return null;
  const candidates = [config.deleteVersionAfterSeconds, meta.deleteVersionAfterSeconds].filter((s) => s > 0);
  if (candidates.length === 0) return null;
  return createdMs + Math.min(...candidates) * 1000;
}

/**
 * Adds the next version and drops the ones beyond the version limit. Vault keeps the larger
 * of the key's and the mount's `max_versions` (a key can raise the limit, not lower it),
 * and 10 when neither is set. Returns the version number and the versions dropped.
 */
export function addVersion(meta: KeyMetadata, config: KvConfig, version: VersionMeta): { version: number; dropped: number[] } {
  meta.currentVersion += 1;
  const number = meta.currentVersion;
  meta.versions[String(number)] = version;
  meta.updatedMs = version.createdMs;
  const limit = Math.max(meta.maxVersions, config.maxVersions) || DEFAULT_MAX_VERSIONS;
  const dropped: number[] = [];
  if (meta.currentVersion - meta.oldestVersion >= limit) {
    const lastToDrop = meta.currentVersion - limit;
    for (let v = meta.oldestVersion; v <= lastToDrop; v++) {
      if (meta.versions[String(v)] !== undefined) {
        delete meta.versions[String(v)];
        dropped.push(v);
      }
    }
    meta.oldestVersion = lastToDrop + 1;
  }
  return { version: number, dropped };
}

/**
 * Go's RFC3339Nano as Vault prints protobuf timestamps ("2024-01-01T10:00:00.12Z"):
 * trailing zeros of the fraction dropped, none at all on a whole second.
 */
export function formatTimestamp(ms: number | null): string {
  if (ms === null) return "";
  // Hot reads format the same version's creation time again and again.
  if (ms === lastFormatted.ms) return lastFormatted.text;
  // Go's RFC3339Nano drops trailing zeros of the fraction, and the dot with them.
  const iso = new Date(ms).toISOString(); // always ends ".mmmZ"
  let end = iso.length - 1;
  while (iso.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (iso.charCodeAt(end - 1) === 46 /* . */) end--;
  const text = end === iso.length - 1 ? iso : iso.slice(0, end) + "Z";
  lastFormatted.ms = ms;
  lastFormatted.text = text;
  return text;
}
const lastFormatted = { ms: Number.NaN, text: "" };

/** The per-version block Vault returns from data reads, writes and patches. */
export function versionResponse(meta: DeepReadonly<KeyMetadata>, number: number, v: DeepReadonly<VersionMeta>): Record<string, unknown> {
  return {
    created_time: formatTimestamp(v.createdMs),
    custom_metadata: customMetadataOut(meta),
    deletion_time: formatTimestamp(v.deletionMs),
    destroyed: v.destroyed,
    version: number,
  };
}

/** Vault's key metadata stores an empty map as nothing and reports it as null. */
export function customMetadataOut(meta: DeepReadonly<KeyMetadata>): Record<string, string> | null {
  const cm = meta.customMetadata;
  return cm !== null && Object.keys(cm).length > 0 ? { ...cm } : null;
}
