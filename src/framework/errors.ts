/**
 * The one error type that carries an HTTP status. Handlers and core modules throw
 * these; only the HTTP layer turns them into status codes and `{"errors": [...]}`.
 */
export class MayflyError extends Error {
  readonly status: number;
  readonly errors: string[];
  /** Extra response data some Vault errors carry (a KV v2 read of a deleted version). */
  readonly data: Record<string, unknown> | undefined;

  constructor(status: number, errors: string[], data?: Record<string, unknown>) {
    super(errors[0] ?? `status ${status}`);
    this.name = "MayflyError";
    this.status = status;
    this.errors = errors;
    this.data = data;
  }
}

export function isMayflyError(e: unknown): e is MayflyError {
  return e instanceof MayflyError;
}

export const badRequest = (message: string): MayflyError => new MayflyError(400, [message]);
export const permissionDenied = (message = "permission denied"): MayflyError =>
  new MayflyError(403, [message]);
/** Vault answers a plain miss with an empty error list. */
export const notFound = (message?: string): MayflyError =>
  new MayflyError(404, message === undefined ? [] : [message]);
export const unsupportedOperation = (message = "unsupported operation"): MayflyError =>
  new MayflyError(405, [message]);
export const unsupportedMediaType = (message: string): MayflyError => new MayflyError(415, [message]);
export const payloadTooLarge = (message = "request body too large"): MayflyError =>
  new MayflyError(413, [message]);
export const sealedError = (): MayflyError => new MayflyError(503, ["Vault is sealed"]);
export const notInitialized = (): MayflyError => new MayflyError(503, ["Vault is not initialized"]);
export const upstreamError = (message: string): MayflyError => new MayflyError(502, [message]);
/**
 * A backend failure Vault reports as 500 with its multierror text (clients match on it,
 * e.g. `"x" is not an allowed role`). Never put internals or secrets in `message`.
 */
export const internalError = (message: string): MayflyError =>
  new MayflyError(500, [`1 error occurred:\n\t* ${message}\n\n`]);

export function throwBadRequest(message: string): never {
  throw badRequest(message);
}
