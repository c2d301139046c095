/** Recursive-descent reader for HCL 1 native syntax, on the tokens from lexer.ts. */
import type { HclDocument, HclItem, HclKey, HclList, HclObject, HclValue, Position } from "./ast.js";
import { HclError } from "./error.js";
import { lex, type Token } from "./lexer.js";

/** Deep enough for any real document; keeps hostile input from overflowing the stack. */
export const MAX_NESTING_DEPTH = 100;

export function parseHclNative(src: string): HclDocument {
  const { tokens, comments } = lex(src);
  let pos = 0;
  let depth = 0;

  const peek = (): Token => tokens[pos] as Token;
  const next = (): Token => tokens[pos++] as Token;
  const fail = (at: Position, message: string): never => {
    throw new HclError(at.line, at.column, message);
  };
  const enter = (at: Position): void => {
    if (++depth > MAX_NESTING_DEPTH) fail(at, `nesting deeper than ${MAX_NESTING_DEPTH} levels`);
  };
  const endOf = (t: Token): Position => ({ line: t.endLine, column: t.endColumn, offset: t.endOffset });

  const first = peek();
  const items = readItems(true);
  const eof = peek();
  const body: HclObject = {
    type: "object",
    items,
    line: first.line,
    column: first.column,
    offset: 0,
    end: { line: eof.line, column: eof.column, offset: eof.offset },
  };
  return { format: "hcl", body, comments };

  /** Items up to `}` (nested) or the end of input (root). */
  function readItems(root: boolean): HclItem[] {
    const out: HclItem[] = [];
    for (;;) {
      const t = peek();
      if (t.type === "eof") {
        if (!root) fail(t, `expected "}" before the end of input`);
        return out;
      }
      if (t.type === "}") {
        if (root) fail(t, `unexpected "}" with no block open`);
        return out;
      }
      out.push(readItem());
      if (peek().type === ",") next();
    }
  }

  function readItem(): HclItem {
    const keys: HclKey[] = [];
    for (;;) {
      const t = peek();
      if (t.type === "ident" || t.type === "string") {
        next();
        keys.push({ name: t.text, quoted: t.type === "string", line: t.line, column: t.column, offset: t.offset });
        continue;
      }
      if (keys.length === 0) fail(t, `expected a key (a name or a quoted string), got ${describe(t)}`);
      const firstKey = keys[0] as HclKey;
      if (t.type === "=") {
        if (keys.length > 1) {
          fail(t, `expected "{" after ${keyList(keys)}: a block with labels cannot be assigned with "="`);
        }
        next();
        const value = readValue(t);
        return { keys, assign: true, value, ...pick(firstKey), end: valueEnd(value) };
      }
      if (t.type === "{") {
        const value = readObject();
        return { keys, assign: false, value, ...pick(firstKey), end: valueEnd(value) };
      }
      if (keys.length === 1) fail(t, `expected "=" after ${keyList(keys)}, got ${describe(t)}`);
      fail(t, `expected "{" after ${keyList(keys)}, got ${describe(t)}`);
    }
  }

  function readValue(after: Token): HclValue {
    const t = peek();
    switch (t.type) {
      case "{":
        return readObject();
      case "[":
        return readList();
      case "string":
      case "heredoc":
      case "number":
      case "bool":
        next();
        return literal(t);
      case "ident":
        return fail(t, `unexpected name ${JSON.stringify(t.text)}: string values must be quoted`);
      default:
        return fail(t, `expected a value after ${describe(after)}, got ${describe(t)}`);
    }
  }

  function readObject(): HclObject {
    const open = next();
    enter(open);
    const items = readItems(false);
    const close = next();
    depth--;
    return { type: "object", items, ...pick(open), end: endOf(close) };
  }

  function readList(): HclList {
    const open = next();
    enter(open);
    const items: HclValue[] = [];
    for (;;) {
      const t = peek();
      if (t.type === "]") break;
      if (t.type === "{") items.push(readObject());
      else if (t.type === "[") items.push(readList());
      else if (t.type === "string" || t.type === "heredoc" || t.type === "number" || t.type === "bool") {
        next();
        items.push(literal(t));
      } else if (t.type === "ident") {
        fail(t, `unexpected name ${JSON.stringify(t.text)} in list: string values must be quoted`);
      } else {
        fail(t, `expected a value or "]" in list, got ${describe(t)}`);
      }
      const sep = peek();
      if (sep.type === ",") {
        next();
        continue;
      }
      if (sep.type !== "]") fail(sep, `expected "," or "]" in list, got ${describe(sep)}`);
    }
    const close = next();
    depth--;
    return { type: "list", items, ...pick(open), end: endOf(close) };
  }

  function literal(t: Token): HclValue {
    const at = pick(t);
    switch (t.type) {
      case "bool":
        return { type: "bool", value: t.text === "true", ...at };
      case "number":
        return { type: "number", value: numberValue(t), raw: t.text, ...at };
      case "heredoc":
        return t.heredoc
          ? { type: "string", value: t.text, heredoc: t.heredoc, ...at }
          : { type: "string", value: t.text, ...at };
      default:
        return { type: "string", value: t.text, ...at };
    }
  }

  function numberValue(t: Token): number {
    const raw = t.text;
    const negative = raw.startsWith("-");
    const digits = negative ? raw.slice(1) : raw;
    let value: number;
    if (/^0[xX]/.test(digits)) value = parseInt(digits.slice(2), 16);
    // HCL 1 reads integers as Go's ParseInt with base 0: a leading zero means octal.
    else if (/^0[0-9]+$/.test(digits)) {
      if (!/^[0-7]+$/.test(digits)) fail(t, `invalid octal number "${raw}"`);
      value = parseInt(digits, 8);
    } else value = Number(digits);
    if (!Number.isFinite(value)) fail(t, `number "${raw}" is out of range`);
    return negative ? -value : value;
  }

  function valueEnd(v: HclValue): Position {
    if (v.type === "object" || v.type === "list") return v.end;
    // Literal tokens were consumed just before; the previous token ends the value.
    return endOf(tokens[pos - 1] as Token);
  }
}

function pick(p: Position): Position {
  return { line: p.line, column: p.column, offset: p.offset };
}

function keyList(keys: readonly HclKey[]): string {
  return keys.map((k) => (k.quoted ? JSON.stringify(k.name) : `"${k.name}"`)).join(" ");
}

function describe(t: Token): string {
  switch (t.type) {
    case "eof":
      return "end of input";
    case "string":
      return `string ${t.raw}`;
    case "heredoc":
      return "heredoc";
    case "ident":
      return `"${t.text}"`;
    case "number":
    case "bool":
      return t.text;
    default:
      return `"${t.type}"`;
  }
}
