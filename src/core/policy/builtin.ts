/**
 * Policies every server has. `root` has no text: it is recognised by name and grants
 * everything. `default` is written to storage at first unseal and may be edited (not
 * deleted); `response-wrapping` backs wrapping tokens and is fixed.
 */
import { parsePolicy } from "./parse.js";
import type { Policy } from "./types.js";

export const ROOT_POLICY_NAME = "root";
export const DEFAULT_POLICY_NAME = "default";
export const RESPONSE_WRAPPING_POLICY_NAME = "response-wrapping";
export const CONTROL_GROUP_POLICY_NAME = "control-group";

/** Policies no one may write or delete. */
export const IMMUTABLE_POLICY_NAMES: readonly string[] = [ROOT_POLICY_NAME, RESPONSE_WRAPPING_POLICY_NAME, CONTROL_GROUP_POLICY_NAME];
/** Policies that cannot be given to a token or role, and that `LIST sys/policies/acl` hides. */
export const NON_ASSIGNABLE_POLICY_NAMES: readonly string[] = [RESPONSE_WRAPPING_POLICY_NAME, CONTROL_GROUP_POLICY_NAME];

/**
 * The same paths and capabilities as Vault's built-in default policy, so a token that works
 * against Vault with only `default` works here. The comments are ours.
 */
export const DEFAULT_POLICY_TEXT = `
# A token may read its own properties.
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# A token may extend its own lifetime.
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# A token may revoke itself.
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# A token may ask which capabilities it holds on a path.
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# A token may read the entity it belongs to.
path "identity/entity/id/{{identity.entity.id}}" {
  capabilities = ["read"]
}
path "identity/entity/name/{{identity.entity.name}}" {
  capabilities = ["read"]
}

# The UI asks for the combined ACL of the caller's policies here.
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Renewing a lease by id (the lease id is the secret here); sys/renew is the old path.
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Looking up a lease whose id the caller already holds.
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Each token's private cubbyhole.
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Response wrapping: wrap a value, inspect a wrapping token, unwrap one.
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# Hashing tool.
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}

# Checking on a control group request when the caller holds its accessor.
path "sys/control-group/request" {
    capabilities = ["update"]
}

# The authorize endpoint of identity OIDC providers.
path "identity/oidc/provider/+/authorize" {
    capabilities = ["read", "update"]
}
`;

export const RESPONSE_WRAPPING_POLICY_TEXT = `
path "cubbyhole/response" {
    capabilities = ["create", "read"]
}

path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}
`;

export const CONTROL_GROUP_POLICY_TEXT = `
path "cubbyhole/control-group" {
    capabilities = ["update", "create", "read"]
}

path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}
`;

/** The root policy: no rules; compileAcl recognises it by name. */
export function rootPolicy(): Policy {
  return { name: ROOT_POLICY_NAME, raw: "", rules: [], templated: false, warnings: [] };
}

export function defaultPolicy(): Policy {
  return parsePolicy(DEFAULT_POLICY_NAME, DEFAULT_POLICY_TEXT);
}

export function responseWrappingPolicy(): Policy {
  return parsePolicy(RESPONSE_WRAPPING_POLICY_NAME, RESPONSE_WRAPPING_POLICY_TEXT);
}

export function controlGroupPolicy(): Policy {
  return parsePolicy(CONTROL_GROUP_POLICY_NAME, CONTROL_GROUP_POLICY_TEXT);
}
