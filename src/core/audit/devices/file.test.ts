import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileSink } from "./file.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mayfly-audit-file-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const read = (p: string): string => fs.readFileSync(p, "utf8");

describe("FileSink", () => {
  it("creates missing directories, appends lines and applies the mode", async () => {
    const p = path.join(dir, "sub", "deeper", "audit.log");
    const sink = new FileSink({ filePath: p, modeBits: 0o640 });
    sink.open();
    await sink.writeLine("one\n");
    await sink.writeLine("two\n");
    sink.close();
    expect(read(p)).toBe("one\ntwo\n");
    expect(fs.statSync(p).mode & 0o777).toBe(0o640);
    // Reopening appends to what is there.
    const again = new FileSink({ filePath: p, modeBits: 0o600 });
    again.open();
    await again.writeLine("three\n");
    again.close();
    expect(read(p)).toBe("one\ntwo\nthree\n");
    expect(fs.statSync(p).mode & 0o777).toBe(0o600);
  });

  it("writes a turn's lines whole and in order: multi-byte text, and turns larger than its buffer", async () => {
    const p = path.join(dir, "audit.log");
    const sink = new FileSink({ filePath: p, modeBits: 0o600 });
    sink.open();
    const small = ["naïve ☃ 𝄞 line\n", "second\n"];
    await Promise.all(small.map((l) => sink.writeLine(l)));
    // ~3 MB in one turn: past the kept buffer's size, so it grows and is let go after.
    const big = Array.from({ length: 3000 }, (_, i) => `${String(i).padStart(5, "0")} ${"é".repeat(500)}x\n`);
    await Promise.all(big.map((l) => sink.writeLine(l)));
    await sink.writeLine("after\n");
    sink.close();
    expect(read(p)).toBe([...small, ...big, "after\n"].join(""));
  });

  it("leaves an existing file's mode alone with mode 0000", async () => {
    const p = path.join(dir, "audit.log");
    fs.writeFileSync(p, "", { mode: 0o644 });
    fs.chmodSync(p, 0o644);
    const sink = new FileSink({ filePath: p, modeBits: 0 });
    sink.open();
    await sink.writeLine("x\n");
    sink.close();
    expect(fs.statSync(p).mode & 0o777).toBe(0o644);
  });

  it("fails to open under a path whose parent is a file", async () => {
    const blocker = path.join(dir, "not-a-dir");
    fs.writeFileSync(blocker, "");
    const sink = new FileSink({ filePath: path.join(blocker, "audit.log"), modeBits: 0o600 });
    expect(() => sink.open()).toThrow(/ENOTDIR|EEXIST/);
  });

  it("reopen() moves writing to a new file at the original path after a rename", async () => {
    const p = path.join(dir, "audit.log");
    const rotated = path.join(dir, "audit.log.1");
    // A long check interval: only the explicit reopen (SIGHUP) may switch files here.
    const sink = new FileSink({ filePath: p, modeBits: 0o600, pathCheckIntervalMs: 3_600_000 });
    sink.open();
    await sink.writeLine("before\n");
    fs.renameSync(p, rotated);
    await sink.writeLine("still-old-fd\n");
    sink.reopen();
    await sink.writeLine("after\n");
    sink.close();
    expect(read(rotated)).toBe("before\nstill-old-fd\n");
    expect(read(p)).toBe("after\n");
  });

  it("notices a deleted file without a SIGHUP and recreates it", async () => {
    const p = path.join(dir, "audit.log");
    const sink = new FileSink({ filePath: p, modeBits: 0o600, pathCheckIntervalMs: 0 });
    sink.open();
    await sink.writeLine("a\n");
    fs.unlinkSync(p);
    await sink.writeLine("b\n");
    sink.close();
    expect(read(p)).toBe("b\n");
  });

  it("throws when the directory is removed and replaced so the path cannot be opened", async () => {
    const logDir = path.join(dir, "logs");
    const p = path.join(logDir, "audit.log");
    const sink = new FileSink({ filePath: p, modeBits: 0o600, pathCheckIntervalMs: 0 });
    sink.open();
    await sink.writeLine("ok\n");
    fs.rmSync(logDir, { recursive: true });
    fs.writeFileSync(logDir, "a file where the directory was");
    await expect(sink.writeLine("lost\n")).rejects.toThrow(/ENOTDIR|EEXIST/);
    // Once the directory is back, the sink recovers on the next write.
    fs.rmSync(logDir);
    await sink.writeLine("back\n");
    sink.close();
    expect(read(p)).toBe("back\n");
  });

  it("throws when the disk is full (/dev/full)", async () => {
    const sink = new FileSink({ filePath: "/dev/full", modeBits: 0 });
    sink.open();
    await expect(sink.writeLine("x\n")).rejects.toThrow(/ENOSPC/);
    sink.close();
  });

  it("recovers from an invalid descriptor by reopening once", async () => {
    const p = path.join(dir, "audit.log");
    const sink = new FileSink({ filePath: p, modeBits: 0o600, pathCheckIntervalMs: 3_600_000 });
    sink.open();
    // Close the descriptor behind the sink's back.
    fs.closeSync((sink as unknown as { fd: number }).fd);
    await sink.writeLine("after-ebadf\n");
    sink.close();
    expect(read(p)).toBe("after-ebadf\n");
  });

  it("refuses writes after close", async () => {
    const sink = new FileSink({ filePath: path.join(dir, "a.log"), modeBits: 0o600 });
    sink.open();
    sink.close();
    await expect(sink.writeLine("x\n")).rejects.toThrow(/closed/);
  });
});
