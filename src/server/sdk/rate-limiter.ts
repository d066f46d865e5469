// Fixed one-second windows in Redis, shared by every server process. A request is decided in memory
// (domain/rate-windows.ts) and the costs taken are added to Redis in the background, all buckets in one exchange
// every FLUSH_EVERY_MS, whose answers tell this process what the others took. Within a process a limit is exact;
// across processes the total in a window can pass the limit by what the others took that this one has not heard
// of (taken since its last flush was answered): once the limit is reached, each busy process still allows what it
// takes in about two flush intervals and a round trip, and at worst (all bursting before anyone's first answer
// in a window) N processes allow N × limit.
// Without Redis the limiter lets requests through (fail open): losing events is worse than serving a burst, and
// the outage is logged and counted; each process still holds its own traffic to the limit.

import type { MiddlewareHandler } from "hono";
import type { Metrics } from "../../app/metrics.ts";
import { withTimeout } from "../../domain/backoff.ts";
import { type RateFlush, RateWindows } from "../../domain/rate-windows.ts";
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

export interface BackgroundRateLimiter extends RateLimiter {
  /** Sends what was taken and not yet sent, and waits for Redis's answer. */
  flush(): Promise<void>;
}

export interface RateLimiterOptions {
  flushEveryMs?: number;
  /** Buckets kept in memory at most; a take for another one asks Redis directly. */
  maxBuckets?: number;
  now?: () => number;
}

/**
 * 25 ms: about 40 exchanges a second per process however many requests (at 5,000 requests/s with two limits each,
 * 10,000 round trips before), while what another process cannot see yet stays a fortieth of a one-second window.
 */
const FLUSH_EVERY_MS = 25;
/** About 200 bytes each: 10 MB at most, well above the distinct addresses of 10,000 requests/s. */
const MAX_BUCKETS = 50_000;
/** A script runs alone in Redis: thousands of buckets are sent as several scripts (pipelined, one write). */
const BUCKETS_PER_SCRIPT = 500;
const WINDOW_TTL_SECONDS = "2";
/**
 * A Redis that stopped answering (paused, swapping) counts as down: its answer would be for a window gone by, and
 * the flush after it would wait behind it.
 */
const ANSWER_TIMEOUT_MS = 1_000;

const allowed: RateDecision = { allowed: true, retryAfterSeconds: 0 };
const refused: RateDecision = { allowed: false, retryAfterSeconds: 1 };

/**
 * Adds each cost and, for a new window, sets its expiry in one atomic step: done as two commands, a failure between
 * them would leave a window key that never expires. KEYS windows, ARGV[1] seconds to live, ARGV[1 + i] the cost
 * for KEYS[i]; returns each window's count after the addition.
 */
const ADD_SCRIPT = `local counts = {}
for i, key in ipairs(KEYS) do
  local cost = tonumber(ARGV[i + 1])
  local n = redis.call('INCRBY', key, cost)
  if n == cost then redis.call('EXPIRE', key, ARGV[1]) end
  counts[i] = n
end
return counts`;

export function rateLimiter(redis: Redis, metrics: Metrics, log: Logger, options: RateLimiterOptions = {}): BackgroundRateLimiter {
  const now = options.now ?? Date.now;
  const flushEveryMs = options.flushEveryMs ?? FLUSH_EVERY_MS;
  const windows = new RateWindows(options.maxBuckets ?? MAX_BUCKETS);
  const currentSecond = () => Math.floor(now() / 1000);
  let lastWarning = 0;
  let timer: Timer | undefined;
  let flushing: Promise<void> | undefined;

  function failOpen(requests: number, error: unknown) {
    metrics.redisFailOpen.inc({ purpose: "rate_limit" }, requests);
    if (Date.now() - lastWarning > 10_000) {
      lastWarning = Date.now();
      log.warn("redis unreachable: rate limits are enforced per process only until it is back", { error });
    }
  }

  async function add(buckets: { bucket: string; second: number }[], costs: number[]): Promise<number[]> {
    const keys = buckets.map((w) => redis.key("ratelimit", w.bucket, String(w.second)));
    const counts: unknown[] = await withTimeout(redis.client.send("EVAL", [ADD_SCRIPT, String(keys.length), ...keys, WINDOW_TTL_SECONDS, ...costs.map(String)]), ANSWER_TIMEOUT_MS, "redis");
    return counts.map(Number);
  }

  async function send(flush: RateFlush) {
    try {
      windows.settle(flush, await add(flush.windows, flush.costs));
    } catch (error) {
      windows.fail(flush, currentSecond());
      failOpen(flush.takes, error);
    }
  }

  /** One flush at a time, so that answers are applied in the order Redis gave them. */
  function startFlush(): Promise<void> {
    // Commands sent without awaiting in between go out in one write (Bun's client pipelines them).
    flushing ??= Promise.all(windows.drain(BUCKETS_PER_SCRIPT).map(send)).then(() => {
      flushing = undefined;
    });
    return flushing;
  }

  function tick() {
    timer = undefined;
    if (!flushing) void startFlush();
    windows.sweep(currentSecond());
    schedule();
  }

  /** Ticks only while something is in memory; unreferenced, so it never keeps a stopping process alive. */
  function schedule() {
    if (timer || windows.idle) return;
    timer = setTimeout(tick, flushEveryMs);
    timer.unref();
  }

  /** A bucket beyond what memory holds, decided by Redis as each request once was. */
  async function takeFromRedis(bucket: string, second: number, limit: number, cost: number): Promise<RateDecision> {
    try {
      const [count] = await add([{ bucket, second }], [cost]);
      return count! <= limit ? allowed : refused;
    } catch (error) {
      failOpen(1, error);
      return allowed;
    }
  }

  return {
    async take(bucket, limit, cost) {
      if (limit === 0) return allowed;
      const second = currentSecond();
      const verdict = windows.take(bucket, second, limit, cost);
      schedule();
      if (verdict === "untracked") return takeFromRedis(bucket, second, limit, cost);
      return verdict === "allowed" ? allowed : refused;
    },
    async flush() {
      while (flushing) await flushing;
      await startFlush();
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
    const refusal = await ipRateRefusal(limiter, c.get("clientIp"), requestsPerSecond);
    return refusal ? connectErrorResponse(refusal) : next();
  };
}

/** One request taken from the per-IP limit of `ip`: the refusal when over it (also for the fast intake path). */
export function ipRateRefusal(limiter: RateLimiter, ip: string, requestsPerSecond: number): Promise<ConnectError | undefined> {
  return rateLimitRefusal(limiter, `ip:${ip}`, requestsPerSecond, 1, "requests from this address");
}
