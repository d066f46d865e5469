// Prometheus metrics of one process. Roles add their own; the ones every process has are made here.

import { Counter, Gauge, Histogram, Registry } from "prom-client";

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route">;
  roleRestarts: Counter<"role">;
  roleUp: Gauge<"role">;
  /** Filled on scrape by whoever can see the consumers (JetStream pending + unacknowledged per consumer). */
  consumerPending: Gauge<"stream" | "consumer">;
  clickhouseDiskFree: Gauge<"disk">;
  text(): Promise<string>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({ name: "pug_http_requests_total", help: "HTTP requests served", labelNames: ["method", "route", "status"], registers }),
    httpDuration: new Histogram({
      name: "pug_http_request_duration_seconds",
      help: "Time to answer HTTP requests",
      labelNames: ["method", "route"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    roleRestarts: new Counter({ name: "pug_role_restarts_total", help: "Times a role crashed and was restarted", labelNames: ["role"], registers }),
    roleUp: new Gauge({ name: "pug_role_up", help: "1 while a role runs, 0 while it waits to restart", labelNames: ["role"], registers }),
    consumerPending: new Gauge({ name: "pug_nats_consumer_pending", help: "Messages a JetStream consumer has not yet acknowledged (worker lag)", labelNames: ["stream", "consumer"], registers }),
    clickhouseDiskFree: new Gauge({ name: "pug_clickhouse_disk_free_bytes", help: "Free space on ClickHouse disks", labelNames: ["disk"], registers }),
    text: () => registry.metrics(),
  };
}
