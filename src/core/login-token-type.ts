import type { AuthSpec } from "../framework/types.js";

/**
 * The type of the token a login on an auth mount gets, as Vault's router decides it: a
 * mount tuned to `service` or `batch` forces that type; `default-batch` turns an auth
 * method's "default" into batch; anything else (`default-service`, `default`, unset)
 * turns it into service. An explicit choice by the auth method (its role's token_type)
 * wins over the two `default-*` settings.
 */
export function loginTokenType(mountTokenType: string | undefined, requested: AuthSpec["tokenType"]): "service" | "batch" {
  switch (mountTokenType) {
    case "service":
    case "batch":
      return mountTokenType;
    case "default-batch":
      return requested === "service" ? "service" : "batch";
    default:
      return requested === "batch" ? "batch" : "service";
  }
}
