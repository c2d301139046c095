/** status and operator unseal|seal|rotate|key-status|step-down (command/status.go, operator_*.go); init is in operator-init.ts. */
import type { Command, Ctx } from "../command.js";
import { goStruct, tableOutput, columnize, wrapAtLength } from "../gofmt.js";
import type { VaultClient } from "../http-client.js";

export type Json = Record<string, unknown>;

export async function getJson(client: VaultClient, path: string): Promise<Json> {
  const res = await client.request("GET", path);
  return res.body.trim() === "" ? {} : (JSON.parse(res.body) as Json);
}

export async function putJson(client: VaultClient, path: string, body?: unknown): Promise<Json> {
  const res = await client.request("PUT", path, body === undefined ? {} : { body });
  return res.body.trim() === "" ? {} : (JSON.parse(res.body) as Json);
}

const sealStatusOrder = [
  "type", "initialized", "sealed", "t", "n", "progress", "nonce", "version", "build_date", "migration",
  "cluster_name", "cluster_id", "recovery_seal", "recovery_seal_type", "storage_type", "hcp_link_status",
  "hcp_link_resource_ID", "warnings",
];
const omitEmpty = new Set(["cluster_name", "cluster_id", "recovery_seal_type", "storage_type", "hcp_link_status", "hcp_link_resource_ID", "warnings"]);

/** OutputSealStatus: seal status plus HA facts from sys/leader. */
async function outputSealStatus(ctx: Ctx, client: VaultClient, status: Json): Promise<number> {
  let leader: Json = {};
  try {
    leader = await getJson(client, "sys/leader");
  } catch {
    // Vault treats a sealed server's failure here as "HA unknown"; Mayfly has no HA, so
    // any failure just means there is nothing to add.
    leader = {};
  }
  const haEnabled = leader["ha_enabled"] === true;
  if (ctx.format !== "table") {
    const out: Json = goStruct({});
    for (const k of sealStatusOrder) {
      const v = status[k];
      if (omitEmpty.has(k) && (v === undefined || v === "" || (Array.isArray(v) && v.length === 0))) continue;
      out[k] = v ?? defaultFor(k);
    }
    for (const [k, v] of Object.entries(status)) if (!(k in out) && !sealStatusOrder.includes(k)) out[k] = v;
    out["ha_enabled"] = haEnabled;
    if (haEnabled) for (const k of ["is_self", "active_time", "leader_address", "leader_cluster_address"]) if (leader[k] !== undefined) out[k] = leader[k];
    return ctx.data(out);
  }
  const s = (v: unknown) => (v === undefined || v === null ? "" : String(v));
  const sealed = status["sealed"] === true;
  const prefix = status["recovery_seal"] === true ? "Recovery " : "";
  const rows: string[][] = [
    [`${prefix}Seal Type`, s(status["type"])],
    ["Initialized", String(status["initialized"] === true)],
    ["Sealed", String(sealed)],
    [`Total ${prefix}Shares`, s(status["n"] ?? 0)],
    ["Threshold", s(status["t"] ?? 0)],
  ];
  if (sealed) {
    rows.push(["Unseal Progress", `${s(status["progress"] ?? 0)}/${s(status["t"] ?? 0)}`]);
    rows.push(["Unseal Nonce", s(status["nonce"])]);
  }
  if (status["migration"] === true) rows.push(["Seal Migration in Progress", "true"]);
  rows.push(["Version", s(status["version"])], ["Build Date", s(status["build_date"])], ["Storage Type", s(status["storage_type"])]);
  if (s(status["cluster_name"]) !== "" && s(status["cluster_id"]) !== "") {
    rows.push(["Cluster Name", s(status["cluster_name"])], ["Cluster ID", s(status["cluster_id"])]);
  }
  rows.push(["HA Enabled", String(haEnabled)]);
  if (haEnabled && !sealed) {
    rows.push(["HA Cluster", s(leader["leader_cluster_address"])]);
    rows.push(["HA Mode", leader["is_self"] === true ? "active" : "standby"]);
    if (leader["is_self"] !== true) rows.push(["Active Node Address", s(leader["leader_address"]) || "<none>"]);
  }
  const warnings = status["warnings"];
  if (Array.isArray(warnings) && warnings.length > 0) rows.push(["Warnings", `[${warnings.join(" ")}]`]);
  ctx.ui.output(tableOutput(["Key", "Value"], rows));
  return 0;
}

function defaultFor(key: string): unknown {
  if (["initialized", "sealed", "migration", "recovery_seal"].includes(key)) return false;
  if (["t", "n", "progress"].includes(key)) return 0;
  return "";
}

export const statusCommand: Command = {
  path: "status",
  synopsis: "Print seal and HA status",
  help: `
Usage: mayfly status [options]

  Prints the current state of Mayfly including whether it is sealed. The exit
  code is 0 when unsealed, 2 when sealed and 1 on error.

      $ mayfly status`,
  async run(ctx) {
    const bad = ctx.expectArgs(0, 0);
    if (bad !== undefined) return bad;
    const client = await ctx.client();
    let status: Json;
    try {
      status = await getJson(client, "sys/seal-status");
    } catch (err) {
      ctx.fail("Error checking seal status", err);
      return 1;
    }
    const code = await outputSealStatus(ctx, client, status);
    return status["sealed"] === true ? 2 : code;
  },
};

export const operatorUnsealCommand: Command = {
  path: "operator unseal",
  synopsis: "Unseals the server",
  help: `
Usage: mayfly operator unseal [options] [KEY]

  Provides one unseal key share. Mayfly starts sealed and serves nothing until
  enough shares have been given.

  The key can be an argument, but it then stays in your shell history. Without
  one, the key is asked for without echo (or read as a line from stdin when
  stdin is not a terminal):

      $ mayfly operator unseal
      Unseal Key (will be hidden):`,
  flags: [
    { name: "reset", kind: "bool", usage: "Discard any previously entered keys of the unseal process." },
    { name: "migrate", kind: "bool", usage: "Mark the share as part of a seal migration." },
  ],
  async run(ctx) {
    const bad = ctx.expectArgs(0, 1);
    if (bad !== undefined) return bad;
    const client = await ctx.client();
    if (ctx.flags.bool("reset")) {
      let status: Json;
      try {
        status = await putJson(client, "sys/unseal", { reset: true });
      } catch (err) {
        return ctx.fail("Error resetting unseal process", err);
      }
      return outputSealStatus(ctx, client, status);
    }
    let key = (ctx.args[0] ?? "").trim();
    if (key === "") {
      try {
        key = (await ctx.prompt("Unseal Key (will be hidden): ")).trim();
      } catch (err) {
        ctx.ui.error(wrapAtLength(`An error occurred attempting to ask for an unseal key: ${(err as Error).message}`));
        return 1;
      }
      if (key === "") {
        ctx.ui.error("No unseal key given: pass it as an argument, type it at the prompt, or pipe it on stdin.");
        return 1;
      }
    }
    let status: Json;
    try {
      const body: Json = { key };
      if (ctx.flags.bool("migrate")) body["migrate"] = true;
      status = await putJson(client, "sys/unseal", body);
    } catch (err) {
      return ctx.fail("Error unsealing", err);
    }
    return outputSealStatus(ctx, client, status);
  },
};

export const operatorSealCommand: Command = {
  path: "operator seal",
  synopsis: "Seals the server",
  help: `
Usage: mayfly operator seal [options]

  Seals the server: the root key is dropped from memory and every request is
  refused until it is unsealed again. Requires a token with sudo on sys/seal.

      $ mayfly operator seal`,
  async run(ctx) {
    const bad = ctx.expectArgs(0, 0);
    if (bad !== undefined) return bad;
    const client = await ctx.client();
    try {
      await client.request("PUT", "sys/seal");
    } catch (err) {
      return ctx.fail("Error sealing", err);
    }
    ctx.ui.output("Success! Mayfly is sealed.");
    return 0;
  },
};

/** printKeyStatus: the term and its install time in Go's RFC822 layout. */
function keyStatusText(ks: Json): string {
  const rows = [["Key Term", String(ks["term"] ?? "")], ["Install Time", rfc822(ks["install_time"])]];
  const count = ks["encryptions"];
  if (typeof count === "number" && count > 0) rows.push(["Encryption Count", String(count)]);
  return columnize(rows);
}

function rfc822(value: unknown): string {
  const d = new Date(String(value));
  if (Number.isNaN(d.getTime())) return String(value ?? "");
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())} UTC`;
}

function keyStatusData(raw: Json): Json {
  const data = (raw["data"] !== null && typeof raw["data"] === "object" ? raw["data"] : raw) as Json;
  return goStruct({ term: data["term"] ?? 0, install_time: data["install_time"] ?? "", ...(data["encryptions"] !== undefined ? { encryptions: data["encryptions"] } : {}) });
}

export const operatorRotateCommand: Command = {
  path: "operator rotate",
  synopsis: "Rotates the underlying encryption key",
  help: `
Usage: mayfly operator rotate [options]

  Adds a new encryption key term to the keyring. New data is encrypted with it;
  existing data stays readable under the older terms.

      $ mayfly operator rotate`,
  async run(ctx) {
    const bad = ctx.expectArgs(0, 0);
    if (bad !== undefined) return bad;
    const client = await ctx.client();
    try {
      await client.request("PUT", "sys/rotate");
    } catch (err) {
      return ctx.fail("Error rotating key", err);
    }
    let status: Json;
    try {
      status = keyStatusData(await getJson(client, "sys/key-status"));
    } catch (err) {
      return ctx.fail("Error reading key status", err);
    }
    if (ctx.format !== "table") return ctx.data(status);
    ctx.ui.output("Success! Rotated key");
    ctx.ui.output("");
    ctx.ui.output(keyStatusText(status));
    return 0;
  },
};

export const operatorKeyStatusCommand: Command = {
  path: "operator key-status",
  synopsis: "Provides information about the active encryption key",
  help: `
Usage: mayfly operator key-status [options]

  Prints the term of the active encryption key and when it was installed.

      $ mayfly operator key-status`,
  async run(ctx) {
    const bad = ctx.expectArgs(0, 0);
    if (bad !== undefined) return bad;
    const client = await ctx.client();
    let status: Json;
    try {
      status = keyStatusData(await getJson(client, "sys/key-status"));
    } catch (err) {
      return ctx.fail("Error reading key status", err);
    }
    if (ctx.format !== "table") return ctx.data(status);
    ctx.ui.output(keyStatusText(status));
    return 0;
  },
};

export const operatorStepDownCommand: Command = {
  path: "operator step-down",
  synopsis: "Forces the active node to give up its role",
  help: `
Usage: mayfly operator step-down [options]

  Asks the active node to step down. Mayfly runs as a single node, so there is no
  standby to take over: the request is accepted and the node stays active. Requires
  a token with sudo on sys/step-down.

      $ mayfly operator step-down`,
  async run(ctx) {
    const bad = ctx.expectArgs(0, 0);
    if (bad !== undefined) return bad;
    const client = await ctx.client();
    try {
      await client.request("PUT", "sys/step-down");
    } catch (err) {
      return ctx.fail("Error stepping down", err);
    }
    ctx.ui.output("Success! Stepped down: (no standby; this node stays active)");
    return 0;
  },
};
