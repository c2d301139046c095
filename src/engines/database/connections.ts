/**
 * One plugin instance (and so one pool) per connection config, opened on first use.
 * Credential work holds a connection shared; reset, root rotation and config writes and
 * deletes hold it exclusively, so a pool is never closed under a statement in flight
 * (Vault's dbPluginInstance RLock/Lock).
 *
 * Every wait on the database is bounded (the server's default_max_request_duration, as
 * Vault bounds a request's context): a database that stops answering without closing its
 * connections (frozen, partitioned) would otherwise hold requests, the shared lock and the
 * expiration manager's revocation slots for as long as it stays silent. A call that runs
 * out of time fails and retires its plugin: the next call opens a fresh pool, and the old
 * one is closed in the background whenever its connections let go.
 */
import type { Logger } from "../../framework/types.js";
import { coerceField } from "../../framework/fields.js";
import { internalError, isMayflyError, MayflyError } from "../../framework/errors.js";
import type { Storage } from "../../storage/storage.js";
import { getJson, jsonPut } from "../../storage/storage.js";
import { getPlugin, type ConnectionSettings, type DatabasePlugin } from "./plugin.js";
import { parseUsernameTemplate, type UsernameTemplate } from "./username-template.js";
import { keys, requireConfig, type DbConfigEntry, type FrozenConfig, type RotationWal } from "./store.js";

/** Connection details the engine itself reads; the rest go to the plugin as options. */
const ENGINE_DETAILS = new Set([
  "connection_url",
  "username",
  "password",
  "max_open_connections",
  "max_idle_connections",
  "max_connection_lifetime",
  "disable_escaping",
  "username_template",
]);

export const DEFAULT_MAX_OPEN_CONNECTIONS = 4;

export function connectionSettings(cfg: DbConfigEntry, passwordOverride?: string): ConnectionSettings {
  const d = cfg.connection_details;
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) if (!ENGINE_DETAILS.has(k)) options[k] = v;
  const password = passwordOverride ?? optionalString(d.password);
  const username = optionalString(d.username);
  return {
    connectionUrl: optionalString(d.connection_url) ?? "",
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    maxOpenConnections: intDetail(d, "max_open_connections") || DEFAULT_MAX_OPEN_CONNECTIONS,
    maxIdleConnections: intDetail(d, "max_idle_connections"),
    maxConnectionLifetimeSeconds:
      d.max_connection_lifetime === undefined || d.max_connection_lifetime === ""
        ? 0
        : (coerceField("max_connection_lifetime", "duration", d.max_connection_lifetime) as number),
    disableEscaping: d.disable_escaping === undefined ? false : (coerceField("disable_escaping", "bool", d.disable_escaping) as boolean),
    options,
  };
}

function intDetail(d: Record<string, unknown>, key: string): number {
  const v = d[key];
  return v === undefined || v === null || v === "" ? 0 : (coerceField(key, "int", v) as number);
}

export function optionalString(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

/** Plugin failures reach the client as Vault's 500 text; their messages carry no secrets. */
export function engineError(err: unknown, context = ""): MayflyError {
  const prefix = context === "" ? "" : `${context}: `;
  if (isMayflyError(err)) {
    return err.status === 500 || context === "" ? err : new MayflyError(err.status, err.errors.map((m) => prefix + m), err.data);
  }
  const message = err instanceof Error ? err.message : String(err);
  return internalError(prefix + message);
}

/** The message of any error, without Vault's multierror framing. */
export function errorMessage(err: unknown): string {
  if (isMayflyError(err)) {
    const text = err.errors.join("; ");
    const m = /^1 error occurred:\n\t\* ([\s\S]*?)\n*$/.exec(text);
    return m ? (m[1] as string) : text;
  }
  return err instanceof Error ? err.message : String(err);
}

/** What an exclusive holder may do with the connection it holds. */
export interface ConnectionHandle {
  current(): DatabasePlugin | undefined;
  /** The live plugin, opened from the stored config when there is none. */
  get(): Promise<DatabasePlugin>;
  /** Closes the live plugin, if any, and puts `next` (or nothing) in its place. */
  replace(next: DatabasePlugin | undefined): Promise<void>;
}

/** Makes an uninitialized plugin for a `plugin_name` (the catalogue; tests substitute fakes). */
export type PluginFactory = (pluginName: string) => DatabasePlugin;

export class ConnectionManager {
  private readonly live = new Map<string, DatabasePlugin>();
  private readonly opening = new Map<string, Promise<DatabasePlugin>>();
  private readonly locks = new Map<string, RwLock>();
  private readonly defaultTemplates = new Map<string, string>();
  private readonly parsedTemplates = new Map<string, UsernameTemplate>();

  constructor(
    private readonly storage: Storage,
    private readonly logger: Logger,
    readonly newPlugin: PluginFactory = getPlugin,
    /** The longest one call to a database may take. */
    readonly operationTimeoutMs = 90_000,
  ) {}

  /** A fresh plugin for `cfg`, initialized; closed again if initialization fails. */
  async openPlugin(cfg: DbConfigEntry, verify: boolean, passwordOverride?: string): Promise<DatabasePlugin> {
    const plugin = this.newPlugin(cfg.plugin_name);
    try {
      await this.withinDeadline(plugin.initialize(connectionSettings(cfg, passwordOverride), verify), "connecting");
    } catch (err) {
      this.closeInBackground(plugin);
      throw err;
    }
    return plugin;
  }

  /**
   * `work` (a call on `plugin`, the live plugin of connection `name`), failed with a
   * timeout error once the deadline passes; the plugin is then retired.
   */
  async withDeadline<T>(name: string, plugin: DatabasePlugin, work: Promise<T>): Promise<T> {
    try {
      return await this.withinDeadline(work, "waiting for the database");
    } catch (err) {
      if (err instanceof DatabaseTimeoutError) this.retire(name, plugin);
      throw err;
    }
  }

  /** The config's username_template, else the plugin's default; parsed once per source text. */
  usernameTemplate(cfg: Pick<FrozenConfig, "connection_details" | "plugin_name">): UsernameTemplate {
    let source = optionalString(cfg.connection_details.username_template) ?? "";
    if (source === "") {
      source = this.defaultTemplates.get(cfg.plugin_name) ?? this.newPlugin(cfg.plugin_name).defaultUsernameTemplate;
      this.defaultTemplates.set(cfg.plugin_name, source);
    }
    let t = this.parsedTemplates.get(source);
    if (t === undefined) {
      t = parseUsernameTemplate(source);
      if (this.parsedTemplates.size > 256) this.parsedTemplates.clear();
      this.parsedTemplates.set(source, t);
    }
    return t;
  }

  async withShared<T>(name: string, fn: (plugin: DatabasePlugin) => Promise<T>): Promise<T> {
    const release = await this.lock(name).acquireShared();
    try {
      const plugin = await this.open(name);
      return await this.withDeadline(name, plugin, fn(plugin));
    } finally {
      release();
    }
  }

  async withExclusive<T>(name: string, fn: (handle: ConnectionHandle) => Promise<T>): Promise<T> {
    const release = await this.lock(name).acquireExclusive();
    try {
      return await fn({
        current: () => this.live.get(name),
        get: () => this.open(name),
        replace: async (next) => {
          const old = this.live.get(name);
          // An open that a timed-out caller left running must not install itself later.
          this.opening.delete(name);
          if (next) this.live.set(name, next);
          else this.live.delete(name);
          // Bounded: a pool waits for its busy connections, which a silent database never returns.
          if (old && old !== next) await this.withinDeadline(old.close(), "closing connections").catch(() => undefined);
        },
      });
    } finally {
      release();
    }
  }

  /** Open pools, for tests and metrics. */
  openCount(): number {
    return this.live.size;
  }

  async closeAll(): Promise<void> {
    const all = [...this.live.values()];
    this.live.clear();
    await Promise.allSettled(all.map((p) => p.close()));
  }

  private lock(name: string): RwLock {
    let l = this.locks.get(name);
    if (!l) {
      l = new RwLock();
      this.locks.set(name, l);
    }
    return l;
  }

  /** The live plugin, or one opened from the stored config (callers opening at once share it). */
  private open(name: string): Promise<DatabasePlugin> {
    const existing = this.live.get(name);
    if (existing) return Promise.resolve(existing);
    let p = this.opening.get(name);
    if (!p) {
      const opening: Promise<DatabasePlugin> = this.openFromStorage(name)
        .then((plugin) => {
          // A reset or config write while this was opening has taken over: not ours to install.
          if (this.opening.get(name) !== opening) {
            this.closeInBackground(plugin);
            return plugin;
          }
          this.live.set(name, plugin);
          return plugin;
        })
        .finally(() => {
          if (this.opening.get(name) === opening) this.opening.delete(name);
        });
      p = opening;
      this.opening.set(name, p);
    }
    return p;
  }

  /** Out of `live`, so the next call opens anew; closed once its connections let go. */
  private retire(name: string, plugin: DatabasePlugin): void {
    if (this.live.get(name) !== plugin) return;
    this.live.delete(name);
    this.logger.warn("database: no answer within the operation deadline; the connection pool is replaced", {
      connection: name,
      timeout_ms: this.operationTimeoutMs,
    });
    this.closeInBackground(plugin);
  }

  private closeInBackground(plugin: DatabasePlugin): void {
    void plugin.close().catch(() => undefined);
  }

  private async withinDeadline<T>(work: Promise<T>, doing: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DatabaseTimeoutError(doing, this.operationTimeoutMs)), this.operationTimeoutMs);
    });
    try {
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
      // What overran may still fail later; nobody is listening any more.
      work.catch(() => undefined);
    }
  }

  private async openFromStorage(name: string): Promise<DatabasePlugin> {
    const cfg = await requireConfig(this.storage, name);
    try {
      return await this.openPlugin(cfg, true);
    } catch (err) {
      const recovered = await this.recoverRootRotation(name, cfg);
      if (recovered) return recovered;
      throw internalError(errorMessage(err));
    }
  }

  /**
   * A root rotation that the database applied but the engine did not record (a crash
   * between the two) leaves the stored password stale; the WAL still holds the new one.
   */
  private async recoverRootRotation(name: string, cfg: DbConfigEntry): Promise<DatabasePlugin | undefined> {
    const wal = await getJson<RotationWal>(this.storage, keys.rootWal(name));
    if (!wal || wal.username !== optionalString(cfg.connection_details.username)) return undefined;
    let plugin: DatabasePlugin;
    try {
      plugin = await this.openPlugin(cfg, true, wal.new_password);
    } catch {
      return undefined;
    }
    const updated: DbConfigEntry = { ...cfg, connection_details: { ...cfg.connection_details, password: wal.new_password } };
    await this.storage.transaction([jsonPut(keys.config(name), updated), { op: "delete", key: keys.rootWal(name) }]);
    this.logger.warn("database: adopted the root password of an interrupted rotation", { connection: name });
    return plugin;
  }
}

/** A database call that outlived the operation deadline; its outcome is unknown. */
export class DatabaseTimeoutError extends Error {
  constructor(doing: string, timeoutMs: number) {
    super(`context deadline exceeded: no answer from the database after ${timeoutMs / 1000}s (${doing})`);
    this.name = "DatabaseTimeoutError";
  }
}

type Waiter = { exclusive: boolean; grant: () => void };

/** Readers share; a writer waits for them to leave and, once queued, holds back new readers. */
export class RwLock {
  private readers = 0;
  private writer = false;
  private readonly queue: Waiter[] = [];

  acquireShared(): Promise<() => void> {
    if (!this.writer && this.queue.length === 0) {
      this.readers++;
      return Promise.resolve(this.releaser(false));
    }
    return new Promise((resolve) => this.queue.push({ exclusive: false, grant: () => resolve(this.releaser(false)) }));
  }

  acquireExclusive(): Promise<() => void> {
    if (!this.writer && this.readers === 0 && this.queue.length === 0) {
      this.writer = true;
      return Promise.resolve(this.releaser(true));
    }
    return new Promise((resolve) => this.queue.push({ exclusive: true, grant: () => resolve(this.releaser(true)) }));
  }

  private releaser(exclusive: boolean): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (exclusive) this.writer = false;
      else this.readers--;
      this.pump();
    };
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.writer) {
      const head = this.queue[0] as Waiter;
      if (head.exclusive) {
        if (this.readers > 0) return;
        this.queue.shift();
        this.writer = true;
        head.grant();
        return;
      }
      this.queue.shift();
      this.readers++;
      head.grant();
    }
  }
}
