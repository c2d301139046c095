/** PostgreSQL specifics the plugin needs but that are not about connections or statements. */
import { createHash, createHmac, pbkdf2, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { errorCode } from "./common.js";
import { scanSql, postgresDialect } from "./statements.js";

export function quoteIdent(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** The statement text without comments and ordinary quoted strings; dollar bodies stay (DO blocks). */
function sqlCode(statement: string): string {
  return scanSql(statement, postgresDialect)
    .map((p) => (p.kind === "code" ? p.text : p.kind === "quoted" && p.quote === "dollar" ? ` ${p.body} ` : " "))
    .join("");
}

const OBJECT_GRANT = /\b(GRANT|REVOKE)\b[^;]*?\bON\b/i;
const OTHER_ACL_CHANGES = [/\bDEFAULT\s+PRIVILEGES\b/i, /\b(DROP|REASSIGN)\s+OWNED\b/i, /\bOWNER\s+TO\b/i];

/**
 * Whether a statement rewrites an object's catalogue row (its ACL or owner). Two open
 * transactions doing that to the same object make the second fail with "tuple
 * concurrently updated" or deadlock (found only after deadlock_timeout, 1 s by
 * default), so the plugin runs such statements one at a time. `GRANT role TO user`
 * adds a membership row instead and runs in parallel freely.
 */
export function rewritesObjectAcl(statement: string): boolean {
  const code = sqlCode(statement);
  return OBJECT_GRANT.test(code) || OTHER_ACL_CHANGES.some((re) => re.test(code));
}

/**
 * Creation statements that grant on tables, schemas or other objects directly, rather
 * than granting a group role: every live user then adds an entry to each object's ACL,
 * which makes grants slower and contended and is bounded by the ACL's size limit.
 */
export function directObjectGrants(statements: readonly string[]): string[] {
  return statements.filter((s) => OBJECT_GRANT.test(sqlCode(s)) && /\bGRANT\b/i.test(sqlCode(s)));
}

const pbkdf2Async = promisify(pbkdf2);

/** PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 7677, 4096 iterations). */
export async function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16)): Promise<string> {
  const iterations = 4096;
  // SASLprep leaves printable ASCII alone; for the rest NFKC is its main step.
  const prepared = /^[\x20-\x7e]*$/.test(password) ? password : password.normalize("NFKC");
  const salted = await pbkdf2Async(prepared, salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/** Runs tasks one at a time, in arrival order. */
export class SerialLane {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** True for the errors that a concurrent transaction causes and a retry cures. */
export function isTransientPostgresError(e: unknown): boolean {
  const code = errorCode(e);
  if (code === "40001" || code === "40P01") return true;
  return code === "XX000" && /tuple concurrently (updated|deleted)/.test(e instanceof Error ? e.message : "");
}
