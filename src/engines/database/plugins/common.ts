/**
 * Helpers every plugin shares: the error type that never carries a secret, connection
 * URL templating as Vault does it, and retrying with jittered backoff.
 */
import { badRequest, type MayflyError } from "../../../framework/errors.js";

/**
 * A failure talking to the target. The message has every secret the plugin knew
 * replaced (Vault's error sanitizer does the same), and `code` keeps the database's own
 * error code (a SQLSTATE, a MySQL errno) for callers and tests.
 */
export class DatabasePluginError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.name = "DatabasePluginError";
    this.code = code;
  }
}

export function redact(message: string, secrets: readonly (string | undefined)[]): string {
  let out = message;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 1) out = out.split(secret).join("[password]");
  }
  return out;
}

/** Re-throws anything as a DatabasePluginError with secrets removed and `context` in front. */
export function pluginError(e: unknown, context: string, secrets: readonly (string | undefined)[]): DatabasePluginError {
  const code = errorCode(e);
  const message = e instanceof Error ? e.message : String(e);
  const prefix = context === "" ? "" : `${context}: `;
  return new DatabasePluginError(redact(`${prefix}${message}`, secrets), code);
}

export function errorCode(e: unknown): string | undefined {
  if (typeof e !== "object" || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string") return code;
  const errno = (e as { errno?: unknown }).errno;
  return typeof errno === "number" ? String(errno) : undefined;
}

export function configError(message: string, secrets: readonly (string | undefined)[]): MayflyError {
  return badRequest(redact(message, secrets));
}

/**
 * Fills `{{username}}` and `{{password}}` into a connection URL. Like Vault, the values
 * are URL-escaped unless `disable_escaping` is set, and the plugin may opt out for the
 * password (Vault's MySQL plugin: the Go driver's DSN does not unescape it).
 */
export function fillConnectionUrl(
  url: string,
  username: string | undefined,
  password: string | undefined,
  opts: { disableEscaping: boolean; escapePassword: boolean },
): string {
  for (const v of [username, password]) {
    if (v !== undefined && (v.includes("{{username}}") || v.includes("{{password}}"))) {
      throw badRequest("username and/or password cannot contain the template variables");
    }
  }
  const user = username === undefined ? "" : opts.disableEscaping ? username : encodeURIComponent(username);
  const pass =
    password === undefined ? "" : opts.disableEscaping || !opts.escapePassword ? password : encodeURIComponent(password);
  // One pass, so a username that happens to contain "{{password}}" is not filled twice.
  return url.replace(/\{\{(username|password)\}\}/g, (_, key: string) => (key === "username" ? user : pass));
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 10, baseDelayMs: 5, maxDelayMs: 250 };

/**
 * Runs `fn` again while it fails with an error `retryable` accepts, sleeping a random
 * time up to an exponentially growing cap ("full jitter") so that racing callers spread
 * out instead of colliding again in lockstep.
 */
export async function withRetries<T>(
  fn: (attempt: number) => Promise<T>,
  retryable: (e: unknown) => boolean,
  policy: RetryPolicy = DEFAULT_RETRY,
  onRetry?: (e: unknown, attempt: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= policy.attempts || !retryable(e)) throw e;
      onRetry?.(e, attempt);
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
      await new Promise((r) => setTimeout(r, Math.random() * cap));
    }
  }
}

export function optionString(options: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const v = options[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw badRequest(`${key} must be a string`);
}

export function optionBool(options: Readonly<Record<string, unknown>>, key: string): boolean {
  const v = options[key];
  if (v === undefined || v === null || v === "") return false;
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && /^(1|t|true)$/i.test(v)) return true;
  if (typeof v === "string" && /^(0|f|false)$/i.test(v)) return false;
  if (typeof v === "number") return v !== 0;
  throw badRequest(`${key} must be a boolean`);
}

export function optionInt(options: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const v = options[key];
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw badRequest(`${key} must be an integer`);
  return n;
}
