/**
 * HCL 1 tokens. Whitespace and newlines separate tokens and carry no meaning, as in HCL 1;
 * comments are collected on the side so a formatter can put them back.
 */
import type { HclComment, Position } from "./ast.js";
import { HclError } from "./error.js";

export type TokenType =
  | "ident"
  | "string"
  | "heredoc"
  | "number"
  | "bool"
  | "{"
  | "}"
  | "["
  | "]"
  | ","
  | "="
  | "eof";

export interface Token extends Position {
  readonly type: TokenType;
  /** The source text of the token. */
  readonly raw: string;
  /** Decoded content for strings and heredocs; the name for identifiers. */
  readonly text: string;
  readonly endOffset: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly heredoc?: { readonly marker: string; readonly indent: boolean };
}

export interface LexResult {
  readonly tokens: Token[];
  readonly comments: HclComment[];
}

const PUNCTUATION = new Set(["{", "}", "[", "]", ",", "="]);

function isIdentStart(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) return true;
  return c >= 0x80 && /^\p{L}$/u.test(ch);
}

function isIdentPart(ch: string): boolean {
  const c = ch.charCodeAt(0);
  // HCL 1 lets identifiers carry '-' and '.', which password policies rely on (`min-chars`).
  if ((c >= 48 && c <= 57) || c === 45 || c === 46) return true;
  return isIdentStart(ch);
}

function isDigit(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  const c = ch.charCodeAt(0);
  return c >= 48 && c <= 57;
}

export function lex(src: string): LexResult {
  const tokens: Token[] = [];
  const comments: HclComment[] = [];
  let i = 0;
  let line = 1;
  let col = 1;

  const here = (): Position => ({ line, column: col, offset: i });
  const fail = (pos: Position, message: string): never => {
    throw new HclError(pos.line, pos.column, message);
  };
  /** Moves past `n` characters, keeping line and column right. */
  const advance = (n: number): void => {
    for (let k = 0; k < n && i < src.length; k++) {
      if (src[i] === "\n") {
        line++;
        col = 1;
      } else {
        col++;
      }
      i++;
    }
  };
  const push = (type: TokenType, start: Position, text: string, extra?: Partial<Token>): void => {
    tokens.push({
      type,
      raw: src.slice(start.offset, i),
      text,
      line: start.line,
      column: start.column,
      offset: start.offset,
      endOffset: i,
      endLine: line,
      endColumn: col,
      ...extra,
    });
  };

  while (i < src.length) {
    const ch = src[i] as string;
    if (ch === " " || ch === "\t" || ch === "\r" || ch === "\n" || ch === "\uFEFF") {
      advance(1);
      continue;
    }
    const start = here();
    if (ch === "#" || (ch === "/" && src[i + 1] === "/")) {
      let end = src.indexOf("\n", i);
      if (end === -1) end = src.length;
      const text = src.slice(i, end).replace(/\r$/, "");
      advance(end - i);
      comments.push({ ...start, text, endLine: start.line, endOffset: start.offset + text.length });
      continue;
    }
    if (ch === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      if (end === -1) fail(start, "comment not terminated");
      advance(end + 2 - i);
      comments.push({ ...start, text: src.slice(start.offset, i), endLine: line, endOffset: i });
      continue;
    }
    if (PUNCTUATION.has(ch)) {
      advance(1);
      push(ch as TokenType, start, ch);
      continue;
    }
    if (ch === '"') {
      push("string", start, readString(start));
      continue;
    }
    if (ch === "<" && src[i + 1] === "<") {
      readHeredoc(start);
      continue;
    }
    if (isDigit(ch) || (ch === "-" && isDigit(src[i + 1]))) {
      const m = /^-?(?:0[xX][0-9a-fA-F]+|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)/.exec(src.slice(i, i + 400));
      const raw = m?.[0] ?? ch;
      const next = src[i + raw.length] ?? "";
      if (m === null || (next !== "" && isIdentPart(next))) {
        fail(start, `invalid number "${src.slice(i, i + raw.length + 1)}"`);
      }
      advance(raw.length);
      push("number", start, raw);
      continue;
    }
    if (isIdentStart(ch)) {
      let j = i + 1;
      while (j < src.length && isIdentPart(src[j] as string)) j++;
      const name = src.slice(i, j);
      advance(j - i);
      push(name === "true" || name === "false" ? "bool" : "ident", start, name);
      continue;
    }
    fail(start, `unexpected character ${JSON.stringify(ch)}`);
  }
  tokens.push({
    type: "eof",
    raw: "",
    text: "",
    line,
    column: col,
    offset: i,
    endOffset: i,
    endLine: line,
    endColumn: col,
  });
  return { tokens, comments };

  /** Reads a double-quoted string starting at `i`; returns its decoded content. */
  function readString(start: Position): string {
    advance(1);
    let out = "";
    for (;;) {
      if (i >= src.length || src[i] === "\n") fail(start, "string literal not terminated");
      const c = src[i] as string;
      if (c === '"') {
        advance(1);
        return out;
      }
      if (c !== "\\") {
        out += c;
        advance(1);
        continue;
      }
      const escPos = here();
      const e = src[i + 1] ?? "";
      const simple: Record<string, string> = {
        a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", '"': '"', "'": "'",
      };
      const mapped = simple[e];
      if (mapped !== undefined) {
        out += mapped;
        advance(2);
        continue;
      }
      const hexLen = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
      if (hexLen > 0) {
        const digits = src.slice(i + 2, i + 2 + hexLen);
        if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(digits)) fail(escPos, `invalid escape "\\${e}${digits}"`);
        const code = parseInt(digits, 16);
        if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) fail(escPos, `invalid code point in "\\${e}${digits}"`);
        out += String.fromCodePoint(code);
        advance(2 + hexLen);
        continue;
      }
      if (/[0-7]/.test(e)) {
        const digits = src.slice(i + 1, i + 4);
        if (!/^[0-7]{3}$/.test(digits) || parseInt(digits, 8) > 255) fail(escPos, `invalid escape "\\${digits}"`);
        out += String.fromCharCode(parseInt(digits, 8));
        advance(4);
        continue;
      }
      fail(escPos, `invalid escape "\\${e}" in string`);
    }
  }

  /** `<<EOF` or `<<-EOF`, a newline, lines, then the marker alone on a line. */
  function readHeredoc(start: Position): void {
    const m = /^<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/.exec(src.slice(i, i + 300));
    if (m === null) fail(start, "heredoc expects a marker such as <<EOF followed by a newline");
    const match = m as RegExpExecArray;
    const indent = match[1] === "-";
    const marker = match[2] as string;
    advance(match[0].length);
    const lines: string[] = [];
    let terminatorIndent = "";
    for (;;) {
      if (i >= src.length) fail(start, `heredoc not terminated: no line holding only "${marker}"`);
      let end = src.indexOf("\n", i);
      if (end === -1) end = src.length;
      const lineText = src.slice(i, end).replace(/\r$/, "");
      const trimmed = lineText.trim();
      if (trimmed === marker) {
        terminatorIndent = /^[ \t]*/.exec(lineText)?.[0] ?? "";
        // Leave the cursor just past the marker so the token ends there.
        advance(lineText.indexOf(marker) + marker.length);
        break;
      }
      lines.push(lineText);
      advance(end - i + (end < src.length ? 1 : 0));
    }
    let body = lines;
    // As HCL 1: `<<-` strips the terminator's indentation, but only if every line has it.
    if (indent && terminatorIndent !== "" && lines.every((l) => l.startsWith(terminatorIndent))) {
      body = lines.map((l) => l.slice(terminatorIndent.length));
    }
    const text = body.length === 0 ? "" : `${body.join("\n")}\n`;
    push("heredoc", start, text, { heredoc: { marker, indent } });
  }
}
