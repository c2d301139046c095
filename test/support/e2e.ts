/**
 * End-to-end helpers: the built `bin/mayfly` run as real subprocesses, both as a server
 * and as the CLI. `npm test` builds first, so `dist/` is there; a lone `npx vitest run`
 * after source edits needs `npm run build` first.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const MAYFLY_BIN = join(REPO_ROOT, "bin", "mayfly");

export function assertBuilt(): void {
  if (!existsSync(join(REPO_ROOT, "dist", "cli", "main.js"))) {
    throw new Error("dist/ is missing: run `npm run build` before the end-to-end tests");
  }
}

export function makeTempDir(kind: string): string {
  return mkdtempSync(join(tmpdir(), `mayfly-${kind}-`));
}

/**
 * The caller's environment without any Vault or Mayfly settings, so a developer's own
 * VAULT_ADDR or token never leaks into a test. No retries: the Go CLI's retry of 5xx
 * answers would only slow a failing test down.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(VAULT_|MAYFLY_)/.test(k)) env[k] = v;
  }
  env["VAULT_MAX_RETRIES"] = "0";
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Written to the CLI's stdin, which is then closed (always closed, never a terminal). */
  stdin?: string;
  timeoutMs?: number;
}

/** Runs `bin/mayfly <args>` to completion; stdout is a pipe, as in a script. */
export function runMayfly(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      MAYFLY_BIN,
      [...args],
      { env: opts.env ?? cleanEnv(), timeout: opts.timeoutMs ?? 20_000, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") {
          reject(new Error(`mayfly ${args.join(" ")} did not exit normally: ${err.message}\n${stderr}`));
          return;
        }
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(opts.stdin ?? "");
  });
}

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface MayflyServerProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>` or `https://...`, as the server printed it. */
  readonly address: string;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<ServerExit>;
  /** Sends `signal` and waits for the exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<ServerExit>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackChild(child: ChildProcess): void {
  running.add(child);
  child.once("exit", () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A test run that dies without its afterAll must not leave servers holding ports.
    process.once("exit", () => {
      for (const c of running) c.kill("SIGKILL");
    });
  }
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** PEM CA for an https listener's readiness probe. */
  caCert?: string | Buffer;
  readyTimeoutMs?: number;
}

/**
 * Starts `bin/mayfly server <args>` (use port 0 in the address: the printed address says
 * which port it got, so no other process can take it in between), then polls `sys/health`
 * until the server answers. Any answer counts: an uninitialised or sealed server is ready
 * too, it just says so with 501 or 503.
 */
export async function startMayflyServer(args: readonly string[], opts: StartOptions = {}): Promise<MayflyServerProcess> {
  assertBuilt();
  const child = spawn(MAYFLY_BIN, ["server", ...args], { env: opts.env ?? cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
  trackChild(child);
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<ServerExit>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: null, signal: null }));
  });
  let done = false;
  void exited.then(() => (done = true));

  const stop = async (signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<ServerExit> => {
    if (!done) {
      child.kill(signal);
      const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), graceMs).unref());
      if ((await Promise.race([exited, timer])) === "timeout") child.kill("SIGKILL");
    }
    return exited;
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 20_000);
  let address: string | undefined;
  let lastError = "";
  try {
    for (;;) {
      if (done) throw new Error(`mayfly server exited during start-up\nstdout:\n${out}\nstderr:\n${err}`);
      address ??= /(?:listening on |export MAYFLY_ADDR=')(https?:\/\/[^\s',]+)/.exec(out)?.[1];
      if (address !== undefined) {
        try {
          await probe(`${address}/v1/sys/health`, opts.caCert);
          break;
        } catch (e) {
          lastError = String(e);
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`mayfly server not ready: ${lastError || "no address printed"}\nstdout:\n${out}\nstderr:\n${err}`);
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  } catch (e) {
    await stop("SIGKILL");
    throw e;
  }

  return { child, address, stdout: () => out, stderr: () => err, exited, stop };
}

/** One GET; resolves with the status of any HTTP answer. */
export async function probe(url: string, caCert?: string | Buffer): Promise<number> {
  return (await request(url, { ...(caCert !== undefined ? { caCert } : {}) })).status;
}

export interface RequestOptions {
  method?: string;
  token?: string;
  body?: unknown;
  caCert?: string | Buffer;
}

/** One request over http or https, without the CLI: for checks that must be quick. */
export function request(url: string, opts: RequestOptions = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith("https:") ? https : http;
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = {};
    if (opts.token !== undefined) headers["X-Vault-Token"] = opts.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const req = mod.request(
      url,
      { method: opts.method ?? "GET", headers, agent: false, timeout: 5_000, ...(opts.caCert !== undefined ? { ca: opts.caCert } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(body);
  });
}

/** Waits until `check` holds, polling; for effects that land shortly after a command returns. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
