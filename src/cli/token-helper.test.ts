import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdtemp, readFile, rm, stat, writeFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TokenHelper } from "./token-helper.js";

let home = "";
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "mayfly-home-"));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe("TokenHelper", () => {
  it("stores the bare token with mode 0600 and no newline", async () => {
    const helper = new TokenHelper(home);
    await helper.store("s.abc123");
    const path = join(home, ".mayfly-token");
    expect(await readFile(path, "utf8")).toBe("s.abc123");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(home)).toEqual([".mayfly-token"]);
  });

  it("tightens a pre-existing file's mode when replacing it", async () => {
    const path = join(home, ".mayfly-token");
    await writeFile(path, "old", { mode: 0o644 });
    await new TokenHelper(home).store("new");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, "utf8")).toBe("new");
  });

  it("trims what it reads and returns empty when there is no file", async () => {
    const helper = new TokenHelper(home);
    expect(await helper.get()).toBe("");
    await writeFile(join(home, ".mayfly-token"), "  s.tok\n\n");
    expect(await helper.get()).toBe("s.tok");
    await helper.erase();
    expect(await helper.get()).toBe("");
  });
});
