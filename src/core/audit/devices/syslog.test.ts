// The syslog device against a stand-in daemon: a Unix stream socket of the test's own
// (`logger` falls back to a stream socket where no datagram socket listens), which keeps
// every message it receives.
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { InmemStorage } from "../../../storage/inmem.js";
import { AuditManager } from "../manager.js";
import { SyslogSink } from "./syslog.js";

interface Daemon {
  socketPath: string;
  received(): string;
  stop(): Promise<void>;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function daemon(): Promise<Daemon> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mayfly-syslog-"));
  const socketPath = path.join(dir, "log");
  let text = "";
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("data", (d) => (text += d.toString("utf8")));
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  const stop = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  };
  cleanups.push(stop);
  return { socketPath, received: () => text, stop };
}

async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("SyslogSink", () => {
  it("sends each line as one message at the facility's info priority, with the tag", async () => {
    const d = await daemon();
    const sink = new SyslogSink({ facility: "local0", tag: "mayfly-test", socketPath: d.socketPath });
    cleanups.push(() => sink.close());
    sink.open();
    await sink.probe();
    await sink.writeLine('{"type":"request","n":1}\n');
    await sink.writeLine('{"type":"response","n":2}\n');
    // An entry longer than logger's default 1 KiB message stays one message.
    const long = `{"data":"${"x".repeat(3000)}"}`;
    await sink.writeLine(`${long}\n`);
    await eventually(() => d.received().split("\n").filter((l) => l !== "").length === 3);
    const lines = d.received().trim().split("\n");
    // local0 is facility 16: 16 * 8 + 6 (info) = 134.
    expect(lines[0]).toMatch(/^<134>.* mayfly-test(\[\d+\])?: \{"type":"request","n":1\}$/);
    expect(lines[1]).toMatch(/^<134>.* mayfly-test(\[\d+\])?: \{"type":"response","n":2\}$/);
    expect(lines[2]?.endsWith(`: ${long}`)).toBe(true);
  });

  it("is refused when no syslog socket exists, and fails writes once its daemon is gone", async () => {
    const missing = new SyslogSink({ facility: "auth", tag: "vault", socketPath: path.join(os.tmpdir(), "mayfly-no-such-socket") });
    await expect(missing.probe()).rejects.toThrow(/Unix syslog delivery error/);
    missing.open();
    await expect(missing.writeLine("x\n")).rejects.toThrow(/no syslog socket/);

    const d = await daemon();
    // Without logger to hand the entries to, the device is refused too.
    const path0 = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      const noLogger = new SyslogSink({ facility: "auth", tag: "vault", socketPath: d.socketPath });
      await expect(noLogger.probe()).rejects.toThrow(/cannot start logger/);
      noLogger.close();
    } finally {
      process.env.PATH = path0;
    }
    const sink = new SyslogSink({ facility: "auth", tag: "vault", socketPath: d.socketPath });
    cleanups.push(() => sink.close());
    sink.open();
    await sink.probe();
    await sink.writeLine("before\n");
    await eventually(() => d.received().includes("before"));
    await d.stop();
    // The daemon is gone: `logger` ends on its next send, and entries fail from then on.
    let failed = false;
    const until = Date.now() + 5000;
    while (!failed && Date.now() < until) {
      failed = await sink.writeLine("after\n").then(
        () => false,
        () => true,
      );
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(failed).toBe(true);
  });
});

describe("AuditManager with a syslog device", () => {
  it("records HMAC'd entries through syslog, and refuses the device without a daemon", async () => {
    const d = await daemon();
    const m = new AuditManager({ storage: new InmemStorage() });
    await m.load();
    cleanups.push(() => m.close());
    const before = process.env.MAYFLY_SYSLOG_SOCKET;
    cleanups.push(() => {
      if (before === undefined) delete process.env.MAYFLY_SYSLOG_SOCKET;
      else process.env.MAYFLY_SYSLOG_SOCKET = before;
    });

    process.env.MAYFLY_SYSLOG_SOCKET = path.join(os.tmpdir(), "mayfly-no-such-socket");
    await expect(m.enable("syslog", { type: "syslog", options: {} })).rejects.toThrow(/audit backend failed test: Unix syslog delivery error/);
    expect(m.list()).toEqual({});

    process.env.MAYFLY_SYSLOG_SOCKET = d.socketPath;
    await m.enable("syslog", { type: "syslog", options: { tag: "vault-audit", facility: "AUTH" } });
    expect(m.list()["syslog/"]).toMatchObject({ type: "syslog", options: { tag: "vault-audit", facility: "AUTH" } });
    const request = {
      auth: { clientToken: "s.secret-token", policies: ["default"] },
      request: { id: "r-1", operation: "read", path: "secret/data/x", clientToken: "s.secret-token", remoteAddress: "127.0.0.1" },
    };
    await m.logRequest(request);
    await m.logResponse({ ...request, response: { data: { password: "syslog-secret-value" } } });
    await eventually(() => d.received().split("\n").filter((l) => l !== "").length === 2);
    const text = d.received();
    // auth is facility 4: 4 * 8 + 6 = 38.
    expect(text).toMatch(/^<38>.* vault-audit(\[\d+\])?: \{"time":/);
    expect(text).not.toContain("syslog-secret-value");
    expect(text).not.toContain("s.secret-token");
    expect(text).toContain(m.hash("syslog/", "syslog-secret-value"));
  });
});
