/**
 * The subset of Go's text/template that Vault's `username_template` accepts: text,
 * actions with pipelines and parenthesised sub-pipelines, string and integer literals,
 * the fields `.DisplayName` and `.RoleName`, and Vault's template functions plus
 * `printf`/`print`. Control structures and variables are refused with a clear error
 * rather than half-supported.
 */
import { createHash, randomUUID } from "node:crypto";
import { badRequest } from "../../framework/errors.js";
import { randomBase62 } from "../../framework/random.js";
import { goSprint, goSprintf, goType, type GoValue } from "./plugins/go-fmt.js";
import { formatGoTime } from "./plugins/go-time.js";

export interface UsernameMetadata {
  displayName: string;
  roleName: string;
}

export interface UsernameTemplate {
  readonly source: string;
  generate(metadata: UsernameMetadata): string;
}

/**
 * Parses `source` and, as Vault does when a connection is configured, renders it once
 * with empty metadata so that a template failing at run time is refused up front.
 */
export function parseUsernameTemplate(source: string): UsernameTemplate {
  let nodes: Node[];
  try {
    if (source === "") throw new TemplateError("missing template");
    nodes = parseTemplate(source);
  } catch (e) {
    if (e instanceof TemplateError) {
      throw badRequest(`unable to initialize username template: unable to parse template: ${e.message}`);
    }
    throw e;
  }
  const template: UsernameTemplate = {
    source,
    generate(metadata) {
      try {
        return nodes.map((n) => (n.kind === "text" ? n.text : String(evalPipeline(n.pipeline, metadata)))).join("");
      } catch (e) {
        if (e instanceof TemplateError) throw badRequest(`unable to apply template: ${e.message}`);
        throw e;
      }
    },
  };
  try {
    template.generate({ displayName: "", roleName: "" });
  } catch (e) {
    throw badRequest(`invalid username template: ${(e as Error).message}`);
  }
  return template;
}

class TemplateError extends Error {}

// ---- syntax ----------------------------------------------------------------------

type Value = GoValue;

type Operand =
  | { kind: "literal"; value: Value }
  | { kind: "field"; name: string }
  | { kind: "call"; name: string } // an identifier: a function, called with no arguments unless it heads a command
  | { kind: "sub"; pipeline: Pipeline };

type Command = Operand[];
type Pipeline = Command[];
type Node = { kind: "text"; text: string } | { kind: "action"; pipeline: Pipeline };

type Token =
  | { t: "ident"; v: string }
  | { t: "field"; v: string }
  | { t: "string"; v: string }
  | { t: "number"; v: number }
  | { t: "pipe" | "open" | "close" | "dot" };

const KEYWORDS = new Set(["if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"]);

function parseTemplate(source: string): Node[] {
  const nodes: Node[] = [];
  let pos = 0;
  let trimNextText = false;
  while (pos < source.length) {
    const open = source.indexOf("{{", pos);
    let text = source.slice(pos, open === -1 ? source.length : open);
    if (trimNextText) text = text.replace(/^\s+/, "");
    trimNextText = false;
    if (open === -1) {
      if (text !== "") nodes.push({ kind: "text", text });
      break;
    }
    let start = open + 2;
    // "{{- " trims the whitespace before the action; the dash must be followed by a space.
    if (source[start] === "-" && /\s/.test(source[start + 1] ?? "")) {
      text = text.replace(/\s+$/, "");
      start += 1;
    }
    if (text !== "") nodes.push({ kind: "text", text });
    const close = findActionEnd(source, start);
    let end = close;
    if (source[close - 1] === "-" && /\s/.test(source[close - 2] ?? "")) {
      trimNextText = true;
      end = close - 1;
    }
    const body = source.slice(start, end);
    pos = close + 2;
    if (/^\s*\/\*[\s\S]*\*\/\s*$/.test(body)) continue; // {{/* comment */}}
    const tokens = lexAction(body);
    if (tokens.length === 0) throw new TemplateError("missing value for command");
    const parser = new ActionParser(tokens);
    const pipeline = parser.pipeline();
    if (!parser.done()) throw new TemplateError(`unexpected ${describe(parser.peek())} in command`);
    nodes.push({ kind: "action", pipeline });
  }
  return nodes;
}

/** The index of the "}}" that closes an action, skipping quoted strings. */
function findActionEnd(source: string, from: number): number {
  let i = from;
  while (i < source.length) {
    const c = source[i];
    if (c === '"' || c === "`") {
      const quote = c;
      i++;
      while (i < source.length && source[i] !== quote) i += source[i] === "\\" && quote === '"' ? 2 : 1;
      i++;
      continue;
    }
    if (c === "}" && source[i + 1] === "}") return i;
    i++;
  }
  throw new TemplateError("unclosed action");
}

function lexAction(body: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body[i] ?? "";
    if (/\s/.test(c)) { i++; continue; }
    if (c === "|") { tokens.push({ t: "pipe" }); i++; continue; }
    if (c === "(") { tokens.push({ t: "open" }); i++; continue; }
    if (c === ")") { tokens.push({ t: "close" }); i++; continue; }
    if (c === '"') {
      let j = i + 1;
      while (j < body.length && body[j] !== '"') j += body[j] === "\\" ? 2 : 1;
      if (j >= body.length) throw new TemplateError("unterminated quoted string");
      try {
        tokens.push({ t: "string", v: JSON.parse(body.slice(i, j + 1)) as string });
      } catch {
        throw new TemplateError(`bad quoted string ${body.slice(i, j + 1)}`);
      }
      i = j + 1;
      continue;
    }
    if (c === "`") {
      const j = body.indexOf("`", i + 1);
      if (j === -1) throw new TemplateError("unterminated raw quoted string");
      tokens.push({ t: "string", v: body.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    if (c === ".") {
      const m = /^\.([A-Za-z_][A-Za-z0-9_]*)/.exec(body.slice(i));
      if (m?.[1] !== undefined) { tokens.push({ t: "field", v: m[1] }); i += m[0].length; continue; }
      tokens.push({ t: "dot" });
      i++;
      continue;
    }
    const num = /^[-+]?\d+/.exec(body.slice(i));
    if (num !== null) {
      if (/^[.eExX_]/.test(body.slice(i + num[0].length))) {
        throw new TemplateError(`only decimal integers are supported: ${body.slice(i)}`);
      }
      tokens.push({ t: "number", v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(body.slice(i));
    if (ident !== null) {
      if (KEYWORDS.has(ident[0])) {
        throw new TemplateError(`"${ident[0]}" is not supported in username templates`);
      }
      tokens.push({ t: "ident", v: ident[0] });
      i += ident[0].length;
      continue;
    }
    if (c === "$") throw new TemplateError("variables are not supported in username templates");
    throw new TemplateError(`unexpected "${c}" in command`);
  }
  return tokens;
}

function describe(token: Token | undefined): string {
  if (token === undefined) return "end of action";
  switch (token.t) {
    case "pipe": return '"|"';
    case "open": return '"("';
    case "close": return '")"';
    case "dot": return '"."';
    case "field": return `.${token.v}`;
    case "number": return String(token.v);
    default: return JSON.stringify(token.v);
  }
}

class ActionParser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}
  peek(): Token | undefined { return this.tokens[this.i]; }
  done(): boolean { return this.i >= this.tokens.length; }

  pipeline(): Pipeline {
    const commands: Pipeline = [this.command()];
    while (this.peek()?.t === "pipe") {
      this.i++;
      commands.push(this.command());
    }
    return commands;
  }

  private command(): Command {
    const operands: Operand[] = [];
    for (;;) {
      const tok = this.peek();
      if (tok === undefined || tok.t === "pipe" || tok.t === "close") break;
      this.i++;
      switch (tok.t) {
        case "string": operands.push({ kind: "literal", value: tok.v }); break;
        case "number": operands.push({ kind: "literal", value: tok.v }); break;
        case "field": operands.push({ kind: "field", name: tok.v }); break;
        case "dot": throw new TemplateError('"." is not supported; use .DisplayName or .RoleName');
        case "ident":
          if (tok.v === "true" || tok.v === "false") operands.push({ kind: "literal", value: tok.v === "true" });
          else if (!(tok.v in FUNCTIONS)) throw new TemplateError(`function "${tok.v}" not defined`);
          else operands.push({ kind: "call", name: tok.v });
          break;
        case "open": {
          const pipeline = this.pipeline();
          if (this.peek()?.t !== "close") throw new TemplateError(`unclosed left paren`);
          this.i++;
          operands.push({ kind: "sub", pipeline });
          break;
        }
      }
    }
    if (operands.length === 0) throw new TemplateError(`missing value for command`);
    const head = operands[0];
    if (operands.length > 1 && head?.kind !== "call") {
      throw new TemplateError(`can't give argument to non-function ${describeOperand(head)}`);
    }
    return operands;
  }
}

function describeOperand(op: Operand | undefined): string {
  if (op === undefined) return "nothing";
  if (op.kind === "field") return `.${op.name}`;
  if (op.kind === "literal") return JSON.stringify(op.value);
  if (op.kind === "call") return op.name;
  return "(...)";
}

// ---- evaluation --------------------------------------------------------------------

const FIELDS: Record<string, keyof UsernameMetadata> = { DisplayName: "displayName", RoleName: "roleName" };

function evalPipeline(pipeline: Pipeline, meta: UsernameMetadata): Value {
  let previous: Value | undefined;
  for (const command of pipeline) {
    previous = evalCommand(command, meta, previous);
  }
  if (previous === undefined) throw new TemplateError("empty pipeline");
  return previous;
}

function evalCommand(command: Command, meta: UsernameMetadata, piped: Value | undefined): Value {
  const [head, ...rest] = command;
  if (head === undefined) throw new TemplateError("missing value for command");
  if (head.kind !== "call") {
    if (piped !== undefined) throw new TemplateError(`can't give argument to non-function ${describeOperand(head)}`);
    return evalOperand(head, meta);
  }
  const args = rest.map((op) => evalOperand(op, meta));
  if (piped !== undefined) args.push(piped);
  return callFunction(head.name, args);
}

function evalOperand(op: Operand, meta: UsernameMetadata): Value {
  switch (op.kind) {
    case "literal": return op.value;
    case "sub": return evalPipeline(op.pipeline, meta);
    case "call": return callFunction(op.name, []);
    case "field": {
      const key = FIELDS[op.name];
      if (key === undefined) throw new TemplateError(`can't evaluate field ${op.name} (use .DisplayName or .RoleName)`);
      return meta[key];
    }
  }
}

type Param = "int" | "string";
interface Fn {
  params: Param[];
  variadic?: boolean;
  run(args: Value[]): Value;
}

/** Cuts to at most `maxBytes` UTF-8 bytes (Go slices bytes), never inside a character. */
export function truncateBytes(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s) <= maxBytes) return s;
  let out = "";
  let used = 0;
  for (const ch of s) {
    const size = Buffer.byteLength(ch);
    if (used + size > maxBytes) break;
    out += ch;
    used += size;
  }
  return out;
}

const sha256Hex = (s: string): string => createHash("sha256").update(s).digest("hex");

const FUNCTIONS: Record<string, Fn> = {
  random: { params: ["int"], run: ([n]) => randomBase62(Math.max(0, n as number)) },
  truncate: {
    params: ["int", "string"],
    run: ([n, s]) => {
      if ((n as number) <= 0) throw new TemplateError(`error calling truncate: max length must be > 0 but was ${String(n)}`);
      return truncateBytes(s as string, n as number);
    },
  },
  truncate_sha256: {
    params: ["int", "string"],
    run: ([n, s]) => {
      const max = n as number;
      const str = s as string;
      if (max <= 8) throw new TemplateError(`error calling truncate_sha256: max length must be > 8 but was ${max}`);
      if (Buffer.byteLength(str) <= max) return str;
      const kept = truncateBytes(str, max - 8);
      return kept + sha256Hex(str.slice(kept.length)).slice(0, 8);
    },
  },
  uppercase: { params: ["string"], run: ([s]) => (s as string).toUpperCase() },
  lowercase: { params: ["string"], run: ([s]) => (s as string).toLowerCase() },
  replace: { params: ["string", "string", "string"], run: ([find, repl, s]) => (s as string).split(find as string).join(repl as string) },
  sha256: { params: ["string"], run: ([s]) => sha256Hex(s as string) },
  base64: { params: ["string"], run: ([s]) => Buffer.from(s as string).toString("base64") },
  unix_time: { params: [], run: () => String(Math.floor(Date.now() / 1000)) },
  unix_time_millis: { params: [], run: () => String(Date.now()) },
  timestamp: { params: ["string"], run: ([layout]) => formatGoTime(new Date(), layout as string) },
  uuid: { params: [], run: () => randomUUID() },
  printf: { params: ["string"], variadic: true, run: ([format, ...rest]) => goSprintf(format as string, rest) },
  print: { params: [], variadic: true, run: (args) => goSprint(args) },
};

function callFunction(name: string, args: Value[]): Value {
  const fn = FUNCTIONS[name];
  if (fn === undefined) throw new TemplateError(`function "${name}" not defined`);
  const fixed = fn.params.length;
  if (fn.variadic ? args.length < fixed : args.length !== fixed) {
    throw new TemplateError(
      `wrong number of args for ${name}: want ${fn.variadic ? "at least " : ""}${fixed} got ${args.length}`,
    );
  }
  fn.params.forEach((param, i) => {
    const arg = args[i];
    const ok = param === "int" ? typeof arg === "number" : typeof arg === "string";
    if (!ok) {
      throw new TemplateError(`wrong type for value in ${name}; expected ${param}; got ${goType(arg)}`);
    }
  });
  return fn.run(args);
}
