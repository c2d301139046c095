/**
 * Identity templating in policy paths (`identity/entity/id/{{identity.entity.id}}`), as
 * Vault's ACL templating mode: a directive that cannot be filled drops the rule, and a
 * filled value may not introduce `*` or `+`.
 */

export interface PolicyEntityAlias {
  readonly mountAccessor: string;
  readonly id: string;
  readonly name: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly customMetadata?: Readonly<Record<string, string>>;
}

export interface PolicyIdentity {
  readonly entity?: {
    readonly id: string;
    readonly name: string;
    readonly metadata?: Readonly<Record<string, string>>;
    readonly aliases?: readonly PolicyEntityAlias[];
  };
  readonly groups?: readonly {
    readonly id: string;
    readonly name: string;
    readonly metadata?: Readonly<Record<string, string>>;
  }[];
  /** For `{{time.now}}`; defaults to the wall clock. */
  readonly nowMs?: number;
}

/** Thrown (then reported by the parser) for `{{` / `}}` that do not pair up. */
export class TemplateSyntaxError extends Error {}

/** Whether `s` holds template directives; throws TemplateSyntaxError when unbalanced. */
export function hasTemplating(s: string): boolean {
  const pieces = s.split("{{");
  if ((pieces[0] ?? "").includes("}}")) throw new TemplateSyntaxError("unbalanced templating characters");
  for (const piece of pieces.slice(1)) {
    if (piece.split("}}").length !== 2) throw new TemplateSyntaxError("unbalanced templating characters");
  }
  return pieces.length > 1;
}

/** `s` with its directives filled from `identity`, or undefined when any cannot be filled. */
export function fillTemplate(s: string, identity: PolicyIdentity | undefined): string | undefined {
  const pieces = s.split("{{");
  let out = pieces[0] ?? "";
  for (const piece of pieces.slice(1)) {
    const [directive = "", rest = ""] = piece.split("}}");
    const value = resolve(directive.trim(), identity);
    if (value === undefined || value === "" || /[*+]/.test(value)) return undefined;
    out += value + rest;
  }
  return out;
}

function resolve(directive: string, identity: PolicyIdentity | undefined): string | undefined {
  if (directive.startsWith("identity.entity.")) {
    const entity = identity?.entity;
    if (!entity) return undefined;
    const field = directive.slice("identity.entity.".length);
    if (field === "id") return entity.id;
    if (field === "name") return entity.name;
    if (field.startsWith("metadata.")) return lookup(entity.metadata, field.slice("metadata.".length));
    if (field.startsWith("aliases.")) {
      const rest = field.slice("aliases.".length);
      const dot = rest.indexOf(".");
      if (dot < 0) return undefined;
      const alias = entity.aliases?.find((a) => a.mountAccessor === rest.slice(0, dot));
      if (!alias) return undefined;
      const aliasField = rest.slice(dot + 1);
      if (aliasField === "id") return alias.id;
      if (aliasField === "name") return alias.name;
      if (aliasField.startsWith("metadata.")) return lookup(alias.metadata, aliasField.slice("metadata.".length));
      if (aliasField.startsWith("custom_metadata.")) {
        return lookup(alias.customMetadata, aliasField.slice("custom_metadata.".length));
      }
    }
    // groups.ids / groups.names and bare metadata are lists or maps: no single path value.
    return undefined;
  }
  if (directive.startsWith("identity.groups.")) {
    const groups = identity?.groups ?? [];
    const m = /^identity\.groups\.(ids|names)\.([^.]+)\.(.+)$/.exec(directive);
    if (!m) return undefined;
    const [, by, key, field] = m;
    const group = groups.find((g) => (by === "ids" ? g.id : g.name) === key);
    if (!group) return undefined;
    if (field === "id") return group.id;
    if (field === "name") return group.name;
    if (field?.startsWith("metadata.")) return lookup(group.metadata, field.slice("metadata.".length));
    return undefined;
  }
  if (directive === "time.now" || directive.startsWith("time.now.")) {
    const nowSeconds = Math.floor((identity?.nowMs ?? Date.now()) / 1000);
    if (directive === "time.now") return String(nowSeconds);
    const m = /^time\.now\.(plus|minus)\.(\d+)([smhd]?)$/.exec(directive);
    if (!m) return undefined;
    const unitSeconds = { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[3] ?? ""] ?? 1;
    const delta = Number(m[2]) * unitSeconds;
    return String(m[1] === "plus" ? nowSeconds + delta : nowSeconds - delta);
  }
  return undefined;
}

function lookup(map: Readonly<Record<string, string>> | undefined, key: string): string | undefined {
  if (!map || !Object.prototype.hasOwnProperty.call(map, key)) return undefined;
  return map[key];
}
