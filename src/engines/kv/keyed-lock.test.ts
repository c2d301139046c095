import { describe, expect, it } from "vitest";
import { KeyedLock } from "./keyed-lock.js";

const tick = () => new Promise<void>((r) => setImmediate(r));

describe("KeyedLock", () => {
  it("runs work on one key strictly one after another", async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const job = (name: string) =>
      lock.run("k", async () => {
        log.push(`${name} start`);
        await tick();
        await tick();
        log.push(`${name} end`);
        return name;
      });
    expect(await Promise.all([job("a"), job("b"), job("c")])).toEqual(["a", "b", "c"]);
    expect(log).toEqual(["a start", "a end", "b start", "b end", "c start", "c end"]);
  });

  it("lets different keys run side by side", async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const job = (key: string) =>
      lock.run(key, async () => {
        log.push(`${key} start`);
        await tick();
        log.push(`${key} end`);
      });
    await Promise.all([job("x"), job("y")]);
    expect(log.slice(0, 2)).toEqual(["x start", "y start"]);
  });

  it("a failure reaches its caller and does not block the next", async () => {
    const lock = new KeyedLock();
    const failing = lock.run("k", () => Promise.reject(new Error("boom")));
    const next = lock.run("k", () => Promise.resolve("ok"));
    await expect(failing).rejects.toThrow("boom");
    expect(await next).toBe("ok");
  });

  it("forgets keys once their work is done", async () => {
    const lock = new KeyedLock();
    await Promise.all([lock.run("a", async () => 1), lock.run("b", async () => 2)]);
    await tick();
    expect(lock.size).toBe(0);
  });
});
