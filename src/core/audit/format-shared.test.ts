// Response data holding shared values (frozen parses of stored records) is written from
// JSON remembered per device: every line must equal the one written for the same data unshared.
import { describe, expect, it } from "vitest";
import { shareFrozen } from "../../storage/shared-values.js";
import { buildRequestEntry, buildResponseEntry, formatRequestLine, formatResponseLine, type Formatter } from "./format.js";
import { parseFormatOptions, type FormatOptions } from "./options.js";
import { AuditSalt } from "./salt.js";
import type { AuditResponseInfo, AuditResponseInput } from "./types.js";

const salt = AuditSalt.fromStored({ key: Buffer.alloc(32, 9).toString("base64") });
const TIME = "2024-05-01T10:00:00.123Z";

function formatter(opts: Partial<FormatOptions> = {}): Formatter {
  return { options: { ...parseFormatOptions({}), ...opts }, hmac: (v) => salt.hmac(v) };
}

const record = () => ({ password: "hunter2", nested: { token: "t0k", port: 5432, list: ["a", 1, null] }, on: true });
const metadata = () => ({ created_time: "2024-05-01T09:00:00Z", custom_metadata: null, version: 3, destroyed: false });

function input(data: Record<string, unknown>, extra: Partial<AuditResponseInfo> = {}, more: Partial<AuditResponseInput> = {}): AuditResponseInput {
  return {
    auth: { clientToken: "hvs.caller", accessor: "acc", policies: ["default"] },
    request: { id: "r1", operation: "read", mountPoint: "secret/", mountType: "kv", mountAccessor: "kv_1", path: "secret/data/app", remoteAddress: "127.0.0.1", remotePort: 4000 },
    response: { data, ...extra },
    ...more,
  };
}

/** The line as the plain path writes it: one JSON.stringify of the whole entry. */
const expected = (f: Formatter, i: AuditResponseInput) =>
  `${f.options.prefix}${JSON.stringify(buildResponseEntry(f, i, TIME))}\n`;

describe("audit lines of responses carrying shared values", () => {
  const shared = { data: shareFrozen(record()), metadata: shareFrozen(metadata()) };
  const cases: [string, Partial<FormatOptions>, Partial<AuditResponseInfo>, Partial<AuditResponseInput>][] = [
    ["default options", {}, {}, {}],
    ["log_raw", { logRaw: true }, {}, {}],
    ["hmac_accessor off, prefix", { hmacAccessor: false, prefix: "P " }, {}, {}],
    ["non-HMAC response keys", {}, {}, { nonHmacResponseKeys: ["token", "password"] }],
    ["with secret, warnings and wrap info", {}, { secret: { leaseId: "kv/x" }, warnings: ["w"], wrapInfo: { ttlSeconds: 60, token: "hvs.w", accessor: "wa", creationTimeMs: 1714557600000, creationPath: "kv/data/app" } }, {}],
  ];
  for (const [name, opts, extra, more] of cases) {
    it(`equal the unshared form: ${name}`, () => {
      const f = formatter(opts);
      const unshared = input({ data: record(), metadata: metadata() }, extra, more);
      const withShared = input({ ...shared }, extra, more);
      // Twice: the second line comes from what the first remembered.
      for (let i = 0; i < 2; i++) expect(formatResponseLine(f, withShared, TIME)).toBe(expected(f, unshared));
    });
  }

  it("follow a change of the mount's non-HMAC keys, and keep devices apart", () => {
    const a = formatter();
    const raw = formatter({ logRaw: true });
    const data = { data: shared.data, extra: "clear?" };
    expect(formatResponseLine(a, input(data), TIME)).toBe(expected(a, input({ data: record(), extra: "clear?" })));
    expect(formatResponseLine(raw, input(data), TIME)).toContain('"password":"hunter2"');
    const clear = input(data, {}, { nonHmacResponseKeys: ["password"] });
    expect(formatResponseLine(a, clear, TIME)).toBe(expected(a, input({ data: record(), extra: "clear?" }, {}, { nonHmacResponseKeys: ["password"] })));
    expect(formatResponseLine(a, input(data), TIME)).not.toContain("hunter2");
  });

  it("hash a shared array by the key it sits under, and leave an empty data block out", () => {
    const f = formatter();
    const list = shareFrozen(["s1", "s2"]);
    const more = { nonHmacResponseKeys: ["keys"] };
    expect(formatResponseLine(f, input({ keys: list, other: list }, {}, more), TIME)).toBe(expected(f, input({ keys: ["s1", "s2"], other: ["s1", "s2"] }, {}, more)));
    const empty = input({ gone: undefined, shared: shareFrozen({}) });
    expect(formatResponseLine(f, empty, TIME)).toBe(expected(f, input({ gone: undefined, shared: {} })));
  });

  it("equal the unshared form when the whole data block is shared (KV v1)", () => {
    const whole = shareFrozen(record());
    for (const more of [{}, { nonHmacResponseKeys: ["password"] }]) {
      const f = formatter();
      for (let i = 0; i < 2; i++) expect(formatResponseLine(f, input(whole, {}, more), TIME)).toBe(expected(f, input(record(), {}, more)));
    }
    const empty = shareFrozen({});
    const f = formatter();
    expect(formatResponseLine(f, input(empty), TIME)).toBe(expected(f, input({})));
    expect(formatResponseLine(f, input(empty), TIME)).not.toContain('"data"');
  });

  it("name each response's own mount, request after request", () => {
    const f = formatter();
    const mounts = [
      { mountPoint: "secret/", mountType: "kv", mountAccessor: "kv_1" },
      { mountPoint: "other/", mountType: "kv", mountAccessor: "kv_2" },
      { mountPoint: "other/", mountType: "kv", mountAccessor: "kv_2", mountRunningVersion: "v1.2.3" },
      { mountPoint: "secret/", mountType: "kv", mountAccessor: "kv_1" },
    ];
    for (const m of mounts) {
      const withShared = input({ data: shared.data });
      const unshared = input({ data: record() });
      withShared.request = { ...withShared.request, ...m };
      unshared.request = { ...unshared.request, ...m };
      expect(formatResponseLine(f, withShared, TIME)).toBe(expected(f, unshared));
    }
  });

  it("write a token's remembered auth block anew once its entity's policies change", () => {
    const f = formatter();
    const line = (identityPolicies: readonly string[] | undefined) => {
      const i = input({ a: "b" });
      i.auth = { clientToken: "hvs.same", accessor: "acc", policies: ["default"], tokenTtlSeconds: 0, identityPolicies, policyResults: { allowed: true } };
      return { got: formatRequestLine(f, i, TIME), want: `${JSON.stringify(buildRequestEntry(f, i, TIME))}\n` };
    };
    for (const policies of [undefined, ["group-a"], ["group-a", "group-b"], undefined]) {
      const { got, want } = line(policies);
      expect(got).toBe(want);
    }
  });

  it("elide list responses as the plain path does", () => {
    const f = formatter({ elideListResponses: true });
    const list = input({ keys: shareFrozen(["a", "b"]) });
    list.request = { ...list.request, operation: "list" };
    expect(formatResponseLine(f, list, TIME)).toContain('"keys":2');
  });
});
