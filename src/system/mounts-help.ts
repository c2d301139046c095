/**
 * Help for `sys/mounts`, `sys/auth` (enable, read, disable, tune) and `sys/remount`. The
 * two mount tables share handlers, so each text is written once and names the kind of
 * mount it is about. Kept apart from mounts.ts so the handlers stay readable.
 */

type Kind = "secret" | "auth";

const what = (kind: Kind): string => (kind === "secret" ? "secrets engine" : "auth method");
const whats = (kind: Kind): string => (kind === "secret" ? "secrets engines" : "auth methods");

export function listMountsHelp(kind: Kind): string {
  const builtins =
    kind === "secret"
      ? `The built-in sys/, cubbyhole/ and identity/ mounts are listed too. Read one mount at
sys/mounts/<path>.`
      : `token_type shows "default-service" when it was never set. The built-in token/ method is
listed too. Read one method at sys/auth/<path>.`;
  return `List the enabled ${whats(kind)}, keyed by mount path.

Each entry holds the mount's type, description, accessor, uuid, local and seal_wrap
flags, options, and config: default_lease_ttl and max_lease_ttl in seconds (0: the
system's), force_no_cache, and any other setting that was tuned. plugin_version is always
empty and running_plugin_version names Mayfly's version, since every plugin is built in.

${builtins}`;
}

const ENABLE_SECRET = `A write enables a new secrets engine of the given type at the path; it does not change
one that is there (use sys/mounts/<path>/tune). The path may not overlap another mount
(neither inside it nor around it), nor sys/, auth/, cubbyhole/ or identity/. The type
"kv-v2" (or "kv-v1") is short for kv with options.version set; options.version is refused
for any type but kv. The built-in types (system, cubbyhole, identity) cannot be mounted
again.`;

const ENABLE_AUTH = `A write enables a new auth method of the given type at the path, served under
auth/<path>; it does not change one that is there (use sys/auth/<path>/tune). The path may
not overlap another auth method (neither inside it nor around it), and the token method
cannot be mounted again.`;

const DISABLE_SECRET = `Disabling first revokes every lease issued under the mount and waits for the targets to
confirm; if any lease cannot be revoked, the mount stays and the request answers 400.
Then the mount and everything it stored are removed.`;

const DISABLE_AUTH = `Disabling first revokes every lease issued under the method and waits for the targets to
confirm; if any lease cannot be revoked, the method stays and the request answers 400.
Then every token that logged in through it is revoked, and the method and everything it
stored are removed.`;

export function mountHelp(kind: Kind): string {
  return `Enable, read or disable the ${what(kind)} mounted at a path.

${kind === "secret" ? ENABLE_SECRET : ENABLE_AUTH}

A read returns the mount as sys/${kind === "secret" ? "mounts" : "auth"} lists it; a path with nothing mounted
answers 400.

${kind === "secret" ? DISABLE_SECRET : DISABLE_AUTH}

Disabling a path with nothing mounted succeeds and does nothing; the built-in mounts
cannot be disabled.${kind === "auth" ? " Needs sudo, as does everything under sys/auth/." : ""}`;
}

export function tuneHelp(kind: Kind): string {
  const shown =
    kind === "secret"
      ? `A read returns default_lease_ttl and max_lease_ttl as the TTLs in force (the system's
when the mount sets none), force_no_cache, description and options, and each other
setting once it has been set. A path with nothing mounted answers 400.`
      : `A read returns default_lease_ttl and max_lease_ttl as the TTLs in force (the system's
when the method sets none), force_no_cache, description, options and token_type, and each
other setting once it has been set. A path with nothing mounted answers 400.`;
  return `Read or change the settings of the ${what(kind)} mounted at a path.

${shown}

A write takes the settings at the top level of the body (not inside config) and changes
only those sent. TTLs must not be negative, the default may not exceed the maximum, and
the maximum may not exceed the system's. Of the options only version is checked: on a kv
mount it may go from 1 to 2 (the engine restarts on the upgraded layout), never back.
local and seal_wrap are fixed when the mount is enabled.${kind === "auth" ? "\n\nNeeds sudo." : ""}`;
}

/** What a mount's `config` (on enable) or a tune write may hold, by field. */
const SETTINGS = {
  default_lease_ttl:
    'Default TTL of leases and tokens issued through the mount: seconds or a duration such as "1h"; 0 or "system" uses the system default.',
  max_lease_ttl:
    'Longest TTL a lease or token issued through the mount may reach, renewals included: seconds or a duration; 0 or "system" uses the system maximum.',
  force_no_cache: "Stored and shown; Mayfly keeps no per-mount cache for it to turn off.",
  audit_non_hmac_request_keys:
    "Request data keys that audit devices write in clear instead of HMAC'd (a list or a comma-separated string).",
  audit_non_hmac_response_keys:
    "Response data keys that audit devices write in clear instead of HMAC'd (a list or a comma-separated string).",
  listing_visibility:
    '"unauth" shows the mount in sys/internal/specs/openapi to callers without a token; "hidden" or "" (the default) does not.',
  passthrough_request_headers: "Stored and shown; Mayfly does not pass request headers on to backends.",
  allowed_response_headers: "Stored and shown; Mayfly does not let backends set response headers.",
  token_type:
    'Auth methods: "service" or "batch" makes every login token of that type; "default-service" (the default) and ' +
    '"default-batch" pick the type only when the method\'s role does not.',
  user_lockout_config:
    "Auth methods: lockout_threshold, lockout_duration, lockout_counter_reset and lockout_disable; userpass applies them ahead of its own config/lockout.",
} as const;

export const MOUNT_PATH_DESCRIPTION = "Where the mount is (or is to be), relative to the mount table; a trailing slash is optional.";
export const TUNE_PATH_DESCRIPTION = "The mount to read or tune, relative to the mount table.";

/** The body of an enable request, by field. */
export const ENABLE_FIELD_DESCRIPTIONS: Readonly<Record<string, string>> = {
  type: 'The plugin to mount: a secrets engine such as "kv" or "database", or an auth method such as "userpass"; sys/plugins/catalog lists them.',
  description: "Free text shown in listings.",
  config:
    "Object of settings: default_lease_ttl, max_lease_ttl, force_no_cache, listing_visibility, audit_non_hmac_request_keys, " +
    "audit_non_hmac_response_keys, passthrough_request_headers, allowed_response_headers, token_type, user_lockout_config " +
    "(see the tune path for what each does).",
  options: 'Plugin options as string pairs, stored and given to the plugin; kv reads "version" ("1" or "2").',
  local: "Stored and shown; Mayfly has no replication, so every mount is effectively local.",
  seal_wrap: "Stored and shown; Mayfly does not seal-wrap values.",
  external_entropy_access: "Accepted and ignored; always false.",
  plugin_name: "Accepted and ignored; the plugin is named by type.",
  plugin_version: "Accepted and ignored; every plugin is built in and has one version.",
};

/** The body of a tune write, by field. */
export const TUNE_FIELD_DESCRIPTIONS: Readonly<Record<string, string>> = {
  description: "New description of the mount.",
  options: 'Options to set or change, as string pairs; for kv, "version" may move from "1" to "2".',
  plugin_version: "Accepted and ignored; every plugin is built in and has one version.",
  ...SETTINGS,
};

export const REMOUNT_HELP = `Move a mount to a new path, keeping its data and settings.

from and to are mount paths; auth methods are named with their auth/ prefix, and both must
be of the same kind. The built-in mounts cannot be moved, and the new path may not overlap
another mount. The leases of a secrets engine move with it, since a lease id starts with
its mount's path. Mayfly moves the mount before it answers, so the migration_id it returns
already reads "success" at sys/remount/status/<id>. Needs sudo.`;

export const REMOUNT_STATUS_HELP = `Report how the move with this migration id went.

Mayfly finishes a move before answering sys/remount, so the status is "success" from the
start; source_mount and target_mount name the paths. Ids are kept in memory, the latest
1000 only, and are forgotten on restart: an unknown id answers 404.`;

export const REMOUNT_FIELD_DESCRIPTIONS = {
  from: 'The mount path to move, e.g. "secret" or "auth/userpass".',
  to: "The new path; auth methods keep the auth/ prefix.",
  migration_id: "The id sys/remount returned.",
} as const;
