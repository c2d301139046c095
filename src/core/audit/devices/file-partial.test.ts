import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DiscardSink, FileSink, StdoutSink } from "./file.js";

// Lets a test make one write(2) stop half-way, as a filling disk does.
vi.mock("node:fs", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs")>();
  return { ...actual, writeSync: vi.fn(actual.writeSync) };
});

const realWriteSync = (await vi.importActual<typeof import("node:fs")>("node:fs")).writeSync;

let dir = "";
afterEach(() => {
  vi.restoreAllMocks();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("FileSink after a partial write", () => {
  it("starts the next entry on a fresh line so the torn one cannot swallow it", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mayfly-audit-partial-"));
    const p = path.join(dir, "audit.log");
    const sink = new FileSink({ filePath: p, modeBits: 0o600, pathCheckIntervalMs: 3_600_000 });
    sink.open();
    await sink.writeLine('{"n":1}\n');

    const write = vi.mocked(fs.writeSync);
    // First attempt: half the line, then ENOSPC; the retry after reopening fails outright.
    const halfWrite = (fd: number, buf: Buffer): number => realWriteSync(fd, buf, 0, 4);
    write.mockImplementationOnce(halfWrite as unknown as typeof fs.writeSync);
    const enospc = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    write.mockImplementationOnce(() => {
      throw enospc;
    });
    write.mockImplementationOnce(() => {
      throw enospc;
    });
    await expect(sink.writeLine('{"n":2}\n')).rejects.toThrow(/ENOSPC/);

    await sink.writeLine('{"n":3}\n');
    sink.close();
    const lines = fs.readFileSync(p, "utf8").split("\n");
    expect(lines).toEqual(['{"n":1}', '{"n"', '{"n":3}', ""]);
  });
});

describe("stdout and discard sinks", () => {
  it("stdout writes each line to process.stdout in one call", async () => {
    const spy = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const sink = new StdoutSink();
    sink.open();
    await sink.writeLine("line\n");
    expect(spy).toHaveBeenCalledWith("line\n");
  });

  it("discard writes nothing and never fails", async () => {
    const write = vi.mocked(fs.writeSync);
    write.mockClear();
    const sink = new DiscardSink();
    await sink.writeLine("x\n");
    expect(write).not.toHaveBeenCalled();
  });
});
