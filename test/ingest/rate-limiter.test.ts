// The rate limiter against real Redis: decided in memory, exact within one process, costs added to Redis in one
// script per flush with the window's expiry set; two limiters on one Redis (two server processes) share a limit
// up to what each has not heard of yet; a private Redis that is stopped or paused leaves the limiter failing open,
// counted and logged, while each process still holds its own traffic to the limit.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createMetrics, type Metrics } from "../../src/app/metrics.ts";
import { createRedis, type Redis } from "../../src/infra/redis.ts";
import { createLogger } from "../../src/logger.ts";
import { Code, ConnectError } from "../../src/server/connect-errors.ts";
import { type BackgroundRateLimiter, rateLimiter, rateLimitRefusal } from "../../src/server/sdk/rate-limiter.ts";
import { waitFor } from "../support/ports.ts";
import { startRedis } from "../support/private-servers.ts";
import { testEnv } from "../support/test-env.ts";

const prefix = `${testEnv().redisPrefix}-limiter-${crypto.randomUUID().slice(0, 8)}`;
let redis: Redis;

beforeAll(async () => {
  redis = createRedis({ url: testEnv().redisUrl, prefix });
  await redis.connect();
});
afterAll(async () => {
  const keys: string[] = await redis.client.send("KEYS", [`${prefix}:*`]);
  if (keys.length > 0) await redis.client.send("DEL", keys);
  redis.close();
});

function logged() {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: createLogger({ level: "warn", write: (line) => lines.push(JSON.parse(line)) }) };
}

/** A clock stopped in the middle of the current second, so a test's takes all fall in one window. */
function stoppedClock() {
  const at = Math.floor(Date.now() / 1000) * 1000 + 500;
  return { second: at / 1000 - 0.5, now: () => at };
}

/** Flushed only when the test says so. */
function manualLimiter(on: Redis, metrics: Metrics = createMetrics(), log = logged().log, now = stoppedClock().now): BackgroundRateLimiter {
  return rateLimiter(on, metrics, log, { now, flushEveryMs: 60_000 });
}

async function allowedOf(limiter: BackgroundRateLimiter, bucket: string, limit: number, times: number): Promise<number> {
  let allowed = 0;
  for (let i = 0; i < times; i++) if ((await limiter.take(bucket, limit, 1)).allowed) allowed++;
  return allowed;
}

const windowCount = async (bucket: string, second: number) => Number(await redis.client.get(redis.key("ratelimit", bucket, String(second))));
const evalCalls = async (on: Redis) => Number(/cmdstat_eval:calls=(\d+)/.exec(await on.client.send("INFO", ["commandstats"]))?.[1] ?? 0);
const failOpens = async (metrics: Metrics) => (await metrics.redisFailOpen.get()).values.find((v) => v.labels.purpose === "rate_limit")?.value ?? 0;

describe("one process", () => {
  test("with limit N, N requests are allowed and the next is refused with Retry-After 1; Redis holds N with a TTL", async () => {
    const clock = stoppedClock();
    const limiter = manualLimiter(redis, createMetrics(), logged().log, clock.now);
    const bucket = `ip:one-${crypto.randomUUID()}`;
    for (let i = 0; i < 5; i++) expect(await rateLimitRefusal(limiter, bucket, 5, 1, "requests")).toBeUndefined();
    const refusal = await rateLimitRefusal(limiter, bucket, 5, 1, "requests");
    expect(refusal).toBeInstanceOf(ConnectError);
    expect(refusal!.code).toBe(Code.ResourceExhausted);
    expect(refusal!.rawMessage).toBe("too many requests (limit 5 per second); retry after 1 s");
    expect(refusal!.metadata.get("retry-after")).toBe("1");
    await limiter.flush();
    expect(await windowCount(bucket, clock.second)).toBe(5);
    const ttl = Number(await redis.client.send("PTTL", [redis.key("ratelimit", bucket, String(clock.second))]));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2_000);
  });

  test("a batch that would pass the limit is refused without being counted, so a smaller one still fits", async () => {
    const limiter = manualLimiter(redis);
    const bucket = `project:${crypto.randomUUID()}`;
    const decisions = [];
    for (const cost of [40, 50, 20, 10, 1]) decisions.push((await limiter.take(bucket, 100, cost)).allowed);
    expect(decisions).toEqual([true, true, false, true, false]);
  });

  test("without flushing by hand, what was taken reaches Redis within moments", async () => {
    const limiter = rateLimiter(redis, createMetrics(), logged().log);
    const bucket = `ip:background-${crypto.randomUUID()}`;
    const second = Math.floor(Date.now() / 1000);
    await limiter.take(bucket, 100, 3);
    // The take may have fallen in the next second.
    await waitFor("the cost in Redis", async () => (await windowCount(bucket, second)) + (await windowCount(bucket, second + 1)) === 3, 5_000);
  });
});

describe("one Redis for every bucket of a flush", () => {
  let private_: Awaited<ReturnType<typeof startRedis>>;
  let own: Redis;
  beforeAll(async () => {
    private_ = await startRedis();
    own = createRedis({ url: private_.url, prefix });
    await own.connect();
  });
  afterAll(async () => {
    own.close();
    await private_.stop();
  });

  test("an unused limiter sends nothing; a flush adds a hundred buckets' costs with one script", async () => {
    const limiter = rateLimiter(own, createMetrics(), logged().log);
    await Bun.sleep(100);
    expect(await evalCalls(own)).toBe(0);
    // Takes resolve without a turn of the event loop, so no timer flushes in between.
    for (let i = 0; i < 100; i++) await limiter.take(`ip:10.0.0.${i}`, 10, 1);
    await limiter.flush();
    expect(await evalCalls(own)).toBe(1);
    const keys: string[] = await own.client.send("KEYS", [`${prefix}:ratelimit:ip:*`]);
    expect(keys.length).toBe(100);
  });
});

describe("two processes on one Redis", () => {
  test("taking in turns and flushing after each turn, they pass the limit by no more than one turn of the other's", async () => {
    const clock = stoppedClock();
    const [a, b] = [manualLimiter(redis, createMetrics(), logged().log, clock.now), manualLimiter(redis, createMetrics(), logged().log, clock.now)];
    const bucket = `project:${crypto.randomUUID()}`;
    const limit = 20;
    const turn = 5;
    let allowed = 0;
    let lastRound = 0;
    for (let round = 0; round < 8; round++) {
      lastRound = (await allowedOf(a, bucket, limit, turn)) + (await allowedOf(b, bucket, limit, turn));
      allowed += lastRound;
      await a.flush();
      await b.flush();
    }
    expect(allowed).toBeGreaterThanOrEqual(limit);
    expect(allowed).toBeLessThanOrEqual(limit + turn);
    expect(lastRound).toBe(0);
    expect(await windowCount(bucket, clock.second)).toBe(allowed);
  });

  test("at worst, both burst before either has flushed: each allows the limit once, then both refuse", async () => {
    const clock = stoppedClock();
    const [a, b] = [manualLimiter(redis, createMetrics(), logged().log, clock.now), manualLimiter(redis, createMetrics(), logged().log, clock.now)];
    const bucket = `ip:burst-${crypto.randomUUID()}`;
    expect(await allowedOf(a, bucket, 10, 15)).toBe(10);
    expect(await allowedOf(b, bucket, 10, 15)).toBe(10);
    await a.flush();
    await b.flush();
    expect(await windowCount(bucket, clock.second)).toBe(20);
    expect(await allowedOf(a, bucket, 10, 1)).toBe(0);
    expect(await allowedOf(b, bucket, 10, 1)).toBe(0);
  });
});

describe("Redis unreachable", () => {
  test("requests are let through up to the limit of this process, counted as fail-open and logged once", async () => {
    const private_ = await startRedis();
    const own = createRedis({ url: private_.url, prefix });
    const metrics = createMetrics();
    const { lines, log } = logged();
    const clock = stoppedClock();
    const limiter = manualLimiter(own, metrics, log, clock.now);
    let running = true;
    try {
      await own.connect();
      expect(await allowedOf(limiter, "ip:outage", 5, 1)).toBe(1);
      await limiter.flush();
      expect(Number(await own.client.get(own.key("ratelimit", "ip:outage", String(clock.second))))).toBe(1);
      await private_.stop();
      running = false;
      await waitFor("the client to see Redis gone", () => !own.client.connected, 5_000);
      expect(await allowedOf(limiter, "ip:outage", 5, 10)).toBe(4);
      await limiter.flush();
      expect(await failOpens(metrics)).toBe(4);
      // Sent again while the window lasts, still counted here, neither counted nor logged twice.
      expect(await allowedOf(limiter, "ip:outage", 5, 1)).toBe(0);
      await limiter.flush();
      expect(await failOpens(metrics)).toBe(4);
      expect(lines.map((l) => l.msg)).toEqual(["redis unreachable: rate limits are enforced per process only until it is back"]);
    } finally {
      own.close();
      if (running) await private_.stop();
    }
  });

  test("a Redis that stops answering counts as down: the flush gives up after a second, counted and logged", async () => {
    const private_ = await startRedis();
    const [own, admin] = [createRedis({ url: private_.url, prefix }), createRedis({ url: private_.url, prefix })];
    const metrics = createMetrics();
    const { lines, log } = logged();
    const limiter = manualLimiter(own, metrics, log);
    try {
      await Promise.all([own.connect(), admin.connect()]);
      await admin.client.send("CLIENT", ["PAUSE", "5000", "ALL"]);
      expect(await allowedOf(limiter, "ip:silent", 3, 5)).toBe(3);
      await limiter.flush();
      expect(await failOpens(metrics)).toBe(3);
      expect(lines.map((l) => [l.msg, (l.error as { message: string }).message])).toEqual([["redis unreachable: rate limits are enforced per process only until it is back", "redis: no answer within 1000 ms"]]);
    } finally {
      own.close();
      admin.close();
      await private_.stop();
    }
  });
});
