// Process plumbing shared by the benchmarks: temp dirs, free ports, child processes that
// cannot outlive the benchmark, and readiness polling.
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The tree whose `dist/` and `bin/` are measured. MAYFLY_ROOT lets a run measure a clean
 * export of one commit while the working tree is being edited by others.
 */
export const mayflyRoot = process.env.MAYFLY_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A fresh private dir; `traversableByOthers` for servers that run as another user. */
export function makeTempDir(kind, traversableByOthers = false) {
  let base = tmpdir();
  if (traversableByOthers && (statSync(base).mode & 0o001) === 0) base = "/tmp";
  return mkdtempSync(join(base, `mayfly-bench-${kind}-`));
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/** A port nobody listens on right now (a race with other workers is retried by callers). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const children = new Set();
let hooksInstalled = false;

function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // A benchmark stopped with ^C or killed by a timeout must not leave servers behind.
  process.once("exit", () => {
    for (const c of children) {
      try {
        c.child.kill(c.exitSignal);
      } catch {
        // already gone
      }
    }
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.once(signal, () => process.exit(130));
}

/**
 * Starts a server program with its output in `logPath`. `exitSignal` is what stops it
 * cleanly (PostgreSQL: SIGQUIT for an immediate stop, Node: SIGTERM).
 */
export function startProcess(command, args, { logPath, env = process.env, exitSignal = "SIGTERM" }) {
  installExitHooks();
  const logFd = openSync(logPath, "a");
  const child = spawn(command, args, { stdio: ["ignore", logFd, logFd], env });
  closeSync(logFd);
  const entry = { child, exitSignal };
  children.add(entry);
  let done = false;
  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => {
      done = true;
      children.delete(entry);
      resolve(code ?? signal);
    });
    child.once("error", (e) => {
      done = true;
      children.delete(entry);
      resolve(e.message);
    });
  });
  const logTail = () => {
    try {
      return readFileSync(logPath, "utf8").split("\n").slice(-20).join("\n");
    } catch {
      return "";
    }
  };
  return {
    child,
    exited,
    hasExited: () => done,
    logTail,
    /** Signals the process and waits; SIGKILL after `graceMs`. */
    async stop(signal = exitSignal, graceMs = 10_000) {
      if (done) return;
      child.kill(signal);
      const timer = new Promise((r) => setTimeout(() => r("timeout"), graceMs).unref());
      if ((await Promise.race([exited, timer])) === "timeout") {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}

/** Polls `probe` until it resolves; fails at once, with the log, if the process exits. */
export async function waitUntilReady(what, proc, probe, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    if (proc.hasExited()) {
      const error = new Error(`${what} exited during start-up:\n${proc.logTail()}`);
      error.addressInUse = /address already in use|EADDRINUSE/i.test(proc.logTail());
      throw error;
    }
    try {
      return await probe();
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs} ms: ${lastError}\n${proc.logTail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** User + system CPU time of a process so far, in microseconds (Linux /proc). */
export function cpuMicros(pid) {
  const { userUs, systemUs } = cpuSplitMicros(pid);
  return userUs + systemUs;
}

/** User and system CPU time of a process so far, apart, in microseconds. */
export function cpuSplitMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  // The command name may hold spaces; fields are counted from after its closing paren.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { userUs: (Number(fields[11]) * 1e6) / CLOCK_TICKS, systemUs: (Number(fields[12]) * 1e6) / CLOCK_TICKS };
}
/** CPU of a process's main thread only (its event loop, for Node), in microseconds. */
export function mainThreadCpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, "latin1");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}

/**
 * CPU of a process and its children, in microseconds: a PostgreSQL postmaster and its
 * backends, live or exited (the postmaster reaps them, so their time is in its cutime).
 */
export function processTreeCpuMicros(rootPid) {
  // The root's reaped children (cutime, cstime) keep the time of backends that have exited.
  const rootFields = readFileSync(`/proc/${rootPid}/stat`, "latin1").split(") ")[1].split(" ");
  let total = ((Number(rootFields[13]) + Number(rootFields[14])) * 1e6) / CLOCK_TICKS;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "latin1");
    } catch {
      continue; // gone meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(entry) !== rootPid && Number(fields[1]) !== rootPid) continue;
    total += ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  }
  return total;
}

// sysconf(_SC_CLK_TCK) is 100 on every Linux this runs on; Node does not expose it.
const CLOCK_TICKS = 100;

/** The 1-minute load average and the number of runnable tasks beside ours, for the record. */
export function loadAverage() {
  const [one, five, fifteen, running] = readFileSync("/proc/loadavg", "latin1").split(" ");
  return { one: Number(one), five: Number(five), fifteen: Number(fifteen), running };
}
