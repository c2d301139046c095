// bench/db-creds.mjs's options (from the command line) and what follows from them: the
// statements both sides run, and the direct side's usernames and passwords.
import { randomBytes } from "node:crypto";
import { alphanumeric } from "./postgres.mjs";
import { argument } from "./stats.mjs";

const levelsArg = argument("levels", "1,8,32");
export const levels = levelsArg === "none" ? [] : levelsArg.split(",").map(Number);
export const rounds = Number(argument("rounds", "5"));
export const sliceMs = Number(argument("slice-ms", "3000"));
export const warmupMs = Number(argument("warmup-ms", "2000"));
export const warmupOps = Number(argument("warmup-ops", "3000"));
export const poolSize = Number(argument("pool", "8"));
export const expiryCount = Number(argument("expiry-count", "10000"));
export const skipExpiry = argument("skip-expiry", "false") === "true";
export const grantKind = argument("grant", "group");
export const withAudit = argument("no-audit", "false") !== "true";
export const profileDir = argument("profile", "");
export const perfFile = argument("perf", "");
/** Mayfly's storage: `inmem` (a dev server, as sessions 1-8 measured) or `sqlite` (initialised and unsealed, fsync per commit). */
export const storageKind = argument("storage", "inmem");
export const withFloor = argument("no-floor", "false") !== "true";
/** The expiration manager's revocations in flight (ExpirationOptions.concurrency). */
export const EXPIRY_REVOKE_CONCURRENCY = 16;

export const ADMIN_USER = "mayfly_admin";
export const ADMIN_PASSWORD = alphanumeric(24);
export const CREATE_STATEMENT = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;
export const GRANT_STATEMENT =
  grantKind === "direct" ? `GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";` : `GRANT "bench_readonly" TO "{{name}}";`;
// A role with grants on tables cannot be dropped until they are revoked.
export const REVOKE_STATEMENTS = [
  ...(grantKind === "direct" ? [`REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM "{{name}}";`] : []),
  `DROP ROLE IF EXISTS "{{name}}";`,
];
export const render = (statement, values) => statement.replace(/\{\{(\w+)\}\}/g, (_, k) => values[k]);

/** Vault's default password policy's alphabet: upper, lower, digits and dash; 20 characters. */
const PASSWORD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-";
export function password20() {
  let out = "";
  while (out.length < 20) {
    // 252 = 4 × 63: rejecting bytes above keeps the draw unbiased.
    for (const b of randomBytes(32)) if (b < 252 && out.length < 20) out += PASSWORD_ALPHABET[b % 63];
  }
  return out;
}
/** Vault's default username template: v-<display 8>-<role 8>-<random 20>-<unix seconds>. */
export const directUsername = (role) => `v-token-${role.slice(0, 8)}-${alphanumeric(20)}-${Math.floor(Date.now() / 1000)}`;
