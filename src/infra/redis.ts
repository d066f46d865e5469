// Redis: caches and counters (API-key lookups, rate limits, daily salts). Nothing in Redis is the only copy of
// anything, so callers treat it as optional. Every key carries a prefix from config.

import { RedisClient } from "bun";

export interface RedisOptions {
  url: string;
  prefix: string;
  connectTimeoutMs?: number;
}

export interface Redis {
  client: RedisClient;
  /** `ratelimit`, `p1` → `pug:ratelimit:p1`. */
  key(...parts: string[]): string;
  /** Commands fail at once while disconnected (no offline queue), so open the connection before first use. */
  connect(): Promise<void>;
  close(): void;
}

export function createRedis(options: RedisOptions): Redis {
  const client = new RedisClient(options.url, {
    connectionTimeout: options.connectTimeoutMs ?? 2_000,
    autoReconnect: true,
    maxRetries: 0xffff_ffff,
    enableOfflineQueue: false,
  });
  return {
    client,
    key: (...parts) => [options.prefix, ...parts].join(":"),
    connect: () => client.connect(),
    close: () => client.close(),
  };
}
