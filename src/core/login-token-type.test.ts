import { describe, expect, it } from "vitest";
import { loginTokenType } from "./login-token-type.js";

describe("loginTokenType", () => {
  it("lets a mount tuned to service or batch force the type", () => {
    for (const requested of ["service", "batch", "default", undefined] as const) {
      expect(loginTokenType("batch", requested)).toBe("batch");
      expect(loginTokenType("service", requested)).toBe("service");
    }
  });

  it("turns the auth method's default into the mount's default, and keeps an explicit choice", () => {
    expect(loginTokenType("default-batch", "default")).toBe("batch");
    expect(loginTokenType("default-batch", undefined)).toBe("batch");
    expect(loginTokenType("default-batch", "service")).toBe("service");
    expect(loginTokenType("default-service", "default")).toBe("service");
    expect(loginTokenType("default-service", "batch")).toBe("batch");
    expect(loginTokenType(undefined, undefined)).toBe("service");
    expect(loginTokenType(undefined, "batch")).toBe("batch");
  });
});
