import { notFound, unsupportedOperation } from "./errors.js";
import { parseFields, type FieldSchemas, type Fields } from "./fields.js";
import type { Backend, Operation, PathDef, Request, Response } from "./types.js";

interface CompiledPath {
  readonly def: PathDef;
  readonly regex: RegExp;
  readonly captureNames: readonly string[];
}

export interface PathMatch {
  readonly def: PathDef;
  /** Values captured from the URL; they take precedence over body fields of the same name. */
  readonly captures: Readonly<Record<string, string>>;
}

/** Matches a backend's relative paths against its declarations, first declaration wins. */
export class PathTable {
  private readonly compiled: CompiledPath[];

  constructor(paths: readonly PathDef[]) {
    this.compiled = [];
    for (const def of paths) {
      const patterns = typeof def.pattern === "string" ? [def.pattern] : def.pattern;
      for (const p of patterns) this.compiled.push({ def, ...compilePattern(p) });
    }
  }

  match(relativePath: string): PathMatch | undefined {
    for (const c of this.compiled) {
      const m = c.regex.exec(relativePath);
      if (!m) continue;
      const captures: Record<string, string> = {};
      c.captureNames.forEach((name, i) => {
        const v = m[i + 1];
        if (v !== undefined) captures[name] = v;
      });
      return { def: c.def, captures };
    }
    return undefined;
  }
}

export function compilePattern(pattern: string): { regex: RegExp; captureNames: string[] } {
  const captureNames: string[] = [];
  const listing = pattern.endsWith("/");
  const body = listing ? pattern.slice(0, -1) : pattern;
  const parts = body === "" ? [] : body.split("/");
  const re = parts.map((seg) => {
    if (seg.startsWith(":")) {
      captureNames.push(seg.slice(1));
      return "([^/]+)";
    }
    if (seg.startsWith("*")) {
      // Not last (`mounts/*path/tune`): the regex backtracks so the literal tail still matches.
      captureNames.push(seg.slice(1));
      return "(.+)";
    }
    return escapeRegex(seg);
  });
  let source = re.join("/");
  if (listing) source += "/?";
  return { regex: new RegExp(`^${source}$`), captureNames };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A backend with its paths compiled, as a mount holds it. */
export class BackendRunner {
  readonly table: PathTable;
  constructor(readonly backend: Backend) {
    this.table = new PathTable(backend.paths);
  }

  /** Throws Vault's 404 for a path no declaration matches. */
  matchOrThrow(relativePath: string): PathMatch {
    const m = this.table.match(relativePath);
    if (!m) throw notFound(`unsupported path`);
    return m;
  }

  /**
   * For writes: `create` when the path has an existence check that says the entry is
   * absent, else `update` (Vault's rule; ACLs grant the two separately).
   */
  async resolveWriteOperation(match: PathMatch, req: Request): Promise<"create" | "update"> {
    const check = match.def.existenceCheck;
    if (!check) return "update";
    const fields = this.parse(match, req).fields;
    return (await check(req, fields)) ? "update" : "create";
  }

  async invoke(match: PathMatch, req: Request): Promise<Response | undefined> {
    const handler = pickHandler(match.def, req.operation);
    if (!handler) throw unsupportedOperation();
    const { fields, unknown } = this.parse(match, req);
    const resp = await handler(req, fields);
    if (unknown.length > 0 && !match.def.takesArbitraryInput && req.operation !== "read" && req.operation !== "list") {
      const warning = `Endpoint ignored these unrecognized parameters: [${unknown.join(" ")}]`;
      const out = resp ?? { data: null };
      out.warnings = [...(out.warnings ?? []), warning];
      return out;
    }
    return resp;
  }

  private parse(match: PathMatch, req: Request): { fields: Fields; unknown: string[] } {
    const schemas = match.def.fields ?? NO_FIELDS;
    const data = Object.keys(match.captures).length ? { ...req.data, ...match.captures } : req.data;
    return parseFields(schemas, data);
  }
}

/** Vault lets an update handler serve creates and the reverse when only one is declared. */
function pickHandler(def: PathDef, op: Operation) {
  const ops = def.operations;
  if (op === "create") return ops.create ?? ops.update;
  if (op === "update") return ops.update ?? ops.create;
  return ops[op];
}

/** Vault's special-path globs: exact, or a prefix when ending in `*`. */
export function compileGlobs(globs: readonly string[] = []): (relativePath: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const g of globs) {
    if (g.endsWith("*")) prefixes.push(g.slice(0, -1));
    else exact.add(g);
  }
  return (p) => exact.has(p) || prefixes.some((pre) => p.startsWith(pre));
}

/** One object for paths without fields (parseFields remembers schema objects). */
const NO_FIELDS: FieldSchemas = Object.freeze({});
