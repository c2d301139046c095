/**
 * Go-style flags as Vault's CLI takes them: one or two dashes, `-name=value` or
 * `-name value`, booleans that never swallow the next argument, `--` to end flags.
 *
 * Vault stops at the first positional argument. We also accept known flags after
 * positionals (people type `mayfly kv get secret/x -format=json`), but an unknown
 * dash-word after a positional stays positional: it may be data (`-` for stdin, or a
 * key that happens to start with a dash), which Vault would have read as data too.
 */
import { parseDurationSeconds } from "./duration.js";
import { parseGoBool } from "./gofmt.js";

export type FlagKind = "string" | "bool" | "int" | "duration" | "strings" | "map";

export interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
  readonly usage: string;
  readonly aliases?: readonly string[];
  readonly default?: string | boolean | number;
  /** Environment variables consulted, in order, when the flag is not given. */
  readonly env?: readonly string[];
}

export class FlagError extends Error {}

type FlagValue = string | boolean | number | string[] | Record<string, string>;

export class ParsedFlags {
  constructor(
    private readonly values: ReadonlyMap<string, FlagValue>,
    private readonly given: ReadonlySet<string>,
  ) {}

  /** Whether the user typed the flag (not a default or an environment variable). */
  isSet(name: string): boolean {
    return this.given.has(name);
  }
  str(name: string): string {
    const v = this.values.get(name);
    return typeof v === "string" ? v : "";
  }
  bool(name: string): boolean {
    return this.values.get(name) === true;
  }
  /** Ints and durations (durations in seconds). */
  num(name: string): number {
    const v = this.values.get(name);
    return typeof v === "number" ? v : 0;
  }
  strings(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? [...v] : [];
  }
  map(name: string): Record<string, string> {
    const v = this.values.get(name);
    return v !== undefined && typeof v === "object" && !Array.isArray(v) ? { ...v } : {};
  }
}

export interface ParseResult {
  flags: ParsedFlags;
  args: string[];
  help: boolean;
}

export function parseFlags(
  argv: readonly string[],
  specs: readonly FlagSpec[],
  env: Readonly<Record<string, string | undefined>> = {},
): ParseResult {
  const byName = new Map<string, FlagSpec>();
  for (const spec of specs) {
    byName.set(spec.name, spec);
    for (const alias of spec.aliases ?? []) byName.set(alias, spec);
  }
  const values = new Map<string, FlagValue>();
  const given = new Set<string>();
  const args: string[] = [];
  let help = false;
  let seenPositional = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (arg.length < 2 || !arg.startsWith("-")) {
      args.push(arg);
      seenPositional = true;
      continue;
    }
    const body = arg.startsWith("--") ? arg.slice(2) : arg.slice(1);
    if (body === "" || body.startsWith("-") || body.startsWith("=")) {
      if (seenPositional) {
        args.push(arg);
        continue;
      }
      throw new FlagError(`bad flag syntax: ${arg}`);
    }
    const eq = body.indexOf("=");
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const inline = eq >= 0 ? body.slice(eq + 1) : undefined;
    if ((name === "h" || name === "help") && !byName.has(name)) {
      help = true;
      continue;
    }
    const spec = byName.get(name);
    if (!spec) {
      if (seenPositional) {
        args.push(arg);
        continue;
      }
      throw new FlagError(`flag provided but not defined: -${name}`);
    }
    if (spec.kind === "bool") {
      let v = true;
      if (inline !== undefined) {
        const parsed = parseGoBool(inline);
        if (parsed === undefined) throw new FlagError(`invalid boolean value "${inline}" for -${name}: parse error`);
        v = parsed;
      }
      values.set(spec.name, v);
      given.add(spec.name);
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: -${name}`);
      raw = argv[++i] as string;
    }
    values.set(spec.name, convert(spec, name, raw, values.get(spec.name), given.has(spec.name)));
    given.add(spec.name);
  }

  for (const spec of specs) {
    if (values.has(spec.name)) continue;
    const fromEnv = (spec.env ?? []).map((e) => env[e]).find((v) => v !== undefined && v !== "");
    if (fromEnv !== undefined) {
      try {
        values.set(spec.name, convert(spec, spec.name, fromEnv, undefined, false));
        continue;
      } catch {
        throw new FlagError(`could not parse ${spec.env?.find((e) => env[e] === fromEnv) ?? spec.name}: ${fromEnv}`);
      }
    }
    if (spec.default !== undefined) values.set(spec.name, spec.default);
  }

  return { flags: new ParsedFlags(values, given), args, help };
}

function convert(spec: FlagSpec, name: string, raw: string, previous: FlagValue | undefined, repeated: boolean): FlagValue {
  const invalid = () => new FlagError(`invalid value "${raw}" for flag -${name}: parse error`);
  switch (spec.kind) {
    case "string":
      return raw;
    case "bool": {
      const b = parseGoBool(raw);
      if (b === undefined) throw invalid();
      return b;
    }
    case "int": {
      if (!/^[+-]?\d+$/.test(raw.trim())) throw invalid();
      return Number(raw.trim());
    }
    case "duration": {
      try {
        return parseDurationSeconds(raw);
      } catch {
        throw invalid();
      }
    }
    case "strings": {
      const list = repeated && Array.isArray(previous) ? previous : [];
      return [...list, raw.trim()];
    }
    case "map": {
      const eq = raw.indexOf("=");
      if (eq < 0) throw new FlagError(`invalid value "${raw}" for flag -${name}: missing = in KV pair: "${raw}"`);
      const map = repeated && previous !== undefined && typeof previous === "object" && !Array.isArray(previous) ? previous : {};
      return { ...map, [raw.slice(0, eq)]: raw.slice(eq + 1) };
    }
  }
}

/** Help lines for a group of flags, Vault-style: `  -name=<kind>` then the wrapped usage. */
export function renderFlagHelp(title: string, specs: readonly FlagSpec[]): string {
  if (specs.length === 0) return "";
  const lines = [`${title}:`, ""];
  for (const spec of specs) {
    const aliases = (spec.aliases ?? []).map((a) => `-${a}`);
    const shape = spec.kind === "bool" ? "" : `=<${spec.kind === "strings" ? "string" : spec.kind === "map" ? "key=value" : spec.kind}>`;
    lines.push(`  -${spec.name}${shape}${aliases.length > 0 ? " (" + aliases.join(", ") + ")" : ""}`);
    lines.push(...wrapUsage(spec.usage).map((l) => "      " + l));
    lines.push("");
  }
  return lines.join("\n");
}

function wrapUsage(text: string): string[] {
  const words = text.split(/\s+/).filter((w) => w !== "");
  const out: string[] = [];
  let line = "";
  for (const w of words) {
    if (line === "") line = w;
    else if (line.length + 1 + w.length <= 72) line += " " + w;
    else {
      out.push(line);
      line = w;
    }
  }
  if (line !== "") out.push(line);
  return out;
}
