import type { Backend, BackendFactory } from "../../framework/types.js";
import type { UserpassDeps } from "./deps.js";
import { FailureCounter, lockedUsers, lockoutConfigPath, readLockoutConfig } from "./lockout.js";
import { loginPaths, renewLogin } from "./login.js";
import { DEFAULT_SCRYPT_PARAMS, dummyPasswordHash, type ScryptParams } from "./password-hash.js";
import { userPaths } from "./users.js";

export interface UserpassOptions {
  /** Cost of password hashes; lowered only by tests. */
  scrypt?: ScryptParams;
}

/** Vault's userpass auth method: users with a password and token settings, and `login/<username>`. */
export function userpassBackendFactory(opts: UserpassOptions = {}): BackendFactory {
  return (ctx): Backend => {
    const scrypt = opts.scrypt ?? DEFAULT_SCRYPT_PARAMS;
    const deps: UserpassDeps = { scrypt, dummyHash: dummyPasswordHash(scrypt), failures: new FailureCounter() };
    return {
      type: "userpass",
      paths: [...loginPaths(deps), ...userPaths(deps), lockoutConfigPath],
      unauthenticatedPaths: ["login/*"],
      renewAuth: renewLogin,
      lockout: {
        lockedUsers: async (nowMs) => lockedUsers(ctx.storage, await readLockoutConfig(ctx.storage, ctx.mount.userLockoutConfig()), nowMs),
        unlock: (username) => deps.failures.clear(ctx.storage, username),
      },
    };
  };
}

export const createUserpassBackend: BackendFactory = userpassBackendFactory();
