/** Capabilities, parsed policies and the values they constrain. */

export const CAPABILITIES = [
  "deny",
  "create",
  "read",
  "update",
  "delete",
  "list",
  "sudo",
  "patch",
  "subscribe",
  "recover",
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** One bit per capability, so merging rules is an OR and a check is an AND. */
export const CAPABILITY_BITS: Readonly<Record<Capability, number>> = {
  deny: 1,
  create: 1 << 1,
  read: 1 << 2,
  update: 1 << 3,
  delete: 1 << 4,
  list: 1 << 5,
  sudo: 1 << 6,
  patch: 1 << 7,
  subscribe: 1 << 8,
  recover: 1 << 9,
};

/** The pre-0.5 `policy = "..."` shorthand, mapped as Vault maps it. */
export const LEGACY_POLICIES: Readonly<Record<string, readonly Capability[]>> = {
  deny: ["deny"],
  read: ["read", "list"],
  write: ["create", "read", "update", "delete", "list"],
  sudo: ["create", "read", "update", "delete", "list", "sudo"],
};

export function capabilitiesToBitmap(capabilities: readonly Capability[]): number {
  let bits = 0;
  for (const c of capabilities) bits |= CAPABILITY_BITS[c];
  return bits;
}

/** Capability names in a bitmap, sorted as `sys/capabilities` reports them. */
export function bitmapToCapabilities(bitmap: number): Capability[] {
  return CAPABILITIES.filter((c) => (bitmap & CAPABILITY_BITS[c]) !== 0).sort();
}

/** A value in `allowed_parameters` / `denied_parameters` lists, or a request field. */
export type ParameterValue = string | number | boolean | null | ParameterValue[] | { [key: string]: ParameterValue };

/** Parameter name (lower-cased, `*` for any) to the values it may or may not take. */
export type ParameterConstraints = Readonly<Record<string, readonly ParameterValue[]>>;

export interface PathRule {
  /** The pattern as matched: no leading `/`, a trailing `*` kept. May hold `{{...}}` templates. */
  readonly path: string;
  /** Where the rule's block starts in the policy text. */
  readonly line: number;
  /** Effective capabilities after legacy mapping; `["deny"]` alone when deny was given. */
  readonly capabilities: readonly Capability[];
  readonly capabilitiesBitmap: number;
  readonly allowedParameters?: ParameterConstraints;
  readonly deniedParameters?: ParameterConstraints;
  readonly requiredParameters?: readonly string[];
  readonly minWrappingTtlSeconds?: number;
  readonly maxWrappingTtlSeconds?: number;
  /** Accepted for compatibility; Mayfly does not enforce MFA or control groups. */
  readonly mfaMethods?: readonly string[];
  readonly controlGroup?: unknown;
  readonly subscribeEventTypes?: readonly string[];
  /** The path uses identity templating (`{{identity.entity.id}}`), filled in per token. */
  readonly templated: boolean;
}

export interface Policy {
  /** Lower-cased and trimmed, as Vault stores names. */
  readonly name: string;
  /** The text the policy was parsed from (what `sys/policies/acl/<name>` returns). */
  readonly raw: string;
  readonly rules: readonly PathRule[];
  /** Some rule paths need identity templating. */
  readonly templated: boolean;
  /** Things Vault accepts but warns about, e.g. duplicate attributes. */
  readonly warnings: readonly string[];
}
