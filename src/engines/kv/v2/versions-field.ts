import { badRequest } from "../../../framework/errors.js";

/** `versions` as Vault's TypeCommaIntSlice: [1, 2], ["1", "2"] (the CLI) or "1,2". */
export const versionsField = {
  type: "ints",
  description: "Version numbers: a list, or a comma-separated string.",
} as const;

export function requireVersions(versions: readonly number[], message: string): readonly number[] {
  if (versions.length === 0) throw badRequest(message);
  return versions;
}
