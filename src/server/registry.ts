import type { Core } from "../core/core.js";
import { BackendRegistry } from "../core/registry.js";
import { createSystemBackend } from "../system/index.js";
import { createTokenBackend } from "../auth/token/index.js";
import { createUserpassBackend } from "../auth/userpass/index.js";
import { createKvBackend } from "../engines/kv/index.js";
import { createCubbyholeBackend } from "../engines/cubbyhole/index.js";
import { createDatabaseBackend } from "../engines/database/index.js";
import type { SysExtras } from "../system/extras.js";

/** The database engine's plugins, for the plugin catalog. */
export { pluginNames as databasePluginNames } from "../engines/database/plugin.js";

/** Every built-in engine and auth method, by mount type. */
export function registerBuiltins(registry: BackendRegistry, core: Core, extras?: SysExtras): void {
  registry
    .registerSecret("system", createSystemBackend(core, extras))
    .registerSecret("kv", createKvBackend)
    .registerSecret("cubbyhole", createCubbyholeBackend)
    .registerSecret("database", createDatabaseBackend)
    .registerAuth("userpass", createUserpassBackend)
    .registerAuth("token", createTokenBackend(core));
}
