/**
 * Reading values out of a configuration file's HCL: the error maker that names file and
 * line, a block's settings checked against the keys it may hold, Go's boolean and
 * duration forms.
 */
import { parseDurationSeconds } from "../framework/duration.js";
import { isMayflyError, type MayflyError } from "../framework/errors.js";
import type { HclBlock, HclItem, HclValue } from "../hcl/index.js";
import { ignoredWarning } from "./vault-settings.js";

/** Makes the error for a problem at a line of the file being read. */
export type At = (line: number | undefined, message: string) => MayflyError;

/** Keys Vault knows that a block may hold without Mayfly using them, or refuses. */
export interface VaultOnly {
  file: string;
  warnings: string[];
  ignored: ReadonlySet<string>;
  refused: Readonly<Record<string, string>>;
}

export function settingsOf(block: HclBlock, where: string, allowed: readonly string[], at: At, vaultOnly?: VaultOnly): Map<string, HclItem> {
  const out = new Map<string, HclItem>();
  for (const item of block.body.items) {
    const key = item.keys[0]?.name ?? "";
    if (!allowed.includes(key) && vaultOnly) {
      const refusal = vaultOnly.refused[key];
      if (refusal !== undefined) throw at(item.line, `${where}: ${key} ${refusal}`);
      if (vaultOnly.ignored.has(key)) {
        vaultOnly.warnings.push(ignoredWarning(vaultOnly.file, item.line, `${where}: `, key));
        continue;
      }
    }
    if (!allowed.includes(key)) {
      const hint = allowed.length > 0 ? `supported: ${allowed.join(", ")}` : "it takes no settings";
      throw at(item.line, `${where}: unknown key "${key}" (${hint})`);
    }
    if (item.keys.length > 1 || item.value.type === "object") throw at(item.line, `${where}: ${key} must be a value, not a block`);
    out.set(key, item);
  }
  return out;
}

/** Go's strconv.ParseBool, plus HCL booleans and the numbers 0 and 1. */
export function boolOf(value: HclValue, what: string, line: number, at: At): boolean {
  if (value.type === "bool") return value.value;
  if (value.type === "number" && (value.value === 0 || value.value === 1)) return value.value === 1;
  if (value.type === "string") {
    if (["1", "t", "T", "TRUE", "true", "True"].includes(value.value)) return true;
    if (["0", "f", "F", "FALSE", "false", "False"].includes(value.value)) return false;
  }
  throw at(line, `${what} must be true or false`);
}

export function durationOf(value: HclValue, what: string, line: number, at: At): number {
  if (value.type !== "string" && value.type !== "number") throw at(line, `${what} must be a duration such as "768h" or a number of seconds`);
  try {
    return parseDurationSeconds(value.value);
  } catch (e) {
    if (isMayflyError(e)) throw at(line, `${what}: ${e.message}`);
    throw e;
  }
}
