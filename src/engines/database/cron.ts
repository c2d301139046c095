/**
 * The five-field cron schedules Vault accepts for `rotation_schedule` (robfig/cron with
 * minute, hour, day of month, month and day of week; no seconds, no descriptors).
 * Evaluated in UTC. As in robfig/cron, when either day field is restricted a day
 * matches if either one does; `*` and `?` leave a field unrestricted.
 */

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MONTH_NAMES = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DOW_NAMES = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTH_NAMES },
  { name: "day of week", min: 0, max: 6, names: DOW_NAMES },
];

interface ParsedField {
  readonly values: ReadonlySet<number>;
  /** Unrestricted (`*` or `?` without a step): matters for the day-of-month/day-of-week rule. */
  readonly star: boolean;
}

export class CronError extends Error {}

export interface CronSchedule {
  readonly source: string;
  /** The first matching minute strictly after `afterMs` (Unix ms, UTC), or undefined within 5 years. */
  next(afterMs: number): number | undefined;
}

export function parseCron(source: string): CronSchedule {
  const spec = source.trim();
  if (spec === "") throw new CronError("empty spec string");
  if (spec.startsWith("@")) throw new CronError(`descriptors are not accepted: ${spec}`);
  const parts = spec.split(/\s+/);
  if (parts.length !== FIELDS.length) {
    throw new CronError(`expected exactly ${FIELDS.length} fields, found ${parts.length}: ${spec}`);
  }
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, FIELDS[i] as FieldSpec)) as [
    ParsedField,
    ParsedField,
    ParsedField,
    ParsedField,
    ParsedField,
  ];

  const dayMatches = (d: Date): boolean => {
    const domMatch = dom.values.has(d.getUTCDate());
    const dowMatch = dow.values.has(d.getUTCDay());
    return dom.star || dow.star ? domMatch && dowMatch : domMatch || dowMatch;
  };

  return {
    source: spec,
    next(afterMs: number): number | undefined {
      let t = Math.floor(afterMs / 60_000) * 60_000 + 60_000;
      const limit = Date.UTC(new Date(t).getUTCFullYear() + 5, 0, 1);
      while (t < limit) {
        const d = new Date(t);
        const y = d.getUTCFullYear();
        const mo = d.getUTCMonth();
        const day = d.getUTCDate();
        const h = d.getUTCHours();
        if (!month.values.has(mo + 1)) {
          t = Date.UTC(y, mo + 1, 1);
        } else if (!dayMatches(d)) {
          t = Date.UTC(y, mo, day + 1);
        } else if (!hour.values.has(h)) {
          t = Date.UTC(y, mo, day, h + 1);
        } else if (!minute.values.has(d.getUTCMinutes())) {
          t += 60_000;
        } else {
          return t;
        }
      }
      return undefined;
    },
  };
}

function parseField(text: string, spec: FieldSpec): ParsedField {
  const values = new Set<number>();
  let star = false;
  for (const item of text.split(",")) {
    const [rangePart, stepPart, extra] = item.split("/");
    if (rangePart === undefined || rangePart === "" || extra !== undefined) {
      throw new CronError(`invalid ${spec.name} "${item}"`);
    }
    let start: number;
    let end: number;
    let itemStar = false;
    if (rangePart === "*" || rangePart === "?") {
      start = spec.min;
      end = spec.max;
      itemStar = true;
    } else {
      const bounds = rangePart.split("-");
      if (bounds.length > 2) throw new CronError(`too many hyphens in ${spec.name} "${item}"`);
      start = parseValue(bounds[0] as string, spec);
      end = bounds.length === 2 ? parseValue(bounds[1] as string, spec) : start;
    }
    let step = 1;
    if (stepPart !== undefined) {
      step = parseNumber(stepPart, `step of ${spec.name}`);
      if (step <= 0) throw new CronError(`step of ${spec.name} must be positive: "${item}"`);
      // "N/step" runs from N to the field's maximum.
      if (!itemStar && !rangePart.includes("-")) end = spec.max;
      if (step > 1) itemStar = false;
    }
    if (start < spec.min) throw new CronError(`beginning of ${spec.name} range (${start}) below minimum (${spec.min}): ${item}`);
    if (end > spec.max) throw new CronError(`end of ${spec.name} range (${end}) above maximum (${spec.max}): ${item}`);
    if (start > end) throw new CronError(`beginning of ${spec.name} range (${start}) beyond end of range (${end}): ${item}`);
    for (let v = start; v <= end; v += step) values.add(v);
    star ||= itemStar;
  }
  return { values, star };
}

function parseValue(text: string, spec: FieldSpec): number {
  const named = spec.names?.[text.toLowerCase()];
  if (named !== undefined) return named;
  return parseNumber(text, spec.name);
}

function parseNumber(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new CronError(`failed to parse int from ${what} "${text}"`);
  return Number(text);
}
