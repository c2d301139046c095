/**
 * The harness of the CLI end-to-end tests: the built `bin/mayfly`, run as a subprocess the
 * way a person or a script runs it, against a dev server that is itself
 * `bin/mayfly server -dev` in another process. Output goes to pipes, so the tests see what
 * `mayfly ... | jq` sees. A test file calls useCliServer() once at its top.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { cleanEnv, makeTempDir, runMayfly, startMayflyServer, type CliResult, type MayflyServerProcess } from "./e2e.js";

export const ROOT = "e2e-root-token";
let server: MayflyServerProcess;
/** The dev server's unseal key, from its banner. */
export let unsealKey: string;
/** HOME for CLI runs: its ~/.mayfly-token belongs to the test, not to the developer. */
let cliHome: string;
/** A scratch directory for files the commands read or write. */
export let work: string;
const tempDirs: string[] = [];

export function tempDir(kind: string): string {
  const dir = makeTempDir(kind);
  tempDirs.push(dir);
  return dir;
}

export interface Call {
  token?: string | undefined;
  stdin?: string;
  home?: string;
}

export function mayfly(args: readonly string[], call: Call = {}): Promise<CliResult> {
  const token = "token" in call ? call.token : ROOT;
  return runMayfly(args, {
    env: cleanEnv({ MAYFLY_ADDR: server.address, MAYFLY_TOKEN: token, HOME: call.home ?? cliHome }),
    ...(call.stdin !== undefined ? { stdin: call.stdin } : {}),
  });
}

/** Runs and expects exit 0, with stderr in the failure message. */
export async function ok(args: readonly string[], call: Call = {}): Promise<string> {
  const r = await mayfly(args, call);
  expect(r.code, `mayfly ${args.join(" ")}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  return r.stdout;
}

export async function json<T = any>(args: readonly string[], call: Call = {}): Promise<T> {
  return JSON.parse(await ok(withFormat(args), call)) as T;
}

const COMMAND_WORDS = new Set([
  "kv", "metadata", "get", "put", "list", "delete", "patch", "read", "write", "secrets", "auth",
  "policy", "token", "lookup", "create", "renew", "audit", "operator", "status", "path-help",
]);

/** `-format=json` goes after the command words, before other flags and arguments, as people type it. */
export function withFormat(args: readonly string[]): string[] {
  let at = 0;
  while (at < args.length && COMMAND_WORDS.has(args[at] as string)) at++;
  return [...args.slice(0, at), "-format=json", ...args.slice(at)];
}

/** The value column of a `Key  Value` table row. */
export function row(table: string, key: string): string | undefined {
  const line = table.split("\n").find((l) => l.startsWith(`${key} `));
  return line?.slice(key.length).trim();
}

/** Starts the dev server before the file's tests and stops it after them. */
export function useCliServer(): void {
  beforeAll(async () => {
    cliHome = tempDir("e2e-home");
    work = tempDir("e2e-work");
    // The dev server writes ~/.mayfly-token as Vault's does: give it a HOME of its own.
    const serverHome = tempDir("e2e-server-home");
    server = await startMayflyServer(["-dev", `-dev-root-token-id=${ROOT}`, "-dev-listen-address=127.0.0.1:0"], {
      env: cleanEnv({ HOME: serverHome }),
    });
    unsealKey = /^Unseal Key: (\S+)$/m.exec(server.stdout())?.[1] ?? "";
    expect(unsealKey).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(server.stdout()).toContain(`Root Token: ${ROOT}`);
    expect(readFileSync(join(serverHome, ".mayfly-token"), "utf8")).toBe(ROOT);
  });

  afterAll(async () => {
    const exit = await server?.stop("SIGTERM");
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    expect(exit?.code).toBe(0);
  });
}
