import type { FailureCounter } from "./lockout.js";
import type { PasswordHash, ScryptParams } from "./password-hash.js";

/** What one userpass mount's paths share. */
export interface UserpassDeps {
  /** Cost of new password hashes; tests lower it. */
  readonly scrypt: ScryptParams;
  /** Verified against when the user does not exist, so the answer takes as long. */
  readonly dummyHash: PasswordHash;
  readonly failures: FailureCounter;
}
