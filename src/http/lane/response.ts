import { STATUS_CODES } from "node:http";

/**
 * The part of http.ServerResponse the HTTP handler uses, so one handler serves both
 * node:http and the lane. Headers are given as node's flat [name, value, ...] list.
 */
export interface ResponseLike {
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  readonly writableLength: number;
  writeHead(status: number, headers: readonly string[]): unknown;
  flushHeaders(): void;
  write(chunk: string | Buffer): unknown;
  end(body?: string | Buffer): unknown;
  destroy(): unknown;
  on(event: "close", listener: () => void): unknown;
}

/** What a LaneResponse needs from its connection. */
export interface ResponseOutput {
  /** Writes bytes to the client; false once the client is gone. */
  write(data: string | Buffer): void;
  pendingBytes(): number;
  gone(): boolean;
  /** The response is complete; `close` asks the connection to end after it. */
  finished(close: boolean): void;
  destroy(): void;
  onGone(listener: () => void): void;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// node:http's rule: any control character but horizontal tab.
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const HIGH_BYTES = /[\x80-\xff]/;

let dateSecond = 0;
let dateText = "";

/** The Date header's value, remade once a second as node:http does. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

/**
 * One response on a lane connection, written with the same headers node:http would add
 * (Date, Connection, Keep-Alive): a whole response as one write, a stream (no length
 * known) in chunked encoding.
 */
export class LaneResponse implements ResponseLike {
  headersSent = false;
  writableEnded = false;
  private status = 200;
  private headerText = "";
  /** The handler gave its own Content-Length. */
  private lengthGiven = false;
  /** Header values with bytes 0x80-0xff go out as latin1, as node:http writes them. */
  private latin1Head = false;
  private chunked = false;

  constructor(
    private readonly out: ResponseOutput,
    /** Whether the connection must close after this response (the client asked, or its body was left unread). */
    private readonly mustClose: () => boolean,
    private readonly keepAliveSeconds: number,
  ) {}

  get destroyed(): boolean {
    return this.out.gone();
  }

  get writableLength(): number {
    return this.out.pendingBytes();
  }

  writeHead(status: number, headers: readonly string[]): this {
    if (this.headersSent) throw new Error("headers already sent");
    this.status = status;
    let text = "";
    this.lengthGiven = false;
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const name = headers[i] as string;
      const value = headers[i + 1] as string;
      // As node:http refuses them: a line break in a header would let a value start new headers.
      if (!HEADER_NAME.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
      if (INVALID_VALUE.test(value)) throw new TypeError(`invalid character in header ${JSON.stringify(name)}`);
      text += `${name}: ${value}\r\n`;
      if (name.length === 14 && name.toLowerCase() === "content-length") this.lengthGiven = true;
    }
    this.headerText = text;
    this.latin1Head = HIGH_BYTES.test(text);
    return this;
  }

  flushHeaders(): void {
    if (this.headersSent) return;
    // A response whose length is unknown when its head goes out is sent in chunks.
    this.chunked = true;
    const head = this.head("Transfer-Encoding: chunked\r\n");
    this.out.write(this.latin1Head ? Buffer.from(head, "latin1") : head);
    this.headersSent = true;
  }

  write(chunk: string | Buffer): boolean {
    if (this.writableEnded) return false;
    if (!this.headersSent) this.flushHeaders();
    const size = typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
    if (size === 0) return true;
    if (this.chunked) {
      this.out.write(`${size.toString(16)}\r\n`);
      this.out.write(chunk);
      this.out.write("\r\n");
    } else {
      this.out.write(chunk);
    }
    return true;
  }

  end(body?: string | Buffer): this {
    if (this.writableEnded) return this;
    this.writableEnded = true;
    const close = this.mustClose();
    if (!this.headersSent) {
      this.headersSent = true;
      // Bodyless statuses carry no length, as node:http sends them.
      const bodyless = this.status === 204 || this.status === 304 || (this.status >= 100 && this.status < 200);
      const length = body === undefined ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.length;
      const lengthLine = bodyless || this.lengthGiven ? "" : `Content-Length: ${length}\r\n`;
      const head = this.head(lengthLine, close);
      if (this.latin1Head) {
        const parts: Buffer[] = [Buffer.from(head, "latin1")];
        if (body !== undefined && !bodyless) parts.push(typeof body === "string" ? Buffer.from(body, "utf8") : body);
        this.out.write(Buffer.concat(parts));
      } else if (body === undefined || bodyless) this.out.write(head);
      else if (typeof body === "string") this.out.write(head + body);
      else this.out.write(Buffer.concat([Buffer.from(head, "latin1"), body]));
    } else {
      if (body !== undefined) this.write(body);
      if (this.chunked) this.out.write("0\r\n\r\n");
    }
    this.out.finished(close);
    return this;
  }

  destroy(): this {
    this.out.destroy();
    return this;
  }

  on(event: "close", listener: () => void): this {
    if (event === "close") this.out.onGone(listener);
    return this;
  }

  private head(extra: string, close = this.mustClose()): string {
    const connection = close ? "Connection: close\r\n" : `Connection: keep-alive\r\nKeep-Alive: timeout=${this.keepAliveSeconds}\r\n`;
    return `HTTP/1.1 ${this.status} ${STATUS_CODES[this.status] ?? "unknown"}\r\n${this.headerText}${extra}Date: ${httpDate()}\r\n${connection}\r\n`;
  }
}
