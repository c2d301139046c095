/**
 * Canonical HCL text for a parsed document, in the style of HCL 1's printer (`vault policy
 * fmt`): two-space indentation, `=` aligned across neighbouring attributes, one blank line
 * between top-level blocks, comments kept beside the item they were written next to.
 */
import type { HclComment, HclDocument, HclItem, HclKey, HclObject, HclValue } from "./ast.js";

const INDENT = "  ";

export function formatHcl(doc: HclDocument): string {
  const comments = [...doc.comments].sort((a, b) => a.offset - b.offset);
  let next = 0;
  /** Comments not yet printed that start before `offset`, in order. */
  const takeBefore = (offset: number): HclComment[] => {
    const out: HclComment[] = [];
    while (next < comments.length && (comments[next] as HclComment).offset < offset) out.push(comments[next++] as HclComment);
    return out;
  };
  const takeTrailing = (line: number): HclComment | undefined => {
    const c = comments[next];
    if (c !== undefined && c.line === line && !c.text.includes("\n")) {
      next++;
      return c;
    }
    return undefined;
  };

  const lines: string[] = [];
  printBody(doc.body, "", true, lines);
  const rest = takeBefore(Number.POSITIVE_INFINITY);
  if (rest.length > 0) {
    if (lines.length > 0) lines.push("");
    for (const c of rest) lines.push(...commentLines(c, ""));
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;

  function printBody(obj: HclObject, indent: string, root: boolean, out: string[]): void {
    // Attribute lines are buffered so a run of them can have its `=` aligned.
    let run: { key: string; rest: string[]; trailing: string }[] = [];
    const flush = (): void => {
      const width = Math.max(0, ...run.map((r) => r.key.length));
      for (const r of run) {
        const [firstLine = "", ...more] = r.rest;
        out.push(`${indent}${r.key.padEnd(width)} = ${firstLine}${r.trailing}`);
        out.push(...more);
      }
      run = [];
    };
    let prev: HclItem | undefined;
    for (const item of obj.items) {
      const leadEnd = item.value.type === "object" ? item.value.offset + 1 : item.end.offset;
      const lead = takeBefore(leadEnd);
      const firstLine = lead[0]?.line ?? item.line;
      const isBlock = !item.assign || item.value.type === "object";
      const prevIsBlock = prev !== undefined && (!prev.assign || prev.value.type === "object");
      const blankInSource = prev !== undefined && firstLine > prev.end.line + 1;
      const blank = prev !== undefined && (blankInSource || (root && (isBlock || prevIsBlock)));
      if (blank || lead.length > 0 || isBlock) flush();
      if (blank) out.push("");
      for (const c of lead) out.push(...commentLines(c, indent));

      const keyText = formatKeys(item.keys);
      if (item.assign && item.value.type !== "object") {
        const rendered = renderValue(item.value, indent);
        const trailing = takeTrailing(item.end.line);
        run.push({ key: keyText, rest: rendered, trailing: trailing ? ` ${trailing.text}` : "" });
      } else {
        const head = item.assign ? `${keyText} = ` : `${keyText} `;
        const obj = item.value as HclObject;
        const inner: string[] = [];
        printBody(obj, indent + INDENT, false, inner);
        const innerComments = takeBefore(obj.end.offset);
        for (const c of innerComments) inner.push(...commentLines(c, indent + INDENT));
        const trailing = takeTrailing(obj.end.line);
        const suffix = trailing ? ` ${trailing.text}` : "";
        if (inner.length === 0) out.push(`${indent}${head}{}${suffix}`);
        else out.push(`${indent}${head}{`, ...inner, `${indent}}${suffix}`);
      }
      prev = item;
    }
    flush();
  }

  /** A value as lines; the first continues the `key = ` line. */
  function renderValue(value: HclValue, indent: string): string[] {
    switch (value.type) {
      case "string":
        if (value.heredoc) {
          const marker = value.heredoc.marker;
          const body = value.value.endsWith("\n") ? value.value.slice(0, -1) : value.value;
          const contentLines = value.value === "" ? [] : body.split("\n");
          // Always the plain `<<` form: `<<-` only strips indentation when every line
          // carries it, so re-indenting content with blank lines would change the value.
          return [`<<${marker}`, ...contentLines, marker];
        }
        return [quoteHcl(value.value)];
      case "number":
        return [value.raw];
      case "bool":
        return [value.value ? "true" : "false"];
      case "list": {
        const simple = value.items.every((v) => (v.type === "string" && !v.heredoc) || v.type === "number" || v.type === "bool");
        if (simple) return [`[${value.items.map((v) => renderValue(v, indent)[0]).join(", ")}]`];
        const out = ["["];
        for (const element of value.items) {
          const rendered = renderValue(element, indent + INDENT);
          const last = rendered.length - 1;
          rendered.forEach((l, idx) => out.push(idx === 0 ? `${indent}${INDENT}${l}${idx === last ? "," : ""}` : idx === last ? `${l},` : l));
        }
        out.push(`${indent}]`);
        return out;
      }
      case "object": {
        const inner: string[] = [];
        printBody(value, indent + INDENT, false, inner);
        for (const c of takeBefore(value.end.offset)) inner.push(...commentLines(c, indent + INDENT));
        return inner.length === 0 ? ["{}"] : ["{", ...inner, `${indent}}`];
      }
    }
  }
}

function commentLines(c: HclComment, indent: string): string[] {
  if (!c.text.startsWith("/*")) return [`${indent}${c.text.trimEnd()}`];
  return c.text.split("\n").map((l, idx) => (idx === 0 ? `${indent}${l}` : l.trimEnd()));
}

function formatKeys(keys: readonly HclKey[]): string {
  return keys.map((k) => (k.quoted || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k.name) ? quoteHcl(k.name) : k.name)).join(" ");
}

/** A string literal HCL reads back to the same text. */
export function quoteHcl(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}
