// Fixed one-second windows in Redis, shared by every server process. Without Redis the limiter lets requests
// through (fail open): losing events is worse than serving a burst, and the outage is logged and counted.

import type { Metrics } from "../../app/metrics.ts";
import type { Redis } from "../../infra/redis.ts";
import type { Logger } from "../../logger.ts";

export interface RateDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Adds `cost` to `bucket` for the current second; `limit` 0 means unlimited. */
  take(bucket: string, limit: number, cost: number): Promise<RateDecision>;
}

const allowed: RateDecision = { allowed: true, retryAfterSeconds: 0 };

export function rateLimiter(redis: Redis, metrics: Metrics, log: Logger): RateLimiter {
  let lastWarning = 0;
  return {
    async take(bucket, limit, cost) {
      if (limit === 0) return allowed;
      const second = Math.floor(Date.now() / 1000);
      const key = redis.key("ratelimit", bucket, String(second));
      try {
        const used = await redis.client.incrby(key, cost);
        if (used === cost) void redis.client.expire(key, 2).catch(() => {});
        return used <= limit ? allowed : { allowed: false, retryAfterSeconds: 1 };
      } catch (error) {
        metrics.redisFailOpen.inc({ purpose: "rate_limit" });
        if (Date.now() - lastWarning > 10_000) {
          lastWarning = Date.now();
          log.warn("redis unreachable: rate limits are not enforced until it is back", { error });
        }
        return allowed;
      }
    },
  };
}
