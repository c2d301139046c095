// Small statistics and formatting helpers, so every benchmark prints figures the same way.

/** The q-quantile (0..1) of an already sorted numeric array, nearest rank. */
export function quantileSorted(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export function sortedCopy(values) {
  return Float64Array.from(values).sort();
}

export function median(values) {
  return quantileSorted(sortedCopy(values), 0.5);
}

/** p50 and p99 of latencies given in microseconds, returned in milliseconds. */
export function latencySummaryMs(latenciesUs) {
  const sorted = sortedCopy(latenciesUs);
  return { p50: quantileSorted(sorted, 0.5) / 1000, p99: quantileSorted(sorted, 0.99) / 1000, count: sorted.length };
}

export const fmtInt = (n) => Math.round(n).toLocaleString("en-US");
export const fmtMs = (n) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));

/** Collects latencies without boxing each one into a JS array slot. */
export class LatencyRecorder {
  constructor(initial = 1 << 16) {
    this.values = new Float64Array(initial);
    this.length = 0;
  }
  push(value) {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = value;
  }
  take() {
    const out = this.values.slice(0, this.length);
    this.length = 0;
    return out;
  }
}

export function argument(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = process.argv[index + 1];
  return value === undefined || value.startsWith("--") ? "true" : value;
}
