import { describe, expect, it } from "vitest";
import type { TidyResult } from "../core/expiration/expiration-manager.js";
import { LeaseTidy } from "./lease-tidy.js";

function recordingLogger() {
  const lines: string[] = [];
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) => lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
  return { lines, logger: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") } };
}

/** A tidy that ends when the test says so. */
function controlledTidy() {
  let calls = 0;
  let finish!: (r: TidyResult) => void;
  let fail!: (e: Error) => void;
  return {
    get calls() {
      return calls;
    },
    tidy: () => {
      calls++;
      return new Promise<TidyResult>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      });
    },
    finish: (r: TidyResult) => finish(r),
    fail: (e: Error) => fail(e),
  };
}

describe("sys/leases/tidy's runner", () => {
  it("answers 200 with the counts when the tidy ends within the wait", async () => {
    const { logger } = recordingLogger();
    const t = controlledTidy();
    const runner = new LeaseTidy({ tidy: t.tidy, logger }, 1_000);
    const answer = runner.run();
    t.finish({ revoked: 2, retried: 1, cleaned: 3 });
    expect(await answer).toEqual({ data: { revoked: 2, retried: 1, cleaned: 3 }, warnings: ["Tidy operation successfully completed."], status: 200 });
  });

  it("answers 202 as Vault does when the tidy takes longer, and logs its counts when it ends", async () => {
    const { lines, logger } = recordingLogger();
    const t = controlledTidy();
    const runner = new LeaseTidy({ tidy: t.tidy, logger }, 20);
    const answer = await runner.run();
    expect(answer.status).toBe(202);
    expect(answer.warnings?.[0]).toMatch(/^Tidy operation successfully started/);
    expect(lines).toEqual([]);

    // A call while it runs joins it instead of starting a second walk.
    const joined = runner.run();
    t.finish({ revoked: 5, retried: 0, cleaned: 1 });
    expect((await joined).data).toEqual({ revoked: 5, retried: 0, cleaned: 1 });
    expect(t.calls).toBe(1);
    await runner.settle();
    expect(lines).toEqual([`info lease tidy finished {"revoked":5,"retried":0,"cleaned":1}`]);

    // Once it has ended, the next call starts a new one.
    const again = runner.run();
    t.finish({ revoked: 0, retried: 0, cleaned: 0 });
    await again;
    expect(t.calls).toBe(2);
  });

  it("a tidy that fails within the wait fails the call; one that fails later is logged", async () => {
    const { lines, logger } = recordingLogger();
    const t = controlledTidy();
    const runner = new LeaseTidy({ tidy: t.tidy, logger }, 1_000);
    const answer = runner.run();
    t.fail(new Error("storage is sealed"));
    await expect(answer).rejects.toThrow("storage is sealed");

    const slow = new LeaseTidy({ tidy: t.tidy, logger }, 20);
    expect((await slow.run()).status).toBe(202);
    t.fail(new Error("target unreachable"));
    await slow.settle();
    expect(lines.at(-1)).toBe(`error lease tidy failed {"error":"target unreachable"}`);
  });
});
