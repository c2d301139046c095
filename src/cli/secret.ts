/**
 * Vault's api.Secret: the response envelope as the Go client decodes it, and the field
 * order its `-format=json` output keeps (command/format.go, api/secret.go).
 */
import { goStruct } from "./gofmt.js";

export interface SecretAuth {
  client_token: string;
  accessor: string;
  policies: string[] | null;
  token_policies: string[] | null;
  identity_policies: string[] | null;
  metadata: Record<string, string> | null;
  orphan: boolean;
  entity_id: string;
  lease_duration: number;
  renewable: boolean;
  [extra: string]: unknown;
}

export interface WrapInfo {
  token: string;
  accessor: string;
  ttl: number;
  creation_time: string;
  creation_path: string;
  wrapped_accessor: string;
}

export interface Secret {
  request_id: string;
  lease_id: string;
  lease_duration: number;
  renewable: boolean;
  data: Record<string, unknown> | null;
  warnings: string[] | null;
  auth: SecretAuth | null;
  wrap_info: WrapInfo | null;
  mount_type: string;
}

type Json = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number => (typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : 0);
const strList = (v: unknown): string[] | null => (Array.isArray(v) ? v.map(String) : null);
const obj = (v: unknown): Json | null => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : null);

/** ParseSecret: null for an empty body, the normalised envelope otherwise. */
export function parseSecret(body: string): Secret | null {
  if (body.trim() === "") return null;
  const parsed = obj(JSON.parse(body));
  if (parsed === null) throw new Error("response is not a JSON object");
  return secretFromJson(parsed);
}

export function secretFromJson(raw: Json): Secret {
  const auth = obj(raw["auth"]);
  const wrap = obj(raw["wrap_info"]);
  return {
    request_id: str(raw["request_id"]),
    lease_id: str(raw["lease_id"]),
    lease_duration: num(raw["lease_duration"]),
    renewable: raw["renewable"] === true,
    data: obj(raw["data"]),
    warnings: strList(raw["warnings"]),
    auth: auth === null ? null : authFromJson(auth),
    wrap_info:
      wrap === null
        ? null
        : {
            token: str(wrap["token"]),
            accessor: str(wrap["accessor"]),
            ttl: num(wrap["ttl"]),
            creation_time: str(wrap["creation_time"]),
            creation_path: str(wrap["creation_path"]),
            wrapped_accessor: str(wrap["wrapped_accessor"]),
          },
    mount_type: str(raw["mount_type"]),
  };
}

function authFromJson(auth: Json): SecretAuth {
  const meta = obj(auth["metadata"]);
  const known: SecretAuth = {
    client_token: str(auth["client_token"]),
    accessor: str(auth["accessor"]),
    policies: strList(auth["policies"]),
    token_policies: strList(auth["token_policies"]),
    identity_policies: strList(auth["identity_policies"]),
    metadata: meta === null ? null : Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, String(v)])),
    orphan: auth["orphan"] === true,
    entity_id: str(auth["entity_id"]),
    lease_duration: num(auth["lease_duration"]),
    renewable: auth["renewable"] === true,
  };
  for (const [k, v] of Object.entries(auth)) if (!(k in known)) known[k] = v;
  return known;
}

/** The secret as `-format=json|yaml` prints it: Go's struct order, omitempty honoured. */
export function secretForOutput(secret: Secret): Json {
  const out: Json = goStruct({
    request_id: secret.request_id,
    lease_id: secret.lease_id,
    lease_duration: secret.lease_duration,
    renewable: secret.renewable,
    data: secret.data,
    warnings: secret.warnings,
  });
  if (secret.auth !== null) {
    const { client_token, accessor, policies, token_policies, identity_policies, metadata, orphan, entity_id, lease_duration, renewable, ...extra } =
      secret.auth;
    out["auth"] = goStruct({
      client_token,
      accessor,
      policies,
      token_policies,
      identity_policies,
      metadata,
      orphan,
      entity_id,
      lease_duration,
      renewable,
      mfa_requirement: extra["mfa_requirement"] ?? null,
      ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== "mfa_requirement")),
    });
  }
  if (secret.wrap_info !== null) out["wrap_info"] = goStruct({ ...secret.wrap_info });
  if (secret.mount_type !== "") out["mount_type"] = secret.mount_type;
  return out;
}
