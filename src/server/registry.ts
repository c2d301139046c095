import type { Core } from "../core/core.js";
import { BackendRegistry } from "../core/registry.js";
import { createSystemBackend } from "../system/index.js";
import { createTokenBackend } from "../auth/token/index.js";
import { createUserpassBackend } from "../auth/userpass/index.js";
import { createKvBackend } from "../engines/kv/index.js";
import { createCubbyholeBackend } from "../engines/cubbyhole/index.js";
import { createDatabaseBackend } from "../engines/database/index.js";

/** Every built-in engine and auth method, by mount type. */
export function registerBuiltins(registry: BackendRegistry, core: Core): void {
  registry
    .registerSecret("system", createSystemBackend(core))
    .registerSecret("kv", createKvBackend)
    .registerSecret("cubbyhole", createCubbyholeBackend)
    .registerSecret("database", createDatabaseBackend)
    .registerAuth("userpass", createUserpassBackend)
    .registerAuth("token", createTokenBackend(core));
}
