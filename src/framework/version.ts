import { readFileSync } from "node:fs";

let cachedVersion: string | undefined;

/**
 * Mayfly's own version, from package.json ("" if it cannot be read). src/framework and
 * dist/framework both sit two levels below the package root.
 */
export function mayflyVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
    cachedVersion = typeof pkg.version === "string" ? pkg.version : "";
  } catch {
    cachedVersion = "";
  }
  return cachedVersion;
}
