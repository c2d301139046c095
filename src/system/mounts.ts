import type { Core } from "../core/core.js";
import type { Mounted } from "../core/mounts.js";
import type { MountConfig } from "../core/router/mount-entry.js";
import { routePrefix } from "../core/router/mount-entry.js";
import { badRequest, MayflyError } from "../framework/errors.js";
import { coerceField } from "../framework/fields.js";
import { definePath, type PathDef, type Response } from "../framework/types.js";
import {
  ENABLE_FIELD_DESCRIPTIONS,
  listMountsHelp,
  MOUNT_PATH_DESCRIPTION,
  mountHelp,
  TUNE_FIELD_DESCRIPTIONS,
  TUNE_PATH_DESCRIPTION,
  tuneHelp,
} from "./mounts-help.js";
import { remountPaths } from "./remount.js";
import { mayflyVersion } from "../framework/version.js";

/** Versions shown for built-in plugins, in Vault's `v<semver>+builtin` form. */
export const RUNNING_VERSION = `v${mayflyVersion() || "0.0.0"}+builtin.mayfly`;

/** One mount as `sys/mounts` and `sys/auth` list it. */
export function mountView(core: Core, m: Mounted): Record<string, unknown> {
  const e = m.entry;
  const config: Record<string, unknown> = {
    default_lease_ttl: e.config.default_lease_ttl,
    force_no_cache: e.config.force_no_cache,
    max_lease_ttl: e.config.max_lease_ttl,
  };
  for (const k of ["listing_visibility", "audit_non_hmac_request_keys", "audit_non_hmac_response_keys", "passthrough_request_headers", "allowed_response_headers", "token_type"] as const) {
    if (e.config[k] !== undefined) config[k] = e.config[k];
  }
  if (e.kind === "auth" && config.token_type === undefined) config.token_type = "default-service";
  void core;
  return {
    accessor: e.accessor,
    config,
    description: e.description,
    external_entropy_access: e.external_entropy_access,
    local: e.local,
    options: Object.keys(e.options).length ? { ...e.options } : null,
    plugin_version: "",
    running_plugin_version: RUNNING_VERSION,
    running_sha256: "",
    seal_wrap: e.seal_wrap,
    type: e.type,
    uuid: e.uuid,
  };
}

function listMounts(core: Core, kind: "secret" | "auth"): Response {
  const data: Record<string, unknown> = {};
  for (const m of core.mounts.list(kind)) data[m.entry.path] = mountView(core, m);
  return { data, injectDataAtTop: true };
}

/** What an auth mount's `token_type` may be set to (Vault's TokenType names). */
const TOKEN_TYPES = new Set(["default-service", "default-batch", "service", "batch"]);

/** Durations in mount config arrive as seconds, Go durations ("0s", "1h"), or "system". */
function ttlField(name: string, v: unknown): number | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (v === "system") return 0;
  return coerceField(name, "duration", v) as number;
}

function parseConfig(raw: unknown): Partial<MountConfig> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw badRequest("'config' must be an object");
  const c = raw as Record<string, unknown>;
  const out: Partial<MountConfig> = {};
  const d = ttlField("default_lease_ttl", c.default_lease_ttl);
  const m = ttlField("max_lease_ttl", c.max_lease_ttl);
  if (d !== undefined) out.default_lease_ttl = d;
  if (m !== undefined) out.max_lease_ttl = m;
  if (c.force_no_cache !== undefined) out.force_no_cache = coerceField("force_no_cache", "bool", c.force_no_cache) as boolean;
  for (const k of ["audit_non_hmac_request_keys", "audit_non_hmac_response_keys", "passthrough_request_headers", "allowed_response_headers"] as const) {
    if (c[k] !== undefined) out[k] = coerceField(k, "comma-strings", c[k]) as string[];
  }
  if (c.listing_visibility !== undefined) {
    const v = coerceField("listing_visibility", "string", c.listing_visibility) as string;
    if (!["", "hidden", "unauth"].includes(v)) throw badRequest(`invalid listing_visibility ${v}`);
    out.listing_visibility = v;
  }
  if (c.token_type !== undefined) {
    const t = coerceField("token_type", "string", c.token_type) as string;
    if (!TOKEN_TYPES.has(t)) throw badRequest(`invalid value for "token_type": ${JSON.stringify(t)}`);
    out.token_type = t;
  }
  if (c.user_lockout_config !== undefined && c.user_lockout_config !== null) out.user_lockout_config = parseLockout(c.user_lockout_config);
  return out;
}

/** Vault's `user_lockout_config` tune block; durations in seconds once stored. */
function parseLockout(raw: unknown): NonNullable<MountConfig["user_lockout_config"]> {
  if (typeof raw !== "object" || Array.isArray(raw)) throw badRequest("'user_lockout_config' must be an object");
  const c = raw as Record<string, unknown>;
  const out: NonNullable<MountConfig["user_lockout_config"]> = {};
  if (c.lockout_threshold !== undefined) out.lockout_threshold = coerceField("lockout_threshold", "int", c.lockout_threshold) as number;
  if (c.lockout_duration !== undefined) out.lockout_duration = coerceField("lockout_duration", "duration", c.lockout_duration) as number;
  // The API docs name it lockout_counter_reset; Vault's api package (and so its CLI) sends lockout_counter_reset_duration.
  const counterReset = c.lockout_counter_reset ?? c.lockout_counter_reset_duration;
  if (counterReset !== undefined) {
    out.lockout_counter_reset = coerceField("lockout_counter_reset", "duration", counterReset) as number;
  }
  const disable = c.lockout_disable ?? c.disable_lockout;
  if (disable !== undefined) out.lockout_disable = coerceField("lockout_disable", "bool", disable) as boolean;
  for (const [k, v] of Object.entries(out)) {
    if (typeof v === "number" && v < 0) throw badRequest(`'${k}' cannot be negative`);
  }
  return out;
}

function parseOptions(raw: unknown): Record<string, string> | undefined {
  if (raw === undefined || raw === null) return undefined;
  const opts = coerceField("options", "string-map", raw) as Record<string, string>;
  // Vault's CLI sends version as a string; other clients send a number.
  return opts;
}

function mountedOr404(core: Core, kind: "secret" | "auth", path: string): Mounted {
  const m = core.mounts.get(kind, path);
  if (!m) throw badRequest(`no mount entry found at "${path}"`);
  return m;
}

function tuneView(core: Core, m: Mounted): Record<string, unknown> {
  const e = m.entry;
  const out: Record<string, unknown> = {
    default_lease_ttl: m.info.defaultLeaseTtlSeconds(),
    max_lease_ttl: m.info.maxLeaseTtlSeconds(),
    force_no_cache: e.config.force_no_cache,
    description: e.description,
    options: Object.keys(e.options).length ? { ...e.options } : null,
  };
  if (e.config.listing_visibility) out.listing_visibility = e.config.listing_visibility;
  for (const k of ["audit_non_hmac_request_keys", "audit_non_hmac_response_keys", "passthrough_request_headers", "allowed_response_headers"] as const) {
    if (e.config[k]) out[k] = e.config[k];
  }
  if (e.kind === "auth") out.token_type = e.config.token_type ?? "default-service";
  if (e.config.user_lockout_config) out.user_lockout_config = { ...e.config.user_lockout_config };
  void core;
  return out;
}

async function enable(core: Core, kind: "secret" | "auth", path: string, data: Record<string, unknown>): Promise<undefined> {
  const type = coerceField("type", "string", data.type ?? "") as string;
  if (type === "") throw badRequest("backend type must be specified as a string");
  const options = parseOptions(data.options);
  await core.mounts.mount(kind, path, {
    type,
    description: typeof data.description === "string" ? data.description : "",
    config: parseConfig(data.config),
    ...(options ? { options } : {}),
    local: data.local === undefined ? false : (coerceField("local", "bool", data.local) as boolean),
    seal_wrap: data.seal_wrap === undefined ? false : (coerceField("seal_wrap", "bool", data.seal_wrap) as boolean),
  });
  return undefined;
}

/** Disabling a mount first revokes its leases; a mount whose leases will not go stays. */
async function disable(core: Core, kind: "secret" | "auth", path: string): Promise<undefined> {
  const m = core.mounts.get(kind, path);
  if (!m) return undefined; // Vault answers 204 for a path that is not mounted.
  const prefix = routePrefix(m.entry);
  try {
    await core.expiration.revokePrefix(prefix, { sync: true, force: false });
  } catch (err) {
    const msg = err instanceof MayflyError ? err.errors.join("; ") : String(err);
    throw new MayflyError(400, [`failed to revoke leases before disabling "${prefix}": ${msg}`]);
  }
  if (kind === "auth") await core.tokens.revokeByAuthMount(m.entry.accessor);
  await core.mounts.unmount(kind, path);
  return undefined;
}

async function tune(core: Core, kind: "secret" | "auth", path: string, data: Record<string, unknown>): Promise<undefined> {
  const m = mountedOr404(core, kind, path);
  const config = parseConfig({ ...data });
  const options = parseOptions(data.options);
  await core.mounts.tune(m, {
    config,
    ...(typeof data.description === "string" ? { description: data.description } : {}),
    ...(options ? { options } : {}),
  });
  return undefined;
}

/** Declared so the framework knows them (and help describes them); their values are read from the raw body. */
const anyFields = (descriptions: Readonly<Record<string, string>>) =>
  Object.fromEntries(Object.entries(descriptions).map(([k, description]) => [k, { type: "any" as const, description }]));
const enableFields = anyFields(ENABLE_FIELD_DESCRIPTIONS);
const tuneFields = anyFields(TUNE_FIELD_DESCRIPTIONS);

export function mountPaths(core: Core): PathDef[] {
  const kinds = [
    { kind: "secret" as const, base: "mounts" },
    { kind: "auth" as const, base: "auth" },
  ];
  const paths: PathDef[] = [];
  for (const { kind, base } of kinds) {
    paths.push(
      definePath({
        pattern: base,
        help: listMountsHelp(kind),
        operations: { read: async () => listMounts(core, kind) },
      }),
      definePath({
        pattern: `${base}/*path/tune`,
        fields: { path: { type: "string", required: true, description: TUNE_PATH_DESCRIPTION }, ...tuneFields },
        help: tuneHelp(kind),
        operations: {
          read: async (_req, f) => ({ data: tuneView(core, mountedOr404(core, kind, f.values.path)), injectDataAtTop: true }),
          update: async (req, f) => tune(core, kind, f.values.path, req.data),
        },
      }),
      definePath({
        pattern: `${base}/*path`,
        fields: { path: { type: "string", required: true, description: MOUNT_PATH_DESCRIPTION }, ...enableFields },
        help: mountHelp(kind),
        operations: {
          read: async (_req, f) => {
            const m = core.mounts.get(kind, f.values.path);
            if (!m) throw badRequest(`No secret engine mount at ${f.values.path}`);
            return { data: mountView(core, m), injectDataAtTop: true };
          },
          update: async (req, f) => enable(core, kind, f.values.path, req.data),
          delete: async (_req, f) => disable(core, kind, f.values.path),
        },
      }),
    );
  }
  paths.push(...remountPaths(core));
  return paths;
}
