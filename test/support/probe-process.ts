/** Runs a client probe (a Go binary, a Python script) as a subprocess of a test. */
import { execFile } from "node:child_process";

export interface ProbeResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Asynchronous on purpose: the server under test usually runs in the test's own event
 * loop, and a synchronous child would block it, so the probe would wait on a server that
 * cannot answer.
 */
export function runProbeProcess(
  cmd: string,
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") {
        reject(new Error(`${cmd} ${args.join(" ")} did not finish: ${err.message}\n${stdout}\n${stderr}`));
        return;
      }
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}
