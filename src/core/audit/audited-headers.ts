/**
 * Vault's audited request headers (`sys/config/auditing/request-headers`): the operator
 * names the request headers that audit entries carry, each in clear or HMAC'd. None by
 * default, so no header reaches an audit log unless asked for; credential headers
 * (X-Vault-Token, Authorization, cookies) are HMAC'd whatever the setting.
 */
import { badRequest } from "../../framework/errors.js";
import { getJson, putJson, type Storage } from "../../storage/storage.js";

export interface AuditedHeaderSettings {
  hmac: boolean;
}

const KEY = "audited-headers";

export class AuditedHeaders {
  /** Lower-case header name -> settings; empty while sealed. */
  private headers = new Map<string, AuditedHeaderSettings>();
  private serial: Promise<unknown> = Promise.resolve();

  constructor(private readonly storage: Storage) {}

  async load(): Promise<void> {
    const stored = (await getJson<Record<string, AuditedHeaderSettings>>(this.storage, KEY)) ?? {};
    this.headers = new Map(Object.entries(stored).map(([k, v]) => [k, { hmac: v.hmac === true }]));
  }

  unload(): void {
    this.headers = new Map();
  }

  all(): Record<string, AuditedHeaderSettings> {
    return Object.fromEntries([...this.headers].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, { ...v }]));
  }

  get(name: string): AuditedHeaderSettings | undefined {
    const v = this.headers.get(name.toLowerCase());
    return v ? { ...v } : undefined;
  }

  set(name: string, settings: AuditedHeaderSettings): Promise<void> {
    return this.change((next) => next.set(checkName(name), { hmac: settings.hmac }));
  }

  delete(name: string): Promise<void> {
    return this.change((next) => next.delete(checkName(name)));
  }

  /** The configured headers a request carries (lower-case names), and which to HMAC; undefined when none. */
  select(requestHeaders: Readonly<Record<string, string | string[] | undefined>>): { headers: Record<string, string[]>; hmac: string[] } | undefined {
    if (this.headers.size === 0) return undefined;
    const headers: Record<string, string[]> = {};
    const hmac: string[] = [];
    for (const [name, settings] of this.headers) {
      const v = requestHeaders[name];
      if (v === undefined) continue;
      headers[name] = Array.isArray(v) ? [...v] : [v];
      if (settings.hmac) hmac.push(name);
    }
    return Object.keys(headers).length > 0 ? { headers, hmac } : undefined;
  }

  private change(apply: (next: Map<string, AuditedHeaderSettings>) => void): Promise<void> {
    const run = this.serial.then(async () => {
      const next = new Map(this.headers);
      apply(next);
      await putJson(this.storage, KEY, Object.fromEntries(next));
      this.headers = next;
    });
    this.serial = run.catch(() => undefined);
    return run;
  }
}

function checkName(name: string): string {
  const n = name.trim().toLowerCase();
  if (n === "") throw badRequest("missing header name");
  return n;
}
