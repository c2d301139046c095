/**
 * `sys/quotas/config` and `sys/quotas/rate-limit[/<name>]`: rate limit quotas (see
 * core/quotas.ts), with Vault's fields and answers.
 */
import type { Core } from "../core/core.js";
import { badRequest, notFound } from "../framework/errors.js";
import { definePath, type PathDef } from "../framework/types.js";

export function quotaPaths(core: Core): PathDef[] {
  const mountOf = (p: string): string | undefined => core.mounts.router.match(p)?.prefix;
  return [
    definePath({
      pattern: "quotas/config",
      fields: {
        rate_limit_exempt_paths: { type: "strings", description: "Paths no rate limit quota applies to (a trailing * matches any suffix)." },
        enable_rate_limit_audit_logging: { type: "bool", description: "Audit the requests a quota refuses (path, address and the refusal; no token)." },
        enable_rate_limit_response_headers: { type: "bool", description: "Send X-Ratelimit-Limit, -Remaining and -Reset with answers under a quota." },
      },
      help: `Read or change the settings every rate limit quota shares.

rate_limit_exempt_paths are never limited (by default the paths needed to unseal and watch
the server: sys/health, sys/seal-status, sys/unseal, sys/generate-root/*);
enable_rate_limit_response_headers adds X-Ratelimit-Limit, X-Ratelimit-Remaining and
X-Ratelimit-Reset to answers under a quota. A write changes only the fields it sends.`,
      operations: {
        read: async () => ({ data: { ...core.quotas.getConfig() } }),
        update: async (_req, f) => {
          const c = core.quotas.getConfig();
          await core.quotas.setConfig({
            rate_limit_exempt_paths: f.getOk("rate_limit_exempt_paths") ?? c.rate_limit_exempt_paths,
            enable_rate_limit_audit_logging: f.getOk("enable_rate_limit_audit_logging") ?? c.enable_rate_limit_audit_logging,
            enable_rate_limit_response_headers: f.getOk("enable_rate_limit_response_headers") ?? c.enable_rate_limit_response_headers,
          });
          return undefined;
        },
      },
    }),
    definePath({
      pattern: "quotas/rate-limit/",
      help: `List the rate limit quotas by name.`,
      operations: {
        list: async () => {
          const keys = core.quotas.names();
          if (keys.length === 0) throw notFound();
          return { data: { keys } };
        },
      },
    }),
    definePath({
      pattern: "quotas/rate-limit/:name",
      fields: {
        name: { type: "string", required: true, description: "The quota's name." },
        path: { type: "string", default: "", description: 'Where it applies: "" for everywhere, a mount ("secret/"), or a path under a mount.' },
        rate: { type: "any", description: "Requests allowed per interval to each client address (whole requests; at least 1)." },
        interval: { type: "duration", default: "1s", description: "The window the rate counts over (default 1s)." },
        block_interval: { type: "duration", default: 0, description: "How long a client over its rate stays refused (0: until the window ends)." },
      },
      help: `Read, write or delete a rate limit quota.

Each client address may make rate requests per interval to the paths the quota covers: all
(path ""), one mount ("secret/") or the paths under a path within a mount; where several
quotas match a request, the most specific applies. Past the rate the answer is 429 with
Retry-After, and with block_interval the client stays refused that long. Counters are kept
in memory per server. Two quotas may not share a path.`,
      operations: {
        read: async (_req, f) => {
          const r = core.quotas.rule(f.values.name);
          if (!r) throw notFound();
          return {
            data: {
              name: r.name,
              type: "rate-limit",
              path: r.path,
              role: "",
              rate: r.rate,
              interval: r.interval_seconds,
              block_interval: r.block_interval_seconds,
              inheritable: false,
            },
          };
        },
        update: async (_req, f) => {
          const existing = core.quotas.rule(f.values.name);
          await core.quotas.setRule(
            {
              name: f.values.name,
              path: f.getOk("path") ?? existing?.path ?? "",
              rate: f.getOk("rate") === undefined ? (existing?.rate ?? 0) : rateOf(f.getOk("rate")),
              interval_seconds: f.getOk("interval") ?? existing?.interval_seconds ?? 1,
              block_interval_seconds: f.getOk("block_interval") ?? existing?.block_interval_seconds ?? 0,
            },
            mountOf,
          );
          return undefined;
        },
        delete: async (_req, f) => {
          await core.quotas.deleteRule(f.values.name);
          return undefined;
        },
      },
    }),
  ];
}

/** Vault's TypeFloat: a number or a numeric string. */
function rateOf(v: unknown): number {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw badRequest("rate must be a number");
  return n;
}
