/**
 * Reading a parsed body the way Vault's decoders do, for both syntaxes at once: the block
 * `path "a" { ... }` and its JSON spelling `{"path": {"a": {...}}}` (or a list of such
 * objects) both come out as one block with label "a", carrying line numbers.
 */
import type { HclItem, HclKey, HclList, HclObject, HclValue, Position } from "./ast.js";
import { HclError } from "./error.js";

export interface HclBlock {
  readonly name: string;
  readonly labels: readonly string[];
  readonly body: HclObject;
  /** The item the block came from (its first key), for messages about the block. */
  readonly item: HclItem;
  /** Where the last label was written (or the name, when there are none). */
  readonly at: Position;
}

/**
 * Every block called `name` with exactly `labelCount` labels, in source order. Labels may
 * be written inline (`path "a" {}`), as nested object keys (`path = { "a" = {} }`, the JSON
 * form), or as a list of such objects (`"listener": [{"tcp": {}}]`).
 */
export function getBlocks(body: HclObject, name: string, labelCount: number): HclBlock[] {
  const out: HclBlock[] = [];
  for (const item of body.items) {
    if (item.keys[0]?.name !== name) continue;
    const labelKeys = item.keys.slice(1);
    expand(item, labelKeys, item.value, out, name, labelCount);
  }
  return out;
}

function expand(
  item: HclItem,
  labelKeys: readonly HclKey[],
  value: HclValue,
  out: HclBlock[],
  name: string,
  labelCount: number,
): void {
  const at: Position = labelKeys[labelKeys.length - 1] ?? item.keys[0] ?? item;
  if (labelKeys.length > labelCount) {
    throw new HclError(at.line, at.column, `"${name}" takes ${labelCountText(labelCount)}, got ${labelKeys.length}`);
  }
  if (value.type === "list") {
    for (const element of value.items) expand(item, labelKeys, element, out, name, labelCount);
    return;
  }
  if (value.type !== "object") {
    throw new HclError(value.line, value.column, `"${name}" must be a block${labelCount > 0 ? ` with ${labelCountText(labelCount)}` : ""}`);
  }
  if (labelKeys.length === labelCount) {
    out.push({ name, labels: labelKeys.map((k) => k.name), body: value, item, at });
    return;
  }
  if (value.items.length === 0) {
    throw new HclError(at.line, at.column, `"${name}" takes ${labelCountText(labelCount)}, got ${labelKeys.length}`);
  }
  for (const inner of value.items) expand(item, [...labelKeys, ...inner.keys], inner.value, out, name, labelCount);
}

function labelCountText(n: number): string {
  return n === 1 ? "1 label" : `${n} labels`;
}

/**
 * The item per key name in a body, last one winning as in HCL 1 decoding, plus the names
 * that appeared more than once (Vault warns about those).
 */
export function indexItems(body: HclObject): { items: Map<string, HclItem>; duplicates: string[] } {
  const items = new Map<string, HclItem>();
  const duplicates: string[] = [];
  for (const item of body.items) {
    const key = item.keys[0]?.name ?? "";
    if (items.has(key) && !duplicates.includes(key)) duplicates.push(key);
    items.set(key, item);
  }
  return { items, duplicates };
}

/** A JSON-like view of a value: lists become arrays, objects plain records (last key wins). */
export type PlainValue = string | number | boolean | PlainValue[] | { [key: string]: PlainValue };

export function toPlain(value: HclValue): PlainValue {
  switch (value.type) {
    case "string":
    case "number":
    case "bool":
      return value.value;
    case "list":
      return value.items.map(toPlain);
    case "object":
      return objectToPlain(value);
  }
}

function objectToPlain(obj: HclObject): { [key: string]: PlainValue } {
  const out: { [key: string]: PlainValue } = Object.create(null) as { [key: string]: PlainValue };
  for (const item of obj.items) {
    // `a "b" "c" { x = 1 }` reads as { a: { b: { c: { x: 1 } } } }.
    let target = out;
    const names = item.keys.map((k) => k.name);
    for (const key of names.slice(0, -1)) {
      const existing = target[key];
      if (existing === undefined || typeof existing !== "object" || Array.isArray(existing)) {
        const fresh = Object.create(null) as { [key: string]: PlainValue };
        target[key] = fresh;
        target = fresh;
      } else {
        target = existing;
      }
    }
    target[names[names.length - 1] as string] = toPlain(item.value);
  }
  return out;
}

/** The string values of a list, or an error naming the list's position. */
export function stringList(value: HclValue, what: string): string[] {
  if (value.type !== "list") throw new HclError(value.line, value.column, `${what} must be a list of strings`);
  return (value as HclList).items.map((v) => {
    if (v.type !== "string") throw new HclError(v.line, v.column, `${what} must be a list of strings`);
    return v.value;
  });
}
