import type { Core } from "../core/core.js";
import { badRequest, notFound } from "../framework/errors.js";
import { definePath, type PathDef } from "../framework/types.js";
import { LeaseTidy } from "./lease-tidy.js";

const leaseIdFields = {
  lease_id: { type: "string", description: "The lease id, in the body; one in the URL takes its place." },
  url_lease_id: { type: "string", description: "The lease id, given as the rest of the URL path." },
} as const;

const PREFIX_FIELD = {
  type: "string",
  required: true,
  description: "A lease id prefix such as database/creds/readonly/ (a mount, a role), or a whole lease id.",
} as const;

const SYNC_FIELD = {
  type: "bool",
  default: true,
  description: "Wait until the targets confirm (the default); false queues the revocation and answers 202 at once.",
} as const;

/** What revoke and revoke-prefix have in common. */
const REVOKE_NOTES = `With sync (the default) Mayfly answers once the credential is gone: if the target
refuses or cannot be reached, the answer is 502 and the lease stays, to be retried with
backoff. With sync=false the answer is 202 at once and the revocation runs in the
background with the same retries. A lease whose revocation fails six times becomes
irrevocable (listed by sys/leases?type=irrevocable) and is still retried every hour.`;

const TYPE_FIELD = { type: "string", description: 'Which leases: only "irrevocable" is served.' } as const;

function leaseIdOf(f: { values: { lease_id: string; url_lease_id: string } }): string {
  const id = (f.values.url_lease_id || f.values.lease_id).replace(/^\/+/, "");
  if (id === "") throw badRequest("lease_id must be specified");
  return id;
}

export function leasePaths(core: Core): PathDef[] {
  const tidy = new LeaseTidy({
    async tidy() {
      const result = await core.expiration.tidy();
      await core.tokens.tidy();
      return result;
    },
    logger: core.logger,
  });
  return [
    definePath({
      pattern: "leases/lookup",
      fields: { lease_id: { type: "string", description: "The lease to look up." } },
      help: `Look up a lease: when it was issued and renewed, when it expires, whether it renews.

The answer holds id, issue_time, expire_time, last_renewal (null until renewed),
renewable and ttl (seconds left). An unknown lease, or one still being issued, answers
400.`,
      operations: {
        update: async (_req, f) => {
          if (f.values.lease_id === "") throw badRequest("lease_id must be specified");
          return { data: { ...(await core.expiration.lookup(f.values.lease_id)) } };
        },
      },
    }),
    definePath({
      pattern: ["leases/lookup/", "leases/lookup/*prefix/"],
      fields: { prefix: { type: "string", description: "The lease id prefix to list under, e.g. database/creds/readonly/." } },
      help: `List the lease ids and folders directly under a lease id prefix.

Lease ids start with the path that issued them, so leases/lookup/database/creds/ lists
the roles of the database mount that have leases, and a role's folder lists its lease
ids (the part after the prefix). Nothing under the prefix answers 404. Needs sudo.`,
      operations: {
        list: async (_req, f) => {
          const keys = await core.expiration.list(f.values.prefix);
          if (keys.length === 0) throw notFound();
          return { data: { keys } };
        },
      },
    }),
    definePath({
      pattern: ["leases/renew", "leases/renew/*url_lease_id", "renew", "renew/*url_lease_id"],
      fields: {
        ...leaseIdFields,
        increment: { type: "duration", description: "TTL asked for from now, in seconds or as a duration; 0 asks for the lease's own TTL again." },
      },
      help: `Renew a lease, asking for a new TTL counted from now.

The engine that issued the lease renews it (the database engine moves the user's
expiry where it can) and may grant less than asked. The result is capped at the
lease's maximum TTL (the mount's, else the system's, counted from issue), with a
warning when it was cut. A lease that is unknown, expired, being revoked or not
renewable answers 400. sys/renew is the older path for the same thing.`,
      operations: {
        update: async (_req, f) => core.expiration.renew(leaseIdOf(f), f.values.increment),
      },
    }),
    definePath({
      pattern: ["leases/revoke", "leases/revoke/*url_lease_id", "revoke", "revoke/*url_lease_id"],
      fields: { ...leaseIdFields, sync: SYNC_FIELD },
      help: `Revoke a lease, removing the credential it stands for.

${REVOKE_NOTES}

Revoking a lease id that does not exist succeeds, so a retried revoke is harmless.
sys/revoke is the older path for the same thing.`,
      operations: {
        update: async (_req, f) => {
          await core.expiration.revoke(leaseIdOf(f), { sync: f.values.sync });
          return f.values.sync ? undefined : { status: 202 };
        },
      },
    }),
    definePath({
      pattern: ["leases/revoke-prefix/*prefix", "revoke-prefix/*prefix"],
      fields: { prefix: PREFIX_FIELD, sync: SYNC_FIELD },
      help: `Revoke every lease whose id starts with a prefix.

A prefix without a trailing slash that names one lease revokes that lease alone. Leases
are revoked in batches; one that fails does not stop the others, and the answer then
names how many failed (502) while those leases stay for retry.

${REVOKE_NOTES}

Needs sudo.`,
      operations: {
        update: async (_req, f) => {
          await core.expiration.revokePrefix(f.values.prefix, { sync: f.values.sync, force: false });
          return f.values.sync ? undefined : { status: 202 };
        },
      },
    }),
    // Drops the records even when the target refuses; every use is in the audit log.
    definePath({
      pattern: ["leases/revoke-force/*prefix", "revoke-force/*prefix"],
      fields: { prefix: PREFIX_FIELD },
      help: `Revoke every lease under a prefix, dropping the leases even where the target refuses.

Each lease is revoked as revoke-prefix would, but a lease whose target fails is removed
anyway, so the credential may outlive its lease: remove it on the target (the database
engine's orphans/<connection> finds such users). It is meant for a target that is gone
for good. Needs sudo; every use is in the audit log.`,
      operations: {
        update: async (_req, f) => {
          await core.expiration.revokePrefix(f.values.prefix, { sync: true, force: true });
          return undefined;
        },
      },
    }),
    definePath({
      pattern: "leases/tidy",
      help: `Clean up leases and tokens left inconsistent, for instance by a crash.

Revokes each lease whose token no longer exists, drops index entries that point at
leases that are gone, tries every irrevocable lease again, and revokes tokens whose
parent is gone or was revoked part way. When that is done within ten seconds the answer
counts the leases revoked, retried and cleaned; otherwise it is 202, as Vault's always is,
and the counts go to the server log when the tidy ends. A call during a tidy joins it.`,
      operations: { update: () => tidy.run() },
    }),
    // Vault's `GET sys/leases?type=irrevocable`; `sys/leases/count` likewise.
    definePath({
      pattern: "leases",
      fields: {
        type: TYPE_FIELD,
        limit: { type: "int", default: 10_000, description: "Most leases to list (default 10000)." },
      },
      help: `List the irrevocable leases: those whose revocation keeps failing.

Ask with type=irrevocable (the only type served). Each entry holds lease_id, mount_id
(the accessor of the mount that issued it), error and last_error (the target's last
answer), expire_time and attempts. Mayfly keeps retrying these leases every hour;
revoke-force drops them. Needs sudo.`,
      operations: {
        read: async (_req, f) => {
          if (f.values.type !== "irrevocable") throw badRequest('only type "irrevocable" is supported');
          const leases = await core.expiration.irrevocable(f.values.limit);
          return { data: { lease_count: leases.length, leases } };
        },
      },
    }),
    definePath({
      pattern: "leases/count",
      fields: { type: TYPE_FIELD },
      help: `Count the irrevocable leases.

Ask with type=irrevocable (the only type served); the answer is lease_count.`,
      operations: {
        read: async (_req, f) => {
          if (f.values.type !== "irrevocable") throw badRequest('only type "irrevocable" is supported');
          return { data: { lease_count: await core.expiration.countIrrevocable() } };
        },
      },
    }),
  ];
}
