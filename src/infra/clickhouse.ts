// ClickHouse: the event store. Settings the product relies on are set here explicitly, so development (chDB),
// tests and production servers behave alike whatever their defaults.

import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client";

export interface ClickHouseOptions {
  url: string;
  database: string;
  requestTimeoutMs?: number;
  compressRequests?: boolean;
}

export const clickhouseSettings = {
  // UInt64 values arrive as strings: a JavaScript number silently loses precision past 2^53.
  output_format_json_quote_64bit_integers: 1,
  // The product waits for its inserts; batching is the write buffer's job, not the server's.
  async_insert: 0,
  date_time_input_format: "best_effort",
} as const;

export function createClickHouse(options: ClickHouseOptions): ClickHouseClient {
  return createClient({
    url: options.url,
    database: options.database,
    request_timeout: options.requestTimeoutMs ?? 30_000,
    // Inserts go uncompressed by default: on a LAN, gzip costs both ends more CPU than the bytes it saves.
    compression: { request: options.compressRequests ?? false, response: true },
    clickhouse_settings: clickhouseSettings,
    application: "pug",
    // Failures reach the caller as ClickHouseError and are logged there, once, in our own format.
    log: { level: ClickHouseLogLevel.OFF },
  });
}
