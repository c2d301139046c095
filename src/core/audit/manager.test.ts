import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isMayflyError } from "../../framework/errors.js";
import { InmemStorage } from "../../storage/inmem.js";
import type { Storage } from "../../storage/storage.js";
import { AUDIT_SALT_PREFIX, AUDIT_TABLE_KEY, AuditLogFailedError, AuditManager } from "./manager.js";
import type { AuditLogger, AuditRequestInput, AuditResponseInput } from "./types.js";

let dir: string;
let storage: Storage;
const managers: AuditManager[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mayfly-audit-"));
  storage = new InmemStorage();
});
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function loaded(opts: { logger?: AuditLogger; storage?: Storage } = {}): Promise<AuditManager> {
  const m = new AuditManager({ storage: opts.storage ?? storage, logger: opts.logger, nowMs: () => Date.parse("2024-05-01T10:00:00.000Z") });
  managers.push(m);
  await m.load();
  return m;
}

function recordingLogger(): AuditLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    warn: (f, m) => lines.push(`warn ${m} ${JSON.stringify(f)}`),
    error: (f, m) => lines.push(`error ${m} ${JSON.stringify(f)}`),
  };
}

const SECRETS = {
  clientToken: "hvs.CLIENTTOKEN0000000000000",
  accessor: "ACCESSOR000000000000000000",
  password: "PASSWORD-super-secret-1",
  issuedToken: "hvs.ISSUEDTOKEN000000000000",
  issuedAccessor: "ISSUEDACCESSOR000000000000",
  dbPassword: "DBPASSWORD-A1b2C3d4",
  wrapToken: "hvs.WRAPTOKEN0000000000000",
};

const req: AuditRequestInput = {
  auth: { clientToken: SECRETS.clientToken, accessor: SECRETS.accessor, policies: ["root"], displayName: "root" },
  request: {
    id: "11111111-2222-3333-4444-555555555555",
    operation: "update",
    mountPoint: "secret/",
    mountType: "kv",
    clientToken: SECRETS.clientToken,
    clientTokenAccessor: SECRETS.accessor,
    path: "secret/data/app",
    data: { data: { password: SECRETS.password, port: 5432 } },
    remoteAddress: "127.0.0.1",
  },
};

const resp: AuditResponseInput = {
  ...req,
  response: {
    auth: { clientToken: SECRETS.issuedToken, accessor: SECRETS.issuedAccessor, policies: ["default"] },
    secret: { leaseId: "database/creds/ro/LEASE1" },
    data: { username: "v-root-ro", password: SECRETS.dbPassword },
    wrapInfo: {
      ttlSeconds: 60,
      token: SECRETS.wrapToken,
      accessor: "wrapacc",
      creationTimeMs: Date.parse("2024-05-01T10:00:00.000Z"),
      creationPath: "x",
    },
  },
};

const linesOf = (p: string): string[] => fs.readFileSync(p, "utf8").split("\n").filter((l) => l !== "");

async function expectBadRequest(p: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isMayflyError(err) && err.status).toBe(400);
  expect((err as Error).message).toMatch(message);
}

describe("AuditManager table", () => {
  it("enables, lists and disables devices, persisted across managers", async () => {
    const a = path.join(dir, "a.log");
    const m1 = await loaded();
    await m1.enable("file", { type: "file", description: "main log", options: { file_path: a } });
    await m1.enable("/second/", { type: "file", local: true, options: { file_path: "discard", log_raw: "true" } });
    const expected = {
      "file/": { type: "file", description: "main log", options: { file_path: a }, local: false, path: "file/" },
      "second/": {
        type: "file",
        description: "",
        options: { file_path: "discard", log_raw: "true" },
        local: true,
        path: "second/",
      },
    };
    expect(m1.list()).toEqual(expected);
    const hashed = m1.hash("file", "some-input");
    await m1.close();

    const m2 = await loaded();
    expect(m2.list()).toEqual(expected);
    // Same salt after a restart: sys/audit-hash answers stay valid.
    expect(m2.hash("file/", "some-input")).toBe(hashed);
    expect(await m2.disable("second")).toBe(true);
    expect(await m2.disable("second/")).toBe(false);
    expect(Object.keys(m2.list())).toEqual(["file/"]);
    expect(await storage.list(AUDIT_SALT_PREFIX)).toEqual(["file"]);
    await m2.close();

    const m3 = await loaded();
    expect(Object.keys(m3.list())).toEqual(["file/"]);
  });

  it("refuses a path in use, including one nested in or around an existing path", async () => {
    const m = await loaded();
    await m.enable("file/", { type: "file", options: { file_path: "discard" } });
    await expectBadRequest(m.enable("file", { type: "file", options: { file_path: "discard" } }), /path already in use/);
    await expectBadRequest(m.enable("file/x", { type: "file", options: { file_path: "discard" } }), /path already in use/);
    await m.enable("other/", { type: "file", options: { file_path: "discard" } });
    await expectBadRequest(m.enable("", { type: "file", options: { file_path: "discard" } }), /empty/);
  });

  it("refuses concurrent enables of one path but one", async () => {
    const m = await loaded();
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => m.enable("race/", { type: "file", options: { file_path: "discard" } })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it("refuses unknown types and bad options", async () => {
    const m = await loaded();
    await expectBadRequest(m.enable("s", { type: "elsewhere", options: {} }), /unknown audit backend type: elsewhere/);
    await expectBadRequest(m.enable("s", { type: "syslog", options: { facility: "NOWHERE" } }), /invalid syslog facility/);
    await expectBadRequest(m.enable("f", { type: "file", options: {} }), /file_path/);
    await expectBadRequest(m.enable("f", { type: "file", options: { file_path: "discard", mode: "rw" } }), /mode/);
    await expectBadRequest(m.enable("f", { type: "file", options: { file_path: "discard", hmac_accessor: "maybe" } }), /hmac_accessor/);
    expect(m.list()).toEqual({});
  });

  it("refuses an unwritable path with 400 and stores nothing", async () => {
    const blocker = path.join(dir, "blocker");
    fs.writeFileSync(blocker, "");
    const m = await loaded();
    await expectBadRequest(
      m.enable("file", { type: "file", options: { file_path: path.join(blocker, "audit.log") } }),
      /failed to open audit file/,
    );
    expect(m.list()).toEqual({});
    expect(await storage.get(AUDIT_TABLE_KEY)).toBeUndefined();
    expect(await storage.list(AUDIT_SALT_PREFIX)).toEqual([]);
  });

  it("answers audit-hash only for known devices", async () => {
    const m = await loaded();
    expect(() => m.hash("nope", "x")).toThrow(/unknown audit backend/);
  });

  it("refuses to change the table before load", async () => {
    const m = new AuditManager({ storage });
    await expect(m.enable("f", { type: "file", options: { file_path: "discard" } })).rejects.toThrow(/not loaded/);
  });
});

describe("AuditManager logging", () => {
  it("does nothing without devices", async () => {
    const m = await loaded();
    await m.logRequest(req);
    await m.logResponse(resp);
    expect(m.enabled).toBe(false);
  });

  it("writes one JSON line per request and per response with nothing secret in clear", async () => {
    const p = path.join(dir, "audit.log");
    const m = await loaded();
    await m.enable("file", { type: "file", options: { file_path: p } });
    await m.logRequest(req);
    await m.logResponse(resp);

    const raw = fs.readFileSync(p, "utf8");
    for (const [name, secret] of Object.entries(SECRETS)) {
      expect(raw.includes(secret), `${name} appears in clear`).toBe(false);
    }
    const [first, second, ...rest] = linesOf(p).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rest).toEqual([]);
    expect(first).toMatchObject({
      time: "2024-05-01T10:00:00.000Z",
      type: "request",
      auth: { client_token: m.hash("file", SECRETS.clientToken), accessor: m.hash("file", SECRETS.accessor), policies: ["root"] },
      request: {
        id: req.request.id,
        operation: "update",
        path: "secret/data/app",
        namespace: { id: "root" },
        client_token: m.hash("file", SECRETS.clientToken),
        data: { data: { password: m.hash("file", SECRETS.password), port: 5432 } },
      },
    });
    expect(second).toMatchObject({
      type: "response",
      request: { path: "secret/data/app" },
      response: {
        mount_point: "secret/",
        auth: { client_token: m.hash("file", SECRETS.issuedToken), accessor: m.hash("file", SECRETS.issuedAccessor) },
        secret: { lease_id: "database/creds/ro/LEASE1" },
        data: { username: m.hash("file", "v-root-ro"), password: m.hash("file", SECRETS.dbPassword) },
        wrap_info: { token: m.hash("file", SECRETS.wrapToken) },
      },
    });
  });

  it("log_raw keeps secrets in clear; hmac_accessor=false keeps accessors only", async () => {
    const rawLog = path.join(dir, "raw.log");
    const accLog = path.join(dir, "acc.log");
    const m = await loaded();
    await m.enable("raw", { type: "file", options: { file_path: rawLog, log_raw: "t" } });
    await m.enable("acc", { type: "file", options: { file_path: accLog, hmac_accessor: "false" } });
    await m.logRequest(req);
    await m.logResponse(resp);

    const raw = fs.readFileSync(rawLog, "utf8");
    for (const secret of Object.values(SECRETS)) expect(raw).toContain(secret);

    const acc = fs.readFileSync(accLog, "utf8");
    expect(acc).toContain(SECRETS.accessor);
    expect(acc).toContain(SECRETS.issuedAccessor);
    for (const secret of [SECRETS.clientToken, SECRETS.password, SECRETS.issuedToken, SECRETS.dbPassword, SECRETS.wrapToken]) {
      expect(acc).not.toContain(secret);
    }
  });

  it("gives each device its own salt", async () => {
    const m = await loaded();
    await m.enable("a", { type: "file", options: { file_path: "discard" } });
    await m.enable("b", { type: "file", options: { file_path: "discard" } });
    expect(m.hash("a", "x")).not.toBe(m.hash("b", "x"));
  });

  it("writes the prefix before each line", async () => {
    const p = path.join(dir, "audit.log");
    const m = await loaded();
    await m.enable("file", { type: "file", options: { file_path: p, prefix: "@cee: " } });
    await m.logRequest(req);
    const [line] = linesOf(p);
    expect(line?.startsWith('@cee: {"time"')).toBe(true);
  });

  it("refuses the request when the only device fails, and logs it once", async () => {
    const log = recordingLogger();
    const m = await loaded({ logger: log });
    await m.enable("full", { type: "file", options: { file_path: "/dev/full", mode: "0000" } });
    for (let i = 0; i < 3; i++) {
      const err = await m.logRequest(req).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AuditLogFailedError);
      expect(isMayflyError(err) && err.status).toBe(500);
      expect((err as Error).message).toBe("audit log failure");
    }
    await expect(m.logResponse(resp)).rejects.toBeInstanceOf(AuditLogFailedError);
    expect(log.lines.filter((l) => l.startsWith("error audit device failed"))).toHaveLength(1);
    expect(log.lines.join("\n")).toMatch(/ENOSPC/);
    // Nothing secret reaches the server log either.
    for (const secret of Object.values(SECRETS)) expect(log.lines.join("\n")).not.toContain(secret);
  });

  it("serves the request when one of two devices fails", async () => {
    const p = path.join(dir, "good.log");
    const log = recordingLogger();
    const m = await loaded({ logger: log });
    await m.enable("full", { type: "file", options: { file_path: "/dev/full", mode: "0000" } });
    await m.enable("good", { type: "file", options: { file_path: p } });
    await m.logRequest(req);
    expect(linesOf(p)).toHaveLength(1);
    expect(log.lines.some((l) => l.includes('"path":"full/"'))).toBe(true);
  });

  it("refuses requests when the log directory becomes unusable, and recovers", async () => {
    const logDir = path.join(dir, "logs");
    const p = path.join(logDir, "audit.log");
    const m = new AuditManager({ storage, filePathCheckIntervalMs: 0 });
    managers.push(m);
    await m.load();
    await m.enable("file", { type: "file", options: { file_path: p } });
    await m.logRequest(req);
    fs.rmSync(logDir, { recursive: true });
    fs.writeFileSync(logDir, "");
    await expect(m.logRequest(req)).rejects.toBeInstanceOf(AuditLogFailedError);
    fs.rmSync(logDir);
    await m.logRequest(req);
    expect(linesOf(p)).toHaveLength(1);
  });

  it("keeps a device that cannot open at load registered, failing closed until it can", async () => {
    const logDir = path.join(dir, "logs");
    const p = path.join(logDir, "audit.log");
    const m1 = await loaded();
    await m1.enable("file", { type: "file", options: { file_path: p } });
    await m1.close();
    fs.rmSync(logDir, { recursive: true });
    fs.writeFileSync(logDir, "");

    const log = recordingLogger();
    const m2 = await loaded({ logger: log });
    expect(Object.keys(m2.list())).toEqual(["file/"]);
    expect(log.lines.some((l) => l.startsWith("error audit device failed to open"))).toBe(true);
    await expect(m2.logRequest(req)).rejects.toBeInstanceOf(AuditLogFailedError);
    fs.rmSync(logDir);
    await m2.logRequest(req);
    expect(linesOf(p)).toHaveLength(1);
  });

  it("reopen() (SIGHUP) sends new lines to a new file at the original path", async () => {
    const p = path.join(dir, "audit.log");
    const m = await loaded();
    await m.enable("file", { type: "file", options: { file_path: p } });
    await m.logRequest(req);
    fs.renameSync(p, p + ".1");
    m.reopen();
    await m.logResponse(resp);
    expect(linesOf(p + ".1").map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(["request"]);
    expect(linesOf(p).map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(["response"]);
  });

  it("stops writing to a disabled device", async () => {
    const p = path.join(dir, "audit.log");
    const m = await loaded();
    await m.enable("file", { type: "file", options: { file_path: p } });
    await m.logRequest(req);
    await m.disable("file");
    await m.logRequest(req);
    expect(linesOf(p)).toHaveLength(1);
  });

  it("writes whole lines under concurrent logging, also from two devices on one file", async () => {
    const p = path.join(dir, "audit.log");
    const m = await loaded();
    await m.enable("one", { type: "file", options: { file_path: p } });
    await m.enable("two", { type: "file", options: { file_path: p, log_raw: "true" } });
    const big = "x".repeat(10_000); // larger than PIPE_BUF and a page
    const calls: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      const input: AuditResponseInput = { ...resp, request: { ...resp.request, id: `id-${i}`, data: { big, i } } };
      calls.push(i % 2 === 0 ? m.logRequest(input) : m.logResponse(input));
    }
    await Promise.all(calls);
    const lines = linesOf(p);
    expect(lines).toHaveLength(400);
    const ids = new Set<string>();
    for (const l of lines) {
      const e = JSON.parse(l) as { request: { id: string; data: { i: number } } };
      ids.add(e.request.id);
      expect(e.request.id).toBe(`id-${e.request.data.i}`);
    }
    expect(ids.size).toBe(200);
  });
});
