/**
 * A pure HTTP client of Vault's API, behaving like the Go `api` package the Vault CLI
 * uses: `X-Vault-Token` and `X-Vault-Request` headers, LIST sent as `GET ?list=true`,
 * a 404 read with no data meaning "no secret", and errors rendered in Go's words so
 * scripts that match "Code: 403" keep working. One connection per request; a request that
 * gets no answer, a 412, 429 or 5xx (but 501) is sent again up to `maxRetries` times, as the
 * Go client does (VAULT_MAX_RETRIES, 2 by default in the CLI).
 */
import http from "node:http";
import https from "node:https";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseSecret, type Secret } from "./secret.js";
import { OutputRequestError, type OutputRequestKind } from "./output-request.js";

export interface ClientConfig {
  address: string;
  token?: string;
  caCert?: string;
  caPath?: string;
  clientCert?: string;
  clientKey?: string;
  tlsServerName?: string;
  tlsSkipVerify?: boolean;
  namespace?: string;
  wrapTtl?: string;
  headers?: Record<string, string>;
  /** Give up on an answer after this long (0: never); streamed answers are not timed. */
  timeoutMs?: number;
  /** Times a failed request is sent again (see `shouldRetry`); 0 by default. */
  maxRetries?: number;
  /** The wait before retry `n` (1-based); by default Go's linear jitter, 1-1.5 s times n. */
  retryWaitMs?: (attempt: number) => number;
  /** -output-curl-string / -output-policy: describe the command's request instead of sending it. */
  outputRequest?: OutputRequestKind;
}

export type Query = Record<string, string | readonly string[]>;

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  /** Overrides the client's token for this request; null sends none. */
  token?: string | null;
  contentType?: string;
  /** Receives a successful answer's body piece by piece instead of it being collected. */
  onData?: (chunk: Buffer) => void;
  /**
   * Leaves out -wrap-ttl, as Vault's CLI does for its own lookups (the KV preflight); such
   * lookups are also sent under -output-curl-string and -output-policy.
   */
  noWrap?: boolean;
}

export interface RawResponse {
  status: number;
  body: string;
  method: string;
  url: string;
}

/** Go's api.ResponseError text. */
export class ApiError extends Error {
  readonly secret: Secret | null;
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly errors: readonly string[],
    readonly rawError: boolean,
    body: string,
  ) {
    const kind = rawError ? "Raw Message" : "Errors";
    let text = `Error making API request.\n\nURL: ${method} ${url}\nCode: ${status}. ${kind}:\n\n`;
    if (rawError && errors.length === 1) text += errors[0];
    else text += errors.map((e) => `* ${e}`).join("\n");
    super(text);
    this.name = "ApiError";
    let secret: Secret | null = null;
    try {
      secret = parseSecret(body);
    } catch {
      secret = null;
    }
    this.secret = secret;
  }
}

/** The request never got an HTTP answer; worded like Go's url.Error. */
export class TransportError extends Error {
  /** The certificate was refused: sending again would not change that (Go's client does not retry). */
  readonly certificateRefused: boolean;
  constructor(method: string, url: string, cause: Error) {
    super(`${method.charAt(0)}${method.slice(1).toLowerCase()} "${url}": ${cause.message}`);
    this.name = "TransportError";
    const code = (cause as Error & { code?: unknown }).code;
    this.certificateRefused = typeof code === "string" && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/.test(code);
  }
}

/** Vault path segments escaped as Go's url.URL escapes a path. */
export function encodeVaultPath(path: string): string {
  return path
    .split("/")
    .map((seg) => encodeURIComponent(seg).replace(/%(24|26|2B|2C|3A|3B|3D|40)/gi, (m) => decodeURIComponent(m)))
    .join("/");
}

function encodeQuery(query: Query | undefined): string {
  if (!query) return "";
  const parts: string[] = [];
  for (const key of Object.keys(query).sort()) {
    const v = query[key];
    for (const item of typeof v === "string" ? [v] : (v ?? [])) {
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(item)}`);
    }
  }
  return parts.length > 0 ? "?" + parts.join("&") : "";
}

export class VaultClient {
  token: string;
  readonly address: string;
  private readonly tls: https.RequestOptions;

  constructor(private readonly config: ClientConfig) {
    this.address = config.address.replace(/\/+$/, "");
    this.token = config.token ?? "";
    this.tls = buildTls(config);
  }

  /** Sends one request and returns whatever came back, any status. */
  raw(method: string, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    // unix:///path/to.sock: HTTP over that socket, addressed as localhost (Vault's client alike).
    const unixSocket = this.address.startsWith("unix://") ? this.address.slice("unix://".length) : undefined;
    const base = unixSocket !== undefined ? "http://localhost" : this.address;
    const url = `${base}/v1/${encodeVaultPath(path.replace(/^\/+/, ""))}${encodeQuery(opts.query)}`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return Promise.reject(new TransportError(method, url, new Error(`invalid address ${JSON.stringify(this.address)}`)));
    }
    const headers: Record<string, string> = { "X-Vault-Request": "true", ...(this.config.headers ?? {}) };
    const token = opts.token === undefined ? this.token : opts.token;
    if (token) headers["X-Vault-Token"] = token;
    if (this.config.namespace) headers["X-Vault-Namespace"] = this.config.namespace;
    if (this.config.wrapTtl && !opts.noWrap) headers["X-Vault-Wrap-TTL"] = this.config.wrapTtl;
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body), "utf8");
      headers["Content-Type"] = opts.contentType ?? "application/json";
      headers["Content-Length"] = String(payload.length);
    }
    if (this.config.outputRequest && !opts.noWrap) {
      const c = this.config;
      return Promise.reject(
        new OutputRequestError(c.outputRequest as OutputRequestKind, {
          method,
          url,
          headers,
          ...(payload ? { body: payload } : {}),
          tls: {
            skipVerify: c.tlsSkipVerify ?? false,
            ...(c.caCert ? { caCert: c.caCert } : {}),
            ...(c.caPath ? { caPath: c.caPath } : {}),
            ...(c.clientCert ? { clientCert: c.clientCert } : {}),
            ...(c.clientKey ? { clientKey: c.clientKey } : {}),
          },
        }),
      );
    }
    const isHttps = parsed.protocol === "https:";
    if (!isHttps && parsed.protocol !== "http:") {
      return Promise.reject(new TransportError(method, url, new Error(`unsupported protocol scheme "${parsed.protocol.replace(/:$/, "")}"`)));
    }
    const send = (): Promise<RawResponse> => this.send(method, url, parsed, unixSocket, headers, payload, opts);
    // A streamed answer is not sent twice: part of it may already have been shown.
    return opts.onData ? send() : this.withRetries(send);
  }

  /** Sends again what got no answer or a retryable status, waiting longer each time. */
  private async withRetries(send: () => Promise<RawResponse>): Promise<RawResponse> {
    const retries = Math.max(0, this.config.maxRetries ?? 0);
    const wait = this.config.retryWaitMs ?? linearJitterMs;
    for (let attempt = 0; ; attempt++) {
      let res: RawResponse | undefined;
      let failure: unknown;
      try {
        res = await send();
      } catch (err) {
        if (!(err instanceof TransportError) || err.certificateRefused) throw err;
        failure = err;
      }
      if (attempt >= retries || !shouldRetry(res)) {
        if (res) return res;
        throw failure;
      }
      await new Promise((resolve) => setTimeout(resolve, wait(attempt + 1)));
    }
  }

  private send(
    method: string,
    url: string,
    parsed: URL,
    unixSocket: string | undefined,
    headers: Record<string, string>,
    payload: Buffer | undefined,
    opts: RequestOptions,
  ): Promise<RawResponse> {
    const isHttps = parsed.protocol === "https:";
    const requestOptions: https.RequestOptions = {
      method,
      ...(unixSocket !== undefined
        ? { socketPath: unixSocket }
        : { hostname: parsed.hostname.replace(/^\[|\]$/g, ""), port: parsed.port || (isHttps ? 443 : 80) }),
      path: parsed.pathname + parsed.search,
      headers,
      agent: false,
      ...(isHttps ? this.tls : {}),
    };
    return new Promise<RawResponse>((resolve, reject) => {
      const req = (isHttps ? https : http).request(requestOptions, (res) => {
        const chunks: Buffer[] = [];
        const status = res.statusCode ?? 0;
        // A streamed answer (sys/monitor) goes out as it comes; errors are still collected.
        const onData = opts.onData;
        if (onData && status >= 200 && status < 300) res.on("data", (c: Buffer) => onData(c));
        else res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), method, url }),
        );
        res.on("error", (err) => reject(new TransportError(method, url, err)));
      });
      req.on("error", (err) => reject(new TransportError(method, url, err)));
      const timeoutMs = this.config.timeoutMs ?? 60_000;
      if (timeoutMs > 0 && !opts.onData) {
        const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs / 1000}s (client timeout)`)), timeoutMs);
        req.on("close", () => clearTimeout(timer));
      }
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** A request whose non-2xx/3xx answer becomes an ApiError. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    const res = await this.raw(method, path, opts);
    if (res.status >= 200 && res.status < 400) return res;
    // A standby answers sys/health with 429 and that is a health report, not an error.
    if (res.status === 429 && /^\/?sys\/health/.test(path)) return res;
    throw toApiError(res);
  }

  /** Logical().Read: null when there is nothing at the path. */
  async read(path: string, query?: Query): Promise<Secret | null> {
    const res = await this.raw("GET", path, query ? { query } : {});
    return this.secretOrMissing(res);
  }

  /** Logical().List, as a GET with list=true. */
  async list(path: string): Promise<Secret | null> {
    const res = await this.raw("GET", path, { query: { list: "true" } });
    return this.secretOrMissing(res);
  }

  /** Logical().Write (PUT), or POST/PATCH for the callers that need them. */
  async write(path: string, data: unknown, method = "PUT", contentType?: string): Promise<Secret | null> {
    const opts: RequestOptions = { body: data ?? {} };
    if (contentType !== undefined) opts.contentType = contentType;
    const res = await this.request(method, path, opts);
    return parseSecret(res.body);
  }

  async delete(path: string, query?: Query): Promise<Secret | null> {
    const res = await this.request("DELETE", path, query ? { query } : {});
    return parseSecret(res.body);
  }

  private secretOrMissing(res: RawResponse): Secret | null {
    if (res.status === 404) {
      // Vault still sends data with some 404s (a deleted KV v2 version); keep those.
      let secret: Secret | null = null;
      try {
        secret = parseSecret(res.body);
      } catch {
        return null;
      }
      if (secret && ((secret.warnings?.length ?? 0) > 0 || Object.keys(secret.data ?? {}).length > 0)) return secret;
      return null;
    }
    if (res.status >= 400) throw toApiError(res);
    return parseSecret(res.body);
  }
}

/**
 * The Go client's retry policy: no answer at all (refused, reset, timed out), 412 (a
 * standby not yet caught up), 429, and 5xx except 501 (not implemented will not change).
 */
export function shouldRetry(res: RawResponse | undefined): boolean {
  if (!res) return true;
  const s = res.status;
  return s === 412 || s === 429 || (s >= 500 && s !== 501);
}

/** Go's retryablehttp.LinearJitterBackoff with Vault's 1 s and 1.5 s bounds. */
function linearJitterMs(attempt: number): number {
  return Math.round((1000 + Math.random() * 500) * attempt);
}

export function toApiError(res: RawResponse): ApiError {
  let errors: string[] = [];
  let rawError = false;
  try {
    const parsed = JSON.parse(res.body) as { errors?: unknown };
    if (parsed === null || typeof parsed !== "object") throw new Error("not an object");
    errors = Array.isArray(parsed.errors) ? parsed.errors.map(String) : [];
  } catch {
    rawError = true;
    errors = [res.body];
  }
  return new ApiError(res.method, res.url, res.status, errors, rawError, res.body);
}

function buildTls(config: ClientConfig): https.RequestOptions {
  const tls: https.RequestOptions = {};
  const cas: Buffer[] = [];
  if (config.caCert) cas.push(readFileSync(config.caCert));
  if (config.caPath) {
    for (const name of readdirSync(config.caPath).sort()) {
      if (/\.(pem|crt|cer)$/i.test(name)) cas.push(readFileSync(join(config.caPath, name)));
    }
  }
  if (cas.length > 0) tls.ca = cas;
  if (config.clientCert) tls.cert = readFileSync(config.clientCert);
  if (config.clientKey) tls.key = readFileSync(config.clientKey);
  if (config.tlsServerName) tls.servername = config.tlsServerName;
  if (config.tlsSkipVerify) tls.rejectUnauthorized = false;
  return tls;
}
