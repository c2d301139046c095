/**
 * HCL as Vault reads it (HCL 1 syntax, or its JSON form), with line numbers kept for every
 * item so callers can say where a problem is. Hand-written: no dependency, and every
 * failure is an HclError with a line and a column.
 */
import type { HclDocument } from "./ast.js";
import { HclError } from "./error.js";
import { parseHclJson } from "./json.js";
import { parseHclNative } from "./parser.js";

export type {
  HclBool,
  HclComment,
  HclDocument,
  HclItem,
  HclKey,
  HclList,
  HclNumber,
  HclObject,
  HclString,
  HclValue,
  Position,
} from "./ast.js";
export { HclError, isHclError } from "./error.js";
export { formatHcl, quoteHcl } from "./format.js";
export { getBlocks, indexItems, stringList, toPlain, type HclBlock, type PlainValue } from "./query.js";

/**
 * Parses HCL or, when the first non-blank character is `{`, JSON (HCL 1 decides the same
 * way). Throws only HclError.
 */
export function parseHcl(text: string): HclDocument {
  try {
    return /^[\s\uFEFF]*\{/.test(text) ? parseHclJson(text) : parseHclNative(text);
  } catch (e) {
    if (e instanceof HclError) throw e;
    // A bug in the reader must still surface as a positioned parse error, never a crash
    // of the caller that only expects HclError (e.g. a RangeError from a regex).
    throw new HclError(1, 1, `could not parse: ${e instanceof Error ? e.message : String(e)}`);
  }
}
