/**
 * Help text that several database paths share: how statement lists are written and what
 * their `{{...}}` placeholders become. Kept in one place so the roles, static roles and
 * connection paths describe the same rules the plugins apply (plugins/statements.ts).
 */

/** A paragraph for the description of any path that takes statements. */
export const STATEMENTS_HELP = `Statements are given as a list of strings, or as one string; one string may hold
several statements separated by ";" (a ";" inside quotes, a dollar-quoted body or a
comment does not split). Before a statement runs, Mayfly fills in:
  {{name}} or {{username}}  the database user's name
  {{password}}              its new password
  {{expiration}}            when the user should expire (dynamic roles only): five
                            seconds after the lease ends, in UTC, written as
                            "2006-01-02 15:04:05-0700" (e.g. 2025-01-31 18:00:05+0000)
A value filled in inside quotes is escaped for those quotes, so a password cannot end
the quoted text. PostgreSQL runs a statement that contains END (a DO block, a function
body) whole instead of splitting it. Redis takes no SQL: see creation_statements.`;

export const DYNAMIC_STATEMENT_FIELDS = {
  creation:
    "Statements that create the user when credentials are issued; {{name}}, {{password}} and {{expiration}} are filled in. " +
    "SQL plugins refuse to issue credentials without them (PostgreSQL runs them in one transaction). " +
    'For Redis, one JSON list of ACL rules such as ["~*", "+@read"] (that list is the default).',
  revocation:
    "Statements that remove the user when its lease ends or is revoked; {{name}} is filled in. " +
    "Empty uses the plugin's default: PostgreSQL revokes the user's privileges, hands what it owns to the connection's user " +
    "and drops it; MySQL revokes everything and drops 'name'@'%'. Redis always deletes the ACL user and ignores statements.",
  rollback:
    "MySQL only: statements run, best effort, when creating a user fails part way ({{name}} is filled in), before the default " +
    "revocation removes what was made. PostgreSQL creates users in a transaction and does not use them.",
  renew:
    "Statements run when a lease is renewed, to move the user's expiry; {{name}} and {{expiration}} are filled in. " +
    "Empty: PostgreSQL sets VALID UNTIL to the new expiration. MySQL and Redis users do not expire, so renewal only extends the lease.",
} as const;

/** The password-setting statements of static roles and root rotation; `purpose` says whose. */
export function passwordStatementsField(purpose: string): string {
  return (
    `${purpose}; {{name}} (or {{username}}) and {{password}} are filled in. ` +
    "Empty uses the plugin's default: ALTER ROLE ... WITH PASSWORD on PostgreSQL, ALTER USER ... IDENTIFIED BY on MySQL. " +
    "Redis ignores statements and resets the ACL user's password."
  );
}
