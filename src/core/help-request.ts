/**
 * `GET /v1/<path>?help=1`: the help of the path a mount would route the request to.
 * As in Vault, help needs a valid token (or an unauthenticated path) but no capability on
 * the path: the ACL allows help everywhere, except that a path needing `sudo` needs a
 * root token, since no policy grants sudo for help. The request uses the token like any
 * other and is audited as operation "help".
 */
import { MayflyError, isMayflyError, notFound, permissionDenied } from "../framework/errors.js";
import { helpFor } from "../framework/help.js";
import type { Response } from "../framework/types.js";
import type { AuditRequestInput } from "./audit/index.js";
import type { Core } from "./core.js";
import type { Mounted } from "./mounts.js";
import type { TokenEntry } from "./tokens/token-entry.js";
import { mayflyVersion } from "../framework/version.js";

export interface HelpRequest {
  readonly requestId: string;
  /** The full path after /v1/. */
  readonly path: string;
  readonly mounted: Mounted | undefined;
  readonly relativePath: string;
  readonly unauthenticated: boolean;
  /** The caller's resolved token; the pipeline has already refused a missing one where it matters. */
  readonly entry: TokenEntry | undefined;
  readonly audit: AuditRequestInput;
}

export interface HelpResult {
  requestId: string;
  response: Response;
  mountType: string;
}


export async function serveHelp(core: Core, h: HelpRequest): Promise<HelpResult> {
  const auditing = core.audit.enabled;
  const refuse = async (err: MayflyError): Promise<never> => {
    if (auditing) {
      const error = err.errors.join("; ") || `status ${err.status}`;
      await core.audit.logRequest({ ...h.audit, error }).catch(() => undefined);
      await core.audit.logResponse({ ...h.audit, error }).catch(() => undefined);
    }
    throw err;
  };
  const { mounted, relativePath } = h;
  const isRoot = h.entry?.policies.includes("root") ?? false;
  if (mounted && !h.unauthenticated && mounted.needsSudo(relativePath) && !isRoot) await refuse(permissionDenied());
  if (!mounted) await refuse(notFound(`no handler for route "${h.path}". route entry not found.`));
  const m = mounted as Mounted;

  if (auditing) {
    await core.audit.logRequest(h.audit).catch((err: unknown) => {
      core.logger.error("audit: no device could record the request", { error: err instanceof Error ? err.message : String(err) });
      throw new MayflyError(500, ["internal error"]);
    });
  }
  const use = h.entry && !h.unauthenticated ? await core.tokens.use(h.entry) : "unlimited";
  try {
    if (use === "spent") throw permissionDenied();
    const match = relativePath === "" ? undefined : m.runner.table.match(relativePath);
    const data = helpFor(m.runner.backend, match?.def, relativePath, {
      mountType: m.entry.type,
      mountDescription: m.entry.description,
      version: mayflyVersion(),
      needsSudo: m.needsSudo,
      isUnauthenticated: m.isUnauthenticated,
    });
    if (!data) throw notFound("unsupported path");
    if (auditing) {
      await core.audit.logResponse({ ...h.audit, response: { data: { help: data.help, see_also: null } } }).catch((err: unknown) => {
        core.logger.error("audit: no device could record the response", { error: err instanceof Error ? err.message : String(err) });
        throw new MayflyError(500, ["internal error"]);
      });
    }
    return { requestId: h.requestId, response: { data: { ...data }, bare: true }, mountType: m.entry.type };
  } catch (err) {
    if (auditing && isMayflyError(err) && err.status !== 500) {
      await core.audit.logResponse({ ...h.audit, error: err.errors.join("; ") }).catch(() => undefined);
    }
    throw err;
  } finally {
    if (use === "last" && h.entry) await core.tokens.revokeTree(h.entry.hash).catch(() => undefined);
  }
}
