/** A `listener "tcp"` block of a configuration file. */
import { isIP } from "node:net";
import type { ForwardedForConfig } from "../http/forwarded-for.js";
import type { HclBlock, HclItem } from "../hcl/index.js";
import { DEFAULT_MAX_REQUEST_DURATION_SECONDS } from "../core/request-limits.js";
import { opensslCipherList } from "./cipher-suites.js";
import { boolOf, durationOf, settingsOf, type At } from "./config-values.js";
import { IGNORED_LISTENER, REFUSED_LISTENER } from "./vault-settings.js";

export const DEFAULT_LISTENER_ADDRESS = "127.0.0.1:8200";
export const DEFAULT_MAX_REQUEST_SIZE_BYTES = 32 * 1024 * 1024;
export { DEFAULT_MAX_REQUEST_DURATION_SECONDS };

export type TlsVersion = "tls10" | "tls11" | "tls12" | "tls13";

export interface ListenerConfig {
  /** tcp, or unix: a Unix domain socket at `address` (then host is "" and port 0). */
  readonly type: "tcp" | "unix";
  /** unix only: the socket's permission bits and owner (Vault's socket_mode, socket_user, socket_group). */
  readonly socket?: { readonly mode?: number; readonly user?: string; readonly group?: string };
  /** host:port as written (default 127.0.0.1:8200). */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  readonly tlsDisable: boolean;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  readonly tlsClientCaFile?: string;
  readonly tlsMinVersion: TlsVersion;
  readonly tlsMaxVersion: TlsVersion;
  readonly tlsRequireAndVerifyClientCert: boolean;
  readonly tlsDisableClientCerts: boolean;
  /** tls_cipher_suites as written (Go's names) and as Node takes them (OpenSSL's). */
  readonly tlsCipherSuites?: { readonly written: string; readonly openssl: string };
  /** Largest request body accepted; 0 means no limit (Vault: a negative max_request_size). */
  readonly maxRequestSizeBytes: number;
  readonly maxRequestDurationSeconds: number;
  /** Vault's x_forwarded_for_*: whom to believe about the client's address. */
  readonly forwardedFor?: ForwardedForConfig;
  /** Where the block is, for messages raised later (e.g. a port already in use). */
  readonly file: string;
  readonly line: number;
}

const LISTENER_KEYS = [
  "address",
  "cluster_address",
  "tls_disable",
  "tls_cert_file",
  "tls_key_file",
  "tls_client_ca_file",
  "tls_min_version",
  "tls_max_version",
  "tls_require_and_verify_client_cert",
  "tls_disable_client_certs",
  "tls_cipher_suites",
  "max_request_size",
  "max_request_duration",
  "x_forwarded_for_authorized_addrs",
  "x_forwarded_for_hop_skips",
  "x_forwarded_for_reject_not_authorized",
  "x_forwarded_for_reject_not_present",
] as const;

const TLS_VERSIONS: readonly TlsVersion[] = ["tls10", "tls11", "tls12", "tls13"];

const UNIX_LISTENER_KEYS = ["address", "socket_mode", "socket_user", "socket_group", "tls_disable", "max_request_size", "max_request_duration"] as const;

/**
 * `listener "unix"`: HTTP on a Unix domain socket, for clients on the same host (sidecars,
 * local tooling). No TLS: the socket's owner and mode decide who may connect.
 */
function readUnixListener(block: HclBlock, file: string, at: At, warnings: string[]): ListenerConfig {
  const where = `listener "unix"`;
  const items = settingsOf(block, where, UNIX_LISTENER_KEYS, at, { file, warnings, ignored: IGNORED_LISTENER, refused: REFUSED_LISTENER });
  const str = (key: string): string | undefined => {
    const item = items.get(key);
    if (!item) return undefined;
    if (item.value.type !== "string" && item.value.type !== "number") throw at(item.line, `${where}: ${key} must be a string`);
    const v = String(item.value.value);
    return v === "" ? undefined : v;
  };
  const address = str("address");
  if (address === undefined || !address.startsWith("/")) {
    throw at(items.get("address")?.line ?? block.item.line, `${where}: address must be the absolute path of the socket, e.g. "/run/mayfly/mayfly.sock"`);
  }
  const tlsItem = items.get("tls_disable");
  if (tlsItem && !boolOf(tlsItem.value, `${where}: tls_disable`, tlsItem.line, at)) {
    throw at(tlsItem.line, `${where}: TLS is not served on a Unix socket; set tls_disable = true or leave it out`);
  }
  const socket: { mode?: number; user?: string; group?: string } = {};
  const mode = str("socket_mode");
  if (mode !== undefined) {
    if (!/^[0-7]{3,4}$/.test(mode)) throw at(items.get("socket_mode")?.line, `${where}: socket_mode must be octal, e.g. "0660"`);
    socket.mode = parseInt(mode, 8);
  }
  const user = str("socket_user");
  if (user !== undefined) socket.user = user;
  const group = str("socket_group");
  if (group !== undefined) socket.group = group;
  return {
    type: "unix",
    address,
    host: "",
    port: 0,
    tlsDisable: true,
    tlsMinVersion: "tls12",
    tlsMaxVersion: "tls13",
    tlsRequireAndVerifyClientCert: false,
    tlsDisableClientCerts: true,
    maxRequestSizeBytes: maxRequestSize(items, where, at),
    maxRequestDurationSeconds: maxRequestDuration(items, where, at),
    socket,
    file,
    line: block.item.line,
  };
}

function maxRequestSize(items: Map<string, HclItem>, where: string, at: At): number {
  const sizeItem = items.get("max_request_size");
  if (!sizeItem) return DEFAULT_MAX_REQUEST_SIZE_BYTES;
  const v = sizeItem.value;
  if (v.type !== "number" || !Number.isInteger(v.value)) throw at(sizeItem.line, `${where}: max_request_size must be a whole number of bytes`);
  return v.value < 0 ? 0 : v.value === 0 ? DEFAULT_MAX_REQUEST_SIZE_BYTES : v.value;
}

function maxRequestDuration(items: Map<string, HclItem>, where: string, at: At): number {
  const durationItem = items.get("max_request_duration");
  if (!durationItem) return DEFAULT_MAX_REQUEST_DURATION_SECONDS;
  const seconds = durationOf(durationItem.value, `${where}: max_request_duration`, durationItem.line, at);
  return seconds > 0 ? seconds : DEFAULT_MAX_REQUEST_DURATION_SECONDS;
}

export function readListener(block: HclBlock, file: string, at: At, warnings: string[]): ListenerConfig {
  const type = block.labels[0] ?? "";
  if (type === "unix") return readUnixListener(block, file, at, warnings);
  if (type !== "tcp") throw at(block.at.line, `unknown listener type "${type}" (supported: tcp, unix)`);
  const where = `listener "tcp"`;
  const items = settingsOf(block, where, LISTENER_KEYS, at, { file, warnings, ignored: IGNORED_LISTENER, refused: REFUSED_LISTENER });
  const str = (key: string): string | undefined => {
    const item = items.get(key);
    if (!item) return undefined;
    if (item.value.type !== "string") throw at(item.line, `${where}: ${key} must be a string`);
    return item.value.value === "" ? undefined : item.value.value;
  };
  const bool = (key: string): boolean => {
    const item = items.get(key);
    return item ? boolOf(item.value, `${where}: ${key}`, item.line, at) : false;
  };
  const tlsVersion = (key: string, fallback: TlsVersion): TlsVersion => {
    const v = str(key);
    if (v === undefined) return fallback;
    if (!(TLS_VERSIONS as readonly string[]).includes(v)) {
      throw at(items.get(key)?.line, `${where}: ${key} must be one of ${TLS_VERSIONS.join(", ")}, got "${v}"`);
    }
    return v as TlsVersion;
  };

  const address = str("address") ?? DEFAULT_LISTENER_ADDRESS;
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(address.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw at(items.get("address")?.line ?? block.item.line, `${where}: invalid address "${address}" (expected host:port, e.g. "127.0.0.1:8200")`);
  }
  const host = m[1] ?? (m[2] || "0.0.0.0");

  const tlsDisable = bool("tls_disable");
  const tlsCertFile = str("tls_cert_file");
  const tlsKeyFile = str("tls_key_file");
  const tlsClientCaFile = str("tls_client_ca_file");
  if (!tlsDisable && (tlsCertFile === undefined || tlsKeyFile === undefined)) {
    const missing = tlsCertFile === undefined ? "tls_cert_file" : "tls_key_file";
    throw at(block.item.line, `${where}: ${missing} must be set, or TLS turned off with tls_disable = true`);
  }
  const tlsMinVersion = tlsVersion("tls_min_version", "tls12");
  const tlsMaxVersion = tlsVersion("tls_max_version", "tls13");
  if (TLS_VERSIONS.indexOf(tlsMaxVersion) < TLS_VERSIONS.indexOf(tlsMinVersion)) {
    throw at(items.get("tls_max_version")?.line, `${where}: tls_max_version (${tlsMaxVersion}) is below tls_min_version (${tlsMinVersion})`);
  }
  const requireClientCert = bool("tls_require_and_verify_client_cert");
  if (requireClientCert && !tlsDisable && tlsClientCaFile === undefined) {
    throw at(items.get("tls_require_and_verify_client_cert")?.line, `${where}: tls_require_and_verify_client_cert needs tls_client_ca_file`);
  }

  const maxRequestSizeBytes = maxRequestSize(items, where, at);
  const maxRequestDurationSeconds = maxRequestDuration(items, where, at);

  const forwardedFor = readForwardedFor(items, where, at);
  const suites = str("tls_cipher_suites");
  let tlsCipherSuites: ListenerConfig["tlsCipherSuites"];
  if (suites !== undefined) {
    try {
      tlsCipherSuites = { written: suites, openssl: opensslCipherList(suites) };
    } catch (e) {
      throw at(items.get("tls_cipher_suites")?.line, `${where}: tls_cipher_suites: ${(e as Error).message}`);
    }
  }

  const listener: { -readonly [K in keyof ListenerConfig]: ListenerConfig[K] } = {
    type: "tcp",
    address,
    host,
    port,
    tlsDisable,
    tlsMinVersion,
    tlsMaxVersion,
    tlsRequireAndVerifyClientCert: requireClientCert,
    tlsDisableClientCerts: bool("tls_disable_client_certs"),
    maxRequestSizeBytes,
    maxRequestDurationSeconds,
    file,
    line: block.item.line,
  };
  if (tlsCertFile !== undefined) listener.tlsCertFile = tlsCertFile;
  if (tlsKeyFile !== undefined) listener.tlsKeyFile = tlsKeyFile;
  if (tlsClientCaFile !== undefined) listener.tlsClientCaFile = tlsClientCaFile;
  if (forwardedFor) listener.forwardedFor = forwardedFor;
  if (tlsCipherSuites) listener.tlsCipherSuites = tlsCipherSuites;
  return listener;
}

function readForwardedFor(items: Map<string, HclItem>, where: string, at: At): ForwardedForConfig | undefined {
  const addrsItem = items.get("x_forwarded_for_authorized_addrs");
  if (!addrsItem) {
    for (const key of ["x_forwarded_for_hop_skips", "x_forwarded_for_reject_not_authorized", "x_forwarded_for_reject_not_present"]) {
      const item = items.get(key);
      if (item) throw at(item.line, `${where}: ${key} needs x_forwarded_for_authorized_addrs`);
    }
    return undefined;
  }
  const v = addrsItem.value;
  const texts =
    v.type === "string"
      ? v.value.split(",")
      : v.type === "list"
        ? v.items.map((i) => {
            if (i.type !== "string") throw at(addrsItem.line, `${where}: x_forwarded_for_authorized_addrs must hold strings`);
            return i.value;
          })
        : undefined;
  if (!texts) throw at(addrsItem.line, `${where}: x_forwarded_for_authorized_addrs must be a string or a list of CIDR blocks`);
  const authorizedAddrs = texts.map((t) => t.trim()).filter((t) => t !== "");
  for (const cidr of authorizedAddrs) {
    const [ip = "", bits] = cidr.split("/");
    const family = isIP(ip);
    const maxBits = family === 4 ? 32 : 128;
    if (family === 0 || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))) {
      throw at(addrsItem.line, `${where}: x_forwarded_for_authorized_addrs: "${cidr}" is not an address or CIDR block`);
    }
  }
  const hopsItem = items.get("x_forwarded_for_hop_skips");
  let hopSkips = 0;
  if (hopsItem) {
    const h = hopsItem.value;
    const n = h.type === "number" ? h.value : h.type === "string" ? Number(h.value) : NaN;
    if (!Number.isInteger(n) || n < 0) throw at(hopsItem.line, `${where}: x_forwarded_for_hop_skips must be a whole number of hops, 0 or more`);
    hopSkips = n;
  }
  const flag = (key: string): boolean => {
    const item = items.get(key);
    return item ? boolOf(item.value, `${where}: ${key}`, item.line, at) : true;
  };
  return {
    authorizedAddrs,
    hopSkips,
    rejectNotAuthorized: flag("x_forwarded_for_reject_not_authorized"),
    rejectNotPresent: flag("x_forwarded_for_reject_not_present"),
  };
}

/** A block's settings by name, refusing keys outside `allowed` and nested blocks. */
