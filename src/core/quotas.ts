/**
 * Rate limit quotas, as Vault's (`sys/quotas/rate-limit/<name>`, `sys/quotas/config`): a
 * rule allows `rate` requests per `interval` to each client address, on every path
 * (global), under one mount, or under a path within a mount; the most specific rule that
 * matches a request applies. A client over its allowance gets 429, and with a
 * `block_interval` stays refused that long. Paths in `rate_limit_exempt_paths` (by
 * default the ones an operator needs to unseal and watch a server) are never limited.
 * Rules live behind the barrier; the counters live in memory only.
 */
import { badRequest } from "../framework/errors.js";
import { getJson, putJson, type Storage } from "../storage/storage.js";

export interface RateLimitRule {
  name: string;
  /** "" (global), a mount ("secret/"), or a path under a mount ("secret/data/app"). */
  path: string;
  rate: number;
  interval_seconds: number;
  block_interval_seconds: number;
}

export interface QuotaConfig {
  rate_limit_exempt_paths: string[];
  enable_rate_limit_audit_logging: boolean;
  enable_rate_limit_response_headers: boolean;
}

/** Vault's default exempt paths. */
export const DEFAULT_EXEMPT_PATHS: readonly string[] = [
  "sys/generate-recovery-token/attempt",
  "sys/generate-recovery-token/update",
  "sys/generate-root/attempt",
  "sys/generate-root/update",
  "sys/health",
  "sys/seal-status",
  "sys/unseal",
];

export interface QuotaDecision {
  allowed: boolean;
  rule: RateLimitRule;
  remaining: number;
  /** Seconds until the window (or the block) ends. */
  resetSeconds: number;
}

interface Bucket {
  windowStartMs: number;
  used: number;
  blockedUntilMs: number;
}

const CONFIG_KEY = "config";
const RULE_PREFIX = "rate-limit/";
/** Buckets kept per rule before the idle ones are swept (a flood from many addresses). */
const MAX_BUCKETS = 65_536;

export class QuotaManager {
  private rules = new Map<string, RateLimitRule>();
  private config: QuotaConfig = defaultConfig();
  private readonly buckets = new Map<string, Map<string, Bucket>>();
  private serial: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly storage: Storage,
    private readonly nowMs: () => number,
  ) {}

  async load(): Promise<void> {
    this.config = { ...defaultConfig(), ...((await getJson<QuotaConfig>(this.storage, CONFIG_KEY)) ?? {}) };
    const rules = new Map<string, RateLimitRule>();
    for (const name of await this.storage.list(RULE_PREFIX)) {
      const rule = await getJson<RateLimitRule>(this.storage, RULE_PREFIX + name);
      if (rule) rules.set(rule.name, rule);
    }
    this.rules = rules;
    this.buckets.clear();
  }

  unload(): void {
    this.rules = new Map();
    this.buckets.clear();
  }

  getConfig(): QuotaConfig {
    return { ...this.config, rate_limit_exempt_paths: [...this.config.rate_limit_exempt_paths] };
  }

  setConfig(next: QuotaConfig): Promise<void> {
    return this.serially(async () => {
      const clean = { ...next, rate_limit_exempt_paths: next.rate_limit_exempt_paths.map((p) => trimSlashes(p)).filter((p) => p !== "") };
      await putJson(this.storage, CONFIG_KEY, clean);
      this.config = clean;
    });
  }

  names(): string[] {
    return [...this.rules.keys()].sort();
  }

  rule(name: string): RateLimitRule | undefined {
    const r = this.rules.get(name);
    return r ? { ...r } : undefined;
  }

  /** `mountOf` tells whether a path lies under a mount (and which), for validation. */
  setRule(rule: RateLimitRule, mountOf: (path: string) => string | undefined): Promise<void> {
    return this.serially(async () => {
      if (rule.name === "" || rule.name.includes("/")) throw badRequest("quota name must be a single path segment");
      if (!(rule.rate > 0) || !Number.isFinite(rule.rate)) throw badRequest("rate must be positive");
      if (rule.interval_seconds < 1) throw badRequest("interval must be at least one second");
      if (rule.block_interval_seconds < 0) throw badRequest("block_interval cannot be negative");
      const path = normaliseRulePath(rule.path, mountOf);
      for (const other of this.rules.values()) {
        if (other.name !== rule.name && other.path === path) {
          throw badRequest(`quota rule with similar properties exists under the name "${other.name}"`);
        }
      }
      const stored: RateLimitRule = { ...rule, path };
      await putJson(this.storage, RULE_PREFIX + rule.name, stored);
      this.rules.set(rule.name, stored);
      this.buckets.delete(rule.name);
    });
  }

  deleteRule(name: string): Promise<void> {
    return this.serially(async () => {
      await this.storage.delete(RULE_PREFIX + name);
      this.rules.delete(name);
      this.buckets.delete(name);
    });
  }

  get responseHeaders(): boolean {
    return this.config.enable_rate_limit_response_headers;
  }

  get auditRefusals(): boolean {
    return this.config.enable_rate_limit_audit_logging;
  }

  /** Counts one request from `client` to `path`; undefined when no rule applies. */
  check(path: string, client: string): QuotaDecision | undefined {
    if (this.rules.size === 0) return undefined;
    const p = trimSlashes(path);
    if (this.config.rate_limit_exempt_paths.some((e) => p === e || p.startsWith(e.endsWith("*") ? e.slice(0, -1) : `${e}/`))) {
      return undefined;
    }
    const rule = this.mostSpecific(p);
    if (!rule) return undefined;
    return this.count(rule, client);
  }

  private mostSpecific(path: string): RateLimitRule | undefined {
    let best: RateLimitRule | undefined;
    for (const r of this.rules.values()) {
      const applies = r.path === "" || path === trimSlashes(r.path) || path.startsWith(r.path.endsWith("/") ? r.path : `${r.path}/`);
      if (applies && (!best || r.path.length > best.path.length)) best = r;
    }
    return best;
  }

  private count(rule: RateLimitRule, client: string): QuotaDecision {
    const now = this.nowMs();
    let perClient = this.buckets.get(rule.name);
    if (!perClient) {
      perClient = new Map();
      this.buckets.set(rule.name, perClient);
    }
    const windowMs = rule.interval_seconds * 1000;
    let b = perClient.get(client);
    if (!b) {
      if (perClient.size >= MAX_BUCKETS) sweep(perClient, now, windowMs);
      b = { windowStartMs: now, used: 0, blockedUntilMs: 0 };
      perClient.set(client, b);
    }
    if (b.blockedUntilMs > now) {
      return { allowed: false, rule, remaining: 0, resetSeconds: Math.ceil((b.blockedUntilMs - now) / 1000) };
    }
    if (now - b.windowStartMs >= windowMs) {
      b.windowStartMs = now;
      b.used = 0;
    }
    // Vault's limiter counts whole tokens; a fractional rate below 1 would refuse everything.
    const limit = Math.max(1, Math.floor(rule.rate));
    const resetSeconds = Math.max(1, Math.ceil((b.windowStartMs + windowMs - now) / 1000));
    if (b.used >= limit) {
      if (rule.block_interval_seconds > 0) b.blockedUntilMs = now + rule.block_interval_seconds * 1000;
      const until = rule.block_interval_seconds > 0 ? rule.block_interval_seconds : resetSeconds;
      return { allowed: false, rule, remaining: 0, resetSeconds: until };
    }
    b.used++;
    return { allowed: true, rule, remaining: limit - b.used, resetSeconds };
  }

  private serially(work: () => Promise<void>): Promise<void> {
    const run = this.serial.then(work);
    this.serial = run.catch(() => undefined);
    return run;
  }
}

function defaultConfig(): QuotaConfig {
  return { rate_limit_exempt_paths: [...DEFAULT_EXEMPT_PATHS], enable_rate_limit_audit_logging: false, enable_rate_limit_response_headers: false };
}

function trimSlashes(p: string): string {
  return p.replace(/^\/+/, "").replace(/\/+$/, "");
}

/** "" stays global; a mount keeps its trailing slash; a path under a mount keeps none. */
function normaliseRulePath(raw: string, mountOf: (path: string) => string | undefined): string {
  const p = raw.trim().replace(/^\/+/, "");
  if (p === "") return "";
  const mount = mountOf(p.endsWith("/") ? p : `${p}/`) ?? mountOf(p);
  if (mount === undefined) throw badRequest(`invalid mount path "${raw}"`);
  return trimSlashes(p) === trimSlashes(mount) ? mount : trimSlashes(p);
}

function sweep(perClient: Map<string, Bucket>, now: number, windowMs: number): void {
  for (const [k, b] of perClient) {
    if (now - b.windowStartMs >= windowMs && b.blockedUntilMs <= now) perClient.delete(k);
  }
  // Still full: every address is active; drop the oldest rather than grow without end.
  while (perClient.size >= MAX_BUCKETS) {
    const oldest = perClient.keys().next();
    if (oldest.done) break;
    perClient.delete(oldest.value);
  }
}
