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
  /** Events in SDK requests: accepted (queued) or dropped with a reason. */
  intakeEvents: Counter<"outcome" | "reason">;
  /** Times Redis was unreachable and the request went on without it. */
  redisFailOpen: Counter<"purpose">;
  workerBatchEvents: Histogram<"worker">;
  workerInsertSeconds: Histogram<"worker">;
  workerEvents: Counter<"worker" | "outcome">;
  deadLettered: Counter<"worker" | "reason">;
  /** Changes of the NATS connection's state: disconnect, reconnect, reconnecting, error, ldm, stale_connection, … */
  natsConnectionEvents: Counter<"event">;
  natsConnected: Gauge;
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
    intakeEvents: new Counter({ name: "pug_intake_events_total", help: "Events received by the SDK API, by outcome (accepted, dropped) and drop reason", labelNames: ["outcome", "reason"], registers }),
    redisFailOpen: new Counter({ name: "pug_redis_fail_open_total", help: "Requests served without Redis because it was unreachable", labelNames: ["purpose"], registers }),
    workerBatchEvents: new Histogram({ name: "pug_worker_batch_events", help: "Events per ClickHouse insert", labelNames: ["worker"], buckets: [1, 10, 50, 100, 500, 1000, 5000, 10000, 50000], registers }),
    workerInsertSeconds: new Histogram({ name: "pug_worker_insert_seconds", help: "Time of one ClickHouse insert, retries excluded", labelNames: ["worker"], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
    workerEvents: new Counter({ name: "pug_worker_events_total", help: "Events the worker handled, by outcome (stored, duplicate_batch)", labelNames: ["worker", "outcome"], registers }),
    deadLettered: new Counter({ name: "pug_dead_lettered_total", help: "Messages moved to a dead-letter stream, by reason", labelNames: ["worker", "reason"], registers }),
    natsConnectionEvents: new Counter({ name: "pug_nats_connection_events_total", help: "Changes of the NATS connection's state, by event (disconnect, reconnect, reconnecting, error, ldm, stale_connection, …)", labelNames: ["event"], registers }),
    natsConnected: new Gauge({ name: "pug_nats_connected", help: "1 while this process is connected to a NATS server, 0 while it is not (or has not connected yet)", registers }),
    text: () => registry.metrics(),
  };
}
