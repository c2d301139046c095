/**
 * `mayfly operator diagnose -config=FILE`: checks a server configuration before it is
 * started, as Vault's diagnose does: the files parse, the storage can be opened, each
 * listener's address is free and its TLS files load, match and are not about to expire.
 * Runs locally; it never talks to a server and changes nothing (the SQLite file is only
 * opened if it already exists, and closed again).
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import net from "node:net";
import { dirname } from "node:path";
import type { Command } from "../command.js";

type Status = "success" | "warning" | "failure";

interface Check {
  name: string;
  status: Status;
  messages: string[];
  children?: Check[];
}

/** Certificates that expire sooner than this are reported (Vault warns at 30 days too). */
const EXPIRY_WARNING_DAYS = 30;

export const operatorDiagnoseCommand: Command = {
  path: "operator diagnose",
  synopsis: "Troubleshoots a server configuration before it starts",
  local: true,
  help: `
Usage: mayfly operator diagnose -config=FILE [-config=FILE2 ...] [options]

  Checks a configuration the way "mayfly server -config" would read it, without
  starting a server: the files parse (and which Vault settings are ignored), the
  storage can be opened, each listener's address is free, and its TLS certificate
  and key load, belong together and are not expired or about to expire.

      $ mayfly operator diagnose -config=/etc/mayfly/mayfly.hcl

  Exits 0 when nothing failed (warnings included), 1 otherwise.`,
  flags: [
    { name: "config", kind: "strings", usage: "A configuration file or directory, as for mayfly server; may be repeated." },
    { name: "format", kind: "string", default: "table", usage: 'Print the checks as "table" (the default) or "json".' },
  ],
  async run(ctx) {
    const bad = ctx.expectArgs(0, 0);
    if (bad !== undefined) return bad;
    const files = ctx.flags.strings("config");
    if (files.length === 0) {
      ctx.ui.error("Error: -config is required: the configuration files to check");
      return 1;
    }
    const result = await diagnose(files);
    if (ctx.flags.str("format") === "json") ctx.ui.output(JSON.stringify(result, null, 2));
    else printCheck(ctx.ui.output.bind(ctx.ui), result, 0);
    return result.status === "failure" ? 1 : 0;
  },
};

export async function diagnose(files: readonly string[]): Promise<Check> {
  const children: Check[] = [];
  const { loadServerConfig } = await import("../../server/config.js");
  let config;
  try {
    config = loadServerConfig(files);
  } catch (e) {
    children.push({ name: "Parse Configuration", status: "failure", messages: [(e as Error).message] });
    return summarise("Mayfly Diagnose", children);
  }
  children.push({
    name: "Parse Configuration",
    status: config.warnings.length > 0 ? "warning" : "success",
    messages: [...config.warnings],
  });
  children.push(await checkStorage(config.storage));
  const listeners: Check[] = [];
  for (const l of config.listeners) listeners.push(await checkListener(l));
  children.push(summarise("Check Listeners", listeners));
  return summarise("Mayfly Diagnose", children);
}

async function checkStorage(storage: { type: string; path?: string }): Promise<Check> {
  const name = `Check Storage (${storage.type})`;
  if (storage.type !== "sqlite" || storage.path === undefined) {
    return { name, status: "warning", messages: ["in-memory storage: nothing survives a restart"] };
  }
  const path = storage.path;
  try {
    if (!existsSync(path)) {
      accessSync(dirname(path), constants.W_OK);
      return { name, status: "success", messages: [`${path} does not exist yet; its directory is writable, so the server will create it`] };
    }
    accessSync(path, constants.R_OK | constants.W_OK);
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      db.prepare("SELECT count(*) AS n FROM sqlite_master").get();
    } finally {
      db.close();
    }
    return { name, status: "success", messages: [`${path} opens`] };
  } catch (e) {
    return { name, status: "failure", messages: [`${path}: ${(e as Error).message}`] };
  }
}

interface ListenerLike {
  type: "tcp" | "unix";
  address: string;
  host: string;
  port: number;
  tlsDisable: boolean;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsClientCaFile?: string;
}

async function checkListener(l: ListenerLike): Promise<Check> {
  const checks: Check[] = [await checkAddress(l)];
  if (l.type === "unix") {
    checks.push({ name: "Check TLS", status: "success", messages: ["a Unix socket: access follows its owner and mode"] });
  } else if (l.tlsDisable) {
    checks.push({ name: "Check TLS", status: "warning", messages: ["TLS is disabled: tokens and secrets cross the network in clear"] });
  } else {
    checks.push(checkTls(l));
  }
  return summarise(`Listener ${l.address}`, checks);
}

function checkAddress(l: ListenerLike): Promise<Check> {
  const name = "Check Address";
  if (l.type === "unix") {
    try {
      accessSync(dirname(l.address), constants.W_OK);
      return Promise.resolve({ name, status: "success", messages: [`the socket ${l.address} can be made`] });
    } catch {
      return Promise.resolve({ name, status: "warning", messages: [`${dirname(l.address)} is not writable yet (the server makes missing directories)`] });
    }
  }
  if (l.port === 0) return Promise.resolve({ name, status: "success", messages: ["port 0: the system picks a free port"] });
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", (e: NodeJS.ErrnoException) =>
      resolve({ name, status: "failure", messages: [`cannot listen on ${l.address}: ${e.code ?? e.message}`] }),
    );
    probe.listen(l.port, l.host, () => probe.close(() => resolve({ name, status: "success", messages: [`${l.address} is free`] })));
  });
}

function checkTls(l: ListenerLike): Check {
  const name = "Check TLS";
  const messages: string[] = [];
  let status: Status = "success";
  try {
    const cert = new X509Certificate(readFileSync(l.tlsCertFile ?? ""));
    const key = createPrivateKey(readFileSync(l.tlsKeyFile ?? ""));
    if (!cert.checkPrivateKey(key)) return { name, status: "failure", messages: [`${l.tlsKeyFile} is not the key of ${l.tlsCertFile}`] };
    const until = new Date(cert.validTo);
    const days = (until.getTime() - Date.now()) / 86_400_000;
    if (days <= 0) return { name, status: "failure", messages: [`${l.tlsCertFile} expired on ${until.toISOString()}`] };
    if (new Date(cert.validFrom).getTime() > Date.now()) {
      return { name, status: "failure", messages: [`${l.tlsCertFile} is not valid before ${new Date(cert.validFrom).toISOString()}`] };
    }
    if (days < EXPIRY_WARNING_DAYS) {
      status = "warning";
      messages.push(`${l.tlsCertFile} expires in ${Math.floor(days)} days (${until.toISOString()})`);
    } else {
      messages.push(`${l.tlsCertFile} is valid until ${until.toISOString()} and matches its key`);
    }
    if (l.tlsClientCaFile) {
      new X509Certificate(readFileSync(l.tlsClientCaFile));
      messages.push(`client CA ${l.tlsClientCaFile} loads`);
    }
  } catch (e) {
    return { name, status: "failure", messages: [(e as Error).message] };
  }
  return { name, status, messages };
}

function summarise(name: string, children: Check[]): Check {
  const status: Status = children.some((c) => c.status === "failure")
    ? "failure"
    : children.some((c) => c.status === "warning")
      ? "warning"
      : "success";
  return { name, status, messages: [], children };
}

function printCheck(out: (line: string) => void, c: Check, depth: number): void {
  const pad = "  ".repeat(depth);
  out(`${pad}[ ${c.status} ] ${c.name}`);
  for (const m of c.messages) out(`${pad}    ${m}`);
  for (const child of c.children ?? []) printCheck(out, child, depth + 1);
}
