// Fixed one-second windows in Redis, shared by every server process. Without Redis the limiter lets requests
// through (fail open): losing events is worse than serving a burst, and the outage is logged and counted.

import type { MiddlewareHandler } from "hono";
import type { Metrics } from "../../app/metrics.ts";
import type { Redis } from "../../infra/redis.ts";
import type { Logger } from "../../logger.ts";
import { Code, ConnectError, connectErrorResponse } from "../connect-errors.ts";

export interface RateDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Adds `cost` to `bucket` for the current second; `limit` 0 means unlimited. */
  take(bucket: string, limit: number, cost: number): Promise<RateDecision>;
}

const allowed: RateDecision = { allowed: true, retryAfterSeconds: 0 };

/**
 * Adds the cost and, for a new window, sets its expiry in one atomic step: done as two commands, a failure between
 * them would leave a window key that never expires. KEYS[1] window, ARGV[1] cost, ARGV[2] seconds to live.
 */
const TAKE_SCRIPT = "local n = redis.call('INCRBY', KEYS[1], ARGV[1]) if n == tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end return n";

export function rateLimiter(redis: Redis, metrics: Metrics, log: Logger): RateLimiter {
  let lastWarning = 0;
  return {
    async take(bucket, limit, cost) {
      if (limit === 0) return allowed;
      const second = Math.floor(Date.now() / 1000);
      const key = redis.key("ratelimit", bucket, String(second));
      try {
        const used = Number(await redis.client.send("EVAL", [TAKE_SCRIPT, "1", key, String(cost), "2"]));
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

/** Takes `cost` from `bucket`; when over `limit`, the resource_exhausted error (with Retry-After) naming `what`. */
export async function rateLimitRefusal(limiter: RateLimiter, bucket: string, limit: number, cost: number, what: string): Promise<ConnectError | undefined> {
  const decision = await limiter.take(bucket, limit, cost);
  if (decision.allowed) return undefined;
  return new ConnectError(`too many ${what} (limit ${limit} per second); retry after ${decision.retryAfterSeconds} s`, Code.ResourceExhausted, {
    "retry-after": String(decision.retryAfterSeconds),
  });
}

/** As rateLimitRefusal, thrown: for Connect services. */
export async function enforceRateLimit(...args: Parameters<typeof rateLimitRefusal>): Promise<void> {
  const refusal = await rateLimitRefusal(...args);
  if (refusal) throw refusal;
}

/**
 * The per-IP limit, in front of everything that costs the server work (reading and decoding the body, looking
 * up the key), so a flood of garbage or of made-up keys from one address is refused as cheaply as a good one.
 */
export function ipRateLimit(limiter: RateLimiter, requestsPerSecond: number): MiddlewareHandler<{ Variables: { clientIp: string } }> {
  return async function limitPerIp(c, next) {
    if (c.req.method === "OPTIONS") return next();
    const refusal = await rateLimitRefusal(limiter, `ip:${c.get("clientIp")}`, requestsPerSecond, 1, "requests from this address");
    return refusal ? connectErrorResponse(refusal) : next();
  };
}
