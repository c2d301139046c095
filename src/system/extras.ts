import type { Core } from "../core/core.js";
import type { BackendRegistry } from "../core/registry.js";
import type { InFlightRequestInfo } from "../http/in-flight.js";
import { LogMonitor } from "../server/log-monitor.js";
import { detachedLevelControl, logLevelControl, type LogLevelControl } from "../server/logger.js";
import { CorsConfigStore } from "./cors-config.js";
import { recordVersionOnUnseal } from "./ha-status.js";

/**
 * What the sys backend needs from the running server beyond the core: the plugin types
 * it was built with, the HTTP layer's CORS settings and in-flight requests, the log level
 * and the configuration it started from. The server wires these; a bare core (tests)
 * gets harmless defaults.
 */
export interface SysExtras {
  /** Registered engine and auth types (the plugin catalog); undefined lists none. */
  readonly registry: BackendRegistry | undefined;
  /** The database engine's plugin names. */
  readonly databasePlugins: readonly string[];
  readonly cors: CorsConfigStore;
  readonly inFlight: { snapshot(): Record<string, InFlightRequestInfo> };
  readonly logLevels: LogLevelControl;
  /** Where `sys/monitor` subscribes to the server's log lines. */
  readonly monitor: LogMonitor;
  /** `sys/config/state/sanitized`: the configuration without anything secret. */
  readonly configState: () => Record<string, unknown>;
  /** This node's API and cluster addresses, as `sys/ha-status` reports them. */
  readonly apiAddress: () => string;
  readonly clusterAddress: () => string;
}

export interface SysExtrasOptions {
  registry?: BackendRegistry;
  databasePlugins?: readonly string[];
  inFlight?: { snapshot(): Record<string, InFlightRequestInfo> };
  configState?: () => Record<string, unknown>;
  apiAddress?: () => string;
  clusterAddress?: () => string;
  monitor?: LogMonitor;
}

/**
 * Builds the extras and registers what must run at every unseal (loading the CORS
 * settings, recording this version); call once per core.
 */
export function createSysExtras(core: Core, opts: SysExtrasOptions = {}): SysExtras {
  recordVersionOnUnseal(core);
  return {
    registry: opts.registry,
    databasePlugins: opts.databasePlugins ?? [],
    cors: new CorsConfigStore(core),
    inFlight: opts.inFlight ?? { snapshot: () => ({}) },
    logLevels: logLevelControl(core.logger) ?? detachedLevelControl(),
    monitor: opts.monitor ?? new LogMonitor(),
    configState: opts.configState ?? (() => ({})),
    apiAddress: opts.apiAddress ?? (() => ""),
    clusterAddress: opts.clusterAddress ?? (() => ""),
  };
}
