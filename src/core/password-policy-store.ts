import type { Storage } from "../storage/storage.js";
import { getJson, putJson } from "../storage/storage.js";
import { badRequest } from "../framework/errors.js";
import { generateDefaultPassword, generatePassword, parsePasswordPolicy, type PasswordPolicy } from "./password-policy/index.js";

interface StoredPasswordPolicy {
  policy: string;
}

/** `sys/policies/password/<name>`: named generators that engines use for new credentials. */
export class PasswordPolicyStore {
  private readonly cache = new Map<string, PasswordPolicy>();

  constructor(private readonly storage: Storage) {}

  async load(): Promise<void> {
    this.cache.clear();
  }

  unload(): void {
    this.cache.clear();
  }

  async read(name: string): Promise<string | undefined> {
    return (await getJson<StoredPasswordPolicy>(this.storage, checkName(name)))?.policy;
  }

  async write(name: string, text: string): Promise<void> {
    const n = checkName(name);
    const parsed = parsePasswordPolicy(text);
    // Vault refuses a policy that cannot produce a password; generating once proves it can.
    generatePassword(parsed);
    await putJson(this.storage, n, { policy: text } satisfies StoredPasswordPolicy);
    this.cache.set(n, parsed);
  }

  async delete(name: string): Promise<void> {
    const n = checkName(name);
    await this.storage.delete(n);
    this.cache.delete(n);
  }

  list(): Promise<string[]> {
    return this.storage.list("");
  }

  /** A password from the named policy, or Vault's default generator for "". */
  async generate(name: string): Promise<string> {
    if (name === "") return generateDefaultPassword();
    const n = checkName(name);
    let p = this.cache.get(n);
    if (!p) {
      const text = await this.read(n);
      if (text === undefined) throw badRequest(`password policy "${n}" not found`);
      p = parsePasswordPolicy(text);
      this.cache.set(n, p);
    }
    return generatePassword(p);
  }
}

function checkName(name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(name)) throw badRequest(`invalid password policy name "${name}"`);
  return name;
}
