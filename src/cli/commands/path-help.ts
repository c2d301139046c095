/** path-help (command/path_help.go): the server's help for a path, `GET /v1/<path>?help=1`. */
import { Ctx, sanitizePath, type Command } from "../command.js";
import { ApiError } from "../http-client.js";
import { sortForGo } from "../gofmt.js";

const sealedMessage = `Error: Vault is sealed.

The "path-help" command requires the server to be unsealed so that the mount
points of the secret engines are known.`;

/** json.Marshal: compact, map keys sorted, HTML-safe escaping. */
function goCompactJson(value: unknown): string {
  return (JSON.stringify(sortForGo(value)) ?? "null").replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
}

export const pathHelpCommand: Command = {
  path: "path-help",
  synopsis: "Retrieve API help for paths",
  help: `
Usage: mayfly path-help [options] PATH

  Retrieves API help for paths. Every path of the server has built-in help in
  markdown: system paths, secrets engines and auth methods alike.

  Get help for the engine mounted at database/:

      $ mayfly path-help database/

  The answer names further paths to ask about:

      $ mayfly path-help database/roles/

  With -format=json the output is the path's OpenAPI document.`,
  async run(ctx) {
    const bad = ctx.expectArgs(1, 1);
    if (bad !== undefined) return bad;
    const client = await ctx.client();
    const path = sanitizePath(ctx.args[0] as string);
    let body: { help?: unknown; openapi?: unknown };
    try {
      const res = await client.request("GET", path, { query: { help: "1" } });
      body = JSON.parse(res.body === "" ? "{}" : res.body) as { help?: unknown; openapi?: unknown };
    } catch (err) {
      if (err instanceof ApiError && err.message.includes("Vault is sealed")) {
        ctx.ui.error(sealedMessage);
        return 2;
      }
      if (err instanceof SyntaxError) {
        ctx.ui.error(`Error retrieving help: ${err.message}`);
        return 2;
      }
      return ctx.fail("Error retrieving help", err);
    }
    if (ctx.format === "json") {
      ctx.ui.output(goCompactJson(body.openapi ?? null));
      return 0;
    }
    ctx.ui.output(typeof body.help === "string" ? body.help : "");
    return 0;
  },
};

export const authHelpCommand: Command = {
  path: "auth help",
  synopsis: "Prints usage for an auth method",
  help: `
Usage: mayfly auth help [options] PATH

  Prints the help of the auth method enabled at PATH (as path-help auth/PATH does):
  what it is for and the paths it serves.

      $ mayfly auth help userpass
      $ mayfly auth help token`,
  async run(ctx) {
    const bad = ctx.expectArgs(1, 1);
    if (bad !== undefined) return bad;
    const mount = sanitizePath(ctx.args[0] as string).replace(/^auth\//, "");
    return pathHelpCommand.run(new Ctx(ctx.io, pathHelpCommand, [`auth/${mount}/`], ctx.flags));
  },
};
