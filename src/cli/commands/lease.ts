/** lease renew|revoke|lookup (command/lease_*.go, api/sys_leases.go). */
import type { Command } from "../command.js";
import { wrapAtLength } from "../gofmt.js";
import type { Secret } from "../secret.js";

export const leaseRenewCommand: Command = {
  path: "lease renew",
  synopsis: "Renews the lease of a secret",
  help: `
Usage: mayfly lease renew [options] ID

  Renews the lease on a secret, extending the time it can be used before it is
  revoked. The server may grant less than asked, up to the role's max TTL.

      $ mayfly lease renew database/creds/readonly/2f6a614c-4aa2-7b19-24b9-ad944a8d4de6
      $ mayfly lease renew -increment=1h database/creds/readonly/2f6a614c...`,
  flags: [{ name: "increment", kind: "duration", default: 0, usage: "Requested extension of the lease; the server may cap it." }],
  async run(ctx) {
    const bad = ctx.expectArgs(1, 1);
    if (bad !== undefined) return bad;
    const leaseId = (ctx.args[0] as string).trim();
    const client = await ctx.client();
    let secret: Secret | null;
    try {
      secret = await client.write("sys/leases/renew", { lease_id: leaseId, increment: Math.trunc(ctx.flags.num("increment")) });
    } catch (err) {
      return ctx.fail(`Error renewing ${leaseId}`, err);
    }
    if (ctx.field !== "" && secret !== null) return ctx.rawField({ secret });
    return ctx.secret(secret);
  },
};

export const leaseLookupCommand: Command = {
  path: "lease lookup",
  synopsis: "Lookup the lease of a secret",
  help: `
Usage: mayfly lease lookup [options] ID

  Shows a lease's issue and expiry times, TTL and whether it is renewable.

      $ mayfly lease lookup database/creds/readonly/2f6a614c-4aa2-7b19-24b9-ad944a8d4de6`,
  async run(ctx) {
    if (ctx.args.length === 0) {
      ctx.ui.error("Missing ID!");
      return 1;
    }
    const bad = ctx.expectArgs(1, 1);
    if (bad !== undefined) return bad;
    const leaseId = (ctx.args[0] as string).trim();
    const client = await ctx.client();
    let secret: Secret | null;
    try {
      secret = await client.write("sys/leases/lookup", { lease_id: leaseId });
    } catch (err) {
      return ctx.fail("error looking up lease id " + leaseId, err);
    }
    if (ctx.field !== "" && secret !== null) return ctx.rawField({ secret });
    return ctx.secret(secret);
  },
};

export const leaseRevokeCommand: Command = {
  path: "lease revoke",
  synopsis: "Revokes leases and secrets",
  help: `
Usage: mayfly lease revoke [options] ID

  Revokes secrets by their lease ID. The revocation is queued and runs in the
  background unless -sync is given.

      $ mayfly lease revoke database/creds/readonly/2f6a614c-4aa2-7b19-24b9-ad944a8d4de6

  Revoke every lease under a prefix:

      $ mayfly lease revoke -prefix database/creds/readonly/

  -force (with -prefix) drops the leases even if the database cannot be reached
  to remove the users; the users are then left behind.`,
  flags: [
    { name: "force", kind: "bool", usage: "Remove the leases even if revoking the secrets fails. Requires -prefix." },
    { name: "prefix", kind: "bool", usage: "Treat the ID as a prefix and revoke every lease under it." },
    { name: "sync", kind: "bool", usage: "Wait for the revocation to finish instead of queueing it." },
  ],
  async run(ctx) {
    const bad = ctx.expectArgs(1, 1);
    if (bad !== undefined) return bad;
    const f = ctx.flags;
    const force = f.bool("force");
    const prefix = f.bool("prefix");
    const sync = f.bool("sync");
    if (force && !prefix) {
      ctx.ui.error("Specifying -force requires also specifying -prefix");
      return 1;
    }
    const leaseId = (ctx.args[0] as string).trim();
    const client = await ctx.client();
    if (force) ctx.ui.warn(wrapAtLength("Warning! Force-removing leases can cause Mayfly to become out of sync with secret engines!"));
    // The exact requests of Vault's RevokeWithOptions: async by default ({"sync": false}),
    // revoke-force with no body.
    const path = force ? `sys/leases/revoke-force/${leaseId}` : prefix ? `sys/leases/revoke-prefix/${leaseId}` : `sys/leases/revoke/${leaseId}`;
    try {
      await client.request("PUT", path, force ? {} : { body: { sync } });
    } catch (err) {
      const what = force
        ? `Error force revoking leases with prefix ${leaseId}`
        : prefix
          ? `Error revoking leases with prefix ${leaseId}`
          : `Error revoking lease ${leaseId}`;
      return ctx.fail(what, err);
    }
    if (force) ctx.ui.output(`Success! Force revoked any leases with prefix: ${leaseId}`);
    else if (sync) ctx.ui.output(prefix ? `Success! Revoked any leases with prefix: ${leaseId}` : `Success! Revoked lease: ${leaseId}`);
    else ctx.ui.output("All revocation operations queued successfully!");
    return 0;
  },
};
