/** print token, version, server. */
import { StringDecoder } from "node:string_decoder";
import type { Command } from "../command.js";
import { tableOutput } from "../gofmt.js";
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

export const monitorCommand: Command = {
  path: "monitor",
  synopsis: "Streams the server's log lines",
  help: `
Usage: mayfly monitor [options]

  Streams the server's log lines as they are written, until interrupted. The
  token needs read on sys/monitor.

      $ mayfly monitor
      $ mayfly monitor -log-level=debug -log-format=json`,
  flags: [
    { name: "log-level", kind: "string", default: "info", usage: 'Lowest level to stream: "trace", "debug", "info", "warn" or "error".' },
    { name: "log-format", kind: "string", default: "standard", usage: 'Line format: "standard" or "json".' },
  ],
  async run(ctx) {
    const bad = ctx.expectArgs(0, 0);
    if (bad !== undefined) return bad;
    const format = ctx.flags.str("log-format").trim().toLowerCase();
    if (format !== "standard" && format !== "json") {
      ctx.ui.error(`Error: invalid log format "${ctx.flags.str("log-format")}"; use standard or json`);
      return 1;
    }
    const client = await ctx.client();
    // Chunks may split a multi-byte character; the decoder holds the pieces together.
    const decoder = new StringDecoder("utf8");
    try {
      await client.request("GET", "sys/monitor", {
        query: { log_level: ctx.flags.str("log-level"), log_format: format },
        onData: (chunk) => ctx.io.stdout.write(decoder.write(chunk)),
      });
    } catch (err) {
      return ctx.fail("Error starting monitor", err);
    }
    return 0;
  },
};

export const versionHistoryCommand: Command = {
  path: "version-history",
  synopsis: "Prints the version history of the server",
  help: `
Usage: mayfly version-history [options]

  Prints the versions this server's storage has run, each with when it was first
  unsealed, from sys/version-history.

      $ mayfly version-history`,
  async run(ctx) {
    const bad = ctx.expectArgs(0, 0);
    if (bad !== undefined) return bad;
    const client = await ctx.client();
    let secret;
    try {
      secret = await client.list("sys/version-history");
    } catch (err) {
      return ctx.fail("Error reading version history", err);
    }
    const data = (secret?.data ?? {}) as { keys?: string[]; key_info?: Record<string, { timestamp_installed?: string; build_date?: string; previous_version?: string | null }> };
    if (ctx.format !== "table") return ctx.data(data);
    const rows = (data.keys ?? []).map((v) => {
      const info = data.key_info?.[v] ?? {};
      return [v, info.timestamp_installed ?? "", info.build_date ?? ""];
    });
    ctx.ui.output(tableOutput(["Version", "Installation Time", "Build Date"], rows));
    return 0;
  },
};
