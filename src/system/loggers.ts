/**
 * `sys/loggers` and `sys/loggers/:name`: read and change the log level while the server
 * runs; DELETE goes back to the configured level. Nothing is persisted, as in Vault.
 * Mayfly logs through one logger, reported under Vault's name for the core's, "core";
 * setting all loggers or "core" changes the same level.
 */
import { badRequest } from "../framework/errors.js";
import { definePath, type PathDef } from "../framework/types.js";
import type { LogLevel, LogLevelControl } from "../server/logger.js";
import type { SysExtras } from "./extras.js";

export const LOGGER_NAMES: readonly string[] = ["core"];

const LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error"];

/** Vault's level words (hclog's parser: case-insensitive, "warning" and "err" too). */
export function parseLevel(raw: string): LogLevel {
  const v = raw.trim().toLowerCase();
  if ((LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  if (v === "warning") return "warn";
  if (v === "err") return "error";
  throw badRequest(`invalid level provided: unknown log level: ${raw}`);
}

function levelFrom(raw: unknown, provided: boolean): LogLevel {
  if (!provided) throw badRequest("level is required");
  const s = typeof raw === "string" ? raw : String(raw);
  if (s === "") throw badRequest("level is empty");
  return parseLevel(s);
}

function checkName(name: string): void {
  if (name === "") throw badRequest("name is empty");
}

function checkKnown(name: string): void {
  if (!LOGGER_NAMES.includes(name)) throw badRequest(`logger "${name}" not found`);
}

function levels(control: LogLevelControl): Record<string, string> {
  return Object.fromEntries(LOGGER_NAMES.map((n) => [n, control.level()]));
}

const fields = {
  level: { type: "string", description: 'Log verbosity level: "trace", "debug", "info", "warn" or "error".' },
} as const;

export function loggerPaths(extras: SysExtras): PathDef[] {
  const control = extras.logLevels;
  return [
    definePath({
      pattern: "loggers",
      fields,
      help: `Read or change the verbosity of every logger; delete reverts them to the configured level.

Mayfly logs through one logger, named core, so a read lists only core. The level takes
effect at once and is not stored: a restart starts again from the configured level.`,
      operations: {
        read: async () => ({ data: levels(control) }),
        update: async (_req, f) => {
          control.setLevel(levelFrom(f.raw.level, f.has("level")));
          return undefined;
        },
        delete: async () => {
          control.setLevel(control.configuredLevel);
          return undefined;
        },
      },
    }),
    definePath({
      pattern: "loggers/*name",
      fields: { ...fields, name: { type: "string", required: true, description: "The logger to read or change." } },
      help: `Read or change the verbosity of one logger; delete reverts it to the configured level.

The one logger is core. Reading any other name answers no data; writing or deleting it
answers 400. The level takes effect at once and is not stored.`,
      operations: {
        // Vault answers an unknown name with no data rather than an error.
        read: async (_req, f) => ({ data: LOGGER_NAMES.includes(f.values.name) ? { [f.values.name]: control.level() } : {} }),
        // Checked in Vault's order: the name, then the level, then whether the logger exists.
        update: async (_req, f) => {
          checkName(f.values.name);
          const level = levelFrom(f.raw.level, f.has("level"));
          checkKnown(f.values.name);
          control.setLevel(level);
          return undefined;
        },
        delete: async (_req, f) => {
          checkName(f.values.name);
          checkKnown(f.values.name);
          control.setLevel(control.configuredLevel);
          return undefined;
        },
      },
    }),
  ];
}
