/**
 * login (command/login.go with the token and userpass CLI handlers). The token method
 * verifies the token with lookup-self; other methods POST their k=v arguments to
 * auth/<path>/login, with the username in the URL for the username/password methods.
 */
import { wrapAtLength } from "../gofmt.js";
import { DataArgError, parseDataArgs, toStringMap } from "../data-args.js";
import { LocalError, sanitizePath, type Command, type Ctx } from "../command.js";
import type { VaultClient } from "../http-client.js";
import { parseSecret, type Secret } from "../secret.js";

/** Methods whose CLI handler puts the username in the path, as Vault's userpass/ldap/okta/radius do. */
const usernameInPath = new Set(["userpass", "ldap", "okta", "radius"]);

async function lookupSelf(client: VaultClient, token: string): Promise<Secret> {
  const res = await client.request("GET", "auth/token/lookup-self", { token });
  const secret = parseSecret(res.body);
  if (secret === null || secret.data === null) throw new Error("empty response from lookup-self");
  return secret;
}

/** Builds the auth block a token login reports, from the lookup-self data. */
function authFromLookup(token: string, data: Record<string, unknown>): Secret {
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  const tokenPolicies = list(data["policies"]);
  const identityPolicies = list(data["identity_policies"]);
  const meta = data["meta"];
  return {
    request_id: "",
    lease_id: "",
    lease_duration: 0,
    renewable: false,
    data: null,
    warnings: null,
    auth: {
      client_token: typeof data["id"] === "string" && data["id"] !== "" ? data["id"] : token,
      accessor: typeof data["accessor"] === "string" ? data["accessor"] : "",
      policies: [...new Set([...tokenPolicies, ...identityPolicies])],
      token_policies: tokenPolicies,
      identity_policies: identityPolicies,
      metadata: meta !== null && typeof meta === "object" ? Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, String(v)])) : null,
      orphan: data["orphan"] === true,
      entity_id: typeof data["entity_id"] === "string" ? data["entity_id"] : "",
      lease_duration: typeof data["ttl"] === "number" ? data["ttl"] : 0,
      renewable: data["renewable"] === true,
    },
    wrap_info: null,
    mount_type: "",
  };
}

export const loginCommand: Command = {
  path: "login",
  synopsis: "Authenticate locally",
  help: `
Usage: mayfly login [options] [AUTH K=V...]

  Authenticates to Mayfly with the given arguments. The resulting token is
  stored in ~/.mayfly-token and used by later commands.

  The default auth method is "token". Without a token argument it is asked
  for; "-" reads it from stdin:

      $ mayfly login s.3ad8...
      $ mayfly login -method=userpass username=alice
      $ mayfly login -method=approle role_id=... secret_id=...

  -method names the method's type and -path where it is mounted, when that is
  not the type's name.`,
  flags: [
    { name: "method", kind: "string", default: "token", usage: 'Type of authentication to use, such as "userpass" or "approle".' },
    { name: "path", kind: "string", usage: "Path where the auth method is mounted; defaults to the method's name." },
    { name: "no-store", kind: "bool", usage: "Do not store the token in the token file; only print it." },
    { name: "no-print", kind: "bool", usage: "Do not print the token; it is still stored." },
    { name: "token-only", kind: "bool", usage: 'Print only the token, and do not store it (shortcut for "-field=token -no-store").' },
  ],
  async run(ctx) {
    const f = ctx.flags;
    let field = ctx.field;
    let noStore = f.bool("no-store");
    if (f.bool("token-only")) {
      noStore = true;
      field = "token";
    }
    if (noStore && f.bool("no-print")) {
      ctx.ui.error("-no-store and -no-print cannot be used together");
      return 1;
    }
    const method = sanitizePath(f.str("method")) || "token";
    let args = [...ctx.args];
    if (method === "token" && args.length > 0 && !(args[0] as string).includes("=")) args = [`token=${args[0] as string}`, ...args.slice(1)];
    let config: Record<string, string>;
    try {
      config = toStringMap(await parseDataArgs(args, { stdin: ctx.io.stdin }));
    } catch (err) {
      if (err instanceof DataArgError) {
        ctx.ui.error(`Error parsing configuration: ${err.message}`);
        return 1;
      }
      throw err;
    }
    // As Vault: -path, else a mount=... argument, else the method's name.
    const mount = sanitizePath(f.str("path") || config["mount"] || method);
    const client = await ctx.client();
    let secret: Secret;
    try {
      secret = method === "token" ? await loginWithToken(ctx, client, config) : await loginWithMethod(ctx, client, method, mount, config);
    } catch (err) {
      if (err instanceof LocalError) {
        ctx.ui.error(err.message);
        return 1;
      }
      ctx.ui.error(`Error authenticating: ${(err as Error).message}`);
      return 2;
    }
    // A wrapped login (-wrap-ttl), as Vault's extractToken: unwrapped to store its token,
    // or shown as it is when the token is not to be stored.
    if (secret.auth === null && secret.wrap_info !== null) {
      if (secret.wrap_info.wrapped_accessor === "") {
        ctx.ui.error("Error extracting token: wrapped response does not contain a token");
        return 2;
      }
      if (noStore) return f.bool("token-only") ? ctx.rawField({ secret }, "wrapping_token") : ctx.secret(secret);
      try {
        secret = await unwrapLogin(client, secret.wrap_info.token);
      } catch (err) {
        ctx.ui.error(`Error extracting token: ${(err as Error).message}`);
        return 2;
      }
    }
    if (secret.auth === null) {
      ctx.ui.error(wrapAtLength("Mayfly returned a secret, but the secret has no authentication information attached. This should never happen and is likely a bug."));
      return 2;
    }
    if (!noStore) {
      try {
        await ctx.tokenHelper.store(secret.auth.client_token);
      } catch (err) {
        ctx.ui.error(`Error storing token: ${(err as Error).message}`);
        ctx.ui.error(wrapAtLength("Authentication was successful, but the token was not persisted. The resulting token is shown below for your records.") + "\n");
        ctx.secret(secret);
        return 2;
      }
      warnAboutEnvToken(ctx);
    } else if (!f.bool("token-only")) {
      ctx.ui.warn(wrapAtLength("The token was not stored in token helper. Set the MAYFLY_TOKEN environment variable or pass the token below with each request to Mayfly.") + "\n");
    }
    if (f.bool("no-print")) return 0;
    if (field !== "") return ctx.rawField({ secret }, field);
    if (ctx.format === "table") {
      ctx.ui.output(
        wrapAtLength(
          'Success! You are now authenticated. The token information displayed below is already stored in the token helper. You do NOT need to run "mayfly login" again. Future Mayfly requests will automatically use this token.',
        ) + "\n",
      );
    }
    return ctx.secret(secret);
  },
};

async function loginWithToken(ctx: Ctx, client: VaultClient, config: Record<string, string>): Promise<Secret> {
  // "mayfly login -" arrives here as token=<stdin>, read by the data-argument parser.
  let token = (config["token"] ?? "").trim();
  if (token === "") token = (await ctx.prompt("Token (will be hidden): ")).trim();
  if (token === "") throw new Error("a token must be passed to auth, please view the help for more information");
  let lookup: Secret;
  try {
    lookup = await lookupSelf(client, token);
  } catch (err) {
    throw new Error(`error looking up token: ${(err as Error).message}`);
  }
  return authFromLookup(token, lookup.data ?? {});
}

async function loginWithMethod(ctx: Ctx, client: VaultClient, method: string, mount: string, config: Record<string, string>): Promise<Secret> {
  const body: Record<string, string> = { ...config };
  delete body["mount"];
  let path = `auth/${mount}/login`;
  if (usernameInPath.has(method)) {
    const username = body["username"] ?? ctx.io.env["USER"] ?? "";
    if (username === "") throw new Error("'username' must be specified");
    delete body["username"];
    if (body["password"] === undefined) body["password"] = await ctx.prompt("Password (will be hidden): ");
    path = `${path}/${username}`;
  }
  // Logging in never uses the stored token: it may be stale or for another server.
  const res = await client.request("POST", path, { body, token: null });
  const secret = parseSecret(res.body);
  if (secret === null) throw new Error("empty response from auth helper");
  return secret;
}

async function unwrapLogin(client: VaultClient, wrappingToken: string): Promise<Secret> {
  const res = await client.request("PUT", "sys/wrapping/unwrap", { token: wrappingToken, noWrap: true });
  const secret = parseSecret(res.body);
  if (secret === null) throw new Error("empty response from auth helper");
  return secret;
}

function warnAboutEnvToken(ctx: Ctx): void {
  for (const name of ["MAYFLY_TOKEN", "VAULT_TOKEN"]) {
    if ((ctx.io.env[name] ?? "") !== "") {
      ctx.ui.warn(
        wrapAtLength(`WARNING! The ${name} environment variable is set! The value of this variable will take precedence; if this is unwanted please unset ${name} or update its value accordingly.`) + "\n",
      );
      return;
    }
  }
}
