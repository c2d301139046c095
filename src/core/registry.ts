import type { BackendFactory } from "../framework/types.js";

/**
 * Which backend serves which mount type. Engines and auth methods register here; the
 * core only looks types up.
 */
export class BackendRegistry {
  private readonly secrets = new Map<string, BackendFactory>();
  private readonly auths = new Map<string, BackendFactory>();

  registerSecret(type: string, factory: BackendFactory): this {
    this.secrets.set(type, factory);
    return this;
  }

  registerAuth(type: string, factory: BackendFactory): this {
    this.auths.set(type, factory);
    return this;
  }

  secret(type: string): BackendFactory | undefined {
    return this.secrets.get(type);
  }

  auth(type: string): BackendFactory | undefined {
    return this.auths.get(type);
  }

  /** The registered secrets engine types, for the plugin catalog. */
  secretTypes(): string[] {
    return [...this.secrets.keys()];
  }

  /** The registered auth method types, for the plugin catalog. */
  authTypes(): string[] {
    return [...this.auths.keys()];
  }
}
