/**
 * Printing results as Vault's command/format.go does: `table` (Key/Value with leases
 * first and durations humanised), `json` (Go's MarshalIndent of the api.Secret), `yaml`,
 * and `-field` for one raw value.
 */
import { humanDurationValue, looksLikeDuration, humanDuration } from "./duration.js";
import { goJson, goQuotedList, goTimeString, goValue, tableOutput, wrapAtLength } from "./gofmt.js";
import { secretForOutput, type Secret } from "./secret.js";
import { toYaml } from "./yaml.js";
import type { Ui } from "./io.js";

export const knownFormats = ["table", "json", "yaml", "yml", "pretty", "raw"] as const;

export interface OutputContext {
  ui: Ui;
  format: string;
  detailed?: boolean;
}

class OutputError extends Error {}

/** Serialises `data` in a machine format; table is handled by the callers. */
export function formatMachine(format: string, data: unknown): string {
  switch (format) {
    case "json":
      return goJson(data);
    case "yaml":
    case "yml":
      return toYaml(data).trim();
    case "raw":
      throw new OutputError("This command does not support the -format=raw option; only `mayfly read` does.");
    case "pretty":
      throw new OutputError("cannot use the pretty formatter for this type");
    default:
      throw new OutputError(`Invalid output format: ${format}`);
  }
}

function emitMachine(out: OutputContext, data: unknown): number {
  try {
    out.ui.output(formatMachine(out.format, data));
    return 0;
  } catch (err) {
    if (err instanceof OutputError && err.message.startsWith("Invalid output format")) {
      out.ui.error(err.message);
    } else {
      out.ui.error(`Could not parse output: ${(err as Error).message}`);
    }
    return 1;
  }
}

/** OutputSecret. */
export function outputSecret(out: OutputContext, secret: Secret | null): number {
  if (out.format !== "table") return emitMachine(out, secret === null ? null : secretForOutput(secret));
  if (secret === null) return 0;
  printWarnings(out.ui, secret);
  const table = secretTable(secret);
  if (table !== "") out.ui.output(table);
  return 0;
}

/** OutputList: the keys of a LIST response (the whole secret with -detailed in json/yaml). */
export function outputList(out: OutputContext, secret: Secret): number {
  const keys = secret.data?.["keys"];
  if (out.format !== "table") return emitMachine(out, out.detailed ? secretForOutput(secret) : (keys ?? null));
  printWarnings(out.ui, secret);
  const list = Array.isArray(keys) ? keys.map(String).sort() : [];
  const info = secret.data?.["key_info"];
  if (out.detailed && info !== null && typeof info === "object" && Object.keys(info).length > 0) {
    out.ui.output(detailedListTable(list, info as Record<string, unknown>));
  } else if (list.length > 0) {
    out.ui.output(tableOutput(["Keys"], list.map((k) => [k])));
  }
  return 0;
}

function detailedListTable(keys: string[], info: Record<string, unknown>): string {
  const headerSet = new Set<string>();
  for (const k of keys) {
    const row = info[k];
    if (row !== null && typeof row === "object") for (const h of Object.keys(row)) headerSet.add(h);
  }
  const headers = [...headerSet].sort();
  const rows = keys.map((k) => {
    const row = (info[k] ?? {}) as Record<string, unknown>;
    return [k, ...headers.map((h) => (h in row ? goValue(looksLikeDuration(h) ? humanDurationValue(row[h]) : row[h]) : "n/a"))];
  });
  return tableOutput(["Keys", ...headers], rows);
}

/** OutputData: a plain map (Key/Value table) or list, or anything in json/yaml. */
export function outputData(out: OutputContext, data: unknown): number {
  if (out.format !== "table") return emitMachine(out, data);
  if (Array.isArray(data)) {
    if (data.length > 0) out.ui.output(tableOutput(["Keys"], data.map((k) => [goValue(k)])));
    return 0;
  }
  if (data !== null && typeof data === "object") {
    const table = mapTable(data as Record<string, unknown>);
    if (table !== "") out.ui.output(table);
    return 0;
  }
  out.ui.error("Could not parse output: cannot use the table formatter for this type");
  return 1;
}

export function printWarnings(ui: Ui, secret: Secret): void {
  if (!secret.warnings || secret.warnings.length === 0) return;
  ui.warn("WARNING! The following warnings were returned from Mayfly:\n");
  for (const w of secret.warnings) {
    ui.warn(wrapAtLength(`* ${w}`, 2));
    ui.warn("");
  }
}

/** The Key/Value table of a secret; "" when there is nothing to show. */
export function secretTable(secret: Secret): string {
  const rows: string[][] = [];
  if (secret.lease_duration > 0) {
    if (secret.lease_id !== "") {
      rows.push(["lease_id", secret.lease_id]);
      rows.push(["lease_duration", humanDuration(secret.lease_duration)]);
      rows.push(["lease_renewable", String(secret.renewable)]);
    } else {
      // KV v1 reports a lease duration with no lease; Vault calls it a refresh interval.
      rows.push(["refresh_interval", humanDuration(secret.lease_duration)]);
    }
  }
  const auth = secret.auth;
  if (auth !== null) {
    rows.push(["token", auth.client_token]);
    rows.push(["token_accessor", auth.accessor]);
    rows.push(["token_duration", auth.lease_duration === 0 ? "∞" : humanDuration(auth.lease_duration)]);
    rows.push(["token_renewable", String(auth.renewable)]);
    rows.push(["token_policies", goQuotedList(auth.token_policies)]);
    rows.push(["identity_policies", goQuotedList(auth.identity_policies)]);
    rows.push(["policies", goQuotedList(auth.policies)]);
    for (const k of Object.keys(auth.metadata ?? {}).sort()) rows.push([`token_meta_${k}`, auth.metadata?.[k] ?? ""]);
  }
  const wrap = secret.wrap_info;
  if (wrap !== null) {
    rows.push(["wrapping_token:", wrap.token]);
    rows.push(["wrapping_accessor:", wrap.accessor]);
    rows.push(["wrapping_token_ttl:", humanDuration(wrap.ttl)]);
    rows.push(["wrapping_token_creation_time:", goTimeString(wrap.creation_time)]);
    rows.push(["wrapping_token_creation_path:", wrap.creation_path]);
    if (wrap.wrapped_accessor !== "") rows.push(["wrapped_accessor:", wrap.wrapped_accessor]);
  }
  rows.push(...dataRows(secret.data ?? {}));
  if (rows.length === 0) return "";
  return tableOutput(["Key", "Value"], rows);
}

function dataRows(data: Record<string, unknown>): string[][] {
  return Object.keys(data)
    .sort()
    .map((k) => [k, goValue(looksLikeDuration(k) ? humanDurationValue(data[k]) : data[k])]);
}

/** OutputMap: a Key/Value table of a plain map; "" when empty. */
export function mapTable(data: Record<string, unknown>): string {
  const rows = dataRows(data);
  return rows.length === 0 ? "" : tableOutput(["Key", "Value"], rows);
}

/** RawField: `-field=NAME` of a secret, including the auth and wrapping pseudo-fields. */
export function rawField(secret: Secret, field: string): unknown {
  const data = secret.data ?? {};
  if (secret.auth !== null) {
    const a = secret.auth;
    const authFields: Record<string, unknown> = {
      token: a.client_token,
      token_accessor: a.accessor,
      token_duration: a.lease_duration,
      token_renewable: a.renewable,
      token_policies: a.token_policies,
      identity_policies: a.identity_policies,
      policies: a.policies,
    };
    return field in authFields ? authFields[field] : data[field];
  }
  if (secret.wrap_info !== null) {
    const w = secret.wrap_info;
    const wrapFields: Record<string, unknown> = {
      wrapping_token: w.token,
      wrapping_accessor: w.accessor,
      wrapping_token_ttl: w.ttl,
      wrapping_token_creation_time: w.creation_time,
      wrapping_token_creation_path: w.creation_path,
      wrapped_accessor: w.wrapped_accessor,
    };
    return field in wrapFields ? wrapFields[field] : data[field];
  }
  switch (field) {
    case "lease_duration":
    case "refresh_interval":
      return secret.lease_duration;
    case "lease_id":
      return secret.lease_id;
    case "request_id":
      return secret.request_id;
    case "renewable":
      return secret.renewable;
    case "data":
      return "data" in data ? data["data"] : data;
    default:
      return data[field];
  }
}

/** PrintRawField: the value alone; no newline when stdout is not a terminal (PrintRaw). */
export function printRawField(out: OutputContext, source: { secret: Secret } | { map: Record<string, unknown> }, field: string): number {
  const value = "secret" in source ? rawField(source.secret, field) : source.map[field];
  if (value === undefined || value === null) {
    out.ui.error(`Field "${field}" not present in secret`);
    return 1;
  }
  let text: string;
  if (out.format === "" || out.format === "table" || out.format === "raw") {
    text = goValue(value);
  } else {
    try {
      text = formatMachine(out.format, value);
    } catch (err) {
      out.ui.error(`Error formatting output: ${(err as Error).message}`);
      return 1;
    }
  }
  if (out.ui.stdoutIsTty) out.ui.output(text);
  else out.ui.raw(text);
  return 0;
}
