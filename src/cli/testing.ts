/**
 * Test support for the CLI's unit tests: an in-memory CliIo and a stub Vault server that
 * records every request and answers with canned Vault-shaped JSON.
 */
import http from "node:http";
import { Readable } from "node:stream";
import type { AddressInfo } from "node:net";
import type { CliIo, InStream } from "./io.js";
import { runCli } from "./cli.js";

export interface RecordedRequest {
  method: string;
  /** The path after /v1/, decoded. */
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  /** The JSON body, or undefined when there was none. */
  body: unknown;
}

export interface StubReply {
  status?: number;
  /** An object is sent as JSON; a string as it is. */
  body?: unknown;
}

type Handler = StubReply | ((req: RecordedRequest) => StubReply);

export class StubServer {
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, Handler>();
  private readonly matchers: ((req: RecordedRequest) => StubReply | undefined)[] = [];
  private server: http.Server | undefined;
  address = "";

  /** Answers `METHOD path` (path after /v1/, no query). Later registrations win. */
  on(method: string, path: string, handler: Handler): this {
    this.routes.set(`${method} ${path}`, handler);
    return this;
  }

  /** Answers any request the exact routes miss, when `match` returns a reply. */
  onMatch(match: (req: RecordedRequest) => StubReply | undefined): this {
    this.matchers.push(match);
    return this;
  }

  private answer(req: RecordedRequest): StubReply {
    const handler = this.routes.get(`${req.method} ${req.path}`);
    if (handler !== undefined) return typeof handler === "function" ? handler(req) : handler;
    for (const match of this.matchers) {
      const reply = match(req);
      if (reply !== undefined) return reply;
    }
    return { status: 404, body: { errors: [] } };
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://stub");
        const rawBody = Buffer.concat(chunks).toString("utf8");
        let body: unknown;
        try {
          body = rawBody === "" ? undefined : JSON.parse(rawBody);
        } catch {
          body = rawBody;
        }
        const recorded: RecordedRequest = {
          method: req.method ?? "",
          path: decodeURIComponent(url.pathname.replace(/^\/v1\//, "")),
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          rawBody,
          body,
        };
        this.requests.push(recorded);
        const reply = this.answer(recorded);
        const status = reply.status ?? (reply.body === undefined ? 204 : 200);
        const text = reply.body === undefined ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
        res.writeHead(status, text === "" ? {} : { "Content-Type": "application/json" });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    const port = (this.server.address() as AddressInfo).port;
    this.address = `http://127.0.0.1:${port}`;
    return this.address;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The last request, failing loudly when there is none. */
  last(): RecordedRequest {
    const r = this.requests[this.requests.length - 1];
    if (!r) throw new Error("no request recorded");
    return r;
  }
}

export interface MemoryIoOptions {
  env?: Record<string, string | undefined>;
  stdin?: string;
  stdinTty?: boolean;
  stdoutTty?: boolean;
  homeDir?: string;
}

export interface MemoryIo {
  io: CliIo;
  stdout(): string;
  stderr(): string;
}

export function memoryIo(opts: MemoryIoOptions = {}): MemoryIo {
  let out = "";
  let err = "";
  const stdin = Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]) as unknown as InStream;
  if (opts.stdinTty) stdin.isTTY = true;
  return {
    io: {
      stdout: { write: (s: string) => (out += s), isTTY: opts.stdoutTty === true },
      stderr: { write: (s: string) => (err += s) },
      stdin,
      env: opts.env ?? {},
      homeDir: opts.homeDir ?? "/nonexistent-mayfly-home",
    },
    stdout: () => out,
    stderr: () => err,
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI against `address` with a token in the environment unless one is given, and
 * without retries unless asked for (a stub's 5xx would otherwise be sent three times).
 */
export async function run(argv: string[], address: string, opts: MemoryIoOptions = {}): Promise<RunResult> {
  const mem = memoryIo({ ...opts, env: { MAYFLY_ADDR: address, MAYFLY_TOKEN: "test-token", VAULT_MAX_RETRIES: "0", ...(opts.env ?? {}) } });
  const code = await runCli(argv, mem.io);
  return { code, stdout: mem.stdout(), stderr: mem.stderr() };
}
