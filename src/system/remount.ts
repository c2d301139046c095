import { randomUUID } from "node:crypto";
import type { Core } from "../core/core.js";
import { badRequest, notFound } from "../framework/errors.js";
import { definePath, type PathDef } from "../framework/types.js";
import { REMOUNT_FIELD_DESCRIPTIONS, REMOUNT_HELP, REMOUNT_STATUS_HELP } from "./mounts-help.js";

/** What `sys/remount/status/<id>` reports, in Vault's field names. */
interface MigrationInfo {
  source_mount: string;
  target_mount: string;
  status: "success" | "failure";
}

/**
 * Vault moves a mount in the background and hands back a migration id that clients poll:
 * the Go api's `Sys().Remount` reads `sys/remount/status/<id>` until it says "success" or
 * "failure", and fails at once when the id is unknown. Mayfly moves the mount before it
 * answers, so the status is final from the start. Like Vault, the ids live in memory only;
 * the oldest are dropped past a bound so that a busy server cannot grow without limit.
 */
const MAX_REMEMBERED_MIGRATIONS = 1000;

export function remountPaths(core: Core): PathDef[] {
  const migrations = new Map<string, MigrationInfo>();
  const remember = (id: string, info: MigrationInfo): void => {
    migrations.set(id, info);
    if (migrations.size > MAX_REMEMBERED_MIGRATIONS) {
      const oldest = migrations.keys().next().value;
      if (oldest !== undefined) migrations.delete(oldest);
    }
  };
  const withSlash = (p: string): string => (p.endsWith("/") ? p : `${p}/`);

  return [
    definePath({
      pattern: "remount",
      fields: {
        from: { type: "string", required: true, description: REMOUNT_FIELD_DESCRIPTIONS.from },
        to: { type: "string", required: true, description: REMOUNT_FIELD_DESCRIPTIONS.to },
      },
      help: REMOUNT_HELP,
      operations: {
        update: async (_req, f) => {
          const isAuth = f.values.from.startsWith("auth/");
          const strip = (p: string) => (isAuth ? p.replace(/^auth\//, "") : p);
          if (isAuth !== f.values.to.startsWith("auth/")) throw badRequest("cannot remount between secrets engines and auth methods");
          await core.mounts.remount(isAuth ? "auth" : "secret", strip(f.values.from), strip(f.values.to));
          // Lease ids carry the mount path: they move with the mount, as in Vault.
          if (!isAuth) await core.expiration.moveLeases(f.values.from, f.values.to);
          const id = randomUUID();
          remember(id, { source_mount: withSlash(f.values.from), target_mount: withSlash(f.values.to), status: "success" });
          return { data: { migration_id: id }, injectDataAtTop: true };
        },
      },
    }),
    definePath({
      pattern: "remount/status/:migration_id",
      fields: { migration_id: { type: "string", required: true, description: REMOUNT_FIELD_DESCRIPTIONS.migration_id } },
      help: REMOUNT_STATUS_HELP,
      operations: {
        read: async (_req, f) => {
          const info = migrations.get(f.values.migration_id);
          // Vault answers an unknown id with an empty 404.
          if (!info) throw notFound();
          return { data: { migration_id: f.values.migration_id, migration_info: { ...info } } };
        },
      },
    }),
  ];
}
