import { describe, expect, it } from "vitest";
import { BackendRegistry } from "../core/registry.js";
import type { Backend } from "../framework/types.js";
import { builtinCatalog, parsePluginType } from "./plugins-catalog.js";

const stub = (): Backend => ({ type: "stub", paths: [] });

describe("builtinCatalog", () => {
  it("lists registered engines, auth methods and database plugins, sorted, without core-only types", () => {
    const registry = new BackendRegistry()
      .registerSecret("system", stub)
      .registerSecret("kv", stub)
      .registerSecret("identity", stub)
      .registerSecret("cubbyhole", stub)
      .registerSecret("database", stub)
      .registerAuth("userpass", stub)
      .registerAuth("token", stub)
      .registerAuth("approle", stub);
    expect(builtinCatalog({ registry, databasePlugins: ["redis-database-plugin", "mysql-database-plugin"] })).toEqual([
      { type: "auth", name: "approle" },
      { type: "auth", name: "userpass" },
      { type: "database", name: "mysql-database-plugin" },
      { type: "database", name: "redis-database-plugin" },
      { type: "secret", name: "database" },
      { type: "secret", name: "kv" },
    ]);
  });

  it("is empty without a registry or database plugins", () => {
    expect(builtinCatalog({ registry: undefined, databasePlugins: [] })).toEqual([]);
  });
});

describe("parsePluginType", () => {
  it("takes Vault's three types and refuses the rest", () => {
    expect(parsePluginType("auth")).toBe("auth");
    expect(parsePluginType("database")).toBe("database");
    expect(parsePluginType("secret")).toBe("secret");
    expect(() => parsePluginType("unknown")).toThrow('"unknown" is not a supported plugin type');
    expect(() => parsePluginType("Secret")).toThrow(/not a supported plugin type/);
  });
});
