import type { Core } from "../core/core.js";
import { badRequest, notFound } from "../framework/errors.js";
import { definePath, type PathDef } from "../framework/types.js";

const leaseIdFields = {
  lease_id: { type: "string" },
  url_lease_id: { type: "string" },
} as const;

function leaseIdOf(f: { values: { lease_id: string; url_lease_id: string } }): string {
  const id = (f.values.url_lease_id || f.values.lease_id).replace(/^\/+/, "");
  if (id === "") throw badRequest("lease_id must be specified");
  return id;
}

export function leasePaths(core: Core): PathDef[] {
  return [
    definePath({
      pattern: "leases/lookup",
      fields: { lease_id: { type: "string" } },
      operations: {
        update: async (_req, f) => {
          if (f.values.lease_id === "") throw badRequest("lease_id must be specified");
          return { data: { ...(await core.expiration.lookup(f.values.lease_id)) } };
        },
      },
    }),
    definePath({
      pattern: ["leases/lookup/", "leases/lookup/*prefix/"],
      fields: { prefix: { type: "string" } },
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
      fields: { ...leaseIdFields, increment: { type: "duration" } },
      operations: {
        update: async (_req, f) => core.expiration.renew(leaseIdOf(f), f.values.increment),
      },
    }),
    definePath({
      pattern: ["leases/revoke", "leases/revoke/*url_lease_id", "revoke", "revoke/*url_lease_id"],
      fields: { ...leaseIdFields, sync: { type: "bool", default: true } },
      operations: {
        update: async (_req, f) => {
          await core.expiration.revoke(leaseIdOf(f), { sync: f.values.sync });
          return f.values.sync ? undefined : { status: 202 };
        },
      },
    }),
    definePath({
      pattern: ["leases/revoke-prefix/*prefix", "revoke-prefix/*prefix"],
      fields: { prefix: { type: "string", required: true }, sync: { type: "bool", default: true } },
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
      fields: { prefix: { type: "string", required: true } },
      operations: {
        update: async (_req, f) => {
          await core.expiration.revokePrefix(f.values.prefix, { sync: true, force: true });
          return undefined;
        },
      },
    }),
    definePath({
      pattern: "leases/tidy",
      operations: {
        update: async () => {
          const result = await core.expiration.tidy();
          await core.tokens.tidy();
          return { data: { ...result }, warnings: ["Tidy operation successfully completed."], status: 200 };
        },
      },
    }),
    // Vault's `GET sys/leases?type=irrevocable`; `sys/leases/count` likewise.
    definePath({
      pattern: "leases",
      fields: { type: { type: "string" }, limit: { type: "int", default: 10_000 } },
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
      fields: { type: { type: "string" } },
      operations: {
        read: async (_req, f) => {
          if (f.values.type !== "irrevocable") throw badRequest('only type "irrevocable" is supported');
          return { data: { lease_count: await core.expiration.countIrrevocable() } };
        },
      },
    }),
  ];
}
