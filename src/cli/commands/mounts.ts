/** secrets enable|disable|list|tune and auth enable|disable|list|tune (command/secrets_*.go, auth_*.go). */
import { detailedFlag, ensureTrailingSlash, sanitizePath, type Command, type Ctx } from "../command.js";
import type { FlagSpec } from "../flags.js";
import { formatGoDuration } from "../duration.js";
import { goValue, tableOutput } from "../gofmt.js";

const commonMountFlags: FlagSpec[] = [
  { name: "description", kind: "string", usage: "Human-friendly description of the mount." },
  { name: "path", kind: "string", usage: "Place where the mount is reachable; defaults to the type's name." },
  { name: "default-lease-ttl", kind: "duration", usage: "Default lease TTL for this mount; defaults to the system's." },
  { name: "max-lease-ttl", kind: "duration", usage: "Maximum lease TTL for this mount; defaults to the system's." },
  { name: "local", kind: "bool", usage: "Mark the mount as local-only (not replicated)." },
  { name: "seal-wrap", kind: "bool", usage: "Enable seal wrapping of critical values." },
  { name: "options", kind: "map", usage: "A key=value option passed to the backend; may be repeated." },
];

const enableFlags = (kind: "secrets" | "auth"): FlagSpec[] => [
  ...commonMountFlags,
  ...(kind === "secrets"
    ? [
        { name: "force-no-cache", kind: "bool", usage: "Never cache data from this mount." } as const,
        { name: "external-entropy-access", kind: "bool", usage: "Allow the mount external entropy." } as const,
      ]
    : []),
  { name: "version", kind: "int", default: 0, usage: 'Version of the KV engine ("-version=2" is KV v2). Only kv takes a version.' },
];

function options(ctx: Ctx): Record<string, string> | undefined {
  const opts = ctx.flags.map("options");
  if (ctx.flags.num("version") > 0) opts["version"] = String(ctx.flags.num("version"));
  return Object.keys(opts).length > 0 ? opts : undefined;
}

function enable(kind: "secrets" | "auth"): (ctx: Ctx) => Promise<number> {
  return async (ctx) => {
    const bad = ctx.expectArgs(1, 1);
    if (bad !== undefined) return bad;
    const typeArg = (ctx.args[0] as string).trim();
    let type = typeArg;
    const opts = options(ctx);
    // kv-v1/kv-v2 are kv with a version, as Vault's mount handler reads them.
    const kvAlias = /^kv-v([12])$/.exec(typeArg);
    let body: Record<string, unknown>;
    if (kvAlias && kind === "secrets") {
      type = "kv";
      body = { options: { ...(opts ?? {}), version: opts?.["version"] ?? kvAlias[1] } };
    } else {
      body = opts ? { options: opts } : {};
    }
    const mountPath = ensureTrailingSlash(ctx.flags.str("path") || typeArg);
    const f = ctx.flags;
    const config: Record<string, unknown> = {
      default_lease_ttl: formatGoDuration(f.num("default-lease-ttl")),
      max_lease_ttl: formatGoDuration(f.num("max-lease-ttl")),
      force_no_cache: f.bool("force-no-cache"),
    };
    body = {
      type,
      description: f.str("description"),
      config,
      local: f.bool("local"),
      seal_wrap: f.bool("seal-wrap"),
      ...(kind === "secrets" ? { external_entropy_access: f.bool("external-entropy-access") } : {}),
      ...body,
    };
    const client = await ctx.client();
    try {
      await client.request("POST", `${kind === "secrets" ? "sys/mounts" : "sys/auth"}/${sanitizePath(mountPath)}`, { body });
    } catch (err) {
      return ctx.fail(kind === "secrets" ? "Error enabling" : "Error enabling auth method", err);
    }
    ctx.ui.output(
      kind === "secrets"
        ? `Success! Enabled the ${typeArg} secrets engine at: ${mountPath}`
        : `Success! Enabled ${typeArg} auth method at: ${mountPath}`,
    );
    return 0;
  };
}

function disable(kind: "secrets" | "auth"): (ctx: Ctx) => Promise<number> {
  return async (ctx) => {
    const bad = ctx.expectArgs(1, 1);
    if (bad !== undefined) return bad;
    const mountPath = ensureTrailingSlash(sanitizePath(ctx.args[0] as string));
    const client = await ctx.client();
    try {
      await client.request("DELETE", `${kind === "secrets" ? "sys/mounts" : "sys/auth"}/${sanitizePath(mountPath)}`);
    } catch (err) {
      return ctx.fail(kind === "secrets" ? "Error disabling secrets engine at " + mountPath : "Error disabling auth method at " + mountPath, err);
    }
    ctx.ui.output(
      kind === "secrets"
        ? `Success! Disabled the secrets engine (if it existed) at: ${mountPath}`
        : `Success! Disabled the auth method (if it existed) at: ${mountPath}`,
    );
    return 0;
  };
}

type Mount = Record<string, unknown> & { config?: Record<string, unknown>; options?: Record<string, unknown> | null };

function list(kind: "secrets" | "auth"): (ctx: Ctx) => Promise<number> {
  return async (ctx) => {
    const bad = ctx.expectArgs(0, 0);
    if (bad !== undefined) return bad;
    const client = await ctx.client();
    let mounts: Record<string, Mount>;
    try {
      const secret = await client.read(kind === "secrets" ? "sys/mounts" : "sys/auth");
      mounts = mountsFrom(secret?.data ?? {});
    } catch (err) {
      return ctx.fail(kind === "secrets" ? "Error listing secrets engines" : "Error listing enabled authentications", err);
    }
    if (ctx.format !== "table") return ctx.data(mounts);
    const paths = Object.keys(mounts).sort();
    const s = (v: unknown) => (v === undefined || v === null ? "" : goValue(v));
    if (!ctx.detailed) {
      // Vault's auth list (not secrets list) shows the plugin version in its short form too.
      const header = ["Path", "Type", "Accessor", "Description", ...(kind === "auth" ? ["Version"] : [])];
      ctx.ui.output(tableOutput(header, paths.map((p) => {
        const m = mounts[p] as Mount;
        return [p, s(m["type"]), s(m["accessor"]), s(m["description"]), ...(kind === "auth" ? [s(m["plugin_version"])] : [])];
      })));
      return 0;
    }
    const ttl = (type: unknown, value: unknown) =>
      type === "system" || type === "cubbyhole" ? "" : typeof value === "number" && value !== 0 ? String(value) : "system";
    ctx.ui.output(
      tableOutput(
        [
          "Path", "Plugin", "Accessor", "Default TTL", "Max TTL", kind === "secrets" ? "Force No Cache" : "Token Type", "Replication", "Seal Wrap",
          "External Entropy Access", "Options", "Description", "UUID", "Version", "Running Version", "Running SHA256", "Deprecation Status",
        ],
        paths.map((p) => {
          const m = mounts[p] as Mount;
          const c = m.config ?? {};
          return [
            p,
            s(m["type"] === "plugin" ? c["plugin_name"] : m["type"]),
            s(m["accessor"]),
            ttl(m["type"], c["default_lease_ttl"]),
            ttl(m["type"], c["max_lease_ttl"]),
            kind === "secrets" ? String(c["force_no_cache"] === true) : s(c["token_type"]),
            m["local"] === true ? "local" : "replicated",
            String(m["seal_wrap"] === true),
            String(m["external_entropy_access"] === true),
            goValue(m.options ?? {}),
            s(m["description"]),
            s(m["uuid"]),
            s(m["plugin_version"]),
            s(m["running_plugin_version"]),
            s(m["running_sha256"]),
            s(m["deprecation_status"]),
          ];
        }),
      ),
    );
    return 0;
  };
}

/** The mounts map: keys ending in "/" (Vault repeats them at the top level and under data). */
function mountsFrom(data: Record<string, unknown>): Record<string, Mount> {
  const out: Record<string, Mount> = {};
  for (const [k, v] of Object.entries(data)) {
    if (k.endsWith("/") && v !== null && typeof v === "object") out[k] = v as Mount;
  }
  return out;
}

function tune(kind: "secrets" | "auth"): (ctx: Ctx) => Promise<number> {
  return async (ctx) => {
    const bad = ctx.expectArgs(1, 1);
    if (bad !== undefined) return bad;
    const mountPath = ensureTrailingSlash(sanitizePath(ctx.args[0] as string));
    const body = tuneBody(ctx, kind);
    const client = await ctx.client();
    try {
      // Vault's CLI tunes auth methods through sys/mounts/auth/<path>/tune, so policies name that path.
      await client.request("POST", `${kind === "secrets" ? "sys/mounts" : "sys/mounts/auth"}/${sanitizePath(mountPath)}/tune`, { body });
    } catch (err) {
      return ctx.fail(kind === "secrets" ? "Error tuning secrets engine " + mountPath : "Error tuning auth method " + mountPath, err);
    }
    ctx.ui.output(kind === "secrets" ? `Success! Tuned the secrets engine at: ${mountPath}` : `Success! Tuned the auth method at: ${mountPath}`);
    return 0;
  };
}

/** ttlToAPI: 0 leaves the TTL alone, a negative one resets it to the system's. */
function ttlToApi(seconds: number): string | undefined {
  if (seconds === 0) return undefined;
  return seconds < 0 ? "system" : formatGoDuration(seconds);
}

/** The tune body as Vault's CLI builds it: only what the user asked to change. */
function tuneBody(ctx: Ctx, kind: "secrets" | "auth"): Record<string, unknown> {
  const f = ctx.flags;
  const body: Record<string, unknown> = {};
  for (const [flag, key] of [["default-lease-ttl", "default_lease_ttl"], ["max-lease-ttl", "max_lease_ttl"]] as const) {
    const ttl = ttlToApi(f.num(flag));
    if (f.isSet(flag) && ttl !== undefined) body[key] = ttl;
  }
  if (f.isSet("description")) body["description"] = f.str("description");
  const opts = options(ctx);
  if (opts) body["options"] = opts;
  const lists = [
    ["audit-non-hmac-request-keys", "audit_non_hmac_request_keys"],
    ["audit-non-hmac-response-keys", "audit_non_hmac_response_keys"],
    ["passthrough-request-headers", "passthrough_request_headers"],
    ["allowed-response-headers", "allowed_response_headers"],
    ...(kind === "secrets" ? ([["allowed-managed-keys", "allowed_managed_keys"]] as const) : []),
  ] as const;
  for (const [flag, key] of lists) if (f.isSet(flag)) body[key] = f.strings(flag);
  const strings = [
    ["listing-visibility", "listing_visibility"],
    ["plugin-version", "plugin_version"],
    ...(kind === "auth" ? ([["token-type", "token_type"]] as const) : []),
  ] as const;
  for (const [flag, key] of strings) if (f.isSet(flag) && f.str(flag) !== "") body[key] = f.str(flag);
  if (kind === "auth") {
    const lockout: Record<string, unknown> = {};
    if (f.isSet("user-lockout-threshold")) lockout["lockout_threshold"] = String(f.num("user-lockout-threshold"));
    if (f.isSet("user-lockout-duration") && f.num("user-lockout-duration") > 0) lockout["lockout_duration"] = formatGoDuration(f.num("user-lockout-duration"));
    const resetSeconds = f.num("user-lockout-counter-reset-duration");
    if (f.isSet("user-lockout-counter-reset-duration") && resetSeconds > 0) lockout["lockout_counter_reset_duration"] = formatGoDuration(resetSeconds);
    if (f.isSet("user-lockout-disable")) lockout["lockout_disable"] = f.bool("user-lockout-disable");
    if (Object.keys(lockout).length > 0) body["user_lockout_config"] = lockout;
  }
  return body;
}

const listFlag = (name: string, usage: string): FlagSpec => ({ name, kind: "strings", usage: `${usage} May be repeated.` });

const tuneFlags = (kind: "secrets" | "auth"): FlagSpec[] => [
  listFlag("audit-non-hmac-request-keys", "A request data key audit devices write in clear."),
  listFlag("audit-non-hmac-response-keys", "A response data key audit devices write in clear."),
  listFlag("passthrough-request-headers", "A request header passed on to the plugin."),
  listFlag("allowed-response-headers", "A response header the plugin may set."),
  ...(kind === "secrets" ? [listFlag("allowed-managed-keys", "A managed key the mount may use.")] : []),
  { name: "default-lease-ttl", kind: "duration", usage: 'New default lease TTL; "-1" resets it to the system default.' },
  { name: "max-lease-ttl", kind: "duration", usage: 'New maximum lease TTL; "-1" resets it to the system default.' },
  { name: "description", kind: "string", usage: "New description of the mount." },
  { name: "listing-visibility", kind: "string", usage: 'Whether the UI mount listing shows the mount ("unauth" or "hidden").' },
  { name: "options", kind: "map", usage: "A key=value option passed to the backend; may be repeated." },
  { name: "plugin-version", kind: "string", usage: "Plugin version to run (Mayfly's plugins are built in)." },
  { name: "version", kind: "int", default: 0, usage: "Upgrade a kv mount to this version." },
  ...(kind === "auth"
    ? ([
        { name: "token-type", kind: "string", usage: 'Type of the tokens logins issue: "service", "batch", "default-service" or "default-batch".' },
        { name: "user-lockout-threshold", kind: "int", usage: "Failed logins after which a user is locked out." },
        { name: "user-lockout-duration", kind: "duration", usage: "How long a locked-out user stays locked out." },
        { name: "user-lockout-counter-reset-duration", kind: "duration", usage: "After how long without failures the failure count resets." },
        { name: "user-lockout-disable", kind: "bool", usage: "Turn user lockout off for this mount." },
      ] as const)
    : []),
];

export const secretsEnableCommand: Command = {
  path: "secrets enable",
  synopsis: "Enable a secrets engine",
  help: `
Usage: mayfly secrets enable [options] TYPE

  Enables a secrets engine. By default it is reachable at a path named after
  its type; -path changes that.

      $ mayfly secrets enable -path=database database
      $ mayfly secrets enable -version=2 kv
      $ mayfly secrets enable -path=secret kv-v2`,
  flags: enableFlags("secrets"),
  run: enable("secrets"),
};

export const secretsDisableCommand: Command = {
  path: "secrets disable",
  synopsis: "Disable a secrets engine",
  help: `
Usage: mayfly secrets disable [options] PATH

  Disables the secrets engine at PATH. Its secrets are revoked and its data is
  deleted.

      $ mayfly secrets disable database/`,
  run: disable("secrets"),
};

export const secretsListCommand: Command = {
  path: "secrets list",
  synopsis: "List enabled secrets engines",
  help: `
Usage: mayfly secrets list [options]

  Lists the enabled secrets engines.

      $ mayfly secrets list -detailed`,
  flags: [detailedFlag],
  run: list("secrets"),
};

export const secretsTuneCommand: Command = {
  path: "secrets tune",
  synopsis: "Tune a secrets engine configuration",
  help: `
Usage: mayfly secrets tune [options] PATH

  Tunes the configuration of the secrets engine at PATH.

      $ mayfly secrets tune -default-lease-ttl=72h database/`,
  flags: tuneFlags("secrets"),
  run: tune("secrets"),
};

export const authEnableCommand: Command = {
  path: "auth enable",
  synopsis: "Enables a new auth method",
  help: `
Usage: mayfly auth enable [options] TYPE

  Enables an auth method. By default it is reachable at auth/<TYPE>; -path
  changes that.

      $ mayfly auth enable userpass
      $ mayfly auth enable -path=k8s kubernetes`,
  flags: enableFlags("auth"),
  run: enable("auth"),
};

export const authDisableCommand: Command = {
  path: "auth disable",
  synopsis: "Disables an auth method",
  help: `
Usage: mayfly auth disable [options] PATH

  Disables the auth method at PATH. Tokens it issued are revoked.

      $ mayfly auth disable userpass/`,
  run: disable("auth"),
};

export const authListCommand: Command = {
  path: "auth list",
  synopsis: "Lists enabled auth methods",
  help: `
Usage: mayfly auth list [options]

  Lists the enabled auth methods.

      $ mayfly auth list -detailed`,
  flags: [detailedFlag],
  run: list("auth"),
};

export const authTuneCommand: Command = {
  path: "auth tune",
  synopsis: "Tunes an auth method configuration",
  help: `
Usage: mayfly auth tune [options] PATH

  Tunes the configuration of the auth method at PATH.

      $ mayfly auth tune -max-lease-ttl=24h userpass/`,
  flags: tuneFlags("auth"),
  run: tune("auth"),
};
