/**
 * The token file, as Vault's internal token helper keeps ~/.vault-token: the bare token,
 * no newline, mode 0600, replaced atomically; whitespace trimmed on read.
 */
import { chmod, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

export const tokenFileName = ".mayfly-token";

export class TokenHelper {
  readonly path: string;
  constructor(homeDir: string) {
    this.path = join(homeDir, tokenFileName);
  }

  async get(): Promise<string> {
    try {
      return (await readFile(this.path, "utf8")).trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
      throw err;
    }
  }

  async store(token: string): Promise<void> {
    // A temp file then rename, so a reader never sees half a token; 0600 from creation
    // so the token is never readable by others, even briefly.
    const tmp = `${this.path}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await writeFile(tmp, token.trim(), { mode: 0o600 });
      await chmod(tmp, 0o600);
      await rename(tmp, this.path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async erase(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
