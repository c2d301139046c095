import type { MountEntry } from "./mount-entry.js";
import { routePrefix } from "./mount-entry.js";

/**
 * Longest-prefix routing over mount paths. Mount paths may hold several segments
 * (`team/kv/`), so a path is tried against each of its prefixes, longest first.
 */
export interface Route<T> {
  readonly mounted: T;
  readonly prefix: string;
  readonly relativePath: string;
}

/** How many request paths keep their route; a full table starts over. */
const RECENT_ROUTES = 512;
const MAX_REMEMBERED_PATH_LENGTH = 512;

export class Router<T extends { entry: MountEntry }> {
  private readonly byPrefix = new Map<string, T>();
  /**
   * Routes of recently requested paths (null: no mount), dropped whenever the table
   * changes: the same paths come back again and again, and finding one costs a map
   * lookup per segment.
   */
  private readonly recent = new Map<string, Route<T> | null>();

  add(mounted: T): void {
    this.byPrefix.set(routePrefix(mounted.entry), mounted);
    this.recent.clear();
  }

  remove(prefix: string): void {
    this.byPrefix.delete(prefix);
    this.recent.clear();
  }

  clear(): void {
    this.byPrefix.clear();
    this.recent.clear();
  }

  get(prefix: string): T | undefined {
    return this.byPrefix.get(prefix);
  }

  all(): T[] {
    return [...this.byPrefix.values()];
  }

  /** The mount serving `path` and the path inside it; `secret` matches `secret/` too. */
  match(path: string): Route<T> | undefined {
    const hit = this.recent.get(path);
    if (hit !== undefined) return hit ?? undefined;
    const found = this.find(path);
    // Long paths are not kept: the map stays small whatever clients send.
    if (path.length > MAX_REMEMBERED_PATH_LENGTH) return found;
    if (this.recent.size >= RECENT_ROUTES) this.recent.clear();
    this.recent.set(path, found === undefined ? null : Object.freeze(found));
    return found;
  }

  private find(path: string): Route<T> | undefined {
    const withSlash = path.endsWith("/") ? path : path + "/";
    let end = withSlash.length;
    while (end > 0) {
      const prefix = withSlash.slice(0, end);
      const mounted = this.byPrefix.get(prefix);
      if (mounted) return { mounted, prefix, relativePath: path.length >= prefix.length ? path.slice(prefix.length) : "" };
      // The next shorter prefix; a path starting with "/" would otherwise find that slash
      // again and again (lastIndexOf clamps a negative start to 0).
      const next = end >= 2 ? withSlash.lastIndexOf("/", end - 2) + 1 : 0;
      if (next >= end) break;
      end = next;
    }
    return undefined;
  }

  /** Whether a new mount at `prefix` would nest inside, or contain, an existing one. */
  conflicts(prefix: string): string | undefined {
    for (const existing of this.byPrefix.keys()) {
      if (existing.startsWith(prefix) || prefix.startsWith(existing)) return existing;
    }
    return undefined;
  }
}
