/**
 * The `file` audit device's sinks: a file, stdout, or nothing.
 *
 * Why synchronous `write(2)`s, batched per event-loop turn: every line written in one turn
 * goes out in one write at the end of that turn (setImmediate), and each caller's promise
 * settles only after that write returned. So a request is never answered before its entry
 * is in the kernel (it survives a crash of this process, though not of the machine: we do
 * not fsync, nor does Vault), a failed write (disk full, bad descriptor) is known in time
 * to refuse the request, and a busy server pays one system call per turn instead of two per
 * request (a write cost as much as formatting the line). O_APPEND makes each batch land at
 * the end even if another process appends to the same file.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface AuditSink {
  /** For log messages; never a secret. */
  readonly target: string;
  /** Opens the sink; throws if it cannot be written. */
  open(): void;
  /** Writes one complete line (already newline-terminated); throws or rejects on failure. */
  writeLine(line: string): void | Promise<void>;
  /** Closes and opens again (SIGHUP, log rotation). Throws if the reopen fails. */
  reopen(): void;
  /** For sinks that reach out (a socket): checks the target answers before enabling. */
  probe?(): Promise<void>;
  close(): void;
}

export class DiscardSink implements AuditSink {
  readonly target = "discard";
  open(): void {}
  writeLine(_line: string): void {}
  reopen(): void {}
  close(): void {}
}

/**
 * process.stdout is synchronous for files and pipes on Linux and for TTYs on POSIX, so the
 * line is handed to the kernel in this call; its errors, if any, arrive as events we
 * cannot attribute to a request, the same limitation Vault's stdout sink has.
 */
export class StdoutSink implements AuditSink {
  readonly target = "stdout";
  open(): void {}
  writeLine(line: string): void {
    process.stdout.write(line);
  }
  reopen(): void {}
  close(): void {}
}

export interface FileSinkOptions {
  filePath: string;
  /** Permission bits applied after opening; 0 leaves an existing file's mode alone. */
  modeBits: number;
  /**
   * How often a write checks that the path still names the open file (it was deleted or
   * moved without a SIGHUP); 0 checks on every write.
   */
  pathCheckIntervalMs?: number;
  nowMs?: () => number;
}

const DEFAULT_PATH_CHECK_INTERVAL_MS = 1000;

/** The lines of one event-loop turn and the promise of their write. */
interface Batch {
  readonly lines: string[];
  readonly written: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const written = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { lines: [], written, resolve, reject };
}

const SCRATCH_BYTES = 64 * 1024;
const MAX_KEPT_SCRATCH_BYTES = 1024 * 1024;

export class FileSink implements AuditSink {
  readonly target: string;
  private readonly filePath: string;
  private readonly modeBits: number;
  private readonly pathCheckIntervalMs: number;
  private readonly nowMs: () => number;
  private fd: number | undefined;
  private openedIno = 0;
  private openedDev = 0;
  private lastPathCheckMs = 0;
  /** A failed write left part of a line behind: start the next one on a fresh line. */
  private midLine = false;
  private closed = false;
  /** Where a turn's lines are encoded for their write; grows with the largest turn. */
  private scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  private scratchUsed = 0;
  /** Lines of this event-loop turn, written together when it ends. */
  private pending: Batch | undefined;

  constructor(opts: FileSinkOptions) {
    this.filePath = path.resolve(opts.filePath);
    this.target = this.filePath;
    this.modeBits = opts.modeBits;
    this.pathCheckIntervalMs = opts.pathCheckIntervalMs ?? DEFAULT_PATH_CHECK_INTERVAL_MS;
    this.nowMs = opts.nowMs ?? Date.now;
  }

  open(): void {
    if (this.fd !== undefined) return;
    this.closed = false;
    // Vault creates missing parent directories too; 0700 because audit logs are sensitive.
    fs.mkdirSync(path.dirname(this.filePath), { recursive: true, mode: 0o700 });
    const fd = fs.openSync(this.filePath, "a", this.modeBits === 0 ? 0o600 : this.modeBits);
    try {
      const st = fs.fstatSync(fd);
      // Never chmod a device node such as /dev/null (Vault special-cases /dev/null alike).
      if (this.modeBits !== 0 && st.isFile() && (st.mode & 0o7777) !== this.modeBits) fs.fchmodSync(fd, this.modeBits);
      this.openedIno = st.ino;
      this.openedDev = st.dev;
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    this.fd = fd;
    this.lastPathCheckMs = this.nowMs();
  }

  writeLine(line: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error("audit file sink is closed"));
    let batch = this.pending;
    if (!batch) {
      batch = newBatch();
      this.pending = batch;
      setImmediate(() => this.flush());
    }
    batch.lines.push(line);
    // Every line of the turn shares the outcome of its one write, so one promise serves all.
    return batch.written;
  }

  /** Writes the turn's lines in one go; every waiter learns the outcome of that write. */
  private flush(): void {
    const batch = this.pending;
    this.pending = undefined;
    if (!batch) return;
    try {
      this.writeNow(batch.lines);
      batch.resolve();
    } catch (e) {
      batch.reject(e);
    }
  }

  private writeNow(lines: readonly string[]): void {
    if (this.closed) throw new Error("audit file sink is closed");
    if (this.fd === undefined) this.open(); // a previous failure closed it: retry once per write
    else this.reopenIfPathMoved();
    try {
      this.writeAll(this.encode(lines));
    } catch {
      // One retry on a fresh descriptor, as Vault's file sink does (EBADF, a stale NFS handle).
      this.closeFd();
      this.open();
      this.writeAll(this.encode(lines));
    } finally {
      // Lines may hold secrets in clear (log_raw): nothing stays behind in the scratch buffer.
      this.scratch.fill(0, 0, this.scratchUsed);
      this.scratchUsed = 0;
      // A turn of very large lines does not keep its buffer.
      if (this.scratch.length > MAX_KEPT_SCRATCH_BYTES) this.scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
    }
  }

  /**
   * The turn's lines in UTF-8, in a buffer kept from one write to the next: joining them into
   * one string and converting that allocated as much as the lines themselves, every turn.
   */
  private encode(lines: readonly string[]): Buffer {
    let length = this.midLine ? 1 : 0;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    for (const line of lines) length += line.length * 3;
    if (length > this.scratch.length) {
      this.scratch.fill(0, 0, this.scratchUsed);
      this.scratch = Buffer.allocUnsafe(Math.max(length, this.scratch.length * 2));
      this.scratchUsed = 0;
    }
    let used = 0;
    if (this.midLine) this.scratch[used++] = 0x0a;
    for (const line of lines) used += this.scratch.write(line, used, "utf8");
    this.scratchUsed = Math.max(this.scratchUsed, used);
    return this.scratch.subarray(0, used);
  }

  reopen(): void {
    if (this.closed) return;
    this.flush();
    this.closeFd();
    this.open();
  }

  close(): void {
    // Lines already accepted go out before the file closes (a device disabled mid-turn).
    this.flush();
    this.closeFd();
    this.closed = true;
  }

  private writeAll(buf: Buffer): void {
    const fd = this.fd;
    if (fd === undefined) throw new Error("audit file is not open");
    let offset = 0;
    try {
      while (offset < buf.length) offset += fs.writeSync(fd, buf, offset, buf.length - offset);
      this.midLine = false;
    } catch (e) {
      if (offset > 0) this.midLine = true;
      throw e;
    }
  }

  /**
   * If the file was deleted or renamed without a SIGHUP, writing on would feed an inode
   * nobody reads: open the path again (which fails, and fails the write, if the directory
   * has become unusable).
   */
  private reopenIfPathMoved(): void {
    const now = this.nowMs();
    if (now - this.lastPathCheckMs < this.pathCheckIntervalMs) return;
    this.lastPathCheckMs = now;
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(this.filePath, { throwIfNoEntry: false });
    } catch {
      st = undefined; // e.g. ENOTDIR: the directory was replaced; open() will say why
    }
    if (st && st.ino === this.openedIno && st.dev === this.openedDev) return;
    this.closeFd();
    this.open();
  }

  private closeFd(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    try {
      fs.closeSync(fd);
    } catch {
      // The descriptor may already be invalid; that is why we are closing it.
    }
  }
}

/** Stands in for a device whose stored configuration no longer opens, so requests fail closed. */
export class FailedSink implements AuditSink {
  constructor(
    readonly target: string,
    private readonly reason: string,
  ) {}
  open(): void {
    throw new Error(this.reason);
  }
  writeLine(): void {
    throw new Error(this.reason);
  }
  reopen(): void {}
  close(): void {}
}
