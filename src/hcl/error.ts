/**
 * The only error the HCL and JSON readers throw. The message starts with `At line:column:`
 * as HCL 1's errors do, because Vault users (and scripts) recognise that shape.
 */
export class HclError extends Error {
  readonly line: number;
  readonly column: number;
  /** The problem without the position prefix, for callers that add their own context. */
  readonly detail: string;

  constructor(line: number, column: number, detail: string) {
    super(`At ${line}:${column}: ${detail}`);
    this.name = "HclError";
    this.line = line;
    this.column = column;
    this.detail = detail;
  }
}

export function isHclError(e: unknown): e is HclError {
  return e instanceof HclError;
}
