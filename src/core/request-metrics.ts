/**
 * The per-request series: `mayfly_request_duration_seconds` (histogram by mount and
 * operation) and `mayfly_requests_total` (counter by mount, operation and status code).
 *
 * Kept here rather than in prom-client's Histogram and Counter: their labelled observe()
 * and inc() check the labels and build a sorted label hash on every call, about a
 * microsecond per request under load (a KV read costs ~15 µs in all). A request here adds
 * to numbers found through two map lookups; the series are handed to prom-client's registry
 * at scrape time, in the shape its own metrics give, so the text is the same.
 */
import type { Registry } from "prom-client";

const BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const DURATION = "mayfly_request_duration_seconds";
const REQUESTS = "mayfly_requests_total";

interface Series {
  readonly mount: string;
  readonly operation: string;
  sum: number;
  count: number;
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  readonly buckets: Float64Array;
  readonly codes: Map<number, CodeCount>;
}

interface CodeCount {
  readonly series: Series;
  readonly code: string;
  n: number;
}

interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

export class RequestMetrics {
  private readonly byMount = new Map<string, Map<string, Series>>();
  // Scraped in the order first seen, as prom-client lists its series.
  private readonly allSeries: Series[] = [];
  private readonly allCodes: CodeCount[] = [];

  constructor(registry: Registry) {
    const self = this;
    const metric = (name: string, help: string, type: "histogram" | "counter", values: () => MetricValue[]) => ({
      name,
      help,
      type,
      aggregator: "sum",
      async get() {
        return { name, help, type, values: values(), aggregator: "sum" };
      },
      reset() {
        self.byMount.clear();
        self.allSeries.length = 0;
        self.allCodes.length = 0;
      },
    });
    // registerMetric takes any object with get(); prom-client's types want its own classes.
    const register = (m: ReturnType<typeof metric>) => registry.registerMetric(m as unknown as Parameters<Registry["registerMetric"]>[0]);
    register(metric(DURATION, "Time to serve a request, by mount and operation", "histogram", () => this.durationValues()));
    register(metric(REQUESTS, "Requests served, by mount, operation and HTTP status", "counter", () => this.requestValues()));
  }

  observe(mount: string, operation: string, code: number, seconds: number): void {
    let ops = this.byMount.get(mount);
    if (ops === undefined) {
      ops = new Map();
      this.byMount.set(mount, ops);
    }
    let s = ops.get(operation);
    if (s === undefined) {
      s = { mount, operation, sum: 0, count: 0, buckets: new Float64Array(BUCKETS.length + 1), codes: new Map() };
      ops.set(operation, s);
      this.allSeries.push(s);
    }
    if (!Number.isFinite(seconds)) return;
    s.sum += seconds;
    s.count++;
    let i = 0;
    while (i < BUCKETS.length && seconds > (BUCKETS[i] as number)) i++;
    s.buckets[i] = (s.buckets[i] as number) + 1;
    let c = s.codes.get(code);
    if (c === undefined) {
      c = { series: s, code: String(code), n: 0 };
      s.codes.set(code, c);
      this.allCodes.push(c);
    }
    c.n++;
  }

  private durationValues(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const s of this.allSeries) {
      const base = { mount: s.mount, operation: s.operation };
      let cumulative = 0;
      BUCKETS.forEach((le, i) => {
        cumulative += s.buckets[i] as number;
        out.push({ metricName: `${DURATION}_bucket`, labels: { le, ...base }, value: cumulative });
      });
      out.push({ metricName: `${DURATION}_bucket`, labels: { le: "+Inf", ...base }, value: s.count });
      out.push({ metricName: `${DURATION}_sum`, labels: { ...base }, value: s.sum });
      out.push({ metricName: `${DURATION}_count`, labels: { ...base }, value: s.count });
    }
    return out;
  }

  private requestValues(): MetricValue[] {
    const out: MetricValue[] = [];
    for (const c of this.allCodes) out.push({ labels: { mount: c.series.mount, operation: c.series.operation, code: c.code }, value: c.n });
    return out;
  }
}
