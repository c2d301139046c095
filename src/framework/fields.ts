import { badRequest } from "./errors.js";
import { parseDurationSeconds } from "./duration.js";

/**
 * Field types as Vault's framework knows them. Values arrive from JSON bodies, query
 * strings and CLI `k=v` arguments (always strings), so every type accepts its string form.
 */
export interface FieldTypeMap {
  string: string;
  int: number;
  bool: boolean;
  /** Seconds; accepts 3600, "3600", "1h", "90s", "1h30m". */
  duration: number;
  /** A list; a single string becomes a one-element list (Vault's TypeStringSlice). */
  strings: string[];
  /** A list, or a comma-separated string (Vault's TypeCommaStringSlice), trimmed. */
  "comma-strings": string[];
  /** A JSON object (Vault's TypeMap). */
  map: Record<string, unknown>;
  /** An object of strings, or "k=v,k2=v2" (Vault's TypeKVPairs). */
  "string-map": Record<string, string>;
  ints: number[];
  /** Passed through untouched. */
  any: unknown;
}

export type FieldType = keyof FieldTypeMap;

export interface FieldSchema {
  readonly type: FieldType;
  readonly required?: boolean;
  readonly default?: unknown;
  readonly description?: string;
  readonly allowedValues?: readonly string[];
}

export type FieldSchemas = Readonly<Record<string, FieldSchema>>;

export type FieldValues<F extends FieldSchemas> = { -readonly [K in keyof F]: FieldTypeMap[F[K]["type"]] };

/** Parsed fields: typed values (defaults filled in) and which names the caller actually sent. */
export class Fields<F extends FieldSchemas = FieldSchemas> {
  constructor(
    readonly values: FieldValues<F>,
    private readonly provided: ReadonlySet<string>,
    readonly raw: Readonly<Record<string, unknown>>,
  ) {}
  has(name: keyof F & string): boolean {
    return this.provided.has(name);
  }
  /** The value if the caller sent it, else undefined (Vault's GetOk). */
  getOk<K extends keyof F & string>(name: K): FieldValues<F>[K] | undefined {
    return this.provided.has(name) ? this.values[name] : undefined;
  }
}

const zeroValues: { [T in FieldType]: () => FieldTypeMap[T] } = {
  string: () => "",
  int: () => 0,
  bool: () => false,
  duration: () => 0,
  strings: () => [],
  "comma-strings": () => [],
  map: () => ({}),
  "string-map": () => ({}),
  ints: () => [],
  any: () => undefined,
};

/**
 * Parses `data` against `schemas`. Returns the fields and the names that no schema knows,
 * which the caller reports as a warning as Vault does (never an error: clients add keys).
 */
export function parseFields<F extends FieldSchemas>(
  schemas: F,
  data: Readonly<Record<string, unknown>>,
): { fields: Fields<F>; unknown: string[] } {
  const values: Record<string, unknown> = {};
  const provided = new Set<string>();
  for (const [name, schema] of entriesOf(schemas)) {
    const raw = data[name];
    if (raw === undefined || raw === null) {
      if (schema.required) throw badRequest(`missing required field '${name}'`);
      values[name] = schema.default !== undefined ? cloneDefault(schema.default) : zeroValues[schema.type]();
      continue;
    }
    const value = coerceField(name, schema.type, raw);
    if (schema.allowedValues && typeof value === "string" && !schema.allowedValues.includes(value)) {
      throw badRequest(`invalid value for '${name}': "${value}" (allowed: ${schema.allowedValues.join(", ")})`);
    }
    values[name] = value;
    provided.add(name);
  }
  const unknown: string[] = [];
  for (const k in data) if (Object.hasOwn(data, k) && !(k in schemas)) unknown.push(k);
  return { fields: new Fields<F>(values as FieldValues<F>, provided, data), unknown };
}

/**
 * A path's schemas are declared once and parsed on every request: their entries are listed
 * once (keyed by the long-lived schema object).
 */
const schemaEntries = new WeakMap<FieldSchemas, readonly (readonly [string, FieldSchema])[]>();

function entriesOf(schemas: FieldSchemas): readonly (readonly [string, FieldSchema])[] {
  let entries = schemaEntries.get(schemas);
  if (entries === undefined) {
    entries = Object.entries(schemas);
    schemaEntries.set(schemas, entries);
  }
  return entries;
}

function cloneDefault(v: unknown): unknown {
  return typeof v === "object" && v !== null ? structuredClone(v) : v;
}

export function coerceField(name: string, type: FieldType, raw: unknown): unknown {
  switch (type) {
    case "string":
      if (typeof raw === "string") return raw;
      if (typeof raw === "number" || typeof raw === "boolean") return String(raw);
      break;
    case "int": {
      const n = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
      if (typeof n === "number" && Number.isInteger(n)) return n;
      break;
    }
    case "bool":
      if (typeof raw === "boolean") return raw;
      if (typeof raw === "string") {
        const b = parseGoBool(raw);
        if (b !== undefined) return b;
      }
      if (raw === 0 || raw === 1) return raw === 1;
      break;
    case "duration":
      try {
        return parseDurationSeconds(raw as string | number);
      } catch {
        break;
      }
    case "strings":
      if (Array.isArray(raw)) return raw.map(stringifyItem);
      if (typeof raw === "string") return raw === "" ? [] : [raw];
      if (typeof raw === "number" || typeof raw === "boolean") return [String(raw)];
      break;
    case "comma-strings":
      if (Array.isArray(raw)) return raw.flatMap((x) => splitCommaList(stringifyItem(x)));
      if (typeof raw === "string") return splitCommaList(raw);
      if (typeof raw === "number" || typeof raw === "boolean") return [String(raw)];
      break;
    case "ints": {
      const items = Array.isArray(raw) ? raw : typeof raw === "string" ? splitCommaList(raw) : [raw];
      const out = items.map((x) => (typeof x === "string" && x.trim() !== "" ? Number(x) : x));
      if (out.every((x) => typeof x === "number" && Number.isInteger(x))) return out;
      break;
    }
    case "map":
      if (typeof raw === "object" && !Array.isArray(raw)) return raw;
      if (typeof raw === "string") {
        try {
          const parsed: unknown = JSON.parse(raw);
          if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed;
        } catch {
          // fall through to the error below
        }
      }
      break;
    case "string-map":
      return coerceStringMap(name, raw);
    case "any":
      return raw;
  }
  throw badRequest(`error converting input for field "${name}": expected ${describeType(type)}`);
}

function coerceStringMap(name: string, raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) {
    for (const [k, v] of Object.entries(raw)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
    return out;
  }
  const items = Array.isArray(raw) ? raw : typeof raw === "string" ? splitCommaList(raw) : undefined;
  if (items === undefined) throw badRequest(`error converting input for field "${name}": expected a map of strings`);
  if (typeof raw === "string" && raw.trim().startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw badRequest(`error converting input for field "${name}": not a JSON object nor key=value pairs`);
    }
    // An object only: a JSON string or list here would recurse into the other readings.
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw badRequest(`error converting input for field "${name}": expected a map of strings`);
    }
    return coerceStringMap(name, parsed);
  }
  for (const item of items) {
    const s = String(item);
    const eq = s.indexOf("=");
    if (eq <= 0) throw badRequest(`error converting input for field "${name}": "${s}" is not key=value`);
    out[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return out;
}

function stringifyItem(x: unknown): string {
  return typeof x === "string" ? x : JSON.stringify(x);
}

function describeType(type: FieldType): string {
  switch (type) {
    case "strings":
      return "a list of strings";
    case "comma-strings":
      return "a list of strings or a comma-separated string";
    case "ints":
      return "a list of integers";
    case "duration":
      return 'a duration such as 3600, "1h" or "90s"';
    case "map":
      return "an object";
    default:
      return `a value of type ${type}`;
  }
}

/** Go's strconv.ParseBool, which Vault uses for booleans given as strings. */
export function parseGoBool(s: string): boolean | undefined {
  switch (s) {
    case "1": case "t": case "T": case "TRUE": case "true": case "True":
      return true;
    case "0": case "f": case "F": case "FALSE": case "false": case "False":
      return false;
    default:
      return undefined;
  }
}

export function splitCommaList(s: string): string[] {
  return s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");
}
