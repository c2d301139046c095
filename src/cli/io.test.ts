import { describe, it, expect } from "vitest";
import { PassThrough } from "node:stream";
import { promptSecret, readLine, type InStream } from "./io.js";
import { memoryIo } from "./testing.js";
import { runCli } from "./cli.js";

function fakeTty() {
  const stdin = new PassThrough() as unknown as InStream & PassThrough;
  const modes: boolean[] = [];
  stdin.isTTY = true;
  stdin.setRawMode = (mode: boolean) => modes.push(mode);
  return { stdin, modes };
}

describe("prompting", () => {
  it("reads a hidden value in raw mode on a terminal, honouring backspace", async () => {
    const { stdin, modes } = fakeTty();
    const mem = memoryIo();
    const io = { ...mem.io, stdin };
    const answer = promptSecret(io, "Unseal Key (will be hidden): ");
    stdin.write("abc\u007fd\r");
    expect(await answer).toBe("abd");
    expect(mem.stdout()).toBe("Unseal Key (will be hidden): \n");
    expect(modes).toEqual([true, false]);
  });

  it("reads one line when stdin is not a terminal", async () => {
    const mem = memoryIo({ stdin: "first\r\nsecond\n" });
    expect(await readLine(mem.io.stdin)).toBe("first");
  });

  it("refuses to prompt with -non-interactive on a terminal", async () => {
    const { stdin } = fakeTty();
    const mem = memoryIo({ env: { MAYFLY_ADDR: "http://127.0.0.1:1", MAYFLY_TOKEN: undefined } });
    const code = await runCli(["login", "-non-interactive"], { ...mem.io, stdin });
    expect(code).toBe(1);
    expect(mem.stderr()).toContain("-non-interactive");
  });
});
