import { randomUUID } from "node:crypto";
import type { Core } from "../core/core.js";
import { badRequest, MayflyError } from "../framework/errors.js";
import { pgpKeyList, readRecipients } from "../core/seal/pgp.js";
import { coerceField } from "../framework/fields.js";
import { decodeUnsealKey } from "../core/seal/seal.js";
import { jsonReply, SERVER_VERSION, type HttpReply } from "./envelope.js";
import { GENERATE_ROOT_PATHS, handleGenerateRoot, type BareConnection } from "./sys-generate-root.js";
import { REKEY_PATHS, handleRekey } from "./sys-rekey.js";

/**
 * Endpoints Vault serves outside its router, with bare bodies (no envelope) and without
 * a token, most of them while sealed.
 */
export const BARE_PATHS = new Set<string>([
  "sys/init",
  "sys/seal-status",
  "sys/unseal",
  "sys/health",
  "sys/leader",
  ...REKEY_PATHS,
  ...GENERATE_ROOT_PATHS,
]);

const CLUSTER = { name: `mayfly-cluster-${randomUUID().slice(0, 8)}`, id: randomUUID() };

export async function handleBare(
  core: Core,
  path: string,
  method: string,
  query: URLSearchParams,
  data: Record<string, unknown>,
  storageType: string,
  connection?: BareConnection,
): Promise<HttpReply> {
  if (path.startsWith("sys/rekey/")) return handleRekey(core, path, method, data);
  if (path.startsWith("sys/generate-root/")) return handleGenerateRoot(core, path, method, data, connection);
  switch (path) {
    case "sys/init":
      if (method === "GET" || method === "HEAD") return jsonReply(200, { initialized: await core.seal.initialized() });
      if (method === "PUT" || method === "POST") return init(core, data);
      break;
    case "sys/seal-status":
      if (method === "GET" || method === "HEAD") return jsonReply(200, await sealStatusBody(core, storageType));
      break;
    case "sys/unseal":
      if (method === "PUT" || method === "POST") return unseal(core, data, storageType);
      break;
    case "sys/health":
      if (method === "GET" || method === "HEAD") return health(core, query);
      break;
    case "sys/leader":
      if (method === "GET" || method === "HEAD") return leader(core);
      break;
  }
  throw new MayflyError(405, ["unsupported operation"]);
}

async function init(core: Core, data: Record<string, unknown>): Promise<HttpReply> {
  if (await core.seal.initialized()) throw badRequest("Vault is already initialized");
  const shares = intField(data, "secret_shares", 5);
  const threshold = intField(data, "secret_threshold", 3);
  // The Go client's InitRequest always sends "pgp_keys": null and "root_token_pgp_key": "".
  const pgpKeys = pgpKeyList(data.pgp_keys, "pgp_keys");
  if (pgpKeys.length > 0 && pgpKeys.length !== shares) throw badRequest("incorrect number of PGP keys");
  const rootKeyText = data.root_token_pgp_key;
  if (rootKeyText !== undefined && rootKeyText !== null && typeof rootKeyText !== "string") {
    throw badRequest("root_token_pgp_key must be a base64-encoded PGP public key");
  }
  // Every key is read and tried before anything is generated.
  const pgp = {
    shares: await readRecipients(pgpKeys, "pgp_keys"),
    ...(rootKeyText ? { rootToken: (await readRecipients([rootKeyText], "root_token_pgp_key"))[0] } : {}),
  };
  const { keys, rootToken } = await core.initialize(shares, threshold, undefined, pgp);
  return jsonReply(200, {
    keys: keys.map((k) => k.toString("hex")),
    keys_base64: keys.map((k) => k.toString("base64")),
    root_token: rootToken,
  });
}

function intField(data: Record<string, unknown>, name: string, dflt: number): number {
  if (data[name] === undefined || data[name] === null) return dflt;
  return coerceField(name, "int", data[name]) as number;
}

async function unseal(core: Core, data: Record<string, unknown>, storageType: string): Promise<HttpReply> {
  if (!(await core.seal.initialized())) throw badRequest("Vault is not initialized");
  const reset = data.reset === undefined ? false : (coerceField("reset", "bool", data.reset) as boolean);
  if (reset) {
    // On an unsealed server there is no attempt to reset; Vault answers with the status.
    if (core.sealed) core.seal.resetUnseal();
  } else {
    if (typeof data.key !== "string" || data.key === "") throw badRequest("'key' must be specified in request body as JSON, or 'reset' set to true");
    if (core.sealed) await core.seal.submitUnsealKey(decodeUnsealKey(data.key));
  }
  return jsonReply(200, await sealStatusBody(core, storageType));
}

export async function sealStatusBody(core: Core, storageType: string): Promise<Record<string, unknown>> {
  const s = await core.sealStatus();
  const body: Record<string, unknown> = {
    type: "shamir",
    initialized: s.initialized,
    sealed: s.sealed,
    t: s.t,
    n: s.n,
    progress: s.progress,
    nonce: s.nonce,
    version: SERVER_VERSION,
    build_date: BUILD_DATE,
    migration: false,
    recovery_seal: false,
    storage_type: storageType,
  };
  if (!s.sealed) {
    body.cluster_name = CLUSTER.name;
    body.cluster_id = CLUSTER.id;
  }
  return body;
}

const BUILD_DATE = "2026-11-29T00:00:00Z";

/** Vault's sys/health: status codes chosen by state, each overridable by a query parameter. */
async function health(core: Core, query: URLSearchParams): Promise<HttpReply> {
  const initialized = await core.seal.initialized();
  const sealed = core.sealed;
  let status: number;
  if (!initialized) status = codeParam(query, "uninitcode", 501);
  else if (sealed) status = codeParam(query, "sealedcode", 503);
  else status = codeParam(query, "activecode", 200);
  const body = {
    initialized,
    sealed,
    standby: false,
    performance_standby: false,
    replication_performance_mode: "disabled",
    replication_dr_mode: "disabled",
    server_time_utc: Math.floor(core.nowMs() / 1000),
    version: SERVER_VERSION,
    enterprise: false,
    cluster_name: sealed ? "" : CLUSTER.name,
    cluster_id: sealed ? "" : CLUSTER.id,
    echo_duration_ms: 0,
    clock_skew_ms: 0,
  };
  return jsonReply(status, body);
}

function codeParam(query: URLSearchParams, name: string, dflt: number): number {
  const v = query.get(name);
  if (v === null || v === "") return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 100 || n > 999) throw badRequest(`bad code for ${name}: ${v}`);
  return n;
}

function leader(core: Core): HttpReply {
  if (core.sealed) throw new MayflyError(503, ["Vault is sealed"]);
  return jsonReply(200, {
    ha_enabled: false,
    is_self: false,
    active_time: "0001-01-01T00:00:00Z",
    leader_address: "",
    leader_cluster_address: "",
    performance_standby: false,
    performance_standby_last_remote_wal: 0,
  });
}
