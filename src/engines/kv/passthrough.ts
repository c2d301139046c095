/**
 * Unversioned key/value paths: KV v1 and (scoped to a token) the cubbyhole. The body of a
 * write is stored as-is and returned as-is by a read, whatever its keys and JSON types.
 */
import { badRequest, notFound } from "../../framework/errors.js";
import type { FieldSchemas } from "../../framework/fields.js";
import { definePath, type PathDef, type Request, type Response } from "../../framework/types.js";
import { getFrozenJson, putJson, type Storage } from "../../storage/storage.js";

export interface PassthroughScope {
  readonly storage: Storage;
  /** Prefix of the caller's keys: "" for KV v1, `<token hash>/` for a cubbyhole. */
  prefixFor(req: Request): string;
  /**
   * Reads and deletes of the mount root: Vault's KV v1 treats "" as an absent key (404,
   * 204) where the cubbyhole refuses it with "missing path".
   */
  readonly rootIsError: boolean;
  /**
   * KV v1 reports a re-read hint as the envelope's `lease_duration` with no lease id
   * (Vault's "refresh_interval"); the cubbyhole reports none.
   */
  refreshSeconds?(data: Readonly<Record<string, unknown>>, req: Request): number;
  /** Help of the mount's root, of any key under it, and what `path` names: each scope words its own. */
  readonly help: { readonly root: string; readonly key: string; readonly path: string };
}

export function passthroughPaths(scope: PassthroughScope): PathDef[] {
  const fields = { path: { type: "string", description: scope.help.path } } as const satisfies FieldSchemas;
  const keyOf = (req: Request): string => req.relativePath;

  const read = async (req: Request): Promise<Response | undefined> => {
    const key = keyOf(req);
    if (key === "") {
      if (scope.rootIsError) throw badRequest("missing path");
      throw notFound();
    }
    // Shared and frozen until the key is written: nothing after the handler changes a response's data.
    const data = await getFrozenJson<Record<string, unknown>>(scope.storage, scope.prefixFor(req) + key);
    if (data === undefined) throw notFound();
    if (!scope.refreshSeconds) return { data };
    // No lease is created: an empty lease id tells the core and clients there is nothing to renew.
    return { data, secret: { leaseId: "", leaseDurationSeconds: scope.refreshSeconds(data, req), renewable: false } };
  };

  const write = async (req: Request): Promise<Response | undefined> => {
    const key = keyOf(req);
    if (Object.keys(req.data).length === 0) throw badRequest("missing data fields");
    if (key === "") throw badRequest("missing path");
    await putJson(scope.storage, scope.prefixFor(req) + key, req.data);
    return undefined;
  };

  const remove = async (req: Request): Promise<Response | undefined> => {
    const key = keyOf(req);
    if (key === "") {
      if (scope.rootIsError) throw badRequest("missing path");
      return undefined;
    }
    await scope.storage.delete(scope.prefixFor(req) + key);
    return undefined;
  };

  const list = async (req: Request): Promise<Response | undefined> => {
    let folder = keyOf(req);
    if (folder === "/") folder = "";
    if (folder !== "" && !folder.endsWith("/")) folder += "/";
    const keys = await scope.storage.list(scope.prefixFor(req) + folder);
    if (keys.length === 0) throw notFound();
    return { data: { keys } };
  };

  const exists = async (req: Request): Promise<boolean> => {
    const key = keyOf(req);
    return key !== "" && (await scope.storage.get(scope.prefixFor(req) + key)) !== undefined;
  };

  const operations = { read, create: write, update: write, delete: remove, list };
  return [
    // The root: only a listing means anything there, the rest answer as Vault does.
    definePath({ pattern: "/", fields, operations, existenceCheck: exists, takesArbitraryInput: true, pureReads: true, help: scope.help.root }),
    definePath({ pattern: "*path", fields, operations, existenceCheck: exists, takesArbitraryInput: true, pureReads: true, help: scope.help.key }),
  ];
}
