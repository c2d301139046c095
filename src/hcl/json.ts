/**
 * The JSON form of HCL (Vault accepts JSON policies and configs). JSON.parse cannot say on
 * which line a value sat, so this small reader builds the same tree as the HCL reader,
 * with positions. Duplicate keys stay separate items, as in HCL 1's JSON reader.
 */
import type { HclDocument, HclItem, HclList, HclObject, HclValue, Position } from "./ast.js";
import { HclError } from "./error.js";
import { MAX_NESTING_DEPTH } from "./parser.js";

export function parseHclJson(src: string): HclDocument {
  let i = 0;
  let line = 1;
  let col = 1;
  let depth = 0;

  const here = (): Position => ({ line, column: col, offset: i });
  const fail = (at: Position, message: string): never => {
    throw new HclError(at.line, at.column, message);
  };
  const advance = (n: number): void => {
    for (let k = 0; k < n && i < src.length; k++) {
      if (src[i] === "\n") {
        line++;
        col = 1;
      } else col++;
      i++;
    }
  };
  const skipSpace = (): void => {
    while (i < src.length && /[ \t\r\n\uFEFF]/.test(src[i] as string)) advance(1);
  };
  const describeHere = (): string => (i >= src.length ? "end of input" : JSON.stringify(src[i]));

  skipSpace();
  const start = here();
  if (src[i] !== "{") fail(start, `a JSON document must be an object, got ${describeHere()}`);
  const body = readObject();
  skipSpace();
  if (i < src.length) fail(here(), `unexpected ${describeHere()} after the end of the JSON document`);
  return { format: "json", body, comments: [] };

  function readValue(): HclValue {
    skipSpace();
    const at = here();
    const ch = src[i];
    if (ch === "{") return readObject();
    if (ch === "[") return readList();
    if (ch === '"') return { type: "string", value: readString(), ...at };
    if (src.startsWith("true", i)) {
      advance(4);
      return { type: "bool", value: true, ...at };
    }
    if (src.startsWith("false", i)) {
      advance(5);
      return { type: "bool", value: false, ...at };
    }
    if (src.startsWith("null", i)) return fail(at, "null is not supported; leave the key out instead");
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(src.slice(i, i + 400));
    if (m !== null && m[0] !== "-") {
      advance(m[0].length);
      const value = Number(m[0]);
      if (!Number.isFinite(value)) fail(at, `number ${m[0]} is out of range`);
      return { type: "number", value, raw: m[0], ...at };
    }
    return fail(at, `expected a JSON value, got ${describeHere()}`);
  }

  function readObject(): HclObject {
    const open = here();
    if (++depth > MAX_NESTING_DEPTH) fail(open, `nesting deeper than ${MAX_NESTING_DEPTH} levels`);
    advance(1);
    const items: HclItem[] = [];
    skipSpace();
    if (src[i] === "}") {
      advance(1);
    } else {
      for (;;) {
        skipSpace();
        const keyAt = here();
        if (src[i] !== '"') fail(keyAt, `expected a quoted key in JSON object, got ${describeHere()}`);
        const name = readString();
        skipSpace();
        if (src[i] !== ":") fail(here(), `expected ":" after key ${JSON.stringify(name)}, got ${describeHere()}`);
        advance(1);
        const value = readValue();
        items.push({
          keys: [{ name, quoted: true, ...keyAt }],
          assign: true,
          value,
          ...keyAt,
          end: here(),
        });
        skipSpace();
        if (src[i] === ",") {
          advance(1);
          continue;
        }
        if (src[i] === "}") {
          advance(1);
          break;
        }
        fail(here(), `expected "," or "}" in JSON object, got ${describeHere()}`);
      }
    }
    depth--;
    return { type: "object", items, ...open, end: here() };
  }

  function readList(): HclList {
    const open = here();
    if (++depth > MAX_NESTING_DEPTH) fail(open, `nesting deeper than ${MAX_NESTING_DEPTH} levels`);
    advance(1);
    const items: HclValue[] = [];
    skipSpace();
    if (src[i] === "]") {
      advance(1);
    } else {
      for (;;) {
        items.push(readValue());
        skipSpace();
        if (src[i] === ",") {
          advance(1);
          continue;
        }
        if (src[i] === "]") {
          advance(1);
          break;
        }
        fail(here(), `expected "," or "]" in JSON array, got ${describeHere()}`);
      }
    }
    depth--;
    return { type: "list", items, ...open, end: here() };
  }

  function readString(): string {
    const start = here();
    advance(1);
    let out = "";
    for (;;) {
      if (i >= src.length) fail(start, "string not terminated");
      const c = src[i] as string;
      if (c === '"') {
        advance(1);
        return out;
      }
      if (c.charCodeAt(0) < 0x20) fail(here(), "control character in JSON string");
      if (c !== "\\") {
        out += c;
        advance(1);
        continue;
      }
      const e = src[i + 1] ?? "";
      const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
      const mapped = simple[e];
      if (mapped !== undefined) {
        out += mapped;
        advance(2);
        continue;
      }
      if (e === "u" && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) {
        out += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
        advance(6);
        continue;
      }
      fail(here(), `invalid escape in JSON string`);
    }
  }
}
