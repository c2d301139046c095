/**
 * What every command gets: its positional arguments and flags, the UI, the output
 * settings and a lazily built API client. Commands return exit codes as Vault's do:
 * 0 success, 1 a local problem (usage, unreadable file), 2 an answer from the server.
 */
import { renderFlagHelp, type FlagSpec, type ParsedFlags } from "./flags.js";
import { ApiError, TransportError, VaultClient, type ClientConfig } from "./http-client.js";
import { Ui, promptSecret, type CliIo } from "./io.js";
import { TokenHelper } from "./token-helper.js";
import { parseDurationSeconds } from "./duration.js";
import { outputData, outputList, outputSecret, printRawField, type OutputContext } from "./output.js";
import type { Secret } from "./secret.js";

export interface Command {
  /** Words after `mayfly`: "kv metadata get". */
  readonly path: string;
  readonly synopsis: string;
  /** Help text shown before the flags: usage line, description, examples. */
  readonly help: string;
  readonly flags?: readonly FlagSpec[];
  /** Commands that never talk to a server skip the HTTP and output flags. */
  readonly local?: boolean;
  run(ctx: Ctx): Promise<number>;
}

export const defaultAddress = "https://127.0.0.1:8200";

export const httpFlags: readonly FlagSpec[] = [
  {
    name: "address",
    kind: "string",
    default: defaultAddress,
    env: ["MAYFLY_ADDR", "VAULT_ADDR"],
    usage: `Address of the Mayfly server. The default is ${defaultAddress}. This can also be set with MAYFLY_ADDR or VAULT_ADDR.`,
  },
  { name: "ca-cert", kind: "string", env: ["MAYFLY_CACERT", "VAULT_CACERT"], usage: "Path to a PEM-encoded CA certificate file on the local disk, used to verify the server's certificate. Also MAYFLY_CACERT or VAULT_CACERT." },
  { name: "ca-path", kind: "string", env: ["MAYFLY_CAPATH", "VAULT_CAPATH"], usage: "Path to a directory of PEM-encoded CA certificate files. Also MAYFLY_CAPATH or VAULT_CAPATH." },
  { name: "client-cert", kind: "string", env: ["MAYFLY_CLIENT_CERT", "VAULT_CLIENT_CERT"], usage: "Path to a PEM-encoded client certificate for TLS authentication." },
  { name: "client-key", kind: "string", env: ["MAYFLY_CLIENT_KEY", "VAULT_CLIENT_KEY"], usage: "Path to the PEM-encoded private key of -client-cert." },
  { name: "tls-server-name", kind: "string", env: ["MAYFLY_TLS_SERVER_NAME", "VAULT_TLS_SERVER_NAME"], usage: "Name to use as the SNI host when connecting over TLS." },
  { name: "tls-skip-verify", kind: "bool", env: ["MAYFLY_SKIP_VERIFY", "VAULT_SKIP_VERIFY"], usage: "Disable verification of TLS certificates. Insecure; also MAYFLY_SKIP_VERIFY or VAULT_SKIP_VERIFY." },
  { name: "namespace", kind: "string", aliases: ["ns"], env: ["MAYFLY_NAMESPACE", "VAULT_NAMESPACE"], usage: "The namespace to use for the command (sent as X-Vault-Namespace)." },
  { name: "wrap-ttl", kind: "string", env: ["MAYFLY_WRAP_TTL", "VAULT_WRAP_TTL"], usage: "Wraps the response in a cubbyhole token with this TTL." },
  { name: "header", kind: "map", usage: "Key=value header sent with every request. May be repeated." },
  { name: "non-interactive", kind: "bool", usage: "Never prompt for input." },
  { name: "disable-redirects", kind: "bool", usage: "Accepted for compatibility; Mayfly does not redirect." },
  { name: "client-timeout", kind: "string", default: "60s", env: ["MAYFLY_CLIENT_TIMEOUT", "VAULT_CLIENT_TIMEOUT"], usage: "How long to wait for the server's answer (default 60s, as Vault's CLI; 0 waits forever). Also MAYFLY_CLIENT_TIMEOUT or VAULT_CLIENT_TIMEOUT." },
  { name: "output-curl-string", kind: "bool", usage: "Print the curl command for the request the command would make instead of making it." },
  { name: "output-policy", kind: "bool", usage: "Print the ACL policy that would allow the request the command would make instead of making it." },
];

export const outputFlags: readonly FlagSpec[] = [
  { name: "format", kind: "string", default: "table", env: ["MAYFLY_FORMAT", "VAULT_FORMAT"], usage: 'Print the output in the given format: "table", "json" or "yaml". Also MAYFLY_FORMAT or VAULT_FORMAT.' },
  { name: "field", kind: "string", usage: "Print only the field with the given name, without a trailing newline when piped." },
];

export const detailedFlag: FlagSpec = { name: "detailed", kind: "bool", usage: "Print detailed information such as TTLs and replication status." };

export class LocalError extends Error {}

export class Ctx implements OutputContext {
  readonly ui: Ui;
  readonly tokenHelper: TokenHelper;
  private cachedClient: VaultClient | undefined;

  constructor(
    readonly io: CliIo,
    readonly command: Command,
    readonly args: string[],
    readonly flags: ParsedFlags,
  ) {
    this.ui = new Ui(io);
    this.tokenHelper = new TokenHelper(io.homeDir);
  }

  get format(): string {
    return this.command.local ? "table" : this.flags.str("format").toLowerCase() || "table";
  }
  get field(): string {
    return this.flags.str("field");
  }
  get detailed(): boolean {
    return this.flags.bool("detailed");
  }

  /** The token in force: MAYFLY_TOKEN, then VAULT_TOKEN, then the token file. */
  async resolveToken(): Promise<string> {
    const fromEnv = [this.io.env["MAYFLY_TOKEN"], this.io.env["VAULT_TOKEN"]].find((t) => t !== undefined && t.trim() !== "");
    if (fromEnv !== undefined) return fromEnv.trim();
    return this.tokenHelper.get();
  }

  async client(): Promise<VaultClient> {
    if (this.cachedClient) return this.cachedClient;
    const f = this.flags;
    const config: ClientConfig = {
      address: f.str("address") || defaultAddress,
      token: await this.resolveToken(),
      tlsSkipVerify: f.bool("tls-skip-verify"),
    };
    const optional = { caCert: "ca-cert", caPath: "ca-path", clientCert: "client-cert", clientKey: "client-key", tlsServerName: "tls-server-name", namespace: "namespace", wrapTtl: "wrap-ttl" } as const;
    for (const [key, flag] of Object.entries(optional) as [keyof typeof optional, string][]) {
      const v = f.str(flag);
      if (v !== "") config[key] = v;
    }
    const headers = f.map("header");
    if (Object.keys(headers).length > 0) config.headers = headers;
    const timeoutText = f.str("client-timeout");
    let timeoutSeconds: number;
    try {
      timeoutSeconds = timeoutText === "" ? 60 : parseDurationSeconds(timeoutText);
    } catch {
      throw new LocalError(`Error initializing client: invalid client timeout "${timeoutText}"`);
    }
    if (!(timeoutSeconds >= 0)) throw new LocalError(`Error initializing client: invalid client timeout "${timeoutText}"`);
    config.timeoutMs = timeoutSeconds * 1000;
    config.maxRetries = maxRetriesFrom(this.io.env);
    if (f.bool("output-curl-string")) config.outputRequest = "curl";
    else if (f.bool("output-policy")) config.outputRequest = "policy";
    try {
      this.cachedClient = new VaultClient(config);
    } catch (err) {
      throw new LocalError(`Error initializing client: ${(err as Error).message}`);
    }
    return this.cachedClient;
  }

  /** Asks for a hidden value; refuses to wait on a terminal when -non-interactive is set. */
  async prompt(label: string): Promise<string> {
    if (this.flags.bool("non-interactive") && this.io.stdin.isTTY === true) {
      throw new LocalError(`${label.replace(/ \(will be hidden\): $/, "")} is required, and -non-interactive forbids asking for it`);
    }
    return promptSecret(this.io, label);
  }

  secret(secret: Secret | null): number {
    return outputSecret(this, secret);
  }
  list(secret: Secret): number {
    return outputList(this, secret);
  }
  data(data: unknown): number {
    return outputData(this, data);
  }
  rawField(source: { secret: Secret } | { map: Record<string, unknown> }, field = this.field): number {
    return printRawField(this, source, field);
  }

  /** Vault's argument-count complaints; returns an exit code when the count is wrong. */
  expectArgs(min: number, max: number): number | undefined {
    const n = this.args.length;
    const expected = min === max || max === Infinity ? `${min}` : `${min}-${max}`;
    if (n < min) {
      this.ui.error(`Not enough arguments (expected ${expected}, got ${n})`);
      return 1;
    }
    if (n > max) {
      this.ui.error(`Too many arguments (expected ${expected}, got ${n})`);
      return 1;
    }
    return undefined;
  }

  /** Reports a failed API call as Vault does ("Error reading x: <api error>") with exit 2. */
  fail(prefix: string, err: unknown): number {
    if (err instanceof ApiError || err instanceof TransportError) {
      this.ui.error(`${prefix}: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

export function renderHelp(cmd: Command): string {
  const sections = [cmd.help.trim()];
  if (!cmd.local) {
    sections.push(renderFlagHelp("HTTP Options", httpFlags).trimEnd());
    sections.push(renderFlagHelp("Output Options", outputFlags).trimEnd());
  }
  if (cmd.flags && cmd.flags.length > 0) sections.push(renderFlagHelp("Command Options", cmd.flags).trimEnd());
  return sections.join("\n\n");
}

/** Vault's sanitizePath: no surrounding whitespace or slashes. */
export function sanitizePath(p: string): string {
  return p.trim().replace(/^\/+/, "").replace(/\/+$/, "");
}

export function ensureTrailingSlash(p: string): string {
  const t = p.trim();
  return t === "" || t.endsWith("/") ? t : t + "/";
}

/** VAULT_MAX_RETRIES (or MAYFLY_MAX_RETRIES): how often a failed request is sent again, 2 by default as in Vault. */
function maxRetriesFrom(env: Readonly<Record<string, string | undefined>>): number {
  const text = [env["MAYFLY_MAX_RETRIES"], env["VAULT_MAX_RETRIES"]].find((v) => v !== undefined && v.trim() !== "");
  if (text === undefined) return 2;
  if (!/^\d{1,9}$/.test(text.trim())) throw new LocalError(`Error initializing client: invalid VAULT_MAX_RETRIES "${text}": not a whole number`);
  return Number(text.trim());
}
