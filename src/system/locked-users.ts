/**
 * `sys/locked-users` and `sys/locked-users/:mount_accessor/unlock/:alias_identifier`
 * (Vault 1.13+): the users that auth methods with user lockout (userpass) refuse right now,
 * and unlocking one before its lockout runs out. Mayfly has only the root namespace. Both
 * need sudo here.
 */
import type { Core } from "../core/core.js";
import { badRequest } from "../framework/errors.js";
import { definePath, type PathDef } from "../framework/types.js";

export function lockedUserPaths(core: Core): PathDef[] {
  return [
    definePath({
      pattern: "locked-users",
      fields: {
        mount_accessor: { type: "string", description: "Only the users locked out on the auth mount with this accessor." },
      },
      help: `List the users that are locked out now, by auth mount.

by_namespace holds one entry for the root namespace (when anyone is locked out) with its
count and, per mount accessor, the count and the alias identifiers (userpass: user
names); total counts them all. mount_accessor narrows the answer to one mount. Needs sudo.`,
      operations: {
        read: async (req, f) => {
          const only = f.values.mount_accessor;
          const mounts = core.mounts.list("auth").filter((m) => m.runner.backend.lockout && (only === "" || m.entry.accessor === only));
          const byMount: Array<{ mount_accessor: string; counts: number; alias_identifiers: string[] }> = [];
          for (const m of mounts) {
            const users = (await m.runner.backend.lockout?.lockedUsers(req.nowMs)) ?? [];
            if (users.length > 0) byMount.push({ mount_accessor: m.entry.accessor, counts: users.length, alias_identifiers: users });
          }
          const total = byMount.reduce((n, m) => n + m.counts, 0);
          return {
            data: {
              by_namespace: total === 0 ? [] : [{ namespace_id: "root", namespace_path: "", counts: total, mount_accessors: byMount }],
              total,
            },
          };
        },
      },
    }),
    definePath({
      pattern: "locked-users/:mount_accessor/unlock/:alias_identifier",
      fields: {
        mount_accessor: { type: "string", required: true, description: "The accessor of the auth mount the user is locked out of." },
        alias_identifier: { type: "string", required: true, description: "The locked-out user (userpass: the user name)." },
      },
      help: `Unlock a user locked out of an auth mount, before the lockout runs out.

The user's count of failed logins is cleared, so the next login with the right password
succeeds. Unlocking a user that is not locked out changes nothing. Needs sudo.`,
      operations: {
        update: async (_req, f) => {
          const mounted = core.mounts.byAccessor(f.values.mount_accessor);
          if (!mounted || mounted.entry.kind !== "auth") throw badRequest(`mount accessor ${JSON.stringify(f.values.mount_accessor)} not found`);
          const lockout = mounted.runner.backend.lockout;
          if (!lockout) throw badRequest(`the ${mounted.entry.type} auth method has no user lockout`);
          await lockout.unlock(f.values.alias_identifier);
          return undefined;
        },
      },
    }),
  ];
}
