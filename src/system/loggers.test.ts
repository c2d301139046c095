import { describe, expect, it } from "vitest";
import { parseLevel } from "./loggers.js";

describe("parseLevel", () => {
  it("takes Vault's level words in any case, with hclog's aliases", () => {
    expect(parseLevel("trace")).toBe("trace");
    expect(parseLevel("DEBUG")).toBe("debug");
    expect(parseLevel(" Info ")).toBe("info");
    expect(parseLevel("warning")).toBe("warn");
    expect(parseLevel("err")).toBe("error");
  });

  it("refuses anything else with a 400", () => {
    expect(() => parseLevel("verbose")).toThrow(/^invalid level provided/);
    let caught: unknown;
    try {
      parseLevel("off");
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ status: 400 });
  });
});
