/**
 * The CLI as a function: `runCli(argv, io)` finds the command named by the leading
 * words of argv (the longest match, as mitchellh/cli does), parses its flags and runs it.
 * Nothing here touches `process`, so tests drive it in-process.
 */
import { Ctx, LocalError, httpFlags, outputFlags, renderHelp, type Command } from "./command.js";
import { FlagError, parseFlags } from "./flags.js";
import { ApiError, TransportError } from "./http-client.js";
import { OutputRequestError } from "./output-request.js";
import { knownFormats } from "./output.js";
import type { CliIo } from "./io.js";
import { deleteCommand, listCommand, patchCommand, readCommand, writeCommand } from "./commands/generic.js";
import {
  kvDeleteCommand,
  kvDestroyCommand,
  kvGetCommand,
  kvListCommand,
  kvPatchCommand,
  kvPutCommand,
  kvUndeleteCommand,
} from "./commands/kv.js";
import { kvMetadataDeleteCommand, kvMetadataGetCommand, kvMetadataPatchCommand, kvMetadataPutCommand } from "./commands/kv-metadata.js";
import { kvEnableVersioningCommand, kvRollbackCommand } from "./commands/kv-rollback.js";
import {
  tokenCapabilitiesCommand,
  tokenCreateCommand,
  tokenLookupCommand,
  tokenRenewCommand,
  tokenRevokeCommand,
} from "./commands/token.js";
import {
  authDisableCommand,
  authEnableCommand,
  authListCommand,
  authTuneCommand,
  secretsDisableCommand,
  secretsEnableCommand,
  secretsListCommand,
  secretsTuneCommand,
} from "./commands/mounts.js";
import { auditDisableCommand, auditEnableCommand, auditListCommand } from "./commands/audit.js";
import { policyDeleteCommand, policyFmtCommand, policyListCommand, policyReadCommand, policyWriteCommand } from "./commands/policy.js";
import { leaseLookupCommand, leaseRenewCommand, leaseRevokeCommand } from "./commands/lease.js";
import {
  operatorKeyStatusCommand,
  operatorRotateCommand,
  operatorSealCommand,
  operatorStepDownCommand,
  operatorUnsealCommand,
  statusCommand,
} from "./commands/operator.js";
import { operatorInitCommand } from "./commands/operator-init.js";
import { operatorRekeyCommand } from "./commands/operator-rekey.js";
import { operatorGenerateRootCommand } from "./commands/operator-generate-root.js";
import { loginCommand } from "./commands/login.js";
import { monitorCommand, printTokenCommand, runServer, versionCommand, versionHistoryCommand } from "./commands/misc.js";
import { unwrapCommand } from "./commands/unwrap.js";
import { authHelpCommand, pathHelpCommand } from "./commands/path-help.js";
import { operatorDiagnoseCommand } from "./commands/operator-diagnose.js";
import { authMoveCommand, secretsMoveCommand } from "./commands/mounts-move.js";
import { pluginInfoCommand, pluginListCommand } from "./commands/plugin.js";

export type { CliIo } from "./io.js";

export const commands: readonly Command[] = [
  readCommand,
  writeCommand,
  listCommand,
  deleteCommand,
  patchCommand,
  kvPutCommand,
  kvGetCommand,
  kvPatchCommand,
  kvListCommand,
  kvDeleteCommand,
  kvUndeleteCommand,
  kvDestroyCommand,
  kvMetadataGetCommand,
  kvMetadataPutCommand,
  kvMetadataDeleteCommand,
  kvMetadataPatchCommand,
  kvRollbackCommand,
  kvEnableVersioningCommand,
  tokenCreateCommand,
  tokenLookupCommand,
  tokenRenewCommand,
  tokenRevokeCommand,
  tokenCapabilitiesCommand,
  secretsEnableCommand,
  secretsDisableCommand,
  secretsListCommand,
  secretsTuneCommand,
  secretsMoveCommand,
  authEnableCommand,
  authDisableCommand,
  authListCommand,
  authTuneCommand,
  authMoveCommand,
  auditEnableCommand,
  auditDisableCommand,
  auditListCommand,
  policyWriteCommand,
  policyReadCommand,
  policyListCommand,
  policyDeleteCommand,
  policyFmtCommand,
  leaseRenewCommand,
  leaseRevokeCommand,
  leaseLookupCommand,
  statusCommand,
  operatorInitCommand,
  operatorUnsealCommand,
  operatorSealCommand,
  operatorStepDownCommand,
  operatorDiagnoseCommand,
  operatorRotateCommand,
  operatorKeyStatusCommand,
  operatorRekeyCommand,
  operatorGenerateRootCommand,
  loginCommand,
  unwrapCommand,
  pathHelpCommand,
  authHelpCommand,
  pluginListCommand,
  pluginInfoCommand,
  printTokenCommand,
  monitorCommand,
  versionCommand,
  versionHistoryCommand,
];

const groups: Record<string, string> = {
  kv: "Interact with Mayfly's Key-Value storage",
  "kv metadata": "Interact with Mayfly's Key-Value storage metadata",
  token: "Interact with tokens",
  secrets: "Interact with secrets engines",
  auth: "Interact with auth methods",
  audit: "Interact with audit devices",
  policy: "Interact with policies",
  lease: "Interact with leases",
  operator: "Perform operator-specific tasks",
  plugin: "Interact with Mayfly plugins and catalog",
  print: "Prints runtime configurations",
};

const common = ["read", "write", "delete", "list", "login", "server", "status", "unwrap", "version"];

function topLevelHelp(): string {
  const synopsis = new Map<string, string>(commands.filter((c) => !c.path.includes(" ")).map((c) => [c.path, c.synopsis]));
  synopsis.set("server", "Start a Mayfly server");
  for (const [g, s] of Object.entries(groups)) if (!g.includes(" ")) synopsis.set(g, s);
  const line = (name: string) => `    ${name.padEnd(14)}${synopsis.get(name) ?? ""}`;
  const other = [...synopsis.keys()].filter((n) => !common.includes(n)).sort();
  return [
    "Usage: mayfly <command> [args]",
    "",
    "Common commands:",
    ...common.map(line),
    "",
    "Other commands:",
    ...other.map(line),
  ].join("\n");
}

function groupHelp(group: string): string {
  const children = commands.filter((c) => c.path.startsWith(group + " "));
  const direct = new Map<string, string>();
  for (const c of children) {
    const next = c.path.slice(group.length + 1).split(" ")[0] as string;
    const sub = `${group} ${next}`;
    direct.set(next, groups[sub] ?? (c.path === sub ? c.synopsis : ""));
  }
  const names = [...direct.keys()].sort();
  // As mitchellh/cli aligns them: the longest name plus four spaces (never narrower than before).
  const width = Math.max(14, ...names.map((n) => n.length + 4));
  return [
    `Usage: mayfly ${group} <subcommand> [options] [args]`,
    "",
    `  ${groups[group] ?? ""}`,
    "",
    "Subcommands:",
    ...names.map((n) => `    ${n.padEnd(width)}${direct.get(n) ?? ""}`),
  ].join("\n");
}

function findCommand(argv: readonly string[]): { command?: Command; group?: string; rest: string[] } {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith("-")) break;
    words.push(a);
  }
  for (let n = Math.min(words.length, 3); n > 0; n--) {
    const path = words.slice(0, n).join(" ");
    const command = commands.find((c) => c.path === path);
    if (command) return { command, rest: argv.slice(n) };
  }
  for (let n = Math.min(words.length, 2); n > 0; n--) {
    const path = words.slice(0, n).join(" ");
    if (path in groups) return { group: path, rest: argv.slice(n) };
  }
  return { rest: [...argv] };
}

/** Runs the CLI; resolves to the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const out = (s: string) => io.stdout.write(s + "\n");
  const err = (s: string) => io.stderr.write(s + "\n");
  const first = argv[0];
  if (first === undefined) {
    err(topLevelHelp());
    return 127;
  }
  if (["-h", "-help", "--help", "help"].includes(first) && argv.length === 1) {
    out(topLevelHelp());
    return 0;
  }
  if (["-v", "-version", "--version"].includes(first)) argv = ["version"];
  if (first === "help" && argv.length > 1) argv = [...argv.slice(1), "-h"];
  if (argv[0] === "server") return runServer(argv.slice(1));

  const found = findCommand(argv);
  if (!found.command) {
    if (found.group !== undefined) {
      const wantsHelp = found.rest.some((a) => ["-h", "-help", "--help"].includes(a));
      (wantsHelp ? out : err)(groupHelp(found.group));
      return wantsHelp ? 0 : 1;
    }
    err(topLevelHelp());
    return 127;
  }
  const command = found.command;
  const specs = [...(command.local ? [] : [...httpFlags, ...outputFlags]), ...(command.flags ?? [])];
  let parsed;
  try {
    parsed = parseFlags(found.rest, specs, io.env);
  } catch (e) {
    if (e instanceof FlagError) {
      err(e.message);
      return 1;
    }
    throw e;
  }
  if (parsed.help) {
    out(renderHelp(command));
    return 0;
  }
  const ctx = new Ctx(io, command, parsed.args, parsed.flags);
  if (!command.local && !(knownFormats as readonly string[]).includes(ctx.format)) {
    err(`Invalid output format: ${ctx.format}`);
    return 1;
  }
  try {
    return await command.run(ctx);
  } catch (e) {
    if (e instanceof OutputRequestError) {
      out(e.message);
      return 0;
    }
    if (e instanceof ApiError || e instanceof TransportError) {
      err(e.message);
      return 2;
    }
    err(e instanceof LocalError ? e.message : `Error: ${(e as Error).message}`);
    return 1;
  }
}
