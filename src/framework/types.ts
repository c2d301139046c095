import type { Storage } from "../storage/storage.js";
import type { Fields, FieldSchemas } from "./fields.js";

export type Operation = "create" | "read" | "update" | "patch" | "delete" | "list";

/** What the core knows about the caller once its token is resolved. */
export interface Caller {
  /** The client token as sent; empty when the request carried none. Never log it. */
  readonly clientToken: string;
  readonly accessor: string;
  readonly policies: readonly string[];
  readonly displayName: string;
  readonly entityId: string;
  readonly tokenType: "service" | "batch" | "";
  /** Storage key of the token (keyed hash), for leases the token owns. */
  readonly tokenHash: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** A mount as a backend sees it: its place, and the TTL limits that apply to it. */
export interface MountInfo {
  readonly path: string;
  readonly type: string;
  readonly accessor: string;
  readonly uuid: string;
  readonly kind: "secret" | "auth";
  readonly options: Readonly<Record<string, string>>;
  /** Effective TTLs in seconds: the mount's tuning, else the system's. */
  defaultLeaseTtlSeconds(): number;
  maxLeaseTtlSeconds(): number;
  /** `user_lockout_config` from `sys/auth/<path>/tune`, normalised (seconds); undefined when unset. */
  userLockoutConfig(): Readonly<UserLockoutTune> | undefined;
}

export interface UserLockoutTune {
  lockout_threshold?: number;
  lockout_duration?: number;
  lockout_counter_reset?: number;
  lockout_disable?: boolean;
}

export interface ConnectionInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** DER of the TLS client certificate, when one was presented. */
  readonly peerCertificateDer?: Buffer;
}

/** What a leased secret looks like to the lease manager when a handler issues one. */
export interface SecretSpec {
  /** The backend's secret type, whose revoke/renew handlers apply to this lease. */
  readonly secretType: string;
  readonly ttlSeconds: number;
  /** Hard cap in seconds from issue; 0 means the mount's and system's max apply. */
  readonly maxTtlSeconds: number;
  readonly renewable: boolean;
  /** Kept with the lease and handed back on renew/revoke (e.g. the username). Not returned to clients. */
  readonly internal: Readonly<Record<string, unknown>>;
}

export interface LeaseIssuer {
  /**
   * Records the intent to create a secret, runs `create`, then stores the lease; the
   * caller hears of the secret only once its lease is stored. If `create` fails, or the
   * process dies in between, recovery revokes what `create` may have made.
   */
  issue(spec: SecretSpec, create: (expiresAt: Date) => Promise<Record<string, unknown>>): Promise<Response>;
}

export interface Request {
  readonly id: string;
  readonly operation: Operation;
  /** The full path after /v1/, e.g. `secret/data/app`. */
  readonly path: string;
  /** The path inside the mount, e.g. `data/app`. */
  readonly relativePath: string;
  readonly mount: MountInfo;
  data: Record<string, unknown>;
  readonly storage: Storage;
  readonly caller: Caller;
  readonly connection: ConnectionInfo;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly leases: LeaseIssuer;
  /** Unix milliseconds, from the core's clock. */
  readonly nowMs: number;
}

export interface AuthSpec {
  readonly policies: readonly string[];
  readonly metadata?: Readonly<Record<string, string>>;
  readonly displayName: string;
  readonly ttlSeconds?: number;
  readonly maxTtlSeconds?: number;
  readonly explicitMaxTtlSeconds?: number;
  readonly periodSeconds?: number;
  readonly numUses?: number;
  readonly renewable?: boolean;
  readonly noDefaultPolicy?: boolean;
  readonly tokenType?: "service" | "batch" | "default";
  readonly boundCidrs?: readonly string[];
  /** Auth-method data needed to renew the login (e.g. the role name). */
  readonly internal?: Readonly<Record<string, unknown>>;
  readonly alias?: { readonly name: string; readonly metadata?: Readonly<Record<string, string>> };
}

/** Vault's `wrap_info`: the real response waits in the cubbyhole of a single-use token. */
export interface ResponseWrapInfo {
  readonly token: string;
  readonly accessor: string;
  readonly ttlSeconds: number;
  /** Unix milliseconds. */
  readonly creationTimeMs: number;
  readonly creationPath: string;
  /** Accessor of the token inside the wrapped response (a wrapped login); "" when none. */
  readonly wrappedAccessor: string;
}

export interface ResponseStream {
  readonly contentType: string;
  /** `end` finishes the answer from the producer's side (the server shutting down). */
  start(write: (chunk: string) => void, end: () => void): () => void;
}

export interface Response {
  data?: Record<string, unknown> | null;
  warnings?: string[];
  /** Filled by the lease manager when a secret was issued. */
  secret?: { leaseId: string; leaseDurationSeconds: number; renewable: boolean };
  /** An auth method's login result: the core turns it into a token. */
  authSpec?: AuthSpec;
  /** The `auth` block of the envelope (token creation and logins). */
  auth?: Record<string, unknown>;
  /** Overrides the status (202 for queued revocations, 404 carrying data). */
  status?: number;
  /** Copy `data` keys to the top level of the envelope (Vault does this for some sys paths). */
  injectDataAtTop?: boolean;
  /** Serve `data` as the whole body, without the envelope (sys/health, sys/seal-status, ...). */
  bare?: boolean;
  /** A non-JSON body (metrics text, PEM). */
  raw?: { contentType: string; body: string | Buffer };
  /**
   * A body written as it is produced, until the client goes (sys/monitor): `start` gets a
   * writer and an ender and returns the function that stops it.
   */
  stream?: ResponseStream;
  /** Reported in the envelope's `mount_type`. */
  mountType?: string;
  /** Set once the response is wrapped: then it is the only payload the client sees. */
  wrapInfo?: ResponseWrapInfo;
}

export type Handler<F extends FieldSchemas = FieldSchemas> = (
  req: Request,
  fields: Fields<F>,
) => Promise<Response | undefined>;

export interface PathDef<F extends FieldSchemas = FieldSchemas> {
  /**
   * Segments: literals, `:name` (one segment), `*name` (the rest, may contain `/`).
   * A trailing `/` makes it a listing path that also matches without the slash.
   * Several patterns may share one declaration.
   */
  readonly pattern: string | readonly string[];
  readonly fields?: F;
  readonly operations: Partial<Record<Operation, Handler<F>>>;
  /** Any body key is welcome (KV v1, cubbyhole): no "unrecognized parameters" warning. */
  readonly takesArbitraryInput?: boolean;
  /**
   * Its read handler changes nothing, here or on any target (a KV read; not a database
   * role's creds, which make a user). Such a read may run before its request's audit line
   * is written; its answer still waits for both of its lines.
   */
  readonly pureReads?: boolean;
  /** Decides create vs update for writes, as Vault's ExistenceCheck does. */
  readonly existenceCheck?: (req: Request, fields: Fields<F>) => Promise<boolean>;
  readonly help?: string;
}

export interface SecretType {
  revoke(req: Request, internal: Readonly<Record<string, unknown>>): Promise<void>;
  /** Returns the new TTL in seconds (bounded by the lease manager), or throws. Absent = not renewable. */
  renew?(req: Request, internal: Readonly<Record<string, unknown>>, increment: number): Promise<{ ttlSeconds: number; maxTtlSeconds?: number }>;
  /**
   * The lease was dropped without the target confirming its revocation (`revoke-force`):
   * what it issued may still exist. Lets the backend remember that (best effort).
   */
  forgotten?(req: Request, internal: Readonly<Record<string, unknown>>): Promise<void>;
  /**
   * The target confirmed `revoke`: tidy what the backend kept about the secret. Runs side by
   * side with the removal of the lease record, so their writes share one storage commit.
   * Best effort: a failure is logged and the revocation stands.
   */
  revoked?(req: Request, internal: Readonly<Record<string, unknown>>): Promise<void>;
}

export interface Backend {
  readonly type: string;
  readonly paths: readonly PathDef[];
  readonly secretTypes?: Readonly<Record<string, SecretType>>;
  /**
   * Paths (relative, Vault globs: a trailing `*` matches any suffix) that need `sudo`
   * on top of the operation's capability (Vault's PathsSpecial.Root).
   */
  readonly rootPaths?: readonly string[];
  /** Paths served without a token (logins). Same glob form. */
  readonly unauthenticatedPaths?: readonly string[];
  /** Called when the mount is unmounted or the core seals. */
  cleanup?(): Promise<void>;
  /** For auth methods: renews a token issued by a login, may refuse. */
  renewAuth?(req: Request, internal: Readonly<Record<string, unknown>>): Promise<void>;
  /** For auth methods with user lockout (sys/locked-users): who is locked out, and unlocking. */
  readonly lockout?: {
    lockedUsers(nowMs: number): Promise<string[]>;
    unlock(aliasIdentifier: string): Promise<void>;
  };
}

/** Everything a backend factory gets: its own storage and mount, and shared services. */
export interface BackendContext {
  readonly storage: Storage;
  readonly mount: MountInfo;
  readonly system: SystemView;
}

/** The small slice of the core that backends may use. */
export interface SystemView {
  nowMs(): number;
  /** Generates a password from a named password policy, or the default generator when "". */
  generatePassword(policyName: string): Promise<string>;
  /**
   * How long one call to a system outside Mayfly (a database) may take before it is given
   * up: the server's default_max_request_duration, as Vault bounds a request's context.
   */
  readonly operationTimeoutMs: number;
  readonly logger: Logger;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, string | number | boolean>): void;
  info(msg: string, fields?: Record<string, string | number | boolean>): void;
  warn(msg: string, fields?: Record<string, string | number | boolean>): void;
  error(msg: string, fields?: Record<string, string | number | boolean>): void;
}

export type BackendFactory = (ctx: BackendContext) => Promise<Backend> | Backend;

/** Declares a path; a function (not a bare literal) so field types flow into the handlers. */
export function definePath<F extends FieldSchemas>(def: PathDef<F>): PathDef {
  return def as unknown as PathDef;
}
