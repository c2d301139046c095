/** policy write|read|list|delete|fmt (command/policy_*.go). */
import { readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import type { Command } from "../command.js";
import { readAll } from "../io.js";

export const policyWriteCommand: Command = {
  path: "policy write",
  synopsis: "Uploads a named policy from a file",
  help: `
Usage: mayfly policy write [options] NAME PATH

  Uploads a policy with name NAME from the contents of a local file PATH, or
  from stdin when PATH is "-". Names are lowercased.

      $ mayfly policy write my-policy /tmp/policy.hcl
      $ cat my-policy.hcl | mayfly policy write my-policy -`,
  async run(ctx) {
    const bad = ctx.expectArgs(2, 2);
    if (bad !== undefined) return bad;
    const name = (ctx.args[0] as string).toLowerCase().trim();
    const source = (ctx.args[1] as string).trim();
    let rules: string;
    try {
      rules = source === "-" ? await readAll(ctx.io.stdin) : await readFile(source, "utf8");
    } catch (err) {
      ctx.ui.error(`Error opening policy file: ${(err as Error).message}`);
      return 2;
    }
    const client = await ctx.client();
    try {
      await client.request("PUT", `sys/policies/acl/${name}`, { body: { policy: rules } });
    } catch (err) {
      return ctx.fail("Error uploading policy", err);
    }
    ctx.ui.output(`Success! Uploaded policy: ${name}`);
    return 0;
  },
};

export const policyReadCommand: Command = {
  path: "policy read",
  synopsis: "Prints the contents of a policy",
  help: `
Usage: mayfly policy read [options] [NAME]

  Prints the contents and metadata of the policy named NAME.

      $ mayfly policy read my-policy`,
  async run(ctx) {
    const bad = ctx.expectArgs(1, 1);
    if (bad !== undefined) return bad;
    const name = (ctx.args[0] as string).trim().toLowerCase();
    const client = await ctx.client();
    let rules = "";
    try {
      const secret = await client.read(`sys/policies/acl/${name}`);
      const policy = secret?.data?.["policy"];
      rules = typeof policy === "string" ? policy : "";
    } catch (err) {
      return ctx.fail(`Error reading policy named ${name}`, err);
    }
    if (rules === "") {
      ctx.ui.error(`No policy named: ${name}`);
      return 2;
    }
    if (ctx.format === "table") {
      ctx.ui.output(rules.trim());
      return 0;
    }
    return ctx.data({ policy: rules });
  },
};

export const policyListCommand: Command = {
  path: "policy list",
  synopsis: "Lists the installed policies",
  help: `
Usage: mayfly policy list [options]

  Lists the names of the policies installed on the server.

      $ mayfly policy list`,
  async run(ctx) {
    const bad = ctx.expectArgs(0, 0);
    if (bad !== undefined) return bad;
    const client = await ctx.client();
    let policies: string[];
    try {
      const secret = await client.list("sys/policies/acl");
      const keys = secret?.data?.["keys"];
      policies = Array.isArray(keys) ? keys.map(String) : [];
    } catch (err) {
      return ctx.fail("Error listing policies", err);
    }
    if (ctx.format === "table") {
      for (const p of policies) ctx.ui.output(p);
      return 0;
    }
    return ctx.data(policies);
  },
};

export const policyDeleteCommand: Command = {
  path: "policy delete",
  synopsis: "Deletes a policy by name",
  help: `
Usage: mayfly policy delete [options] NAME

  Deletes the policy named NAME. Tokens holding it lose its permissions at
  once. The "root" and "default" policies cannot be deleted.

      $ mayfly policy delete my-policy`,
  async run(ctx) {
    const bad = ctx.expectArgs(1, 1);
    if (bad !== undefined) return bad;
    const name = (ctx.args[0] as string).trim().toLowerCase();
    const client = await ctx.client();
    try {
      await client.request("DELETE", `sys/policies/acl/${name}`);
    } catch (err) {
      return ctx.fail(`Error deleting ${name}`, err);
    }
    ctx.ui.output(`Success! Deleted policy: ${name}`);
    return 0;
  },
};

export const policyFmtCommand: Command = {
  path: "policy fmt",
  synopsis: "Formats a policy on disk",
  local: true,
  help: `
Usage: mayfly policy fmt [options] PATH

  Checks the syntax of a local policy file and rewrites it in the canonical
  format. A policy with a syntax error is left untouched and the error names
  its line.

      $ mayfly policy fmt my-policy.hcl`,
  async run(ctx) {
    const bad = ctx.expectArgs(1, 1);
    if (bad !== undefined) return bad;
    let path = (ctx.args[0] as string).trim();
    if (path === "~" || path.startsWith("~/")) path = (ctx.io.homeDir || homedir()) + path.slice(1);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      ctx.ui.error(`Error reading source file: ${(err as Error).message}`);
      return 1;
    }
    let formatted: string;
    try {
      // Lazy: only fmt needs the policy parser.
      const { formatPolicy } = await import("../../core/policy/index.js");
      formatted = formatPolicy(text);
    } catch (err) {
      ctx.ui.error((err as Error).message);
      return 1;
    }
    try {
      await writeFile(path, formatted, { mode: 0o644 });
    } catch (err) {
      ctx.ui.error(`Error writing result: ${(err as Error).message}`);
      return 1;
    }
    ctx.ui.output(`Success! Formatted policy: ${path}`);
    return 0;
  },
};
