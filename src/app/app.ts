// The application's life cycle: one place opens the clients of Postgres, ClickHouse, NATS and Redis, hands them
// to whichever roles run, and closes them again in reverse order. Clients are opened on first use, so a command
// that needs only Postgres does not fail because NATS is down.

import type { ClickHouseClient } from "@clickhouse/client";
import type { Config } from "../config/config.ts";
import { withTimeout } from "../domain/backoff.ts";
import { createClickHouse } from "../infra/clickhouse.ts";
import { connectNats, type Nats } from "../infra/nats.ts";
import { createPostgres, type Sql } from "../infra/postgres.ts";
import { createRedis, type Redis } from "../infra/redis.ts";
import { createLogger, type Logger } from "../logger.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { natsConnectionReporter } from "./nats-connection-log.ts";

export interface App {
  config: Config;
  log: Logger;
  metrics: Metrics;
  postgres(): Sql;
  clickhouse(): ClickHouseClient;
  /** Connects on first call; a failed attempt is not remembered, so the next call tries again. */
  nats(): Promise<Nats>;
  redis(): Redis;
  /** Closes every client opened, newest first, each within `deadlineMs`; reports all failures together. */
  close(deadlineMs?: number): Promise<void>;
}

export function bootstrap(config: Config, options: { log?: Logger; name?: string } = {}): App {
  const log = options.log ?? createLogger({ level: config.logLevel });
  const metrics = createMetrics();
  const closers: { name: string; close: () => Promise<unknown> | unknown }[] = [];
  const once = <T>(name: string, open: () => T, close: (client: T) => Promise<unknown> | unknown) => {
    let client: T | undefined;
    return () => {
      if (client === undefined) {
        client = open();
        const opened = client;
        closers.push({ name, close: () => close(opened) });
      }
      return client;
    };
  };

  const postgres = once("postgres", () => createPostgres({ url: config.postgres.url }), (sql) => sql.end({ timeout: 5 }));
  const clickhouse = once("clickhouse", () => createClickHouse({ url: config.clickhouse.url, database: config.clickhouse.database }), (ch) => ch.close());
  const redis = once("redis", () => {
    const client = createRedis({ url: config.redis.url, prefix: config.redis.prefix });
    client.connect().catch((error) => log.warn("redis connection failed; retrying in the background", { error }));
    return client;
  }, (r) => r.close());

  let natsConnection: Promise<Nats> | undefined;
  const onNatsEvent = natsConnectionReporter(log, metrics);
  const nats = () => {
    natsConnection ??= connectNats({ url: config.nats.url, prefix: config.nats.prefix, name: options.name ?? "pug", onEvent: onNatsEvent }).then(
      (connected) => {
        metrics.natsConnected.set(1);
        log.debug("nats connected", { server: connected.connection.getServer() });
        closers.push({ name: "nats", close: () => connected.close() });
        return connected;
      },
      (error) => {
        natsConnection = undefined;
        throw error;
      },
    );
    return natsConnection;
  };

  return {
    config,
    log,
    metrics,
    postgres,
    clickhouse,
    nats,
    redis,
    async close(deadlineMs = 10_000) {
      const failures: string[] = [];
      for (const { name, close } of closers.splice(0).reverse()) {
        await withTimeout(Promise.resolve().then(close), deadlineMs, name).catch((error: Error) => failures.push(error.message));
      }
      if (failures.length > 0) throw new AggregateError([], `closing connections: ${failures.join("; ")}`);
    },
  };
}
