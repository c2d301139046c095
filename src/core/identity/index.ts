/**
 * Vault's identity store: entities, aliases, groups, served at the built-in `identity/`
 * mount. The core holds the store (request-time policies and templating, logins); the
 * mount's backend serves the API and hands the store its storage.
 */
import type { Backend, BackendFactory } from "../../framework/types.js";
import type { MountManager } from "../mounts.js";
import { routePrefix } from "../router/mount-entry.js";
import { entityPaths, type IdentityDeps } from "./paths-entity.js";
import { groupPaths } from "./paths-group.js";
import { lookupPaths } from "./paths-lookup.js";
import type { IdentityStore } from "./store.js";
import type { MountLookup } from "./types.js";

export { IdentityStore } from "./store.js";
export { entityForLogin } from "./entities.js";
export { resolveIdentity } from "./resolve.js";
export { tokenAcl, tokenAndIdentityPolicies } from "./token-acl.js";
export type { ResolvedIdentity, EntityRecord, GroupRecord, AliasRecord, LoginAlias } from "./types.js";

/** Aliases name their mount by accessor; reads show its type and path (`auth/userpass/`). */
export function mountLookup(mounts: MountManager): MountLookup {
  return (accessor) => {
    const m = mounts.byAccessor(accessor);
    return m ? { type: m.entry.type, path: routePrefix(m.entry) } : undefined;
  };
}

export function createIdentityBackend(store: IdentityStore, mounts: () => MountManager): BackendFactory {
  return (ctx): Backend => {
    store.attach(ctx.storage);
    const deps: IdentityDeps = { store, mounts: (accessor) => mountLookup(mounts())(accessor) };
    return {
      type: "identity",
      paths: [...entityPaths(deps), ...groupPaths(deps), ...lookupPaths(deps)],
      cleanup: () => {
        store.detach();
        return Promise.resolve();
      },
    };
  };
}
