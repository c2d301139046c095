import type { Core } from "../core/core.js";
import { notFound, badRequest } from "../framework/errors.js";
import { definePath, type PathDef } from "../framework/types.js";

/** Vault accepts a policy body in base64 too, when it decodes to valid UTF-8. */
function decodePolicyText(text: string): string {
  const trimmed = text.trim();
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) && trimmed.length % 4 === 0 && trimmed.length >= 8) {
    const decoded = Buffer.from(trimmed, "base64").toString("utf8");
    if (!decoded.includes("\uFFFD") && /path|name|\{/.test(decoded)) return decoded;
  }
  return text;
}

const ACL_POLICY_HELP = `Read, write or delete an ACL policy by name.

The policy is HCL (or JSON) text of path blocks with capabilities, as in Vault; it may
also be sent base64-encoded. It is parsed before it is stored, so a malformed policy is
refused with 400 naming what is wrong and the old text stays. Names are stored in lower
case. The default policy may be changed but not deleted; root, response-wrapping and
control-group are built in and can be neither written nor deleted. Reading root answers
404; response-wrapping reads as its fixed text.

A change applies to every token holding the policy on its next request. Deleting a
policy that does not exist succeeds.`;

const PASSWORD_POLICY_HELP = `Read, write or delete a password policy by name.

A password policy is HCL: a length (4 to 100) and at least one rule "charset" block, each
with a charset and an optional min-chars. The min-chars may not add up to more than the
length, and the charsets together may hold at most 256 distinct characters. The policy is
parsed and a password generated from it before it is stored, so one that cannot produce a
password is refused with 400. Names may hold letters, digits, "_", "-" and "." (up to 128
characters). The database engine's password_policy settings name these policies.`;

export function policyPaths(core: Core): PathDef[] {
  const listNames = async () => {
    const names = await core.policies.list();
    return [...new Set([...names, "root"])].sort();
  };
  return [
    definePath({
      pattern: "policies/acl/",
      help: "List the names of the ACL policies, root included.",
      operations: { list: async () => ({ data: { keys: await listNames() } }) },
    }),
    definePath({
      pattern: "policies/acl/:name",
      fields: {
        name: { type: "string", required: true, description: "Name of the policy (stored in lower case)." },
        policy: { type: "string", description: "The policy's HCL or JSON text, plain or base64-encoded." },
      },
      help: ACL_POLICY_HELP,
      operations: {
        read: async (_req, f) => {
          const p = await core.policies.read(f.values.name);
          if (!p) throw notFound();
          return { data: { name: p.name, policy: p.policy } };
        },
        update: async (_req, f) => {
          if (!f.has("policy")) throw badRequest("'policy' parameter not supplied or empty");
          await core.policies.write(f.values.name, decodePolicyText(f.values.policy));
          return undefined;
        },
        delete: async (_req, f) => {
          await core.policies.delete(f.values.name);
          return undefined;
        },
      },
    }),
    // The legacy API still used by node-vault and hvac; its data is also copied to the top level.
    definePath({
      pattern: "policy/",
      help: `List the names of the ACL policies (the older API), root included.

The names come as both keys and policies, at the top level of the answer as well as
under data, for clients written against the older API. A read and a LIST answer alike.`,
      operations: {
        read: async () => {
          const names = await listNames();
          return { data: { keys: names, policies: names }, injectDataAtTop: true };
        },
        list: async () => {
          const names = await listNames();
          return { data: { keys: names, policies: names }, injectDataAtTop: true };
        },
      },
    }),
    definePath({
      pattern: "policy/:name",
      fields: {
        name: { type: "string", required: true, description: "Name of the policy (stored in lower case)." },
        policy: { type: "string", description: "The policy's HCL or JSON text, plain or base64-encoded." },
        rules: { type: "string", description: "Older name of policy, used only when policy is absent; the answer carries a warning." },
      },
      help: `Read, write or delete an ACL policy by name (the older API).

The same policies as sys/policies/acl/<name>, with the same rules for writing and
deleting. A read answers the text as rules (not policy), copied to the top level of the
answer as well.`,
      operations: {
        read: async (_req, f) => {
          const p = await core.policies.read(f.values.name);
          if (!p) throw notFound();
          return { data: { name: p.name, rules: p.policy }, injectDataAtTop: true };
        },
        update: async (_req, f) => {
          const usedRules = !f.has("policy") && f.has("rules");
          const text = f.has("policy") ? f.values.policy : f.values.rules;
          if (!f.has("policy") && !f.has("rules")) throw badRequest("'policy' parameter not supplied or empty");
          await core.policies.write(f.values.name, decodePolicyText(text));
          return usedRules ? { data: null, warnings: ["'rules' is deprecated, please use 'policy' instead"] } : undefined;
        },
        delete: async (_req, f) => {
          await core.policies.delete(f.values.name);
          return undefined;
        },
      },
    }),
    definePath({
      pattern: "policies/password/",
      help: "List the names of the password policies.",
      operations: { list: async () => ({ data: { keys: await core.passwordPolicies.list() } }) },
    }),
    definePath({
      pattern: "policies/password/:name/generate",
      fields: { name: { type: "string", required: true, description: "Name of the password policy to generate from." } },
      help: `Generate a password from a password policy.

Each read draws a new password; nothing is stored. An unknown policy answers 404.`,
      operations: {
        read: async (_req, f) => {
          if ((await core.passwordPolicies.read(f.values.name)) === undefined) throw notFound();
          return { data: { password: await core.passwordPolicies.generate(f.values.name) } };
        },
      },
    }),
    definePath({
      pattern: "policies/password/:name",
      fields: {
        name: { type: "string", required: true, description: 'Name of the password policy: letters, digits, "_", "-" and ".".' },
        policy: { type: "string", description: "The policy's HCL text (length and charset rules), plain or base64-encoded." },
      },
      help: PASSWORD_POLICY_HELP,
      operations: {
        read: async (_req, f) => {
          const text = await core.passwordPolicies.read(f.values.name);
          if (text === undefined) throw notFound();
          return { data: { policy: text } };
        },
        update: async (_req, f) => {
          if (!f.has("policy") || f.values.policy.trim() === "") throw badRequest("missing policy");
          await core.passwordPolicies.write(f.values.name, decodePolicyText(f.values.policy));
          return undefined;
        },
        delete: async (_req, f) => {
          await core.passwordPolicies.delete(f.values.name);
          return undefined;
        },
      },
    }),
  ];
}
