/** token create|lookup|renew|revoke|capabilities (command/token_*.go). */
import type { Command } from "../command.js";
import { formatGoDuration } from "../duration.js";
import type { Secret } from "../secret.js";

export const tokenCreateCommand: Command = {
  path: "token create",
  synopsis: "Create a new token",
  help: `
Usage: mayfly token create [options]

  Creates a new token that can be used for authentication. The new token is a
  child of the current token unless -orphan is given.

      $ mayfly token create -policy=my-policy -policy=other-policy -ttl=1h
      $ mayfly token create -period=30m -field=token`,
  flags: [
    { name: "id", kind: "string", usage: "Value for the token (random when omitted). Requires root." },
    { name: "display-name", kind: "string", usage: "Name to associate with this token." },
    { name: "ttl", kind: "duration", usage: "Initial TTL of the token; it can be renewed up to its max TTL." },
    { name: "explicit-max-ttl", kind: "duration", usage: "A hard limit on the token's lifetime, renewals included." },
    { name: "period", kind: "duration", usage: "Makes a periodic token: every renewal resets its TTL to this period." },
    { name: "renewable", kind: "bool", default: true, usage: "Allow the token to be renewed up to its maximum TTL." },
    { name: "orphan", kind: "bool", usage: "Create the token with no parent, so revoking the parent leaves it alive." },
    { name: "no-default-policy", kind: "bool", usage: 'Detach the "default" policy from the new token.' },
    { name: "use-limit", kind: "int", default: 0, usage: "Number of times the token can be used; 0 is unlimited." },
    { name: "role", kind: "string", usage: "Name of a token role to create the token against." },
    { name: "type", kind: "string", usage: 'The type of token: "service" or "batch".' },
    { name: "policy", kind: "strings", usage: "Name of a policy to attach; may be repeated." },
    { name: "metadata", kind: "map", usage: "A key=value pair of metadata; may be repeated." },
    { name: "entity-alias", kind: "string", usage: "Name of an entity alias to associate with the token (needs -role)." },
  ],
  async run(ctx) {
    const bad = ctx.expectArgs(0, 0);
    if (bad !== undefined) return bad;
    const f = ctx.flags;
    const body: Record<string, unknown> = {};
    if (f.str("id") !== "") body["id"] = f.str("id");
    if (f.strings("policy").length > 0) body["policies"] = f.strings("policy");
    if (Object.keys(f.map("metadata")).length > 0) body["meta"] = f.map("metadata");
    if (f.num("ttl") !== 0) body["ttl"] = formatGoDuration(f.num("ttl"));
    if (f.bool("orphan")) body["no_parent"] = true;
    if (f.bool("no-default-policy")) body["no_default_policy"] = true;
    if (f.str("display-name") !== "") body["display_name"] = f.str("display-name");
    if (f.num("use-limit") !== 0) body["num_uses"] = f.num("use-limit");
    body["renewable"] = f.bool("renewable");
    if (f.num("explicit-max-ttl") !== 0) body["explicit_max_ttl"] = formatGoDuration(f.num("explicit-max-ttl"));
    if (f.num("period") !== 0) body["period"] = formatGoDuration(f.num("period"));
    if (f.str("type") !== "") body["type"] = f.str("type");
    if (f.str("entity-alias") !== "") body["entity_alias"] = f.str("entity-alias");
    const role = f.str("role");
    const path = role !== "" ? `auth/token/create/${role}` : f.bool("orphan") ? "auth/token/create-orphan" : "auth/token/create";
    const client = await ctx.client();
    let secret: Secret | null;
    try {
      secret = await client.write(path, body, "POST");
    } catch (err) {
      return ctx.fail("Error creating token", err);
    }
    if (ctx.field !== "" && secret !== null) return ctx.rawField({ secret });
    return ctx.secret(secret);
  },
};

export const tokenLookupCommand: Command = {
  path: "token lookup",
  synopsis: "Display information about a token",
  help: `
Usage: mayfly token lookup [options] [TOKEN | ACCESSOR]

  Displays information about a token or an accessor. With no argument, looks up
  the token in use.

      $ mayfly token lookup
      $ mayfly token lookup -accessor 9793c9b3-e04a-46f3-e7b8-748d7da248da`,
  flags: [{ name: "accessor", kind: "bool", usage: "Treat the argument as an accessor instead of a token." }],
  async run(ctx) {
    const bad = ctx.expectArgs(ctx.flags.bool("accessor") ? 1 : 0, 1);
    if (bad !== undefined) return bad;
    const client = await ctx.client();
    const arg = ctx.args[0];
    let secret: Secret | null;
    try {
      if (ctx.flags.bool("accessor")) secret = await client.write("auth/token/lookup-accessor", { accessor: arg }, "POST");
      else if (arg === undefined) secret = await client.read("auth/token/lookup-self");
      else secret = await client.write("auth/token/lookup", { token: arg }, "POST");
    } catch (err) {
      return ctx.fail("Error looking up token", err);
    }
    if (ctx.field !== "" && secret !== null) return ctx.rawField({ secret });
    return ctx.secret(secret);
  },
};

export const tokenRenewCommand: Command = {
  path: "token renew",
  synopsis: "Renew a token lease",
  help: `
Usage: mayfly token renew [options] [TOKEN]

  Renews a token's lease, extending its TTL. With no argument, renews the token
  in use.

      $ mayfly token renew
      $ mayfly token renew -increment=30m 96ddf4bc-d217-f3ba-f9bd-017055595017`,
  flags: [
    { name: "increment", kind: "duration", aliases: ["i"], usage: "Requested extension of the TTL; the server may cap it." },
    { name: "accessor", kind: "bool", usage: "Treat the argument as an accessor." },
  ],
  async run(ctx) {
    const bad = ctx.expectArgs(0, 1);
    if (bad !== undefined) return bad;
    const client = await ctx.client();
    const increment = Math.trunc(ctx.flags.num("increment"));
    const arg = ctx.args[0];
    let secret: Secret | null;
    try {
      if (arg === undefined) secret = await client.write("auth/token/renew-self", { increment });
      else if (ctx.flags.bool("accessor")) secret = await client.write("auth/token/renew-accessor", { accessor: arg, increment });
      else secret = await client.write("auth/token/renew", { token: arg, increment });
    } catch (err) {
      return ctx.fail("Error renewing token", err);
    }
    if (ctx.field !== "" && secret !== null) return ctx.rawField({ secret });
    return ctx.secret(secret);
  },
};

export const tokenRevokeCommand: Command = {
  path: "token revoke",
  synopsis: "Revoke a token and its children",
  help: `
Usage: mayfly token revoke [options] [TOKEN | ACCESSOR]

  Revokes a token and all its children. With -mode=orphan the children are left
  alive; with -mode=path every token created under the given path is revoked.

      $ mayfly token revoke 96ddf4bc-d217-f3ba-f9bd-017055595017
      $ mayfly token revoke -self
      $ mayfly token revoke -accessor 9793c9b3-e04a-46f3-e7b8-748d7da248da`,
  flags: [
    { name: "accessor", kind: "bool", usage: "Treat the argument as an accessor." },
    { name: "self", kind: "bool", usage: "Revoke the token in use." },
    { name: "mode", kind: "string", usage: '"orphan" keeps the children alive; "path" revokes by creation path prefix.' },
  ],
  async run(ctx) {
    const f = ctx.flags;
    const self = f.bool("self");
    const accessor = f.bool("accessor");
    const mode = f.str("mode");
    const n = ctx.args.length;
    const problem = !["", "orphan", "path"].includes(mode)
      ? `Invalid mode: ${mode}`
      : self && n > 0
        ? `Too many arguments with -self (expected 0, got ${n})`
        : !self && n > 1
          ? `Too many arguments (expected 1 or -self, got ${n})`
          : !self && n < 1
            ? `Not enough arguments (expected 1 or -self, got ${n})`
            : self && accessor
              ? "Cannot use -self with -accessor!"
              : self && mode !== ""
                ? "Cannot use -self with -mode!"
                : accessor && mode !== ""
                  ? `Cannot use -accessor with -mode=${mode}!`
                  : undefined;
    if (problem !== undefined) {
      ctx.ui.error(problem);
      return 1;
    }
    const client = await ctx.client();
    const arg = ctx.args[0] ?? "";
    try {
      if (self) await client.write("auth/token/revoke-self", {});
      else if (accessor) await client.write("auth/token/revoke-accessor", { accessor: arg });
      else if (mode === "orphan") await client.write("auth/token/revoke-orphan", { token: arg });
      else if (mode === "path") await client.request("PUT", `sys/leases/revoke-prefix/${arg}`);
      else await client.write("auth/token/revoke", { token: arg });
    } catch (err) {
      return ctx.fail("Error revoking token", err);
    }
    ctx.ui.output("Success! Revoked token (if it existed)");
    return 0;
  },
};

export const tokenCapabilitiesCommand: Command = {
  path: "token capabilities",
  synopsis: "Print capabilities of a token on a path",
  help: `
Usage: mayfly token capabilities [options] [TOKEN] PATH

  Prints the capabilities of a token on a path. With no token, the token in use
  is checked.

      $ mayfly token capabilities secret/foo
      $ mayfly token capabilities 96ddf4bc-d217-f3ba-f9bd-017055595017 database/creds/readonly`,
  async run(ctx) {
    const bad = ctx.expectArgs(1, 2);
    if (bad !== undefined) return bad;
    const [token, path] = ctx.args.length === 2 ? [ctx.args[0] as string, ctx.args[1] as string] : ["", ctx.args[0] as string];
    const client = await ctx.client();
    let secret: Secret | null;
    try {
      secret =
        token === ""
          ? await client.write("sys/capabilities-self", { paths: [path] }, "POST")
          : await client.write("sys/capabilities", { token, paths: [path] }, "POST");
    } catch (err) {
      return ctx.fail("Error listing capabilities", err);
    }
    const data = secret?.data ?? {};
    const found = Array.isArray(data[path]) && (data[path] as unknown[]).length > 0 ? data[path] : data["capabilities"];
    if (!Array.isArray(found)) {
      ctx.ui.error("No capabilities found");
      return 1;
    }
    const capabilities = found.map(String);
    if (ctx.format === "table") {
      ctx.ui.output([...capabilities].sort().join(", "));
      return 0;
    }
    return ctx.data(capabilities);
  },
};
