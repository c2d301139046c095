/** print token, version, server. */
import type { Command } from "../command.js";
import { mayflyVersion } from "../../framework/version.js";

export const printTokenCommand: Command = {
  path: "print token",
  synopsis: "Prints the token in use",
  help: `
Usage: mayfly print token [options]

  Prints the token the CLI would send: MAYFLY_TOKEN, else VAULT_TOKEN, else the
  contents of ~/.mayfly-token.

      $ mayfly print token`,
  async run(ctx) {
    const bad = ctx.expectArgs(0, 0);
    if (bad !== undefined) return bad;
    ctx.ui.output(await ctx.resolveToken());
    return 0;
  },
};


export const versionCommand: Command = {
  path: "version",
  synopsis: "Prints the Mayfly CLI version",
  local: true,
  help: `
Usage: mayfly version

  Prints the version of this Mayfly binary.`,
  async run(ctx) {
    ctx.ui.output(`Mayfly v${mayflyVersion() || "unknown"}`);
    return 0;
  },
};

/**
 * `mayfly server ...`: everything after "server" goes to the server's own parser. Loaded
 * lazily so the client commands never pay for (or break on) the server's imports.
 */
export async function runServer(args: string[]): Promise<number> {
  const { runServerCommand } = await import("../../server/run.js");
  return runServerCommand(args);
}
