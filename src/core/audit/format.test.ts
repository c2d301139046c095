import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { IsoTimeMemo, buildRequestEntry, buildResponseEntry, formatRequestLine, formatResponseLine, type Formatter } from "./format.js";
import { hashData } from "./hash.js";
import { parseFormatOptions, type FormatOptions } from "./options.js";
import { AuditSalt } from "./salt.js";
import type { AuditRequestInput, AuditResponseInput } from "./types.js";

const KEY = Buffer.alloc(32, 7);
const salt = AuditSalt.fromStored({ key: KEY.toString("base64") });
const hm = (v: string): string => "hmac-sha256:" + createHmac("sha256", KEY).update(v).digest("hex");

function formatter(opts: Partial<FormatOptions> = {}): Formatter {
  return { options: { ...parseFormatOptions({}), ...opts }, hmac: (v) => salt.hmac(v) };
}

const TIME = "2024-05-01T10:00:00.123Z";

const requestInput: AuditRequestInput = {
  auth: {
    clientToken: "hvs.clienttoken",
    accessor: "acc-123",
    displayName: "token-alice",
    policies: ["default", "app"],
    tokenPolicies: ["default", "app"],
    metadata: { username: "alice" },
    entityId: "ent-1",
    tokenType: "service",
    tokenTtlSeconds: 3600,
    tokenIssueTimeMs: Date.parse("2024-05-01T09:00:00.456Z"),
    remainingUses: 2,
    policyResults: { allowed: true, grantingPolicies: [{ name: "app", type: "acl" }] },
  },
  request: {
    id: "req-1",
    operation: "update",
    mountPoint: "secret/",
    mountType: "kv",
    mountAccessor: "kv_abc",
    clientToken: "hvs.clienttoken",
    clientTokenAccessor: "acc-123",
    path: "secret/data/app",
    data: { data: { password: "hunter2", port: 5432, enabled: true, tags: ["a", 1, null] }, options: { cas: 0 } },
    remoteAddress: "127.0.0.1",
    remotePort: 51234,
  },
};

describe("salt", () => {
  it("is HMAC-SHA256 under the device key, prefixed", () => {
    expect(salt.hmac("x")).toBe(hm("x"));
    expect(salt.hmac("x")).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
  });

  it("round-trips through storage form, and fresh salts differ", () => {
    const a = AuditSalt.generate();
    expect(AuditSalt.fromStored(a.toStored()).hmac("t")).toBe(a.hmac("t"));
    expect(AuditSalt.generate().hmac("t")).not.toBe(a.hmac("t"));
  });

  it("remembers identifier HMACs without changing them, within a bounded cache", () => {
    const s = AuditSalt.generate();
    for (let i = 0; i < 3000; i++) expect(s.hmacIdentifier(`tok-${i % 1500}`)).toBe(s.hmac(`tok-${i % 1500}`));
    const cache = (s as unknown as { identifierCache: Map<string, string> }).identifierCache;
    expect(cache.size).toBe(1024);
  });

  it("rejects a stored key of the wrong size", () => {
    expect(() => AuditSalt.fromStored({ key: Buffer.alloc(5).toString("base64") })).toThrow(/32 bytes/);
  });
});

describe("hashData", () => {
  it("hashes every string at any depth, keeps keys and non-strings", () => {
    const out = hashData({ a: "s", n: 1, b: false, z: null, nested: { deep: ["x", { y: "y" }, 2] } }, hm);
    expect(out).toEqual({ a: hm("s"), n: 1, b: false, z: null, nested: { deep: [hm("x"), { y: hm("y") }, 2] } });
  });

  it("leaves strings under non-HMAC keys in clear, at any depth", () => {
    const out = hashData({ name: "n", keep: ["k1", { inner: "hashed" }], other: { keep: "k2" } }, hm, new Set(["keep"]));
    expect(out).toEqual({ name: hm("n"), keep: ["k1", { inner: hm("hashed") }], other: { keep: "k2" } });
  });

  it("writes dates in clear and hashes binary as base64", () => {
    const when = new Date("2024-01-02T03:04:05.000Z");
    const out = hashData({ when, blob: Buffer.from("secret-bytes"), gone: undefined }, hm);
    expect(out).toEqual({ when: "2024-01-02T03:04:05.000Z", blob: hm(Buffer.from("secret-bytes").toString("base64")) });
  });

  it("walks what toJSON returns", () => {
    const custom = { toJSON: () => ({ pw: "p" }) };
    expect(hashData({ custom }, hm)).toEqual({ custom: { pw: hm("p") } });
  });
});

describe("request entry", () => {
  it("has Vault's shape with tokens, accessors and data HMAC'd", () => {
    const e = buildRequestEntry(formatter(), requestInput, TIME);
    expect(e).toEqual({
      time: TIME,
      type: "request",
      auth: {
        client_token: hm("hvs.clienttoken"),
        accessor: hm("acc-123"),
        display_name: "token-alice",
        policies: ["default", "app"],
        token_policies: ["default", "app"],
        policy_results: { allowed: true, granting_policies: [{ name: "app", namespace_id: "root", type: "acl" }] },
        metadata: { username: "alice" },
        remaining_uses: 2,
        entity_id: "ent-1",
        token_type: "service",
        token_ttl: 3600,
        token_issue_time: "2024-05-01T09:00:00Z",
      },
      request: {
        id: "req-1",
        operation: "update",
        mount_point: "secret/",
        mount_type: "kv",
        mount_accessor: "kv_abc",
        client_token: hm("hvs.clienttoken"),
        client_token_accessor: hm("acc-123"),
        namespace: { id: "root" },
        path: "secret/data/app",
        data: { data: { password: hm("hunter2"), port: 5432, enabled: true, tags: [hm("a"), 1, null] }, options: { cas: 0 } },
        remote_address: "127.0.0.1",
        remote_port: 51234,
      },
    });
    expect(Object.keys(e)).toEqual(["time", "type", "auth", "request"]);
  });

  it("keeps everything in clear with log_raw", () => {
    const e = buildRequestEntry(formatter({ logRaw: true }), requestInput, TIME);
    expect(e.auth.client_token).toBe("hvs.clienttoken");
    expect(e.request.client_token_accessor).toBe("acc-123");
    expect(e.request.data).toEqual(requestInput.request.data);
  });

  it("keeps accessors in clear with hmac_accessor=false, still hashing tokens", () => {
    const e = buildRequestEntry(formatter({ hmacAccessor: false }), requestInput, TIME);
    expect(e.auth.accessor).toBe("acc-123");
    expect(e.request.client_token_accessor).toBe("acc-123");
    expect(e.auth.client_token).toBe(hm("hvs.clienttoken"));
  });

  it("writes the error, omits empty fields, and hashes credential headers", () => {
    const e = buildRequestEntry(
      formatter(),
      {
        request: {
          id: "r",
          operation: "read",
          path: "sys/mounts",
          data: {},
          headers: { "x-vault-token": ["tok"], "x-request-source": ["ci"], "x-custom": ["c"] },
          hmacHeaders: ["X-Custom"],
        },
        error: "permission denied",
      },
      TIME,
    );
    expect(e.auth).toEqual({});
    expect(e.error).toBe("permission denied");
    expect(e.request).toEqual({
      id: "r",
      operation: "read",
      namespace: { id: "root" },
      path: "sys/mounts",
      headers: { "x-vault-token": [hm("tok")], "x-request-source": ["ci"], "x-custom": [hm("c")] },
    });
  });

  it("leaves the mount's non-HMAC request keys in clear", () => {
    const e = buildRequestEntry(formatter(), { ...requestInput, nonHmacRequestKeys: ["password"] }, TIME);
    expect((e.request.data?.data as Record<string, unknown>).password).toBe("hunter2");
  });
});

describe("response entry", () => {
  const responseInput: AuditResponseInput = {
    ...requestInput,
    response: {
      auth: { clientToken: "hvs.issued", accessor: "acc-issued", policies: ["default"], numUses: 5, tokenTtlSeconds: 60 },
      secret: { leaseId: "database/creds/ro/abc" },
      data: { username: "v-user", password: "p4ss", ttl: 60 },
      warnings: ["careful"],
      wrapInfo: {
        ttlSeconds: 300,
        token: "hvs.wrap",
        accessor: "wrap-acc",
        creationTimeMs: Date.parse("2024-05-01T10:00:00.000Z"),
        creationPath: "database/creds/ro",
        wrappedAccessor: "wrapped-acc",
      },
    },
  };

  it("hashes issued tokens, data and wrap tokens; keeps the lease id", () => {
    const e = buildResponseEntry(formatter(), responseInput, TIME);
    expect(Object.keys(e)).toEqual(["time", "type", "auth", "request", "response"]);
    expect(e.response).toEqual({
      auth: { client_token: hm("hvs.issued"), accessor: hm("acc-issued"), policies: ["default"], num_uses: 5, token_ttl: 60 },
      mount_point: "secret/",
      mount_type: "kv",
      mount_accessor: "kv_abc",
      secret: { lease_id: "database/creds/ro/abc" },
      data: { username: hm("v-user"), password: hm("p4ss"), ttl: 60 },
      warnings: ["careful"],
      wrap_info: {
        ttl: 300,
        token: hm("hvs.wrap"),
        accessor: hm("wrap-acc"),
        creation_time: "2024-05-01T10:00:00.000Z",
        creation_path: "database/creds/ro",
        wrapped_accessor: hm("wrapped-acc"),
      },
    });
    expect(e.request.client_token).toBe(hm("hvs.clienttoken"));
  });

  it("elides list responses when asked, only for list operations", () => {
    const list: AuditResponseInput = {
      request: { id: "r", operation: "list", path: "secret/metadata/" },
      response: { data: { keys: ["a", "b", "c"], key_info: { a: {}, b: {} } } },
    };
    expect(buildResponseEntry(formatter({ elideListResponses: true }), list, TIME).response.data).toEqual({ keys: 3, key_info: 2 });
    expect(buildResponseEntry(formatter(), list, TIME).response.data).toEqual({
      keys: [hm("a"), hm("b"), hm("c")],
      key_info: { a: {}, b: {} },
    });
    const read = { ...list, request: { ...list.request, operation: "read" } };
    expect(buildResponseEntry(formatter({ elideListResponses: true }), read, TIME).response.data?.keys).toHaveLength(3);
  });
});

describe("line format", () => {
  it("is prefix + one JSON object + newline", () => {
    const line = formatRequestLine(formatter({ prefix: "AUDIT " }), requestInput, TIME);
    expect(line.startsWith("AUDIT {")).toBe(true);
    expect(line.endsWith("}\n")).toBe(true);
    expect(line.slice(0, -1)).not.toContain("\n");
    expect(JSON.parse(line.slice("AUDIT ".length)).type).toBe("request");
  });

  it("writes JSONx members sorted, escaped, on one line", () => {
    const input: AuditRequestInput = {
      request: { id: "r<1>", operation: "read", path: "a/b", data: { note: "x\ny" } },
    };
    const line = formatRequestLine(formatter({ format: "jsonx", logRaw: true }), input, TIME);
    expect(line).toBe(
      '<json:object name="auth"></json:object>' +
        '<json:object name="request"><json:object name="data"><json:string name="note">x&#10;y</json:string></json:object>' +
        '<json:string name="id">r&lt;1&gt;</json:string><json:object name="namespace"><json:string name="id">root</json:string></json:object>' +
        '<json:string name="operation">read</json:string><json:string name="path">a/b</json:string></json:object>' +
        `<json:string name="time">${TIME}</json:string><json:string name="type">request</json:string>\n`,
    );
  });
});

describe("IsoTimeMemo", () => {
  it("formats each value correctly however calls alternate", () => {
    const memo = new IsoTimeMemo();
    const a = Date.parse("2024-05-01T10:00:00.123Z");
    const b = Date.parse("2023-01-02T03:04:05.000Z");
    expect(memo.format(a)).toBe("2024-05-01T10:00:00.123Z");
    expect(memo.format(a, false)).toBe("2024-05-01T10:00:00Z");
    expect(memo.format(b)).toBe("2023-01-02T03:04:05.000Z");
    expect(memo.format(a)).toBe("2024-05-01T10:00:00.123Z");
    expect(memo.format(0)).toBeUndefined();
  });
});

describe("options", () => {
  it("parses Go booleans and defaults", () => {
    expect(parseFormatOptions({})).toEqual({ logRaw: false, hmacAccessor: true, elideListResponses: false, format: "json", prefix: "" });
    for (const t of ["true", "1", "t", "T", "TRUE", "True"]) expect(parseFormatOptions({ log_raw: t }).logRaw).toBe(true);
    for (const f of ["false", "0", "f", "F", "FALSE", "False"]) expect(parseFormatOptions({ hmac_accessor: f }).hmacAccessor).toBe(false);
    expect(() => parseFormatOptions({ log_raw: "yes" })).toThrow(/log_raw/);
    expect(() => parseFormatOptions({ format: "xml" })).toThrow(/format/);
  });
});

describe("lines spliced from rendered parts", () => {
  it("equal the whole entries serialised, for both lines of a request, with errors and a prefix", () => {
    const f = formatter({ prefix: "P " });
    const response: AuditResponseInput = {
      ...requestInput,
      response: { data: { value: "s3cret", n: 1 }, secret: { leaseId: "db/creds/x/1" }, warnings: ["w"] },
      error: "boom",
    };
    expect(formatRequestLine(f, requestInput, TIME)).toBe("P " + JSON.stringify(buildRequestEntry(f, requestInput, TIME)) + "\n");
    expect(formatResponseLine(f, response, TIME)).toBe("P " + JSON.stringify(buildResponseEntry(f, response, TIME)) + "\n");
  });

  it("does not reuse a request's parts once its auth changed", () => {
    const f = formatter();
    const first = formatRequestLine(f, requestInput, TIME);
    const changed = { ...requestInput, auth: { ...requestInput.auth, displayName: "token-bob" } };
    const second = formatRequestLine(f, changed, TIME);
    expect(first).toContain("token-alice");
    expect(second).toContain("token-bob");
  });

  it("renders per device, and formats a frozen request without remembering it", () => {
    const a = formatter({ prefix: "A " });
    const b = formatter({ prefix: "B ", hmacAccessor: false });
    const request = { ...requestInput.request };
    const input: AuditResponseInput = { ...requestInput, request };
    // Two devices on one request: each line is its own device's rendering.
    expect(formatRequestLine(a, input, TIME)).toBe("A " + JSON.stringify(buildRequestEntry(a, input, TIME)) + "\n");
    expect(formatRequestLine(b, input, TIME)).toBe("B " + JSON.stringify(buildRequestEntry(b, input, TIME)) + "\n");
    expect(formatResponseLine(a, input, TIME)).toBe("A " + JSON.stringify(buildResponseEntry(a, input, TIME)) + "\n");
    const frozen: AuditResponseInput = { ...requestInput, request: Object.freeze({ ...requestInput.request }) };
    expect(formatResponseLine(a, frozen, TIME)).toBe("A " + JSON.stringify(buildResponseEntry(a, frozen, TIME)) + "\n");
  });

  it("a caller's data-less requests share a request template: each line still equals its whole entry", () => {
    const f = formatter({ prefix: "P " });
    const read = (id: string, port: number, over: Partial<AuditRequestInput["request"]> = {}): AuditResponseInput => ({
      ...requestInput,
      request: { ...requestInput.request, operation: "read", data: {}, id, remotePort: port, ...over },
      response: { data: { value: "s3cret" } },
    });
    const cases = [
      read("req-a", 40001),
      read("req-b", 40002), // same caller and path: from the template
      read("req-c", 40003, { path: "secret/data/other" }),
      read("req-d", 40004, { clientToken: "hvs.someoneelse", clientTokenAccessor: "acc-9" }),
      read("req-e", 40005, { policyOverride: true, clientId: "client-1" }),
      read("req-f", 40006, { remoteAddress: "10.1.2.3" }),
      read("req-g", 0), // no port: not templated
      read("req-h", 40008, { wrapTtlSeconds: 60 }),
      read("req-i", 40009, { data: { list: "true" } }),
      read("req-j", 40010), // the first caller again
      ...Array.from({ length: 12 }, (_, i) => read(`req-k${i}`, 41000 + i, { path: `secret/data/p${i}` })), // past the kept templates
      read("req-l", 40011),
    ];
    for (const input of cases) {
      expect(formatRequestLine(f, input, TIME)).toBe("P " + JSON.stringify(buildRequestEntry(f, input, TIME)) + "\n");
      expect(formatResponseLine(f, input, TIME)).toBe("P " + JSON.stringify(buildResponseEntry(f, input, TIME)) + "\n");
    }
  });
});
