/** print token, version, server. */
import { readFileSync } from "node:fs";
import type { Command } from "../command.js";

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

/** The package version; src/cli and dist/cli both sit two levels below package.json. */
export function mayflyVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

export const versionCommand: Command = {
  path: "version",
  synopsis: "Prints the Mayfly CLI version",
  local: true,
  help: `
Usage: mayfly version

  Prints the version of this Mayfly binary.`,
  async run(ctx) {
    ctx.ui.output(`Mayfly v${mayflyVersion()}`);
    return 0;
  },
};

type ServerModule = { runServerCommand: (args: string[]) => number | Promise<number> };
// A variable specifier: src/server/run.ts is written by the server side and may not
// exist yet while the CLI is built on its own.
const serverModulePath = "../../server/run.js";

/** `mayfly server ...`: everything after "server" goes to the server's own parser. */
export async function runServer(args: string[]): Promise<number> {
  const mod = (await import(serverModulePath)) as ServerModule;
  return mod.runServerCommand(args);
}
