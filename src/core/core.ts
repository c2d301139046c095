import type { Storage } from "../storage/storage.js";
import { PrefixedStorage } from "../storage/storage.js";
import { badRequest } from "../framework/errors.js";
import type { Logger, SystemView } from "../framework/types.js";
import { Barrier } from "./barrier/barrier.js";
import { SealManager, type SealStatus } from "./seal/seal.js";
import { RekeyManager } from "./seal/rekey.js";
import { RekeyBackupStore } from "./seal/rekey-backup.js";
import { encryptFor, encryptShares, type PgpRecipient } from "./seal/pgp.js";
import { RootGenerationManager } from "./seal/generate-root.js";
import { AuditManager } from "./audit/index.js";
import { AuditedHeaders } from "./audit/audited-headers.js";
import { RotationConfigStore } from "./barrier/rotation-config.js";
import { QuotaManager } from "./quotas.js";
import { DEFAULT_MAX_REQUEST_DURATION_SECONDS } from "./request-limits.js";
import { TokenStore } from "./tokens/token-store.js";
import { ExpirationManager, type ExpirationOptions } from "./expiration/expiration-manager.js";
import type { LeaseRecord } from "./expiration/lease-record.js";
import { MountManager } from "./mounts.js";
import { PolicyStore } from "./policy-store.js";
import { PasswordPolicyStore } from "./password-policy-store.js";
import type { BackendRegistry } from "./registry.js";
import { issueToken } from "./token-issuer.js";
import { Metrics } from "./metrics.js";
import { createIdentityBackend, IdentityStore } from "./identity/index.js";
import { syntheticRequest } from "./synthetic-request.js";

export interface CoreOptions {
  /** The physical storage (sqlite, inmem); everything but seal config goes through the barrier. */
  storage: Storage;
  registry: BackendRegistry;
  logger: Logger;
  defaultLeaseTtlSeconds?: number;
  maxLeaseTtlSeconds?: number;
  nowMs?: () => number;
  expiration?: Partial<ExpirationOptions>;
  /** Vault's default_max_request_duration, in seconds (default 90). */
  maxRequestDurationSeconds?: number;
}

export { DEFAULT_MAX_REQUEST_DURATION_SECONDS };

/** Vault's system-wide default and maximum lease TTL: 32 days. */
export const SYSTEM_MAX_TTL_SECONDS = 768 * 3600;

/**
 * The core wires the modules together and owns the seal lifecycle: after unseal it loads
 * tokens, policies, mounts and audit devices and starts the expiry schedule; before seal it
 * stops them all and drops every key from memory.
 */
export class Core {
  readonly physical: Storage;
  readonly barrier: Barrier;
  readonly seal: SealManager;
  /** sys/rekey/*: new unseal shares (and a new root key) from a quorum of the current ones. */
  readonly rekey: RekeyManager;
  /** sys/rekey/backup: the PGP-encrypted shares of the last rekey that asked for a backup. */
  readonly rekeyBackups: RekeyBackupStore;
  /** sys/config/auditing/request-headers: the request headers audit entries carry. */
  readonly auditedHeaders: AuditedHeaders;
  /** sys/rotate/config: when the barrier's active key is replaced. */
  readonly rotationConfig: RotationConfigStore;
  /** sys/quotas/*: rate limit quotas, checked by the HTTP layer before anything else. */
  readonly quotas: QuotaManager;
  /** sys/generate-root/*: a new root token from a quorum of unseal shares. */
  readonly rootGeneration: RootGenerationManager;
  readonly tokens: TokenStore;
  readonly policies: PolicyStore;
  readonly passwordPolicies: PasswordPolicyStore;
  readonly expiration: ExpirationManager;
  readonly audit: AuditManager;
  readonly mounts: MountManager;
  readonly identity: IdentityStore;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly nowMs: () => number;
  readonly defaultLeaseTtlSeconds: number;
  readonly maxLeaseTtlSeconds: number;
  readonly systemView: SystemView;
  private unsealedSinceMs = 0;
  private keyringTimer: NodeJS.Timeout | undefined;

  constructor(opts: CoreOptions) {
    this.physical = opts.storage;
    this.logger = opts.logger;
    this.nowMs = opts.nowMs ?? Date.now;
    this.defaultLeaseTtlSeconds = opts.defaultLeaseTtlSeconds || SYSTEM_MAX_TTL_SECONDS;
    this.maxLeaseTtlSeconds = opts.maxLeaseTtlSeconds || SYSTEM_MAX_TTL_SECONDS;
    if (this.defaultLeaseTtlSeconds > this.maxLeaseTtlSeconds) {
      throw badRequest("default_lease_ttl cannot be greater than max_lease_ttl");
    }
    this.barrier = new Barrier(this.physical, { nowMs: () => this.nowMs() });
    this.seal = new SealManager(this.barrier);
    this.rekeyBackups = new RekeyBackupStore(new PrefixedStorage(this.barrier, "sys/rekey/"));
    this.rekey = new RekeyManager(this.seal, this.rekeyBackups);
    this.rootGeneration = new RootGenerationManager(this.seal, {
      create: () => this.createRootToken(),
      revoke: async (token) => {
        const entry = await this.tokens.lookup(token, this.nowMs());
        if (entry) await this.tokens.revokeTree(entry.hash);
      },
    });
    const sys = (sub: string): Storage => new PrefixedStorage(this.barrier, `sys/${sub}/`);
    this.policies = new PolicyStore(sys("policy-acl"));
    this.passwordPolicies = new PasswordPolicyStore(sys("password_policy"));
    this.systemView = {
      nowMs: () => this.nowMs(),
      generatePassword: (name) => this.passwordPolicies.generate(name),
      operationTimeoutMs: (opts.maxRequestDurationSeconds || DEFAULT_MAX_REQUEST_DURATION_SECONDS) * 1000,
      logger: this.logger,
    };
    this.metrics = new Metrics();
    this.expiration = new ExpirationManager(
      {
        storage: sys("expire"),
        nowMs: () => this.nowMs(),
        logger: this.logger,
        revokeSecret: (lease) => this.revokeSecret(lease),
        forgetSecret: (lease) => this.forgetSecret(lease),
        secretRevoked: (lease) => this.secretRevoked(lease),
        renewSecret: (lease, inc, cap) => this.renewSecret(lease, inc, cap),
        revokeToken: (hash) => this.tokens.revokeTree(hash),
        tokenExists: async (hash) => (await this.tokens.lookupByHash(hash, this.nowMs())) !== undefined,
      },
      opts.expiration,
    );
    this.tokens = new TokenStore(sys("token"), {
      revokeLeasesOf: (hash) => this.expiration.revokeByToken(hash),
      scheduleTokenExpiry: (hash, at) => this.expiration.scheduleToken(hash, at),
      onTokenDeleted: (hash) => this.destroyCubbyhole(hash),
    });
    this.audit = new AuditManager({
      storage: this.barrier,
      nowMs: () => this.nowMs(),
      logger: {
        info: (fields, msg) => this.logger.info(msg, fields),
        warn: (fields, msg) => this.logger.warn(msg, fields),
        error: (fields, msg) => this.logger.error(msg, fields),
      },
    });
    this.auditedHeaders = new AuditedHeaders(sys("audit"));
    this.rotationConfig = new RotationConfigStore(sys("barrier"));
    this.quotas = new QuotaManager(sys("quotas"), () => this.nowMs());
    this.identity = new IdentityStore(() => this.nowMs());
    // Built in, like sys/: whatever registry the server wires, `identity/` is always mounted.
    opts.registry.registerSecret("identity", createIdentityBackend(this.identity, () => this.mounts));
    this.mounts = new MountManager(this.barrier, opts.registry, this.systemView, {
      defaultLeaseTtlSeconds: this.defaultLeaseTtlSeconds,
      maxLeaseTtlSeconds: this.maxLeaseTtlSeconds,
    });
    this.seal.onUnsealed(() => this.postUnseal());
    this.seal.onSealed(() => this.preSeal());
  }

  get sealed(): boolean {
    return this.barrier.sealed;
  }

  sealStatus(): Promise<SealStatus> {
    return this.seal.status();
  }

  /**
   * `sys/init`: creates the root key and its shares, unseals once to create the root token,
   * and leaves the core sealed, as Vault does.
   */
  /**
   * With `pgp`, each share comes back encrypted to the key at its position, and the root
   * token (a base64 PGP message then) to `pgp.rootToken`, as Vault's pgp_keys and
   * root_token_pgp_key do.
   */
  async initialize(
    secretShares: number,
    secretThreshold: number,
    rootTokenId?: string,
    pgp?: { shares: readonly PgpRecipient[]; rootToken?: PgpRecipient },
  ): Promise<{ keys: Buffer[]; rootToken: string }> {
    let rootToken = "";
    if (pgp && pgp.shares.length > 0 && pgp.shares.length !== secretShares) {
      throw badRequest("incorrect number of PGP keys");
    }
    const protect = pgp && pgp.shares.length > 0 ? (keys: Buffer[]) => encryptShares(keys, pgp.shares) : undefined;
    const { keys } = await this.seal.init(
      { secretShares, secretThreshold },
      async () => {
        rootToken = await this.createRootToken(rootTokenId);
        if (pgp?.rootToken) rootToken = (await encryptFor(pgp.rootToken, Buffer.from(rootToken, "utf8"))).toString("base64");
      },
      protect,
    );
    return { keys, rootToken };
  }

  /** Unseals with the first `threshold` keys (dev mode and tests). */
  async unsealWith(keys: readonly Buffer[]): Promise<void> {
    for (const k of keys) {
      if (!this.barrier.sealed) return;
      await this.seal.submitUnsealKey(k);
    }
  }

  async createRootToken(id?: string): Promise<string> {
    const tokenMount = this.mounts.get("auth", "token/");
    if (!tokenMount) throw new Error("token store is not mounted");
    const issued = await issueToken(
      this.tokens,
      {
        policies: ["root"],
        noDefaultPolicy: true,
        meta: null,
        displayName: "root",
        ttlSeconds: 0,
        explicitMaxTtlSeconds: 0,
        periodSeconds: 0,
        numUses: 0,
        renewable: false,
        type: "service",
        parent: undefined,
        path: "auth/token/root",
        authMount: tokenMount.info,
        entityId: "",
        internal: {},
        role: "",
        boundCidrs: [],
        ...(id !== undefined ? { id } : {}),
      },
      this.nowMs(),
    );
    return issued.token;
  }

  async sealVault(): Promise<void> {
    await this.seal.seal();
  }

  unsealedAtMs(): number {
    return this.unsealedSinceMs;
  }

  private async postUnseal(): Promise<void> {
    await this.tokens.load();
    await this.policies.load();
    await this.passwordPolicies.load();
    await this.mounts.load();
    await this.mounts.ensureBuiltins();
    await this.audit.load();
    await this.auditedHeaders.load();
    await this.rotationConfig.load();
    await this.quotas.load();
    await this.expiration.start();
    // Encryption counts only drive rotation advice, so saving them once a minute is enough;
    // a key that reaches Vault's safe limit is rotated as Vault does.
    this.keyringTimer = setInterval(() => void this.maintainKeyring(), 60_000);
    this.keyringTimer.unref();
    this.unsealedSinceMs = this.nowMs();
    this.logger.info("core unsealed");
  }

  /** Runs once a minute while unsealed; exposed so tests can drive it. */
  async maintainKeyring(): Promise<void> {
    try {
      if (this.barrier.sealed) return;
      const use = this.barrier.activeKeyUse();
      if (this.rotationConfig.due(use.encryptions, use.installTimeMs, this.nowMs())) {
        await this.barrier.rotate();
        this.logger.info("barrier key rotated by the rotation policy", { encryptions: use.encryptions });
      } else {
        await this.barrier.persistKeyring();
      }
    } catch (err) {
      this.logger.warn("keyring maintenance failed", { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async preSeal(): Promise<void> {
    if (this.keyringTimer) clearInterval(this.keyringTimer);
    this.keyringTimer = undefined;
    await this.expiration.stop();
    await this.audit.close();
    this.auditedHeaders.unload();
    this.quotas.unload();
    await this.mounts.unloadAll();
    this.tokens.unload();
    this.policies.unload();
    this.passwordPolicies.unload();
    this.unsealedSinceMs = 0;
    this.logger.info("core sealing");
  }

  /** Stops everything for process exit; storage is closed by the caller. */
  async shutdown(): Promise<void> {
    if (!this.barrier.sealed) await this.seal.seal();
  }

  // ---- leases → backends ----

  private mountForLease(lease: LeaseRecord) {
    const mounted = this.mounts.byAccessor(lease.mountAccessor);
    if (!mounted) throw new Error(`the mount that issued this lease no longer exists`);
    return mounted;
  }

  private async revokeSecret(lease: LeaseRecord): Promise<void> {
    const mounted = this.mountForLease(lease);
    const st = mounted.runner.backend.secretTypes?.[lease.secretType];
    if (!st) throw new Error(`backend has no secret type "${lease.secretType}"`);
    await st.revoke(syntheticRequest(this, mounted, lease.path, "delete"), lease.internal);
  }

  private async forgetSecret(lease: LeaseRecord): Promise<void> {
    const mounted = this.mountForLease(lease);
    const st = mounted.runner.backend.secretTypes?.[lease.secretType];
    await st?.forgotten?.(syntheticRequest(this, mounted, lease.path, "delete"), lease.internal);
  }

  private async secretRevoked(lease: LeaseRecord): Promise<void> {
    const mounted = this.mounts.byAccessor(lease.mountAccessor);
    const st = mounted?.runner.backend.secretTypes?.[lease.secretType];
    if (mounted && st?.revoked) await st.revoked(syntheticRequest(this, mounted, lease.path, "delete"), lease.internal);
  }

  private async renewSecret(lease: LeaseRecord, incrementSeconds: number, capExpireAtMs: number): Promise<{ ttlSeconds: number }> {
    const mounted = this.mountForLease(lease);
    const st = mounted.runner.backend.secretTypes?.[lease.secretType];
    if (!st?.renew) throw badRequest("lease is not renewable");
    const maxByMount = mounted.info.maxLeaseTtlSeconds();
    const now = this.nowMs();
    const mountCap = lease.issueTimeMs + maxByMount * 1000;
    const cap = capExpireAtMs > 0 ? Math.min(capExpireAtMs, mountCap) : mountCap;
    const inc = Math.min(incrementSeconds, Math.max(0, Math.floor((cap - now) / 1000)));
    const req = syntheticRequest(this, mounted, lease.path, "update");
    return st.renew(req, lease.internal, inc);
  }

  private async destroyCubbyhole(tokenHash: string): Promise<void> {
    const cubby = this.mounts.get("secret", "cubbyhole/");
    if (!cubby) return;
    const { destroyCubbyhole } = await import("../engines/cubbyhole/index.js");
    await destroyCubbyhole(cubby.storage, tokenHash);
  }
}
