import type { Core } from "../../core/core.js";
import type { Backend, BackendFactory } from "../../framework/types.js";
import { createPaths } from "./create.js";
import { lookupPaths } from "./lookup.js";
import { maintenancePaths, TidyRunner } from "./maintenance.js";
import { renewPaths } from "./renew.js";
import { revokePaths } from "./revoke.js";
import { rolePaths } from "./roles.js";

/**
 * The token store's HTTP face, mounted by the core at `auth/token/`. Tokens themselves
 * live in the core's TokenStore; this backend keeps only its roles, in its own storage.
 */
export function createTokenBackend(core: Core): BackendFactory {
  return (): Backend => {
    const tidy = new TidyRunner(core);
    return {
      type: "token",
      paths: [
        ...createPaths(core),
        ...lookupPaths(core),
        ...renewPaths(core),
        ...revokePaths(core),
        ...rolePaths,
        ...maintenancePaths(core, tidy),
      ],
      // Vault's PathsSpecial.Root for the token store. `revoke-orphan` itself is not
      // matched by its glob; the handler checks sudo and answers 400, as Vault does.
      rootPaths: ["revoke-orphan/*", "accessors*"],
      cleanup: () => tidy.settle(),
    };
  };
}
