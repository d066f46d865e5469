// Query answers kept in Redis for a few seconds (src/domain/insights/cache-key.ts decides the key and how long), so a
// dashboard opened by several people, or refreshed, asks ClickHouse once. Redis is optional here: when it is down,
// slow or answers garbage, the query runs as if there were no cache. Every such failure is counted, and logged at
// most once per interval so an outage does not flood the log; no request ever fails because of the cache.

import { type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import type { Metrics } from "../../app/metrics.ts";
import type { QueryCacheKey } from "../../domain/insights/cache-key.ts";
import type { Redis } from "../../infra/redis.ts";
import type { Logger } from "../../logger.ts";

export interface QueryCache {
  /**
   * The answer (a `schema` message) stored under `key`, else `compute`'s, stored for the next caller. Errors of
   * `compute` propagate.
   */
  answer<Desc extends DescMessage>(schema: Desc, key: QueryCacheKey, compute: () => Promise<MessageShape<Desc>>): Promise<MessageShape<Desc>>;
}

export interface QueryCacheOptions {
  /** A cache slower than this is no cache: the query runs instead. */
  getTimeoutMs?: number;
  /** Larger answers are not stored (they would crowd out many small ones and cost Redis memory and network). */
  maxBytes?: number;
  warnEveryMs?: number;
}

export const GET_TIMEOUT_MS = 50;
export const MAX_CACHED_BYTES = 1024 * 1024;
const WARN_EVERY_MS = 60_000;

export function queryCache(redis: Redis, metrics: Metrics, log: Logger, options: QueryCacheOptions = {}): QueryCache {
  const getTimeoutMs = options.getTimeoutMs ?? GET_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? MAX_CACHED_BYTES;
  const warnEveryMs = options.warnEveryMs ?? WARN_EVERY_MS;
  let lastWarning = -Infinity;

  function failed(step: "get" | "set", error: unknown) {
    metrics.insightsCache.inc({ outcome: `${step}_error` });
    if (Date.now() - lastWarning < warnEveryMs) return;
    lastWarning = Date.now();
    log.warn(`insights cache: redis ${step} failed, queries go to ClickHouse (failures in the next ${warnEveryMs / 1000} s are only counted: pug_insights_cache_total)`, { error });
  }

  async function read<Desc extends DescMessage>(schema: Desc, key: string): Promise<MessageShape<Desc> | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${getTimeoutMs} ms`)), getTimeoutMs);
    });
    try {
      const bytes = await Promise.race([redis.client.getBuffer(key), late]);
      return bytes === null ? undefined : fromBinary(schema, bytes);
    } finally {
      clearTimeout(timer);
    }
  }

  function store<Desc extends DescMessage>(schema: Desc, key: string, response: MessageShape<Desc>, ttlSeconds: number) {
    const bytes = toBinary(schema, response);
    if (bytes.length > maxBytes) {
      metrics.insightsCache.inc({ outcome: "too_large" });
      return;
    }
    // Not awaited: the caller has its answer; the next command on this connection runs after this one anyway.
    redis.client.set(key, bytes, "EX", ttlSeconds).catch((error) => failed("set", error));
  }

  return {
    async answer(schema, key, compute) {
      const redisKey = redis.key(...key.parts);
      try {
        const cached = await read(schema, redisKey);
        if (cached) {
          metrics.insightsCache.inc({ outcome: "hit" });
          return cached;
        }
        metrics.insightsCache.inc({ outcome: "miss" });
      } catch (error) {
        failed("get", error);
      }
      const response = await compute();
      store(schema, redisKey, response, key.ttlSeconds);
      return response;
    },
  };
}
