import type { MountEntry } from "./mount-entry.js";
import { routePrefix } from "./mount-entry.js";

/**
 * Longest-prefix routing over mount paths. Mount paths may hold several segments
 * (`team/kv/`), so a path is tried against each of its prefixes, longest first.
 */
export class Router<T extends { entry: MountEntry }> {
  private readonly byPrefix = new Map<string, T>();

  add(mounted: T): void {
    this.byPrefix.set(routePrefix(mounted.entry), mounted);
  }

  remove(prefix: string): void {
    this.byPrefix.delete(prefix);
  }

  clear(): void {
    this.byPrefix.clear();
  }

  get(prefix: string): T | undefined {
    return this.byPrefix.get(prefix);
  }

  all(): T[] {
    return [...this.byPrefix.values()];
  }

  /** The mount serving `path` and the path inside it; `secret` matches `secret/` too. */
  match(path: string): { mounted: T; prefix: string; relativePath: string } | undefined {
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
