/**
 * The audit broker: the table of enabled devices (persisted through the barrier), their
 * salts, and fan-out of each request/response entry to every device (delivery.ts).
 *
 * Fail-closed rule (Vault's): with at least one device enabled, an entry that no device
 * records makes `logRequest`/`logResponse` throw `AuditLogFailedError`, and the pipeline must
 * refuse the request. A device that fails while another succeeds is logged, not fatal.
 */
import { MayflyError, badRequest } from "../../framework/errors.js";
import { getJson, jsonPut, putJson, type Storage, type StorageOp } from "../../storage/storage.js";
import { DiscardSink, FailedSink, FileSink, StdoutSink, type AuditSink } from "./devices/file.js";
import { SocketSink } from "./devices/socket.js";
import { SyslogSink } from "./devices/syslog.js";
import { deliver, describeError, type DeliveryTarget } from "./delivery.js";
import { IsoTimeMemo, formatRequestLine, formatResponseLine, type Formatter } from "./format.js";
import {
  normaliseOptions,
  parseDeviceOptions,
  parseFormatOptions,
  type FileDeviceOptions,
  type FormatOptions,
} from "./options.js";
import { AuditSalt, type StoredSalt } from "./salt.js";
import type {
  AuditDeviceListing,
  AuditEnableConfig,
  AuditLogger,
  AuditRequestInput,
  AuditResponseInput,
} from "./types.js";

export { AuditLogFailedError } from "./delivery.js";

export const AUDIT_TABLE_KEY = "core/audit";
export const AUDIT_SALT_PREFIX = "core/audit-salt/";

interface AuditTableEntry {
  path: string;
  type: string;
  description: string;
  local: boolean;
  options: Record<string, string>;
}

interface StoredTable {
  entries: AuditTableEntry[];
}

interface ActiveDevice extends DeliveryTarget {
  entry: AuditTableEntry;
  salt: AuditSalt;
  formatter: Formatter;
  sink: AuditSink;
  /** Whether the last write failed: failures and recoveries are logged once, not per request. */
  failing: boolean;
}

export interface AuditManagerOptions {
  /** The barrier-encrypted storage; keys are `core/audit` and `core/audit-salt/<path>`. */
  storage: Storage;
  logger?: AuditLogger;
  /** Clock for entry timestamps. */
  nowMs?: () => number;
  /** How often a file device checks its path still names the open file (default 1 s). */
  filePathCheckIntervalMs?: number;
}

export class AuditManager {
  private readonly storage: Storage;
  private readonly logger: AuditLogger | undefined;
  private readonly nowMs: () => number;
  private readonly filePathCheckIntervalMs: number | undefined;
  /** Replaced, never mutated, so a log call iterates a stable snapshot. */
  private devices: readonly ActiveDevice[] = [];
  private loaded = false;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly entryTimes = new IsoTimeMemo();

  constructor(opts: AuditManagerOptions) {
    this.storage = opts.storage;
    this.logger = opts.logger;
    this.nowMs = opts.nowMs ?? Date.now;
    this.filePathCheckIntervalMs = opts.filePathCheckIntervalMs;
  }

  /** After unseal: reads the table and opens every device. */
  load(): Promise<void> {
    return this.serially(async () => {
      this.closeDevices();
      const table = (await getJson<StoredTable>(this.storage, AUDIT_TABLE_KEY)) ?? { entries: [] };
      const devices: ActiveDevice[] = [];
      for (const entry of table.entries) {
        devices.push(await this.loadDevice(entry));
      }
      this.devices = devices;
      this.loaded = true;
    });
  }

  /** Before seal or shutdown. */
  close(): Promise<void> {
    return this.serially(async () => {
      this.closeDevices();
      this.loaded = false;
    });
  }

  enable(path: string, config: AuditEnableConfig): Promise<void> {
    return this.serially(async () => {
      this.assertLoaded();
      const p = normalisePath(path);
      const options = normaliseOptions(config.options);
      const parsed = parseDeviceOptions(config.type, options);
      if (this.devices.some((d) => d.entry.path.startsWith(p) || p.startsWith(d.entry.path))) {
        throw badRequest("path already in use");
      }
      const entry: AuditTableEntry = {
        path: p,
        type: config.type,
        description: config.description ?? "",
        local: config.local ?? false,
        options,
      };
      const sink = this.createSink(parsed);
      try {
        sink.open();
      } catch (e) {
        throw badRequest(`failed to open audit file ${JSON.stringify(sink.target)}: ${describeError(e)}`);
      }
      // As Vault tests a new device before enabling it: one that cannot write would refuse
      // every request from now on, its own removal included.
      try {
        await sink.probe?.();
      } catch (e) {
        sink.close();
        throw badRequest(`audit backend failed test: ${describeError(e)}`);
      }
      const salt = AuditSalt.generate();
      const device: ActiveDevice = { entry, salt, formatter: formatterFor(parsed, salt), sink, failing: false };
      const next = [...this.devices, device];
      try {
        await this.storage.transaction([this.tablePut(next), jsonPut(saltKey(p), salt.toStored())]);
      } catch (e) {
        sink.close();
        throw e;
      }
      this.devices = next;
      this.logger?.info?.({ path: p, type: config.type }, "enabled audit backend");
    });
  }

  /** Vault answers success for a path with no device; so do we (the result says which). */
  disable(path: string): Promise<boolean> {
    return this.serially(async () => {
      this.assertLoaded();
      const p = normalisePath(path);
      const device = this.devices.find((d) => d.entry.path === p);
      if (!device) return false;
      const next = this.devices.filter((d) => d !== device);
      const ops: StorageOp[] = [this.tablePut(next), { op: "delete", key: saltKey(p) }];
      await this.storage.transaction(ops);
      this.devices = next;
      device.sink.close();
      this.logger?.info?.({ path: p }, "disabled audit backend");
      return true;
    });
  }

  /** Vault's `sys/audit` listing, keyed by path. */
  list(): Record<string, AuditDeviceListing> {
    const out: Record<string, AuditDeviceListing> = {};
    for (const d of [...this.devices].sort((a, b) => (a.entry.path < b.entry.path ? -1 : 1))) {
      const e = d.entry;
      out[e.path] = { type: e.type, description: e.description, options: { ...e.options }, local: e.local, path: e.path };
    }
    return out;
  }

  /** `sys/audit-hash/<path>`: the HMAC the device would write for `input`. */
  hash(path: string, input: string): string {
    const p = normalisePath(path);
    const device = this.devices.find((d) => d.entry.path === p);
    if (!device) throw badRequest(`unknown audit backend ${JSON.stringify(p)}`);
    return device.salt.hmac(input);
  }

  /** Whether any device is enabled (the pipeline can skip building inputs otherwise). */
  get enabled(): boolean {
    return this.devices.length > 0;
  }

  logRequest(input: AuditRequestInput): Promise<void> {
    const devices = this.devices;
    if (devices.length === 0) return Promise.resolve();
    const time = this.entryTimes.format(this.nowMs()) ?? new Date(0).toISOString();
    return deliver(devices, "request", (d) => formatRequestLine(d.formatter, input, time), this.logger);
  }

  logResponse(input: AuditResponseInput): Promise<void> {
    const devices = this.devices;
    if (devices.length === 0) return Promise.resolve();
    const time = this.entryTimes.format(this.nowMs()) ?? new Date(0).toISOString();
    return deliver(devices, "response", (d) => formatResponseLine(d.formatter, input, time), this.logger);
  }

  /** SIGHUP: every file device closes and reopens its path, so logrotate can move the file. */
  reopen(): void {
    for (const d of this.devices) {
      try {
        d.sink.reopen();
      } catch (e) {
        this.logger?.error(
          { path: d.entry.path, target: d.sink.target, error: describeError(e) },
          "audit device failed to reopen",
        );
      }
    }
  }

  /**
   * A device that does not open at load time stays registered and retries on each write:
   * requests fail (if it is the only device) until its file is writable again, rather than
   * being served unaudited. Vault instead refuses to unseal when no device loads.
   */
  private async loadDevice(entry: AuditTableEntry): Promise<ActiveDevice> {
    let salt: AuditSalt;
    const stored = await getJson<StoredSalt>(this.storage, saltKey(entry.path));
    if (stored) {
      salt = AuditSalt.fromStored(stored);
    } else {
      salt = AuditSalt.generate();
      await putJson(this.storage, saltKey(entry.path), salt.toStored());
      this.logger?.warn({ path: entry.path }, "audit device had no salt; generated a new one");
    }
    let sink: AuditSink;
    let parsed: FileDeviceOptions | undefined;
    try {
      parsed = parseDeviceOptions(entry.type, entry.options);
      sink = this.createSink(parsed);
    } catch (e) {
      const reason = `stored audit device configuration is invalid: ${describeError(e)}`;
      sink = new FailedSink(entry.path, reason);
      this.logger?.error({ path: entry.path, error: reason }, "audit device failed to load");
    }
    try {
      sink.open();
    } catch (e) {
      this.logger?.error({ path: entry.path, target: sink.target, error: describeError(e) }, "audit device failed to open");
    }
    const formatter = formatterFor(parsed ?? parseFormatOptions({}), salt);
    return { entry, salt, formatter, sink, failing: false };
  }

  private createSink(o: FileDeviceOptions): AuditSink {
    switch (o.target.kind) {
      case "stdout":
        return new StdoutSink();
      case "discard":
        return new DiscardSink();
      case "socket":
        return new SocketSink({ address: o.target.address, socketType: o.target.socketType, writeTimeoutMs: o.target.writeTimeoutMs });
      case "syslog":
        return new SyslogSink({ facility: o.target.facility, tag: o.target.tag });
      case "file":
        return new FileSink({
          filePath: o.target.filePath,
          modeBits: o.target.modeBits,
          pathCheckIntervalMs: this.filePathCheckIntervalMs,
          nowMs: this.nowMs,
        });
    }
  }

  private tablePut(devices: readonly ActiveDevice[]): StorageOp {
    const table: StoredTable = { entries: devices.map((d) => d.entry) };
    return jsonPut(AUDIT_TABLE_KEY, table);
  }

  private closeDevices(): void {
    const devices = this.devices;
    this.devices = [];
    for (const d of devices) d.sink.close();
  }

  private assertLoaded(): void {
    // Writing the table before reading it would erase the stored one.
    if (!this.loaded) throw new Error("audit table is not loaded");
  }

  /** Table changes run one at a time: two enables of one path must not both pass the check. */
  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

function formatterFor(options: FormatOptions, salt: AuditSalt): Formatter {
  // Data values are not remembered: hot reads' data is shared (its HMAC'd JSON is kept with
  // it, see format.ts), and a map of values would mostly hold one-off ones (issued passwords,
  // lease ids), in clear, for nothing.
  return { options, hmac: (v) => salt.hmac(v), hmacIdentifier: (v) => salt.hmacIdentifier(v) };
}

function normalisePath(path: string): string {
  const p = path.replace(/^\/+/, "");
  if (p === "" || p === "/") throw badRequest("audit device path must not be empty");
  return p.endsWith("/") ? p : p + "/";
}

/** Salt keys drop the trailing "/" so a device path is a plain key, never a folder. */
function saltKey(path: string): string {
  return AUDIT_SALT_PREFIX + path.slice(0, -1);
}
