/**
 * The `syslog` audit device: each entry goes to the local syslog daemon at the device's
 * facility (Vault's `facility`, default AUTH) with its `tag` (default "vault"), priority
 * info, as Vault's does. The local syslog socket is a Unix datagram socket, which Node
 * cannot open, so entries go through one long-lived `logger` process (util-linux,
 * essential on Debian) reading them line by line; `logger` falls back to a stream socket
 * where that is what listens. An entry counts as recorded once `logger` has taken it, as
 * Vault's counts once the datagram is sent: syslog itself confirms nothing.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { statSync } from "node:fs";
import type { Writable } from "node:stream";
import type { AuditSink } from "./file.js";

/** Where Go's log/syslog (and so Vault) looks for the local daemon, in order. */
const SYSLOG_SOCKETS = ["/dev/log", "/var/run/syslog", "/var/run/log"];
/** Larger than any syslog daemon takes in one message (rsyslog: 8 KiB unless configured). */
const MAX_MESSAGE_BYTES = 1024 * 1024;

export interface SyslogSinkOptions {
  /** A syslog facility keyword as `logger` takes it: "auth", "local0", ... */
  facility: string;
  tag: string;
  /** The daemon's socket; absent, the first of SYSLOG_SOCKETS (or MAYFLY_SYSLOG_SOCKET) that exists. */
  socketPath?: string;
}

type LoggerProcess = ChildProcessByStdio<Writable, null, null>;

export class SyslogSink implements AuditSink {
  readonly target: string;
  private child: LoggerProcess | undefined;
  private closed = false;
  /** Why the last `logger` ended early, for the next write's error. */
  private lastExit = "";

  constructor(private readonly opts: SyslogSinkOptions) {
    this.target = `syslog:${opts.facility}/${opts.tag}`;
  }

  /** Nothing to start yet: `logger` starts with the first entry (and again after it ends). */
  open(): void {
    this.closed = false;
  }

  /**
   * As Vault refuses a syslog device when no local daemon answers: the socket must exist
   * and `logger` must start, or every request would be refused once the device is on.
   */
  async probe(): Promise<void> {
    const child = this.start();
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", (e) => reject(new Error(`cannot start logger: ${e.message}`)));
    });
  }

  writeLine(line: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error("audit syslog sink is closed"));
    let child: LoggerProcess;
    try {
      child = this.child ?? this.start();
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      child.stdin.write(line, (err) => (err ? reject(new Error(`syslog: ${err.message}${this.lastExit}`)) : resolve()));
    });
  }

  /** SIGHUP: the next entry starts a new `logger`, which finds the daemon's socket again. */
  reopen(): void {
    this.stop();
  }

  close(): void {
    this.closed = true;
    this.stop();
  }

  private start(): LoggerProcess {
    const socket = this.socketPath();
    const child = spawn(
      "logger",
      // logger cuts input lines into messages of 1 KiB unless told otherwise, and an audit
      // entry must stay one message (one JSON document).
      ["--socket-errors=on", "--socket", socket, "--tag", this.opts.tag, "--priority", `${this.opts.facility}.info`, "--size", String(MAX_MESSAGE_BYTES)],
      { stdio: ["pipe", "ignore", "ignore"] },
    );
    this.lastExit = "";
    // Write errors (EPIPE once it is gone) reach the waiting entry through write's callback.
    child.stdin.on("error", () => undefined);
    child.on("error", (e) => {
      this.lastExit = ` (logger: ${e.message})`;
      if (this.child === child) this.child = undefined;
    });
    child.on("exit", (code, signal) => {
      this.lastExit = ` (logger ended: ${signal ?? `exit ${code}`})`;
      // The next write starts another.
      if (this.child === child) this.child = undefined;
    });
    this.child = child;
    return child;
  }

  private stop(): void {
    const child = this.child;
    this.child = undefined;
    // Lines already handed over are sent before it exits.
    child?.stdin.end();
  }

  private socketPath(): string {
    const candidates = this.opts.socketPath ? [this.opts.socketPath] : process.env.MAYFLY_SYSLOG_SOCKET ? [process.env.MAYFLY_SYSLOG_SOCKET] : SYSLOG_SOCKETS;
    for (const p of candidates) {
      if (statSync(p, { throwIfNoEntry: false })?.isSocket()) return p;
    }
    throw new Error(`Unix syslog delivery error: no syslog socket at ${candidates.join(", ")}`);
  }
}
