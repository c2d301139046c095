import { Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { RequestMetrics } from "./request-metrics.js";

/** Gauges read at scrape time, from whatever the core knows then. */
export interface MetricsSources {
  sealed(): boolean;
  tokenCount(): Promise<number>;
  irrevocableLeaseCount(): Promise<number>;
}

/** Prometheus metrics, one registry per core (tests run several cores in one process). */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new RequestMetrics(this.registry);
  private sources: MetricsSources | undefined;

  constructor() {
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
    // The event-loop lag histogram samples on a timer: prom-client's default of every 10 ms
    // woke an idle server 200 times a second (~1% of a core on a 2-vCPU VM); 100 ms still gives
    // a 15-second scrape 150 samples.
    collectDefaultMetrics({ register: this.registry, prefix: "mayfly_process_", eventLoopMonitoringPrecision: 100 });
  }

  attach(sources: MetricsSources): void {
    this.sources = sources;
  }

  observeRequest(mount: string, operation: string, code: number, seconds: number): void {
    this.requests.observe(mount, operation, code, seconds);
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
