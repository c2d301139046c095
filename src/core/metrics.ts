import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Gauges read at scrape time, from whatever the core knows then. */
export interface MetricsSources {
  sealed(): boolean;
  tokenCount(): Promise<number>;
  irrevocableLeaseCount(): Promise<number>;
}

/** Prometheus metrics, one registry per core (tests run several cores in one process). */
export class Metrics {
  readonly registry = new Registry();
  private readonly requestSeconds: Histogram<"mount" | "operation">;
  private readonly requests: Counter<"mount" | "operation" | "code">;
  private sources: MetricsSources | undefined;
  private readonly children = new Map<string, { seconds: { observe(v: number): void }; count: { inc(): void } }>();

  constructor() {
    this.requestSeconds = new Histogram({
      name: "mayfly_request_duration_seconds",
      help: "Time to serve a request, by mount and operation",
      labelNames: ["mount", "operation"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.requests = new Counter({
      name: "mayfly_requests_total",
      help: "Requests served, by mount, operation and HTTP status",
      labelNames: ["mount", "operation", "code"],
      registers: [this.registry],
    });
    const self = this;
    new Gauge({
      name: "mayfly_core_unsealed",
      help: "1 when the core is unsealed",
      registers: [this.registry],
      collect() {
        if (self.sources) this.set(self.sources.sealed() ? 0 : 1);
      },
    });
    new Gauge({
      name: "mayfly_tokens",
      help: "Tokens in storage",
      registers: [this.registry],
      async collect() {
        if (self.sources && !self.sources.sealed()) this.set(await self.sources.tokenCount());
      },
    });
    new Gauge({
      name: "mayfly_leases_irrevocable",
      help: "Leases whose revocation exhausted its attempts and awaits an operator or tidy",
      registers: [this.registry],
      async collect() {
        if (self.sources && !self.sources.sealed()) this.set(await self.sources.irrevocableLeaseCount());
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: "mayfly_process_" });
  }

  attach(sources: MetricsSources): void {
    this.sources = sources;
  }

  observeRequest(mount: string, operation: string, code: number, seconds: number): void {
    // Label lookups cost more than the observation; keep each series' child at hand.
    const key = `${mount}\u0000${operation}\u0000${code}`;
    let child = this.children.get(key);
    if (!child) {
      child = { seconds: this.requestSeconds.labels(mount, operation), count: this.requests.labels(mount, operation, String(code)) };
      this.children.set(key, child);
    }
    child.seconds.observe(seconds);
    child.count.inc();
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
