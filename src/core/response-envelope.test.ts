import { describe, expect, it } from "vitest";
import type { Response } from "../framework/types.js";
import { shareFrozen } from "../storage/shared-values.js";
import { envelope, envelopeJson } from "./response-envelope.js";

describe("envelopeJson", () => {
  const record = () => ({ user: "app", pass: "x\"y\u2028", n: [1, { a: null }] });
  const responses: [string, (data: Record<string, unknown>) => Response][] = [
    ["data only", (data) => ({ data })],
    ["lease, warnings, auth", (data) => ({
      data,
      secret: { leaseId: "database/creds/ro/abc", leaseDurationSeconds: 60, renewable: true },
      warnings: ["careful"],
      auth: { client_token: "t" } as unknown as Response["auth"],
    })],
    ["own mount type", (data) => ({ data, mountType: "kv" })],
    ["lease without renewal, empty warnings", (data) => ({ data, secret: { leaseId: "", leaseDurationSeconds: 3600, renewable: false }, warnings: [] })],
    ["only warnings", (data) => ({ data, warnings: ["w\"1"] })],
    ["odd mount type", (data) => ({ data, mountType: 'a"b\u2028' })],
  ];
  for (const [name, make] of responses) {
    it(`writes what JSON.stringify(envelope()) writes: ${name}`, () => {
      const shared = { data: shareFrozen(record()), metadata: shareFrozen({ version: 2 }), plain: "p", skip: undefined, when: new Date(0) };
      const unshared = { data: record(), metadata: { version: 2 }, plain: "p", skip: undefined, when: new Date(0) };
      const want = JSON.stringify(envelope("req-1", make(unshared), "kv"));
      expect(envelopeJson("req-1", make(shared), "kv")).toBe(want);
      expect(envelopeJson("req-1", make(shared), "kv")).toBe(want);
      expect(envelopeJson("req-1", make(unshared), "kv")).toBe(want);
      // The whole data block shared, as a KV v1 read answers.
      expect(envelopeJson("req-1", make(shareFrozen(record())), "kv")).toBe(JSON.stringify(envelope("req-1", make(record()), "kv")));
    });
  }

  it("keeps data at the top level where a sys path asks for it", () => {
    const resp: Response = { data: { sealed: false, nested: shareFrozen({ a: 1 }) }, injectDataAtTop: true };
    expect(envelopeJson("r", resp, "system")).toBe(JSON.stringify(envelope("r", resp, "system")));
  });

  it("a shared value cannot be changed, so its remembered JSON cannot go stale", () => {
    const value = shareFrozen({ a: { b: 1 } });
    expect(() => {
      (value.a as { b: number }).b = 2;
    }).toThrow(TypeError);
  });
});
