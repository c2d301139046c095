/**
 * `key=value` arguments as Vault's kvbuilder reads them:
 *   k=v        a string          k=@file  the file's contents     k=\@x  the literal "@x"
 *   k=-        all of stdin      -        a JSON object from stdin, merged
 *   @file      a JSON object from a file, merged
 * A repeated key becomes a list. Values stay strings; the server coerces them.
 */
import { readFile } from "node:fs/promises";
import { readAll, type InStream } from "./io.js";

export class DataArgError extends Error {}

export interface DataArgSources {
  stdin: InStream;
  readFileText?: (path: string) => Promise<string>;
}

export async function parseDataArgs(args: readonly string[], sources: DataArgSources): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  let stdinUsed = false;
  const readText = sources.readFileText ?? ((p: string) => readFile(p, "utf8"));
  const takeStdin = async (): Promise<string> => {
    if (stdinUsed) throw new Error("stdin already consumed");
    stdinUsed = true;
    return readAll(sources.stdin);
  };

  for (const raw of args) {
    try {
      await addOne(raw);
    } catch (err) {
      throw new DataArgError(`Invalid key/value pair '${raw}': ${(err as Error).message}`);
    }
  }
  return result;

  async function addOne(raw: string): Promise<void> {
    if (raw === "") return;
    const eq = raw.indexOf("=");
    if (eq < 0) {
      if (raw === "-") return mergeJson(await takeStdin());
      if (raw.startsWith("@")) return mergeJson(await readText(raw.slice(1)));
      throw new Error("format must be key=value");
    }
    const key = raw.slice(0, eq);
    let value = raw.slice(eq + 1);
    if (value.startsWith("@")) {
      try {
        value = await readText(value.slice(1));
      } catch (err) {
        throw new Error(`error reading file: ${(err as Error).message}`);
      }
    } else if (value.startsWith("\\@")) {
      value = value.slice(1);
    } else if (value === "-") {
      value = await takeStdin();
    }
    if (Object.prototype.hasOwnProperty.call(result, key)) {
      const existing = result[key];
      result[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
    } else {
      result[key] = value;
    }
  }

  function mergeJson(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new Error(`invalid JSON: ${(err as Error).message}`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new Error("JSON input must be an object");
    }
    Object.assign(result, parsed);
  }
}

/** Like Vault's parseArgsDataString: every value rendered as a string (lists joined by commas). */
export function toStringMap(data: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) {
    if (Array.isArray(v)) out[k] = v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(",");
    else out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}
