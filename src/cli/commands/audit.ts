/** audit enable|disable|list (command/audit_*.go). */
import { detailedFlag, ensureTrailingSlash, sanitizePath, type Command } from "../command.js";
import { DataArgError, parseDataArgs, toStringMap } from "../data-args.js";
import { goValue, tableOutput } from "../gofmt.js";

export const auditEnableCommand: Command = {
  path: "audit enable",
  synopsis: "Enables an audit device",
  help: `
Usage: mayfly audit enable [options] TYPE [CONFIG K=V...]

  Enables an audit device at a given path. Once enabled, every request and
  response is recorded; a request no device can record is refused.

      $ mayfly audit enable file file_path=/var/log/mayfly/audit.log
      $ mayfly audit enable -path=stdout file file_path=stdout`,
  flags: [
    { name: "description", kind: "string", usage: "Human-friendly description of the audit device." },
    { name: "path", kind: "string", usage: "Place where the audit device is reachable; defaults to its type." },
    { name: "local", kind: "bool", usage: "Mark the device as local-only." },
  ],
  async run(ctx) {
    if (ctx.args.length < 1) {
      ctx.ui.error("Error enabling audit device: audit type missing. Valid types include 'file', 'socket' and 'syslog'.");
      return 1;
    }
    const type = (ctx.args[0] as string).trim();
    const auditPath = ensureTrailingSlash(ctx.flags.str("path") || type);
    let options: Record<string, string>;
    try {
      options = toStringMap(await parseDataArgs(ctx.args.slice(1), { stdin: ctx.io.stdin }));
    } catch (err) {
      if (err instanceof DataArgError) {
        ctx.ui.error(`Failed to parse K=V data: ${err.message}`);
        return 1;
      }
      throw err;
    }
    const client = await ctx.client();
    try {
      await client.request("PUT", `sys/audit/${sanitizePath(auditPath)}`, {
        body: { type, description: ctx.flags.str("description"), options, local: ctx.flags.bool("local") },
      });
    } catch (err) {
      return ctx.fail("Error enabling audit device", err);
    }
    ctx.ui.output(`Success! Enabled the ${type} audit device at: ${auditPath}`);
    return 0;
  },
};

export const auditDisableCommand: Command = {
  path: "audit disable",
  synopsis: "Disables an audit device",
  help: `
Usage: mayfly audit disable [options] PATH

  Disables the audit device at PATH. Its log is left where it is.

      $ mayfly audit disable file/`,
  async run(ctx) {
    const bad = ctx.expectArgs(1, 1);
    if (bad !== undefined) return bad;
    const auditPath = ensureTrailingSlash(sanitizePath(ctx.args[0] as string));
    const client = await ctx.client();
    try {
      await client.request("DELETE", `sys/audit/${sanitizePath(auditPath)}`);
    } catch (err) {
      return ctx.fail("Error disabling audit device", err);
    }
    ctx.ui.output(`Success! Disabled audit device (if it was enabled) at: ${auditPath}`);
    return 0;
  },
};

export const auditListCommand: Command = {
  path: "audit list",
  synopsis: "Lists enabled audit devices",
  help: `
Usage: mayfly audit list [options]

  Lists the enabled audit devices.

      $ mayfly audit list -detailed`,
  flags: [detailedFlag],
  async run(ctx) {
    const bad = ctx.expectArgs(0, 0);
    if (bad !== undefined) return bad;
    const client = await ctx.client();
    const audits: Record<string, Record<string, unknown>> = {};
    try {
      const secret = await client.read("sys/audit");
      for (const [k, v] of Object.entries(secret?.data ?? {})) {
        if (v !== null && typeof v === "object" && !Array.isArray(v)) audits[k] = v as Record<string, unknown>;
      }
    } catch (err) {
      return ctx.fail("Error listing audits", err);
    }
    if (ctx.format !== "table") return ctx.data(audits);
    const keys = Object.keys(audits).sort();
    if (keys.length === 0) {
      ctx.ui.output("No audit devices are enabled.");
      return 2;
    }
    const s = (v: unknown) => (v === undefined || v === null ? "" : goValue(v));
    if (!ctx.detailed) {
      ctx.ui.output(tableOutput(["Path", "Type", "Description"], keys.map((k) => {
        const a = audits[k] ?? {};
        return [s(a["path"] ?? k), s(a["type"]), s(a["description"])];
      })));
      return 0;
    }
    ctx.ui.output(
      tableOutput(["Path", "Type", "Description", "Replication", "Options"], keys.map((k) => {
        const a = audits[k] ?? {};
        const opts = (a["options"] ?? {}) as Record<string, unknown>;
        const optText = Object.keys(opts).sort().map((o) => `${o}=${s(opts[o])}`).join(" ");
        return [s(a["path"] ?? k), s(a["type"]), s(a["description"]), a["local"] === true ? "local" : "replicated", optText];
      })),
    );
    return 0;
  },
};
