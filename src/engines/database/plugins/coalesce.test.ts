import { describe, expect, it } from "vitest";
import { StatementCoalescer } from "./coalesce.js";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("StatementCoalescer", () => {
  it("sends an item alone when a connection is free", async () => {
    const sent: string[] = [];
    const c = new StatementCoalescer(async (t) => void sent.push(t), () => 2);
    await c.run("DROP ROLE a");
    expect(sent).toEqual(["DROP ROLE a"]);
  });

  it("joins what arrives in one event-loop turn into one message", async () => {
    const sent: string[] = [];
    const c = new StatementCoalescer(async (t) => void sent.push(t), () => 8);
    await Promise.all(["a", "b", "c"].map((n) => c.run(`DROP ROLE ${n}`)));
    await c.run("DROP ROLE d");
    expect(sent).toEqual(["DROP ROLE a;\nDROP ROLE b;\nDROP ROLE c", "DROP ROLE d"]);
  });

  it("joins what queued while the connections were busy into one message", async () => {
    const sent: string[] = [];
    const gate = deferred();
    const c = new StatementCoalescer(async (t) => {
      sent.push(t);
      if (sent.length === 1) await gate.promise;
    }, () => 1);
    const first = c.run("DROP ROLE a");
    await new Promise((r) => setImmediate(r));
    const rest = ["b", "c", "d"].map((n) => c.run(`DROP ROLE ${n}`));
    await new Promise((r) => setImmediate(r));
    gate.resolve();
    await Promise.all([first, ...rest]);
    expect(sent).toEqual(["DROP ROLE a", "DROP ROLE b;\nDROP ROLE c;\nDROP ROLE d"]);
  });

  it("runs the items of a failed message alone, so only the failing one fails", async () => {
    const sent: string[] = [];
    const gate = deferred();
    const c = new StatementCoalescer(async (t) => {
      sent.push(t);
      if (sent.length === 1) await gate.promise;
      if (t.includes("bad")) throw new Error("role bad is in use");
    }, () => 1);
    const first = c.run("DROP ROLE a");
    await new Promise((r) => setImmediate(r));
    const results = ["b", "bad", "d"].map((n) => c.run(`DROP ROLE ${n}`).then(() => "ok", (e: Error) => e.message));
    await new Promise((r) => setImmediate(r));
    gate.resolve();
    await first;
    expect(await Promise.all(results)).toEqual(["ok", "role bad is in use", "ok"]);
    expect(sent.slice(2)).toEqual(["DROP ROLE b", "DROP ROLE bad", "DROP ROLE d"]);
  });
});
