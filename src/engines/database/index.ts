/**
 * The database secrets engine (mount type "database"), as Vault's builtin/logical/database:
 * connections, dynamic roles with leased credentials, static roles with rotated
 * passwords, root rotation; plus Mayfly's orphan sweep and grant hygiene warning.
 */
import type { Backend, BackendContext, BackendFactory } from "../../framework/types.js";
import { getJson } from "../../storage/storage.js";
import { configPaths } from "./config.js";
import { ConnectionManager, type PluginFactory } from "./connections.js";
import { credsPaths, credsSecretType, CREDS_SECRET_TYPE } from "./creds.js";
import { KeyedMutex, type DatabaseEngine } from "./engine.js";
import { orphanPaths } from "./orphans.js";
import { resetPaths } from "./reset.js";
import { rolePaths } from "./roles.js";
import { rotateIfDue, rotatePaths } from "./rotate.js";
import { RotationQueue } from "./rotation-queue.js";
import { staticRolePaths } from "./static-roles.js";
import { getStaticRole, keys } from "./store.js";

export interface DatabaseBackend extends Backend {
  /** The engine's live state, for tests and diagnostics. */
  readonly engine: DatabaseEngine;
}

export interface DatabaseBackendOptions {
  /** Run static rotations on a timer (default). Tests turn it off and call `engine.rotations.runDue()`. */
  scheduleRotations?: boolean;
  /** Substitutes the plugin catalogue (tests use in-memory fakes). */
  pluginFactory?: PluginFactory;
}

export const createDatabaseBackend: BackendFactory = (ctx) => buildDatabaseBackend(ctx);

export function buildDatabaseBackend(ctx: BackendContext, opts: DatabaseBackendOptions = {}): DatabaseBackend {
  const connections = new ConnectionManager(ctx.storage, ctx.system.logger, opts.pluginFactory, ctx.system.operationTimeoutMs);
  const staticRoleLocks = new KeyedMutex();
  const holder: { engine?: DatabaseEngine } = {};
  const rotations = new RotationQueue({
    nowMs: () => ctx.system.nowMs(),
    logger: ctx.system.logger,
    loadAll: () => loadRotationSchedule(ctx),
    rotateDue: (roleName, nowMs) => rotateIfDue(holder.engine as DatabaseEngine, roleName, nowMs),
  });
  const engine: DatabaseEngine = { system: ctx.system, storage: ctx.storage, connections, rotations, staticRoleLocks };
  holder.engine = engine;
  if (opts.scheduleRotations ?? true) rotations.start();

  return {
    type: "database",
    engine,
    paths: [
      ...configPaths(engine),
      ...resetPaths(engine),
      ...rotatePaths(engine),
      ...rolePaths(engine),
      ...credsPaths(engine),
      ...staticRolePaths(engine),
      ...orphanPaths(engine),
    ],
    secretTypes: { [CREDS_SECRET_TYPE]: credsSecretType(engine) },
    async cleanup() {
      await rotations.stop();
      await connections.closeAll();
    },
  };
}

/** Each static role is due at its stored next rotation, or now if a rotation was interrupted. */
async function loadRotationSchedule(ctx: BackendContext): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const now = ctx.system.nowMs();
  for (const name of await ctx.storage.list(keys.staticRolePrefix)) {
    if (name.endsWith("/")) continue;
    const role = await getStaticRole(ctx.storage, name);
    if (!role) continue;
    const interrupted = (await getJson(ctx.storage, keys.staticWal(name))) !== undefined;
    out.set(name, interrupted ? now : role.next_vault_rotation_ms);
  }
  return out;
}
