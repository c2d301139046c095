import { parseDurationMs } from "../../framework/duration.js";
import { badRequest } from "../../framework/errors.js";

export type AuditFormat = "json" | "jsonx";

/** How a device turns a request/response into a line. */
export interface FormatOptions {
  logRaw: boolean;
  hmacAccessor: boolean;
  elideListResponses: boolean;
  format: AuditFormat;
  prefix: string;
}

export type FileTarget =
  | { kind: "stdout" }
  | { kind: "discard" }
  | { kind: "file"; filePath: string; modeBits: number }
  | { kind: "socket"; address: string; socketType: "tcp" | "udp" | "unix"; writeTimeoutMs: number }
  | { kind: "syslog"; facility: string; tag: string };

/** The device types served: Vault's three. */
export const DEVICE_TYPES = ["file", "socket", "syslog"] as const;

/** A device's options by its type; errors are 400s naming the option. */
export function parseDeviceOptions(type: string, options: Readonly<Record<string, string>>): FileDeviceOptions {
  if (type === "file") return parseFileOptions(options);
  if (type === "socket") return parseSocketOptions(options);
  if (type === "syslog") return parseSyslogOptions(options);
  throw badRequest(`unknown audit backend type: ${type}`);
}

/** Vault's facilities, as its syslog library knows them (any case). */
const SYSLOG_FACILITIES = new Set([
  "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
  "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
]);

/** Vault's syslog device: facility (AUTH), tag ("vault"). */
export function parseSyslogOptions(options: Readonly<Record<string, string>>): FileDeviceOptions {
  const facility = (options.facility ?? "AUTH").trim().toLowerCase() || "auth";
  if (!SYSLOG_FACILITIES.has(facility)) throw badRequest(`invalid syslog facility: ${JSON.stringify(options.facility)}`);
  const tag = options.tag ?? "vault";
  // The tag goes on `logger`'s command line and into every message's header.
  if (/[\x00-\x1f\x7f]/.test(tag)) throw badRequest(`invalid "tag": control characters are not allowed`);
  return { target: { kind: "syslog", facility, tag: tag === "" ? "vault" : tag }, ...parseFormatOptions(options) };
}

/** Vault's socket device: address (required), socket_type tcp|udp|unix, write_timeout (2s). */
export function parseSocketOptions(options: Readonly<Record<string, string>>): FileDeviceOptions {
  const address = (options.address ?? "").trim();
  if (address === "") throw badRequest(`"address" is required`);
  const socketType = (options.socket_type ?? "tcp").trim().toLowerCase() || "tcp";
  if (socketType !== "tcp" && socketType !== "udp" && socketType !== "unix") {
    throw badRequest(`invalid "socket_type" ${JSON.stringify(options.socket_type)}: use "tcp", "udp" or "unix"`);
  }
  if (socketType !== "unix" && !/^(?:\[[^\]]+\]|[^:]*):\d{1,5}$/.test(address)) {
    throw badRequest(`invalid "address" ${JSON.stringify(address)}: expected host:port`);
  }
  let writeTimeoutMs = 2000;
  const rawTimeout = (options.write_timeout ?? "").trim();
  if (rawTimeout !== "") {
    try {
      writeTimeoutMs = parseDurationMs(rawTimeout);
    } catch {
      throw badRequest(`invalid "write_timeout" ${JSON.stringify(options.write_timeout)}`);
    }
    if (!(writeTimeoutMs > 0)) throw badRequest(`"write_timeout" must be positive`);
  }
  return { target: { kind: "socket", address, socketType, writeTimeoutMs }, ...parseFormatOptions(options) };
}

export interface FileDeviceOptions extends FormatOptions {
  target: FileTarget;
}

const DEFAULT_MODE = 0o600;

/** Parses a `file` device's options the way Vault does; errors are 400s naming the option. */
export function parseFileOptions(options: Readonly<Record<string, string>>): FileDeviceOptions {
  // `path` is the option's pre-0.8 name; Vault still accepts it.
  const rawPath = (options.file_path ?? options.path ?? "").trim();
  if (rawPath === "") throw badRequest(`"file_path" is required`);
  const modeBits = parseMode(options.mode); // validated even where unused, as Vault does
  let target: FileTarget;
  if (rawPath.toLowerCase() === "stdout") target = { kind: "stdout" };
  else if (rawPath.toLowerCase() === "discard") target = { kind: "discard" };
  else target = { kind: "file", filePath: rawPath, modeBits };
  return { target, ...parseFormatOptions(options) };
}

export function parseFormatOptions(options: Readonly<Record<string, string>>): FormatOptions {
  const format = (options.format ?? "json").trim() || "json";
  if (format !== "json" && format !== "jsonx") throw badRequest(`invalid format "${format}": use "json" or "jsonx"`);
  return {
    logRaw: parseBoolOption(options, "log_raw", false),
    hmacAccessor: parseBoolOption(options, "hmac_accessor", true),
    elideListResponses: parseBoolOption(options, "elide_list_responses", false),
    format,
    prefix: options.prefix ?? "",
  };
}

/** "0000" means: leave the mode of an existing file alone (Vault's convention). */
function parseMode(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === "") return DEFAULT_MODE;
  const s = raw.trim();
  if (!/^[0-7]{1,4}$/.test(s)) throw badRequest(`invalid "mode" ${JSON.stringify(raw)}: expected an octal string such as "0600"`);
  return parseInt(s, 8);
}

// Go's strconv.ParseBool, which Vault uses for every boolean option.
const TRUE_STRINGS = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE_STRINGS = new Set(["0", "f", "F", "FALSE", "false", "False"]);

export function parseBoolOption(options: Readonly<Record<string, string>>, name: string, fallback: boolean): boolean {
  const raw = options[name];
  if (raw === undefined || raw === "") return fallback;
  if (TRUE_STRINGS.has(raw)) return true;
  if (FALSE_STRINGS.has(raw)) return false;
  throw badRequest(`unable to parse "${name}": ${JSON.stringify(raw)} is not a boolean`);
}

/**
 * Options arrive from JSON bodies; Vault decodes them weakly into strings, so a client that
 * sends `"log_raw": true` or `"mode": 600` still works. Anything else is refused.
 */
export function normaliseOptions(options: unknown): Record<string, string> {
  if (options === undefined || options === null) return {};
  if (typeof options !== "object" || Array.isArray(options)) throw badRequest(`"options" must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(options as Record<string, unknown>)) {
    if (typeof v === "string") out[k] = v;
    else if (typeof v === "boolean") out[k] = v ? "true" : "false";
    else if (typeof v === "number" && Number.isFinite(v)) out[k] = String(v);
    else throw badRequest(`option "${k}" must be a string`);
  }
  return out;
}
