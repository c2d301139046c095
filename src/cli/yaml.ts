/**
 * A small YAML emitter shaped like Vault's `-format=yaml` (ghodss/yaml over go-yaml v2):
 * keys sorted at every level, sequences inside mappings not indented, strings quoted
 * only when a plain scalar would read back as something else.
 */
import { sortForGo } from "./gofmt.js";

export function toYaml(value: unknown): string {
  const sorted = sortForGo(value, true);
  return emit(sorted, 0).join("\n");
}

function emit(value: unknown, indent: number): string[] {
  const pad = " ".repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return [pad + "[]"];
    const lines: string[] = [];
    for (const item of value) {
      if (isNonEmptyContainer(item)) {
        const inner = emit(item, indent + 2);
        const first = inner[0] ?? "";
        lines.push(pad + "- " + first.slice(indent + 2));
        lines.push(...inner.slice(1));
      } else {
        lines.push(pad + "- " + scalar(item));
      }
    }
    return lines;
  }
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 0) return [pad + "{}"];
    const lines: string[] = [];
    for (const key of keys) {
      const v = obj[key];
      const k = scalar(key);
      if (Array.isArray(v) && v.length > 0) {
        lines.push(`${pad}${k}:`);
        // go-yaml v2 writes a mapping's sequence at the mapping's own indentation.
        lines.push(...emit(v, indent));
      } else if (isNonEmptyContainer(v)) {
        lines.push(`${pad}${k}:`);
        lines.push(...emit(v, indent + 2));
      } else if (Array.isArray(v)) {
        lines.push(`${pad}${k}: []`);
      } else if (v !== null && typeof v === "object") {
        lines.push(`${pad}${k}: {}`);
      } else {
        lines.push(`${pad}${k}: ${scalar(v)}`);
      }
    }
    return lines;
  }
  return [pad + scalar(value)];
}

function isNonEmptyContainer(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== null && typeof v === "object" && Object.keys(v).length > 0;
}

const reserved = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;
const numberLike = /^[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$|^0x[0-9a-fA-F_]+$|^0o?[0-7_]+$|^[-+]?\d[\d_]*(?::[0-5]?\d)+(?:\.\d*)?$/;

function scalar(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : value > 0 ? ".inf" : value < 0 ? "-.inf" : ".nan";
  const s = String(value);
  return needsQuotes(s) ? JSON.stringify(s) : s;
}

function needsQuotes(s: string): boolean {
  if (s === "") return true;
  if (reserved.test(s) || numberLike.test(s)) return true;
  if (s !== s.trim()) return true;
  if (/[\u0000-\u001f\u007f"\\]/.test(s)) return true;
  if (/^[-?:,[\]{}#&*!|>'%@`]/.test(s)) return true;
  if (s.includes(": ") || s.includes(" #") || s.endsWith(":")) return true;
  return false;
}
