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

export function policyPaths(core: Core): PathDef[] {
  const listNames = async () => {
    const names = await core.policies.list();
    return [...new Set([...names, "root"])].sort();
  };
  return [
    definePath({
      pattern: "policies/acl/",
      operations: { list: async () => ({ data: { keys: await listNames() } }) },
    }),
    definePath({
      pattern: "policies/acl/:name",
      fields: { name: { type: "string", required: true }, policy: { type: "string" } },
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
      fields: { name: { type: "string", required: true }, policy: { type: "string" }, rules: { type: "string" } },
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
      operations: { list: async () => ({ data: { keys: await core.passwordPolicies.list() } }) },
    }),
    definePath({
      pattern: "policies/password/:name/generate",
      fields: { name: { type: "string", required: true } },
      operations: {
        read: async (_req, f) => {
          if ((await core.passwordPolicies.read(f.values.name)) === undefined) throw notFound();
          return { data: { password: await core.passwordPolicies.generate(f.values.name) } };
        },
      },
    }),
    definePath({
      pattern: "policies/password/:name",
      fields: { name: { type: "string", required: true }, policy: { type: "string" } },
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
