/** `users/`, `users/:username`, `users/:username/password`, `users/:username/policies`. */
import { badRequest, notFound } from "../../framework/errors.js";
import type { FieldSchemas } from "../../framework/fields.js";
import { definePath, type PathDef, type Request } from "../../framework/types.js";
import { sanitizePolicies } from "../token/policy-rules.js";
import { parseCidrs } from "../token/role-model.js";
import type { UserpassDeps } from "./deps.js";
import { hashPassword } from "./password-hash.js";
import { applyTokenFields, emptyTokenParams, tokenFieldInput, tokenFieldSchemas, tokenParamsData } from "./token-params.js";
import { deleteUser, emptyLegacyFields, isValidUsername, listUsers, normalizeUsername, readUser, writeUser, type UserEntry } from "./user-store.js";

const deprecated = (name: string) => `Use "${name}" instead. If both are given, only "${name}" is used.`;

const userFields = {
  username: { type: "string", required: true, description: 'Name of the user (letters, digits, "_", "-" and "."); stored lowercased.' },
  password: { type: "string", description: "Password for this user; stored only as a scrypt hash." },
  policies: { type: "comma-strings", description: deprecated("token_policies") },
  ttl: { type: "duration", description: deprecated("token_ttl") },
  max_ttl: { type: "duration", description: deprecated("token_max_ttl") },
  bound_cidrs: { type: "comma-strings", description: deprecated("token_bound_cidrs") },
  ...tokenFieldSchemas,
} as const satisfies FieldSchemas;

const passwordFields = {
  username: { type: "string", required: true, description: "Name of the user whose password changes." },
  password: { type: "string", description: "The new password." },
} as const satisfies FieldSchemas;

const policiesFields = {
  username: { type: "string", required: true, description: "Name of the user whose policies change." },
  policies: { type: "comma-strings", description: deprecated("token_policies") },
  token_policies: { type: "comma-strings", description: "Policies attached to the user's tokens." },
} as const satisfies FieldSchemas;

async function existingUser(req: Request, rawName: string): Promise<{ username: string; user: UserEntry }> {
  const username = normalizeUsername(rawName);
  const user = await readUser(req.storage, username);
  // Vault answers this with a 500; nothing is wrong with the server, so Mayfly says 400.
  if (!user) throw badRequest("username does not exist");
  return { username, user };
}

function requirePassword(password: string): string {
  if (password === "") throw badRequest("missing password");
  return password;
}

/**
 * Vault's tokenutil.UpgradeValue: the `token_` spelling wins; the deprecated one is kept
 * (and mirrored into the new one) only when it alone was sent, and cleared when only the
 * new one was.
 */
function upgradeLegacy<T>(sentNew: boolean, oldValue: T | undefined, current: { legacy: T; token: T }, cleared: T): { legacy: T; token: T } {
  if (!sentNew) return oldValue === undefined ? current : { legacy: oldValue, token: oldValue };
  return { legacy: oldValue === undefined ? cleared : current.token, token: current.token };
}

export function userPaths(deps: UserpassDeps): PathDef[] {
  return [
    definePath({
      pattern: "users/",
      operations: {
        list: async (req) => {
          const keys = await listUsers(req.storage);
          if (keys.length === 0) throw notFound();
          return { data: { keys } };
        },
      },
      help: "List the users of this mount.\n\nA mount with no user answers 404.",
    }),
    definePath({
      pattern: "users/:username/password",
      fields: passwordFields,
      operations: {
        update: async (req, f) => {
          const { username, user } = await existingUser(req, f.values.username);
          user.passwordHash = await hashPassword(requirePassword(f.values.password), deps.scrypt);
          await writeUser(req.storage, username, user);
          return undefined;
        },
      },
      help: `Reset a user's password.

The new password replaces the old one at once; tokens issued before stay valid. An
unknown user answers 400.`,
    }),
    definePath({
      pattern: "users/:username/policies",
      fields: policiesFields,
      operations: {
        update: async (req, f) => {
          const { username, user } = await existingUser(req, f.values.username);
          const tokenPolicies = f.getOk("token_policies");
          const policies = f.getOk("policies");
          if (tokenPolicies !== undefined) {
            user.token.policies = sanitizePolicies(tokenPolicies, false);
            user.legacy.policies = policies !== undefined ? [...user.token.policies] : [];
          } else if (policies !== undefined) {
            user.legacy.policies = sanitizePolicies(policies, false);
            user.token.policies = [...user.legacy.policies];
          }
          await writeUser(req.storage, username, user);
          return undefined;
        },
      },
      help: `Replace the policies of a user's tokens.

Logins from now on get the new policies. Tokens issued before keep theirs, but can no
longer be renewed, since their policies no longer match the user's. An unknown user
answers 400.`,
    }),
    definePath({
      pattern: "users/:username",
      fields: userFields,
      existenceCheck: async (req, f) =>
        isValidUsername(f.values.username) && (await readUser(req.storage, normalizeUsername(f.values.username))) !== undefined,
      operations: {
        read: async (req, f) => {
          const user = await readUser(req.storage, normalizeUsername(f.values.username));
          // Vault turns an empty read into a 404.
          if (!user) throw notFound();
          const data: Record<string, unknown> = tokenParamsData(user.token);
          if (user.legacy.ttlSeconds > 0) data.ttl = user.legacy.ttlSeconds;
          if (user.legacy.maxTtlSeconds > 0) data.max_ttl = user.legacy.maxTtlSeconds;
          if (user.legacy.policies.length > 0) data.policies = [...user.token.policies];
          if (user.legacy.boundCidrs.length > 0) data.bound_cidrs = [...user.legacy.boundCidrs];
          return { data };
        },
        create: async (req, f) => {
          const username = normalizeUsername(f.values.username);
          const existing = await readUser(req.storage, username);
          const password = f.getOk("password");
          // A user without a password could never log in; Vault refuses to create one.
          if (!existing && (password === undefined || password === "")) throw badRequest("missing password");
          const token = existing ? existing.token : emptyTokenParams();
          const legacy = existing ? existing.legacy : emptyLegacyFields();
          applyTokenFields(token, tokenFieldInput(f));

          const p = upgradeLegacy(f.has("token_policies"), mapDefined(f.getOk("policies"), (v) => sanitizePolicies(v, false)), { legacy: legacy.policies, token: token.policies }, []);
          [legacy.policies, token.policies] = [p.legacy, p.token];
          const t = upgradeLegacy(f.has("token_ttl"), f.getOk("ttl"), { legacy: legacy.ttlSeconds, token: token.ttlSeconds }, 0);
          [legacy.ttlSeconds, token.ttlSeconds] = [t.legacy, t.token];
          const m = upgradeLegacy(f.has("token_max_ttl"), f.getOk("max_ttl"), { legacy: legacy.maxTtlSeconds, token: token.maxTtlSeconds }, 0);
          [legacy.maxTtlSeconds, token.maxTtlSeconds] = [m.legacy, m.token];
          const c = upgradeLegacy(
            f.has("token_bound_cidrs"),
            mapDefined(f.getOk("bound_cidrs"), (v) => parseCidrs("bound_cidrs", v)),
            { legacy: legacy.boundCidrs, token: token.boundCidrs },
            [],
          );
          [legacy.boundCidrs, token.boundCidrs] = [c.legacy, c.token];

          // Hash last: a write refused for its other fields should not cost a hash.
          let passwordHash = existing?.passwordHash;
          if (password !== undefined) passwordHash = await hashPassword(requirePassword(password), deps.scrypt);
          if (!passwordHash) throw badRequest("missing password");
          await writeUser(req.storage, username, { token, passwordHash, legacy });
          return undefined;
        },
        delete: async (req, f) => {
          const username = normalizeUsername(f.values.username);
          await deleteUser(req.storage, username);
          // A user made again under this name starts with a clean slate.
          await deps.failures.clear(req.storage, username);
          return undefined;
        },
      },
      help: `Create, read, update and delete users.

A write that creates a user needs password; a write to an existing user changes only what
it sends. Passwords are stored as scrypt hashes and never returned. The token_ fields shape
the tokens that login/<username> issues.

A read returns the token_ settings, and the deprecated policies, ttl, max_ttl and
bound_cidrs only when they were written under those names; when both spellings are sent,
the token_ one is used. Deleting a user does not revoke the tokens it logged in for; their
next renewal fails.`,
    }),
  ];
}

function mapDefined<T, U>(v: T | undefined, fn: (v: T) => U): U | undefined {
  return v === undefined ? undefined : fn(v);
}
