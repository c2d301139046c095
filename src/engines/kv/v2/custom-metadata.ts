/** Vault's rules for a secret's `custom_metadata`: a small map of printable strings. */
import { badRequest } from "../../../framework/errors.js";

const MAX_KEYS = 64;
const MAX_KEY_BYTES = 128;
const MAX_VALUE_BYTES = 512;
const PREFIX = "custom_metadata validation failed";

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u;

/**
 * Vault converts each value loosely to a string (numbers and booleans as Go prints them
 * through mapstructure). With `dropNulls` (PATCH) a null marks a key for removal and is
 * left out here.
 */
export function toCustomMetadata(raw: Readonly<Record<string, unknown>>, dropNulls: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === null && dropNulls) continue;
    let s: string;
    if (v === null || v === undefined) s = "";
    else if (typeof v === "string") s = v;
    else if (typeof v === "number") s = String(v);
    else if (typeof v === "boolean") s = v ? "1" : "0";
    else throw badRequest(`${PREFIX}: value for key ${JSON.stringify(k)} must be a string`);
    Object.defineProperty(out, k, { value: s, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Throws a 400 listing every problem, in go-multierror's format as Vault reports them. */
export function validateCustomMetadata(cm: Readonly<Record<string, string>>): void {
  const keys = Object.keys(cm).sort();
  if (keys.length > MAX_KEYS) {
    throw badRequest(multiError([`${PREFIX}: payload must contain at most ${MAX_KEYS} keys, provided ${keys.length}`]));
  }
  const problems: string[] = [];
  for (const key of keys) {
    const value = cm[key] ?? "";
    const keyBytes = Buffer.byteLength(key, "utf8");
    const valueBytes = Buffer.byteLength(value, "utf8");
    if (keyBytes === 0 || keyBytes > MAX_KEY_BYTES) {
      problems.push(`${PREFIX}: length of key ${JSON.stringify(key)} is ${keyBytes} but must be 0 < len(key) <= ${MAX_KEY_BYTES}`);
    }
    if (valueBytes === 0 || valueBytes > MAX_VALUE_BYTES) {
      problems.push(
        `${PREFIX}: length of value for key ${JSON.stringify(key)} is ${valueBytes} but must be 0 < len(value) <= ${MAX_VALUE_BYTES}`,
      );
    }
    if (!PRINTABLE.test(key)) problems.push(`${PREFIX}: key ${JSON.stringify(key)} contains unprintable characters`);
    if (!PRINTABLE.test(value)) problems.push(`${PREFIX}: value for key ${JSON.stringify(key)} contains unprintable characters`);
  }
  if (problems.length > 0) throw badRequest(multiError(problems));
}

function multiError(messages: readonly string[]): string {
  const head = messages.length === 1 ? "1 error occurred:" : `${messages.length} errors occurred:`;
  return `${head}\n\t* ${messages.join("\n\t* ")}\n\n`;
}
