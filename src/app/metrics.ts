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
  /** SDK calls refused because their JetStream stream was full (back-pressure, answered 503 + Retry-After). */
  intakeQueueFull: Counter<"queue">;
  /** Binary BatchCreate requests answered without Hono and Connect (src/server/sdk/batch-create-fast.ts). */
  intakeFastPath: Counter;
  /** Requests the client abandoned before the server had read them (aborted uploads, dropped connections). */
  httpAborted: Counter<"route">;
  /** Filled on scrape: each stream's size against its limits, so a filling queue is seen before it refuses. */
  streamBytes: Gauge<"stream">;
  streamMaxBytes: Gauge<"stream">;
  streamMessages: Gauge<"stream">;
  /** The server's in-memory API-key snapshot: how many live keys, and when Postgres was last read. */
  apiKeys: Gauge;
  apiKeysReadAt: Gauge;
  /** Times Redis was unreachable and the request went on without it. */
  redisFailOpen: Counter<"purpose">;
  /** Insight answers and explorer pages: from the Redis cache (hit), computed (miss), not stored (too_large), Redis failed (get_error, set_error). */
  insightsCache: Counter<"outcome">;
  /** The stream → ClickHouse writer (src/pipeline/), one label value per table. */
  writerBatchRows: Histogram<"table">;
  writerInsertSeconds: Histogram<"table">;
  writerInsertFailures: Counter<"table" | "kind">;
  writerRows: Counter<"table">;
  writerDerivedDropped: Counter<"table">;
  writerHeldBytes: Gauge<"table">;
  writerFetchErrors: Counter<"table">;
  /** Messages found gone from the stream before they were written (removed by its age or size limits). */
  writerMessagesGone: Counter<"table">;
  deadLettered: Counter<"table" | "reason">;
  /** Changes of the NATS connection's state: disconnect, reconnect, reconnecting, error, ldm, stale_connection, … */
  natsConnectionEvents: Counter<"event">;
  natsConnected: Gauge;
  /** Identify calls applied by the profile worker, by outcome (created, updated, unchanged, dropped_erased). */
  identifyCalls: Counter<"outcome">;
  /** Anonymous ids an identify call named, by outcome (linked, merged, already_linked, refused) and refusal reason. */
  identityLinks: Counter<"outcome" | "reason">;
  /** Data of an erased person dropped by a writer instead of being stored (never dead-lettered: it is personal). */
  erasedDropped: Counter<"table">;
  /** Events of a request the events worker had already stored lately (an SDK's retry), dropped as repeats. */
  repeatedEvents: Counter;
  /** Events partitions this process writes now (src/workers/events/partition-leases.ts). */
  partitionsHeld: Gauge;
  /** Erasure requests finished by the worker: completed, or failed for good. */
  erasures: Counter<"outcome">;
  /** Mail jobs handled by the email worker, by outcome (sent, duplicate, retried, dead_lettered). */
  emails: Counter<"outcome">;
  /** Scheduled job runs, by job and outcome (ok, failed, skipped: another scheduler had claimed the slot, or another run of the job was still going). */
  schedulerRuns: Counter<"job" | "outcome">;
  schedulerRunSeconds: Histogram<"job">;
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
    intakeFastPath: new Counter({ name: "pug_intake_fast_path_requests_total", help: "Binary BatchCreate requests answered by the fast path; the rest of the SDK's requests go through Hono and Connect", registers }),
    intakeQueueFull: new Counter({ name: "pug_intake_queue_full_total", help: "SDK calls refused with 503 because their queue (JetStream stream) was full", labelNames: ["queue"], registers }),
    httpAborted: new Counter({ name: "pug_http_aborted_requests_total", help: "Requests the client abandoned before the server read them", labelNames: ["route"], registers }),
    streamBytes: new Gauge({ name: "pug_nats_stream_bytes", help: "Bytes held by a JetStream stream", labelNames: ["stream"], registers }),
    streamMaxBytes: new Gauge({ name: "pug_nats_stream_max_bytes", help: "A JetStream stream's max_bytes (-1: unlimited); when full it refuses new messages", labelNames: ["stream"], registers }),
    streamMessages: new Gauge({ name: "pug_nats_stream_messages", help: "Messages held by a JetStream stream", labelNames: ["stream"], registers }),
    apiKeys: new Gauge({ name: "pug_api_keys", help: "Live API keys in this server's in-memory snapshot", registers }),
    apiKeysReadAt: new Gauge({ name: "pug_api_keys_read_timestamp_seconds", help: "When this server last read API keys from Postgres (unix time); stale past a few seconds means Postgres is unreadable", registers }),
    redisFailOpen: new Counter({ name: "pug_redis_fail_open_total", help: "Requests served without Redis because it was unreachable", labelNames: ["purpose"], registers }),
    insightsCache: new Counter({ name: "pug_insights_cache_total", help: "Insight answers and event explorer pages by cache outcome (hit, miss, too_large, get_error, set_error)", labelNames: ["outcome"], registers }),
    writerBatchRows: new Histogram({ name: "pug_writer_batch_rows", help: "Rows per ClickHouse insert", labelNames: ["table"], buckets: [1, 10, 50, 100, 500, 1000, 5000, 10000, 50000], registers }),
    writerInsertSeconds: new Histogram({ name: "pug_writer_insert_seconds", help: "Time of one ClickHouse insert attempt that succeeded", labelNames: ["table"], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
    writerInsertFailures: new Counter({ name: "pug_writer_insert_failures_total", help: "Failed ClickHouse insert attempts, by kind (data: refused rows; unavailable: anything else, retried)", labelNames: ["table", "kind"], registers }),
    writerDerivedDropped: new Counter({ name: "pug_writer_derived_dropped_rows_total", help: "Rows of a derived table (the events' filter schema) left out of a write because the table kept refusing them; the events themselves were written", labelNames: ["table"], registers }),
    writerRows: new Counter({ name: "pug_writer_rows_total", help: "Rows written to ClickHouse", labelNames: ["table"], registers }),
    writerHeldBytes: new Gauge({ name: "pug_writer_held_bytes", help: "Bytes held by the writer, not yet written: its stream messages, and their rows encoded for ClickHouse", labelNames: ["table"], registers }),
    writerFetchErrors: new Counter({ name: "pug_writer_fetch_errors_total", help: "Pulls from JetStream that failed and were retried (reconnects, leader elections, missed heartbeats)", labelNames: ["table"], registers }),
    writerMessagesGone: new Counter({ name: "pug_writer_messages_gone_total", help: "Messages removed from their stream (age or size limits) before they were written", labelNames: ["table"], registers }),
    deadLettered: new Counter({ name: "pug_dead_lettered_total", help: "Messages moved to a dead-letter stream, by table and reason", labelNames: ["table", "reason"], registers }),
    natsConnectionEvents: new Counter({ name: "pug_nats_connection_events_total", help: "Changes of the NATS connection's state, by event (disconnect, reconnect, reconnecting, error, ldm, stale_connection, …)", labelNames: ["event"], registers }),
    natsConnected: new Gauge({ name: "pug_nats_connected", help: "1 while this process is connected to a NATS server, 0 while it is not (or has not connected yet)", registers }),
    identifyCalls: new Counter({ name: "pug_identify_calls_total", help: "Identify calls applied by the profile worker, by outcome (created, updated, unchanged, dropped_erased)", labelNames: ["outcome"], registers }),
    identityLinks: new Counter({ name: "pug_identity_links_total", help: "Anonymous ids named by identify calls, by outcome (linked, merged, already_linked, refused) and refusal reason", labelNames: ["outcome", "reason"], registers }),
    partitionsHeld: new Gauge({ name: "pug_events_partitions_held", help: "Events partitions this process writes now: its share of the events partitions among the live events workers (0: a standby)", registers }),
    repeatedEvents: new Counter({ name: "pug_events_repeated_total", help: "Events of a request already stored within the last 2 minutes (an SDK's retry after a lost answer), dropped by the events worker", registers }),
    erasedDropped: new Counter({ name: "pug_erased_dropped_total", help: "Data of an erased person dropped by a writer instead of being stored", labelNames: ["table"], registers }),
    erasures: new Counter({ name: "pug_erasures_total", help: "Data-subject erasure requests finished, by outcome (completed, failed)", labelNames: ["outcome"], registers }),
    emails: new Counter({ name: "pug_email_jobs_total", help: "Mail jobs handled by the email worker, by outcome (sent, duplicate: already sent and skipped, expired: past its notAfter and dropped, retried, dead_lettered)", labelNames: ["outcome"], registers }),
    schedulerRuns: new Counter({ name: "pug_scheduler_runs_total", help: "Scheduled job runs, by job and outcome (ok, failed, skipped: another scheduler had claimed the slot, or another run of the job was still going)", labelNames: ["job", "outcome"], registers }),
    schedulerRunSeconds: new Histogram({ name: "pug_scheduler_run_seconds", help: "Time of a scheduled job run this process claimed", labelNames: ["job"], buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800], registers }),
    text: () => registry.metrics(),
  };
}
