/**
 * secrets move and auth move (command/secrets_move.go, auth_move.go): `sys/remount` starts
 * the move and answers a migration id; the command polls `sys/remount/status/<id>` until
 * the migration succeeds or fails. Mayfly's server moves the mount before it answers, so
 * its first status is final; a Vault server may need the polling.
 */
import { ensureTrailingSlash, type Command, type Ctx } from "../command.js";
import { asMap } from "./kv-helpers.js";

/** Vault's CLI waits ten seconds between polls; tests shorten it. */
export const movePolling = { intervalMs: 10_000 };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function move(kind: "secrets engine" | "auth method"): (ctx: Ctx) => Promise<number> {
  return async (ctx) => {
    const bad = ctx.expectArgs(2, 2);
    if (bad !== undefined) return bad;
    // Vault's CLI sends the paths as typed, only adding the trailing slash: auth methods
    // are named with their auth/ prefix (auth/approle/ auth/generic/).
    const source = ensureTrailingSlash(ctx.args[0] as string);
    const destination = ensureTrailingSlash(ctx.args[1] as string);
    const client = await ctx.client();
    let migrationId: string;
    try {
      const started = await client.write("sys/remount", { from: source, to: destination }, "POST");
      const id = started?.data?.["migration_id"];
      migrationId = typeof id === "string" ? id : "";
    } catch (err) {
      return ctx.fail(`Error moving ${kind} ${source} to ${destination}`, err);
    }
    ctx.ui.output(`Started moving ${kind} ${source} to ${destination}, with migration ID ${migrationId}`);
    for (;;) {
      let status: unknown;
      try {
        const secret = await client.read(`sys/remount/status/${migrationId}`);
        status = asMap(secret?.data?.["migration_info"])?.["status"];
      } catch (err) {
        return ctx.fail(`Error checking migration status of ${kind} ${source} to ${destination}`, err);
      }
      if (status === "success") {
        ctx.ui.output(`Success! Finished moving ${kind} ${source} to ${destination}, with migration ID ${migrationId}`);
        return 0;
      }
      if (status === "failure") {
        // Vault's CLI reports the failure but exits 0.
        ctx.ui.error(`Failure! Error encountered moving ${kind} ${source} to ${destination}, with migration ID ${migrationId}`);
        return 0;
      }
      ctx.ui.output(`Waiting for terminal status in migration of ${kind} ${source} to ${destination}, with migration ID ${migrationId}`);
      await sleep(movePolling.intervalMs);
    }
  };
}

export const secretsMoveCommand: Command = {
  path: "secrets move",
  synopsis: "Move a secrets engine to a new path",
  help: `
Usage: mayfly secrets move [options] SOURCE DESTINATION

  Moves a secrets engine to a new path. Its configuration, data and leases
  move with it. The command starts the move and polls its status until it
  succeeds or fails.

  Move the secrets engine at secret/ to generic/:

      $ mayfly secrets move secret/ generic/`,
  run: move("secrets engine"),
};

export const authMoveCommand: Command = {
  path: "auth move",
  synopsis: "Move an auth method to a new path",
  help: `
Usage: mayfly auth move [options] SOURCE DESTINATION

  Moves an auth method to a new path, with its configuration. Name both paths
  with their auth/ prefix. The command starts the move and polls its status
  until it succeeds or fails.

  Move the auth method at auth/approle/ to auth/generic/:

      $ mayfly auth move auth/approle/ auth/generic/`,
  run: move("auth method"),
};
