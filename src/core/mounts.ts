import { randomBytes, randomUUID } from "node:crypto";
import type { Storage } from "../storage/storage.js";
import { PrefixedStorage, getJson, putJson } from "../storage/storage.js";
import { badRequest } from "../framework/errors.js";
import { BackendRunner, compileGlobs } from "../framework/dispatch.js";
import type { Backend, MountInfo, SystemView } from "../framework/types.js";
import { Router } from "./router/router.js";
import { routePrefix, storagePrefix, type MountConfig, type MountEntry } from "./router/mount-entry.js";
import type { BackendRegistry } from "./registry.js";

/** A live mount: its table entry, its backend, and the storage view the backend sees. */
export interface Mounted {
  entry: MountEntry;
  readonly runner: BackendRunner;
  readonly storage: Storage;
  readonly info: MountInfo;
  readonly needsSudo: (relativePath: string) => boolean;
  readonly isUnauthenticated: (relativePath: string) => boolean;
}

const TABLE_KEY = { secret: "core/mounts", auth: "core/auth" } as const;

/** Paths no one may mount at or over. */
const RESERVED = ["sys/", "auth/", "cubbyhole/", "identity/"];
/** Built-in mounts that can be neither disabled nor moved. */
const SINGLETON_TYPES = new Set(["system", "cubbyhole", "identity", "token"]);

export interface MountDefaults {
  defaultLeaseTtlSeconds: number;
  maxLeaseTtlSeconds: number;
}

export interface MountRequest {
  type: string;
  description?: string;
  config?: Partial<MountConfig>;
  options?: Record<string, string>;
  local?: boolean;
  seal_wrap?: boolean;
}

/** The mount tables of secrets engines and auth methods, persisted behind the barrier. */
export class MountManager {
  readonly router = new Router<Mounted>();

  constructor(
    private readonly storage: Storage,
    private readonly registry: BackendRegistry,
    private readonly system: SystemView,
    private readonly defaults: MountDefaults,
  ) {}

  /** Loads both tables after unseal, creating the built-in mounts on first start. */
  async load(): Promise<void> {
    this.router.clear();
    for (const kind of ["secret", "auth"] as const) {
      const table = (await getJson<MountEntry[]>(this.storage, TABLE_KEY[kind])) ?? [];
      for (const entry of table) await this.activate(entry);
    }
  }

  /** Ensures the built-in mounts exist (first unseal after init). */
  async ensureBuiltins(): Promise<void> {
    const want: Array<{ kind: "secret" | "auth"; path: string; type: string; description: string }> = [
      { kind: "secret", path: "sys/", type: "system", description: "system endpoints used for control, policy and debugging" },
      { kind: "secret", path: "cubbyhole/", type: "cubbyhole", description: "per-token private secret storage" },
      { kind: "secret", path: "identity/", type: "identity", description: "identity store" },
      { kind: "auth", path: "token/", type: "token", description: "token based credentials" },
    ];
    for (const w of want) {
      if (this.router.get(routePrefix(w))) continue;
      await this.mount(w.kind, w.path, { type: w.type, description: w.description }, true);
    }
  }

  async unloadAll(): Promise<void> {
    const all = this.router.all();
    this.router.clear();
    await Promise.allSettled(all.map((m) => m.runner.backend.cleanup?.()));
  }

  list(kind: "secret" | "auth"): Mounted[] {
    return this.router
      .all()
      .filter((m) => m.entry.kind === kind)
      .sort((a, b) => a.entry.path.localeCompare(b.entry.path));
  }

  byAccessor(accessor: string): Mounted | undefined {
    return this.router.all().find((m) => m.entry.accessor === accessor);
  }

  get(kind: "secret" | "auth", path: string): Mounted | undefined {
    return this.router.get(routePrefix({ kind, path: normaliseMountPath(path) }));
  }

  async mount(kind: "secret" | "auth", rawPath: string, req: MountRequest, builtin = false): Promise<Mounted> {
    const path = normaliseMountPath(rawPath);
    let type = req.type;
    const options = { ...(req.options ?? {}) };
    // `kv-v2` is shorthand for kv with version 2, as in Vault's CLI and API.
    if (type === "kv-v2" || type === "kv-v1") {
      options.version = type === "kv-v2" ? "2" : "1";
      type = "kv";
    }
    if (options.version !== undefined && type !== "kv" && kind === "secret") {
      throw badRequest(`mount type "${type}" does not support versioning`);
    }
    if (!builtin) {
      if (SINGLETON_TYPES.has(type)) throw badRequest(`mount type of "${type}" is not mountable`);
      const full = kind === "auth" ? `auth/${path}` : path;
      if (kind === "secret" && RESERVED.some((r) => full.startsWith(r) || r.startsWith(full))) {
        throw badRequest(`cannot mount under reserved path "${path}"`);
      }
    }
    const factoryExists = kind === "secret" ? this.registry.secret(type) : this.registry.auth(type);
    if (!factoryExists) {
      throw badRequest(kind === "secret" ? `plugin not found in the catalog: ${type}` : `plugin not found in the catalog: ${type}`);
    }
    const prefix = routePrefix({ kind, path });
    const conflict = this.router.conflicts(prefix);
    if (conflict) throw badRequest(`path is already in use at ${conflict}`);
    const entry: MountEntry = {
      path,
      type,
      description: req.description ?? "",
      accessor: `${kind === "auth" ? "auth_" : ""}${type}_${randomBytes(4).toString("hex")}`,
      uuid: randomUUID(),
      kind,
      config: {
        default_lease_ttl: req.config?.default_lease_ttl ?? 0,
        max_lease_ttl: req.config?.max_lease_ttl ?? 0,
        force_no_cache: req.config?.force_no_cache ?? false,
        ...pickOptionalConfig(req.config),
      },
      options,
      local: req.local ?? false,
      seal_wrap: req.seal_wrap ?? false,
      external_entropy_access: false,
    };
    if (type === "kv" && entry.options.version === undefined) entry.options.version = "1";
    this.validateTtls(entry.config);
    const mounted = await this.activate(entry);
    await this.persist(kind);
    if (!builtin) this.system.logger.info(kind === "auth" ? "enabled credential backend" : "successful mount", { path: entry.path, type: entry.type });
    return mounted;
  }

  /** Removes a mount from the table; the caller has revoked its leases first. */
  async unmount(kind: "secret" | "auth", rawPath: string): Promise<MountEntry | undefined> {
    const mounted = this.get(kind, rawPath);
    if (!mounted) return undefined;
    if (SINGLETON_TYPES.has(mounted.entry.type)) throw badRequest(`cannot unmount "${mounted.entry.path}"`);
    this.router.remove(routePrefix(mounted.entry));
    await this.persist(kind);
    await mounted.runner.backend.cleanup?.();
    await clearPrefix(this.storage, storagePrefix(mounted.entry));
    this.system.logger.info(kind === "auth" ? "disabled credential backend" : "successfully unmounted", { path: mounted.entry.path });
    return mounted.entry;
  }

  async tune(mounted: Mounted, change: { config?: Partial<MountConfig>; description?: string; options?: Record<string, string> }): Promise<void> {
    const entry: MountEntry = structuredClone(mounted.entry);
    if (change.description !== undefined) entry.description = change.description;
    if (change.config) Object.assign(entry.config, stripUndefined(change.config));
    this.validateTtls(entry.config);
    let reload = false;
    if (change.options) {
      for (const [k, v] of Object.entries(change.options)) {
        if (k === "version") {
          if (entry.type !== "kv") throw badRequest(`mount type "${entry.type}" does not support versioning`);
          if (v !== "1" && v !== "2") throw badRequest(`invalid version: ${v}`);
          if (entry.options.version === "2" && v === "1") throw badRequest("cannot downgrade mount from version 2");
          if (entry.options.version !== v) reload = true;
        }
        entry.options[k] = v;
      }
    }
    if (reload) {
      this.router.remove(routePrefix(mounted.entry));
      await mounted.runner.backend.cleanup?.();
      await this.activate(entry);
    } else {
      mounted.entry = entry;
    }
    await this.persist(entry.kind);
  }

  async remount(kind: "secret" | "auth", fromPath: string, toPath: string): Promise<void> {
    const mounted = this.get(kind, fromPath);
    if (!mounted) throw badRequest(`no matching mount at "${fromPath}"`);
    if (SINGLETON_TYPES.has(mounted.entry.type)) throw badRequest(`cannot remount "${mounted.entry.path}"`);
    const to = normaliseMountPath(toPath);
    const toPrefix = routePrefix({ kind, path: to });
    const conflict = this.router.conflicts(toPrefix);
    if (conflict && conflict !== routePrefix(mounted.entry)) throw badRequest(`path already in use at "${conflict}"`);
    this.router.remove(routePrefix(mounted.entry));
    await mounted.runner.backend.cleanup?.();
    await this.activate({ ...mounted.entry, path: to });
    await this.persist(kind);
  }

  private validateTtls(c: MountConfig): void {
    if (c.default_lease_ttl < 0 || c.max_lease_ttl < 0) throw badRequest("TTLs cannot be negative");
    const max = c.max_lease_ttl || this.defaults.maxLeaseTtlSeconds;
    if (c.default_lease_ttl > max) throw badRequest(`default lease TTL of ${c.default_lease_ttl}s cannot be greater than maximum lease TTL of ${max}s`);
    if (c.max_lease_ttl > this.defaults.maxLeaseTtlSeconds) {
      throw badRequest(`max lease TTL of ${c.max_lease_ttl}s cannot be greater than the system's max lease TTL of ${this.defaults.maxLeaseTtlSeconds}s`);
    }
  }

  private async activate(entry: MountEntry): Promise<Mounted> {
    const factory = entry.kind === "secret" ? this.registry.secret(entry.type) : this.registry.auth(entry.type);
    if (!factory) throw new Error(`no backend registered for mount type "${entry.type}"`);
    const storage = new PrefixedStorage(this.storage, storagePrefix(entry));
    const defaults = this.defaults;
    const holder: { entry: MountEntry } = { entry };
    const info: MountInfo = {
      get path() { return routePrefix(holder.entry); },
      get type() { return holder.entry.type; },
      get accessor() { return holder.entry.accessor; },
      get uuid() { return holder.entry.uuid; },
      get kind() { return holder.entry.kind; },
      get options() { return holder.entry.options; },
      defaultLeaseTtlSeconds: () => holder.entry.config.default_lease_ttl || defaults.defaultLeaseTtlSeconds,
      maxLeaseTtlSeconds: () => holder.entry.config.max_lease_ttl || defaults.maxLeaseTtlSeconds,
      userLockoutConfig: () => holder.entry.config.user_lockout_config,
    };
    const backend: Backend = await factory({ storage, mount: info, system: this.system });
    const mounted: Mounted = {
      get entry() { return holder.entry; },
      set entry(e: MountEntry) { holder.entry = e; },
      runner: new BackendRunner(backend),
      storage,
      info,
      needsSudo: compileGlobs(backend.rootPaths),
      isUnauthenticated: compileGlobs(backend.unauthenticatedPaths),
    };
    this.router.add(mounted);
    return mounted;
  }

  private async persist(kind: "secret" | "auth"): Promise<void> {
    await putJson(this.storage, TABLE_KEY[kind], this.list(kind).map((m) => m.entry));
  }
}

export function normaliseMountPath(p: string): string {
  const trimmed = p.replace(/^\/+/, "").replace(/\/+$/, "");
  if (trimmed === "") throw badRequest("path cannot be empty");
  if (trimmed.split("/").some((s) => s === "" || s === "." || s === "..")) throw badRequest(`invalid mount path "${p}"`);
  return trimmed + "/";
}

function pickOptionalConfig(c: Partial<MountConfig> | undefined): Partial<MountConfig> {
  if (!c) return {};
  const { default_lease_ttl: _d, max_lease_ttl: _m, force_no_cache: _f, ...rest } = c;
  return stripUndefined(rest);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

async function clearPrefix(storage: Storage, prefix: string): Promise<void> {
  const stack = [prefix];
  while (stack.length) {
    const p = stack.pop() ?? "";
    for (const child of await storage.list(p)) {
      if (child.endsWith("/")) stack.push(p + child);
      else await storage.delete(p + child);
    }
  }
}
