/**
 * The executable's entry: importing this module runs the CLI on process.argv.
 * Tests import ./cli.js instead.
 */
import { homedir } from "node:os";
import { runCli } from "./cli.js";

const argv = process.argv.slice(2);

// `mayfly read ... | head -1` closes the pipe early; like a Go binary, stop quietly.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});
const isServer = argv[0] === "server";

void runCli(argv, {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  homeDir: process.env["HOME"] ?? homedir(),
}).then(
  (code) => {
    if (isServer) {
      // The server owns its lifetime (listeners, signals); never cut it short here.
      process.exitCode = code;
      return;
    }
    // stdin may have been left open by a prompt; exit once stdout has been flushed.
    process.stdout.write("", () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
