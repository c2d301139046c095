/**
 * The CLI's view of its process: streams, environment, home directory. Commands take
 * this instead of touching `process` so tests can run them in-process.
 */

export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface InStream extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  stdin: InStream;
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
}

/** Vault's cli.Ui: Output/Info to stdout, Error/Warn to stderr, each a line. */
export class Ui {
  constructor(private readonly io: CliIo) {}
  output(text: string): void {
    this.io.stdout.write(text + "\n");
  }
  info(text: string): void {
    this.io.stdout.write(text + "\n");
  }
  error(text: string): void {
    this.io.stderr.write(text + "\n");
  }
  warn(text: string): void {
    this.io.stderr.write(text + "\n");
  }
  /** Writes without a newline (a raw field piped to another program). */
  raw(text: string): void {
    this.io.stdout.write(text);
  }
  get stdoutIsTty(): boolean {
    return this.io.stdout.isTTY === true;
  }
}

/** Reads stdin to its end. */
export async function readAll(stdin: InStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) {
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Reads one line (without its newline) and stops reading. */
export function readLine(stdin: InStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const finish = (line: string) => {
      stdin.removeListener("data", onData);
      stdin.removeListener("end", onEnd);
      stdin.removeListener("error", onError);
      stdin.pause();
      resolve(line.replace(/\r$/, ""));
    };
    const onData = (chunk: string | Buffer) => {
      buffered += typeof chunk === "string" ? chunk : chunk.toString("utf8");
      const nl = buffered.indexOf("\n");
      if (nl >= 0) finish(buffered.slice(0, nl));
    };
    const onEnd = () => finish(buffered);
    const onError = (err: Error) => reject(err);
    stdin.on("data", onData);
    stdin.on("end", onEnd);
    stdin.on("error", onError);
    stdin.resume();
  });
}

/**
 * Asks for a secret: on a terminal the prompt is shown and typing is not echoed (Vault's
 * password.Read); otherwise one line is read from stdin, so `echo $KEY | mayfly ...` works.
 */
export async function promptSecret(io: CliIo, prompt: string): Promise<string> {
  const stdin = io.stdin;
  if (stdin.isTTY !== true || typeof stdin.setRawMode !== "function") return readLine(stdin);
  io.stdout.write(prompt);
  const setRaw = stdin.setRawMode.bind(stdin);
  setRaw(true);
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = "";
      const done = (err?: Error) => {
        stdin.removeListener("data", onData);
        stdin.pause();
        io.stdout.write("\n");
        if (err) reject(err);
        else resolve(value);
      };
      const onData = (chunk: string | Buffer) => {
        for (const ch of typeof chunk === "string" ? chunk : chunk.toString("utf8")) {
          if (ch === "\r" || ch === "\n" || ch === "\u0004") return done();
          if (ch === "\u0003") return done(new Error("interrupted"));
          if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on("data", onData);
      stdin.resume();
    });
  } finally {
    setRaw(false);
  }
}
