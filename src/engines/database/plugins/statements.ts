/**
 * Turning a role's configured statements into queries. Vault's order is kept: a
 * statement is split into queries first and the `{{name}}`-style values are filled in
 * afterwards, so a password containing ";" cannot split a query. Two things go beyond
 * Vault: splitting ignores ";" inside quotes, dollar-quoted bodies and comments, and a
 * value filled in inside quotes is escaped for that quote, so a password policy that
 * allows "'" cannot break (or inject into) the statement.
 */

export type QuoteKind = "single" | "double" | "backtick" | "dollar";

export interface SqlDialect {
  readonly name: string;
  /** Which quote characters open what; `"` is an identifier in PostgreSQL, a string in MySQL. */
  readonly quotes: Readonly<Record<string, QuoteKind>>;
  readonly dollarQuotes: boolean;
  readonly hashComments: boolean;
  /** Escapes a value for the inside of a quoted piece of this kind. */
  escape(value: string, kind: QuoteKind, opening: string): string;
}

export const postgresDialect: SqlDialect = {
  name: "postgresql",
  quotes: { "'": "single", '"': "double" },
  dollarQuotes: true,
  hashComments: false,
  escape(value, kind, opening) {
    if (kind === "single") {
      // E'...' strings read backslash escapes; plain strings (standard_conforming_strings) do not.
      const v = /^[eE]'/.test(opening) ? value.replaceAll("\\", "\\\\") : value;
      return v.replaceAll("'", "''");
    }
    if (kind === "double") return value.replaceAll('"', '""');
    if (kind === "dollar" && value.includes(opening)) {
      throw new Error(`a value contains the dollar-quote delimiter ${opening}`);
    }
    return value;
  },
};

/** MySQL/MariaDB; `noBackslashEscapes` mirrors the NO_BACKSLASH_ESCAPES sql_mode. */
export function mysqlDialect(noBackslashEscapes: boolean): SqlDialect {
  return {
    name: "mysql",
    quotes: { "'": "single", '"': "single", "`": "backtick" },
    dollarQuotes: false,
    hashComments: true,
    escape(value, kind, opening) {
      if (kind === "backtick") return value.replaceAll("`", "``");
      const quote = opening.slice(-1);
      const v = noBackslashEscapes ? value : value.replaceAll("\\", "\\\\").replaceAll("\0", "\\0");
      return v.replaceAll(quote, quote + quote);
    },
  };
}

type Piece =
  | { kind: "code"; text: string }
  | { kind: "comment"; text: string }
  | { kind: "quoted"; quote: QuoteKind; open: string; body: string; close: string };

/** Cuts SQL text into code, comments and quoted pieces. An unclosed quote runs to the end. */
export function scanSql(text: string, dialect: SqlDialect): Piece[] {
  const pieces: Piece[] = [];
  let code = "";
  let i = 0;
  const flushCode = (): void => {
    if (code !== "") pieces.push({ kind: "code", text: code });
    code = "";
  };
  while (i < text.length) {
    const c = text[i] ?? "";
    const rest = text.slice(i);
    // Comments.
    if (rest.startsWith("--") || (dialect.hashComments && c === "#")) {
      const end = text.indexOf("\n", i);
      const stop = end === -1 ? text.length : end;
      flushCode();
      pieces.push({ kind: "comment", text: text.slice(i, stop) });
      i = stop;
      continue;
    }
    if (rest.startsWith("/*")) {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? text.length : end + 2;
      flushCode();
      pieces.push({ kind: "comment", text: text.slice(i, stop) });
      i = stop;
      continue;
    }
    // Dollar quotes: $$...$$ or $tag$...$tag$, not a positional parameter like $1.
    if (dialect.dollarQuotes && c === "$" && !/[A-Za-z0-9_]/.test(text[i - 1] ?? "")) {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(rest);
      if (m !== null) {
        const tag = m[0];
        const end = text.indexOf(tag, i + tag.length);
        const bodyEnd = end === -1 ? text.length : end;
        flushCode();
        pieces.push({
          kind: "quoted", quote: "dollar", open: tag,
          body: text.slice(i + tag.length, bodyEnd), close: end === -1 ? "" : tag,
        });
        i = end === -1 ? text.length : end + tag.length;
        continue;
      }
    }
    const kind = dialect.quotes[c];
    if (kind !== undefined) {
      // PostgreSQL's E'...' prefix is part of the opening; it changes the escaping.
      let open = c;
      if (dialect.dollarQuotes && c === "'" && /[eE]$/.test(code) && !/[A-Za-z0-9_][eE]$/.test(code)) {
        code = code.slice(0, -1);
        open = `${text[i - 1] ?? "E"}'`;
      }
      const backslashes = dialect.name === "mysql" || open.length === 2;
      let j = i + 1;
      while (j < text.length) {
        if (backslashes && text[j] === "\\" && kind !== "backtick") { j += 2; continue; }
        if (text[j] === c) {
          if (text[j + 1] === c) { j += 2; continue; } // doubled quote stays inside
          break;
        }
        j++;
      }
      flushCode();
      pieces.push({ kind: "quoted", quote: kind, open, body: text.slice(i + 1, Math.min(j, text.length)), close: j < text.length ? c : "" });
      i = j + 1;
      continue;
    }
    code += c;
    i++;
  }
  flushCode();
  return pieces;
}

function pieceText(p: Piece): string {
  return p.kind === "quoted" ? p.open + p.body + p.close : p.text;
}

/** Splits on ";" outside quotes and comments; drops empty queries. */
export function splitQueries(text: string, dialect: SqlDialect): string[] {
  const queries: string[] = [];
  let current = "";
  for (const piece of scanSql(text, dialect)) {
    if (piece.kind !== "code") {
      current += pieceText(piece);
      continue;
    }
    const parts = piece.text.split(";");
    parts.forEach((part, idx) => {
      current += part;
      if (idx < parts.length - 1) {
        queries.push(current);
        current = "";
      }
    });
  }
  queries.push(current);
  return queries.map((q) => q.trim()).filter((q) => q !== "");
}

/**
 * Vault's reading of one configured statement (strutil.ParseArbitraryStringSlice): it
 * may be base64 of the text, a JSON array of statements, or statements separated by ";".
 */
export function parseStatementList(statement: string, dialect: SqlDialect): string[] {
  let input = statement.trim();
  if (input === "") return [];
  const decoded = decodeStrictBase64(input);
  if (decoded !== undefined) input = decoded;
  if (input.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(input);
      if (Array.isArray(parsed) && parsed.every((s) => typeof s === "string")) {
        return parsed.map((s) => s.trim()).filter((s) => s !== "");
      }
    } catch {
      // not JSON: fall through to splitting
    }
  }
  return splitQueries(input, dialect);
}

/**
 * Go's base64.StdEncoding.DecodeString accepts only canonical padded base64. A
 * statement like "ROLLBACK" is such base64 by accident; only decoded text that is valid
 * UTF-8 without control characters counts, so plain SQL is never mistaken for it.
 */
function decodeStrictBase64(input: string): string | undefined {
  if (input.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(input)) return undefined;
  const bytes = Buffer.from(input, "base64");
  if (bytes.toString("base64") !== input) return undefined;
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  if (text.includes("\uFFFD") || /[\0-\x08\x0B\x0C\x0E-\x1F\x7F]/.test(text)) return undefined;
  return text;
}

/**
 * Vault's PostgreSQL plugin runs a statement containing the word END outside '...' and
 * "..." whole (a DO block, a function or procedure body) instead of splitting it.
 */
export function containsEndKeyword(statement: string): boolean {
  return scanSql(statement, postgresDialect).some(
    (p) => (p.kind === "code" && /\bEND\b/.test(p.text)) || (p.kind === "quoted" && p.quote === "dollar" && /\bEND\b/.test(p.body)),
  );
}

/**
 * Fills `{{key}}` placeholders in one query. Inside quotes a value is escaped for that
 * quote; outside quotes it goes in as is (as in Vault). Unknown placeholders are left
 * alone, and a value is never scanned again, so a password containing "{{name}}" stays
 * a password.
 */
export function renderStatement(template: string, values: Readonly<Record<string, string>>, dialect: SqlDialect): string {
  return fillQuery(compileQuery(scanSql(template, dialect), dialect), values);
}

/** Escapes LIKE wildcards with "!" so a literal prefix matches only itself. */
export function likePrefixPattern(prefix: string): string {
  return `${prefix.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/**
 * A role's statements split into queries and cut into literal text and placeholder slots
 * once, then filled per call: the same few statement texts are rendered for every credential
 * issued and revoked, and scanning them each time cost more than the filling.
 */
export class StatementTemplates {
  private static readonly MAX_ENTRIES = 512;
  private readonly compiled = new Map<string, readonly CompiledQuery[]>();

  constructor(
    private readonly dialect: SqlDialect,
    /** How one configured statement becomes queries (the plugin's reading of it). */
    private readonly split: (statement: string) => string[],
  ) {}

  render(statements: readonly string[], values: Readonly<Record<string, string>>): string[] {
    const queries: string[] = [];
    for (const statement of statements) {
      for (const query of this.compile(statement)) queries.push(fillQuery(query, values));
    }
    return queries;
  }

  private compile(statement: string): readonly CompiledQuery[] {
    let parts = this.compiled.get(statement);
    if (parts === undefined) {
      parts = this.split(statement)
        .filter((part) => part !== "")
        .map((part) => compileQuery(scanSql(part, this.dialect), this.dialect));
      if (this.compiled.size >= StatementTemplates.MAX_ENTRIES) this.compiled.clear();
      this.compiled.set(statement, parts);
    }
    return parts;
  }
}

/** A query as literal text and the slots where values go, each with its escaping. */
type CompiledQuery = ReadonlyArray<string | { readonly key: string; readonly escape: (value: string) => string }>;

const PLACEHOLDER = /\{\{([A-Za-z_]+)\}\}/g;
const asIs = (value: string): string => value;

/** A query's pieces as literal text and slots: the scanning done once, the filling left. */
function compileQuery(pieces: readonly Piece[], dialect: SqlDialect): CompiledQuery {
  const out: Array<string | { key: string; escape: (value: string) => string }> = [];
  const literal = (text: string) => {
    if (text === "") return;
    const last = out.length - 1;
    if (typeof out[last] === "string") out[last] += text;
    else out.push(text);
  };
  const slots = (text: string, escape: (value: string) => string) => {
    let at = 0;
    for (const m of text.matchAll(PLACEHOLDER)) {
      literal(text.slice(at, m.index));
      out.push({ key: m[1] as string, escape });
      at = (m.index as number) + m[0].length;
    }
    literal(text.slice(at));
  };
  for (const p of pieces) {
    if (p.kind === "code") slots(p.text, asIs);
    else if (p.kind === "comment") literal(p.text);
    else {
      literal(p.open);
      slots(p.body, (v) => dialect.escape(v, p.quote, p.open));
      literal(p.close);
    }
  }
  return out;
}

/** Inside quotes a value is escaped for that quote; an unknown placeholder stays as written. */
function fillQuery(query: CompiledQuery, values: Readonly<Record<string, string>>): string {
  let out = "";
  for (const part of query) {
    if (typeof part === "string") {
      out += part;
      continue;
    }
    const value = values[part.key];
    out += value === undefined ? `{{${part.key}}}` : part.escape(value);
  }
  return out;
}
