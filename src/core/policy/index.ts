export { compileAcl, Acl, type AclDecision, type AclOperation, type AclRequest } from "./acl.js";
export {
  CONTROL_GROUP_POLICY_NAME,
  CONTROL_GROUP_POLICY_TEXT,
  controlGroupPolicy,
  DEFAULT_POLICY_NAME,
  DEFAULT_POLICY_TEXT,
  defaultPolicy,
  IMMUTABLE_POLICY_NAMES,
  NON_ASSIGNABLE_POLICY_NAMES,
  RESPONSE_WRAPPING_POLICY_NAME,
  RESPONSE_WRAPPING_POLICY_TEXT,
  responseWrappingPolicy,
  ROOT_POLICY_NAME,
  rootPolicy,
} from "./builtin.js";
export { formatPolicy } from "./format.js";
export { normalizePolicyName, parsePolicy } from "./parse.js";
export { globbedStringsMatch } from "./params.js";
export type { PolicyEntityAlias, PolicyIdentity } from "./template.js";
export {
  bitmapToCapabilities,
  CAPABILITIES,
  type Capability,
  type ParameterConstraints,
  type ParameterValue,
  type PathRule,
  type Policy,
} from "./types.js";
