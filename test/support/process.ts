/**
 * What every throwaway database instance needs: a private temp dir, a free port, a
 * server process started from the machine's binaries, readiness by connecting, and
 * cleanup that happens even when the test process dies without running its hooks.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** Alphanumeric, so it needs no quoting in SQL, URLs, config files or command lines. */
export function randomPassword(length = 24): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(length * 2);
  let out = "";
  // 248 is the largest multiple of 62 below 256: rejecting above it keeps the draw unbiased.
  for (const b of bytes) {
    if (b < 248) out += alphabet[b % 62];
    if (out.length === length) return out;
  }
  return out + randomPassword(length - out.length);
}

/**
 * A fresh private dir. `traversableByOthers` is for servers that run as another user
 * (PostgreSQL under root): a TMPDIR only root may enter would lock them out, so /tmp
 * is used instead.
 */
export function makeTempDir(kind: string, traversableByOthers = false): string {
  let base = tmpdir();
  if (traversableByOthers && (statSync(base).mode & 0o001) === 0) base = "/tmp";
  return mkdtempSync(join(base, `mayfly-${kind}-`));
}

/** The first of `users` that exists on this machine. */
export function firstExistingUser(users: readonly string[]): string | undefined {
  return users.find((u) => spawnSync("id", ["-u", u], { stdio: "ignore" }).status === 0);
}

/**
 * A port nobody listens on right now. Another worker may take it before our server
 * binds it; callers retry the start with a new port when the bind fails.
 */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error("could not read the port of a probe socket"));
      });
    });
  });
}

/** First existing path among candidates; globs are not needed, so callers list them. */
export function findBinary(name: string, candidates: readonly string[]): string {
  for (const candidate of candidates) {
    if (existsSync(candidate)) return candidate;
  }
  const which = spawnSync("sh", ["-c", `command -v ${name}`], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${process.env.PATH ?? ""}:/usr/local/sbin:/usr/sbin:/sbin` },
  });
  const found = which.stdout.trim();
  if (which.status === 0 && found !== "") return found;
  throw new Error(`${name} not found; run scripts/install-deps.sh`);
}

/** Debian keeps PostgreSQL's server programs in /usr/lib/postgresql/<major>/bin. */
export function findPostgresBin(program: string): string {
  const base = "/usr/lib/postgresql";
  const majors = existsSync(base)
    ? readdirSync(base)
        .filter((d) => /^\d+$/.test(d))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return findBinary(program, majors.map((m) => join(base, m, "bin", program)));
}

export interface ServerProcess {
  readonly child: ChildProcess;
  /** The tail of the server's log, for error messages. */
  logTail(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
  hasExited(): boolean;
}

export function startServerProcess(
  command: string,
  args: readonly string[],
  logPath: string,
  env: NodeJS.ProcessEnv = process.env,
): ServerProcess {
  const logFd = openSync(logPath, "a");
  const child = spawn(command, args, { stdio: ["ignore", logFd, logFd], env });
  closeSync(logFd);
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      done = true;
      resolve(code);
    });
    child.once("error", () => {
      done = true;
      resolve(null);
    });
  });
  return {
    child,
    exited,
    hasExited: () => done,
    logTail: () => {
      try {
        return readFileSync(logPath, "utf8").split("\n").slice(-15).join("\n");
      } catch {
        return "";
      }
    },
  };
}

/**
 * Polls `probe` until it succeeds. Fails fast when the server process exits, with the
 * log tail in the message, because a dead server never becomes ready.
 */
export async function waitUntilReady(
  what: string,
  server: ServerProcess,
  probe: () => Promise<void>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (server.hasExited()) {
      throw new ServerExitedError(`${what} exited during start-up:\n${server.logTail()}`, server.logTail());
    }
    try {
      await probe();
      return;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what} not ready after ${timeoutMs} ms: ${String(lastError)}\n${server.logTail()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 40));
  }
}

export class ServerExitedError extends Error {
  constructor(
    message: string,
    readonly log: string,
  ) {
    super(message);
  }
  get addressInUse(): boolean {
    return /address already in use|Address in use|EADDRINUSE|Can't start server: Bind/i.test(this.log);
  }
}

/** Stops a server: `signal` first, SIGKILL if it has not gone after `graceMs`. */
export async function stopServerProcess(server: ServerProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (server.hasExited()) return;
  server.child.kill(signal);
  const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), graceMs).unref());
  if ((await Promise.race([server.exited, timer])) === "timeout") {
    server.child.kill("SIGKILL");
    await server.exited;
  }
}

interface Tracked {
  pid: () => number | undefined;
  exitSignal: NodeJS.Signals;
  dir: string;
  watchdog: ChildProcess | undefined;
}

const tracked = new Set<Tracked>();
let exitHookInstalled = false;

/**
 * Registers an instance for cleanup. Two layers: a synchronous `exit` hook for a normal
 * end of the test process, and a detached watchdog shell that notices when this process
 * is gone (killed by a signal, or by vitest tearing down a worker) and then stops the
 * server and removes its dir. Returns the function that unregisters both.
 */
export function trackInstance(pid: () => number | undefined, exitSignal: NodeJS.Signals, dir: string): () => void {
  const entry: Tracked = { pid, exitSignal, dir, watchdog: undefined };
  entry.watchdog = spawnWatchdog(entry);
  tracked.add(entry);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const t of tracked) {
        const p = t.pid();
        if (p !== undefined) {
          try {
            process.kill(p, t.exitSignal);
          } catch {
            // already gone
          }
        }
        // The watchdog removes the dir after the server has had time to stop; removing
        // it here, while the server may still write, could leave files behind.
      }
    });
  }
  return () => {
    tracked.delete(entry);
    entry.watchdog?.kill("SIGKILL");
  };
}

/** The server pid can change on restart; the watchdog reads it from a file in the dir. */
export function watchdogPidFile(dir: string): string {
  return join(dir, "server.pid.watch");
}

function spawnWatchdog(entry: Tracked): ChildProcess | undefined {
  const script = [
    `parent=${process.pid}`,
    `dir='${entry.dir}'`,
    `pidfile='${watchdogPidFile(entry.dir)}'`,
    'while kill -0 "$parent" 2>/dev/null; do sleep 1; done',
    'pid=$(cat "$pidfile" 2>/dev/null)',
    // Only signal the pid while it is still our server: its command line names our dir.
    'if [ -n "$pid" ] && grep -qF "$dir" "/proc/$pid/cmdline" 2>/dev/null; then',
    `  kill -${entry.exitSignal.replace(/^SIG/, "")} "$pid" 2>/dev/null`,
    '  i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done',
    '  kill -KILL "$pid" 2>/dev/null',
    "fi",
    'rm -rf "$dir"',
  ].join("\n");
  try {
    const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
    child.unref();
    return child;
  } catch {
    return undefined;
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs a command as another system user (servers that refuse to run as root). */
export function asUser(user: string | undefined, command: string, args: readonly string[]): [string, string[]] {
  if (user === undefined) return [command, [...args]];
  return ["setpriv", [`--reuid=${user}`, `--regid=${user}`, "--init-groups", "--", command, ...args]];
}

/** Runs a set-up command to completion without blocking the event loop. */
export async function runChecked(command: string, args: readonly string[], what: string): Promise<void> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | string | null>((resolve) => {
    child.once("error", (e) => resolve(e.message));
    child.once("exit", (c, signal) => resolve(c ?? signal));
  });
  if (code !== 0) throw new Error(`${what} failed (${String(code)}): ${output.slice(-2000)}`);
}

/** `pid` and every process descending from it, read from /proc (parents first). */
function processTree(pid: number): number[] {
  const childrenOf = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "latin1");
    } catch {
      continue; // gone meanwhile
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const list = childrenOf.get(ppid) ?? [];
    list.push(Number(entry));
    childrenOf.set(ppid, list);
  }
  const out: number[] = [];
  const visit = (p: number): void => {
    out.push(p);
    for (const c of childrenOf.get(p) ?? []) visit(c);
  };
  visit(pid);
  return out;
}

/**
 * SIGSTOP or SIGCONT to a server and all its processes (PostgreSQL's backends too): a
 * stopped server keeps its sockets open and answers nothing, as a hung or partitioned
 * host does, which is a different fault from a server that went away.
 */
export function signalProcessTree(pid: number | undefined, signal: "SIGSTOP" | "SIGCONT"): void {
  if (pid === undefined) return;
  for (const p of processTree(pid)) {
    try {
      process.kill(p, signal);
    } catch {
      // exited meanwhile
    }
  }
}
